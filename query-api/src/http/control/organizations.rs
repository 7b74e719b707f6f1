//! Organizations: created by platform admins; visible to their members.

use actix_web::{web, HttpResponse};
use schemas::control::ids::new_id;
use schemas::control::{ChangePlan, CreateOrganization, Organization, Plan};
use serde::Deserialize;
use serde_json::json;

use crate::http::access::{self, is_platform_admin, require_platform_admin};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    name: String,
    domain: String,
    plan: Plan,
}

/// Retention per data type under the organization's plan.
fn data_policy(org: &Organization) -> serde_json::Value {
    json!({
        "events_days": org.plan.event_retention_days(),
        "crawler_hits_days": org.plan.event_retention_days(),
        "conversions_days": org.plan.event_retention_days(),
        "ai_referrals_days": 365,
        "sessions_days": 90,
    })
}

pub async fn create(
    principal: Principal,
    body: web::Json<NewOrganization>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    require_platform_admin(&state.view(), &principal)?;
    let body = body.into_inner();
    let command = CreateOrganization {
        id: new_id("org"),
        name: body.name,
        domain: body.domain,
        plan: body.plan,
    };
    let organization = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Created().json(json!({ "organization": organization })))
}

pub async fn list(principal: Principal, state: web::Data<ApiState>) -> HttpResponse {
    let view = state.view();
    let admin = is_platform_admin(&view, &principal);
    let mut organizations: Vec<serde_json::Value> = view
        .organizations()
        .filter_map(|org| {
            let role = principal.role_in(&view, &org.id);
            (admin || role.is_some()).then(|| json!({ "organization": org, "role": role }))
        })
        .collect();
    organizations.sort_by(|a, b| {
        a["organization"]["name"]
            .as_str()
            .cmp(&b["organization"]["name"].as_str())
    });
    HttpResponse::Ok().json(json!({ "organizations": organizations }))
}

pub async fn detail(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, schemas::control::Role::Member)?;
    Ok(HttpResponse::Ok().json(json!({
        "organization": org,
        "data_policy": data_policy(org),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    plan: Plan,
}

/// Plans are a platform decision; the new retention applies to data processed from now on.
pub async fn change_plan(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<NewPlan>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    {
        let view = state.view();
        // Outsiders learn nothing (404) before insiders learn they may not (403).
        access::organization(&view, &principal, &path, schemas::control::Role::Member)?;
        require_platform_admin(&view, &principal)?;
    }
    let command = ChangePlan {
        organization_id: path.into_inner(),
        plan: body.plan,
    };
    let organization = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Ok().json(json!({ "organization": organization })))
}
