//! The fault suite: the real collector, loader and health processor on a broker and ClickHouse of
//! their own, tag beacons with unique event ids through the public `/v1/collect` at a steady
//! rate, and a schedule of faults (broker SIGKILL, loader SIGKILL ×3 — once during a session
//! restore, once inside a ClickHouse insert —, ClickHouse down, collector SIGKILL, a poison
//! record). Then it waits for the loader to catch up and checks that every event answered 2xx is
//! stored exactly once after merging. Exits 1 on any loss, duplicate, a stall longer than
//! --max-stall-secs or no catch-up.
//!
//!   infra/chaos            the long schedule (about 5 minutes at 100 events/s)
//!   infra/chaos --short    a couple of minutes at 20 events/s (run by infra/test)

mod faults;
mod procs;
mod report;
mod traffic;
mod watch;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use platform::kafka::producer_config;
use platform::test_support::{free_port, random_name, OwnBroker, OwnGateway};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::onboard_events;
use schemas::topics;

use faults::{Cluster, Schedule};
use procs::Service;
use traffic::Traffic;
use watch::Watch;

const DOMAIN: &str = "chaos.example.com";
const DATABASE: &str = "optiview";
const LOADER_GROUP: &str = "optiview-loader";

#[derive(Parser)]
struct Args {
    /// The short schedule: fewer faults, short outages, a lower rate (CI).
    #[arg(long)]
    short: bool,
    /// Events per second (default 100; 20 with --short).
    #[arg(long)]
    rate: Option<f64>,
    /// Steady traffic between faults, seconds (default 20; 6 with --short).
    #[arg(long)]
    gap_secs: Option<u64>,
    /// How long the broker stays down (default 10; 5 with --short).
    #[arg(long)]
    broker_down_secs: Option<u64>,
    /// How long ClickHouse stays down (default 60; 10 with --short).
    #[arg(long)]
    gateway_down_secs: Option<u64>,
    /// How long the collector stays down.
    #[arg(long, default_value_t = 3)]
    edge_down_secs: u64,
    /// The longest the loader may make no progress while input waits and nothing it needs is
    /// down on purpose.
    #[arg(long, default_value_t = 60)]
    max_stall_secs: u64,
    /// How long the loader may take to catch up once traffic stops.
    #[arg(long, default_value_t = 300)]
    catch_up_secs: u64,
    /// The loader's watchdog bound (Tansu 0.6 may leave a group unbalanced after a member died;
    /// the watchdog rejoins).
    #[arg(long, default_value_t = 10)]
    stuck_after_secs: u64,
    /// Retries of a failed send, 2 s apart, with the same event id.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Distinct visitors the events are spread over (and so partitions and sessions).
    #[arg(long, default_value_t = 200)]
    visitors: usize,
    /// Where the ingest-edge and stream-processors binaries are.
    #[arg(long, env = "OPTIVIEW_BIN_DIR")]
    bin_dir: PathBuf,
    /// Keep the services' logs even when the run passes.
    #[arg(long)]
    keep_logs: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let passed = runtime.block_on(run(args))?;
    std::process::exit(if passed { 0 } else { 1 });
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let started = Instant::now();
    let elapsed = move || started.elapsed().as_secs_f64();
    let (rate, gap, broker_down, gateway_down) = if args.short {
        (20.0, 6, 5, 10)
    } else {
        (100.0, 20, 10, 60)
    };
    let rate = args.rate.unwrap_or(rate);
    let gap = args.gap_secs.unwrap_or(gap);
    let broker_down = args.broker_down_secs.unwrap_or(broker_down);
    let gateway_down = args.gateway_down_secs.unwrap_or(gateway_down);
    let schedule = if args.short {
        Schedule::short(broker_down, gateway_down, args.edge_down_secs, gap)
    } else {
        Schedule::long(broker_down, gateway_down, args.edge_down_secs, gap)
    };

