//! End to end: N beacons on optiview.beacons.v1 → stream-processors (enrich, sessionize,
//! changelog, ClickHouse) → rows; and, in the same run, the raw rate of inserting the very same
//! rows straight into ClickHouse (same batch size, same sink). Also: the processors' own cost
//! (a sink that discards the rows: events/s, and per core from this process's CPU time), one
//! loader against two in the same group (both sinks), freshness (beacon produced → row
//! queryable) at half the measured rate, and the sessionizer's memory per active visitor, counted
//! by this binary's allocator.
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin pipeline_load -- --events 100000

use std::alloc::System;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use benches::workload::workload;
use clap::Parser;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::beacon::Beacon;
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon};
use schemas::topics::visitor_key;
use schemas::vocab::{Channel, EventType};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::batch::Batch;
use stream_processors::load::input::input_consumer;
use stream_processors::load::loader::{Loader, LoaderSettings};
use stream_processors::load::process::{Position, Processor};
use stream_processors::load::sink::{ClickHouseSink, Discarded, Sink};
use stream_processors::sessionize::{canonical_utm, SessionConfig, Sessionizer, Visit};

/// Counts heap bytes, so the sessionizer's state is measured exactly rather than through RSS.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Parser)]
struct Args {
    /// Beacons to push through.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Distinct visitors among them (tag events); server hits come from crawlers.
    #[arg(long, default_value_t = 10_000)]
    visitors: usize,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// Records per ClickHouse insert, for the processors and the raw baseline alike.
    #[arg(long, default_value_t = 5_000)]
    batch_rows: usize,
    /// The processors' batch period (the live default). Batches still fill by size while the
    /// input is backlogged; the period cuts each loader's last one.
    #[arg(long, default_value_t = 1_000)]
    batch_ms: u64,
    /// Visitors for the memory measurement.
    #[arg(long, default_value_t = 100_000)]
    memory_visitors: usize,
    /// Batches written at once by each loader.
    #[arg(long, default_value_t = 2)]
    max_in_flight: usize,
    /// Seconds of steady traffic for the freshness measurement (0: skip it).
    #[arg(long, default_value_t = 20)]
    freshness_secs: u64,
}

async fn produce(topics: &TestTopics, beacons: &[Beacon]) {
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    for chunk in beacons.chunks(2_000) {
        let payloads: Vec<(String, Vec<u8>)> = chunk
            .iter()
            .map(|b| {
                (
                    visitor_key(b.property_id, &b.visitor_id),
                    schemas::encode(b).unwrap(),
                )
            })
            .collect();
        let sends = payloads.iter().map(|(key, payload)| {
            producer.send(
                FutureRecord::to(topics.name(0)).key(key).payload(payload),
                Duration::from_secs(30),
            )
        });
        for result in futures::future::join_all(sends).await {
            result.map_err(|(e, _)| e).unwrap();
        }
    }
}

async fn events_in(client: &clickhouse::Client) -> u64 {
    client
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap()
}

/// The batches one loader cuts of `beacons` (all on one partition), processed as it does.
fn planned_batches(args: &Args, view: &ControlView, beacons: &[Beacon]) -> Vec<Batch> {
    let processor = Processor::new(Enricher::from_catalog().unwrap(), "raw");
    let mut sessionizer = Sessionizer::new(SessionConfig::default());
    let now = chrono::Utc::now().timestamp_millis();
    beacons
        .chunks(args.batch_rows)
        .enumerate()
        .map(|(c, chunk)| {
            let mut batch = Batch::default();
            for (i, b) in chunk.iter().enumerate() {
                let at = Position {
                    partition: 0,
                    offset: (c * args.batch_rows + i) as i64,
                };
                let bytes = schemas::encode(b).unwrap();
                processor.process(view, &mut sessionizer, at, &bytes, now, &mut batch);
            }
            batch
        })
        .collect()
}

