//! The health tables of migration 0005: windows, consumer lag and alerts written; the alerts
//! fired recently and the jobs' last runs read back.

use chrono::{DateTime, TimeZone, Utc};
use clickhouse::{Client, Row};
use schemas::alerts::{Alert, AlertRule, AlertState};
use schemas::vocab::{sql_literal, JobStatus, Verification, Vocabulary};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Row, Serialize)]
pub struct WindowRow {
    #[serde(with = "clickhouse::serde::chrono::datetime")]
    pub window_end: DateTime<Utc>,
    pub scope: String,
    pub property_id: u64,
    pub requests: u64,
    pub events: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub p95_ms: f64,
    pub window_minutes: u16,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub evaluated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Row, Serialize)]
pub struct LagRow {
    #[serde(with = "clickhouse::serde::chrono::datetime")]
    pub at: DateTime<Utc>,
    pub group_id: String,
    pub topic: String,
    pub lag: u64,
}

#[derive(Debug, Clone, Row, Serialize)]
pub struct AlertRow {
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub at: DateTime<Utc>,
    pub rule: String,
    pub scope: String,
    pub state: String,
    pub value: f64,
    pub threshold: f64,
    pub window: String,
    pub delivered: bool,
    pub attempts: u8,
    pub error: String,
}

impl AlertRow {
    pub fn new(alert: &Alert, delivered: bool, attempts: u32, error: String) -> Self {
        Self {
            at: millis(alert.at_ms),
            rule: alert.rule.as_str().into(),
            scope: alert.scope.clone(),
            state: alert.state.as_str().into(),
            value: alert.value,
            threshold: alert.threshold,
            window: alert.window.clone(),
            delivered,
            attempts: attempts.min(255) as u8,
            error,
        }
    }
}

pub fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub async fn insert<T>(client: &Client, table: &str, rows: &[T]) -> clickhouse::error::Result<()>
where
    T: clickhouse::RowOwned + clickhouse::RowWrite,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client.insert::<T>(table).await?;
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await
}

#[derive(Debug, Row, Deserialize)]
struct Fired {
    rule: String,
    scope: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    last_at: DateTime<Utc>,
}

/// The last firing of each rule and scope since `since`: what a restarted processor must not
/// announce again within the deduplication period.
pub async fn recently_fired(
    client: &Client,
    since: DateTime<Utc>,
) -> clickhouse::error::Result<Vec<(AlertRule, String, i64)>> {
    let rows: Vec<Fired> = client
        .query(&format!(
            "SELECT rule, scope, max(at) AS last_at FROM alerts
             WHERE state = {firing} AND at >= fromUnixTimestamp64Milli(?)
             GROUP BY rule, scope",
            firing = sql_literal(AlertState::Firing)
        ))
        .bind(since.timestamp_millis())
        .fetch_all()
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let rule = AlertRule::parse(&r.rule)?;
            Some((rule, r.scope, r.last_at.timestamp_millis()))
        })
        .collect())
}

/// A job's history as the stall rule needs it.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct JobHistory {
    pub job: String,
    /// Milliseconds; 0 when it never succeeded.
    pub last_success_ms: i64,
    pub first_started_ms: i64,
}

pub async fn job_histories(client: &Client) -> clickhouse::error::Result<Vec<JobHistory>> {
    client
        .query(&format!(
            "SELECT job,
                    toUnixTimestamp64Milli(maxIf(finished, status = {success})) AS last_success_ms,
                    toUnixTimestamp64Milli(min(started)) AS first_started_ms
             FROM job_runs GROUP BY job ORDER BY job",
            success = sql_literal(JobStatus::Success)
        ))
        .fetch_all()
        .await
}

/// One project's hits of one operator (or of spoofed claims on one agent): in the surge window,
/// and over the baseline period before it.
#[derive(Debug, Clone, Row, Deserialize)]
pub struct SurgeCount {
    pub project_id: String,
    pub key: String,
    pub window_hits: u64,
    pub baseline_hits: u64,
}

/// What the surge rules judge: per project and operator, all crawler hits; per project and
/// claimed agent, the spoofed ones. Distinct event ids, so a replay's rows that replace older
/// ones (not merged yet) do not count twice. `window_start_ms` ends the baseline, which starts
/// `baseline_ms` earlier.
pub async fn surge_counts(
    client: &Client,
    now_ms: i64,
    window_ms: i64,
    baseline_ms: i64,
) -> clickhouse::error::Result<(Vec<SurgeCount>, Vec<SurgeCount>)> {
    let window_start = now_ms - window_ms;
    let baseline_start = window_start - baseline_ms;
    let query = |key: &str, only: &str| {
        format!(
            "SELECT project_id, {key} AS key,
                    uniqExactIf(event_id, ts >= fromUnixTimestamp64Milli(?)) AS window_hits,
                    uniqExactIf(event_id, ts < fromUnixTimestamp64Milli(?)) AS baseline_hits
             FROM crawler_hits
             WHERE ts >= fromUnixTimestamp64Milli(?) AND ts < fromUnixTimestamp64Milli(?)
               AND {key} != '' {only}
             GROUP BY project_id, key
             HAVING window_hits > 0
             ORDER BY project_id, key"
        )
    };
    let operators = client
        .query(&query("agent_operator", ""))
        .bind(window_start)
        .bind(window_start)
        .bind(baseline_start)
        .bind(now_ms)
        .fetch_all()
        .await?;
    let spoofed = client
        .query(&query(
            "agent_name",
            &format!("AND verification = {}", sql_literal(Verification::Spoofed)),
        ))
        .bind(window_start)
        .bind(window_start)
        .bind(baseline_start)
        .bind(now_ms)
        .fetch_all()
        .await?;
    Ok((operators, spoofed))
}