    let work = std::env::temp_dir().join(random_name("optiview-chaos"));
    std::fs::create_dir_all(&work)?;
    eprintln!("[chaos] logs and ClickHouse data in {}", work.display());

    let broker = OwnBroker::start();
    let brokers = broker.brokers();
    let definitions = topics::bundled_definitions();
    platform::kafka::admin::ensure_topics(&brokers, &definitions, 1).await?;
    let gateway_dir = work.join("clickhouse");
    let gateway_port = free_port();
    let gateway = tokio::task::block_in_place(|| OwnGateway::start(&gateway_dir, gateway_port));
    let (ch_url, ch_user, ch_password) = (
        gateway.url(),
        gateway.user.clone(),
        gateway.password.clone(),
    );
    gateway
        .client()
        .query("CREATE DATABASE IF NOT EXISTS ?")
        .bind(clickhouse::sql::Identifier(DATABASE))
        .execute()
        .await?;
    platform::test_support::apply_repo_migrations(&gateway.client().with_database(DATABASE)).await;

    let mut view = ControlView::new();
    let (tenant, events) = onboard_events(&mut view, DOMAIN, Plan::Pro, vec![Permission::Collect]);
    write_control(&brokers, &events).await?;

    let edge_addr = format!("127.0.0.1:{}", free_port());
    let loader_ops = format!("127.0.0.1:{}", free_port());
    let health_ops = format!("127.0.0.1:{}", free_port());
    let clickhouse_flags = |v: &mut Vec<String>| {
        v.extend(
            [
                "--clickhouse-url",
                &ch_url,
                "--clickhouse-database",
                DATABASE,
                "--clickhouse-user",
                &ch_user,
                "--clickhouse-password",
                &ch_password,
            ]
            .map(String::from),
        )
    };
    // The collector seals hits' addresses with these keys and the loader opens them.
    let address_keys = work.join("address-keys").display().to_string();
    let edge_args: Vec<String> = [
        "--address-key-dir",
        &address_keys,
        "--listen",
        &edge_addr,
        "--brokers",
        &brokers,
        "--ip-salt",
        "chaos-salt",
        "--produce-timeout-ms",
        "3000",
        // The run's only client is this one address: limits far above its rate.
        "--ip-rps",
        "100000",
        "--ip-burst",
        "100000",
        "--tag-rps",
        "100000",
        "--tag-burst",
        "100000",
    ]
    .map(String::from)
    .into();
    let mut loader_args: Vec<String> = [
        "run",
        "--address-key-dir",
        &address_keys,
        "--brokers",
        &brokers,
        "--group",
        LOADER_GROUP,
        "--ops-addr",
        &loader_ops,
        "--stuck-after-secs",
        &args.stuck_after_secs.to_string(),
    ]
    .map(String::from)
    .into();
    clickhouse_flags(&mut loader_args);
    let mut health_args: Vec<String> = ["health", "--brokers", &brokers, "--ops-addr", &health_ops]
        .map(String::from)
        .into();
    clickhouse_flags(&mut health_args);
    let processors = args.bin_dir.join("stream-processors");
    let cluster = Arc::new(Cluster {
        broker: Mutex::new(broker),
        gateway: Mutex::new(Some(gateway)),
        gateway_dir,
        gateway_port,
        edge: Service::new("edge", args.bin_dir.join("ingest-edge"), edge_args, &work),
        loader: Service::new("processor", processors.clone(), loader_args, &work),
        loader_ops: loader_ops.clone(),
        health: Service::new("health", processors, health_args, &work),
        beacons_topic: topics::BEACONS.into(),
    });
    for service in [&cluster.edge, &cluster.loader, &cluster.health] {
        service.lock().unwrap().spawn();
    }
    procs::supervise(
        vec![
            cluster.edge.clone(),
            cluster.loader.clone(),
            cluster.health.clone(),
        ],
        elapsed,
    );
    for (name, addr) in [
        ("edge", &edge_addr),
        ("processor", &loader_ops),
        ("health", &health_ops),
    ] {
        anyhow::ensure!(
            Cluster::ready(addr, Duration::from_secs(60)).await,
            "{name} did not answer /readyz within 60 s (logs in {})",
            work.display()
        );
    }
    eprintln!(
        "[chaos {:6.1}s] services ready; {rate} events/s; {} faults",
        elapsed(),
        schedule.faults.len()
    );

