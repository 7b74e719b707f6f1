//! /api/v1/admin/health against the real engine, with a real local HTTP server as the Slack
//! webhook: platform admins see what the health processor recorded and can send a test alert;
//! nobody else can do either.

mod common;

use common::{acme_with_owner, call, sign_in, start_alerting, user, writer};
use platform::test_support::logs::CapturedLogs;
use platform::test_support::webhook::WebhookReceiver;
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;
use schemas::alerts::{AlertRule, AlertState};
use schemas::vocab::{sql_literal, JobStatus};

async fn test_alert(api: &common::Api, who: &(String, String)) -> common::Reply {
    call(
        api,
        who,
        Verb::Post,
        "/api/v1/admin/health/test-alert",
        None,
    )
    .await
}

async fn record_health(db: &TestDatabase) {
    let (success, failed) = (
        sql_literal(JobStatus::Success),
        sql_literal(JobStatus::Failed),
    );
    let (error_rate, firing) = (
        sql_literal(AlertRule::ErrorRate),
        sql_literal(AlertState::Firing),
    );
    for sql in [
        "INSERT INTO health_windows (window_end, scope, property_id, requests, events, errors, error_rate, p95_ms, window_minutes) VALUES
           (toStartOfMinute(now()) - INTERVAL 1 MINUTE, 'global', 0, 900, 1000, 9, 0.01, 40, 5),
           (toStartOfMinute(now()), 'global', 0, 1200, 1500, 30, 0.025, 180, 10),
           (toStartOfMinute(now()), 'property:7', 7, 700, 900, 28, 0.04, 210, 10),
           (toStartOfMinute(now()), 'property:8', 8, 500, 600, 2, 0.004, 20, 10)".to_owned(),
        "INSERT INTO consumer_lag (at, group_id, topic, lag) VALUES
           (now() - INTERVAL 2 MINUTE, 'optiview-loader', 'optiview.beacons.v1', 50),
           (now() - INTERVAL 1 MINUTE, 'optiview-loader', 'optiview.beacons.v1', 12)".to_owned(),
        format!("INSERT INTO job_runs (job, started, finished, status, rows_affected, parts_affected, message, next_run) VALUES
           ('retention_check', now64(3) - INTERVAL 2 HOUR, now64(3) - INTERVAL 119 MINUTE, {success}, 5, 1, 'fine', now64(3) - INTERVAL 1 HOUR),
           ('retention_check', now64(3) - INTERVAL 1 HOUR, now64(3) - INTERVAL 59 MINUTE, {failed}, 0, 0, 'boom', now64(3) + INTERVAL 1 MINUTE)"),
        format!("INSERT INTO alerts (at, rule, scope, state, value, threshold, window, delivered, attempts) VALUES
           (now64(3) - INTERVAL 3 MINUTE, {error_rate}, 'property:7', {firing}, 0.04, 0.01, '5 min ending …', true, 1)"),
    ] {
        db.client().query(&sql).execute().await.unwrap();
    }
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn platform_admins_see_the_health_figures_and_send_a_test_alert_and_owners_cannot() {
    CapturedLogs::process_wide();
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    record_health(&db).await;
    let receiver = WebhookReceiver::start().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start_alerting(control.clone(), db.client(), Some(receiver.url.clone()));
    let root = sign_in(&api, "root@optiview.dev").await;
    let (_, owner) = acme_with_owner(&api, &control, &root).await;

    let health = call(&api, &root, Verb::Get, "/api/v1/admin/health", None).await;
    assert_eq!(health.status, 200, "{}", health.json);
    let h = &health.json;
    assert_eq!(h["window"]["events"], 1500, "the latest global window");
    assert_eq!(h["window"]["p95_ms"], 180.0);
    assert_eq!(
        h["ingest_events_per_minute"], 150.0,
        "1,500 events over that window's 10 minutes"
    );
    let scopes: Vec<&str> = h["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["property:7", "property:8"], "busiest first");
    assert_eq!(h["consumer_lag"][0]["lag"], 12, "the latest sample");
    let job = &h["jobs"][0];
    assert_eq!(job["job"], "retention_check");
    assert_eq!(job["last_status"], "failed", "the last run's status");
    assert_eq!(job["last_message"], "boom");
    assert_eq!(job["last_succeeded"], false);
    assert!(job["next_run_ms"].as_i64().unwrap() > job["last_started_ms"].as_i64().unwrap());
    assert!(job["last_success_ms"].as_i64().unwrap() < job["last_started_ms"].as_i64().unwrap());
    assert_eq!(h["alerts"][0]["scope"], "property:7");
    assert_eq!(
        h["alerts"][0]["value_text"],
        AlertRule::ErrorRate.format(0.04),
        "figures in the rule's unit"
    );
    assert_eq!(h["slack_configured"], true);

    let denied = call(&api, &owner, Verb::Get, "/api/v1/admin/health", None).await;
    assert_eq!(denied.status, 403, "{}", denied.json);
    assert_eq!(denied.json["error"], "forbidden");
    let denied = test_alert(&api, &owner).await;
    assert_eq!(denied.status, 403);
    assert!(
        receiver.received().is_empty(),
        "nothing posted for an owner"
    );

    let sent = test_alert(&api, &root).await;
    assert_eq!(sent.status, 200, "{}", sent.json);
    assert_eq!(sent.json["delivered"], true);
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 1);
    let text = delivered[0].to_string();
    assert!(
        text.contains("Test alert") && text.contains("root@optiview.dev"),
        "{text}"
    );
    assert!(text.contains("http://api.test/admin/health"), "{text}");

    // Slack failing every attempt: a clear error, no pretence of delivery.
    receiver.answer_next(&[500, 500, 500]);
    let failed = test_alert(&api, &root).await;
    assert_eq!(failed.status, 502, "{}", failed.json);
    assert_eq!(failed.json["error"], "slack_unavailable");
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn without_a_webhook_the_test_alert_says_so() {
    CapturedLogs::process_wide();
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start_alerting(control.clone(), db.client(), None);
    let root = sign_in(&api, "root@optiview.dev").await;
    let empty = call(&api, &root, Verb::Get, "/api/v1/admin/health", None).await;
    assert_eq!(empty.status, 200, "{}", empty.json);
    assert!(empty.json["window"].is_null(), "no window recorded yet");
    assert_eq!(empty.json["jobs"], serde_json::json!([]));
    let answer = test_alert(&api, &root).await;
    assert_eq!(answer.status, 409, "{}", answer.json);
    assert_eq!(answer.json["error"], "slack_not_configured");
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_webhook_url_is_a_secret_no_answer_or_log_line_shows() {
    const MARKER: &str = "SECRETMARKER123";
    // Before any server starts: the API's worker threads log through the process-wide subscriber.
    let logs = CapturedLogs::process_wide();
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;

    // Slack answering 500 every time, quoting the path it was asked for.
    let receiver = WebhookReceiver::start().await;
    let hook = format!("{}/{MARKER}", receiver.url);
    receiver.reply_with(&format!(
        "no_service {}/{MARKER}",
        "/services/T000/B000/test"
    ));
    receiver.answer_next(&[500, 500, 500]);
    let api = start_alerting(control.clone(), db.client(), Some(hook));
    let root = sign_in(&api, "root@optiview.dev").await;
    let health = call(&api, &root, Verb::Get, "/api/v1/admin/health", None).await;
    assert_eq!(health.status, 200, "{}", health.json);
    assert_eq!(health.json["slack_configured"], true);
    assert!(!health.json.to_string().contains(MARKER), "{}", health.json);
    let failed = test_alert(&api, &root).await;
    assert_eq!(failed.status, 502, "{}", failed.json);
    assert_eq!(failed.json["error"], "slack_unavailable");
    assert!(
        failed.json.to_string().contains("500"),
        "says what Slack answered: {}",
        failed.json
    );
    assert!(!failed.json.to_string().contains(MARKER), "{}", failed.json);
    assert_eq!(receiver.received().len(), 3, "every attempt made");

    // Nothing listening: the transport error names no URL either.
    let port = platform::test_support::free_port();
    let dead = start_alerting(
        control.clone(),
        db.client(),
        Some(format!("http://127.0.0.1:{port}/services/{MARKER}")),
    );
    let root = sign_in(&dead, "root@optiview.dev").await;
    let unreachable = test_alert(&dead, &root).await;
    assert_eq!(unreachable.status, 502, "{}", unreachable.json);
    assert_eq!(unreachable.json["error"], "slack_unavailable");
    assert!(
        !unreachable.json.to_string().contains(MARKER),
        "{}",
        unreachable.json
    );

    let logged = logs.text();
    assert!(
        logged.contains("test alert not delivered"),
        "the failures are logged: {logged}"
    );
    assert!(!logged.contains(MARKER), "{logged}");
}
