//! Helpers shared by the stream processors' integration tests (each test binary uses a part).

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::{free_port, TestDatabase, TestTopics};
use schemas::beacon::Beacon;
use schemas::control::ControlView;
use schemas::fixtures::{sample_tag_beacon, Tenant};
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::input::input_consumer;
use stream_processors::load::loader::{Loader, LoaderSettings};
use stream_processors::load::sink::ClickHouseSink;
use stream_processors::sessionize::SessionConfig;

/// A loader on `topics` (0 = beacons, 1 = dead letters, 2 = sessions) writing through `client`.
pub fn loader(
    topics: &TestTopics,
    client: clickhouse::Client,
    view: &ControlView,
    group: &str,
) -> Loader {
    Loader {
        consumer: input_consumer(&topics.brokers, group).unwrap(),
        status: Default::default(),
        producer: producer_config(&topics.brokers).create().unwrap(),
        sink: ClickHouseSink::new(client, topics.name(0)).into(),
        control: ControlHandle::fixed(view.clone()),
        enricher: Enricher::from_catalog().unwrap(),
        settings: LoaderSettings {
            brokers: topics.brokers.clone(),
            group: group.to_owned(),
            stuck_after: Duration::from_secs(30),
            rejoin_attempts: 2,
            sessions_topic: topics.name(2).to_owned(),
            sessions: SessionConfig::default(),
            beacons_topic: topics.name(0).to_owned(),
            deadletter_topic: topics.name(1).to_owned(),
            batch_rows: 40,
            batch_period: Duration::from_millis(300),
            max_in_flight: 2,
        },
    }
}

/// The tenant's `i`-th pageview, received now; every other one referred by ChatGPT.
pub fn beacon(tenant: &Tenant, i: usize) -> Beacon {
    let mut b = sample_tag_beacon();
    b.event_id = format!("evt-{i}");
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("v-{}", i % 7);
    b.received_at = chrono::Utc::now().timestamp_millis();
    let tag = b.tag.as_mut().unwrap();
    tag.event_type = schemas::beacon::TagEventType::Pageview;
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

/// `SELECT count() FROM table [FINAL]`.
pub async fn count(client: &clickhouse::Client, table: &str, final_: bool) -> u64 {
    client
        .query(if final_ {
            "SELECT count() FROM ? FINAL"
        } else {
            "SELECT count() FROM ?"
        })
        .bind(clickhouse::sql::Identifier(table))
        .fetch_one()
        .await
        .unwrap()
}

/// The ids stored in `table` (its session or event id), sorted.
pub async fn stored_ids(client: &clickhouse::Client, table: &str) -> Vec<String> {
    let column = if table == "sessions" {
        "session_id"
    } else {
        "event_id"
    };
    client
        .query("SELECT ? FROM ? ORDER BY 1")
        .bind(clickhouse::sql::Identifier(column))
        .bind(clickhouse::sql::Identifier(table))
        .fetch_all()
        .await
        .unwrap()
}

/// Polls until `table` holds `want` rows (after merging replaced ones) or 60 s passed.
pub async fn wait_for(client: &clickhouse::Client, table: &str, want: u64) -> u64 {
    let mut got = 0;
    for _ in 0..200 {
        got = count(client, table, true).await;
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    got
}

/// Produces `beacons` to the beacons topic (`topics` index 0) in order, each keyed by visitor as
/// the collector keys them, each acknowledged.
pub async fn produce(topics: &TestTopics, beacons: &[Beacon]) {
    let producer: rdkafka::producer::FutureProducer =
        producer_config(&topics.brokers).create().unwrap();
    for b in beacons {
        let key = format!("{}:{}", b.property_id, b.visitor_id);
        let payload = schemas::encode(b).unwrap();
        producer
            .send(
                rdkafka::producer::FutureRecord::to(topics.name(0))
                    .key(&key)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

/// A `stream-processors run` process on `topics` (0 = beacons, 1 = dead letters, 2 = sessions,
/// 3 = control) writing to `db`, with `extra` arguments; SIGKILLed when dropped.
pub struct LoaderProcess {
    child: Child,
    pub ops: String,
}

impl LoaderProcess {
    pub fn start(topics: &TestTopics, db: &TestDatabase, group: &str, extra: &[&str]) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_stream-processors"))
            .args(["run", "--brokers", &topics.brokers, "--group", group])
            .args(["--beacons-topic", topics.name(0)])
            .args(["--deadletter-topic", topics.name(1)])
            .args(["--sessions-topic", topics.name(2)])
            .args(["--control-topic", topics.name(3)])
            .args([
                "--clickhouse-url",
                &db.url,
                "--clickhouse-database",
                &db.name,
            ])
            .args(["--ops-addr", &format!("127.0.0.1:{port}")])
            // Not the default under the working directory (the crate's, in a test run).
            .arg("--address-key-dir")
            .arg(std::env::temp_dir().join(format!("optiview-address-keys-{group}-{port}")))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start stream-processors run");
        Self {
            child,
            ops: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Its `/readyz` answer, if it answers.
    pub async fn readyz(&self) -> Option<serde_json::Value> {
        let answer = reqwest::get(format!("{}/readyz", self.ops)).await.ok()?;
        answer.json().await.ok()
    }

    /// SIGKILL now (as a drop does), spelled out where the kill is the test's point.
    pub fn kill_9(self) {
        drop(self);
    }
}

impl Drop for LoaderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes control events (tenants, keys, plans) to the control topic, `topics.name(3)`.
pub async fn write_control(topics: &TestTopics, events: &[schemas::control::ControlEvent]) {
    let producer: rdkafka::producer::FutureProducer =
        producer_config(&topics.brokers).create().unwrap();
    for event in events {
        let payload = schemas::encode(event).unwrap();
        producer
            .send(
                rdkafka::producer::FutureRecord::to(topics.name(3))
                    .key(&event.entity_id)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}
