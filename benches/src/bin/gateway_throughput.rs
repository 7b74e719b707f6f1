//! Insert and fetch throughput through the ClickHouse gateway with the official crate, LZ4 against
//! uncompressed (the baseline measured in the same run).
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin gateway_throughput -- 1000000

use std::time::Instant;

use clickhouse::{Client, Compression, Row};
use serde::{Deserialize, Serialize};

#[derive(Row, Serialize, Deserialize)]
struct Event {
    id: u64,
    property_id: i64,
    path: String,
    agent: String,
}

struct Figures {
    insert_rows_per_s: f64,
    fetch_rows_per_s: f64,
}

async fn measure(url: &str, compression: Compression, rows: u64) -> anyhow::Result<Figures> {
    let database = format!("bench_{}", std::process::id());
    // `infra/stack env` exports the gateway's credentials; it refuses requests without them.
    let mut root = Client::default().with_url(url);
    if let Ok(user) = std::env::var("OPTIVIEW_CLICKHOUSE_USER") {
        root = root.with_user(user);
    }
    if let Ok(password) = std::env::var("OPTIVIEW_CLICKHOUSE_PASSWORD") {
        root = root.with_password(password);
    }
    root.query("CREATE DATABASE IF NOT EXISTS ?")
        .bind(clickhouse::sql::Identifier(&database))
        .execute()
        .await?;
    let client = root
        .clone()
        .with_database(&database)
        .with_compression(compression);
    client
        .query("DROP TABLE IF EXISTS events")
        .execute()
        .await?;
    client
        .query("CREATE TABLE events (id UInt64, property_id Int64, path String, agent LowCardinality(String)) ENGINE = MergeTree ORDER BY id")
        .execute()
        .await?;

    let agents = ["GPTBot", "ClaudeBot", "PerplexityBot", "human"];
    let started = Instant::now();
    let mut inserter = client.inserter::<Event>("events").with_max_rows(100_000);
    for id in 0..rows {
        let event = Event {
            id,
            property_id: (id % 50) as i64,
            path: format!("/docs/page/{}", id % 997),
            agent: agents[(id % 4) as usize].into(),
        };
        inserter.write(&event).await?;
        inserter.commit().await?;
    }
    inserter.end().await?;
    let insert_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut cursor = client
        .query("SELECT ?fields FROM events")
        .fetch::<Event>()?;
    let mut fetched = 0u64;
    while cursor.next().await?.is_some() {
        fetched += 1;
    }
    let fetch_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(fetched == rows, "fetched {fetched} of {rows} rows");
    root.query("DROP DATABASE ?")
        .bind(clickhouse::sql::Identifier(&database))
        .execute()
        .await?;
    Ok(Figures {
        insert_rows_per_s: rows as f64 / insert_secs,
        fetch_rows_per_s: rows as f64 / fetch_secs,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url =
        std::env::var("OPTIVIEW_CLICKHOUSE_URL").unwrap_or_else(|_| "http://127.0.0.1:8123".into());
    let rows: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let plain = measure(&url, Compression::None, rows).await?;
    let lz4 = measure(&url, Compression::Lz4, rows).await?;
    println!("{rows} rows through {url}");
    println!(
        "insert: none {:.0} rows/s (baseline), lz4 {:.0} rows/s ({:.2}x)",
        plain.insert_rows_per_s,
        lz4.insert_rows_per_s,
        lz4.insert_rows_per_s / plain.insert_rows_per_s
    );
    println!(
        "fetch:  none {:.0} rows/s (baseline), lz4 {:.0} rows/s ({:.2}x)",
        plain.fetch_rows_per_s,
        lz4.fetch_rows_per_s,
        lz4.fetch_rows_per_s / plain.fetch_rows_per_s
    );
    Ok(())
}
