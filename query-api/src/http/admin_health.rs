//! `/api/v1/admin/health` (platform admins): what `stream-processors health` recorded — the
//! latest 5-minute window globally and for the busiest properties, consumer lag, each job's last
//! run and next run, recent alerts — and the "send test alert" action, which posts the same
//! Slack message shape the processor sends.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use clickhouse::Row;
use schemas::alerts::{slack_message, Alert, AlertRule, AlertState};
use platform::slack::SlackWebhook;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::http::access::require_platform_admin;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Debug, Row, Deserialize, Serialize)]
struct WindowFigures {
    window_end_ms: i64,
    scope: String,
    property_id: u64,
    requests: u64,
    events: u64,
    errors: u64,
    error_rate: f64,
    p95_ms: f64,
    window_minutes: u16,
}

#[derive(Debug, Row, Deserialize, Serialize)]
struct Lag {
    group_id: String,
    topic: String,
    lag: u64,
    at_ms: i64,
}

#[derive(Debug, Row, Deserialize, Serialize)]
struct JobStatus {
    job: String,
    last_started_ms: i64,
    last_finished_ms: i64,
    last_status: String,
    last_rows_affected: u64,
    last_parts_affected: u64,
    last_message: String,
    next_run_ms: i64,
    last_success_ms: i64,
}

#[derive(Debug, Row, Deserialize, Serialize)]
struct RecentAlert {
    at_ms: i64,
    rule: String,
    scope: String,
    state: String,
    value: f64,
    threshold: f64,
    window: String,
    delivered: bool,
    error: String,
}

const WINDOW_COLUMNS: &str = "toInt64(toUnixTimestamp(window_end)) * 1000 AS window_end_ms, scope, property_id, requests, events, errors, error_rate, p95_ms, window_minutes";

pub async fn overview(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
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
    let jobs: Vec<JobStatus> = ch
        .query(
            "SELECT job,
                    toUnixTimestamp64Milli(max(started)) AS last_started_ms,
                    toUnixTimestamp64Milli(argMax(finished, started)) AS last_finished_ms,
                    argMax(status, started) AS last_status,
                    argMax(rows_affected, started) AS last_rows_affected,
                    argMax(parts_affected, started) AS last_parts_affected,
                    argMax(message, started) AS last_message,
                    ifNull(toUnixTimestamp64Milli(argMax(next_run, started)), 0) AS next_run_ms,
                    toUnixTimestamp64Milli(maxIf(finished, status = 'success')) AS last_success_ms
             FROM job_runs GROUP BY job ORDER BY job",
        )
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
    Ok(HttpResponse::Ok().json(json!({
        "window": global,
        "ingest_events_per_minute": ingest_per_minute,
        "properties": properties,
        "consumer_lag": lag,
        "jobs": jobs,
        "alerts": alerts,
        "slack_configured": state.config.slack_webhook_url.is_some(),
    })))
}

pub async fn test_alert(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
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
        Ok(attempts) => {
            Ok(HttpResponse::Ok().json(json!({ "delivered": true, "attempts": attempts })))
        }
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
