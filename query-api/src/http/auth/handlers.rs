//! Sign-in by magic link, sign-out, and who am I.

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use schemas::control::{RecordSignIn, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::links::{send_link, valid_email, LinkPurpose};
use super::principal::{session_cookie_name, Credential, Principal};
use crate::http::access;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

#[derive(Deserialize, ToSchema)]
pub struct MagicLinkRequest {
    /// An address with a dotted domain (surrounding spaces and case do not matter).
    #[schema(
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*$",
        max_length = 254
    )]
    email: String,
}

/// The same for every address, known or not.
#[derive(Serialize, ToSchema)]
pub struct LinkSent {
    pub status: &'static str,
    pub message: &'static str,
}

/// Same answer whether or not the address has an account: nothing to enumerate.
pub async fn request_link(
    req: HttpRequest,
    body: web::Json<MagicLinkRequest>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(ApiError::invalid("email", "not an e-mail address"));
    }
    let ip = state
        .limits
        .client_ip(req.peer_addr().map(|a| a.ip()), req.headers());
    state.limits.sign_in(ip)?;
    // A deactivated user is sent nothing, with the same answer as for an unknown address.
    let user = state
        .view()
        .user_by_email(&email)
        .filter(|u| u.is_active())
        .map(|u| u.id.clone());
    // Over the address's limit nothing is sent, but the answer is the same and the links already
    // sent stay valid: requests for someone's address cannot lock them out, nor tell whether it
    // has an account. Only known addresses are counted, so made-up ones fill no table.
    if let Some(user_id) = user {
        send_link(&state, &user_id, &email, LinkPurpose::SignIn).await;
    }
    Ok(HttpResponse::Accepted().json(LinkSent {
        status: "sent",
        message:
            "if this address has an account, a sign-in link valid for 15 minutes is on its way",
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Callback {
    /// The single-use token of the sign-in link.
    token: String,
}

/// Following the link: a session cookie, then the dashboard.
pub async fn follow_link(
    request: HttpRequest,
    query: web::Query<Callback>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let user_id = state.auth.redeem_link(&query.token, now).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "invalid_link",
            "this sign-in link is unknown, used or expired; ask for a new one",
        )
    })?;
    admit(&state, &user_id)?;
    let device = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown browser");
    let (token, session) = state.auth.start_session(&user_id, device, now);
    // No Domain, Path=/ and (in production) Secure: what the `__Host-` name requires. The browser
    // may drop it at the absolute end; the server enforces both ends whatever the browser keeps.
    let cookie = Cookie::build(session_cookie_name(state.config.secure_cookies), token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .max_age(CookieAge::milliseconds(session.ends_at - now))
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .cookie(cookie)
        .finish())
}

/// Refuses a user deactivated since the link was sent, then records the sign-in in the control
/// plane (when the user last signed in; an invitation taken up) off the request: the redirect
/// does not wait for the broker, and a broker that is down keeps nobody out (the failure is
/// logged). `RecordSignIn` itself refuses a deactivated user, which closes the race with a
/// deactivation decided meanwhile; the session would be refused at its first use anyway.
fn admit(state: &web::Data<ApiState>, user_id: &str) -> Result<(), ApiError> {
    if state.view().active_user(user_id).is_none() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "user_deactivated",
            "this account is deactivated; a platform admin can reactivate it",
        ));
    }
    let state = state.clone();
    let command = RecordSignIn {
        user_id: user_id.to_owned(),
    };
    actix_web::rt::spawn(async move {
        if let Err(error) = state.writer.submit(&command.user_id, &command).await {
            tracing::warn!(%error, "recording a sign-in failed");
        }
    });
    Ok(())
}

pub async fn logout(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let Credential::Session { session_token, .. } = &principal.credential else {
        return Err(ApiError::forbidden(
            "an analyst token is revoked, not logged out",
        ));
    };
    state.auth.end_session(session_token);
    Ok(HttpResponse::NoContent().cookie(removal(&state)).finish())
}

/// How many sessions "sign out everywhere" ended.
#[derive(Serialize, ToSchema)]
pub struct SignedOutEverywhere {
    /// Every session of the user, this one included.
    pub sessions_ended: usize,
}

