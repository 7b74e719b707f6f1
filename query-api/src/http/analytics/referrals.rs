//! Referrals dashboard: sessions each enabled AI assistant sent over time, their landing pages,
//! and how AI visitors engage compared with everyone else.

use std::collections::BTreeMap;

use actix_web::web;
use schemas::vocab::{sql_literal, Vocabulary};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    Array, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::{fill, Bucket, Point, ReportWindow};
use super::sessions;
use super::sql::{bucket, Query, AI_SOURCE};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// Whom an engagement row is about: visitors an enabled AI source sent, or everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Ai,
    Other,
}

impl Vocabulary for Audience {
    const ALL: &'static [Self] = &[Audience::Ai, Audience::Other];

    fn as_str(self) -> &'static str {
        match self {
            Audience::Ai => "ai",
            Audience::Other => "other",
        }
    }
}

/// Sessions of each enabled source in a bucket, every source listed.
pub type SessionsBySource = BTreeMap<String, u64>;

fn series_by_source() -> Array {
    let point = ObjectBuilder::new()
        .property(
            "t",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("RFC 3339 with the viewer's offset")),
        )
        .required("t")
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        ));
    ArrayBuilder::new().items(point).build()
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SourceVisits {
    pub source: String,
    pub sessions: u64,
    pub visitors: u64,
    pub visits: u64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LandingPage {
    pub path: String,
    pub source: String,
    pub visits: u64,
    pub sessions: u64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Engagement {
    pub visitors_from: Audience,
    /// Whether the row is about AI-referred visitors.
    #[serde(default)]
    #[schema(required = true)]
    pub from_ai: bool,
    pub sessions: u64,
    pub avg_duration_seconds: f64,
    pub pages_per_session: f64,
    pub bounce_rate: f64,
    pub conversion_rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralsReport {
    pub window: ReportWindow,
    /// The enabled AI sources: the series' columns.
    pub sources: Vec<&'static str>,
    /// Every bucket: `t` and each enabled source's sessions.
    #[schema(schema_with = series_by_source)]
    pub series: Vec<Point<SessionsBySource>>,
    pub by_source: Vec<SourceVisits>,
    pub landing_pages: Vec<LandingPage>,
    /// AI-referred visitors first, then everyone else.
    pub engagement: Vec<Engagement>,
}

#[derive(Debug, Deserialize)]
struct SourceSessions {
    source: String,
    sessions: u64,
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<ReferralsReport>, ApiError> {
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
        "SELECT if({AI_SOURCE} != '', {ai}, {other}) AS visitors_from, count() AS sessions, \
               round(avg(duration_ms) / 1000, 1) AS avg_duration_seconds, \
               round(avg(pageviews), 2) AS pages_per_session, \
               round(countIf(pageviews <= 1) / count(), 4) AS bounce_rate, \
               round(countIf(conversions > 0) / count(), 4) AS conversion_rate \
             FROM sessions FINAL WHERE {cond} GROUP BY visitors_from ORDER BY visitors_from",
        ai = sql_literal(Audience::Ai),
        other = sql_literal(Audience::Other),
    ));

    let (per_bucket, by_source, landing_pages, mut engagement) = futures::try_join!(
        per_bucket.rows::<Bucket<SourceSessions>>(ch),
        by_source.rows::<SourceVisits>(ch),
        landing_pages.rows::<LandingPage>(ch),
        engagement.rows::<Engagement>(ch)
    )?;
    for row in &mut engagement {
        row.from_ai = row.visitors_from == Audience::Ai;
    }
    // One row per bucket with a column per enabled source, as stacked charts want it.
    let none: SessionsBySource = d.ai_sources.iter().map(|s| ((*s).to_owned(), 0)).collect();
    let mut wide: BTreeMap<i64, SessionsBySource> = BTreeMap::new();
    for row in per_bucket {
        let counts = wide.entry(row.t).or_insert_with(|| none.clone());
        if let Some(sessions) = counts.get_mut(&row.measures.source) {
            *sessions = row.measures.sessions;
        }
    }
    let wide = wide
        .into_iter()
        .map(|(t, measures)| Bucket { t, measures })
        .collect();

    Ok(web::Json(ReferralsReport {
        window: ReportWindow::from(&d.window),
        series: fill(&d.window, wide, &none),
        sources: d.ai_sources,
        by_source,
        landing_pages,
        engagement,
    }))
}
