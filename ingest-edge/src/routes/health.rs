//! `/healthz` (the process answers), `/readyz` (broker reachable, control view caught up),
//! `/metrics` (Prometheus), answered as every service answers them (`platform::probes`).
//! Deliberately public: they expose no tenant data.

use actix_web::{web, HttpResponse};
use platform::probes;
use serde_json::{Map, Value};

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    probes::healthz()
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    probes::readiness(
        &[
            ("broker_reachable", state.sink.reachable()),
            ("control_caught_up", state.control.caught_up()),
        ],
        Map::from_iter([(
            "control_offset".to_owned(),
            Value::from(state.control.next_offset()),
        )]),
    )
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    probes::metrics(state.prometheus.as_ref())
}
