//! `Principal`: the signed-in user behind a request. Handlers that take it are behind auth; it
//! answers 401 without a live session, and 403 for a cookie-authenticated write without the
//! session's CSRF token.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};

use crate::http::error::ApiError;
use crate::http::state::ApiState;

pub const SESSION_COOKIE: &str = "optiview_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub csrf_token: String,
    /// The cookie value, so logout can end exactly this session.
    pub session_token: String,
}

fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<ApiState>>()
        .ok_or_else(|| ApiError::internal("ApiState missing"))?;
    let cookie = req
        .cookie(SESSION_COOKIE)
        .ok_or_else(ApiError::unauthenticated)?;
    let now = chrono::Utc::now().timestamp_millis();
    let session = state
        .auth
        .session(cookie.value(), now)
        .ok_or_else(ApiError::unauthenticated)?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let echoed = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !safe && echoed != Some(session.csrf_token.as_str()) {
        return Err(ApiError::forbidden(
            "missing or wrong X-CSRF-Token for a cookie-authenticated write",
        ));
    }
    Ok(Principal {
        user_id: session.user_id,
        csrf_token: session.csrf_token,
        session_token: cookie.value().to_owned(),
    })
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req))
    }
}
