//! `/healthz` (the process answers), `/readyz` (control view caught up, loop running, not stuck
//! on a write, and consuming while input waits), `/metrics` (Prometheus), answered as every service answers them
//! (`platform::probes`). Deliberately public: they expose no tenant data.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;
use platform::control_follower::ControlHandle;
use platform::probes;
use serde_json::{json, Map, Value};

use super::status::Status;

pub struct OpsState {
    pub status: Arc<Status>,
    /// The control view the process follows; the health processor needs none.
    pub control: Option<ControlHandle>,
    pub prometheus: Option<PrometheusHandle>,
}

async fn healthz() -> HttpResponse {
    probes::healthz()
}

async fn readyz(state: web::Data<OpsState>) -> HttpResponse {
    let control = state.control.as_ref().is_none_or(|c| c.caught_up());
    let pipeline = state.status.healthy_pipeline();
    let lag: Map<String, Value> = state
        .status
        .lag()
        .into_iter()
        .map(|(p, l)| (p.to_string(), l.into()))
        .collect();
    let stuck = state.status.stuck();
    let mut extra = Map::from_iter([
        ("lag".to_owned(), Value::Object(lag)),
        ("partitions".to_owned(), state.status.assigned().into()),
    ]);
    if let Some(why) = &stuck {
        extra.insert("consumer_stuck".to_owned(), why.clone().into());
    }
    probes::readiness(
        &[
            ("control_caught_up", control),
            ("pipeline_writing", pipeline),
            ("consuming", stuck.is_none()),
        ],
        extra,
    )
}

async fn metrics(state: web::Data<OpsState>) -> HttpResponse {
    probes::metrics(state.prometheus.as_ref())
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "message": "no such route" }))
}

/// Serves on `listener` (tests bind port 0) until the returned server is stopped.
pub fn serve(listener: TcpListener, state: OpsState) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(state);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
