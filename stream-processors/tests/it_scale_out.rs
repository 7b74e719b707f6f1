//! Horizontal scale-out: `stream-processors run` processes (the real binary) share one group on a
//! 6-partition beacons topic — two, then three — and one is killed with SIGKILL while visitors are
//! mid-session. The survivors take its partitions, restore its sessions from the changelog, and
//! the rows are those of one uninterrupted run: each visit one session holding exactly its
//! pages, every event stored once. The expectation comes from how the stream is built.

mod common;

use common::{write_control, LoaderProcess};

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::count;
use platform::kafka::producer_config;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard_events, sample_tag_beacon, Tenant};

const PARTITIONS: i32 = 6;
const VISITORS: usize = 48;
const MIN: i64 = 60_000;
/// Every wait on a condition ends by this bound (a failure, not a measurement).
const BOUND: Duration = Duration::from_secs(120);

/// A `stream-processors run` process; small batches, several in flight: a kill lands among writes.
fn start_processor(topics: &TestTopics, db: &TestDatabase, group: &str) -> LoaderProcess {
    LoaderProcess::start(
        topics,
        db,
        group,
        &[
            "--batch-ms",
            "200",
            "--batch-rows",
            "20",
            "--max-in-flight-batches",
            "2",
        ],
    )
}

/// The partitions a processor reports holding.
async fn partitions(processor: &LoaderProcess) -> BTreeSet<i32> {
    let Some(ready) = processor.readyz().await else {
        return BTreeSet::new();
    };
    ready["partitions"]
        .as_array()
        .map(|held| {
            held.iter()
                .filter_map(|p| p.as_i64())
                .map(|p| p as i32)
                .collect()
        })
        .unwrap_or_default()
}

/// One pageview: visitor `v`'s `k`-th page of `phase`, at `minute` of event time after `t0`.
fn page(tenant: &Tenant, t0: i64, v: usize, phase: usize, k: i64, minute: i64) -> Beacon {
    let mut b = sample_tag_beacon();
    b.event_id = format!("evt-{v}-{phase}-{k}");
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("visitor-{v}");
    b.received_at = chrono::Utc::now().timestamp_millis();
    let tag = b.tag.as_mut().unwrap();
    tag.event_type = TagEventType::Pageview;
    tag.client_ts = Some(t0 + minute * MIN + k * MIN + v as i64 * 100);
    tag.url = format!("https://acme.com/v{v}/p{phase}-{k}");
    tag.referrer = None;
    tag.utm.clear();
    b
}

/// Phases 0–2 (ten minutes apart) continue every visitor's first visit across the rebalance and
/// the kill. In phase 3 odd visitors come back five minutes later (the same visit), even ones
/// an hour later (a new visit); the odd ones first, so no partition sees them after the hour.
fn phase(tenant: &Tenant, t0: i64, phase: usize) -> Vec<(usize, Beacon)> {
    let visitors: Vec<usize> = match phase {
        3 => (0..VISITORS)
            .filter(|v| v % 2 == 1)
            .chain((0..VISITORS).filter(|v| v % 2 == 0))
            .collect(),
        _ => (0..VISITORS).collect(),
    };
    let mut out = Vec::new();
    for v in visitors {
        let minute = match phase {
            3 if v % 2 == 0 => 80,
            3 => 25,
            p => 10 * p as i64,
        };
        for k in 0..2 {
            out.push((v, page(tenant, t0, v, phase, k, minute)));
        }
    }
    out
}

/// visitor → its visits, each the event ids it holds (in page order).
fn expected_visits() -> BTreeMap<String, Vec<Vec<String>>> {
    let mut visits = BTreeMap::new();
    for v in 0..VISITORS {
        let id = |phase: usize, k: i64| format!("evt-{v}-{phase}-{k}");
        let first: Vec<String> = (0..3)
            .flat_map(|p| (0..2).map(move |k| (p, k)))
            .map(|(p, k)| id(p, k))
            .collect();
        let last: Vec<String> = (0..2).map(|k| id(3, k)).collect();
        let mut of_visitor = if v % 2 == 1 {
            vec![[first, last].concat()]
        } else {
            vec![first, last]
        };
        of_visitor.sort();
        visits.insert(format!("visitor-{v}"), of_visitor);
    }
    visits
}

