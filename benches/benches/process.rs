//! `Processor::process` per consumed record: decode, enrich, sessionize and the batch's rows, over
//! `pipeline_load`'s traffic (80 % tag events, 20 % crawler hits) in batches of 5,000, no broker
//! and no ClickHouse. Baseline in the same run: serde_json decoding the same beacons (code the
//! processors do not run, so it stays put while they change); the Avro decode `process` starts
//! with is printed beside it. `cargo bench -p benches --bench process`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use schemas::beacon::Beacon;
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::onboard;
use schemas::SchemaRegistry;
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::batch::Batch;
use stream_processors::load::process::{Position, Processor};
use stream_processors::sessionize::{SessionConfig, Sessionizer};

const RECORDS: usize = 20_000;
const VISITORS: usize = 2_000;
const BATCH_ROWS: usize = 5_000;

struct Fixture {
    view: ControlView,
    processor: Processor,
    registry: SchemaRegistry,
    records: Vec<Vec<u8>>,
    json: Vec<Vec<u8>>,
    processed_at_ms: i64,
}

fn fixture() -> Fixture {
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    let beacons = benches::workload::workload(RECORDS, VISITORS, &tenant);
    let records = beacons
        .iter()
        .map(|b| schemas::encode(b).unwrap())
        .collect();
    let json = beacons
        .iter()
        .map(|b| serde_json::to_vec(b).unwrap())
        .collect();
    Fixture {
        view,
        processor: Processor::new(Enricher::from_catalog().unwrap(), "beacons"),
        registry: SchemaRegistry::builtin(),
        records,
        json,
        processed_at_ms: chrono::Utc::now().timestamp_millis(),
    }
}

/// Every record through one loader's processor, as its loop does: a fresh sessionizer (the
/// records' offsets are new to it), batches of `BATCH_ROWS`. Returns the batches' events rows.
fn process_all(f: &Fixture) -> usize {
    let mut sessionizer = Sessionizer::new(SessionConfig::default());
    let mut events = 0;
    for (c, chunk) in f.records.chunks(BATCH_ROWS).enumerate() {
        let mut batch = Batch::default();
        for (i, bytes) in chunk.iter().enumerate() {
            let at = Position {
                partition: 0,
                offset: (c * BATCH_ROWS + i) as i64,
            };
            f.processor.process(
                &f.view,
                &mut sessionizer,
                at,
                bytes,
                f.processed_at_ms,
                &mut batch,
            );
        }
        events += black_box(&batch).events.len();
    }
    events
}

fn decode_all(f: &Fixture) {
    for bytes in &f.records {
        black_box(f.registry.decode::<Beacon>(black_box(bytes)).unwrap());
    }
}

fn json_decode_all(f: &Fixture) {
    for bytes in &f.json {
        black_box(serde_json::from_slice::<Beacon>(black_box(bytes)).unwrap());
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    // Every record must become an events row, or the bench measures dead letters.
    assert_eq!(process_all(&f), RECORDS);
    let mut group = c.benchmark_group("process");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(10);
    group.bench_function("json decode, 20k beacons (baseline)", |b| {
        b.iter(|| json_decode_all(&f))
    });
    group.bench_function("avro decode, 20k records", |b| b.iter(|| decode_all(&f)));
    group.bench_function("Processor::process, 20k records", |b| {
        b.iter(|| process_all(&f))
    });
    group.finish();
}

/// Per-record figures from timed passes that alternate baseline and process, and their ratio.
fn ratios() {
    let f = fixture();
    let per_record = |run: &dyn Fn()| {
        let start = Instant::now();
        run();
        start.elapsed().as_secs_f64() * 1e9 / RECORDS as f64
    };
    for pass in 1..=3 {
        let json = per_record(&|| json_decode_all(&f));
        let avro = per_record(&|| decode_all(&f));
        let process = per_record(&|| {
            black_box(process_all(&f));
        });
        println!(
            "pass {pass}: process {process:.0} ns per record, avro decode {avro:.0} ns, json decode {json:.0} ns (baseline); process/json {:.2}x, avro/json {:.2}x",
            process / json,
            avro / json
        );
    }
}

criterion_group!(process, benches);

fn main() {
    process();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
