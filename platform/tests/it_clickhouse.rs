//! The official `clickhouse` crate against the project's gateway over the real ClickHouse engine.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use clickhouse::{Client, Compression, Row};
use platform::test_support::{free_port, OwnGateway, TestDatabase};
use serde::{Deserialize, Serialize};
use serde_repr::{Deserialize_repr, Serialize_repr};

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct Hit {
    id: u64,
    path: String,
}

async fn hits_table(db: &TestDatabase) -> Client {
    let client = db.client();
    client
        .query("CREATE TABLE hits (id UInt64, path String) ENGINE = MergeTree ORDER BY id")
        .execute()
        .await
        .unwrap();
    client
}

async fn insert_and_fetch_with(compression: Compression) {
    let db = TestDatabase::create().await;
    let client = hits_table(&db).await.with_compression(compression);
    let mut inserter = client.inserter::<Hit>("hits").with_max_rows(1000);
    for id in 0..2500u64 {
        inserter
            .write(&Hit {
                id,
                path: format!("/p/{id}"),
            })
            .await
            .unwrap();
        inserter.commit().await.unwrap();
    }
    let total = inserter.end().await.unwrap();
    assert!(total.rows <= 2500);

    let rows: Vec<Hit> = client
        .query("SELECT ?fields FROM hits ORDER BY id")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2500);
    assert_eq!(
        rows[1234],
        Hit {
            id: 1234,
            path: "/p/1234".into()
        }
    );

    // A result larger than one engine chunk streams without repeated format headers.
    let n: Vec<u64> = client
        .query("SELECT number FROM numbers(300000)")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(n.len(), 300_000);
    assert_eq!(n[299_999], 299_999);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn inserter_and_fetch_round_trip_with_lz4_compression() {
    insert_and_fetch_with(Compression::Lz4).await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn inserter_and_fetch_round_trip_without_compression() {
    insert_and_fetch_with(Compression::None).await;
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn bind_and_server_side_params_filter_rows() {
    let db = TestDatabase::create().await;
    let client = hits_table(&db).await;
    let mut insert = client.insert::<Hit>("hits").await.unwrap();
    for (id, path) in [(1, "/a"), (2, "/b'; DROP TABLE hits; --"), (3, "/c")] {
        insert
            .write(&Hit {
                id,
                path: path.into(),
            })
            .await
            .unwrap();
    }
    insert.end().await.unwrap();

    let bound: Vec<Hit> = client
        .query("SELECT ?fields FROM hits WHERE id > ? ORDER BY id")
        .bind(1)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(bound.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 3]);

    let tricky = "/b'; DROP TABLE hits; --";
    let by_param: Vec<Hit> = client
        .query("SELECT ?fields FROM hits WHERE path = {path:String}")
        .param("path", tricky)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        by_param,
        [Hit {
            id: 2,
            path: tricky.into()
        }]
    );
    let count: u64 = client
        .query("SELECT count() FROM hits")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(count, 3, "the parameter was data, not SQL");

    let none: Vec<Hit> = client
        .query("SELECT ?fields FROM hits WHERE id = {id:UInt64}")
        .param("id", 99u64)
        .fetch_all()
        .await
        .unwrap();
    assert!(none.is_empty(), "an empty result still decodes");
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn sql_errors_surface_as_the_crates_error_with_the_server_code() {
    let db = TestDatabase::create().await;
    let err = db
        .client()
        .query("SELECT * FROM no_such_table")
        .fetch_all::<Hit>()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, clickhouse::error::Error::BadResponse(_)),
        "{err:?}"
    );
    assert!(
        text.contains("Code: 60") && text.contains("UNKNOWN_TABLE"),
        "{text}"
    );

    let syntax = db
        .client()
        .query("SELEC 1")
        .execute()
        .await
        .unwrap_err()
        .to_string();
    assert!(syntax.contains("Code: 62"), "{syntax}");

    let setting = db
        .client()
        .with_setting("no_such_setting", "1")
        .query("SELECT 1")
        .execute()
        .await
        .unwrap_err()
        .to_string();
    assert!(setting.contains("UNKNOWN_SETTING"), "{setting}");
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize_repr, Deserialize_repr)]
#[repr(i8)]
enum Kind {
    Pageview = 1,
    Click = 2,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
struct Typed {
    source: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    ts: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::uuid")]
    id: uuid::Uuid,
    tags: Vec<String>,
    props: HashMap<String, u64>,
    referrer: Option<String>,
    kind: Kind,
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn rich_types_and_a_ttl_table_round_trip_and_expire() {
    let db = TestDatabase::create().await;
    let client = db.client();
    client
        .query(
            "CREATE TABLE typed (
                source LowCardinality(String),
                ts DateTime64(3, 'UTC'),
                id UUID,
                tags Array(String),
                props Map(String, UInt64),
                referrer Nullable(String),
                kind Enum8('pageview' = 1, 'click' = 2)
            ) ENGINE = MergeTree
            PARTITION BY toYYYYMMDD(ts)
            ORDER BY (source, ts)
            TTL toDateTime(ts) + INTERVAL 90 DAY
            SETTINGS ttl_only_drop_parts = 1",
        )
        .execute()
        .await
        .unwrap();
    let recent = Utc::now() - chrono::Duration::days(1);
    let ancient = Utc.with_ymd_and_hms(2020, 1, 1, 12, 0, 0).unwrap();
    let rows = [
        Typed {
            source: "chatgpt".into(),
            ts: trunc_ms(recent),
            id: uuid::Uuid::new_v4(),
            tags: vec!["ai".into(), "x".into()],
            props: HashMap::from([("n".into(), 7)]),
            referrer: Some("https://chatgpt.com/".into()),
            kind: Kind::Pageview,
        },
        Typed {
            source: "direct".into(),
            ts: ancient,
            id: uuid::Uuid::new_v4(),
            tags: vec![],
            props: HashMap::new(),
            referrer: None,
            kind: Kind::Click,
        },
    ];
    let mut insert = client.insert::<Typed>("typed").await.unwrap();
    for row in &rows {
        insert.write(row).await.unwrap();
    }
    insert.end().await.unwrap();

