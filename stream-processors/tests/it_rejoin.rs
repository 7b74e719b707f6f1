//! The loader process, killed with SIGKILL and restarted at once, again and again, against the
//! test broker: after every restart it holds partitions and catches up within its watchdog's
//! bound. (The local broker once left a loader restarted like this without any partition for
//! 7 minutes, answering ready, until another member happened to join.)

mod common;

use common::{write_control, LoaderProcess};

use std::time::{Duration, Instant};

use common::{beacon, count, produce, stored_ids};
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::onboard_events;

/// The watchdog's bound in this test (the default is 30 s).
const STUCK_AFTER_SECS: u64 = 6;
/// A restarted loader must have caught up within this: the bound, one rejoin, a session restore
/// and a few batches, with room for a slow machine — far from the minutes it took unwatched.
const CATCH_UP: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_loader_killed_and_restarted_in_a_loop_holds_partitions_and_catches_up() {
    let topics = TestTopics::create(&[
        ("beacons", 3),
        ("deadletter", 1),
        ("sessions", 3),
        ("control", 1),
    ])
    .await;
    let db = TestDatabase::migrated().await;
    let client = db.client();
    let mut view = ControlView::new();
    let (tenant, events) =
        onboard_events(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    write_control(&topics, &events).await;
    let group = random_name("loader");

    let mut produced = 0usize;
    let mut caught_up_after = Vec::new();
    for round in 0..4 {
        let loader = LoaderProcess::start(
            &topics,
            &db,
            &group,
            &[
                "--batch-ms",
                "200",
                "--stuck-after-secs",
                &STUCK_AFTER_SECS.to_string(),
                // Rejoins heal this; the process must not give up during the test.
                "--rejoin-attempts",
                "10",
            ],
        );
        // New input while the restarted loader (re)joins: it must consume it, not sit idle.
        let beacons: Vec<_> = (produced..produced + 60)
            .map(|i| beacon(&tenant, i))
            .collect();
        produce(&topics, &beacons).await;
        produced += beacons.len();

        let started = Instant::now();
        let mut stored = 0;
        while started.elapsed() < CATCH_UP {
            stored = count(&client, "events", true).await;
            if stored >= produced as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(
            stored, produced as u64,
            "round {round}: the restarted loader did not catch up within {CATCH_UP:?}"
        );
        caught_up_after.push(started.elapsed());
        // Caught up, it answers ready (its watchdog cleared any reason it reported).
        let mut ready = None;
        for _ in 0..40 {
            ready = loader.readyz().await;
            if ready.as_ref().is_some_and(|r| r["consuming"] == true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let ready = ready.expect("/readyz answers");
        assert_eq!(ready["consuming"], true, "round {round}: {ready}");
        assert!(
            ready.get("consumer_stuck").is_none(),
            "round {round}: {ready}"
        );
        loader.kill_9();
    }
    eprintln!("caught up after each restart: {caught_up_after:?}");

    // Every event exactly once, whatever the kills interrupted.
    let ids = stored_ids(&client, "events").await;
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), produced, "every event stored");
    let merged = count(&client, "events", true).await;
    assert_eq!(merged, produced as u64, "none twice after merging");
}
