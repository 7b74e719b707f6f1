//! What a principal may see and do in an organization. Outsiders get 404, not 403: another
//! tenant's ids do not reveal that they exist.

use schemas::control::{AnalystToken, ApiKey, ControlView, Organization, Project, Property, Role};
use schemas::vocab::Vocabulary;

use super::auth::principal::Principal;
use super::error::ApiError;

/// The least role that configures a project: its properties, their API keys, its AI sources.
pub const CONFIGURE_PROJECTS: Role = Role::Admin;
/// The least role that creates projects in an organization.
pub const CREATE_PROJECTS: Role = Role::Owner;

pub fn is_platform_admin(view: &ControlView, principal: &Principal) -> bool {
    principal.is_platform_admin(view)
}

pub fn require_platform_admin(view: &ControlView, principal: &Principal) -> Result<(), ApiError> {
    if is_platform_admin(view, principal) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only a platform admin may do this"))
    }
}

/// The organization, when the principal may act in it with at least `least` (platform admins may
/// act everywhere).
pub fn organization<'v>(
    view: &'v ControlView,
    principal: &Principal,
    organization_id: &str,
    least: Role,
) -> Result<&'v Organization, ApiError> {
    let org = view
        .organization(organization_id)
        .ok_or_else(|| ApiError::not_found("organization"))?;
    if is_platform_admin(view, principal) {
        return Ok(org);
    }
    match principal.role_in(view, organization_id) {
        None => Err(ApiError::not_found("organization")),
        Some(role) if role >= least => Ok(org),
        Some(_) => Err(ApiError::forbidden(format!(
            "needs the {} role in this organization",
            least.as_str()
        ))),
    }
}

/// Whether [`organization`] would let the principal act there with `least`: what the dashboard
/// is told so it offers only what the server allows.
pub fn may(view: &ControlView, principal: &Principal, organization_id: &str, least: Role) -> bool {
    organization(view, principal, organization_id, least).is_ok()
}

/// Outsiders are told the thing does not exist, whatever the organization check said.
fn hide_as(what: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |error| {
        if error.status == actix_web::http::StatusCode::NOT_FOUND {
            ApiError::not_found(what)
        } else {
            error
        }
    }
}

pub fn project<'v>(
    view: &'v ControlView,
    principal: &Principal,
    project_id: &str,
    least: Role,
) -> Result<&'v Project, ApiError> {
    let project = view
        .project(project_id)
        .ok_or_else(|| ApiError::not_found("project"))?;
    organization(view, principal, &project.organization_id, least).map_err(hide_as("project"))?;
    Ok(project)
}

pub fn property<'v>(
    view: &'v ControlView,
    principal: &Principal,
    property_id: i64,
    least: Role,
) -> Result<&'v Property, ApiError> {
    let property = view
        .property(property_id)
        .ok_or_else(|| ApiError::not_found("property"))?;
    project(view, principal, &property.project_id, least).map_err(hide_as("property"))?;
    Ok(property)
}

pub fn api_key<'v>(
    view: &'v ControlView,
    principal: &Principal,
    key_id: &str,
    least: Role,
) -> Result<&'v ApiKey, ApiError> {
    let key = view
        .api_key(key_id)
        .ok_or_else(|| ApiError::not_found("api key"))?;
    property(view, principal, key.property_id, least).map_err(hide_as("api key"))?;
    Ok(key)
}

/// A token its own user may manage; organization admins may too (to cut off a leaked one).
pub fn analyst_token<'v>(
    view: &'v ControlView,
    principal: &Principal,
    token_id: &str,
) -> Result<&'v AnalystToken, ApiError> {
    let token = view
        .analyst_token(token_id)
        .ok_or_else(|| ApiError::not_found("analyst token"))?;
    let least = if token.user_id == principal.user_id {
        Role::Member
    } else {
        Role::Admin
    };
    organization(view, principal, &token.organization_id, least)
        .map_err(|_| ApiError::not_found("analyst token"))?;
    Ok(token)
}
