//! Delivers alerts one after another from a queue, so a slow or failing webhook never holds up the
//! windows: each alert is posted to Slack (when configured), counted, logged on failure and
//! recorded in `alerts` with how its delivery went.

use clickhouse::Client;
use platform::slack::SlackWebhook;
use schemas::alerts::{slack_message, Alert};
use schemas::vocab::Vocabulary;
use tokio::sync::mpsc;

use super::store::{insert, AlertRow};
use crate::telemetry::{ALERTS_FAILED, ALERTS_SENT};

pub struct Notifier {
    pub slack: Option<SlackWebhook>,
    /// Where the dashboard is served; every message links to its health page.
    pub public_url: String,
    pub client: Client,
}

#[derive(Clone)]
pub struct AlertQueue(mpsc::UnboundedSender<Alert>);

impl AlertQueue {
    pub fn push(&self, alert: Alert) {
        if self.0.send(alert).is_err() {
            tracing::error!("alert queue closed; alert dropped");
        }
    }
}

impl Notifier {
    /// Starts the delivery task; it ends when every queue handle is dropped and the queue drained.
    pub fn start(self) -> (AlertQueue, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Alert>();
        let task = tokio::spawn(async move {
            while let Some(alert) = rx.recv().await {
                self.deliver(&alert).await;
            }
        });
        (AlertQueue(tx), task)
    }

    async fn deliver(&self, alert: &Alert) {
        let labels = [
            ("rule", alert.rule.as_str().to_owned()),
            ("state", alert.state.as_str().to_owned()),
        ];
        let row = match &self.slack {
            None => {
                tracing::warn!(rule = alert.rule.as_str(), scope = %alert.scope, state = alert.state.as_str(),
                    value = alert.value, "alert (no Slack webhook configured)");
                AlertRow::new(alert, false, 0, "no webhook configured".into())
            }
            Some(slack) => match slack.post(&slack_message(alert, &self.public_url)).await {
                Ok(attempts) => {
                    metrics::counter!(ALERTS_SENT, &labels).increment(1);
                    tracing::info!(rule = alert.rule.as_str(), scope = %alert.scope,
                        state = alert.state.as_str(), attempts, "alert sent");
                    AlertRow::new(alert, true, attempts, String::new())
                }
                // The error's text names no webhook URL: it is logged, stored and shown on
                // /admin/health.
                Err(error) => {
                    metrics::counter!(ALERTS_FAILED, &labels).increment(1);
                    tracing::error!(%error, rule = alert.rule.as_str(), scope = %alert.scope,
                        "alert not delivered to Slack");
                    AlertRow::new(alert, false, error.attempts(), error.to_string())
                }
            },
        };
        if let Err(error) = insert(&self.client, "alerts", &[row]).await {
            tracing::warn!(%error, "alert not recorded in ClickHouse");
        }
    }
}
