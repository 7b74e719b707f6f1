//! Rollup maintenance: merges the parts of closed weeks' rollup partitions into one (aggregate
//! states merged once instead of at every dashboard read), then checks that the hourly traffic
//! rollup counts what the events table holds over the last closed day.

use clickhouse::sql::Identifier;
use clickhouse::{Client, Row};
use futures::future::BoxFuture;
use serde::Deserialize;

use super::scheduler::{Job, Outcome};

pub const ROLLUPS: [&str; 8] = [
    "traffic_hourly",
    "crawler_hourly",
    "breakdown_hourly",
    "crawler_agents_hourly",
    "pages_hourly",
    "traffic_class_hourly",
    "traffic_class_daily",
    "breakdown_daily",
];

/// A rollup's time column: `day` for the daily ones (migration 0010), else `hour`. Fixed texts.
pub fn time_column(table: &str) -> &'static str {
    if table.ends_with("_daily") {
        "day"
    } else {
        "hour"
    }
}

pub struct RollupMaintenance;

#[derive(Debug, Row, Deserialize)]
struct Partition {
    partition_id: String,
    parts: u64,
}

async fn merge_closed_weeks(client: &Client, table: &str) -> anyhow::Result<u64> {
    let partitions: Vec<Partition> = client
        .query(
            "SELECT partition_id, count() AS parts FROM system.parts
             WHERE database = currentDatabase() AND table = ? AND active
             GROUP BY partition_id HAVING parts > 1",
        )
        .bind(table)
        .fetch_all()
        .await?;
    let mut merged = 0;
    for p in partitions {
        // A partition whose newest hour is before this week's Monday receives no more rows
        // (system.parts has no time range for a tuple partition key; the rows tell).
        let open: u64 = client
            .query("SELECT count() FROM ? WHERE _partition_id = ? AND ? >= toMonday(now())")
            .bind(Identifier(table))
            .bind(&p.partition_id)
            .bind(Identifier(time_column(table)))
            .fetch_one()
            .await?;
        if open > 0 {
            continue;
        }
        client
            .query("OPTIMIZE TABLE ? PARTITION ID ? FINAL")
            .bind(Identifier(table))
            .bind(&p.partition_id)
            .execute()
            .await?;
        merged += p.parts - 1;
    }
    Ok(merged)
}

/// (events in `events`, events in `traffic_hourly`) over the last 24 closed hours.
async fn traffic_counts(client: &Client) -> anyhow::Result<(u64, u64)> {
    let base: u64 = client
        .query(
            "SELECT count() FROM events FINAL
             WHERE ts >= toStartOfHour(now()) - INTERVAL 24 HOUR AND ts < toStartOfHour(now())",
        )
        .fetch_one()
        .await?;
    let rolled: u64 = client
        .query(
            "SELECT toUInt64(countMerge(events)) FROM traffic_hourly
             WHERE hour >= toStartOfHour(now()) - INTERVAL 24 HOUR AND hour < toStartOfHour(now())",
        )
        .fetch_one()
        .await?;
    Ok((base, rolled))
}

impl Job for RollupMaintenance {
    fn name(&self) -> &'static str {
        "rollup_maintenance"
    }

    fn run<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
        Box::pin(async move {
            let mut parts = 0;
            for table in ROLLUPS {
                parts += merge_closed_weeks(client, table).await?;
            }
            let (base, rolled) = traffic_counts(client).await?;
            if base != rolled {
                anyhow::bail!(
                    "traffic_hourly counts {rolled} events over the last 24 closed hours, events holds {base}; rebuild with `stream-processors replay`"
                );
            }
            Ok(Outcome {
                rows: base,
                parts,
                message: format!(
                    "{parts} parts merged in closed weeks; traffic_hourly agrees with events ({base} events in the last 24 closed hours)"
                ),
            })
        })
    }
}
