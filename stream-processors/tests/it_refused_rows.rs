//! A row ClickHouse refuses for good (here: a table constraint the test adds, answered with
//! VIOLATED_CONSTRAINT, as a type mismatch or an unparsable value would be) does not stall the
//! loader: its batch is split until the refused rows stand alone, their records go to the
//! dead-letter topic with their bytes, the rest lands once, and the offsets move on.

mod common;

use common::{beacon, count, loader, produce, stored_ids, wait_for};
use platform::test_support::{random_name, read_topic, TestDatabase, TestTopics};
use schemas::beacon::Beacon;
use schemas::control::{ControlView, Permission, Plan};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::fixtures::onboard;
use tokio::sync::watch;

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn refused_rows_are_dead_lettered_and_the_rest_of_their_batch_lands() {
    let topics = TestTopics::create(&[("beacons", 1), ("deadletter", 1), ("sessions", 1)]).await;
    let db = TestDatabase::migrated().await;
    let client = db.client();
    client
        .query("ALTER TABLE events ADD CONSTRAINT no_poison CHECK url NOT LIKE '%poison%'")
        .execute()
        .await
        .unwrap();
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);

    // 40 beacons in one batch (batch_rows is 40 in the test loader), two of them poisoned.
    let poisoned = [7usize, 31];
    let beacons: Vec<Beacon> = (0..40)
        .map(|i| {
            let mut b = beacon(&tenant, i);
            if poisoned.contains(&i) {
                b.tag.as_mut().unwrap().url = format!("https://acme.com/poison/{i}");
            }
            b
        })
        .collect();
    produce(&topics, &beacons).await;

    let group = random_name("loader");
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(loader(&topics, client.clone(), &view, &group).run(stopped));

    assert_eq!(wait_for(&client, "events", 38).await, 38);
    let letters: Vec<DeadLetter> = read_topic(&topics.brokers, topics.name(1), 1, 2).await;
    assert_eq!(letters.len(), 2, "{letters:?}");
    for letter in &letters {
        assert_eq!(letter.reason, DeadLetterReason::InsertRejected);
        assert!(letter.detail.starts_with("events: "), "{}", letter.detail);
        assert!(
            letter.detail.contains("VIOLATED_CONSTRAINT"),
            "{}",
            letter.detail
        );
        let original: Beacon = schemas::SchemaRegistry::builtin()
            .decode(&letter.original)
            .unwrap();
        assert!(original.tag.unwrap().url.contains("/poison/"));
    }
    let mut refused: Vec<i64> = letters.iter().map(|l| l.source_offset).collect();
    refused.sort();
    assert_eq!(refused, [7, 31], "the poisoned records' own offsets");

    // The loader went on: later beacons land too, and nothing landed twice.
    let later: Vec<Beacon> = (40..50).map(|i| beacon(&tenant, i)).collect();
    produce(&topics, &later).await;
    assert_eq!(wait_for(&client, "events", 48).await, 48);
    let ids = stored_ids(&client, "events").await;
    assert_eq!(ids.len(), 48, "each stored once");
    assert!(!ids.contains(&"evt-7".to_owned()) && !ids.contains(&"evt-31".to_owned()));
    assert_eq!(count(&client, "events", false).await, 48);

    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
}
