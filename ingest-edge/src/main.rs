use std::net::TcpListener;
use std::time::Duration;

use clap::Parser;
use ingest_edge::config::EdgeConfig;
use ingest_edge::cookieless::purge_every;
use ingest_edge::server::serve;
use ingest_edge::stats::emit_every_minute;
use ingest_edge::wiring::connect;
use platform::config::validated;
use platform::ip_database::reload_on_change;
use platform::telemetry::{install_prometheus, LogArgs};

/// How often expired address keys are looked for; each is also refused the moment it expires.
const ADDRESS_KEY_PURGE: Duration = Duration::from_secs(60);

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ingest-edge",
    about = "Optiview collector: tag.js, /v1/collect, /v1/hits"
)]
struct Cli {
    #[command(flatten)]
    config: EdgeConfig,
    #[command(flatten)]
    log: LogArgs,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = validated(cli.config);
    platform::kafka::security::validated_for(config.environment);
    cli.log.init("info");
    if config.ip_salt.is_empty() {
        tracing::warn!(
            "OPTIVIEW_IP_SALT is empty: IP hashes are unsalted; set a secret in production"
        );
    }
    let prometheus = install_prometheus()?;
    let edge = connect(&config, Some(prometheus)).await?;

    tokio::spawn(emit_every_minute(
        edge.state.stats.clone(),
        edge.producer.clone(),
        config.edge_stats_topic.clone(),
    ));
    if let Some(keys) = edge.state.address_keys.clone() {
        tokio::spawn(keys.purge_every(ADDRESS_KEY_PURGE));
    }
    let state = edge.state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            state.limits.shrink();
        }
    });

    tokio::spawn(reload_on_change(
        config.ip_databases.clone(),
        edge.state.networks.clone(),
    ));
    tokio::spawn(purge_every(
        edge.state.cookieless.clone(),
        config.salt_purge_period(),
    ));

    let listener = TcpListener::bind(config.listen)?;
    tracing::info!(listen = %listener.local_addr()?, "ingest-edge listening");
    // Stops on SIGTERM/SIGINT after in-flight requests finish, then flushes what was acknowledged.
    serve(edge.state, listener)?.await?;
    edge.sink.flush(Duration::from_secs(30));
    Ok(())
}
