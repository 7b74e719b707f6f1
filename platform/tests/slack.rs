//! The webhook poster against a real local HTTP server.

use std::time::Duration;

use platform::slack::{SlackError, SlackWebhook};
use platform::test_support::webhook::WebhookReceiver;
use serde_json::json;

#[tokio::test]
async fn a_post_is_retried_after_server_errors_and_rate_limits_until_delivered() {
    let receiver = WebhookReceiver::start().await;
    receiver.answer_next(&[500, 429]);
    let hook = SlackWebhook::new(&receiver.url, 4, Duration::from_millis(10));
    let attempts = hook.post(&json!({"text": "hello"})).await.unwrap();
    assert_eq!(attempts, 3);
    let statuses: Vec<u16> = receiver.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 200]);
    assert_eq!(receiver.delivered(), vec![json!({"text": "hello"})]);
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_a_dead_endpoint_fails_after_every_attempt() {
    let receiver = WebhookReceiver::start().await;
    receiver.answer_next(&[404]);
    let hook = SlackWebhook::new(&receiver.url, 4, Duration::from_millis(10));
    match hook.post(&json!({"text": "x"})).await {
        Err(SlackError::Status {
            status: 404,
            attempts: 1,
            ..
        }) => {}
        other => panic!("expected one 404, got {other:?}"),
    }
    assert_eq!(receiver.received().len(), 1);

    let port = platform::test_support::free_port();
    let dead = SlackWebhook::new(
        &format!("http://127.0.0.1:{port}/hook"),
        3,
        Duration::from_millis(10),
    );
    match dead.post(&json!({"text": "x"})).await {
        Err(error @ SlackError::Transport { .. }) => assert_eq!(error.attempts(), 3),
        other => panic!("expected a transport error, got {other:?}"),
    }
}
