//! Content dashboard: the pages discovered on the project with their views, AI crawler hits and
//! AI referrals in the window, title and content type; sortable and filterable.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::request::{Dashboard, DashboardQuery};
use super::sql::{page_counts, Param, Query};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// Sort keys a request may name, each mapped to a fixed column.
const SORTS: [(&str, &str); 5] = [
    ("views", "views"),
    ("ai_crawler_hits", "ai_crawler_hits"),
    ("ai_referrals", "ai_referrals"),
    ("last_seen", "last_seen"),
    ("first_seen", "first_seen"),
];

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let d = Dashboard::resolve(&principal, &path, query.into_inner(), &state)?;
    let sort = match d.sort.as_deref() {
        None => "views",
        Some(asked) => SORTS
            .iter()
            .find(|(name, _)| *name == asked)
            .map(|(_, column)| *column)
            .ok_or_else(|| {
                ApiError::invalid(
                    "sort",
                    "one of views, ai_crawler_hits, ai_referrals, last_seen, first_seen",
                )
            })?,
    };
    let mut q = Query::scoped(&d);
    let rollup = d.window.hourly_rollup_fits();
    let mut having = String::new();
    if let Some(ct) = &d.content_type {
        having.push_str(" AND content_type = {content_type:String}");
        q.bind("content_type", Param::Text(ct.clone()));
    }
    if let Some(page) = &d.filters.page {
        having.push_str(" AND (path = {f_page:String} OR url = {f_page:String})");
        q.bind("f_page", Param::Text(page.clone()));
    }
    let counts = page_counts(rollup, "url");
    let rows = q
        .sql(format!(
            "SELECT c.url AS url, c.path AS path, c.content_type AS content_type, \
               toUInt64(c.views) AS views, toUInt64(c.ai_crawler_hits) AS ai_crawler_hits, \
               toUInt64(c.ai_referrals) AS ai_referrals, \
               ifNull(p.title, '') AS title, \
               formatDateTime(ifNull(p.first_seen, c.first_at), '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS first_seen, \
               formatDateTime(ifNull(p.last_seen, c.last_at), '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS last_seen \
             FROM ({counts}) AS c \
             LEFT JOIN ( \
               SELECT url, argMaxIfMerge(title) AS title, min(first_seen) AS first_seen, max(last_seen) AS last_seen \
               FROM pages WHERE project_id = {{project:String}} \
                 AND ({{property:Int64}} = 0 OR property_id = {{property:Int64}}) GROUP BY url \
             ) AS p ON p.url = c.url \
             WHERE 1{having} \
             ORDER BY {sort} DESC, url LIMIT {{limit:Int64}} SETTINGS join_use_nulls = 1"
        ))
        .rows(&state.clickhouse)
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "served_from": if rollup { "rollup" } else { "events" },
        "sort": sort,
        "pages": rows,
    })))
}