    let watch = Watch::start(
        brokers.clone(),
        LOADER_GROUP.into(),
        topics::BEACONS.into(),
        started,
    );
    let run_id = random_name("chaos").replace('_', "-");
    let traffic = Arc::new(Traffic {
        edge: edge_addr.clone(),
        tenant,
        domain: DOMAIN.into(),
        run: run_id.clone(),
        rate,
        visitors: args.visitors,
        retries: args.retries,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let driving = tokio::spawn(traffic.clone().drive(stop.clone()));

    tokio::time::sleep(schedule.warm_up).await;
    let mut timeline = Vec::new();
    for fault in &schedule.faults {
        let label = fault.label();
        eprintln!("[chaos {:6.1}s] {label}", elapsed());
        *watch.step.lock().unwrap() = label.clone();
        let at = elapsed();
        cluster.inflict(fault, &watch).await;
        timeline.push((at, elapsed() - at, label));
        tokio::time::sleep(schedule.gap).await;
    }
    stop.store(true, Ordering::Relaxed);
    let outcomes = driving.await?;
    let traffic_ended = Instant::now();
    eprintln!(
        "[chaos {:6.1}s] traffic stopped after {} events; waiting for the loader",
        elapsed(),
        outcomes.len()
    );
    *watch.step.lock().unwrap() = "catch-up".into();
    let caught_up = watch
        .caught_up(traffic_ended, Duration::from_secs(args.catch_up_secs))
        .await;
    let catch_up = traffic_ended.elapsed();

    let client = cluster
        .gateway
        .lock()
        .unwrap()
        .as_ref()
        .expect("gateway running")
        .client()
        .with_database(DATABASE);
    let stored = report::Stored::query(&client, &run_id).await?;
    let (dead_letters, poison_dead_lettered) = report::dead_letters(&brokers).await;
    let progress = watch.progress.lock().unwrap().clone();
    let unexpected_exits: Vec<(String, Vec<String>)> =
        [&cluster.edge, &cluster.loader, &cluster.health]
            .iter()
            .map(|s| {
                let s = s.lock().unwrap();
                (s.name.to_owned(), s.unexpected_exits.clone())
            })
            .collect();
    let summary = report::Summary {
        outcomes: &outcomes,
        stored: &stored,
        dead_letters: &dead_letters,
        poison_dead_lettered,
        progress: &progress,
        caught_up,
        catch_up,
        max_stall: Duration::from_secs(args.max_stall_secs),
        timeline: &timeline,
        unexpected_exits: &unexpected_exits,
    };
    let passed = summary.print();

    // Processes first, then the data they wrote.
    for service in [&cluster.edge, &cluster.loader, &cluster.health] {
        service.lock().unwrap().kill_9_and_leave_down();
    }
    drop(cluster.gateway.lock().unwrap().take());
    if passed && !args.keep_logs {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        let log = cluster.loader.lock().unwrap().log_path().to_owned();
        eprintln!(
            "[chaos] logs kept: {} (loader: {})",
            work.display(),
            log.display()
        );
    }
    Ok(passed)
}

async fn write_control(
    brokers: &str,
    events: &[schemas::control::ControlEvent],
) -> anyhow::Result<()> {
    let producer: FutureProducer = producer_config(brokers).create()?;
    for event in events {
        let payload = schemas::encode(event)?;
        producer
            .send(
                FutureRecord::to(topics::CONTROL)
                    .key(&event.entity_id)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)?;
    }
    Ok(())
}
