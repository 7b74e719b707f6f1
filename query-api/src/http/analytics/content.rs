//! Content dashboard: the pages discovered on the project with their views, AI crawler hits and
//! AI referrals in the window, title and content type; sortable and filterable.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::{ReportWindow, ServedFrom};
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

/// A page of the project: what the window counted on it, and what discovery knows of it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Page {
    pub url: String,
    pub path: String,
    pub content_type: String,
    pub views: u64,
    pub ai_crawler_hits: u64,
    pub ai_referrals: u64,
    pub title: String,
    /// RFC 3339, UTC.
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentReport {
    pub window: ReportWindow,
    pub served_from: ServedFrom,
    /// The sort applied.
    pub sort: &'static str,
    pub pages: Vec<Page>,
}

/// The sorts, as the `sort` parameter takes them.
pub(super) fn sorts() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(SORTS.iter().map(|(name, _)| *name)))
        .build()
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<ContentReport>, ApiError> {
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
    let pages = q
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
    Ok(web::Json(ContentReport {
        window: ReportWindow::from(&d.window),
        served_from: ServedFrom::rollup_if(rollup),
        sort,
        pages,
    }))
}
