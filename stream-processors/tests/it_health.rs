//! The health processor against the test broker and ClickHouse, with a real local HTTP server as
//! the Slack webhook: synthetic edge statistics in, Slack messages and ClickHouse rows out.

use std::collections::HashMap;
use std::time::Duration;

use clap::Parser;
use platform::kafka::producer_config;
use platform::test_support::webhook::WebhookReceiver;
use platform::test_support::{read_topic, TestDatabase, TestTopics};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::alerts::{AlertRule, AlertState};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::edge_stats::{EdgeStats, PropertyEdgeStats};
use schemas::vocab::{sql_literal as lit, JobStatus, Vocabulary};
use serde_json::Value;
use stream_processors::config::HealthConfig;
use tokio::sync::watch;

const MINUTE: i64 = 60_000;
/// Bounds as the edge writes them, around the 200 ms threshold.
const BOUNDS: [f64; 4] = [50.0, 100.0, 200.0, 250.0];

/// A health processor on fresh topics and database, posting to a local receiver.
struct Harness {
    topics: TestTopics,
    db: TestDatabase,
    receiver: WebhookReceiver,
    producer: FutureProducer,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Event time of minute 0, well in the past so windows never touch the present.
    t0: i64,
}

impl Harness {
    async fn start(extra: &[&str]) -> Self {
        Self::start_seeded(extra, None).await
    }

    /// … after running `seed` on the database (what an earlier run left there).
    async fn start_seeded(extra: &[&str], seed: Option<&str>) -> Self {
        Self::start_posting_to(extra, seed, "").await
    }

    /// … posting to `path` appended to the receiver's URL (it answers on any path).
    async fn start_posting_to(extra: &[&str], seed: Option<&str>, path: &str) -> Self {
        Self::launch(extra, seed, path, "").await
    }

