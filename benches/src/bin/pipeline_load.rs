//! End to end: N beacons on optiview.beacons.v1 → stream-processors (enrich, sessionize,
//! changelog, ClickHouse) → rows; and, in the same run, the raw rate of inserting the very same
//! rows straight into ClickHouse (same batch size, same sink). Also the sessionizer's memory per
//! active visitor, counted by this binary's allocator.
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin pipeline_load -- --events 100000

use std::alloc::System;
use std::time::{Duration, Instant};

use clap::Parser;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::beacon::{Beacon, ServerHit, TagEventType};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon};
use schemas::vocab::{Channel, EventType};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::batch::Batch;
use stream_processors::load::input::input_consumer;
use stream_processors::load::loader::{Loader, LoaderSettings};
use stream_processors::load::process::{Position, Processor};
use stream_processors::load::sink::ClickHouseSink;
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
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    /// Records per ClickHouse insert, for the processors and the raw baseline alike.
    #[arg(long, default_value_t = 5_000)]
    batch_rows: usize,
    /// The processors' batch period. Long by default so batches fill by size, as in the raw
    /// baseline; the live default (1 s) trades throughput for latency at low rates.
    #[arg(long, default_value_t = 10_000)]
    batch_ms: u64,
    /// Visitors for the memory measurement.
    #[arg(long, default_value_t = 100_000)]
    memory_visitors: usize,
}

/// Browsers (modern `Mozilla/5.0` ones) and crawlers from the shared data.
fn user_agents() -> (Vec<String>, Vec<String>) {
    let (humans, bots) = benches::reference_user_agents();
    let humans = humans
        .into_iter()
        .filter(|ua| ua.starts_with("Mozilla/5.0"))
        .collect();
    (humans, bots)
}

/// A realistic mix: 80 % tag events (pageviews, clicks, some conversions) from browsers with
/// AI, search, social and direct referrers; 20 % server hits from crawlers.
fn workload(args: &Args, tenant: &schemas::fixtures::Tenant) -> Vec<Beacon> {
    let (humans, bots) = user_agents();
    let referrers = [
        Some("https://chatgpt.com/"),
        Some("https://www.perplexity.ai/search?q=x"),
        Some("https://www.google.com/"),
        Some("https://news.ycombinator.com/item?id=1"),
        None,
        None,
    ];
    let now = chrono::Utc::now().timestamp_millis();
    (0..args.events)
        .map(|i| {
            let mut b = sample_tag_beacon();
            b.event_id = format!("evt-{i:09}");
            b.project_id = tenant.project.clone();
            b.property_id = tenant.property;
            b.received_at = now;
            let ts = now - (args.events - i) as i64 * 10;
            if i % 5 == 4 {
                b.user_agent = bots[i % bots.len()].clone();
                b.visitor_id = format!("bot-{}", i % 97);
                b.tag = None;
                b.hit = Some(ServerHit {
                    ts,
                    method: "GET".into(),
                    host: "acme.com".into(),
                    path: format!("/docs/{}", i % 500),
                    query: None,
                    status: 200,
                    ip: Some("20.15.240.64".into()),
                    referrer: None,
                    bytes: Some(5120),
                    response_ms: Some(12),
                    signature: None,
                    signature_input: None,
                    signature_agent: None,
                    sealed_ip: None,
                });
            } else {
                b.user_agent = humans[i % humans.len()].clone();
                b.visitor_id = format!("visitor-{}", (i * 7919) % args.visitors);
                let tag = b.tag.as_mut().unwrap();
                tag.client_ts = Some(ts);
                tag.url = format!("https://acme.com/docs/{}?utm_campaign=c{}", i % 500, i % 3);
                tag.referrer = referrers[i % referrers.len()].map(str::to_owned);
                tag.utm.clear();
                tag.event_type = match i % 20 {
                    0 => TagEventType::Conversion,
                    1..=3 => TagEventType::Click,
                    _ => TagEventType::Pageview,
                };
            }
            b
        })
        .collect()
}

async fn produce(topics: &TestTopics, beacons: &[Beacon]) {
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    for chunk in beacons.chunks(2_000) {
        let payloads: Vec<(String, Vec<u8>)> = chunk
            .iter()
            .map(|b| {
                (
                    format!("{}:{}", b.property_id, b.visitor_id),
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

/// The rows the processors would write, computed beforehand, then only the inserts timed.
async fn raw_insert_rate(args: &Args, view: &ControlView, beacons: &[Beacon]) -> f64 {
    let processor = Processor::new(Enricher::from_catalog().unwrap(), "raw");
    let mut sessionizer = Sessionizer::new(SessionConfig::default());
    let now = chrono::Utc::now().timestamp_millis();
    let batches: Vec<Batch> = beacons
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
        .collect();
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

/// (events/s from start, events/s after the first insert)
async fn processors_rate(args: &Args, view: &ControlView, topics: &TestTopics) -> (f64, f64) {
    let db = TestDatabase::migrated().await;
    let group = random_name("bench");
    let loader = Loader {
        consumer: input_consumer(&topics.brokers, &group).unwrap(),
        status: Default::default(),
        producer: producer_config(&topics.brokers).create().unwrap(),
        sink: ClickHouseSink::new(db.client(), topics.name(0)).into(),
        control: ControlHandle::fixed(view.clone()),
        enricher: Enricher::from_catalog().unwrap(),
        settings: LoaderSettings {
            brokers: topics.brokers.clone(),
            group,
            stuck_after: Duration::from_secs(30),
            rejoin_attempts: 2,
            beacons_topic: topics.name(0).to_owned(),
            sessions_topic: topics.name(2).to_owned(),
            deadletter_topic: topics.name(1).to_owned(),
            batch_rows: args.batch_rows,
            batch_period: Duration::from_millis(args.batch_ms),
            sessions: SessionConfig::default(),
            max_in_flight: 2,
        },
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let running = tokio::spawn(loader.run(stopped));
    let want = args.events as u64;
    // The first insert marks the end of the start-up (group join, changelog restore).
    let (first_rows, first_at) = loop {
        let rows = events_in(&db.client()).await;
        if rows > 0 {
            break (rows, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    while events_in(&db.client()).await < want {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total = args.events as f64 / started.elapsed().as_secs_f64();
    let steady = (want - first_rows) as f64 / first_at.elapsed().as_secs_f64();
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    (total, steady)
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
        let beacons = workload(&args, &tenant);
        let p = args.partitions;
        let topics = TestTopics::create(&[("beacons", p), ("deadletter", 1), ("sessions", p)]).await;
        produce(&topics, &beacons).await;
        let raw_before = raw_insert_rate(&args, &view, &beacons).await;
        println!("raw insert of the same rows: {raw_before:.0} events/s");
        let (total, processors) = processors_rate(&args, &view, &topics).await;
        println!(
            "processors end to end (consume, enrich, sessionize, changelog, insert): {processors:.0} events/s after the first insert, {total:.0} events/s including start-up"
        );
        let raw_after = raw_insert_rate(&args, &view, &beacons).await;
        println!("raw insert of the same rows, again: {raw_after:.0} events/s");
        let raw = (raw_before + raw_after) / 2.0;
        println!(
            "processors ÷ raw insert: {:.2}x ({:.2}x including start-up) (goal >= 0.50; {} events, {} partitions, {} records per batch)",
            processors / raw,
            total / raw,
            args.events,
            args.partitions,
            args.batch_rows
        );
        Ok(())
    })
}
