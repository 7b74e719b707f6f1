//! Conversions dashboard: count, value and rate by AI source under both attribution models — the
//! session's own AI source, and the visitor's last AI touch within the lookback.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::request::{Dashboard, DashboardQuery};
use super::sessions;
use super::sql::{ai_source_of, count_where, field, Query, AI_SOURCE};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let d = Dashboard::resolve(&principal, &path, query.into_inner(), &state)?;
    let ch = &state.clickhouse;
    // Conversions are keyed by session like referrals; the AI source filter means the session's.
    let mut q = Query::scoped(&d);
    let cond = sessions::condition(&mut q, &d, "ts", "session_ai_source");
    let mut s = Query::scoped(&d);
    let session_cond = sessions::condition(&mut s, &d, "opened_at", "ai_source");

    let sessions_by_source = s.sql(format!(
        "SELECT {AI_SOURCE} AS source, count() AS sessions FROM sessions FINAL \
         WHERE {session_cond} GROUP BY source"
    ));
    let totals = q.clone().sql(format!(
        "SELECT count() AS conversions, round(sum(ifNull(value, 0)), 2) AS value \
         FROM conversions WHERE {cond} AND ts >= now() - toIntervalDay(retention_days)"
    ));
    let by_model = |column: &str| {
        q.clone().sql(format!(
            "SELECT {} AS source, count() AS conversions, \
               round(sum(ifNull(value, 0)), 2) AS value \
             FROM conversions WHERE {cond} AND ts >= now() - toIntervalDay(retention_days) \
             GROUP BY source ORDER BY conversions DESC, source",
            ai_source_of(column)
        ))
    };
    let (session_model, touch_model) = (
        by_model("session_ai_source"),
        by_model("last_touch_ai_source"),
    );
    let (sessions_by_source, totals, session_model, touch_model) = futures::try_join!(
        sessions_by_source.rows(ch),
        totals.one(ch),
        session_model.rows(ch),
        touch_model.rows(ch)
    )?;
    let sessions_of = |source: &str| count_where(&sessions_by_source, "source", source, "sessions");
    let all_sessions: u64 = sessions_by_source
        .iter()
        .filter_map(|r| r["sessions"].as_u64())
        .sum();

    let mut models = serde_json::Map::new();
    for (model, rows) in [("session", session_model), ("last_ai_touch", touch_model)] {
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|mut r| {
                let source = r["source"].as_str().unwrap_or_default().to_owned();
                let sessions = sessions_of(&source);
                let conversions = r["conversions"].as_u64().unwrap_or(0);
                r["sessions"] = json!(sessions);
                // Conversions per session the source sent; null when it sent none in the window.
                r["rate"] = if sessions == 0 {
                    Value::Null
                } else {
                    json!(conversions as f64 / sessions as f64)
                };
                r
            })
            .collect();
        models.insert(model.to_owned(), Value::Array(rows));
    }
    let conversions = totals["conversions"].as_u64().unwrap_or(0);
    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "totals": {
            "conversions": field(&totals, "conversions"),
            "value": field(&totals, "value"),
            "sessions": all_sessions,
            "rate": if all_sessions == 0 { Value::Null } else { json!(conversions as f64 / all_sessions as f64) },
        },
        "by_model": models,
    })))
}
