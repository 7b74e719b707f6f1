//! The API server on a caller-supplied listener (tests bind port 0), and its probes.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::json;

use super::error::ApiError;
use super::rate_limit;
use super::request_id;
use super::routes::configure;
use super::state::ApiState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<ApiState>) -> HttpResponse {
    let caught_up = state.writer.view().caught_up();
    let body = json!({ "control_caught_up": caught_up });
    if caught_up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}

fn json_error(
    error: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::invalid("body", error).into()
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
                    .limit(64 * 1024)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .wrap(from_fn(rate_limit::limit))
            .wrap(from_fn(request_id::tag))
            .configure(configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run())
}
