//! Raw client addresses expire, against the real broker and engine: the loader verifies robots'
//! hits with their sealed addresses while the day's key exists; once the verification window has
//! passed the key is destroyed, the records on the topic open with nothing that exists, no
//! ClickHouse table holds the address, and a replay keeps the verification recorded the first
//! time and says how many it kept.

mod common;

use chrono::{Duration, Utc};
use common::{loader, produce, wait_for};
use platform::control_follower::ControlHandle;
use platform::raw_address::{AddressKeys, Opened};
use platform::test_support::logs::CapturedLogs;
use platform::test_support::{random_name, read_raw, TestDatabase, TestTopics};
use schemas::beacon::{Beacon, ServerHit};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon, Tenant};
use schemas::SchemaRegistry;
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::process::Processor;
use stream_processors::load::sink::ClickHouseSink;
use stream_processors::replay::{reprocess, Replay, StartAt};
use stream_processors::sessionize::SessionConfig;
use tokio::sync::watch;

const GPTBOT: &str =
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
/// Inside the first shipped GPTBot range (4.227.36.0/25), and an address outside every range.
const GENUINE: &str = "4.227.36.7";
const IMPOSTOR: &str = "203.0.113.77";

/// A GPTBot hit from `address`, sealed the way the collector seals it (`/v1/hits`).
fn sealed_hit(tenant: &Tenant, keys: &AddressKeys, event_id: &str, address: &str) -> Beacon {
    let now = Utc::now();
    let mut b = sample_tag_beacon();
    b.event_id = event_id.into();
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("srv-{event_id}");
    b.received_at = now.timestamp_millis();
    b.user_agent = GPTBOT.into();
    b.country = None;
    b.tag = None;
    b.hit = Some(ServerHit {
        ts: b.received_at - 1_000,
        method: "GET".into(),
        host: "acme.com".into(),
        path: format!("/docs/{event_id}"),
        query: None,
        status: 200,
        ip: None,
        referrer: None,
        bytes: Some(100),
        response_ms: Some(5),
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: Some(keys.seal(address, event_id, now).unwrap()),
    });
    b
}

async fn verifications(client: &clickhouse::Client, table: &str) -> Vec<(String, String)> {
    client
        .query("SELECT event_id, verification FROM ? FINAL ORDER BY event_id")
        .bind(clickhouse::sql::Identifier(table))
        .fetch_all()
        .await
        .unwrap()
}

