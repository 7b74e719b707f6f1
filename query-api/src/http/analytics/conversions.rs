//! Conversions dashboard: count, value and rate by AI source under both attribution models — the
//! session's own AI source, and the visitor's last AI touch within the lookback.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::ReportWindow;
use super::sessions;
use super::sql::{ai_source_of, Query, AI_SOURCE};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionTotals {
    pub conversions: u64,
    pub value: f64,
    /// Sessions opened in the window.
    pub sessions: u64,
    /// Conversions per session; none without sessions.
    pub rate: Option<f64>,
}

/// An attributed source's conversions (`""`: not from an enabled AI source).
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceConversions {
    pub source: String,
    pub conversions: u64,
    pub value: f64,
    /// Sessions the source sent in the window.
    pub sessions: u64,
    /// Conversions per session the source sent; none when it sent none.
    pub rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttributionModels {
    /// Credited to the AI source that started the conversion's session.
    pub session: Vec<SourceConversions>,
    /// Credited to the visitor's last AI referral within the lookback.
    pub last_ai_touch: Vec<SourceConversions>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionsReport {
    pub window: ReportWindow,
    pub totals: ConversionTotals,
    pub by_model: AttributionModels,
}

#[derive(Debug, Deserialize)]
struct SourceSessions {
    source: String,
    sessions: u64,
}

#[derive(Debug, Default, Deserialize)]
struct Converted {
    #[serde(default)]
    source: String,
    conversions: u64,
    value: f64,
}

fn rate(conversions: u64, sessions: u64) -> Option<f64> {
    (sessions != 0).then(|| conversions as f64 / sessions as f64)
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<ConversionsReport>, ApiError> {
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
        sessions_by_source.rows::<SourceSessions>(ch),
        totals.one::<Converted>(ch),
        session_model.rows::<Converted>(ch),
        touch_model.rows::<Converted>(ch)
    )?;
    let sessions_of = |source: &str| {
        sessions_by_source
            .iter()
            .find(|r| r.source == source)
            .map_or(0, |r| r.sessions)
    };
    let all_sessions: u64 = sessions_by_source.iter().map(|r| r.sessions).sum();
    let credited = |rows: Vec<Converted>| -> Vec<SourceConversions> {
        rows.into_iter()
            .map(|r| {
                let sessions = sessions_of(&r.source);
                SourceConversions {
                    rate: rate(r.conversions, sessions),
                    source: r.source,
                    conversions: r.conversions,
                    value: r.value,
                    sessions,
                }
            })
            .collect()
    };
    Ok(web::Json(ConversionsReport {
        window: ReportWindow::from(&d.window),
        totals: ConversionTotals {
            conversions: totals.conversions,
            value: totals.value,
            sessions: all_sessions,
            rate: rate(totals.conversions, all_sessions),
        },
        by_model: AttributionModels {
            session: credited(session_model),
            last_ai_touch: credited(touch_model),
        },
    }))
}
