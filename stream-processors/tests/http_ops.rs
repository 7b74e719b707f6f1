//! The processor's ops endpoints on a real listener: liveness, readiness that follows the loop's
//! status, metrics, and a JSON 404 for anything else.

use std::sync::Arc;

use platform::control_follower::ControlHandle;
use schemas::control::ControlView;
use stream_processors::ops::server::{serve, OpsState};
use stream_processors::ops::status::Status;

async fn get(port: u16, path: &str) -> (u16, serde_json::Value) {
    let mut response = awc::Client::default()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .unwrap();
    let body = response.body().await.unwrap();
    (
        response.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

#[actix_rt::test]
async fn readiness_follows_the_pipeline_and_unknown_routes_are_json_404s() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let status = Arc::new(Status::default());
    let server = serve(
        listener,
        OpsState {
            status: status.clone(),
            control: Some(ControlHandle::fixed(ControlView::new())),
            prometheus: None,
        },
    )
    .unwrap();
    let handle = server.handle();
    actix_rt::spawn(server);

    assert_eq!(get(port, "/healthz").await.0, 200);
    let (code, body) = get(port, "/readyz").await;
    assert_eq!((code, &body["pipeline_writing"]), (503, &false.into()));

    status.started();
    status.set_lag(0, 12);
    status.set_assigned(vec![3, 0]);
    let (code, body) = get(port, "/readyz").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["lag"]["0"], 12);
    assert_eq!(
        body["partitions"],
        serde_json::json!([0, 3]),
        "the partitions it holds"
    );

    status.set_stalled(true);
    assert_eq!(get(port, "/readyz").await.0, 503);

    assert_eq!(get(port, "/metrics").await.0, 404);
    let (code, body) = get(port, "/nope").await;
    assert_eq!((code, body["error"].as_str()), (404, Some("not_found")));
    handle.stop(true).await;
}
