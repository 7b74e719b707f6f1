//! `Principal`: the user behind a request, signed in by session cookie or by an analyst token
//! (`Authorization: Bearer ovt_…`). Handlers that take it are behind auth; it answers 401 without
//! live credentials, 403 for a cookie-authenticated write without the session's CSRF token, and
//! 403 for a write with a read-only token.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use schemas::control::ids::hash_secret;
use schemas::control::{ControlView, Role, TokenScope};

use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// The session cookie when cookies are `Secure`: browsers keep a `__Host-` cookie only if it is
/// Secure, has `Path=/` and no `Domain`, so no other host (a sibling subdomain, a plain-HTTP
/// man in the middle) can set or overwrite it.
pub const SESSION_COOKIE: &str = "__Host-optiview_session";
/// The session cookie over plain-HTTP localhost (`--insecure-cookies`), where a `__Host-` cookie
/// would be refused for lacking `Secure`.
pub const INSECURE_SESSION_COOKIE: &str = "optiview_session";

/// The one name the session cookie has with these settings; the other name is never read, so a
/// cookie planted without the prefix's guarantees signs nobody in.
pub const fn session_cookie_name(secure_cookies: bool) -> &'static str {
    if secure_cookies {
        SESSION_COOKIE
    } else {
        INSECURE_SESSION_COOKIE
    }
}
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session: `csrf_token` guards its writes; the cookie value lets logout end it.
    Session {
        csrf_token: String,
        session_token: String,
        /// The session's public id (its entry in the user's list of sessions).
        session_id: String,
    },
    /// An analyst token: bound to one organization, never platform-admin powers.
    Token {
        token_id: String,
        organization_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub credential: Credential,
}

impl Principal {
    /// The organization a token is bound to; `None` for a browser session.
    pub fn token_organization(&self) -> Option<&str> {
        match &self.credential {
            Credential::Token {
                organization_id, ..
            } => Some(organization_id),
            Credential::Session { .. } => None,
        }
    }

    /// The user's role in an organization as this credential may use it: a token sees only its
    /// own organization.
    pub fn role_in(&self, view: &ControlView, organization_id: &str) -> Option<Role> {
        match self.token_organization() {
            Some(bound) if bound != organization_id => None,
            _ => view.role_of(&self.user_id, organization_id),
        }
    }

    /// Platform-admin powers come with a browser session only.
    pub fn is_platform_admin(&self, view: &ControlView) -> bool {
        matches!(self.credential, Credential::Session { .. })
            && view.user(&self.user_id).is_some_and(|u| u.platform_admin)
    }

    /// For handlers that must not be reachable with a token (issuing tokens, logout).
    pub fn require_session(&self) -> Result<(), ApiError> {
        match self.credential {
            Credential::Session { .. } => Ok(()),
            Credential::Token { .. } => Err(ApiError::forbidden(
                "this needs a signed-in browser session, not an analyst token",
            )),
        }
    }
}

fn is_safe(req: &HttpRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn from_token(req: &HttpRequest, state: &ApiState, token: &str) -> Result<Principal, ApiError> {
    let view = state.view();
    let found = view
        .analyst_token_by_secret_hash(&hash_secret(token))
        .filter(|t| !t.revoked)
        // A token never outlives its user's membership, nor works while they are deactivated.
        .filter(|t| view.role_of(&t.user_id, &t.organization_id).is_some())
        .filter(|t| view.active_user(&t.user_id).is_some())
        .ok_or_else(ApiError::unauthenticated)?;
    if !is_safe(req) && found.scope == TokenScope::Read {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this analyst token is read-only",
        ));
    }
    Ok(Principal {
        user_id: found.user_id.clone(),
        credential: Credential::Token {
            token_id: found.id.clone(),
            organization_id: found.organization_id.clone(),
        },
    })
}

fn from_cookie(req: &HttpRequest, state: &ApiState) -> Result<Principal, ApiError> {
    let cookie = req
        .cookie(session_cookie_name(state.config.secure_cookies))
        .ok_or_else(ApiError::unauthenticated)?;
    let now = chrono::Utc::now().timestamp_millis();
    let session = state
        .auth
        .session(cookie.value(), now)
        .ok_or_else(ApiError::unauthenticated)?;
    // Checked on every request, not only at sign-in: a deactivation ends the session here even
    // if it reached this instance only through the control topic.
    if state.view().active_user(&session.user_id).is_none() {
        state.auth.end_session(cookie.value());
        return Err(ApiError::unauthenticated());
    }
    let echoed = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !is_safe(req) && echoed != Some(session.csrf_token.as_str()) {
        return Err(ApiError::forbidden(
            "missing or wrong X-CSRF-Token for a cookie-authenticated write",
        ));
    }
    Ok(Principal {
        user_id: session.user_id,
        credential: Credential::Session {
            csrf_token: session.csrf_token,
            session_token: cookie.value().to_owned(),
            session_id: session.id,
        },
    })
}

fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<ApiState>>()
        .ok_or_else(|| ApiError::internal("ApiState missing"))?;
    // A request that names a token is judged by it alone, even if it also carries a cookie.
    match bearer(req) {
        Some(token) => from_token(req, state, token),
        None => from_cookie(req, state),
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req))
    }
}
