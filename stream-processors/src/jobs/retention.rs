//! The retention purge check: for each table with a TTL, counts rows past their retention,
//! materializes TTL where there are any, and verifies that no row remains whose whole partition
//! has expired (a row past its retention may legitimately stay until the last row of its week
//! expires, see migration 0002; dashboards hide it meanwhile).

use clickhouse::query::Query;
use clickhouse::sql::Identifier;
use clickhouse::Client;
use futures::future::BoxFuture;
use platform::clickhouse::cluster::Layout;
use platform::clickhouse::placement::with_settings;

use super::scheduler::{Job, Outcome};

/// (table, time column, retention in days as SQL over the row). Fixed texts, never input.
pub const TABLES: [(&str, &str, &str); 16] = [
    ("events", "ts", "retention_days"),
    ("crawler_hits", "ts", "retention_days"),
    ("conversions", "ts", "retention_days"),
    ("ai_referrals", "ts", "365"),
    ("sessions", "opened_at", "90"),
    ("pages", "last_seen", "365"),
    ("traffic_hourly", "hour", "retention_days"),
    ("crawler_hourly", "hour", "retention_days"),
    ("breakdown_hourly", "hour", "retention_days"),
    ("crawler_agents_hourly", "hour", "retention_days"),
    ("pages_hourly", "hour", "retention_days"),
    ("traffic_class_hourly", "hour", "retention_days"),
    ("traffic_class_daily", "day", "retention_days"),
    ("breakdown_daily", "day", "retention_days"),
    ("crawler_facets_hourly", "hour", "retention_days"),
    ("crawler_facets_daily", "day", "retention_days"),
];

/// On a cluster the counts go through the Distributed tables (every shard's rows), while TTL is
/// materialized and parts are counted on each shard's local table.
#[derive(Debug, Clone, Default)]
pub struct RetentionCheck {
    pub layout: Layout,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct TableReport {
    pub table: &'static str,
    pub expired_before: u64,
    pub expired_after: u64,
    /// Rows whose whole week has expired and that are still there: a failed purge.
    pub overdue: u64,
    pub parts_dropped: u64,
}

/// Rows whose `since` (a time derived from the row) is more than `retention` (+ `extra_days`) ago.
async fn older_than(
    client: &Client,
    table: &str,
    since: &str,
    retention: &str,
    extra_days: u32,
) -> clickhouse::error::Result<u64> {
    // Structure from the fixed TABLES only; the one value is bound.
    let sql =
        format!("SELECT count() FROM ? WHERE {since} + toIntervalDay({retention} + ?) < now()");
    client
        .query(&sql)
        .bind(Identifier(table))
        .bind(extra_days)
        .fetch_one()
        .await
}

/// Rows past their retention.
async fn expired(
    client: &Client,
    table: &str,
    time: &str,
    retention: &str,
) -> clickhouse::error::Result<u64> {
    older_than(client, table, &format!("toDateTime({time})"), retention, 0).await
}

/// Rows whose whole (week) partition is past retention: TTL should have dropped them.
async fn overdue(
    client: &Client,
    table: &str,
    time: &str,
    retention: &str,
) -> clickhouse::error::Result<u64> {
    older_than(
        client,
        table,
        &format!("toDateTime(toMonday({time}))"),
        retention,
        7,
    )
    .await
}

/// The active parts of `table`: one count per shard (one server: one count).
pub fn active_parts_query(client: &Client, layout: &Layout, table: &str) -> Query {
    let read = format!(
        "SELECT count() FROM system.parts WHERE database = {} AND table = ? AND active",
        layout.current_database()
    );
    client
        .query(&layout.on_each_shard(&read))
        .bind(layout.table(table).stored_name())
}

async fn active_parts(
    client: &Client,
    layout: &Layout,
    table: &str,
) -> clickhouse::error::Result<u64> {
    let per_shard: Vec<u64> = active_parts_query(client, layout, table)
        .fetch_all()
        .await?;
    Ok(per_shard.iter().sum())
}

/// Drops what TTL has expired in `table`, waiting for it (on a cluster, on every replica).
pub fn materialize_ttl_query(client: &Client, layout: &Layout, table: &str) -> Query {
    let query = client
        .query(&format!(
            "ALTER TABLE {} MATERIALIZE TTL",
            layout.table(table).changed()
        ))
        .with_setting("mutations_sync", "2");
    with_settings(query, layout.change_settings())
}

pub async fn check_table(
    client: &Client,
    layout: &Layout,
    table: &'static str,
    time: &str,
    retention: &str,
) -> clickhouse::error::Result<TableReport> {
    let expired_before = expired(client, table, time, retention).await?;
    let mut report = TableReport {
        table,
        expired_before,
        expired_after: expired_before,
        ..TableReport::default()
    };
    if expired_before > 0 {
        let parts_before = active_parts(client, layout, table).await?;
        materialize_ttl_query(client, layout, table)
            .execute()
            .await?;
        report.parts_dropped =
            parts_before.saturating_sub(active_parts(client, layout, table).await?);
        report.expired_after = expired(client, table, time, retention).await?;
    }
    report.overdue = overdue(client, table, time, retention).await?;
    Ok(report)
}

impl Job for RetentionCheck {
    fn name(&self) -> &'static str {
        "retention_check"
    }

    fn run<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
        Box::pin(async move {
            let mut outcome = Outcome::default();
            let mut overdue = Vec::new();
            let mut pending = 0;
            for (table, time, retention) in TABLES {
                let report = check_table(client, &self.layout, table, time, retention).await?;
                outcome.rows += report.expired_before - report.expired_after;
                outcome.parts += report.parts_dropped;
                pending += report.expired_after;
                if report.overdue > 0 {
                    overdue.push(format!("{table}: {}", report.overdue));
                }
            }
            if !overdue.is_empty() {
                anyhow::bail!(
                    "rows past retention whose week has expired remain ({}); {} purged",
                    overdue.join(", "),
                    outcome.rows
                );
            }
            outcome.message = format!(
                "{} tables checked: {} expired rows purged ({} parts), {} expired rows wait for their week to expire, none overdue",
                TABLES.len(),
                outcome.rows,
                outcome.parts,
                pending
            );
            Ok(outcome)
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
    fn one_server_gets_the_statements_it_always_got() {
        let client = Client::default();
        let single = Layout::SingleNode;
        assert_eq!(
            sql(active_parts_query(&client, &single, "events")),
            "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active"
        );
        assert_eq!(
            sql(materialize_ttl_query(&client, &single, "events")),
            "ALTER TABLE `events` MATERIALIZE TTL"
        );
    }

    #[test]
    fn a_cluster_materializes_ttl_and_counts_parts_on_every_shards_local_table() {
        let client = Client::default();
        let cluster = cluster();
        assert_eq!(
            sql(active_parts_query(&client, &cluster, "events")),
            "SELECT * FROM cluster(`optiview`, view(SELECT count() FROM system.parts \
             WHERE database = 'analytics' AND table = 'events_local' AND active))"
        );
        assert_eq!(
            sql(materialize_ttl_query(&client, &cluster, "events")),
            "ALTER TABLE `analytics`.`events_local` ON CLUSTER `optiview` MATERIALIZE TTL"
        );
    }
}
