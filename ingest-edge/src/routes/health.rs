//! `/healthz` (the process answers), `/readyz` (broker reachable, control view caught up),
//! `/metrics` (Prometheus). Deliberately public: they expose no tenant data.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let broker = state.sink.reachable();
    let control = state.control.caught_up();
    let body = json!({ "broker_reachable": broker, "control_caught_up": control, "control_offset": state.control.next_offset() });
    if broker && control {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match &state.prometheus {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::NotFound()
            .json(json!({ "error": "not_found", "message": "metrics are not enabled" })),
    }
}