/// Every row of every table of the database, as text (aggregate states are binary: invalid UTF-8
/// becomes U+FFFD, which no address contains).
async fn everything_stored(client: &clickhouse::Client) -> String {
    let tables: Vec<String> = client
        .query(
            "SELECT name FROM system.tables
             WHERE database = currentDatabase() AND engine NOT LIKE '%View%' ORDER BY name",
        )
        .fetch_all()
        .await
        .unwrap();
    let mut all = String::new();
    for table in tables {
        let rows: String = client
            .query("SELECT toValidUTF8(toString(groupArray(tuple(*)))) FROM ?")
            .bind(clickhouse::sql::Identifier(table.as_str()))
            .fetch_one()
            .await
            .unwrap();
        all.push_str(&table);
        all.push_str(&rows);
    }
    all
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_hit_replayed_after_the_window_has_no_raw_address_left_and_keeps_its_verification() {
    let (logs, _guard) = CapturedLogs::on_this_thread();
    let topics = TestTopics::create(&[("beacons", 1), ("deadletter", 1), ("sessions", 1)]).await;
    let db = TestDatabase::migrated().await;
    let client = db.client();
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Hits]);
    let key_dir = tempfile::tempdir().unwrap();
    let window = Duration::hours(72);
    let edge_keys = AddressKeys::open(key_dir.path(), window).unwrap();
    let beacons = [
        sealed_hit(&tenant, &edge_keys, "evt-genuine", GENUINE),
        sealed_hit(&tenant, &edge_keys, "evt-impostor", IMPOSTOR),
    ];
    produce(&topics, &beacons).await;

    // The live loop opens the addresses with the day's key and verifies them.
    let mut live = loader(&topics, client.clone(), &view, &random_name("g"));
    live.enricher = Enricher::from_catalog()
        .unwrap()
        .with_address_keys(AddressKeys::open(key_dir.path(), window).unwrap());
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(live.run(stopped));
    assert_eq!(wait_for(&client, "crawler_hits", 2).await, 2);
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let first = vec![
        ("evt-genuine".to_owned(), "verified".to_owned()),
        ("evt-impostor".to_owned(), "spoofed".to_owned()),
    ];
    assert_eq!(verifications(&client, "crawler_hits").await, first);
    assert_eq!(verifications(&client, "events").await, first);

    // Past the window (a clock 73 h on: more than 72 h since the day's midnight).
    let later = Utc::now() + Duration::hours(73);
    assert_eq!(
        edge_keys.purge(later).unwrap(),
        vec![Utc::now().date_naive()]
    );
    assert_eq!(
        std::fs::read_dir(key_dir.path()).unwrap().count(),
        0,
        "no key file left in the directory"
    );

    // The topic still holds the records; their sealed addresses open with nothing that exists.
    let raw = read_raw(&topics.brokers, topics.name(0), 1, 2).await;
    assert_eq!(raw.len(), 2);
    let registry = SchemaRegistry::builtin();
    let any_keys = AddressKeys::open(key_dir.path(), window).unwrap();
    for bytes in &raw {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(GENUINE) && !text.contains(IMPOSTOR));
        let beacon: Beacon = registry.decode(bytes).unwrap();
        let hit = beacon.hit.as_ref().unwrap();
        assert_eq!(hit.ip, None);
        let sealed = hit.sealed_ip.as_ref().unwrap();
        for keys in [&edge_keys, &any_keys] {
            // Asked with today's clock the key "should" exist but does not; with the later one
            // it is past its lifetime: neither opens.
            for (now, expected) in [
                (Utc::now(), Opened::KeyMissing),
                (later, Opened::KeyDestroyed),
            ] {
                assert_eq!(
                    keys.open_sealed(sealed, &beacon.event_id, now).unwrap(),
                    expected
                );
            }
        }
    }

    // The replay cannot check the addresses again and keeps what was recorded.
    let started = Utc::now().timestamp_millis();
    let report = reprocess(Replay {
        brokers: &topics.brokers,
        topic: topics.name(0),
        start: StartAt::Beginning,
        control: ControlHandle::fixed(view.clone()),
        processor: Processor::new(
            Enricher::from_catalog()
                .unwrap()
                .with_address_keys(any_keys),
            topics.name(0),
        ),
        sink: ClickHouseSink::new(client.clone(), format!("replay-{started}/beacons")),
        batch_rows: 10,
        sessions: SessionConfig::default(),
        progress: false,
    })
    .await
    .unwrap();
    assert_eq!((report.records, report.events, report.rejected), (2, 2, 0));
    assert_eq!(
        (report.addresses_expired, report.verifications_kept),
        (2, 2),
        "the report says both hits were past the window and kept their verification"
    );
    let replayed: u64 = client
        .query("SELECT count() FROM events FINAL WHERE processed_at >= fromUnixTimestamp64Milli(toInt64(?))")
        .bind(started)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(replayed, 2, "the replay did rewrite the rows");
    assert_eq!(verifications(&client, "crawler_hits").await, first);
    assert_eq!(verifications(&client, "events").await, first);

    // ClickHouse never held the raw address: not before, not after the replay.
    let stored = everything_stored(&client).await;
    assert!(stored.contains("evt-genuine"), "the dump reads the rows");
    for address in [GENUINE, IMPOSTOR] {
        assert!(!stored.contains(address), "{address} stored in ClickHouse");
        assert!(!logs.text().contains(address), "{address} logged");
    }
}
