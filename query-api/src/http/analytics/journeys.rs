//! Journeys dashboard: session metrics (duration, pages per session, bounce rate), the top paths
//! as entry → exit page, and the latest sessions with each one's event sequence.

use std::collections::BTreeMap;

use actix_web::web;
use schemas::vocab::{Channel, Vocabulary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::ReportWindow;
use super::sessions;
use super::sql::{Param, Query, AI_SOURCE};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// Events listed per session: a journey longer than this is cut, and says so.
const EVENTS_PER_SESSION: usize = 50;

/// Rows read per session asked for when finding the newest sessions: each version of a session
/// is a row until merges collapse them.
const VERSIONS_SCANNED_PER_SESSION: i64 = 8;

/// The latest version of the sessions matching `condition`, newest first, as the list shows them.
fn latest(condition: &str) -> String {
    format!(
        "SELECT session_id, visitor_id, \
           formatDateTime(started_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS started, \
           round(duration_ms / 1000, 1) AS duration_seconds, pageviews, events, \
           {AI_SOURCE} AS source, channel, entry_url, exit_url, conversions \
         FROM sessions FINAL WHERE {condition} \
         ORDER BY opened_at DESC, session_id LIMIT {{limit:Int64}}"
    )
}

/// A session's id and opening (epoch milliseconds).
#[derive(Debug, Deserialize)]
struct Opened {
    session_id: String,
    opened_ms: i64,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct SessionMetrics {
    pub sessions: u64,
    pub avg_duration_seconds: f64,
    pub pages_per_session: f64,
    /// Share of sessions with at most one pageview, 0 to 1.
    pub bounce_rate: f64,
}

/// Sessions that entered and left on the same pages.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TopPath {
    pub entry: String,
    pub exit: String,
    pub sessions: u64,
    pub pages_per_session: f64,
    pub avg_duration_seconds: f64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SessionSummary {
    pub session_id: String,
    pub visitor_id: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub duration_seconds: f64,
    pub pageviews: u64,
    pub events: u64,
    /// The enabled AI source that sent the session, else `""`.
    pub source: String,
    /// How the visit came: never empty.
    pub channel: String,
    pub entry_url: String,
    pub exit_url: String,
    pub conversions: u64,
}

/// One event of a session, in order.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Step {
    /// RFC 3339 with milliseconds, UTC.
    pub at: String,
    pub event_type: String,
    pub name: String,
    pub path: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionJourney {
    #[serde(flatten)]
    pub session: SessionSummary,
    /// More events than listed happened in the session.
    pub truncated: bool,
    pub journey: Vec<Step>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JourneysReport {
    pub window: ReportWindow,
    pub metrics: SessionMetrics,
    pub top_paths: Vec<TopPath>,
    /// The latest sessions, newest first.
    pub sessions: Vec<SessionJourney>,
}

#[derive(Debug, Deserialize)]
struct SessionStep {
    session_id: String,
    #[serde(flatten)]
    step: Step,
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<JourneysReport>, ApiError> {
    let d = Dashboard::resolve(&principal, &path, query.into_inner(), &state)?;
    let ch = &state.clickhouse;
    let mut q = Query::scoped(&d);
    let cond = sessions::condition(&mut q, &d, "opened_at", "ai_source");

    let metrics = q.clone().sql(format!(
        "SELECT count() AS sessions, \
               ifNotFinite(round(avg(duration_ms) / 1000, 1), 0) AS avg_duration_seconds, \
               ifNotFinite(round(avg(pageviews), 2), 0) AS pages_per_session, \
               ifNotFinite(round(countIf(pageviews <= 1) / count(), 4), 0) AS bounce_rate \
             FROM sessions FINAL WHERE {cond}"
    ));
    let paths = q.clone().sql(format!(
        "SELECT path(entry_url) AS entry, path(exit_url) AS exit, count() AS sessions, \
               round(avg(pageviews), 2) AS pages_per_session, \
               round(avg(duration_ms) / 1000, 1) AS avg_duration_seconds \
             FROM sessions FINAL WHERE {cond} \
             GROUP BY entry, exit ORDER BY sessions DESC, entry, exit LIMIT {{limit:Int64}}"
    ));
    // The newest sessions without FINAL over the window: their ids from the newest rows (a
    // session's versions share its opening, so they sort together), then only their rows.
    let mut newest = q.clone().sql(format!(
        "SELECT session_id, toUnixTimestamp64Milli(opened_at) AS opened_ms FROM sessions \
         WHERE {cond} ORDER BY opened_at DESC, session_id LIMIT {{scan:Int64}}"
    ));
    newest.bind(
        "scan",
        Param::Int(i64::from(d.limit) * VERSIONS_SCANNED_PER_SESSION),
    );
    let (metrics, top_paths, newest) = futures::try_join!(
        metrics.one::<SessionMetrics>(ch),
        paths.rows::<TopPath>(ch),
        newest.rows::<Opened>(ch)
    )?;
    let mut picked: Vec<Opened> = Vec::new();
    for row in newest {
        if picked.last().map(|p| &p.session_id) != Some(&row.session_id)
            && picked.len() < d.limit as usize
        {
            picked.push(row);
        }
    }
    let mut l = q.clone();
    let latest_sql = if picked.len() >= d.limit as usize {
        l.bind(
            "ids",
            Param::List(picked.iter().map(|p| p.session_id.clone()).collect()),
        );
        l.bind(
            "opened_from",
            Param::Int(picked.iter().map(|p| p.opened_ms).min().unwrap_or_default()),
        );
        latest(&format!(
            "{cond} AND session_id IN {{ids:Array(String)}} \
             AND opened_at >= fromUnixTimestamp64Milli({{opened_from:Int64}})"
        ))
    } else {
        // Fewer sessions than asked in the rows read (few sessions, or many versions of each):
        // the whole window.
        latest(&cond)
    };
    let latest: Vec<SessionSummary> = l.sql(latest_sql).rows(ch).await?;

    let ids: Vec<String> = latest.iter().map(|s| s.session_id.clone()).collect();
    let mut sequences: BTreeMap<String, Vec<Step>> = BTreeMap::new();
    if !ids.is_empty() {
        let mut e = Query::scoped(&d);
        e.bind("ids", Param::List(ids));
        // A session's events may start before the window that holds its opening; widen by a day.
        let rows: Vec<SessionStep> = e
            .sql(format!(
                "SELECT session_id, formatDateTime(ts, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS at, \
                   event_type, name, path, title \
                 FROM events WHERE project_id = {{project:String}} \
                   AND session_id IN {{ids:Array(String)}} \
                   AND ts >= fromUnixTimestamp64Milli({{from:Int64}}) - INTERVAL 1 DAY \
                   AND ts < fromUnixTimestamp64Milli({{to:Int64}}) + INTERVAL 1 DAY \
                 ORDER BY session_id, ts, event_id \
                 LIMIT {EVENTS_PER_SESSION} BY session_id"
            ))
            .rows(ch)
            .await?;
        for row in rows {
            sequences.entry(row.session_id).or_default().push(row.step);
        }
    }
    let sessions = latest
        .into_iter()
        .map(|mut session| {
            let journey = sequences.remove(&session.session_id).unwrap_or_default();
            // Rows written before the channel was recorded read as direct visits.
            if session.channel.is_empty() {
                session.channel = Channel::Direct.as_str().to_owned();
            }
            SessionJourney {
                truncated: session.events > journey.len() as u64
                    && journey.len() >= EVENTS_PER_SESSION,
                session,
                journey,
            }
        })
        .collect();

    Ok(web::Json(JourneysReport {
        window: ReportWindow::from(&d.window),
        metrics,
        top_paths,
        sessions,
    }))
}
