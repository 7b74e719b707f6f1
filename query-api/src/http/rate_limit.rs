//! Limits every `/api/` call per client IP (behind trusted proxies, the one they vouch for) and
//! per principal before any handler runs (probes are not limited). The principal is known by a
//! hash of its session cookie or bearer token, so checking costs no session or token lookup.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use super::auth::principal::session_cookie_name;
use super::state::ApiState;

pub async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if request.path().starts_with("/api/") {
        if let Some(state) = request.app_data::<web::Data<ApiState>>() {
            let ip = state
                .limits
                .client_ip(request.peer_addr().map(|a| a.ip()), request.headers());
            let cookie = request.cookie(session_cookie_name(state.config.secure_cookies));
            let bearer = request
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let principal = cookie
                .as_ref()
                .map(|c| c.value())
                .or(bearer)
                .map(schemas::control::ids::hash_secret);
            if let Err(error) = state.limits.api_call(ip, principal) {
                let response = error.error_response().map_into_right_body();
                return Ok(request.into_response(response));
            }
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
