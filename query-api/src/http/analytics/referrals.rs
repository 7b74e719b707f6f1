//! Referrals dashboard: sessions each enabled AI assistant sent over time, their landing pages,
//! and how AI visitors engage compared with everyone else.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::request::{Dashboard, DashboardQuery};
use super::series::fill;
use super::sessions;
use super::sql::{bucket, Query, AI_SOURCE};
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
    let mut q = Query::scoped(&d);
    let visits = sessions::condition(&mut q, &d, "ts", "ai_source");
    let visits = format!("{visits} AND {AI_SOURCE} != ''");

    let per_bucket = q.clone().sql(format!(
        "SELECT {} AS t, {AI_SOURCE} AS source, uniq(session_id) AS sessions \
             FROM ai_referrals WHERE {visits} GROUP BY t, source ORDER BY t",
        bucket("ts", d.window.interval.unit())
    ));
    let by_source = q.clone().sql(format!(
        "SELECT {AI_SOURCE} AS source, uniq(session_id) AS sessions, \
               uniq(visitor_id) AS visitors, count() AS visits \
             FROM ai_referrals WHERE {visits} GROUP BY source ORDER BY sessions DESC, source"
    ));
    let landing_pages = q.clone().sql(format!(
        "SELECT path, {AI_SOURCE} AS source, count() AS visits, uniq(session_id) AS sessions \
             FROM ai_referrals WHERE {visits} \
             GROUP BY path, source ORDER BY visits DESC, path, source LIMIT {{limit:Int64}}"
    ));
    let mut s = Query::scoped(&d);
    let cond = sessions::condition(&mut s, &d, "opened_at", "ai_source");
    let engagement = s.sql(format!(
        "SELECT if({AI_SOURCE} != '', 'ai', 'other') AS visitors_from, count() AS sessions, \
               round(avg(duration_ms) / 1000, 1) AS avg_duration_seconds, \
               round(avg(pageviews), 2) AS pages_per_session, \
               round(countIf(pageviews <= 1) / count(), 4) AS bounce_rate, \
               round(countIf(conversions > 0) / count(), 4) AS conversion_rate \
             FROM sessions FINAL WHERE {cond} GROUP BY visitors_from ORDER BY visitors_from"
    ));

    let (per_bucket, by_source, landing_pages, mut engagement) = futures::try_join!(
        per_bucket.rows(ch),
        by_source.rows(ch),
        landing_pages.rows(ch),
        engagement.rows(ch)
    )?;
    for row in &mut engagement {
        row["from_ai"] = json!(row["visitors_from"] == "ai");
    }
    // One row per bucket with a column per source, as stacked charts want it.
    let mut wide: std::collections::BTreeMap<i64, serde_json::Map<String, Value>> =
        Default::default();
    for row in &per_bucket {
        let (Some(t), Some(source)) = (row["t"].as_i64(), row["source"].as_str()) else {
            continue;
        };
        let entry = wide.entry(t).or_default();
        entry.insert("t".into(), json!(t));
        entry.insert(source.to_owned(), row["sessions"].clone());
    }
    let wide: Vec<Value> = wide.into_values().map(Value::Object).collect();
    let series = fill(&d.window, &wide, &d.ai_sources);

    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "sources": d.ai_sources,
        "series": series,
        "by_source": by_source,
        "landing_pages": landing_pages,
        "engagement": engagement,
    })))
}
