//! Wires routes and middleware. The caller passes the listener, so tests bind port 0 and run the
//! real server.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Compress, Next};
use actix_web::{web, App, Error, HttpMessage, HttpResponse, HttpServer};
use serde_json::json;

use crate::error::error_class;
use crate::routes::{collect, health, hits, tag};
use crate::state::AppState;
use crate::stats::RequestScope;

pub fn serve(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(observe))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .service(
                web::resource("/v1/tag.js")
                    .wrap(Compress::default())
                    .route(web::get().to(tag::tag_js))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/v1/collect")
                    .route(web::post().to(collect::collect))
                    .route(web::method(Method::OPTIONS).to(collect::preflight))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/v1/hits")
                    .route(web::post().to(hits::hits))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "message": "no such route" }))
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().json(
        json!({ "error": "method_not_allowed", "message": "method not allowed on this route" }),
    )
}

/// Request counts, latency and edge statistics for every request.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let route = match req.path() {
        "/v1/collect" => "collect",
        "/v1/hits" => "hits",
        "/v1/tag.js" => "tag",
        "/healthz" | "/readyz" | "/metrics" => "ops",
        _ => "other",
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    let Some(state) = state else {
        return Ok(response);
    };
    state.request_metrics.record(route, status, seconds);
    if matches!(route, "collect" | "hits") {
        let scope = response
            .request()
            .extensions()
            .get::<RequestScope>()
            .copied()
            .unwrap_or_default();
        state.stats.record(
            chrono::Utc::now().timestamp_millis(),
            seconds * 1000.0,
            error_class(status),
            scope,
        );
    }
    Ok(response)
}
