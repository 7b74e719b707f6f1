//! Growing the visitor partitions on the test broker: sessions written at 3 partitions, the topics
//! grown to 6, the changelog rebuilt; a loader then restores every visitor's state on the
//! partition the producer's partitioner now assigns it, and each visitor's next page view
//! continues its session (session id unchanged in ClickHouse).
//!
//! Tansu 0.6 has no CreatePartitions, so the topics are created with 6 partitions and the first
//! phase is produced where a producer saw 3 (`partition_for(key, 3)`): the state a grown topic is
//! in (partitions 3..5 exist and are empty). The second phase uses the producer's own
//! partitioner, as the collector does.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{loader, wait_for};
use platform::kafka::partitioner::partition_for;
use platform::kafka::producer_config;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon, Tenant};
use schemas::topics::visitor_key;
use stream_processors::load::changelog_reader::restore_partition;
use stream_processors::repartition::{rebuild, Rebuild};
use stream_processors::sessionize::SessionConfig;
use tokio::sync::watch;

const VISITORS: usize = 24;
const MIN: i64 = 60_000;

/// Visitor `v`'s `n`-th page view, `minutes_ago` before now.
fn pageview(tenant: &Tenant, v: usize, n: usize, minutes_ago: i64) -> Beacon {
    let now = chrono::Utc::now().timestamp_millis();
    let mut b = sample_tag_beacon();
    b.event_id = format!("evt-{v}-{n}");
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("visitor-{v}");
    b.received_at = now;
    let tag = b.tag.as_mut().unwrap();
    tag.event_type = TagEventType::Pageview;
    tag.client_ts = Some(now - minutes_ago * MIN);
    tag.url = format!("https://acme.com/docs/{n}");
    tag.referrer = None;
    tag.utm.clear();
    b
}

fn key(b: &Beacon) -> String {
    visitor_key(b.property_id, &b.visitor_id)
}

/// Produces each beacon keyed by visitor, to `partition` when given (else the producer's
/// partitioner chooses); returns where the broker stored each one.
async fn produce(
    topics: &TestTopics,
    beacons: &[Beacon],
    partition: impl Fn(&str) -> Option<i32>,
) -> Vec<(i32, i64)> {
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let mut stored = Vec::new();
    for b in beacons {
        let key = key(b);
        let payload = schemas::encode(b).unwrap();
        let mut record = FutureRecord::to(topics.name(0)).key(&key).payload(&payload);
        if let Some(p) = partition(&key) {
            record = record.partition(p);
        }
        let delivered = producer.send(record, Duration::from_secs(10)).await;
        let delivery = delivered.unwrap();
        stored.push((delivery.partition, delivery.offset));
    }
    stored
}

/// The key of the record at `partition`/`offset` of `topic`, read back from the broker.
fn key_at(brokers: &str, topic: &str, partition: i32, offset: i64) -> String {
    let consumer: BaseConsumer = platform::kafka::consumer_config(brokers, &random_name("read"))
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(offset))
        .unwrap();
    consumer.assign(&assignment).unwrap();
    for _ in 0..100 {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            assert_eq!(message.offset(), offset);
            return String::from_utf8(message.key().unwrap().to_vec()).unwrap();
        }
    }
    panic!("nothing at {topic}/{partition}@{offset}");
}

/// visitor → (session id, page views), from ClickHouse's merged sessions; panics when a
/// visitor has more than one session.
async fn sessions(client: &clickhouse::Client) -> BTreeMap<String, (String, u32)> {
    let rows: Vec<(String, String, u32)> = client
        .query("SELECT visitor_id, session_id, pageviews FROM sessions FINAL")
        .fetch_all()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for (visitor, session, pageviews) in rows {
        if let Some(other) = out.insert(visitor.clone(), (session.clone(), pageviews)) {
            panic!("{visitor} has two sessions: {other:?} and {session}");
        }
    }
    out
}

