//! Which AI sources a project counts: the catalog with each source's state; admins change it.
//! Attribution records every match whatever this says; dashboards count the enabled ones.

use actix_web::web;
use schemas::control::{Role, SetAiSources};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ai_catalog;
use crate::http::access;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// Every name of the referral catalog with whether the project counts it.
#[derive(Serialize, ToSchema)]
pub struct AiSourceList {
    pub ai_sources: Vec<AiSourceState>,
}

#[derive(Serialize, ToSchema)]
pub struct AiSourceState {
    pub name: &'static str,
    pub enabled: bool,
}

fn listing(enabled: &[&str]) -> web::Json<AiSourceList> {
    let ai_sources = ai_catalog::names()
        .iter()
        .map(|name| AiSourceState {
            name,
            enabled: enabled.contains(name),
        })
        .collect();
    web::Json(AiSourceList { ai_sources })
}

pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<AiSourceList>, ApiError> {
    let view = state.view();
    let project = access::project(&view, &principal, &path, Role::Member)?;
    let enabled = ai_catalog::enabled_for(&view, &project.id);
    Ok(listing(&enabled))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    /// Catalog names (any case); every other name is refused.
    enabled: Vec<String>,
}

pub async fn set(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<Enabled>,
    state: web::Data<ApiState>,
) -> Result<web::Json<AiSourceList>, ApiError> {
    let project_id = {
        let view = state.view();
        access::project(&view, &principal, &path, access::CONFIGURE_PROJECTS)?
            .id
            .clone()
    };
    let mut enabled = Vec::new();
    for name in &body.enabled {
        let known = ai_catalog::canonical(name).ok_or_else(|| {
            ApiError::invalid(
                "enabled",
                format!("{name:?} is not in the AI source catalog"),
            )
        })?;
        enabled.push(known.to_owned());
    }
    let command = SetAiSources {
        project_id,
        enabled,
    };
    let sources = state.writer.submit(&principal.user_id, &command).await?;
    let stored: Vec<&str> = sources
        .enabled
        .iter()
        .filter_map(|n| ai_catalog::canonical(n))
        .collect();
    Ok(listing(&stored))
}
