//! The loader against the real broker and engine: beacons in, rows out, bad records to the
//! dead-letter topic with a typed reason, offsets committed only after the rows landed, so a
//! restarted loader in the same group adds nothing.

mod common;

use std::time::Duration;

use common::{beacon, count, loader, wait_for};
use platform::kafka::producer_config;
use platform::test_support::{random_name, read_topic, TestDatabase, TestTopics};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::control::{ControlView, Permission, Plan};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::fixtures::onboard;
use tokio::sync::watch;

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn beacons_become_rows_once_and_bad_records_dead_letters() {
    let topics = TestTopics::create(&[("beacons", 3), ("deadletter", 1), ("sessions", 3)]).await;
    let db = TestDatabase::migrated().await;
    let mut view = ControlView::new();
    let tenant = onboard(
        &mut view,
        "acme.com",
        Plan::Growth,
        vec![Permission::Collect],
    );

    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let send = |key: String, payload: Vec<u8>| {
        let producer = producer.clone();
        let topic = topics.name(0).to_owned();
        async move {
            producer
                .send(
                    FutureRecord::to(&topic).key(&key).payload(&payload),
                    Duration::from_secs(10),
                )
                .await
                .unwrap();
        }
    };
    const N: usize = 100;
    for i in 0..N {
        let b = beacon(&tenant, i);
        send(
            format!("{}:{}", b.property_id, b.visitor_id),
            schemas::encode(&b).unwrap(),
        )
        .await;
    }
    send("x".into(), b"not avro at all".to_vec()).await;
    let mut stranger = beacon(&tenant, 1000);
    stranger.property_id = 999_999;
    send("y".into(), schemas::encode(&stranger).unwrap()).await;

    let group = random_name("loader");
    let (stop, stopped) = watch::channel(false);
    let processor = loader(&topics, db.client(), &view, &group);
    let status = processor.status.clone();
    let first = tokio::spawn(processor.run(stopped));
    assert_eq!(wait_for(&db.client(), "events", N as u64).await, N as u64);
    // Lag comes from the high watermarks fetch responses carried (statistics every second): it
    // reaches zero on every partition once all was read.
    let mut lag = status.lag();
    for _ in 0..50 {
        if lag.len() == 3 && lag.values().all(|l| *l == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        lag = status.lag();
    }
    assert_eq!(
        lag.into_iter().collect::<Vec<_>>(),
        [(0, 0), (1, 0), (2, 0)]
    );
    assert_eq!(
        wait_for(&db.client(), "ai_referrals", (N / 2) as u64).await,
        (N / 2) as u64
    );
    stop.send(true).unwrap();
    first.await.unwrap().unwrap();

    let letters: Vec<DeadLetter> = read_topic(&topics.brokers, topics.name(1), 1, 2).await;
    let mut reasons: Vec<DeadLetterReason> = letters.iter().map(|l| l.reason).collect();
    reasons.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        reasons,
        [
            DeadLetterReason::Undecodable,
            DeadLetterReason::UnknownProperty
        ]
    );
    let garbage = letters
        .iter()
        .find(|l| l.reason == DeadLetterReason::Undecodable)
        .unwrap();
    assert_eq!(garbage.original, b"not avro at all");

    // Same group again: everything was committed after it landed, so nothing is re-inserted.
    let (stop, stopped) = watch::channel(false);
    let second = tokio::spawn(loader(&topics, db.client(), &view, &group).run(stopped));
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.send(true).unwrap();
    second.await.unwrap().unwrap();
    let raw = count(&db.client(), "events", false).await;
    assert_eq!(raw, N as u64, "no row inserted twice");
    assert_eq!(
        read_topic::<DeadLetter>(&topics.brokers, topics.name(1), 1, 3)
            .await
            .len(),
        2
    );
}
