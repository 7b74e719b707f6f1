//! Posting to a Slack incoming webhook with retries. A failed post is returned, never panicked on:
//! alerting must not take the processor down with it.
//!
//! The webhook's path is its credential (anyone holding it can post to the channel), so the URL
//! is kept in [`WebhookUrl`], which prints as its origin only, and errors are described from
//! their status or kind without the URL reqwest would otherwise print: they end up in stored
//! alerts, API answers and logs.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// What stands in for the secret part of a webhook URL wherever it would be shown.
pub const REDACTED: &str = "[redacted]";

/// A webhook URL whose `Debug` and `Display` show the scheme and host, never the path or query.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn new(url: &str) -> Self {
        Self(url.to_owned())
    }

    /// The full URL, for the request itself; nothing else should need it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces the URL, its path and its last segment (when long enough to be a token) in
    /// `text`: a reply body or an error chain may quote what it was sent.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(&self.0, REDACTED);
        if let Ok(url) = reqwest::Url::parse(&self.0) {
            let path = url.path();
            if let Some(query) = url.query() {
                text = text.replace(&format!("{path}?{query}"), REDACTED);
                text = text.replace(query, REDACTED);
            }
            if path.trim_matches('/').len() >= 4 {
                text = text.replace(path, REDACTED);
            }
            // Slack's token is the last segment; a reply may name it alone.
            if let Some(token) = path.rsplit('/').next().filter(|t| t.len() >= 8) {
                text = text.replace(token, REDACTED);
            }
        }
        text
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reqwest::Url::parse(&self.0) {
            Ok(url) => {
                let host = url.host_str().unwrap_or_default();
                match url.port() {
                    Some(port) => write!(f, "{}://{host}:{port}/{REDACTED}", url.scheme()),
                    None => write!(f, "{}://{host}/{REDACTED}", url.scheme()),
                }
            }
            Err(_) => f.write_str(REDACTED),
        }
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({self})")
    }
}

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
    url: WebhookUrl,
    client: reqwest::Client,
    attempts: u32,
    first_backoff: Duration,
}

impl SlackWebhook {
    /// `attempts` ≥ 1; the wait doubles after each failed attempt, starting at `first_backoff`.
    pub fn new(url: &str, attempts: u32, first_backoff: Duration) -> Self {
        Self {
            url: WebhookUrl::new(url),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client without custom TLS settings builds"),
            attempts: attempts.max(1),
            first_backoff,
        }
    }

    pub fn url(&self) -> &WebhookUrl {
        &self.url
    }

    /// Posts `message`; returns how many attempts it took. Transport errors, 429 and 5xx are
    /// retried; any other status will not change on retry and fails at once.
    pub async fn post(&self, message: &Value) -> Result<u32, SlackError> {
        let mut backoff = self.first_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .client
                .post(self.url.expose())
                .json(message)
                .send()
                .await;
            let failure = match sent {
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
                        body: self.url.scrub(&body.chars().take(200).collect::<String>()),
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
                    error: self.url.scrub(&describe(error)),
                    attempts: attempt,
                },
            };
            if attempt >= self.attempts {
                return Err(failure);
            }
            tracing::warn!(error = %failure, webhook = %self.url,
                retry_in_ms = backoff.as_millis() as u64, "slack post failed");
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
}

/// The error and its causes ("error sending request: client error (Connect): tcp connect
/// error: Connection refused"), without the URL reqwest's own `Display` appends.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://hooks.slack.com/services/T0/B0/SECRETMARKER123";

    #[test]
    fn a_webhook_url_shows_its_origin_only() {
        let url = WebhookUrl::new(URL);
        assert_eq!(url.to_string(), "https://hooks.slack.com/[redacted]");
        assert_eq!(
            format!("{url:?}"),
            "WebhookUrl(https://hooks.slack.com/[redacted])"
        );
        assert_eq!(
            WebhookUrl::new("http://127.0.0.1:9/x/SECRETMARKER123").to_string(),
            "http://127.0.0.1:9/[redacted]"
        );
        assert_eq!(
            WebhookUrl::new("not a url SECRETMARKER123").to_string(),
            REDACTED
        );
        let hook = SlackWebhook::new(URL, 1, Duration::ZERO);
        assert!(!format!("{hook:?}").contains("SECRETMARKER123"), "{hook:?}");
    }

    #[test]
    fn quoted_urls_and_paths_are_scrubbed_from_error_text() {
        let url = WebhookUrl::new(URL);
        let scrubbed = url.scrub(&format!(
            "no such hook {URL}; path /services/T0/B0/SECRETMARKER123?x; token SECRETMARKER123"
        ));
        assert!(!scrubbed.contains("SECRETMARKER123"), "{scrubbed}");
        assert_eq!(url.scrub("no_service"), "no_service");
    }
}
