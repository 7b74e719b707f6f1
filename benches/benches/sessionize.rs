//! Sessionizer `apply()` throughput: events of 10,000 visitors in time order, most joining an open
//! session, some opening one. `cargo bench -p benches --bench sessionize`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use schemas::vocab::{Channel, EventType};
use stream_processors::sessionize::{canonical_utm, SessionConfig, Sessionizer, Visit};

const VISITORS: usize = 10_000;

struct Event {
    id: String,
    visitor: String,
    url: String,
    ts: i64,
}

fn events(n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| Event {
            id: format!("evt-{i:012}"),
            visitor: format!("{:032x}", (i * 7919 % VISITORS) as u128 * 0x9e37_79b9),
            url: format!("https://acme.com/docs/{}", i % 300),
            // One event every 50 ms: a visitor comes back about every 8 minutes.
            ts: 1_764_000_000_000 + i as i64 * 50,
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let events = events(100_000);
    let utm = canonical_utm([("utm_source", "chatgpt.com")]);
    let mut group = c.benchmark_group("sessionizer");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("apply 100k events, 10k visitors", |b| {
        b.iter(|| {
            let mut sessionizer = Sessionizer::new(SessionConfig::default());
            for (offset, e) in events.iter().enumerate() {
                let visit = Visit {
                    event_id: &e.id,
                    ts: e.ts,
                    property_id: 42,
                    visitor_id: &e.visitor,
                    event_type: EventType::Pageview,
                    url: &e.url,
                    referrer: (offset % 7 == 0).then_some("https://chatgpt.com/"),
                    channel: Some(if offset % 7 == 0 {
                        Channel::Ai
                    } else {
                        Channel::Direct
                    }),
                    ai_source: (offset % 7 == 0).then_some("ChatGPT"),
                    utm: &utm,
                    value: None,
                };
                black_box(sessionizer.apply(&visit, offset as i64));
            }
            sessionizer
        })
    });
    group.finish();
}

criterion_group!(sessionize, benches);
criterion_main!(sessionize);
