//! `/api/v1/admin/health` (platform admins): what `stream-processors health` recorded — the
//! latest 5-minute window globally and for the busiest properties, consumer lag, each job's last
//! run and next run, recent alerts — and the "send test alert" action, which posts the same
//! Slack message shape the processor sends.

use std::time::Duration;

use actix_web::web;
use clickhouse::Row;
use platform::slack::SlackWebhook;
use schemas::alerts::{slack_message, Alert, AlertRule, AlertState};
use schemas::vocab::{sql_literal, JobStatus, Vocabulary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access::require_platform_admin;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// One health window of the collector, globally (`scope` `global`) or for one property.
#[derive(Debug, Row, Deserialize, Serialize, ToSchema)]
pub struct WindowFigures {
    pub window_end_ms: i64,
    pub scope: String,
    pub property_id: u64,
    pub requests: u64,
    pub events: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub p95_ms: f64,
    pub window_minutes: u16,
}

/// The latest lag sample of a consumer group on a topic.
#[derive(Debug, Row, Deserialize, Serialize, ToSchema)]
pub struct Lag {
    pub group_id: String,
    pub topic: String,
    pub lag: u64,
    pub at_ms: i64,
}

/// A scheduled job's latest run as `job_runs` recorded it.
#[derive(Debug, Row, Deserialize, Serialize, ToSchema)]
pub struct JobRun {
    pub job: String,
    pub last_started_ms: i64,
    pub last_finished_ms: i64,
    pub last_status: String,
    pub last_rows_affected: u64,
    pub last_parts_affected: u64,
    pub last_message: String,
    pub next_run_ms: i64,
    pub last_success_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobReport {
    #[serde(flatten)]
    pub run: JobRun,
    /// Whether the last run succeeded, so a reader need not know the status names.
    pub last_succeeded: bool,
}

/// An alert the health processor raised or resolved.
#[derive(Debug, Row, Deserialize, Serialize, ToSchema)]
pub struct RecentAlert {
    pub at_ms: i64,
    pub rule: String,
    pub scope: String,
    pub state: String,
    pub value: f64,
    pub threshold: f64,
    pub window: String,
    pub delivered: bool,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertReport {
    #[serde(flatten)]
    pub alert: RecentAlert,
    /// The rule as a person names it.
    pub rule_label: String,
    /// `value` and `threshold` in the rule's unit, as the Slack message shows them.
    pub value_text: String,
    pub threshold_text: String,
}

impl From<RecentAlert> for AlertReport {
    fn from(alert: RecentAlert) -> Self {
        let rule = AlertRule::parse(&alert.rule);
        let text = |v: f64| rule.map_or_else(|| v.to_string(), |r| r.format(v));
        AlertReport {
            rule_label: rule.map_or_else(|| alert.rule.clone(), |r| rule_label(r).to_owned()),
            value_text: text(alert.value),
            threshold_text: text(alert.threshold),
            alert,
        }
    }
}

fn rule_label(rule: AlertRule) -> &'static str {
    match rule {
        AlertRule::ErrorRate => "Error rate",
        AlertRule::LatencyP95 => "p95 latency",
        AlertRule::CronStall => "Job stalled",
        AlertRule::ConsumerLag => "Consumer lag growing",
        AlertRule::NoConsumer => "No consumer",
        AlertRule::CrawlSurge => "Crawl surge",
        AlertRule::SpoofedSurge => "Spoofed crawler surge",
        AlertRule::Test => "Test",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOverview {
    /// The latest global window; none before the health processor wrote one.
    pub window: Option<WindowFigures>,
    pub ingest_events_per_minute: f64,
    /// The busiest properties in that window.
    pub properties: Vec<WindowFigures>,
    pub consumer_lag: Vec<Lag>,
    pub jobs: Vec<JobReport>,
    pub alerts: Vec<AlertReport>,
    pub slack_configured: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestAlertSent {
    pub delivered: bool,
    /// Posts it took (Slack is retried with backoff).
    pub attempts: u32,
}

const WINDOW_COLUMNS: &str = "toInt64(toUnixTimestamp(window_end)) * 1000 AS window_end_ms, scope, property_id, requests, events, errors, error_rate, p95_ms, window_minutes";

pub async fn overview(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<web::Json<HealthOverview>, ApiError> {
    require_platform_admin(&state.view(), &principal)?;
    let ch = &state.clickhouse;
    let global: Option<WindowFigures> = ch
        .query(&format!(
            "SELECT {WINDOW_COLUMNS} FROM health_windows FINAL
             WHERE scope = 'global' ORDER BY window_end DESC LIMIT 1"
        ))
        .fetch_optional()
        .await
        .map_err(ApiError::internal)?;
    let properties: Vec<WindowFigures> = match &global {
        None => Vec::new(),
        Some(g) => ch
            .query(&format!(
                "SELECT {WINDOW_COLUMNS} FROM health_windows FINAL
                 WHERE scope != 'global' AND toInt64(toUnixTimestamp(window_end)) * 1000 = ?
                 ORDER BY events DESC, property_id LIMIT 10"
            ))
            .bind(g.window_end_ms)
            .fetch_all()
            .await
            .map_err(ApiError::internal)?,
    };
    let lag: Vec<Lag> = ch
        .query(
            "SELECT group_id, topic, argMax(lag, at) AS lag,
                    toInt64(toUnixTimestamp(max(at))) * 1000 AS at_ms
             FROM consumer_lag GROUP BY group_id, topic ORDER BY group_id, topic",
        )
        .fetch_all()
        .await
        .map_err(ApiError::internal)?;
    let jobs: Vec<JobRun> = ch
        .query(&format!(
            "SELECT job,
                    toUnixTimestamp64Milli(max(started)) AS last_started_ms,
                    toUnixTimestamp64Milli(argMax(finished, started)) AS last_finished_ms,
                    argMax(status, started) AS last_status,
                    argMax(rows_affected, started) AS last_rows_affected,
                    argMax(parts_affected, started) AS last_parts_affected,
                    argMax(message, started) AS last_message,
                    ifNull(toUnixTimestamp64Milli(argMax(next_run, started)), 0) AS next_run_ms,
                    toUnixTimestamp64Milli(maxIf(finished, status = {success})) AS last_success_ms
             FROM job_runs GROUP BY job ORDER BY job",
            success = sql_literal(JobStatus::Success),
        ))
        .fetch_all()
        .await
        .map_err(ApiError::internal)?;
    let alerts: Vec<RecentAlert> = ch
        .query(
            "SELECT toUnixTimestamp64Milli(at) AS at_ms, rule, scope, state, value, threshold,
                    window, delivered, error
             FROM alerts ORDER BY at DESC LIMIT 20",
        )
        .fetch_all()
        .await
        .map_err(ApiError::internal)?;
    let ingest_per_minute = global
        .as_ref()
        .map(|g| g.events as f64 / f64::from(g.window_minutes.max(1)))
        .unwrap_or(0.0);
    Ok(web::Json(HealthOverview {
        window: global,
        ingest_events_per_minute: ingest_per_minute,
        properties,
        consumer_lag: lag,
        jobs: jobs
            .into_iter()
            .map(|run| JobReport {
                last_succeeded: JobStatus::parse(&run.last_status) == Some(JobStatus::Success),
                run,
            })
            .collect(),
        alerts: alerts.into_iter().map(AlertReport::from).collect(),
        slack_configured: state.config.slack_webhook_url.is_some(),
    }))
}

pub async fn test_alert(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<web::Json<TestAlertSent>, ApiError> {
    let email = {
        let view = state.view();
        require_platform_admin(&view, &principal)?;
        view.user(&principal.user_id)
            .map(|u| u.email.clone())
            .unwrap_or_default()
    };
    let Some(url) = state.config.slack_webhook_url.as_deref() else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "slack_not_configured",
            "no Slack webhook is configured (OPTIVIEW_SLACK_WEBHOOK_URL)",
        ));
    };
    let alert = Alert {
        rule: AlertRule::Test,
        scope: "test".into(),
        state: AlertState::Test,
        value: 0.0,
        threshold: 0.0,
        window: format!("sent from /admin/health by {email}"),
        condition: String::new(),
        at_ms: chrono::Utc::now().timestamp_millis(),
    };
    let hook = SlackWebhook::new(url, 3, Duration::from_millis(500));
    match hook
        .post(&slack_message(&alert, &state.config.public_url))
        .await
    {
        Ok(attempts) => Ok(web::Json(TestAlertSent {
            delivered: true,
            attempts,
        })),
        // A SlackError's text never carries the webhook URL (its path is the credential), so it
        // may be logged and answered.
        Err(error) => {
            tracing::warn!(%error, "test alert not delivered");
            Err(ApiError::new(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "slack_unavailable",
                format!("Slack did not take the test alert: {error}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rule: &str) -> RecentAlert {
        RecentAlert {
            at_ms: 0,
            rule: rule.to_owned(),
            scope: "property:7".into(),
            state: AlertState::Firing.as_str().into(),
            value: 0.04,
            threshold: 0.01,
            window: String::new(),
            delivered: true,
            error: String::new(),
        }
    }

    #[test]
    fn alerts_carry_their_figures_in_the_rules_unit_and_a_label() {
        let report = AlertReport::from(alert(AlertRule::ErrorRate.as_str()));
        assert_eq!(report.value_text, AlertRule::ErrorRate.format(0.04));
        assert_eq!(report.threshold_text, AlertRule::ErrorRate.format(0.01));
        assert_eq!(report.rule_label, rule_label(AlertRule::ErrorRate));
        // A rule this build does not know (a newer processor) still reads sensibly.
        let unknown = AlertReport::from(alert("disk_full"));
        assert_eq!(
            (unknown.rule_label.as_str(), unknown.value_text.as_str()),
            ("disk_full", "0.04")
        );
    }
}