/// Ends every session of the signed-in user, on every device (a lost laptop, a shared computer).
/// Only a browser session may: an analyst token is revoked instead.
pub async fn logout_everywhere(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let Credential::Session { .. } = &principal.credential else {
        return Err(ApiError::forbidden(
            "an analyst token is revoked, not logged out",
        ));
    };
    let sessions_ended = state.auth.end_sessions_of(&principal.user_id);
    tracing::info!(sessions_ended, "signed out everywhere");
    Ok(HttpResponse::Ok()
        .cookie(removal(&state))
        .json(SignedOutEverywhere { sessions_ended }))
}

/// One of the user's sessions as their list shows it: no credential.
#[derive(Serialize, ToSchema)]
pub struct SessionEntry {
    pub id: String,
    pub device: String,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// The session this request came with.
    pub current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionEnded {
    pub id: String,
}

/// The id of the browser session behind `principal`, or 403 for an analyst token.
fn session_of(principal: &Principal) -> Result<&str, ApiError> {
    match &principal.credential {
        Credential::Session { session_id, .. } => Ok(session_id),
        _ => Err(ApiError::forbidden(
            "sessions belong to browsers; an analyst token is revoked instead",
        )),
    }
}

/// The signed-in user's live sessions: which devices, since when, last used when.
pub async fn sessions(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<web::Json<SessionList>, ApiError> {
    let current = session_of(&principal)?;
    let now = chrono::Utc::now().timestamp_millis();
    let sessions = state
        .auth
        .sessions_of(&principal.user_id, now)
        .into_iter()
        .map(|s| SessionEntry {
            current: s.id == current,
            id: s.id,
            device: s.device,
            started_at: s.started_at,
            last_seen_at: s.last_seen_at,
        })
        .collect();
    Ok(web::Json(SessionList { sessions }))
}

/// Ends one of the user's own sessions (another device's; the current one is `logout`).
pub async fn end_session(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<web::Json<SessionEnded>, ApiError> {
    session_of(&principal)?;
    let id = path.into_inner();
    if !state.auth.end_session_by_id(&principal.user_id, &id) {
        return Err(ApiError::not_found("session"));
    }
    Ok(web::Json(SessionEnded { id }))
}

/// Tells the browser to drop the session cookie, with the attributes it was set with (a
/// `__Host-` cookie is only replaced by one that is Secure with `Path=/`).
fn removal(state: &ApiState) -> Cookie<'static> {
    let mut gone = Cookie::build(session_cookie_name(state.config.secure_cookies), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .finish();
    gone.make_removal();
    gone
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: MeUser,
    /// Organizations the credential may act in, with the user's role there.
    pub organizations: Vec<MeOrganization>,
    /// Echo it as `X-CSRF-Token` on writes; none for an analyst token.
    pub csrf_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MeUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub platform_admin: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MeOrganization {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// May configure its projects: add properties and change their settings, create and revoke
    /// API keys, choose the AI sources.
    pub can_configure_projects: bool,
    /// May create projects in it.
    pub can_create_projects: bool,
    /// May invite members, change their roles and remove them (owners only for owners).
    pub can_manage_members: bool,
}

pub async fn me(
    principal: Principal,
    state: web::Data<ApiState>,
) -> Result<web::Json<Me>, ApiError> {
    let view = state.view();
    let user = view
        .user(&principal.user_id)
        .ok_or_else(ApiError::unauthenticated)?;
    let organizations = view
        .organizations()
        .filter_map(|org| {
            principal
                .role_in(&view, &org.id)
                .map(|role| MeOrganization {
                    id: org.id.clone(),
                    name: org.name.clone(),
                    role,
                    can_configure_projects: access::may(
                        &view,
                        &principal,
                        &org.id,
                        access::CONFIGURE_PROJECTS,
                    ),
                    can_create_projects: access::may(
                        &view,
                        &principal,
                        &org.id,
                        access::CREATE_PROJECTS,
                    ),
                    can_manage_members: access::may(&view, &principal, &org.id, Role::Admin),
                })
        })
        .collect();
    Ok(web::Json(Me {
        user: MeUser {
            id: user.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            platform_admin: principal.is_platform_admin(&view),
        },
        organizations,
        csrf_token: match &principal.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
            Credential::Token { .. } => None,
        },
    }))
}
