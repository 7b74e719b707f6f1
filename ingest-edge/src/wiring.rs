//! Builds the collector's dependencies from its configuration: the control follower, the Kafka
//! producer and sink, and the state handlers share. Used by `main` and by integration tests.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use metrics_exporter_prometheus::PrometheusHandle;
use platform::config::Validate;
use platform::control_follower::follow;
use platform::kafka::producer_config;
use rdkafka::producer::FutureProducer;

use crate::config::{EdgeConfig, Environment};
use crate::sink::KafkaSink;
use crate::state::AppState;

pub struct Edge {
    pub state: web::Data<AppState>,
    pub sink: Arc<KafkaSink>,
    pub producer: FutureProducer,
}

pub async fn connect(
    config: &EdgeConfig,
    prometheus: Option<PrometheusHandle>,
) -> anyhow::Result<Edge> {
    config.validate()?;
    if config.environment == Environment::Production && config.client_ip.trusted_proxies.is_empty()
    {
        // Not refused: an edge may face the internet directly. Behind a load balancer, though,
        // every visitor would share the balancer's per-IP bucket and ip_hash.
        tracing::warn!(
            "no --trusted-proxies in production: the socket peer is taken as the client address"
        );
    }
    let (control, _follower) = follow(&config.brokers, &config.control_topic).await?;
    if let Err(error) = control.wait_caught_up(Duration::from_secs(30)).await {
        tracing::warn!(%error, "control view not caught up yet; /readyz answers 503 until it is");
    }
    let producer: FutureProducer = producer_config(&config.brokers).create()?;
    let sink = Arc::new(KafkaSink::new(
        producer.clone(),
        config.beacons_topic.clone(),
        config.produce_timeout(),
        config.max_in_flight,
    ));
    let address_keys = config.address_keys.open()?;
    // Off the async threads: the installed databases take a second or more to parse.
    let databases = config.ip_databases.clone();
    let networks = tokio::task::spawn_blocking(move || databases.open()).await?;
    let state = AppState::new(config.clone(), control, sink.clone(), prometheus)
        .with_address_keys(address_keys)
        .with_networks(networks);
    // Checked now: a directory the collector cannot write would otherwise fail only its first
    // cookieless beacon.
    state.cookieless.open()?;
    let state = web::Data::new(state);
    Ok(Edge {
        state,
        sink,
        producer,
    })
}
