//! stream-processors: the loader (`run`) and the enrichment evaluation commands (`classify`,
//! `attribute`).

use std::io::{BufRead, BufWriter, Write};

use clap::{Parser, Subcommand};
use stream_processors::config::{HealthConfig, ReplayConfig, RunConfig};
use stream_processors::enrich::{Attributor, Classifier};

#[derive(Parser)]
#[command(name = "stream-processors", about = "Optiview stream processors")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Consumes optiview.beacons.v1, sessionizes, and writes rows to ClickHouse and the session
    /// changelog to optiview.sessions.v1 until SIGINT/SIGTERM.
    Run(Box<RunConfig>),
    /// Watches optiview.edge-stats.v1 (5-minute windows, globally and per property), raises and
    /// resolves alerts to Slack, samples consumer lag, and runs the maintenance jobs, until
    /// SIGINT/SIGTERM. Run one instance.
    Health(Box<HealthConfig>),
    /// Reads one user agent per line on stdin; prints one JSON object per line
    /// (class, agent, operator, browser, browser_major, os, device).
    Classify,
    /// Reads `url<TAB>referrer` lines on stdin (referrer may be empty); prints one JSON object per
    /// line (ai_source, channel, matched_by).
    Attribute,
    /// Reprocesses optiview.beacons.v1 (everything retained, or from --from offsets) into
    /// ClickHouse with the current catalogs, without duplicating rows, showing progress.
    Replay(Box<ReplayConfig>),
    /// Prints the catalog version the classifiers were built from.
    CatalogVersion,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(config) => return run(*config),
        Command::Replay(config) => return replay(*config),
        Command::Health(config) => return health(*config),
        _ => {}
    }
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    match cli.command {
        Command::Classify => {
            let classifier = Classifier::from_catalog()?;
            for line in stdin.lines() {
                let ua = line?;
                serde_json::to_writer(&mut out, &classifier.classify(&ua))?;
                out.write_all(b"\n")?;
            }
        }
        Command::Attribute => {
            let attributor = Attributor::from_catalog();
            for line in stdin.lines() {
                let line = line?;
                let (url, referrer) = line.split_once('\t').unwrap_or((line.as_str(), ""));
                let referrer = Some(referrer.trim()).filter(|r| !r.is_empty());
                serde_json::to_writer(&mut out, &attributor.attribute(url.trim(), referrer))?;
                out.write_all(b"\n")?;
            }
        }
        Command::Run(_) | Command::Replay(_) | Command::Health(_) => {
            unreachable!("handled above")
        }
        Command::CatalogVersion => {
            writeln!(out, "{}", schemas::catalog::version())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn run(config: RunConfig) -> anyhow::Result<()> {
    use stream_processors::enrich::enricher::Enricher;
    use stream_processors::load::input::input_consumer;
    use stream_processors::load::loader::{Loader, LoaderSettings};
    use stream_processors::load::sink::ClickHouseSink;

    use stream_processors::ops::server::{serve, OpsState};
    use stream_processors::ops::status::Status;

    config.validate().map_err(anyhow::Error::msg)?;
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    init_logs();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let (control, _follower) =
            caught_up_control(&config.brokers, &config.control_topic).await?;
        let status = std::sync::Arc::new(Status::default());
        let ops = serve(
            std::net::TcpListener::bind(&config.ops_addr)?,
            OpsState {
                status: status.clone(),
                control: Some(control.clone()),
                prometheus: Some(prometheus),
            },
        )?;
        let ops_handle = ops.handle();
        tokio::spawn(ops);
        let loader = Loader {
            status,
            consumer: input_consumer(&config.brokers, &config.group)?,
            producer: platform::kafka::producer_config(&config.brokers).create()?,
            sink: ClickHouseSink::new(config.clickhouse.client(), config.beacons_topic.clone()),
            control,
            enricher: Enricher::from_catalog()?,
            settings: LoaderSettings {
                brokers: config.brokers.clone(),
                sessions_topic: config.sessions_topic.clone(),
                sessions: config.sessions(),
                beacons_topic: config.beacons_topic.clone(),
                deadletter_topic: config.deadletter_topic.clone(),
                batch_rows: config.batch_rows,
                batch_period: config.batch_period(),
            },
        };
        let stopped = stop_on_signal();
        let ip_ranges = stream_processors::jobs::Scheduler {
            client: config.clickhouse.client(),
            jobs: ip_range_jobs(&config, &loader.enricher)?,
            instance: format!("loader@{}", std::process::id()),
        };
        let refreshing = tokio::spawn(ip_ranges.run(stopped.clone()));
        tracing::info!(topic = %config.beacons_topic, ops = %config.ops_addr, "processor running");
        let result = loader.run(stopped).await;
        let _ = refreshing.await;
        ops_handle.stop(true).await;
        result
    })
}