/// Runs a loader of `group` until `events` rows are stored, then stops it cleanly.
async fn load_until(
    topics: &TestTopics,
    db: &TestDatabase,
    view: &ControlView,
    group: &str,
    events: u64,
) {
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(loader(topics, db.client(), view, group).run(stopped));
    assert_eq!(wait_for(&db.client(), "events", events).await, events);
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn after_growing_to_six_partitions_and_rebuilding_every_visitor_continues_its_session() {
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    let topics = TestTopics::create(&[("beacons", 6), ("deadletter", 1), ("sessions", 6)]).await;
    let (beacons, sessions_topic) = (topics.name(0), topics.name(2));
    let db = TestDatabase::migrated().await;
    let group = random_name("g");

    // Phase one, at 3 partitions: two page views per visitor.
    let first: Vec<Beacon> = (0..VISITORS)
        .flat_map(|v| [pageview(&tenant, v, 0, 10), pageview(&tenant, v, 1, 8)])
        .collect();
    produce(&topics, &first, |key| {
        Some(partition_for(key.as_bytes(), 3))
    })
    .await;
    load_until(&topics, &db, &view, &group, first.len() as u64).await;
    let before = sessions(&db.client()).await;
    assert_eq!(before.len(), VISITORS, "one session per visitor");
    assert!(before.values().all(|(_, pageviews)| *pageviews == 2));

    let keys: Vec<String> = (0..VISITORS).map(|v| key(&first[2 * v])).collect();
    let moving = keys
        .iter()
        .filter(|k| partition_for(k.as_bytes(), 3) != partition_for(k.as_bytes(), 6))
        .count();
    assert!(
        (1..VISITORS).contains(&moving),
        "the test needs visitors that move and visitors that stay: {moving} move"
    );

    // The rebuild refuses a count the topics do not have.
    let refused = rebuild(Rebuild {
        brokers: &topics.brokers,
        beacons_topic: beacons,
        sessions_topic,
        partitions: 12,
        dry_run: false,
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("has 6 partitions, not 12"), "{refused}");

    let job = |dry_run| Rebuild {
        brokers: &topics.brokers,
        beacons_topic: beacons,
        sessions_topic,
        partitions: 6,
        dry_run,
    };
    let dry = rebuild(job(true)).await.unwrap();
    let done = rebuild(job(false)).await.unwrap();
    for report in [&dry, &done] {
        assert_eq!(
            (
                report.visitors,
                report.moved,
                report.in_place,
                report.copies,
                report.tombstones
            ),
            (VISITORS, moving, VISITORS - moving, moving, moving),
            "{report:?}"
        );
    }
    // Everything moved, so a second run has nothing to do.
    let again = rebuild(job(false)).await.unwrap();
    assert_eq!(
        (again.moved, again.in_place, again.copies),
        (0, VISITORS, 0)
    );

    // Each partition's restore holds exactly the visitors the partitioner now assigns it.
    for partition in 0..6 {
        let restored = restore_partition(
            &topics.brokers,
            sessions_topic,
            partition,
            SessionConfig::default(),
        )
        .await
        .unwrap();
        let expected = keys
            .iter()
            .filter(|k| partition_for(k.as_bytes(), 6) == partition)
            .count();
        assert_eq!(restored.visitors(), expected, "partition {partition}");
    }

    // Phase two, at 6 partitions through the producer's own partitioner: one more page view
    // each, stored where partition_for says.
    let second: Vec<Beacon> = (0..VISITORS).map(|v| pageview(&tenant, v, 2, 2)).collect();
    let stored = produce(&topics, &second, |_| None).await;
    for (b, &(partition, offset)) in second.iter().zip(&stored) {
        assert_eq!(partition, partition_for(key(b).as_bytes(), 6), "{}", key(b));
        assert_eq!(key_at(&topics.brokers, beacons, partition, offset), key(b));
    }
    load_until(
        &topics,
        &db,
        &view,
        &group,
        (first.len() + second.len()) as u64,
    )
    .await;
    let after = sessions(&db.client()).await;
    assert_eq!(after.len(), VISITORS, "no visitor opened a second session");
    for (visitor, (session_id, pageviews)) in &after {
        assert_eq!(
            (session_id, *pageviews),
            (&before[visitor].0, 3),
            "{visitor} continues its session"
        );
    }
}
