//! Journeys dashboard: session metrics (duration, pages per session, bounce rate), the top paths
//! as entry → exit page, and the latest sessions with each one's event sequence.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use schemas::vocab::{Channel, Vocabulary};
use serde_json::{json, Value};

use super::request::{Dashboard, DashboardQuery};
use super::sessions;
use super::sql::{field, Param, Query, AI_SOURCE};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// Events listed per session: a journey longer than this is cut, and says so.
const EVENTS_PER_SESSION: usize = 50;

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
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
    let latest = q.clone().sql(format!(
        "SELECT session_id, visitor_id, \
               formatDateTime(started_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS started, \
               round(duration_ms / 1000, 1) AS duration_seconds, pageviews, events, \
               {AI_SOURCE} AS source, channel, entry_url, exit_url, conversions \
             FROM sessions FINAL WHERE {cond} \
             ORDER BY opened_at DESC, session_id LIMIT {{limit:Int64}}"
    ));
    let (metrics, paths, latest) =
        futures::try_join!(metrics.one(ch), paths.rows(ch), latest.rows(ch))?;

    let ids: Vec<String> = latest
        .iter()
        .filter_map(|s| s["session_id"].as_str().map(str::to_owned))
        .collect();
    let mut sequences: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if !ids.is_empty() {
        let mut e = Query::scoped(&d);
        e.bind("ids", Param::List(ids));
        // A session's events may start before the window that holds its opening; widen by a day.
        let rows = e
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
        for mut row in rows {
            let id = row["session_id"].as_str().unwrap_or_default().to_owned();
            if let Some(obj) = row.as_object_mut() {
                obj.remove("session_id");
            }
            sequences.entry(id).or_default().push(row);
        }
    }
    let sessions: Vec<Value> = latest
        .into_iter()
        .map(|mut s| {
            let id = s["session_id"].as_str().unwrap_or_default().to_owned();
            let events = sequences.remove(&id).unwrap_or_default();
            let total = s["events"].as_u64().unwrap_or(0);
            s["truncated"] =
                json!(total > events.len() as u64 && events.len() >= EVENTS_PER_SESSION);
            s["journey"] = Value::Array(events);
            // Rows written before the channel was recorded read as direct visits.
            if s["channel"].as_str().is_none_or(str::is_empty) {
                s["channel"] = json!(Channel::Direct.as_str());
            }
            s
        })
        .collect();

    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "metrics": {
            "sessions": field(&metrics, "sessions"),
            "avg_duration_seconds": field(&metrics, "avg_duration_seconds"),
            "pages_per_session": field(&metrics, "pages_per_session"),
            "bounce_rate": field(&metrics, "bounce_rate"),
        },
        "top_paths": paths,
        "sessions": sessions,
    })))
}
