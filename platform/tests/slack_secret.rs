//! The webhook URL is a secret, against a real local HTTP server. Its own test binary: the log
//! capture is a thread-local subscriber, and tests running beside it on other threads would
//! register the same call sites without one and could leave them disabled for it.

use std::time::Duration;

use platform::slack::{SlackError, SlackWebhook};
use platform::test_support::webhook::WebhookReceiver;
use serde_json::json;

/// The webhook's path is its secret: a marker there must not reach an error's text, its `Debug`
/// or a log line, whether the endpoint is unreachable or answers with a failure.
#[tokio::test]
async fn a_failing_webhook_never_shows_its_url_in_errors_or_logs() {
    const MARKER: &str = "SECRETMARKER123";
    let (logs, _guard) = platform::test_support::logs::CapturedLogs::on_this_thread();
    let port = platform::test_support::free_port();
    let dead = SlackWebhook::new(
        &format!("http://127.0.0.1:{port}/services/{MARKER}"),
        2,
        Duration::from_millis(10),
    );
    assert!(!format!("{dead:?}").contains(MARKER), "{dead:?}");
    let unreachable = dead.post(&json!({"text": "x"})).await.unwrap_err();
    assert!(
        matches!(unreachable, SlackError::Transport { .. }),
        "{unreachable:?}"
    );

    let receiver = WebhookReceiver::start().await;
    // A server that quotes what it was asked for must not smuggle the path back in.
    receiver.reply_with(&format!(
        "no hook at /services/T000/B000/{MARKER} ({MARKER})"
    ));
    receiver.answer_next(&[500, 500, 404]);
    let hook = SlackWebhook::new(
        &format!("{}/{MARKER}", receiver.url.replace("/test", "")),
        3,
        Duration::from_millis(10),
    );
    let failing = hook.post(&json!({"text": "x"})).await.unwrap_err();
    assert!(
        matches!(
            failing,
            SlackError::Status {
                status: 404,
                attempts: 3,
                ..
            }
        ),
        "{failing:?}"
    );

    for error in [&unreachable, &failing] {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(MARKER), "{text}");
        }
    }
    assert!(
        unreachable.to_string().contains("Connection refused")
            || unreachable.to_string().contains("connect"),
        "still says what went wrong: {unreachable}"
    );
    let logged = logs.text();
    assert!(
        logged.contains("slack post failed"),
        "retries are logged: {logged}"
    );
    assert!(!logged.contains(MARKER), "{logged}");
}
