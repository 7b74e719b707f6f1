//! Builds each long-running command from its validated configuration: the caught-up control
//! view, the Kafka consumers and producer, the ClickHouse clients and sinks, the ops server and
//! the schedulers, and stops them together on SIGINT/SIGTERM. `main` only parses and dispatches.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use platform::control_follower::{follow, ControlHandle};
use platform::telemetry::install_prometheus;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{HealthConfig, RebuildSessionsConfig, ReplayConfig, ReverseDnsArgs, RunConfig};
use crate::enrich::enricher::Enricher;
use crate::jobs::ip_ranges::IpRangeRefresh;
use crate::jobs::robots_txt::RobotsRefresh;
use crate::jobs::{Scheduled, Scheduler};
use crate::load::input::input_consumer;
use crate::load::loader::{Loader, LoaderSettings};
use crate::load::process::Processor;
use crate::load::sink::ClickHouseSink;
use crate::ops::server::{serve, OpsState};
use crate::ops::status::Status;
use crate::rdns::hickory::HickoryResolver;
use crate::rdns::{Masks, ReverseDns};
use crate::replay::{drop_stale_derived_rows, rebuild_rollups, reprocess, Replay};

/// How often expired address keys are looked for; each is also refused the moment it expires.
const ADDRESS_KEY_PURGE: Duration = Duration::from_secs(60);

/// How long a starting loader or replay waits for the control view to hold what the topic had.
const CONTROL_CATCH_UP: Duration = Duration::from_secs(60);

/// `stream-processors run`: the loader, its ops endpoints and the robots.txt and IP-range
/// refreshes, until a signal.
pub fn run(config: RunConfig) -> anyhow::Result<()> {
    let prometheus = install_prometheus()?;
    tokio::runtime::Runtime::new()?.block_on(async move {
        let (control, _follower) =
            caught_up_control(&config.brokers, &config.control_topic).await?;
        let status = Arc::new(Status::default());
        let ops = start_ops(
            &config.ops_addr,
            OpsState {
                status: status.clone(),
                control: Some(control.clone()),
                prometheus: Some(prometheus),
            },
        )?;
        let loader = loader(&config, status, control)?;
        if let Some(keys) = loader.enricher.address_keys.clone() {
            tokio::spawn(keys.purge_every(ADDRESS_KEY_PURGE));
        }
        let stopped = stop_on_signal();
        let robots = robots_refresh(&config, &loader.enricher, loader.control.clone());
        tokio::spawn(robots.clone().watch_new(
            config.clickhouse.client(),
            config.robots.new_property_period(),
            stopped.clone(),
        ));
        let refreshing =
            tokio::spawn(loader_jobs(&config, &loader.enricher, robots)?.run(stopped.clone()));
        tracing::info!(topic = %config.beacons_topic, ops = %config.ops_addr, "processor running");
        let result = loader.run(stopped).await;
        let _ = refreshing.await;
        ops.stop(true).await;
        result
    })
}

/// The loader: input consumer, changelog producer, ClickHouse sink and the current catalogs.
pub fn loader(
    config: &RunConfig,
    status: Arc<Status>,
    control: ControlHandle,
) -> anyhow::Result<Loader> {
    Ok(Loader {
        status,
        consumer: input_consumer(&config.brokers, &config.group)?,
        producer: platform::kafka::producer_config(&config.brokers).create()?,
        sink: ClickHouseSink::new(config.clickhouse.client(), config.beacons_topic.clone()).into(),
        control,
        enricher: with_reverse_dns(
            Enricher::from_catalog()?
                .with_address_keys(config.address_keys.open()?)
                .with_key_directories(config.key_directories.config()?)?,
            &config.reverse_dns,
        )?,
        settings: LoaderSettings {
            brokers: config.brokers.clone(),
            group: config.group.clone(),
            stuck_after: config.watchdog.stuck_after(),
            rejoin_attempts: config.watchdog.rejoin_attempts,
            sessions_topic: config.sessions_topic.clone(),
            sessions: config.sessions(),
            beacons_topic: config.beacons_topic.clone(),
            deadletter_topic: config.deadletter_topic.clone(),
            batch_rows: config.batch_rows,
            batch_period: config.batch_period(),
            max_in_flight: config.max_in_flight_batches,
        },
    })
}

/// The robots.txt refresh, which puts each property's file in force in this loader's enricher.
pub fn robots_refresh(
    config: &RunConfig,
    enricher: &Enricher,
    control: ControlHandle,
) -> RobotsRefresh {
    RobotsRefresh::new(
        control,
        enricher.robots.clone(),
        &config.robots.robots_url,
        config.robots.timeout(),
        config.robots.robots_max_bytes,
        config.robots.robots_allow_private_addresses,
    )
}

/// The enricher with its reverse-DNS verdicts, unless turned off.
pub fn with_reverse_dns(enricher: Enricher, args: &ReverseDnsArgs) -> anyhow::Result<Enricher> {
    if !args.enabled {
        return Ok(enricher);
    }
    let settings = args.settings();
    let resolver = HickoryResolver::new(args.dns_server, settings.timeout)?;
    let masks = Masks::shipped();
    tracing::info!(
        agents = masks.agents(),
        server = args
            .dns_server
            .map_or("system".to_owned(), |s| s.to_string()),
        "reverse DNS verifies crawler claims"
    );
    Ok(enricher.with_reverse_dns(ReverseDns::new(Arc::new(resolver), masks, settings)))
}