/// Each visitor's beacons on partition `visitor % 6`, keyed as the collector keys them.
async fn produce(producer: &FutureProducer, topic: &str, beacons: &[(usize, Beacon)]) {
    let sends = beacons.iter().map(|(v, b)| {
        let key = format!("{}:{}", b.property_id, b.visitor_id);
        let payload = schemas::encode(b).unwrap();
        let partition = (*v as i32) % PARTITIONS;
        async move {
            producer
                .send(
                    FutureRecord::to(topic)
                        .key(&key)
                        .payload(&payload)
                        .partition(partition),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    });
    // In order per partition: one send at a time.
    for send in sends {
        send.await;
    }
}

/// Waits until `table` holds `want` distinct rows after merging, within the bound.
async fn wait_rows(client: &clickhouse::Client, table: &str, want: u64) {
    let started = Instant::now();
    let mut got = 0;
    while started.elapsed() < BOUND {
        got = count(client, table, true).await;
        if got >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{table}: {got} of {want} rows within {BOUND:?}");
}

/// Waits until the processors together report every partition, each partition by one of them.
async fn wait_covering(processors: &[&LoaderProcess]) -> Vec<BTreeSet<i32>> {
    let all: BTreeSet<i32> = (0..PARTITIONS).collect();
    let started = Instant::now();
    let mut held = Vec::new();
    while started.elapsed() < BOUND {
        held.clear();
        for p in processors {
            held.push(partitions(p).await);
        }
        let union: BTreeSet<i32> = held.iter().flatten().copied().collect();
        let total: usize = held.iter().map(BTreeSet::len).sum();
        if union == all && total == all.len() && held.iter().all(|h| !h.is_empty()) {
            return held;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the processors never shared the partitions: {held:?}");
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_killed_processors_partitions_and_sessions_move_to_the_survivors_exactly() {
    let topics = TestTopics::create(&[
        ("beacons", PARTITIONS),
        ("deadletter", 1),
        ("sessions", PARTITIONS),
        ("control", 1),
    ])
    .await;
    let db = TestDatabase::migrated().await;
    let client = db.client();
    let mut view = ControlView::new();
    let (tenant, events) =
        onboard_events(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    write_control(&topics, &events).await;
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let group = random_name("scale");
    let t0 = chrono::Utc::now().timestamp_millis() - 3 * 60 * MIN;
    let mut produced = 0u64;

    // Two processors share the partitions, and the first pages.
    let first = start_processor(&topics, &db, &group);
    let second = start_processor(&topics, &db, &group);
    let beacons = phase(&tenant, t0, 0);
    produce(&producer, topics.name(0), &beacons).await;
    produced += beacons.len() as u64;
    wait_rows(&client, "events", produced).await;
    let two = wait_covering(&[&first, &second]).await;
    eprintln!("two processors hold {two:?}");

    // A third joins: the group rebalances while pages arrive.
    let third = start_processor(&topics, &db, &group);
    let beacons = phase(&tenant, t0, 1);
    produce(&producer, topics.name(0), &beacons).await;
    produced += beacons.len() as u64;
    wait_rows(&client, "events", produced).await;
    let three = wait_covering(&[&first, &second, &third]).await;
    eprintln!("three processors hold {three:?}");

    // The third is killed mid-stream: pages arrive while it is gone.
    let victims = three[2].clone();
    drop(third);
    let beacons = phase(&tenant, t0, 2);
    produce(&producer, topics.name(0), &beacons).await;
    produced += beacons.len() as u64;
    wait_rows(&client, "events", produced).await;
    let survivors = wait_covering(&[&first, &second]).await;
    eprintln!("after the kill the survivors hold {survivors:?} (the killed one held {victims:?})");
    let taken: BTreeSet<i32> = survivors.iter().flatten().copied().collect();
    assert!(victims.is_subset(&taken), "its partitions were taken over");

    let beacons = phase(&tenant, t0, 3);
    produce(&producer, topics.name(0), &beacons).await;
    produced += beacons.len() as u64;
    wait_rows(&client, "events", produced).await;
    let want = expected_visits();
    let sessions: u64 = want.values().map(|v| v.len() as u64).sum();
    wait_rows(&client, "sessions", sessions).await;

    // Every event once.
    let ids: Vec<String> = client
        .query("SELECT DISTINCT event_id FROM events")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(ids.len() as u64, produced, "every event stored");
    assert_eq!(count(&client, "events", true).await, produced, "none twice");

    // Each visit is one session holding exactly its pages.
    let grouped: Vec<(String, String, String)> = client
        .query(
            "SELECT visitor_id, session_id, arrayStringConcat(groupArray(event_id), ' ') FROM events FINAL
             GROUP BY visitor_id, session_id ORDER BY visitor_id, session_id",
        )
        .fetch_all()
        .await
        .unwrap();
    let mut got: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut session_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (visitor, session, events) in grouped {
        assert!(!session.is_empty(), "{visitor}: events without a session");
        let mut events: Vec<String> = events.split(' ').map(str::to_owned).collect();
        events.sort_by_key(|e| page_order(e));
        session_of.insert(session, events.clone());
        got.entry(visitor).or_default().push(events);
    }
    for visits in got.values_mut() {
        visits.sort();
    }
    assert_eq!(got, want, "sessions as one uninterrupted run places them");

    // The sessions table agrees: one row per visit, its page count, entry and exit pages.
    let rows: Vec<(String, u32, String, String)> = client
        .query("SELECT session_id, pageviews, entry_url, exit_url FROM sessions FINAL")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, sessions, "one sessions row per visit");
    for (session, pageviews, entry, exit) in rows {
        let events = &session_of[&session];
        assert_eq!(pageviews as usize, events.len(), "{session}: page count");
        assert_eq!(entry, url_of(&events[0]), "{session}: entry page");
        assert_eq!(exit, url_of(events.last().unwrap()), "{session}: exit page");
    }
}

/// `evt-{v}-{phase}-{k}` → (phase, k): the order the visitor saw its pages in.
fn page_order(event_id: &str) -> (u32, u32) {
    let parts: Vec<u32> = event_id
        .split('-')
        .skip(2)
        .map(|n| n.parse().unwrap())
        .collect();
    (parts[0], parts[1])
}

/// The page `page` gave event `evt-{v}-{phase}-{k}`.
fn url_of(event_id: &str) -> String {
    let parts: Vec<&str> = event_id.split('-').collect();
    format!("https://acme.com/v{}/p{}-{}", parts[1], parts[2], parts[3])
}