/// The rows the processors would write, computed beforehand, then only the inserts timed.
async fn raw_insert_rate(args: &Args, view: &ControlView, beacons: &[Beacon]) -> f64 {
    let batches = planned_batches(args, view, beacons);
    let db = TestDatabase::migrated().await;
    let sink = ClickHouseSink::new(db.client(), random_name("raw"));
    let (_keep, stop) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    for batch in &batches {
        sink.write(batch, &stop).await.unwrap();
    }
    let rate = beacons.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(events_in(&db.client()).await, beacons.len() as u64);
    rate
}

/// The Kafka side alone, on the same broker: a group consumer reading the whole beacons topic
/// without processing it (records/s).
async fn bare_consume_rate(topics: &TestTopics, records: usize) -> f64 {
    use rdkafka::consumer::Consumer;
    let consumer = input_consumer(&topics.brokers, &random_name("bare")).unwrap();
    consumer.subscribe(&[topics.name(0)]).unwrap();
    // From the first record on: the group join is start-up.
    let _first = consumer.recv().await.unwrap();
    let started = Instant::now();
    for _ in 1..records {
        let message = consumer.recv().await.unwrap();
        std::hint::black_box(rdkafka::Message::payload(&message));
    }
    (records - 1) as f64 / started.elapsed().as_secs_f64()
}

/// The changelog alone: each planned batch's changed sessions produced and acknowledged as the
/// loader's writer does (`deliver_all`), one batch after the other. Returns (events/s of input
/// the changelog keeps up with, changelog records per event).
async fn changelog_rate(args: &Args, view: &ControlView, beacons: &[Beacon]) -> (f64, f64) {
    use stream_processors::load::delivery::{deliver_all, Outgoing};
    let topics = TestTopics::create(&[("sessions", args.partitions)]).await;
    let batches: Vec<Vec<Outgoing>> = planned_batches(args, view, beacons)
        .iter()
        .map(|batch| {
            batch
                .sessions
                .values()
                .enumerate()
                .map(|(i, (_, update))| Outgoing {
                    topic: topics.name(0).to_owned(),
                    partition: Some(i as i32 % args.partitions),
                    key: visitor_key(update.property_id, &update.visitor_id),
                    payload: schemas::encode(update).unwrap(),
                })
                .collect()
        })
        .collect();
    let records: usize = batches.iter().map(Vec::len).sum();
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let (_keep, stop) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    for batch in batches {
        assert!(deliver_all(&producer, batch, &stop)
            .await
            .unwrap()
            .is_empty());
    }
    let rate = beacons.len() as f64 / started.elapsed().as_secs_f64();
    (rate, records as f64 / beacons.len() as f64)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    ClickHouse,
    Discard,
}

/// One run of `loaders` loaders in one group over the whole beacons topic.
struct Run {
    /// events/s from start (group join, changelog restore included).
    total: f64,
    /// events/s after the first rows were written.
    steady: f64,
    /// CPU cores this process used meanwhile (all its threads: consume, enrich, sessionize,
    /// encode, the Kafka clients; the broker and ClickHouse are other processes).
    cores: f64,
}

fn loader_for(
    args: &Args,
    view: &ControlView,
    beacons_topic: &str,
    output: &TestTopics,
    group: &str,
    sink: Sink,
    batch_period: Duration,
) -> Loader {
    Loader {
        consumer: input_consumer(&output.brokers, group).unwrap(),
        status: Default::default(),
        producer: producer_config(&output.brokers).create().unwrap(),
        sink,
        control: ControlHandle::fixed(view.clone()),
        enricher: Enricher::from_catalog().unwrap(),
        settings: LoaderSettings {
            brokers: output.brokers.clone(),
            group: group.to_owned(),
            stuck_after: Duration::from_secs(30),
            rejoin_attempts: 2,
            beacons_topic: beacons_topic.to_owned(),
            sessions_topic: output.name(1).to_owned(),
            deadletter_topic: output.name(0).to_owned(),
            batch_rows: args.batch_rows,
            batch_period,
            sessions: SessionConfig::default(),
            max_in_flight: args.max_in_flight,
        },
    }
}

/// Where a run's events rows went: counted in ClickHouse, or by the discarding sinks.
enum Written {
    Stored(TestDatabase),
    Discarded(Vec<Discarded>),
}

