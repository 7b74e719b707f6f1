//! Content dashboard: the pages discovered on the project with their views, AI crawler hits and
//! AI referrals in the window, title and content type; sortable and filterable.

use actix_web::web;
use schemas::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::{ReportWindow, ServedFrom};
use super::sql::{page_counts, Param, Query};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// How the pages are ordered, most first; each sorts by the column of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentSort {
    #[default]
    Views,
    AiCrawlerHits,
    AiReferrals,
    LastSeen,
    FirstSeen,
}

/// The default first: the dashboard offers them in this order.
impl Vocabulary for ContentSort {
    const ALL: &'static [Self] = &[
        ContentSort::Views,
        ContentSort::AiCrawlerHits,
        ContentSort::AiReferrals,
        ContentSort::LastSeen,
        ContentSort::FirstSeen,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ContentSort::Views => "views",
            ContentSort::AiCrawlerHits => "ai_crawler_hits",
            ContentSort::AiReferrals => "ai_referrals",
            ContentSort::LastSeen => "last_seen",
            ContentSort::FirstSeen => "first_seen",
        }
    }
}

impl ContentSort {
    /// The column it orders by: the sorts are named after the answer's columns.
    fn column(self) -> &'static str {
        self.as_str()
    }

    /// How the dashboard names it.
    pub fn label(self) -> &'static str {
        match self {
            ContentSort::Views => "Most viewed",
            ContentSort::AiCrawlerHits => "Most read by AI crawlers",
            ContentSort::AiReferrals => "Most AI referrals",
            ContentSort::LastSeen => "Recently seen",
            ContentSort::FirstSeen => "Newest",
        }
    }
}

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
    pub sort: ContentSort,
    pub pages: Vec<Page>,
}

/// The sorts, as the `sort` parameter takes them.
pub(super) fn sorts() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ContentSort::ALL.iter().map(|s| s.as_str())))
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
        None => ContentSort::default(),
        Some(asked) => ContentSort::parse(asked).ok_or_else(|| {
            let names: Vec<&str> = ContentSort::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid("sort", format!("one of {}", names.join(", ")))
        })?,
    };
    let column = sort.column();
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
             ORDER BY {column} DESC, url LIMIT {{limit:Int64}} SETTINGS join_use_nulls = 1"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sort_is_offered_first() {
        assert_eq!(ContentSort::ALL[0], ContentSort::default());
    }

    #[test]
    fn every_sort_has_the_text_serde_gives_it_and_parses_back() {
        for sort in ContentSort::ALL {
            assert_eq!(serde_json::to_value(sort).unwrap(), sort.as_str());
            assert_eq!(ContentSort::parse(sort.as_str()), Some(*sort));
        }
    }
}
