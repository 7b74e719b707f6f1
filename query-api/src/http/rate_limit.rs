//! Limits every `/api/` call per client IP (behind trusted proxies, the one they vouch for) and per principal before any handler runs (probes are
//! not limited). The principal is known by a hash of its session cookie, so checking costs no
//! session lookup.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use super::auth::principal::SESSION_COOKIE;
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
            let principal = request
                .cookie(SESSION_COOKIE)
                .map(|c| schemas::control::ids::hash_secret(c.value()));
            if let Err(error) = state.limits.api_call(ip, principal) {
                let response = error.error_response().map_into_right_body();
                return Ok(request.into_response(response));
            }
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
