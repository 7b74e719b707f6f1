//! The loader against the real broker and engine: beacons in, rows out, bad records to the
//! dead-letter topic with a typed reason, offsets committed only after the rows landed, so a
//! restarted loader in the same group adds nothing.

use std::path::Path;
use std::time::Duration;

use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::beacon::Beacon;
use schemas::clickhouse_migrations::{load_dir, migrate};
use schemas::control::{ControlHandle, ControlView, Permission, Plan};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::kafka::{consumer_config, producer_config};
use schemas::test_support::{
    onboard, random_name, read_topic, sample_tag_beacon, Tenant, TestDatabase, TestTopics,
};
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::loader::{Loader, LoaderSettings};
use stream_processors::load::sink::ClickHouseSink;
use tokio::sync::watch;

fn loader(topics: &TestTopics, db: &TestDatabase, view: &ControlView, group: &str) -> Loader {
    Loader {
        consumer: consumer_config(&topics.brokers, group)
            .create::<StreamConsumer>()
            .unwrap(),
        producer: producer_config(&topics.brokers).create().unwrap(),
        sink: ClickHouseSink::new(db.client(), topics.name(0)),
        control: ControlHandle::fixed(view.clone()),
        enricher: Enricher::from_catalog().unwrap(),
        settings: LoaderSettings {
            beacons_topic: topics.name(0).to_owned(),
            deadletter_topic: topics.name(1).to_owned(),
            batch_rows: 40,
            batch_period: Duration::from_millis(300),
        },
    }
}

fn beacon(tenant: &Tenant, i: usize) -> Beacon {
    let mut b = sample_tag_beacon();
    b.event_id = format!("evt-{i}");
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("v-{}", i % 7);
    b.received_at = chrono::Utc::now().timestamp_millis();
    let tag = b.tag.as_mut().unwrap();
    tag.client_ts = None;
    tag.url = format!("https://acme.com/docs/{i}");
    tag.referrer = Some(
        if i.is_multiple_of(2) {
            "https://chatgpt.com/"
        } else {
            "https://www.google.com/"
        }
        .into(),
    );
    b
}

async fn count(db: &TestDatabase, table: &str) -> u64 {
    db.client()
        .query("SELECT count() FROM ? FINAL")
        .bind(clickhouse::sql::Identifier(table))
        .fetch_one()
        .await
        .unwrap()
}

async fn wait_for(db: &TestDatabase, table: &str, want: u64) -> u64 {
    let mut got = 0;
    for _ in 0..100 {
        got = count(db, table).await;
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    got
}

#[tokio::test]
async fn beacons_become_rows_once_and_bad_records_dead_letters() {
    let topics = TestTopics::create(&[("beacons", 3), ("deadletter", 1)]).await;
    let db = TestDatabase::create().await;
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/clickhouse/migrations"
    ));
    migrate(&db.client(), &load_dir(dir).unwrap())
        .await
        .unwrap();
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
    let first = tokio::spawn(loader(&topics, &db, &view, &group).run(stopped));
    assert_eq!(wait_for(&db, "events", N as u64).await, N as u64);
    assert_eq!(
        wait_for(&db, "ai_referrals", (N / 2) as u64).await,
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
    let second = tokio::spawn(loader(&topics, &db, &view, &group).run(stopped));
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.send(true).unwrap();
    second.await.unwrap().unwrap();
    let raw: u64 = db
        .client()
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(raw, N as u64, "no row inserted twice");
    assert_eq!(
        read_topic::<DeadLetter>(&topics.brokers, topics.name(1), 1, 3)
            .await
            .len(),
        2
    );
}