/// The jobs that update this loader's enricher: the robots.txt refresh, and the IP-range refresh
/// when sources are configured (else the shipped ranges stay).
pub fn loader_jobs(
    config: &RunConfig,
    enricher: &Enricher,
    robots: RobotsRefresh,
) -> anyhow::Result<Scheduler> {
    let mut jobs = Vec::new();
    if !config.ip_range_sources.is_empty() {
        let job = IpRangeRefresh::new(config.ip_range_sources.clone(), enricher.ip_ranges.clone());
        jobs.push(
            Scheduled::new(Box::new(job), &config.ip_range_schedule).map_err(anyhow::Error::msg)?,
        );
    }
    jobs.push(
        Scheduled::new(Box::new(robots), &config.robots.robots_schedule)
            .map_err(anyhow::Error::msg)?,
    );
    Ok(Scheduler {
        client: config.clickhouse.client(),
        jobs,
        instance: format!("loader@{}", std::process::id()),
    })
}

/// `stream-processors health`: the health processor, alerting and the maintenance jobs, with ops
/// endpoints (no control view), until a signal.
pub fn health(config: HealthConfig) -> anyhow::Result<()> {
    let prometheus = install_prometheus()?;
    tokio::runtime::Runtime::new()?.block_on(async move {
        let status = Arc::new(Status::default());
        status.started();
        let ops = start_ops(
            &config.ops_addr,
            OpsState {
                status: status.clone(),
                control: None,
                prometheus: Some(prometheus),
            },
        )?;
        tracing::info!(topic = %config.edge_stats_topic, ops = %config.ops_addr, "health processor running");
        let result = crate::health::service::run(config, status, stop_on_signal()).await;
        ops.stop(true).await;
        result
    })
}

/// `stream-processors replay`: reprocesses the beacons topic into ClickHouse, then rebuilds the
/// derived tables and rollups; prints a JSON summary on stdout.
pub fn replay(config: ReplayConfig) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async move {
        let (control, _follower) =
            caught_up_control(&config.brokers, &config.control_topic).await?;
        let started = chrono::Utc::now().timestamp_millis();
        let client = config.clickhouse.client();
        // Checked before the replay writes anything: a bad cluster name fails here, not after.
        let layout = config.clickhouse.layout()?;
        let address_keys = config.address_keys.open()?;
        address_keys.purge(chrono::Utc::now())?;
        let report = reprocess(Replay {
            brokers: &config.brokers,
            topic: &config.beacons_topic,
            start: config.from.clone(),
            control,
            processor: Processor::new(
                Enricher::from_catalog()?
                    .with_address_keys(address_keys)
                    .with_recorded_dns_verdicts(),
                config.beacons_topic.clone(),
            ),
            // The run's start names its deduplication tokens: distinct from the live inserts'.
            sink: ClickHouseSink::new(
                client.clone(),
                format!("replay-{started}/{}", config.beacons_topic),
            ),
            batch_rows: config.batch_rows,
            sessions: config.sessions(),
            progress: true,
        })
        .await?;
        if report.addresses_expired > 0 {
            eprintln!(
                "{} crawler hits could not be checked again (their addresses are gone, or only reverse DNS decides them): {} kept the verification recorded the first time, {} stay unchecked",
                report.addresses_expired,
                report.verifications_kept,
                report.addresses_expired - report.verifications_kept
            );
        }
        eprintln!("rebuilding derived tables and rollups …");
        drop_stale_derived_rows(&client, &layout, started).await?;
        rebuild_rollups(&client, &layout).await?;
        println!(
            "{}",
            serde_json::json!({
                "records": report.records,
                "events": report.events,
                "rejected": report.rejected,
                "addresses_expired": report.addresses_expired,
                "verifications_kept": report.verifications_kept,
                "catalog_version": schemas::catalog::version(),
            })
        );
        Ok(())
    })
}

/// Serves /healthz, /readyz and /metrics on `addr` in the background.
fn start_ops(addr: &str, state: OpsState) -> anyhow::Result<ServerHandle> {
    let server = serve(TcpListener::bind(addr)?, state)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}

/// The control view, once it holds everything the topic had at start.
async fn caught_up_control(
    brokers: &str,
    topic: &str,
) -> anyhow::Result<(ControlHandle, JoinHandle<()>)> {
    let (control, follower) = follow(brokers, topic).await?;
    control.wait_caught_up(CONTROL_CATCH_UP).await?;
    Ok((control, follower))
}

/// Becomes true on SIGINT or SIGTERM.
fn stop_on_signal() -> watch::Receiver<bool> {
    let (stop, stopped) = watch::channel(false);
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

pub fn rebuild_sessions(config: RebuildSessionsConfig) -> anyhow::Result<()> {
    let report = tokio::runtime::Runtime::new()?.block_on(crate::repartition::rebuild(
        crate::repartition::Rebuild {
            brokers: &config.brokers,
            beacons_topic: &config.beacons_topic,
            sessions_topic: &config.sessions_topic,
            partitions: config.partitions,
            dry_run: config.dry_run,
        },
    ))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
