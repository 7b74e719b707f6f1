//! The API server on a caller-supplied listener (tests bind port 0), and its probes.

use std::net::TcpListener;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpResponse, HttpServer, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::rate_limit;
use super::request_id;
use super::routes::configure;
use super::state::ApiState;
use super::telemetry;

/// `/healthz`'s answer (shared by every service: `platform::probes::healthz`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Liveness {
    /// `ok` whenever the process answers.
    pub status: String,
}

/// `/readyz`'s answer: 200 when every check holds, else 503 with the same body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Readiness {
    /// The control view has caught up with the control topic.
    pub control_caught_up: bool,
}

pub async fn healthz() -> HttpResponse {
    platform::probes::healthz()
}

pub async fn readyz(state: web::Data<ApiState>) -> HttpResponse {
    let checks = [("control_caught_up", state.writer.view().caught_up())];
    platform::probes::readiness(&checks, serde_json::Map::new())
}

pub async fn metrics(state: web::Data<ApiState>) -> HttpResponse {
    platform::probes::metrics(state.prometheus.as_ref())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}

/// Largest JSON body, in bytes: the biggest real one (an allow-list of origins) is a few KB.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

fn json_error(
    error: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body is larger than {MAX_JSON_BODY_BYTES} bytes"),
            )
            .into()
        }
        other => ApiError::invalid("body", other).into(),
    }
}

/// Bodies are taken only as sent. actix's JSON extractor would decode gzip, deflate, br and zstd,
/// inflating each network chunk whole before `JsonConfig`'s limit is counted, so a few KB of
/// zstd could take a gigabyte; the API's bodies are small enough that no client needs a coding.
async fn identity_bodies_only(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let mut codings = request
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .flat_map(|v| v.to_str().unwrap_or("(not text)").split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"));
    if let Some(coding) = codings.next() {
        let response = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!("Content-Encoding {coding} is not accepted; send the body as is"),
        )
        .error_response()
        .map_into_right_body();
        return Ok(request.into_response(response));
    }
    Ok(next.call(request).await?.map_into_left_body())
}

/// A path segment of the wrong type (`/properties/abc/keys`) names nothing: 404, as JSON.
fn path_error(error: actix_web::error::PathError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("path: {error}"),
    )
    .into()
}

fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::invalid("query", error).into()
}

pub fn serve(
    listener: TcpListener,
    state: web::Data<ApiState>,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BODY_BYTES)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(from_fn(identity_bodies_only))
            .wrap(from_fn(rate_limit::limit))
            .wrap(from_fn(telemetry::record))
            .wrap(from_fn(request_id::tag))
            .configure(configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run())
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn the_shared_probe_answers_have_the_documented_shape() {
        let live = to_bytes(platform::probes::healthz().into_body())
            .await
            .unwrap();
        serde_json::from_slice::<Liveness>(&live).unwrap();
        let ready =
            platform::probes::readiness(&[("control_caught_up", false)], Default::default());
        assert_eq!(ready.status(), 503);
        let ready = to_bytes(ready.into_body()).await.unwrap();
        assert!(
            !serde_json::from_slice::<Readiness>(&ready)
                .unwrap()
                .control_caught_up
        );
    }
}
