//! Posting to a Slack incoming webhook with retries. A failed post is returned, never panicked on:
//! alerting must not take the processor down with it.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("webhook answered {status} after {attempts} attempt(s): {body}")]
    Status {
        status: u16,
        body: String,
        attempts: u32,
    },
    #[error("webhook unreachable after {attempts} attempt(s): {error}")]
    Transport { error: String, attempts: u32 },
}

impl SlackError {
    pub fn attempts(&self) -> u32 {
        match self {
            SlackError::Status { attempts, .. } | SlackError::Transport { attempts, .. } => {
                *attempts
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct SlackWebhook {
    url: String,
    client: reqwest::Client,
    attempts: u32,
    first_backoff: Duration,
}

impl SlackWebhook {
    /// `attempts` ≥ 1; the wait doubles after each failed attempt, starting at `first_backoff`.
    pub fn new(url: &str, attempts: u32, first_backoff: Duration) -> Self {
        Self {
            url: url.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client without custom TLS settings builds"),
            attempts: attempts.max(1),
            first_backoff,
        }
    }

    /// Posts `message`; returns how many attempts it took. Transport errors, 429 and 5xx are
    /// retried; any other status will not change on retry and fails at once.
    pub async fn post(&self, message: &Value) -> Result<u32, SlackError> {
        let mut backoff = self.first_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.client.post(&self.url).json(message).send().await {
                Ok(response) if response.status().is_success() => return Ok(attempt),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = response.text().await.unwrap_or_default();
                    let error = SlackError::Status {
                        status,
                        body: body.chars().take(200).collect(),
                        attempts: attempt,
                    };
                    if status != 429 && status < 500 {
                        return Err(error);
                    }
                    if let Some(wait) = retry_after {
                        backoff = backoff.max(wait.min(Duration::from_secs(60)));
                    }
                    error
                }
                Err(error) => SlackError::Transport {
                    error: error.to_string(),
                    attempts: attempt,
                },
            };
            if attempt >= self.attempts {
                return Err(failure);
            }
            tracing::warn!(error = %failure, retry_in_ms = backoff.as_millis() as u64, "slack post failed");
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
}
