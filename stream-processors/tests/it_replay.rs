//! Replay against the real broker and engine: after the live loop loaded a stream and an older
//! catalog's output is left in ClickHouse, reprocessing everything re-derives the rows with the
//! current catalog — one row per event, stale derived rows gone, rollups counting each event once.

mod common;

use common::{beacon, count, loader, produce, wait_for};
use platform::clickhouse::cluster::Layout;
use platform::control_follower::ControlHandle;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::onboard;
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::process::Processor;
use stream_processors::load::sink::ClickHouseSink;
use stream_processors::replay::{
    drop_stale_derived_rows, rebuild_rollups, reprocess, Replay, StartAt,
};
use stream_processors::sessionize::SessionConfig;
use tokio::sync::watch;

async fn scalar(client: &clickhouse::Client, sql: &str) -> u64 {
    client.query(sql).fetch_one().await.unwrap()
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn replaying_everything_rederives_rows_without_duplicates() {
    let topics = TestTopics::create(&[("beacons", 2), ("deadletter", 1), ("sessions", 2)]).await;
    let db = TestDatabase::migrated().await;
    let client = db.client();
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    const N: u64 = 60;
    let beacons: Vec<_> = (0..N as usize).map(|i| beacon(&tenant, i)).collect();
    produce(&topics, &beacons).await;
    let (stop, stopped) = watch::channel(false);
    let live = tokio::spawn(loader(&topics, client.clone(), &view, &random_name("g")).run(stopped));
    assert_eq!(wait_for(&client, "events", N).await, N);
    assert_eq!(wait_for(&client, "ai_referrals", N / 2).await, N / 2);
    stop.send(true).unwrap();
    live.await.unwrap().unwrap();
    let sessions_before = count(&client, "sessions", true).await;

    // What an older catalog left: search visits it took for AI referrals, and events labelled
    // with its attribution.
    client
        .query(
            "INSERT INTO ai_referrals (project_id, property_id, ts, event_id, processed_at, ai_source)
             SELECT project_id, property_id, ts, event_id, processed_at, 'OldCatalogAI'
             FROM events WHERE ai_source = ''",
        )
        .execute()
        .await
        .unwrap();
    assert_eq!(count(&client, "ai_referrals", true).await, N);

    let started = chrono::Utc::now().timestamp_millis();
    let report = reprocess(Replay {
        brokers: &topics.brokers,
        topic: topics.name(0),
        start: StartAt::Beginning,
        control: ControlHandle::fixed(view.clone()),
        processor: Processor::new(Enricher::from_catalog().unwrap(), topics.name(0)),
        sink: ClickHouseSink::new(client.clone(), format!("replay-{started}/beacons")),
        batch_rows: 25,
        sessions: SessionConfig::default(),
        progress: false,
    })
    .await
    .unwrap();
    assert_eq!((report.records, report.events, report.rejected), (N, N, 0));
    drop_stale_derived_rows(&client, &Layout::SingleNode, started)
        .await
        .unwrap();
    rebuild_rollups(&client, &Layout::SingleNode).await.unwrap();

    // The replay did insert (newer processing times), yet each event is one row.
    let replayed = scalar(
        &client,
        &format!("SELECT count() FROM events FINAL WHERE processed_at >= fromUnixTimestamp64Milli({started})"),
    )
    .await;
    assert_eq!(replayed, N, "every event re-derived");
    assert_eq!(count(&client, "events", true).await, N);
    assert_eq!(count(&client, "ai_referrals", true).await, N / 2);
    assert_eq!(
        scalar(
            &client,
            "SELECT count() FROM ai_referrals FINAL WHERE ai_source = 'OldCatalogAI'"
        )
        .await,
        0
    );
    assert_eq!(count(&client, "sessions", true).await, sessions_before);
    assert_eq!(
        scalar(&client, "SELECT countMerge(events) FROM traffic_hourly").await,
        N,
        "the rollup counts each event once"
    );
    assert_eq!(
        scalar(&client, "SELECT sum(views) FROM pages").await,
        N,
        "page views counted once"
    );
    assert_eq!(
        scalar(&client, "SELECT sum(ai_referrals) FROM pages").await,
        N / 2,
        "AI referrals per page counted once"
    );
}
