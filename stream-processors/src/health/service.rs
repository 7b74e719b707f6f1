//! `stream-processors health` assembled: the processor, the alert delivery queue and the
//! maintenance scheduler, stopping together.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use platform::config::Validate;
use platform::slack::SlackWebhook;
use tokio::sync::watch;

use super::notify::Notifier;
use super::processor::HealthProcessor;
use crate::config::HealthConfig;
use crate::jobs::retention::RetentionCheck;
use crate::jobs::rollups::RollupMaintenance;
use crate::jobs::{Job, Scheduled, Scheduler};
use crate::ops::group_lag::{parse_groups, LagProbe};
use crate::ops::status::Status;

/// The jobs whose schedule is not empty.
pub fn scheduled_jobs(config: &HealthConfig) -> Result<Vec<Scheduled>, String> {
    let layout = config.clickhouse.layout().map_err(|e| e.to_string())?;
    let mut jobs = Vec::new();
    let wanted: [(Box<dyn Job>, &str); 2] = [
        (
            Box::new(RetentionCheck {
                layout: layout.clone(),
            }),
            &config.retention_schedule,
        ),
        (
            Box::new(RollupMaintenance { layout }),
            &config.rollup_schedule,
        ),
    ];
    for (job, schedule) in wanted {
        if !schedule.trim().is_empty() {
            jobs.push(Scheduled::new(job, schedule)?);
        }
    }
    Ok(jobs)
}

pub async fn run(
    config: HealthConfig,
    status: Arc<Status>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    config.validate()?;
    let client = config.clickhouse.client();
    let slack = config
        .slack_webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| {
            SlackWebhook::new(
                url,
                config.slack_attempts,
                Duration::from_millis(config.slack_backoff_ms),
            )
        });
    if slack.is_none() {
        tracing::warn!("no Slack webhook configured: alerts are logged and recorded only");
    }
    let (alerts, delivery) = Notifier {
        slack,
        public_url: config.public_url.clone(),
        client: client.clone(),
    }
    .start();
    let scheduler = Scheduler {
        client: client.clone(),
        jobs: scheduled_jobs(&config).map_err(anyhow::Error::msg)?,
        instance: format!("health@{}", std::process::id()),
    };
    let scheduling = tokio::spawn(scheduler.run(stop.clone()));
    let processor = HealthProcessor {
        consumer: platform::kafka::consumer_config(&config.brokers, &config.group).create()?,
        producer: platform::kafka::producer_config(&config.brokers).create()?,
        edge_stats_topic: config.edge_stats_topic.clone(),
        deadletter_topic: config.deadletter_topic.clone(),
        client,
        thresholds: config.thresholds(),
        window_minutes: config.window_minutes,
        alerts,
        settle: Duration::from_millis(config.settle_ms),
        tick: Duration::from_millis(config.tick_ms),
        lag: Arc::new(Mutex::new(LagProbe::new(
            &config.brokers,
            parse_groups(&config.lag_groups).map_err(anyhow::Error::msg)?,
        ))),
        brokers: config.brokers.clone(),
        group: config.group.clone(),
        stuck_after: config.watchdog.stuck_after(),
        rejoin_attempts: config.watchdog.rejoin_attempts,
        status,
    };
    let result = processor.run(stop).await;
    let _ = scheduling.await;
    // The processor held the queue's last sender: delivery drains what is queued, then ends.
    let _ = delivery.await;
    result
}
