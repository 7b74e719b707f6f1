//! Rollup maintenance: merges the parts of closed weeks' rollup partitions into one (aggregate
//! states merged once instead of at every dashboard read), then checks that the hourly traffic
//! rollup counts what the events table holds over the last closed day.

use clickhouse::query::Query;
use clickhouse::{Client, Row};
use futures::future::BoxFuture;
use platform::clickhouse::cluster::Layout;
use serde::Deserialize;

use super::scheduler::{Job, Outcome};

pub const ROLLUPS: [&str; 10] = [
    "traffic_hourly",
    "crawler_hourly",
    "breakdown_hourly",
    "crawler_agents_hourly",
    "pages_hourly",
    "traffic_class_hourly",
    "traffic_class_daily",
    "breakdown_daily",
    "crawler_facets_hourly",
    "crawler_facets_daily",
];

/// A rollup's time column, as the retention check records it (one list of each table's time
/// column: `super::retention::TABLES`).
pub fn time_column(table: &str) -> &'static str {
    super::retention::TABLES
        .iter()
        .find(|(name, _, _)| *name == table)
        .map(|(_, column, _)| *column)
        .expect("every rollup is in the retention check's tables (tested)")
}

/// On a cluster each shard's local rollup is merged (its parts are its own), and the check
/// compares the Distributed tables (every shard's rows).
#[derive(Debug, Clone, Default)]
pub struct RollupMaintenance {
    pub layout: Layout,
}

#[derive(Debug, Row, Deserialize)]
struct Partition {
    partition_id: String,
    parts: u64,
}

/// The partitions of `table` with more than one active part: one row per partition and shard.
pub fn partitions_query(client: &Client, layout: &Layout, table: &str) -> Query {
    let read = format!(
        "SELECT partition_id, count() AS parts FROM system.parts
             WHERE database = {} AND table = ? AND active
             GROUP BY partition_id HAVING parts > 1",
        layout.current_database()
    );
    client
        .query(&layout.on_each_shard(&read))
        .bind(layout.table(table).stored_name())
}

/// Rows of `table`'s partition `partition_id` in this week: one count per shard. The partition
/// is named by its id, which only the local table knows (`_partition_id`).
pub fn open_rows_query(client: &Client, layout: &Layout, table: &str, partition_id: &str) -> Query {
    let read = format!(
        "SELECT count() FROM {} WHERE _partition_id = ? AND {} >= toMonday(now())",
        layout.table(table).on_shard(),
        time_column(table)
    );
    client
        .query(&layout.on_each_shard(&read))
        .bind(partition_id)
}

/// Merges `table`'s partition `partition_id` into one part (on a cluster, on every shard: a
/// replica merges and the other replicates the merge).
pub fn optimize_query(client: &Client, layout: &Layout, table: &str, partition_id: &str) -> Query {
    client
        .query(&format!(
            "OPTIMIZE TABLE {} PARTITION ID ? FINAL",
            layout.table(table).changed()
        ))
        .bind(partition_id)
}

async fn merge_closed_weeks(client: &Client, layout: &Layout, table: &str) -> anyhow::Result<u64> {
    let rows: Vec<Partition> = partitions_query(client, layout, table).fetch_all().await?;
    // partition id → parts beyond one, over the shards that hold it, in the order listed.
    let mut partitions: Vec<(String, u64)> = Vec::new();
    for row in rows {
        match partitions
            .iter_mut()
            .find(|(id, _)| *id == row.partition_id)
        {
            Some((_, extra)) => *extra += row.parts - 1,
            None => partitions.push((row.partition_id, row.parts - 1)),
        }
    }
    let mut merged = 0;
    for (partition_id, extra) in partitions {
        // A partition whose newest hour is before this week's Monday receives no more rows
        // (system.parts has no time range for a tuple partition key; the rows tell).
        let open: Vec<u64> = open_rows_query(client, layout, table, &partition_id)
            .fetch_all()
            .await?;
        if open.iter().sum::<u64>() > 0 {
            continue;
        }
        optimize_query(client, layout, table, &partition_id)
            .execute()
            .await?;
        merged += extra;
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
                parts += merge_closed_weeks(client, &self.layout, table).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use platform::clickhouse::cluster::Cluster;

    fn sql(query: Query) -> String {
        query.sql_display().to_string()
    }

    fn cluster() -> Layout {
        Layout::Cluster(Cluster::new("optiview", "analytics").unwrap())
    }

    #[test]
    fn every_rollup_is_retention_checked_and_rebuilt_by_a_replay() {
        let rebuilt: Vec<&str> = crate::replay::rebuild::ROLLUPS
            .iter()
            .map(|(table, _)| *table)
            .collect();
        for table in ROLLUPS {
            assert!(
                super::super::retention::TABLES
                    .iter()
                    .any(|(name, _, _)| *name == table),
                "{table} has no retention entry"
            );
            assert!(
                rebuilt.contains(&table),
                "{table} is not rebuilt by a replay"
            );
        }
        assert_eq!(time_column("breakdown_daily"), "day");
        assert_eq!(time_column("traffic_hourly"), "hour");
    }

    #[test]
    fn one_server_gets_the_statements_it_always_got() {
        let client = Client::default();
        let single = Layout::SingleNode;
        assert_eq!(
            sql(partitions_query(&client, &single, "traffic_hourly")),
            "SELECT partition_id, count() AS parts FROM system.parts
             WHERE database = currentDatabase() AND table = 'traffic_hourly' AND active
             GROUP BY partition_id HAVING parts > 1"
        );
        assert_eq!(
            sql(open_rows_query(&client, &single, "traffic_hourly", "30-20261130")),
            "SELECT count() FROM `traffic_hourly` WHERE _partition_id = '30-20261130' AND hour >= toMonday(now())"
        );
        assert_eq!(
            sql(open_rows_query(&client, &single, "breakdown_daily", "30-20261130")),
            "SELECT count() FROM `breakdown_daily` WHERE _partition_id = '30-20261130' AND day >= toMonday(now())"
        );
        assert_eq!(
            sql(optimize_query(
                &client,
                &single,
                "traffic_hourly",
                "30-20261130"
            )),
            "OPTIMIZE TABLE `traffic_hourly` PARTITION ID '30-20261130' FINAL"
        );
    }

    #[test]
    fn a_cluster_lists_checks_and_merges_each_shards_local_partitions() {
        let client = Client::default();
        let cluster = cluster();
        assert_eq!(
            sql(partitions_query(&client, &cluster, "traffic_hourly")),
            "SELECT * FROM cluster(`optiview`, view(SELECT partition_id, count() AS parts FROM system.parts
             WHERE database = 'analytics' AND table = 'traffic_hourly_local' AND active
             GROUP BY partition_id HAVING parts > 1))"
        );
        assert_eq!(
            sql(open_rows_query(&client, &cluster, "traffic_hourly", "30-20261130")),
            "SELECT * FROM cluster(`optiview`, view(SELECT count() FROM `analytics`.`traffic_hourly_local` \
             WHERE _partition_id = '30-20261130' AND hour >= toMonday(now())))"
        );
        assert_eq!(
            sql(optimize_query(
                &client,
                &cluster,
                "traffic_hourly",
                "30-20261130"
            )),
            "OPTIMIZE TABLE `analytics`.`traffic_hourly_local` ON CLUSTER `optiview` \
             PARTITION ID '30-20261130' FINAL"
        );
    }
}