    // Merges apply TTL; read what is left afterwards.
    client
        .query("OPTIMIZE TABLE typed FINAL")
        .execute()
        .await
        .unwrap();
    let back: Vec<Typed> = client
        .query("SELECT ?fields FROM typed ORDER BY ts")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        back,
        rows[..1],
        "the 2020 row expired by TTL, the recent one round-tripped exactly"
    );
}

fn trunc_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap()
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_retried_insert_with_the_same_dedup_token_adds_no_rows() {
    let db = TestDatabase::create().await;
    let client = db.client();
    client
        .query("CREATE TABLE dedup (id UInt64, path String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 1000")
        .execute()
        .await
        .unwrap();
    for attempt in 0..3 {
        let mut insert = client
            .insert::<Hit>("dedup")
            .await
            .unwrap()
            .with_setting("insert_deduplication_token", "beacons:0:100-199");
        for id in 100..200 {
            insert
                .write(&Hit {
                    id,
                    path: format!("/{attempt}"),
                })
                .await
                .unwrap();
        }
        insert.end().await.unwrap();
    }
    let count: u64 = client
        .query("SELECT count() FROM dedup")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(count, 100);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn session_id_keeps_state_between_requests() {
    let db = TestDatabase::create().await;
    let session = db
        .client()
        .with_setting("session_id", platform::test_support::random_name("s"));
    session
        .query("CREATE TEMPORARY TABLE tmp (x UInt8)")
        .execute()
        .await
        .unwrap();
    session
        .query("INSERT INTO tmp VALUES (1), (2)")
        .execute()
        .await
        .unwrap();
    let n: u64 = session
        .query("SELECT count() FROM tmp")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(n, 2);
    let without_session = db
        .client()
        .query("SELECT count() FROM tmp")
        .fetch_one::<u64>()
        .await;
    assert!(
        without_session.is_err(),
        "temporary tables belong to their session"
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn data_persists_across_a_gateway_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let gateway = OwnGateway::start(dir.path(), port);
    let client = gateway.client();
    assert_eq!(client.query("SELECT 1").fetch_one::<u8>().await.unwrap(), 1);
    client
        .query("CREATE TABLE kept (id UInt64, path String) ENGINE = MergeTree ORDER BY id")
        .execute()
        .await
        .unwrap();
    let mut insert = client.insert::<Hit>("kept").await.unwrap();
    insert
        .write(&Hit {
            id: 7,
            path: "/kept".into(),
        })
        .await
        .unwrap();
    insert.end().await.unwrap();
    assert!(
        gateway.terminate().success(),
        "SIGTERM shuts the gateway down cleanly"
    );

    let gateway = OwnGateway::start(dir.path(), port);
    let rows: Vec<Hit> = gateway
        .client()
        .query("SELECT ?fields FROM kept")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        rows,
        [Hit {
            id: 7,
            path: "/kept".into()
        }]
    );
    gateway.terminate();
}

#[derive(Debug, Row, Serialize, Deserialize)]
struct Url {
    url: String,
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_block_the_table_refuses_is_an_error_not_a_silent_success() {
    // chDB's streaming inserter reported success for this block and dropped it; the gateway must
    // answer the server's error, as clickhouse-server does, so the loader can dead-letter it.
    let db = TestDatabase::create().await;
    let client = db.client();
    client
        .query("CREATE TABLE urls (url String) ENGINE = MergeTree ORDER BY url")
        .execute()
        .await
        .unwrap();
    client
        .query("ALTER TABLE urls ADD CONSTRAINT no_poison CHECK url NOT LIKE '%poison%'")
        .execute()
        .await
        .unwrap();
    let insert = |urls: &'static [&'static str]| {
        let client = client.clone();
        async move {
            let mut insert = client.insert::<Url>("urls").await?;
            for url in urls {
                insert
                    .write(&Url {
                        url: url.to_string(),
                    })
                    .await?;
            }
            insert.end().await
        }
    };
    let refused = insert(&["fine", "a poison row"]).await.unwrap_err();
    let text = refused.to_string();
    assert!(
        text.contains("Code: 469") && text.contains("VIOLATED_CONSTRAINT"),
        "{text}"
    );
    insert(&["fine"]).await.unwrap();
    let stored: Vec<String> = client
        .query("SELECT url FROM urls")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(stored, ["fine"], "the refused block stored nothing");
}
