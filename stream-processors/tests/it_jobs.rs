//! The scheduled jobs against the real engine (and, for the IP-range refresh, files and a local
//! HTTP server): what each does to the tables and what it records in `job_runs`.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clickhouse::Client;
use futures::future::BoxFuture;
use platform::test_support::webhook::WebhookReceiver;
use platform::test_support::TestDatabase;
use schemas::vocab::{sql_literal, EventType, Verification};
use stream_processors::enrich::verify::{IpRanges, SharedIpRanges};
use stream_processors::jobs::ip_ranges::IpRangeRefresh;
use stream_processors::jobs::retention::RetentionCheck;
use stream_processors::jobs::rollups::RollupMaintenance;
use stream_processors::jobs::{Job, Outcome, Scheduled, Scheduler};

fn scheduler(db: &TestDatabase, job: Box<dyn Job>) -> Scheduler {
    Scheduler {
        client: db.client(),
        jobs: vec![Scheduled::new(job, "0 0 * * * *").unwrap()],
        instance: "test".into(),
    }
}

async fn ids(db: &TestDatabase, table: &str) -> Vec<String> {
    common::stored_ids(&db.client(), table).await
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_retention_check_purges_expired_weeks_and_records_what_it_did() {
    let db = TestDatabase::migrated().await;
    // Inserts drop rows already past their TTL; rows that expired after they were stored are
    // what the job meets. Without the TTL while inserting, and with it restored unmaterialized,
    // these rows are in that state.
    for table in ["events", "ai_referrals"] {
        db.client()
            .query("ALTER TABLE ? REMOVE TTL")
            .bind(clickhouse::sql::Identifier(table))
            .execute()
            .await
            .unwrap();
    }
    for (id, age, retention) in [("old", 200, 90), ("kept", 10, 90), ("pro", 200, 365)] {
        db.client()
            .query("INSERT INTO events (project_id, property_id, event_id, ts, retention_days) VALUES ('prj_a', 1, ?, now64(3) - toIntervalDay(?), ?)")
            .bind(id)
            .bind(age)
            .bind(retention)
            .execute()
            .await
            .unwrap();
    }
    db.client()
        .query("INSERT INTO ai_referrals (project_id, property_id, event_id, ts, ai_source) VALUES ('prj_a', 1, 'ref-old', now64(3) - INTERVAL 400 DAY, 'ChatGPT')")
        .execute()
        .await
        .unwrap();

    for (table, ttl) in [
        ("events", "toDateTime(ts) + toIntervalDay(retention_days)"),
        ("ai_referrals", "toDateTime(ts) + INTERVAL 365 DAY"),
    ] {
        db.client()
            .query(&format!("ALTER TABLE ? MODIFY TTL {ttl}"))
            .bind(clickhouse::sql::Identifier(table))
            .with_setting("materialize_ttl_after_modify", "0")
            .execute()
            .await
            .unwrap();
    }
    assert_eq!(
        ids(&db, "events").await.len(),
        3,
        "the expired row is stored"
    );

    let s = scheduler(&db, Box::new(RetentionCheck::default()));
    let run = s.run_once(&s.jobs[0]).await;
    assert_eq!(run.status, "success", "{}", run.message);
    assert_eq!(ids(&db, "events").await, ["kept", "pro"]);
    assert!(ids(&db, "ai_referrals").await.is_empty());
    assert!(
        run.rows_affected >= 2,
        "the expired rows were counted: {run:?}"
    );
    assert!(run.message.contains("none overdue"), "{}", run.message);
    assert!(run.next_run.is_some());

    let recorded: Vec<(String, String, u64)> = db
        .client()
        .query("SELECT job, status, rows_affected FROM job_runs")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        recorded,
        [(
            "retention_check".to_owned(),
            "success".to_owned(),
            run.rows_affected
        )]
    );
}

async fn insert_event(db: &TestDatabase, id: &str, ts: &str, processed_ms_ago: u32) {
    let sql = format!(
        "INSERT INTO events (project_id, property_id, event_id, ts, processed_at, event_type, retention_days)
         VALUES ('prj_a', 1, ?, {ts}, now64(3) - toIntervalMillisecond(?), {pageview}, 90)",
        pageview = sql_literal(EventType::Pageview),
    );
    db.client()
        .query(&sql)
        .bind(id)
        .bind(processed_ms_ago)
        .execute()
        .await
        .unwrap();
}

/// Active parts of a rollup's closed weeks.
async fn closed_parts(db: &TestDatabase, table: &str) -> u64 {
    db.client()
        .query(
            "SELECT count() FROM system.parts
             WHERE database = currentDatabase() AND table = ? AND active
               AND partition_id IN (SELECT _partition_id FROM ? WHERE ? < toMonday(now()))",
        )
        .bind(table)
        .bind(clickhouse::sql::Identifier(table))
        .bind(clickhouse::sql::Identifier(
            stream_processors::jobs::rollups::time_column(table),
        ))
        .fetch_one()
        .await
        .unwrap()
}