    /// … also watching the lag of `extra_lag_groups` (`group=topic,…`).
    async fn launch(
        extra: &[&str],
        seed: Option<&str>,
        path: &str,
        extra_lag_groups: &str,
    ) -> Self {
        let topics = TestTopics::create(&[("edge_stats", 1), ("deadletter", 1)]).await;
        let db = TestDatabase::migrated().await;
        if let Some(sql) = seed {
            db.client().query(sql).execute().await.unwrap();
        }
        let receiver = WebhookReceiver::start().await;
        let hook = format!("{}{path}", receiver.url);
        let group = platform::test_support::random_name("health");
        let mut lag_groups = format!("{group}={}", topics.name(0));
        if !extra_lag_groups.is_empty() {
            lag_groups = format!("{lag_groups},{extra_lag_groups}");
        }
        let mut args = vec![
            "health",
            "--brokers",
            &topics.brokers,
            "--group",
            &group,
            "--edge-stats-topic",
            topics.name(0),
            "--deadletter-topic",
            topics.name(1),
            "--clickhouse-url",
            &db.url,
            "--clickhouse-database",
            &db.name,
            "--slack-webhook-url",
            &hook,
            "--slack-backoff-ms",
            "20",
            "--public-url",
            "https://optiview.test",
            "--settle-ms",
            "300",
            "--tick-ms",
            "500",
            "--lag-groups",
            &lag_groups,
            "--retention-schedule=",
            "--rollup-schedule=",
        ];
        args.extend_from_slice(extra);
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            config: HealthConfig,
        }
        let config = Cli::parse_from(args).config;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(stream_processors::health::service::run(
            config,
            Default::default(),
            stopped,
        ));
        let now = chrono::Utc::now().timestamp_millis();
        Self {
            producer: producer_config(&topics.brokers).create().unwrap(),
            topics,
            db,
            receiver,
            stop,
            task,
            t0: now - now.rem_euclid(MINUTE) - 120 * MINUTE,
        }
    }

    async fn send(&self, record: &EdgeStats) {
        let payload = schemas::encode(record).unwrap();
        self.producer
            .send(
                FutureRecord::to(self.topics.name(0))
                    .key(&record.instance_id)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }

    /// Waits until the window ending with `minute` has been evaluated for `scope`.
    async fn evaluated(&self, minute: i64, scope: &str) {
        let window_end = (self.t0 + (minute + 1) * MINUTE) / 1000;
        for _ in 0..300 {
            let n: u64 = self
                .db
                .client()
                .query("SELECT count() FROM health_windows WHERE scope = ? AND toUnixTimestamp(window_end) = ?")
                .bind(scope)
                .bind(window_end)
                .fetch_one()
                .await
                .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("window ending at minute {minute} for {scope} never evaluated");
    }

    /// Slack messages delivered, as (rule, scope, state) read from their blocks; waits a little
    /// past `expected` so an extra message would be seen.
    async fn messages(&self, expected: usize) -> Vec<(String, String, String)> {
        self.receiver
            .wait_delivered(expected, Duration::from_secs(15))
            .await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        self.receiver.delivered().iter().map(fields).collect()
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the processor stops")
            .unwrap()
            .unwrap();
    }
}

/// Rule, scope and state from a message's section fields.
fn fields(message: &Value) -> (String, String, String) {
    let texts: Vec<String> = message["blocks"][1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect();
    let field = |name: &str| {
        texts
            .iter()
            .find_map(|t| t.strip_prefix(&format!("*{name}*\n")))
            .unwrap_or_else(|| panic!("no {name} in {message}"))
            .to_owned()
    };
    (field("Rule"), field("Scope"), field("State"))
}

fn firing(rule: &str, scope: &str) -> (String, String, String) {
    (rule.into(), scope.into(), "firing".into())
}

/// One instance's minute: `requests` requests (one event each), `errors` of them failed, all in
/// the latency bucket ending at `latency_ms`.
fn minute_record(t0: i64, minute: i64, requests: i64, errors: i64, latency_ms: f64) -> EdgeStats {
    let slot = BOUNDS
        .iter()
        .position(|b| latency_ms <= *b)
        .unwrap_or(BOUNDS.len());
    let mut counts = vec![0; BOUNDS.len() + 1];
    counts[slot] = requests;
    EdgeStats {
        instance_id: "edge-test".into(),
        minute: t0 + minute * MINUTE,
        requests,
        events: requests,
        errors: HashMap::from([("5xx_unavailable".to_owned(), errors)]),
        latency_bounds_ms: BOUNDS.to_vec(),
        latency_counts: counts,
        properties: vec![],
    }
}

/// 120 requests a minute, 12 of 600 failed in any five consecutive minutes (2 %).
const ERRORS_PER_MINUTE: [i64; 5] = [3, 3, 2, 2, 2];

/// Sends `minutes` at 2 % errors over 120 requests a minute.
async fn send_two_percent(h: &Harness, minutes: std::ops::Range<i64>) {
    for minute in minutes {
        let errors = ERRORS_PER_MINUTE[minute.rem_euclid(5) as usize];
        h.send(&minute_record(h.t0, minute, 120, errors, 10.0))
            .await;
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn two_percent_errors_over_600_events_alert_once_then_again_after_fifteen_minutes_then_resolve(
) {
    let h = Harness::start(&[]).await;
    send_two_percent(&h, 0..5).await;
    h.evaluated(4, "global").await;
    assert_eq!(
        h.messages(1).await,
        [firing("error_rate", "global")],
        "600 events with 2 % errors: exactly one alert"
    );
    let first = &h.receiver.delivered()[0];
    let text = first.to_string();
    for needle in [
        "2.00 %",
        "> 1.00 % and ≥ 500 events",
        "5 min ending",
        "https://optiview.test/admin/health",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }

    // The same condition for the next ten minutes: still within 15 minutes of the alert.
    send_two_percent(&h, 5..15).await;
    h.evaluated(14, "global").await;
    assert_eq!(
        h.messages(1).await.len(),
        1,
        "no second alert within 15 minutes"
    );

    // Minute 19's window ends 15 minutes after the first alert's.
    send_two_percent(&h, 15..20).await;
    h.evaluated(19, "global").await;
    assert_eq!(
        h.messages(2).await,
        [
            firing("error_rate", "global"),
            firing("error_rate", "global")
        ],
        "after 15 minutes the lasting condition alerts again"
    );

    // Five clean minutes clear the window: one "resolved".
    for minute in 20..25 {
        h.send(&minute_record(h.t0, minute, 120, 0, 10.0)).await;
    }
    h.evaluated(24, "global").await;
    let messages = h.messages(3).await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[2],
        ("error_rate".into(), "global".into(), "resolved".into())
    );

    let recorded: Vec<(String, bool)> =
        h.db.client()
            .query("SELECT state, delivered FROM alerts ORDER BY at")
            .fetch_all()
            .await
            .unwrap();
    assert_eq!(
        recorded,
        [
            ("firing".to_owned(), true),
            ("firing".to_owned(), true),
            ("resolved".to_owned(), true)
        ]
    );
    let window: (u64, u64, f64) = h
        .db
        .client()
        .query("SELECT events, errors, error_rate FROM health_windows FINAL WHERE scope = 'global' AND toUnixTimestamp(window_end) = ?")
        .bind((h.t0 + 5 * MINUTE) / 1000)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((window.0, window.1), (600, 12));
    assert!((window.2 - 0.02).abs() < 1e-9);
    let lag_rows: u64 =
        h.db.client()
            .query("SELECT count() FROM consumer_lag")
            .fetch_one()
            .await
            .unwrap();
    assert!(lag_rows > 0, "the health group's lag is sampled");
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn five_percent_errors_over_400_events_stay_under_the_volume_floor() {
    let h = Harness::start(&[]).await;
    for minute in 0..5 {
        h.send(&minute_record(h.t0, minute, 80, 4, 10.0)).await;
    }
    h.evaluated(4, "global").await;
    assert_eq!(h.messages(0).await, []);
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn an_undecodable_record_is_dead_lettered_and_the_next_ones_still_count() {
    let h = Harness::start(&[]).await;
    h.producer
        .send(
            FutureRecord::to(h.topics.name(0))
                .key("edge-test")
                .payload(&b"not avro at all"[..]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    h.send(&minute_record(h.t0, 0, 120, 0, 10.0)).await;
    h.evaluated(0, "global").await;
    let letters: Vec<DeadLetter> = read_topic(&h.topics.brokers, h.topics.name(1), 1, 1).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter.reason, DeadLetterReason::Undecodable);
    assert_eq!(letter.stage, "health");
    assert_eq!(
        (
            letter.source_topic.as_str(),
            letter.source_partition,
            letter.source_offset
        ),
        (h.topics.name(0), 0, 0)
    );
    assert_eq!(letter.original, b"not avro at all");
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_configured_window_length_sums_that_many_minutes_and_is_recorded_with_the_window() {
    let h = Harness::start(&["--window-minutes", "3"]).await;
    for minute in 0..4 {
        h.send(&minute_record(h.t0, minute, 100 + minute, 0, 10.0))
            .await;
    }
    h.evaluated(3, "global").await;
    let (events, minutes): (u64, u16) = h
        .db
        .client()
        .query("SELECT events, window_minutes FROM health_windows FINAL WHERE scope = 'global' AND toUnixTimestamp(window_end) = ?")
        .bind((h.t0 + 4 * MINUTE) / 1000)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(events, 101 + 102 + 103, "minutes 1 to 3, not minute 0");
    assert_eq!(minutes, 3);
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_p95_of_250_ms_over_600_events_alerts() {
    let h = Harness::start(&[]).await;
    for minute in 0..5 {
        h.send(&minute_record(h.t0, minute, 120, 0, 250.0)).await;
    }
    h.evaluated(4, "global").await;
    assert_eq!(h.messages(1).await, [firing("latency_p95", "global")]);
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn each_property_has_its_own_window_and_thresholds_are_configurable() {
    // A volume floor of 550 events instead of the default 500.
    let h = Harness::start(&["--min-events", "550"]).await;
    let property = |id, requests, errors| PropertyEdgeStats {
        property_id: id,
        requests,
        events: requests,
        errors: HashMap::from([("5xx_unavailable".to_owned(), errors)]),
        latency_counts: vec![requests, 0, 0, 0, 0],
    };
    for minute in 0..5 {
        // Property 7 fails 2 % of its 600 requests; property 8 none of its 600; property 9 2 %
        // of 500, which the default floor would alert on; 240 more requests a minute resolved
        // to no property and none failed: under 1 % overall.
        let seven = ERRORS_PER_MINUTE[minute as usize];
        let mut record = minute_record(h.t0, minute, 580, 0, 10.0);
        record.errors = HashMap::from([("5xx_unavailable".to_owned(), seven + 2)]);
        record.properties = vec![
            property(7, 120, seven),
            property(8, 120, 0),
            property(9, 100, 2),
        ];
        h.send(&record).await;
    }
    for scope in ["property:7", "property:8", "property:9", "global"] {
        h.evaluated(4, scope).await;
    }
    assert_eq!(h.messages(1).await, [firing("error_rate", "property:7")]);
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_job_whose_last_success_is_91_minutes_old_raises_a_stall_alert() {
    let h = Harness::start(&[]).await;
    h.db
        .client()
        .query(&format!(
            "INSERT INTO job_runs (job, started, finished, status, rows_affected, parts_affected, message) VALUES
             ('retention_check', now64(3) - INTERVAL 92 MINUTE, now64(3) - INTERVAL 91 MINUTE, {success}, 0, 0, ''),
             ('retention_check', now64(3) - INTERVAL 31 MINUTE, now64(3) - INTERVAL 30 MINUTE, {failed}, 0, 0, 'boom'),
             ('rollup_maintenance', now64(3) - INTERVAL 31 MINUTE, now64(3) - INTERVAL 30 MINUTE, {success}, 0, 0, '')",
            success = lit(JobStatus::Success),
            failed = lit(JobStatus::Failed),
        ))
        .execute()
        .await
        .unwrap();
    let messages = h.messages(1).await;
    assert_eq!(messages, [firing("cron_stall", "job:retention_check")]);
    let text = h.receiver.delivered()[0].to_string();
    assert!(text.contains("> 90 min"), "{text}");
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn an_unreachable_webhook_is_retried_recorded_as_undelivered_and_processing_goes_on() {
    let h = Harness::start(&["--slack-attempts", "3"]).await;
    h.receiver.answer_next(&[500, 500, 500]);
    for minute in 0..5 {
        h.send(&minute_record(h.t0, minute, 120, 0, 250.0)).await;
    }
    h.evaluated(4, "global").await;
    for _ in 0..100 {
        if h.receiver.received().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(h.receiver.delivered().is_empty());
    assert_eq!(h.receiver.received().len(), 3, "three attempts");
    // The processor is still at work: the next window is evaluated and its clearing is delivered.
    for minute in 5..10 {
        h.send(&minute_record(h.t0, minute, 120, 0, 10.0)).await;
    }
    h.evaluated(9, "global").await;
    assert_eq!(
        h.messages(1).await,
        [("latency_p95".into(), "global".into(), "resolved".into())]
    );
    let recorded: Vec<(String, bool, u8)> =
        h.db.client()
            .query("SELECT state, delivered, attempts FROM alerts ORDER BY at")
            .fetch_all()
            .await
            .unwrap();
    assert_eq!(
        recorded,
        [
            ("firing".to_owned(), false, 3),
            ("resolved".to_owned(), true, 1)
        ]
    );
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_failing_webhook_leaves_its_secret_url_out_of_the_alerts_table_and_the_logs() {
    const MARKER: &str = "SECRETMARKER123";
    // Process-wide: a thread-local capture can miss call sites that tests running beside it on
    // other threads registered first. The other tests' lines land here too, which only widens
    // the check that no line carries the marker.
    let logs = platform::test_support::logs::CapturedLogs::process_wide();
    let h =
        Harness::start_posting_to(&["--slack-attempts", "2"], None, &format!("/{MARKER}")).await;
    // Slack failing, and quoting the path it was asked for.
    h.receiver
        .reply_with(&format!("no_service /services/T000/B000/test/{MARKER}"));
    h.receiver.answer_next(&[500, 500]);
    for minute in 0..5 {
        h.send(&minute_record(h.t0, minute, 120, 0, 250.0)).await;
    }
    h.evaluated(4, "global").await;
    let mut recorded: Vec<(bool, u8, String)> = Vec::new();
    for _ in 0..100 {
        recorded =
            h.db.client()
                .query("SELECT delivered, attempts, error FROM alerts ORDER BY at")
                .fetch_all()
                .await
                .unwrap();
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let (delivered, attempts, error) = &recorded[0];
    assert_eq!((*delivered, *attempts), (false, 2));
    assert!(error.contains("500"), "still says what went wrong: {error}");
    assert!(!error.contains(MARKER), "{error}");
    let every_column: Vec<String> =
        h.db.client()
            .query("SELECT toString(tuple(*)) FROM alerts")
            .fetch_all()
            .await
            .unwrap();
    assert!(
        every_column.iter().all(|row| !row.contains(MARKER)),
        "{every_column:?}"
    );
    h.stop().await;
    let logged = logs.text();
    assert!(
        logged.contains("alert not delivered to Slack"),
        "the failure is logged: {logged}"
    );
    assert!(!logged.contains(MARKER), "{logged}");
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_restarted_processor_does_not_repeat_an_alert_sent_within_fifteen_minutes() {
    let mut h = Harness::start_seeded(
        &[],
        Some(&format!(
            "INSERT INTO alerts (at, rule, scope, state, value, threshold, window, delivered, attempts)
             VALUES (now64(3) - INTERVAL 5 MINUTE, {rule}, 'global', {firing}, 0.02, 0.01, 'w', true, 1)",
            rule = lit(AlertRule::ErrorRate),
            firing = lit(AlertState::Firing),
        )),
    )
    .await;
    // Windows ending now: five minutes after the alert the previous run sent.
    let now = chrono::Utc::now().timestamp_millis();
    h.t0 = now - now.rem_euclid(MINUTE) - 5 * MINUTE;
    send_two_percent(&h, 0..5).await;
    h.evaluated(4, "global").await;
    assert_eq!(h.messages(0).await, []);
    h.stop().await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_watched_group_without_members_whose_lag_grows_alerts_on_both_and_the_busy_group_does_not(
) {
    // A group nobody runs, on a topic that keeps receiving records.
    let input = TestTopics::create(&[("orphaned_input", 1)]).await;
    let orphan = platform::test_support::random_name("orphan");
    let h = Harness::launch(
        &["--lag-growth-secs", "2", "--no-member-secs", "2"],
        None,
        "",
        &format!("{orphan}={}", input.name(0)),
    )
    .await;
    let producer: FutureProducer = producer_config(&input.brokers).create().unwrap();
    let feeding = tokio::spawn(async move {
        for i in 0..40 {
            producer
                .send(
                    FutureRecord::to(input.name(0))
                        .key("k")
                        .payload(&format!("r{i}")),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let got = h.messages(2).await;
    feeding.await.unwrap();
    let scope = format!("group:{orphan}");
    assert!(got.contains(&firing("no_consumer", &scope)), "{got:?}");
    assert!(got.contains(&firing("consumer_lag", &scope)), "{got:?}");
    // The health processor's own group is consuming: neither rule fires for it.
    assert!(
        got.iter().all(|(_, s, _)| *s == scope),
        "only the orphaned group alerts: {got:?}"
    );
    // Recorded for /admin/health, like every alert.
    let recorded: u64 =
        h.db.client()
            .query("SELECT count() FROM alerts WHERE scope = ? AND rule IN (?, ?)")
            .bind(&scope)
            .bind(AlertRule::NoConsumer.as_str())
            .bind(AlertRule::ConsumerLag.as_str())
            .fetch_one()
            .await
            .unwrap();
    assert_eq!(recorded, 2);
    h.stop().await;
}

/// `count` crawler hits of `agent` (operated by `operator`, with `verification`) on project
/// `prj_surge`, spread evenly from `from_minutes_ago` to `to_minutes_ago` before now.
fn crawler_hits_sql(
    count: u64,
    agent: &str,
    operator: &str,
    verification: schemas::vocab::Verification,
    from_minutes_ago: u64,
    to_minutes_ago: u64,
) -> String {
    let span_ms = (from_minutes_ago - to_minutes_ago) * 60_000;
    format!(
        "INSERT INTO crawler_hits (project_id, property_id, ts, event_id, agent_class, agent_name, agent_operator, verification, retention_days)
         SELECT 'prj_surge', 1,
                now64(3) - toIntervalMillisecond({to_ms} + intDiv(number * {span_ms}, {count})),
                concat('{agent}-', toString(number), '-{from_minutes_ago}'),
                'ai_training_crawler', '{agent}', '{operator}', {verification}, 30
         FROM numbers({count})",
        to_ms = to_minutes_ago * 60_000,
        verification = lit(verification),
    )
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_crawl_surge_and_a_spoofing_surge_alert_and_a_steady_crawler_does_not() {
    use schemas::vocab::Verification::{Spoofed, Verified};
    let h = Harness::start(&[]).await;
    let week = 7 * 24 * 60;
    let client = h.db.client();
    for sql in [
        // OpenAI: 10 hits an hour for a week, then 400 in the last hour (40×) …
        crawler_hits_sql(1680, "GPTBot", "OpenAI", Verified, week + 60, 61),
        crawler_hits_sql(400, "GPTBot", "OpenAI", Verified, 50, 1),
        // … 150 of them from addresses OpenAI does not publish, never seen before.
        crawler_hits_sql(150, "ChatGPT-User", "OpenAI", Spoofed, 40, 1),
        // Google: 50 an hour, steady.
        crawler_hits_sql(8400, "Googlebot", "Google", Verified, week + 60, 61),
        crawler_hits_sql(55, "Googlebot", "Google", Verified, 50, 1),
    ] {
        client.query(&sql).execute().await.unwrap();
    }
    let mut messages = h.messages(2).await;
    messages.sort();
    assert_eq!(
        messages,
        [
            firing("crawl_surge", "project:prj_surge:operator:OpenAI"),
            firing("spoofed_surge", "project:prj_surge:agent:ChatGPT-User"),
        ]
    );
    let text = h.receiver.delivered()[0].to_string();
    assert!(text.contains("the trailing baseline"), "{text}");
    h.stop().await;
}
