//! Avro single-object encode/decode of a beacon, against serde_json of the same value as the
//! baseline measured in the same run. `cargo bench -p benches --bench codec`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use schemas::beacon::Beacon;
use schemas::{encode, SchemaRegistry};

fn beacon() -> Beacon {
    schemas::fixtures::sample_tag_beacon()
}

fn codec(c: &mut Criterion) {
    let value = beacon();
    let registry = SchemaRegistry::builtin();
    let avro = encode(&value).unwrap();
    let json = serde_json::to_vec(&value).unwrap();
    let mut group = c.benchmark_group("beacon");
    group.bench_function("encode/json (baseline)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).unwrap())
    });
    group.bench_function("encode/avro", |b| {
        b.iter(|| encode(black_box(&value)).unwrap())
    });
    group.bench_function("decode/json (baseline)", |b| {
        b.iter(|| serde_json::from_slice::<Beacon>(black_box(&json)).unwrap())
    });
    group.bench_function("decode/avro", |b| {
        b.iter(|| registry.decode::<Beacon>(black_box(&avro)).unwrap())
    });
    group.finish();
}

/// Prints per-operation figures and ratios against the JSON baseline from one timed pass.
fn ratios() {
    const N: u32 = 20_000;
    let value = beacon();
    let registry = SchemaRegistry::builtin();
    let avro = encode(&value).unwrap();
    let json = serde_json::to_vec(&value).unwrap();
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..N {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(N)
    };
    let enc_json = time(&|| drop(black_box(serde_json::to_vec(&value).unwrap())));
    let enc_avro = time(&|| drop(black_box(encode(&value).unwrap())));
    let dec_json = time(&|| drop(black_box(serde_json::from_slice::<Beacon>(&json).unwrap())));
    let dec_avro = time(&|| drop(black_box(registry.decode::<Beacon>(&avro).unwrap())));
    println!(
        "beacon size: avro {} B, json {} B (ratio {:.2})",
        avro.len(),
        json.len(),
        avro.len() as f64 / json.len() as f64
    );
    println!(
        "encode: avro {enc_avro:.0} ns, json {enc_json:.0} ns (avro/json {:.2}x)",
        enc_avro / enc_json
    );
    println!(
        "decode: avro {dec_avro:.0} ns, json {dec_json:.0} ns (avro/json {:.2}x)",
        dec_avro / dec_json
    );
}

criterion_group!(benches, codec);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