/// The IP-range refresh, when sources are configured; it updates this loader's verifier.
fn ip_range_jobs(
    config: &RunConfig,
    enricher: &stream_processors::enrich::enricher::Enricher,
) -> anyhow::Result<Vec<stream_processors::jobs::Scheduled>> {
    use stream_processors::jobs::ip_ranges::IpRangeRefresh;
    if config.ip_range_sources.is_empty() {
        return Ok(Vec::new());
    }
    let job = IpRangeRefresh::new(config.ip_range_sources.clone(), enricher.ip_ranges.clone());
    Ok(vec![stream_processors::jobs::Scheduled::new(
        Box::new(job),
        &config.ip_range_schedule,
    )
    .map_err(anyhow::Error::msg)?])
}

fn health(config: HealthConfig) -> anyhow::Result<()> {
    use stream_processors::ops::server::{serve, OpsState};
    use stream_processors::ops::status::Status;

    config.validate().map_err(anyhow::Error::msg)?;
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    init_logs();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let status = std::sync::Arc::new(Status::default());
        status.started();
        let ops = serve(
            std::net::TcpListener::bind(&config.ops_addr)?,
            OpsState {
                status,
                control: None,
                prometheus: Some(prometheus),
            },
        )?;
        let ops_handle = ops.handle();
        tokio::spawn(ops);
        tracing::info!(topic = %config.edge_stats_topic, ops = %config.ops_addr, "health processor running");
        let result = stream_processors::health::service::run(config, stop_on_signal()).await;
        ops_handle.stop(true).await;
        result
    })
}

/// Becomes true on SIGINT or SIGTERM.
fn stop_on_signal() -> tokio::sync::watch::Receiver<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let _ = stop.send(true);
    });
    stopped
}

fn replay(config: ReplayConfig) -> anyhow::Result<()> {
    use stream_processors::enrich::enricher::Enricher;
    use stream_processors::load::process::Processor;
    use stream_processors::load::sink::ClickHouseSink;
    use stream_processors::replay::{drop_stale_derived_rows, rebuild_rollups, reprocess, Replay};

    if config.batch_rows == 0 {
        anyhow::bail!("--batch-rows must be at least 1");
    }
    if config.attribution_lookback_days == 0 {
        anyhow::bail!("--attribution-lookback-days must be at least 1");
    }
    let sessions = stream_processors::sessionize::SessionConfig::with_lookback_days(
        config.attribution_lookback_days,
    );
    init_logs();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let (control, _follower) =
            caught_up_control(&config.brokers, &config.control_topic).await?;
        let started = chrono::Utc::now().timestamp_millis();
        let client = config.clickhouse.client();
        let report = reprocess(Replay {
            brokers: &config.brokers,
            topic: &config.beacons_topic,
            start: config.from.clone(),
            control,
            processor: Processor::new(Enricher::from_catalog()?, config.beacons_topic.clone()),
            // The run's start names its deduplication tokens: distinct from the live inserts'.
            sink: ClickHouseSink::new(
                client.clone(),
                format!("replay-{started}/{}", config.beacons_topic),
            ),
            batch_rows: config.batch_rows,
            sessions,
            progress: true,
        })
        .await?;
        eprintln!("rebuilding derived tables and rollups …");
        drop_stale_derived_rows(&client, started).await?;
        rebuild_rollups(&client).await?;
        println!(
            "{}",
            serde_json::json!({
                "records": report.records,
                "events": report.events,
                "rejected": report.rejected,
                "catalog_version": schemas::catalog::version(),
            })
        );
        Ok(())
    })
}

/// Logs go to stderr, so `classify`, `attribute` and `replay` keep stdout for their output.
fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
}

/// The control view, once it holds everything the topic had at start.
async fn caught_up_control(
    brokers: &str,
    topic: &str,
) -> anyhow::Result<(
    platform::control_follower::ControlHandle,
    tokio::task::JoinHandle<()>,
)> {
    let (control, follower) = platform::control_follower::follow(brokers, topic).await?;
    control
        .wait_caught_up(std::time::Duration::from_secs(60))
        .await?;
    Ok((control, follower))
}
