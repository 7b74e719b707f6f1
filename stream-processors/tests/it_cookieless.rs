//! Cookieless mode end to end: the real collector (its clock a test clock) writes tag beacons that
//! carry no ids to the real broker; the real processors turn them into ClickHouse rows. Two page
//! views the same day are one visitor and one session; the same browser the next day is a new
//! visitor.

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Span, Utc};
use common::{loader, wait_for};
use ingest_edge::clock::ManualClock;
use ingest_edge::sink::KafkaSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::control::{ControlView, Permission, Plan, UpdateProperty};
use schemas::fixtures::{onboard, submit, Tenant};
use serde_json::json;
use tokio::sync::watch;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

fn edge_config(salts: &std::path::Path) -> ingest_edge::config::EdgeConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ingest_edge::config::EdgeConfig,
    }
    Cli::parse_from([
        "ingest-edge",
        "--ip-salt",
        "test-salt",
        "--cookieless-salt-dir",
        salts.to_str().unwrap(),
    ])
    .config
}

/// A page view as the cookieless tag sends it: no visitor id, no session id.
async fn page_view(edge: &str, t: &Tenant, path: &str, minutes_ago: i64) {
    let ts = (Utc::now() - Span::minutes(minutes_ago)).timestamp_millis();
    let body = json!({
        "key_id": t.key, "project_id": t.project, "property_id": t.property,
        "events": [{ "id": random_name("evt"), "type": "pageview", "ts": ts,
                     "url": format!("https://acme.com{path}"), "title": "Acme" }]
    });
    let mut res = awc::Client::default()
        .post(format!("{edge}/v1/collect"))
        .insert_header(("Content-Type", "text/plain;charset=UTF-8"))
        .insert_header(("Origin", "https://acme.com"))
        .insert_header(("User-Agent", FIREFOX))
        .send_body(body.to_string())
        .await
        .unwrap();
    let answer = res.body().await.unwrap();
    assert_eq!(res.status().as_u16(), 202, "{answer:?}");
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn two_page_views_in_a_day_are_one_session_and_the_next_day_is_a_new_visitor() {
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    let allow_subdomains = view.property(tenant.property).unwrap().allow_subdomains;
    submit(
        &mut view,
        UpdateProperty {
            property_id: tenant.property,
            active: true,
            allow_subdomains,
            honor_privacy_signals: false,
            cookieless: true,
        },
    )
    .unwrap();
    let topics = TestTopics::create(&[("beacons", 3), ("deadletter", 1), ("sessions", 3)]).await;
    let db = TestDatabase::migrated().await;

    let salts = tempfile::tempdir().unwrap();
    let producer: rdkafka::producer::FutureProducer =
        producer_config(&topics.brokers).create().unwrap();
    let sink = Arc::new(KafkaSink::new(
        producer,
        topics.name(0).to_owned(),
        Duration::from_secs(5),
        1_000,
    ));
    // Noon on the edge's clock, whatever the machine's: the first two views are surely one day.
    let noon = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let clock = Arc::new(ManualClock::new(noon));
    let state = AppState::new(
        edge_config(salts.path()),
        ControlHandle::fixed(view.clone()),
        sink,
        None,
    )
    .with_clock(clock.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let edge = format!("http://{}", listener.local_addr().unwrap());
    let server = ingest_edge::server::serve(actix_web::web::Data::new(state), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    page_view(&edge, &tenant, "/", 10).await;
    clock.advance(Span::minutes(5));
    page_view(&edge, &tenant, "/pricing", 5).await;
    // The next day on the edge's clock; the event itself is recent, within the same session
    // window, so only the visitor id can tell it apart.
    clock.advance(Span::days(1));
    page_view(&edge, &tenant, "/", 1).await;

    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(loader(&topics, db.client(), &view, &random_name("g")).run(stopped));
    assert_eq!(wait_for(&db.client(), "events", 3).await, 3);
    assert_eq!(wait_for(&db.client(), "sessions", 2).await, 2);
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    handle.stop(false).await;

    let sessions: Vec<(String, u32)> = db
        .client()
        .query("SELECT visitor_id, pageviews FROM sessions FINAL ORDER BY pageviews DESC")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let (first_day, second_day) = (&sessions[0], &sessions[1]);
    assert_eq!(first_day.1, 2, "two page views, one session: {sessions:?}");
    assert_eq!(second_day.1, 1);
    assert!(first_day.0.starts_with("cl-") && second_day.0.starts_with("cl-"));
    assert_ne!(first_day.0, second_day.0, "a day later, a new visitor");
    let visitors: u64 = db
        .client()
        .query("SELECT uniqExact(visitor_id) FROM events FINAL")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(visitors, 2);
}
