//! What every dashboard endpoint takes: the project (path), an optional property, the window and
//! filters (query string). Resolving it checks access first, so another tenant's project is a 404
//! before any query runs, and fixes the project's enabled AI sources for the queries.

use actix_web::web;
use schemas::control::Role;
use schemas::vocab::{AgentClass, Vocabulary};
use serde::Deserialize;
use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

use super::content;
use super::window::{Interval, Window};
use crate::ai_catalog;
use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// The query string of every dashboard endpoint; unknown parameters are refused so a typo in a
/// filter name is an error, not a silently unfiltered chart.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Only this property of the project.
    #[param(nullable = false)]
    pub property: Option<i64>,
    /// Window start: RFC 3339, or a date (its midnight in `tz`). Default: 7 days before `to`.
    #[param(nullable = false, schema_with = instant_or_date)]
    pub from: Option<String>,
    /// Window end (exclusive): RFC 3339, or a date (inclusive: up to its end). Default: now.
    #[param(nullable = false, schema_with = instant_or_date)]
    pub to: Option<String>,
    /// IANA time zone for buckets and dates. Default: UTC.
    #[param(nullable = false)]
    pub tz: Option<String>,
    /// Bucket size. Default: hour up to 2 days, else day.
    #[param(nullable = false, inline)]
    pub interval: Option<Interval>,
    /// Filter: ISO country code.
    #[param(nullable = false)]
    pub country: Option<String>,
    /// Filter: desktop, mobile, tablet, …
    #[param(nullable = false)]
    pub device: Option<String>,
    /// Filter: browser family.
    #[param(nullable = false)]
    pub browser: Option<String>,
    /// Filter: agent class.
    #[param(nullable = false, schema_with = agent_classes)]
    pub class: Option<String>,
    /// Filter: AI source (an enabled one).
    #[param(nullable = false)]
    pub ai_source: Option<String>,
    /// Filter: a path or full URL.
    #[param(nullable = false)]
    pub page: Option<String>,
    /// Content: the sort, most first (default `views`).
    #[param(nullable = false, schema_with = content::sorts)]
    pub sort: Option<String>,
    /// Content: only pages of this content type.
    #[param(nullable = false)]
    pub content_type: Option<String>,
    /// Rows of top lists and session lists (default 20).
    #[param(nullable = false, minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// `from` and `to`: an RFC 3339 instant or a calendar date.
fn instant_or_date() -> Schema {
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(string(KnownFormat::DateTime))
            .item(string(KnownFormat::Date))
            .build(),
    )
}

/// The agent classes, as the `class` filter takes them.
fn agent_classes() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(AgentClass::ALL.iter().map(|c| c.as_str())))
        .build()
}

/// Equality filters on event dimensions, as the request gave them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub country: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub class: Option<String>,
    pub ai_source: Option<String>,
    /// A path (`/pricing`) or a full URL.
    pub page: Option<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// Only the filters the `traffic_hourly` rollup carries as columns.
    pub fn only_class_and_source(&self) -> bool {
        self.country.is_none()
            && self.device.is_none()
            && self.browser.is_none()
            && self.page.is_none()
    }
}

/// A resolved, authorized dashboard request.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub project_id: String,
    pub property_id: Option<u64>,
    pub window: Window,
    pub filters: Filters,
    /// Catalog spellings of the project's enabled AI sources; visits from others count as
    /// not AI-referred.
    pub ai_sources: Vec<&'static str>,
    pub limit: u32,
    pub sort: Option<String>,
    pub content_type: Option<String>,
}

const DEFAULT_LIMIT: u32 = 20;
/// As the `limit` parameter documents it.
const MAX_LIMIT: u32 = 200;

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Dashboard {
    pub fn resolve(
        principal: &Principal,
        project: &str,
        query: DashboardQuery,
        state: &web::Data<ApiState>,
    ) -> Result<Self, ApiError> {
        let view = state.view();
        let project = access::project(&view, principal, project, Role::Member)?;
        let property_id = match query.property {
            None => None,
            Some(id) => {
                let property = view
                    .property(id)
                    .filter(|p| p.project_id == project.id)
                    .ok_or_else(|| ApiError::not_found("property"))?;
                Some(u64::try_from(property.id).map_err(|_| ApiError::not_found("property"))?)
            }
        };
        let ai_sources = ai_catalog::enabled_for(&view, &project.id);
        let window = Window::parse(
            query.from.as_deref(),
            query.to.as_deref(),
            query.tz.as_deref(),
            query.interval,
            chrono::Utc::now(),
        )?;
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::invalid(
                "limit",
                format!("must be 1 to {MAX_LIMIT}"),
            ));
        }
        Ok(Dashboard {
            project_id: project.id.clone(),
            property_id,
            window,
            filters: Filters {
                country: non_empty(query.country),
                device: non_empty(query.device),
                browser: non_empty(query.browser),
                class: non_empty(query.class),
                ai_source: non_empty(query.ai_source),
                page: non_empty(query.page),
            },
            ai_sources,
            limit,
            sort: non_empty(query.sort),
            content_type: non_empty(query.content_type),
        })
    }
}
