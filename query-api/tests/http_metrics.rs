//! `/metrics` on a real listener: Prometheus text with every request counted by route and
//! status, and latency as a histogram with explicit buckets.

mod common;

use common::{client, send, start_measured};
use query_api::http::telemetry::{REQUESTS, REQUEST_SECONDS};
use schemas::control::ControlView;

#[actix_rt::test]
async fn metrics_count_requests_by_route_and_time_them_in_buckets() {
    // This test binary is the only one installing the process-wide recorder.
    let prometheus = platform::telemetry::install_prometheus().unwrap();
    let api = start_measured(ControlView::new(), prometheus);
    let me = send(client().get(format!("{}/api/v1/me", api.base)), None).await;
    assert_eq!(me.status, 401);
    let mut metrics = client()
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = String::from_utf8(metrics.body().await.unwrap().to_vec()).unwrap();
    let counted = text.lines().any(|line| {
        line.starts_with(REQUESTS)
            && line.contains(r#"route="/api/v1/me""#)
            && line.contains(r#"status="401""#)
    });
    assert!(counted, "{text}");
    assert!(
        text.contains(&format!("{REQUEST_SECONDS}_bucket")),
        "latency is a histogram: {text}"
    );
    api.handle.stop(true).await;
}
