//! People of an organization. The organization's domain vouches for them: an invited address must
//! be on that domain (or a subdomain of it) unless a platform admin explicitly allows another.
//! Admins invite members and admins; only owners (and platform admins) make, change or remove
//! owners, and the last owner stays: `SetMembership` refuses otherwise (403 `owner_required`,
//! 409 `last_owner`), so the admin CLI is held to the same rule.

use actix_web::{web, HttpResponse};
use schemas::control::{Membership, Role, SetMembership};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::access::{self, is_platform_admin};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;
use crate::users::find_or_create;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    email: String,
    name: String,
    role: Role,
    /// Honoured for platform admins only.
    #[serde(default)]
    allow_outside_domain: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MembershipReply {
    pub membership: Membership,
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    /// Active members only.
    pub members: Vec<Member>,
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Invited but never signed in: the invitation is still open.
    pub pending: bool,
    pub last_sign_in_at: Option<i64>,
    /// A platform admin deactivated the account: the membership stays, but nothing of theirs
    /// works until they are reactivated.
    pub deactivated: bool,
}

fn on_domain(email: &str, domain: &str) -> bool {
    email
        .rsplit_once('@')
        .map(|(_, host)| host.to_lowercase())
        .is_some_and(|host| host == domain || host.ends_with(&format!(".{domain}")))
}

pub async fn invite(
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<Invitation>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = body.email.trim().to_lowercase();
    let organization_id = {
        let view = state.view();
        let least = if body.role == Role::Owner {
            Role::Owner
        } else {
            Role::Admin
        };
        let org = access::organization(&view, &principal, &path, least)?;
        let outside_allowed = body.allow_outside_domain && is_platform_admin(&view, &principal);
        if !on_domain(&email, &org.domain) && !outside_allowed {
            return Err(ApiError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("email: must be an address on {}", org.domain),
            ));
        }
        org.id.clone()
    };
    let user_id = find_or_create(&state.writer, &principal.user_id, &email, body.name).await?;
    let command = SetMembership {
        organization_id,
        user_id,
        role: body.role,
        active: true,
    };
    let membership = state.writer.submit(&principal.user_id, &command).await?;
    Ok(HttpResponse::Created().json(MembershipReply { membership }))
}

pub async fn list(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<MemberList>, ApiError> {
    let view = state.view();
    let org = access::organization(&view, &principal, &path, Role::Member)?;
    let members = view
        .members_of(&org.id)
        .filter(|m| m.active)
        .filter_map(|m| {
            let user = view.user(&m.user_id)?;
            Some(Member {
                user_id: user.id.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
                role: m.role,
                pending: user.is_pending(),
                last_sign_in_at: user.last_sign_in_at,
                deactivated: !user.is_active(),
            })
        })
        .collect();
    Ok(web::Json(MemberList { members }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    role: Role,
}

/// The member's current role, for a caller allowed to manage members of the organization;
/// outsiders learn nothing (404 for the organization, as everywhere).
fn current_role(
    state: &ApiState,
    principal: &Principal,
    organization_id: &str,
    user_id: &str,
) -> Result<Role, ApiError> {
    let view = state.view();
    access::organization(&view, principal, organization_id, Role::Member)?;
    let current = view
        .role_of(user_id, organization_id)
        .ok_or_else(|| ApiError::not_found("member"))?;
    // Managing members takes an admin; whether an owner may be touched is `SetMembership`'s
    // rule (403 `owner_required`, 409 `last_owner`), the same for every way in.
    access::organization(&view, principal, organization_id, Role::Admin)?;
    Ok(current)
}

/// A member's new role, within the same rules as an invitation.
pub async fn change_role(
    principal: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<RoleChange>,
    state: web::Data<ApiState>,
) -> Result<web::Json<MembershipReply>, ApiError> {
    let (organization_id, user_id) = path.into_inner();
    let role = body.into_inner().role;
    current_role(&state, &principal, &organization_id, &user_id)?;
    let command = SetMembership {
        organization_id,
        user_id,
        role,
        active: true,
    };
    let membership = state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(MembershipReply { membership }))
}

/// Ends a membership; the user keeps their account and other organizations.
pub async fn remove(
    principal: Principal,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<web::Json<MembershipReply>, ApiError> {
    let (organization_id, user_id) = path.into_inner();
    let role = current_role(&state, &principal, &organization_id, &user_id)?;
    let command = SetMembership {
        organization_id,
        user_id,
        role,
        active: false,
    };
    let membership = state.writer.submit(&principal.user_id, &command).await?;
    Ok(web::Json(MembershipReply { membership }))
}

#[cfg(test)]
mod tests {
    use super::on_domain;

    #[test]
    fn addresses_on_the_domain_or_its_subdomains_only() {
        assert!(on_domain("ada@acme.com", "acme.com"));
        assert!(on_domain("ada@eu.acme.com", "acme.com"));
        assert!(!on_domain("ada@notacme.com", "acme.com"));
        assert!(!on_domain("ada@acme.com.evil.io", "acme.com"));
        assert!(!on_domain("acme.com", "acme.com"));
    }
}