impl Written {
    async fn events(&self) -> u64 {
        match self {
            Written::Stored(db) => events_in(&db.client()).await,
            Written::Discarded(all) => all.iter().map(Discarded::events).sum(),
        }
    }
}

async fn processors_rate(
    args: &Args,
    view: &ControlView,
    topics: &TestTopics,
    loaders: usize,
    kind: SinkKind,
) -> Run {
    // Each run its own changelog (a restore from an earlier run's would skip every event),
    // group and database.
    let output = TestTopics::create(&[("deadletter", 1), ("sessions", args.partitions)]).await;
    let group = random_name("bench");
    let mut written = match kind {
        SinkKind::ClickHouse => Written::Stored(TestDatabase::migrated().await),
        SinkKind::Discard => Written::Discarded(Vec::new()),
    };
    let mut runs = Vec::new();
    let mut statuses: Vec<std::sync::Arc<stream_processors::ops::status::Status>> = Vec::new();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    for _ in 0..loaders {
        let sink = match &mut written {
            Written::Stored(db) => ClickHouseSink::new(db.client(), topics.name(0)).into(),
            Written::Discarded(all) => {
                let (sink, discarded) = Sink::discarding();
                all.push(discarded);
                sink
            }
        };
        let batch_period = Duration::from_millis(args.batch_ms);
        let loader = loader_for(
            args,
            view,
            topics.name(0),
            &output,
            &group,
            sink,
            batch_period,
        );
        statuses.push(loader.status.clone());
        runs.push(tokio::spawn(loader.run(stopped.clone())));
    }
    let want = args.events as u64;
    // The start-up ends with the first rows once every loader holds partitions (group join,
    // rebalance, changelog restore): the rate after it is the group's steady one.
    let (first_rows, first_at, first_cpu) = loop {
        let rows = written.events().await;
        let shared = statuses.iter().all(|s| !s.assigned().is_empty());
        if rows > 0 && (shared || rows >= want) {
            break (rows, Instant::now(), benches::cpu::own_cpu_seconds());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    if first_rows >= want {
        eprintln!("warning: the loaders shared the partitions only after every row was written");
    }
    while written.events().await < want {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (wall, cpu) = (
        first_at.elapsed(),
        benches::cpu::own_cpu_seconds() - first_cpu,
    );
    let total = args.events as f64 / started.elapsed().as_secs_f64();
    let steady = (want - first_rows) as f64 / wall.as_secs_f64();
    stop.send(true).unwrap();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    Run {
        total,
        steady,
        cores: cpu / wall.as_secs_f64(),
    }
}

/// Beacon produced → its row queryable, for probe beacons (their own tenant, 10 a second) sent
/// among `rate` events/s of the workload for `secs` seconds, through one loader with the live
/// batch period (1 s). Returns (p50, p95, the rate produced).
async fn freshness(
    args: &Args,
    view: &ControlView,
    tenant: &schemas::fixtures::Tenant,
    probe: &schemas::fixtures::Tenant,
    rate: f64,
) -> (Duration, Duration, f64) {
    let topics = TestTopics::create(&[("beacons", args.partitions)]).await;
    let output = TestTopics::create(&[("deadletter", 1), ("sessions", args.partitions)]).await;
    let db = TestDatabase::migrated().await;
    let group = random_name("fresh");
    let sink = ClickHouseSink::new(db.client(), topics.name(0)).into();
    let loader = loader_for(
        args,
        view,
        topics.name(0),
        &output,
        &group,
        sink,
        Duration::from_secs(1),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(loader.run(stopped));

    let ticks = (args.freshness_secs * 100) as usize;
    let per_tick = (rate / 100.0).max(1.0) as usize;
    let background = workload(ticks * per_tick, args.visitors, tenant);
    let encoded: Vec<(String, Vec<u8>)> = background
        .iter()
        .map(|b| {
            (
                visitor_key(b.property_id, &b.visitor_id),
                schemas::encode(b).unwrap(),
            )
        })
        .collect();
    let probe_beacon = |n: usize| {
        let mut b = sample_tag_beacon();
        b.event_id = format!("probe-{n:06}");
        b.project_id = probe.project.clone();
        b.property_id = probe.property;
        b.visitor_id = format!("probe-visitor-{}", n % 60);
        b.received_at = chrono::Utc::now().timestamp_millis();
        b.tag.as_mut().unwrap().client_ts = Some(b.received_at);
        b
    };
    let probes_in = |db: &TestDatabase| {
        let client = db.client();
        let project = probe.project.clone();
        async move {
            client
                .query("SELECT event_id FROM events WHERE project_id = ?")
                .bind(project)
                .fetch_all::<String>()
                .await
                .unwrap()
        }
    };
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let send = |key: &str, payload: &[u8]| loop {
        match producer.send_result(FutureRecord::to(topics.name(0)).key(key).payload(payload)) {
            Ok(delivery) => break delivery,
            // The local queue is full: the broker is behind; a short pause.
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    // Warm-up: the loader has joined and restored once a first probe is queryable.
    let warm = probe_beacon(999_999);
    let _ = send(
        &visitor_key(warm.property_id, &warm.visitor_id),
        &schemas::encode(&warm).unwrap(),
    )
    .await;
    while probes_in(&db).await.is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut seen_at: HashMap<String, Instant> = HashMap::new();
    let mut deliveries = Vec::with_capacity(encoded.len() + ticks / 10);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut next_poll = Instant::now();
    let started = Instant::now();
    let mut records = encoded.chunks(per_tick);
    for t in 0..ticks {
        tick.tick().await;
        for (key, payload) in records.next().unwrap_or_default() {
            deliveries.push(send(key, payload));
        }
        if t % 10 == 0 {
            let b = probe_beacon(t / 10);
            let payload = schemas::encode(&b).unwrap();
            sent_at.insert(b.event_id.clone(), Instant::now());
            deliveries.push(send(&visitor_key(b.property_id, &b.visitor_id), &payload));
        }
        if Instant::now() >= next_poll {
            // Polled between sends, so the producer keeps its pace; each poll is one query.
            let now = Instant::now();
            for id in probes_in(&db).await {
                seen_at.entry(id).or_insert(now);
            }
            next_poll = Instant::now() + Duration::from_millis(50);
        }
    }
    let produced_rate = encoded.len() as f64 / started.elapsed().as_secs_f64();
    let until = Instant::now() + Duration::from_secs(60);
    while sent_at.keys().any(|id| !seen_at.contains_key(id)) && Instant::now() < until {
        let now = Instant::now();
        for id in probes_in(&db).await {
            seen_at.entry(id).or_insert(now);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for delivery in deliveries {
        delivery.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .map(|(id, sent)| {
            seen_at
                .get(id)
                .map_or(Duration::from_secs(60), |seen| seen.duration_since(*sent))
        })
        .collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), produced_rate)
}

/// Live heap bytes per visitor with an open session (two events each: an AI-referred landing
/// page with utm parameters, then a second page), including the interned strings.
fn memory_per_visitor(visitors: usize) -> (f64, usize) {
    let mut sessionizer = Sessionizer::new(SessionConfig::default());
    let ids: Vec<(String, String, String, String)> = (0..visitors)
        .map(|v| {
            (
                format!("{:032x}", v as u128 * 0x9e37_79b9_7f4a_7c15),
                format!("evt-{v:012}-a"),
                format!("evt-{v:012}-b"),
                format!("https://acme.com/docs/getting-started/{}", v % 50),
            )
        })
        .collect();
    let next_pages: Vec<String> = (0..50)
        .map(|p| format!("https://acme.com/docs/getting-started/{p}/next"))
        .collect();
    let utm = canonical_utm([("utm_source", "chatgpt.com")]);
    let region = Region::new(GLOBAL);
    let mut offset = 0;
    for second in [false, true] {
        for (v, (visitor, first_id, second_id, url)) in ids.iter().enumerate() {
            let visit = Visit {
                event_id: if second { second_id } else { first_id },
                ts: 1_764_000_000_000 + if second { 60_000 } else { 0 },
                property_id: 42,
                visitor_id: visitor,
                event_type: EventType::Pageview,
                url: if second { &next_pages[v % 50] } else { url },
                referrer: Some("https://chatgpt.com/"),
                channel: Some(Channel::Ai),
                ai_source: Some("ChatGPT"),
                utm: &utm,
                value: None,
            };
            std::hint::black_box(sessionizer.apply(&visit, offset));
            offset += 1;
        }
    }
    let change = region.change();
    let live = change.bytes_allocated as f64 - change.bytes_deallocated as f64
        + change.bytes_reallocated as f64;
    (live / visitors as f64, sessionizer.open_sessions())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (bytes, open) = memory_per_visitor(args.memory_visitors);
    println!(
        "sessionizer memory: {bytes:.0} B per active visitor ({open} open sessions, 2 events each, heap counted by the allocator)"
    );
    tokio::runtime::Runtime::new()?.block_on(async {
        let mut view = ControlView::new();
        let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
        let probe = onboard(&mut view, "probe.example", Plan::Pro, vec![Permission::Collect]);
        let beacons = workload(args.events, args.visitors, &tenant);
        let p = args.partitions;
        let topics = TestTopics::create(&[("beacons", p), ("deadletter", 1), ("sessions", p)]).await;
        produce(&topics, &beacons).await;
        let raw_before = raw_insert_rate(&args, &view, &beacons).await;
        println!("raw insert of the same rows: {raw_before:.0} events/s");
        let consumed = bare_consume_rate(&topics, beacons.len()).await;
        println!("bare consume of the beacons topic (no processing): {consumed:.0} records/s");
        let (changelog, per_event) = changelog_rate(&args, &view, &beacons).await;
        println!(
            "changelog alone (each batch's changed sessions, acknowledged, batch after batch): keeps up with {changelog:.0} events/s ({per_event:.2} records per event)"
        );
        let real = processors_rate(&args, &view, &topics, 1, SinkKind::ClickHouse).await;
        println!(
            "processors end to end (consume, enrich, sessionize, changelog, insert), 1 loader: {:.0} events/s after the first insert ({:.2} cores in this process), {:.0} events/s including start-up",
            real.steady, real.cores, real.total
        );
        let null = processors_rate(&args, &view, &topics, 1, SinkKind::Discard).await;
        println!(
            "processors with a discarding sink, 1 loader: {:.0} events/s on {:.2} cores = {:.0} events/s per core",
            null.steady,
            null.cores,
            null.steady / null.cores
        );
        let null_two = processors_rate(&args, &view, &topics, 2, SinkKind::Discard).await;
        println!(
            "processors with a discarding sink, 2 loaders: {:.0} events/s on {:.2} cores",
            null_two.steady, null_two.cores
        );
        let real_two = processors_rate(&args, &view, &topics, 2, SinkKind::ClickHouse).await;
        println!(
            "processors end to end, 2 loaders: {:.0} events/s on {:.2} cores",
            real_two.steady, real_two.cores
        );
        let raw_after = raw_insert_rate(&args, &view, &beacons).await;
        println!("raw insert of the same rows, again: {raw_after:.0} events/s");
        let raw = (raw_before + raw_after) / 2.0;
        println!(
            "processors ÷ raw insert: {:.2}x ({:.2}x including start-up) (goal >= 0.80; {} events, {} partitions, {} records per batch, {} batches in flight)",
            real.steady / raw,
            real.total / raw,
            args.events,
            args.partitions,
            args.batch_rows,
            args.max_in_flight,
        );
        println!(
            "2 loaders ÷ 1 loader: discarding sink {:.2}x, ClickHouse {:.2}x ({} cores on this machine)",
            null_two.steady / null.steady,
            real_two.steady / real.steady,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        );
        if args.freshness_secs > 0 {
            let rate = real.steady / 2.0;
            let (p50, p95, produced) = freshness(&args, &view, &tenant, &probe, rate).await;
            println!(
                "freshness (beacon produced -> row queryable) at {produced:.0} events/s (half of {:.0}), 1 s batch period: p50 {:.2} s, p95 {:.2} s (goal p95 <= 2 s)",
                real.steady,
                p50.as_secs_f64(),
                p95.as_secs_f64()
            );
        }
        Ok(())
    })
}
