//! Organizations: created by platform admins; visible to their members.

use actix_web::{web, HttpResponse};
use schemas::control::ids::new_id;
use schemas::control::{ChangePlan, CreateOrganization, Organization, Plan, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access::{self, is_platform_admin, require_platform_admin};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    name: String,
    domain: String,
    plan: Plan,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationReply {
    pub organization: Organization,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationList {
    /// By name.
    pub organizations: Vec<OrganizationEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationEntry {
    pub organization: Organization,
    /// None for a platform admin who is not a member.
    pub role: Option<Role>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationDetail {
    pub organization: Organization,
    pub data_policy: DataPolicy,
}

/// Days each kind of data is kept under the organization's plan.
#[derive(Serialize, ToSchema)]
pub struct DataPolicy {
    pub events_days: u32,
    pub crawler_hits_days: u32,
    pub conversions_days: u32,
    pub ai_referrals_days: u32,
    pub sessions_days: u32,
}

impl DataPolicy {
    fn of(org: &Organization) -> Self {
        DataPolicy {
            events_days: org.plan.event_retention_days(),
            crawler_hits_days: org.plan.event_retention_days(),
            conversions_days: org.plan.event_retention_days(),
            ai_referrals_days: 365,
            sessions_days: 90,
        }
    }
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
    Ok(HttpResponse::Created().json(OrganizationReply { organization }))
}

pub async fn list(principal: Principal, state: web::Data<ApiState>) -> web::Json<OrganizationList> {
    let view = state.view();
    let admin = is_platform_admin(&view, &principal);
    let mut organizations: Vec<OrganizationEntry> = view
        .organizations()
        .filter_map(|org| {
            let role = principal.role_in(&view, &org.id);
            (admin || role.is_some()).then(|| OrganizationEntry {
                organization: org.clone(),
                role,
            })
        })
        .collect();
    organizations.sort_by(|a, b| a.organization.name.cmp(&b.organization.name));
    web::Json(OrganizationList { organizations })
}

pub async fn detail(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<OrganizationDetail>, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    Ok(web::Json(OrganizationDetail {
        organization: org.clone(),
        data_policy: DataPolicy::of(org),
    }))
}

#[derive(Deserialize, ToSchema)]
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
) -> Result<web::Json<OrganizationReply>, ApiError> {
    {
        let view = state.view();
        // Outsiders learn nothing (404) before insiders learn they may not (403).
        access::organization(&view, &principal, &path, Role::Member)?;
        require_platform_admin(&view, &principal)?;
    }
    let command = ChangePlan {
        organization_id: path.into_inner(),
        plan: body.plan,
    };
    let organization = state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(OrganizationReply { organization }))
}
