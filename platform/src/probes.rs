//! The probe answers every service gives the same way: `/healthz` (the process answers),
//! `/readyz` (200 when every check holds, 503 otherwise, with the checks as the body) and
//! `/metrics` (Prometheus text). Each service decides what its readiness checks are.

use actix_web::HttpResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{json, Map, Value};

pub fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `checks` are the named conditions readiness needs; `details` are figures shown beside them.
pub fn readiness(checks: &[(&str, bool)], details: Map<String, Value>) -> HttpResponse {
    let mut body = details;
    for (name, ok) in checks {
        body.insert((*name).to_owned(), Value::Bool(*ok));
    }
    if checks.iter().all(|(_, ok)| *ok) {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub fn metrics(prometheus: Option<&PrometheusHandle>) -> HttpResponse {
    match prometheus {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::NotFound()
            .json(json!({ "error": "not_found", "message": "metrics are not enabled" })),
    }
}
