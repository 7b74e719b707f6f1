//! `/metrics` exposes request counts by route and status, events and latency as a histogram
//! with buckets (own test binary: the Prometheus recorder is process-global).

mod common;

use std::sync::Arc;

use actix_web::web;
use common::*;
use ingest_edge::sink::MemorySink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use schemas::control::ControlView;

#[actix_web::test]
async fn metrics_count_requests_events_and_latency() {
    // The builder the collector installs (platform::telemetry::install_prometheus).
    let handle = platform::telemetry::prometheus_builder()
        .unwrap()
        .install_recorder()
        .unwrap();
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = web::Data::new(AppState::new(
        config(&[]),
        ControlHandle::fixed(view),
        Arc::new(MemorySink::default()),
        Some(handle),
    ));
    actix_web::rt::spawn(ingest_edge::server::serve(state, listener).unwrap());

    let client = awc::Client::default();
    let body = serde_json::to_vec(&envelope(
        &acme,
        serde_json::json!([pageview("https://acme.com/")]),
    ))
    .unwrap();
    let ok = client
        .post(format!("{base}/v1/collect"))
        .insert_header(("Content-Type", "text/plain"))
        .insert_header(("Origin", "https://acme.com"))
        .send_body(body)
        .await
        .unwrap();
    assert_eq!(ok.status(), 202);
    let bad = client
        .post(format!("{base}/v1/collect"))
        .insert_header(("Content-Type", "text/plain"))
        .send_body("{")
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let mut res = client.get(format!("{base}/metrics")).send().await.unwrap();
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(
        text.contains(r#"optiview_edge_requests_total{route="collect",status="202"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"optiview_edge_requests_total{route="collect",status="400"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("optiview_edge_events_accepted_total 1"),
        "{text}"
    );
    assert!(
        text.contains("optiview_edge_request_duration_seconds"),
        "{text}"
    );
    // A histogram, not a summary: buckets add up across collector instances, quantiles do not.
    assert!(
        text.contains(r#"optiview_edge_request_duration_seconds_bucket{route="collect",le="0.2"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"optiview_edge_request_duration_seconds_count{route="collect"} 2"#),
        "{text}"
    );
    assert!(!text.contains("quantile="), "{text}");
}
