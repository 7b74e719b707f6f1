//! `/api/v1/admin/users`, for platform admins: every user with their organizations and roles,
//! the platform-admin flag and the last sign-in; invite by address (the user is created if new
//! and sent a sign-in link), grant or withdraw platform admin, deactivate and reactivate. The
//! rules (nobody deactivates themselves, one active platform admin stays) are the commands'.

use actix_web::{web, HttpResponse};
use schemas::control::{ControlView, Role, SetPlatformAdmin, SetUserActive, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access::require_platform_admin;
use crate::http::auth::links::{send_link, valid_email, LinkPurpose};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;
use crate::users::find_or_create;

#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// By e-mail address.
    pub users: Vec<UserEntry>,
}

/// A user as the admin page shows them.
#[derive(Serialize, ToSchema)]
pub struct UserEntry {
    pub id: String,
    pub email: String,
    pub name: String,
    pub platform_admin: bool,
    /// False once deactivated: no sign-in, session or token of theirs works.
    pub active: bool,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
    /// When they last followed a sign-in link.
    pub last_sign_in_at: Option<i64>,
    /// Invited but never signed in.
    pub pending: bool,
    /// Their active memberships, by organization name.
    pub organizations: Vec<UserOrganization>,
}

#[derive(Serialize, ToSchema)]
pub struct UserOrganization {
    pub organization_id: String,
    pub name: String,
    pub role: Role,
}

impl UserEntry {
    fn of(view: &ControlView, user: &User) -> Self {
        let mut organizations: Vec<UserOrganization> = view
            .memberships_of(&user.id)
            .filter(|m| m.active)
            .filter_map(|m| {
                let org = view.organization(&m.organization_id)?;
                Some(UserOrganization {
                    organization_id: org.id.clone(),
                    name: org.name.clone(),
                    role: m.role,
                })
            })
            .collect();
        organizations.sort_by(|a, b| a.name.cmp(&b.name));
        UserEntry {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            platform_admin: user.platform_admin,
            active: user.is_active(),
            created_at: user.created_at,
            deactivated_at: user.deactivated_at,
            last_sign_in_at: user.last_sign_in_at,
            pending: user.is_pending(),
            organizations,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserReply {
    pub user: UserEntry,
}

#[derive(Serialize, ToSchema)]
pub struct UserInvited {
    pub user: UserEntry,
    /// False when the address already had an account (it is sent a link all the same).
    pub created: bool,
    /// False when this address was sent too many links in the last minute; the earlier ones
    /// still work.
    pub link_sent: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserDeactivated {
    pub user: UserEntry,
    /// Their browser sessions this instance ended at once (the others refuse them at next use).
    pub sessions_ended: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInvitation {
    /// Any address: a user belongs to no organization until a member invitation adds them.
    #[schema(max_length = 254)]
    email: String,
    /// Used when the address is new.
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformAdminChange {
    platform_admin: bool,
}

/// The entry of `user_id` as the view has it now.
fn entry(state: &ApiState, user_id: &str) -> Result<UserEntry, ApiError> {
    let view = state.view();
    let user = view
        .user(user_id)
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(UserEntry::of(&view, user))
}

/// Platform admins only; then the user must exist.
fn admin_over(state: &ApiState, principal: &Principal, user_id: &str) -> Result<(), ApiError> {
    let view = state.view();
    require_platform_admin(&view, principal)?;
    view.user(user_id)
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("user"))
}

pub async fn list(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<web::Json<UserList>, ApiError> {
    let view = state.view();
    require_platform_admin(&view, &principal)?;
    let mut users: Vec<UserEntry> = view.users().map(|u| UserEntry::of(&view, u)).collect();
    users.sort_by(|a, b| a.email.cmp(&b.email));
    Ok(web::Json(UserList { users }))
}

/// Creates the user when the address is new and e-mails them a sign-in link either way.
pub async fn invite(
    principal: Principal,
    body: web::Json<UserInvitation>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = body.email.trim().to_lowercase();
    let existing = {
        let view = state.view();
        require_platform_admin(&view, &principal)?;
        if !valid_email(&email) {
            return Err(ApiError::invalid("email", "not an e-mail address"));
        }
        view.user_by_email(&email)
            .map(|u| (u.id.clone(), u.is_active()))
    };
    if let Some((_, false)) = existing {
        return Err(ApiError::new(
            actix_web::http::StatusCode::CONFLICT,
            "user_deactivated",
            "this user is deactivated; reactivate them to send a link",
        ));
    }
    let created = existing.is_none();
    let user_id = find_or_create(&state.writer, &principal.user_id, &email, body.name).await?;
    let link_sent = send_link(&state, &user_id, &email, LinkPurpose::Invitation).await;
    tracing::info!(created, link_sent, "user invited");
    Ok(HttpResponse::Created().json(UserInvited {
        user: entry(&state, &user_id)?,
        created,
        link_sent,
    }))
}

pub async fn set_platform_admin(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<PlatformAdminChange>,
    state: web::Data<ApiState>,
) -> Result<web::Json<UserReply>, ApiError> {
    let user_id = path.into_inner();
    admin_over(&state, &principal, &user_id)?;
    let command = SetPlatformAdmin {
        user_id: user_id.clone(),
        platform_admin: body.platform_admin,
    };
    state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(UserReply {
        user: entry(&state, &user_id)?,
    }))
}

/// Their sessions here end at once and their unfollowed links are forgotten; every request
/// checks the user too, so tokens and sessions elsewhere stop as soon as the view has it.
pub async fn deactivate(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<UserDeactivated>, ApiError> {
    let user_id = path.into_inner();
    admin_over(&state, &principal, &user_id)?;
    let command = SetUserActive {
        user_id: user_id.clone(),
        active: false,
    };
    state.writer.submit(&principal.user_id, &command).await?;
    state.auth.forget_links_of(&user_id);
    let sessions_ended = state.auth.end_sessions_of(&user_id);
    tracing::info!(sessions_ended, "user deactivated");
    Ok(web::Json(UserDeactivated {
        user: entry(&state, &user_id)?,
        sessions_ended,
    }))
}

/// Restores access with the memberships and tokens the user had; they sign in again.
pub async fn reactivate(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<UserReply>, ApiError> {
    let user_id = path.into_inner();
    admin_over(&state, &principal, &user_id)?;
    let command = SetUserActive {
        user_id: user_id.clone(),
        active: true,
    };
    state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(UserReply {
        user: entry(&state, &user_id)?,
    }))
}
