use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use clap::Parser;
use ingest_edge::config::EdgeConfig;
use ingest_edge::server::serve;
use ingest_edge::sink::KafkaSink;
use ingest_edge::state::AppState;
use ingest_edge::stats::emit_every_minute;
use rdkafka::producer::FutureProducer;
use schemas::control::follow;
use schemas::kafka::producer_config;

#[derive(Parser)]
#[command(
    name = "ingest-edge",
    about = "Optiview collector: tag.js, /v1/collect, /v1/hits"
)]
struct Cli {
    #[command(flatten)]
    config: EdgeConfig,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Cli::parse().config;
    config.validate()?;
    if config.ip_salt.is_empty() {
        tracing::warn!(
            "OPTIVIEW_IP_SALT is empty: IP hashes are unsalted; set a secret in production"
        );
    }
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;

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
    let state = web::Data::new(AppState::new(
        config.clone(),
        control,
        sink.clone(),
        Some(prometheus),
    ));

    tokio::spawn(emit_every_minute(
        state.stats.clone(),
        producer,
        config.edge_stats_topic.clone(),
    ));
    let limits_state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits_state.limits.shrink();
        }
    });

    let listener = TcpListener::bind(config.listen)?;
    tracing::info!(listen = %listener.local_addr()?, "ingest-edge listening");
    // Stops on SIGTERM/SIGINT after in-flight requests finish, then flushes what was acknowledged.
    serve(state, listener)?.await?;
    sink.flush(Duration::from_secs(30));
    Ok(())
}