async fn all_closed_parts(db: &TestDatabase) -> u64 {
    let mut total = 0;
    for table in stream_processors::jobs::rollups::ROLLUPS {
        total += closed_parts(db, table).await;
    }
    total
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn rollup_maintenance_merges_closed_weeks_and_fails_when_the_rollup_disagrees() {
    let db = TestDatabase::migrated().await;
    let last_hour = "toStartOfHour(now()) - INTERVAL 30 MINUTE";
    let two_weeks_ago = "now64(3) - INTERVAL 14 DAY";
    insert_event(&db, "a", last_hour, 0).await;
    insert_event(&db, "b", last_hour, 0).await;
    insert_event(&db, "c", two_weeks_ago, 0).await;
    insert_event(&db, "d", two_weeks_ago, 0).await;
    assert_eq!(
        closed_parts(&db, "traffic_hourly").await,
        2,
        "one part per insert"
    );
    let before = all_closed_parts(&db).await;

    let s = scheduler(&db, Box::new(RollupMaintenance::default()));
    let run = s.run_once(&s.jobs[0]).await;
    assert_eq!(run.status, "success", "{}", run.message);
    let after = all_closed_parts(&db).await;
    assert_eq!(run.parts_affected, before - after, "{}", run.message);
    assert_eq!(run.rows_affected, 2, "events in the last 24 closed hours");
    assert_eq!(closed_parts(&db, "traffic_hourly").await, 1);

    // The same event stored twice (a replay without the rollup rebuild): events keeps one, the
    // rollup counted both.
    insert_event(&db, "a", last_hour, 5).await;
    let run = s.run_once(&s.jobs[0]).await;
    assert_eq!(run.status, "failed");
    assert!(
        run.message.contains("traffic_hourly counts 3") && run.message.contains("holds 2"),
        "{}",
        run.message
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_ip_range_refresh_loads_files_and_urls_into_the_verifier_and_keeps_ranges_a_source_fails_on(
) {
    let db = TestDatabase::migrated().await;
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("ranges.tsv");
    std::fs::write(&tsv, "agent\tcidr\nExampleBot\t198.51.100.0/24\n").unwrap();
    let server = WebhookReceiver::start().await;
    server.reply_with(r#"{"prefixes":[{"ipv4Prefix":"192.0.2.0/24"}]}"#);
    let ranges = SharedIpRanges::new(IpRanges::shipped());
    let shipped_gptbot = "4.227.36.7".parse().ok();
    assert_eq!(
        ranges.verify("GPTBot", shipped_gptbot),
        Verification::Verified
    );

    let sources = vec![
        tsv.display().to_string().parse().unwrap(),
        format!("GPTBot={}", server.url).parse().unwrap(),
    ];
    let s = scheduler(&db, Box::new(IpRangeRefresh::new(sources, ranges.clone())));
    let run = s.run_once(&s.jobs[0]).await;
    assert_eq!(run.status, "success", "{}", run.message);
    assert_eq!(run.rows_affected, 2);
    assert_eq!(
        ranges.verify("ExampleBot", "198.51.100.7".parse().ok()),
        Verification::Verified
    );
    assert_eq!(
        ranges.verify("GPTBot", "192.0.2.5".parse().ok()),
        Verification::Verified
    );
    assert_eq!(
        ranges.verify("GPTBot", shipped_gptbot),
        Verification::Spoofed,
        "the published list replaces the agent's ranges"
    );
    assert_eq!(
        ranges.verify("ClaudeBot", "160.79.104.10".parse().ok()),
        IpRanges::shipped().verify("ClaudeBot", "160.79.104.10".parse().ok()),
        "agents without a source keep theirs"
    );

    // A source that is gone and one that lists nothing fail the run; GPTBot keeps what it had.
    let empty = dir.path().join("empty.tsv");
    std::fs::write(&empty, "agent\tcidr\n").unwrap();
    let missing = dir.path().join("missing.tsv");
    let sources = vec![
        missing.display().to_string().parse().unwrap(),
        format!("GPTBot={}", empty.display()).parse().unwrap(),
    ];
    let s = scheduler(&db, Box::new(IpRangeRefresh::new(sources, ranges.clone())));
    let run = s.run_once(&s.jobs[0]).await;
    assert_eq!(run.status, "failed");
    assert!(run.message.contains("missing.tsv"), "{}", run.message);
    assert_eq!(
        ranges.verify("GPTBot", "192.0.2.5".parse().ok()),
        Verification::Verified
    );
}

struct Counting(Arc<AtomicU32>);

impl Job for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn run<'a>(&'a self, _: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Outcome {
                rows: u64::from(n),
                ..Outcome::default()
            })
        })
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_scheduler_runs_each_job_at_start_then_on_schedule_until_stopped() {
    let db = TestDatabase::migrated().await;
    let runs = Arc::new(AtomicU32::new(0));
    let s = Scheduler {
        client: db.client(),
        jobs: vec![Scheduled::new(Box::new(Counting(runs.clone())), "* * * * * *").unwrap()],
        instance: "test".into(),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(s.run(stopped));
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    let n = runs.load(Ordering::SeqCst);
    assert!(n >= 2, "at start and at least once a second after: {n}");
    let recorded: Vec<(u64, bool)> = db
        .client()
        .query("SELECT rows_affected, assumeNotNull(next_run) > finished FROM job_runs WHERE job = 'counting' ORDER BY started")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(recorded.len() as u32, n);
    assert!(recorded.iter().all(|(_, later)| *later));
}
