//! After a replay: rows of the derived tables whose event no longer qualifies (no longer an AI
//! referral, no longer a robot) are deleted, and the rollups filled by materialized views — which
//! counted the replayed inserts a second time — are rebuilt from the base tables. Every statement
//! is fixed text or a view definition read from `system.tables`; values are bound parameters.

use clickhouse::query::Query;
use clickhouse::Client;
use platform::clickhouse::cluster::Layout;
use platform::clickhouse::placement::with_settings;
use schemas::vocab::{sql_literal, AgentClass};

/// (derived table, the condition on the events table under which an event no longer has a row in it)
pub fn stale_row_conditions() -> [(&'static str, String); 2] {
    [
        ("ai_referrals", "ai_source = ''".to_owned()),
        (
            "crawler_hits",
            format!("agent_class = {}", sql_literal(AgentClass::Human)),
        ),
    ]
}

/// Deletes `table`'s rows for events re-derived since `since` (seconds) that match `condition`.
/// On a cluster each shard deletes its own rows by its own events: the derived tables share the
/// events table's sorting key, so a row and its event are on the same shard (the sharding key
/// hashes the sorting key; it_cluster_maintenance checks the keys agree).
pub fn stale_rows_query(
    client: &Client,
    layout: &Layout,
    table: &str,
    condition: &str,
    since: f64,
) -> Query {
    let statement = format!(
        "ALTER TABLE {} DELETE WHERE event_id IN
           (SELECT event_id FROM {} FINAL WHERE {condition} AND processed_at >= toDateTime64(?, 3))",
        layout.table(table).unquoted().changed(),
        layout.table("events").unquoted().on_shard(),
    );
    let query = client
        .query(&statement)
        .bind(since)
        .with_setting("mutations_sync", "1");
    let query = with_settings(query, layout.change_settings());
    with_settings(query, layout.subquery_mutation_settings())
}

/// Deletes ai_referrals and crawler_hits rows for events re-derived since `replay_started_ms`
/// that no longer produce them.
pub async fn drop_stale_derived_rows(
    client: &Client,
    layout: &Layout,
    replay_started_ms: i64,
) -> anyhow::Result<()> {
    let since = replay_started_ms as f64 / 1000.0;
    for (table, condition) in stale_row_conditions() {
        stale_rows_query(client, layout, table, &condition, since)
            .execute()
            .await?;
    }
    Ok(())
}

/// (rollup table, the materialized view that fills it)
pub const ROLLUPS: [(&str, &str); 11] = [
    ("traffic_hourly", "traffic_hourly_mv"),
    ("crawler_hourly", "crawler_hourly_mv"),
    ("pages", "pages_mv"),
    ("breakdown_hourly", "breakdown_hourly_mv"),
    ("crawler_agents_hourly", "crawler_agents_hourly_mv"),
    ("pages_hourly", "pages_hourly_mv"),
    ("traffic_class_hourly", "traffic_class_hourly_mv"),
    ("traffic_class_daily", "traffic_class_daily_mv"),
    ("breakdown_daily", "breakdown_daily_mv"),
    ("crawler_facets_hourly", "crawler_facets_hourly_mv"),
    ("crawler_facets_daily", "crawler_facets_daily_mv"),
];

/// The definition of `view`: one row per host on a cluster (each runs its own copy).
pub fn view_definition_query(client: &Client, layout: &Layout, view: &str) -> Query {
    client
        .query(&format!(
            "SELECT as_select FROM {} WHERE database = {} AND name = ?",
            layout.system_table_on_every_host("tables"),
            layout.current_database()
        ))
        .bind(view)
}

/// Empties `table` (on a cluster, every shard's local table on every replica).
pub fn truncate_query(client: &Client, layout: &Layout, table: &str) -> Query {
    let query = client.query(&format!("TRUNCATE TABLE {}", layout.table(table).changed()));
    with_settings(query, layout.change_settings())
}

/// Refills `table` with its view's `select` over the base tables' final rows. On a cluster the
/// view reads its shard's local tables; the refill reads the Distributed ones instead, and each
/// shard runs it into its own local rollup.
pub fn refill_query(
    client: &Client,
    layout: &Layout,
    table: &str,
    select: &str,
) -> anyhow::Result<Query> {
    let select = layout.reading_every_shard(select)?;
    // The view text contains no `?`, so binding the identifier is unambiguous.
    let query = client
        .query(&format!("INSERT INTO ? {select}"))
        .bind(clickhouse::sql::Identifier(table))
        .with_setting("final", "1");
    Ok(with_settings(query, layout.insert_select_settings()))
}

/// The one definition every host has of `view`.
async fn view_definition(client: &Client, layout: &Layout, view: &str) -> anyhow::Result<String> {
    let mut definitions: Vec<String> = view_definition_query(client, layout, view)
        .fetch_all()
        .await?;
    definitions.sort();
    definitions.dedup();
    match definitions.len() {
        1 => Ok(definitions.remove(0)),
        0 => anyhow::bail!("no materialized view {view}: run the migrations"),
        n => anyhow::bail!(
            "the hosts hold {n} different definitions of {view} (a migration half applied?): \
             run the migrations again before a replay"
        ),
    }
}

/// Empties each rollup and refills it with its view's own query over the base tables' final rows.
pub async fn rebuild_rollups(client: &Client, layout: &Layout) -> anyhow::Result<()> {
    for (table, view) in ROLLUPS {
        let select = view_definition(client, layout, view).await?;
        let refill = refill_query(client, layout, table, &select)?;
        truncate_query(client, layout, table).execute().await?;
        refill.execute().await?;
    }
    Ok(())
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

    fn stale(layout: &Layout) -> Vec<String> {
        let client = Client::default();
        stale_row_conditions()
            .iter()
            .map(|(table, condition)| sql(stale_rows_query(&client, layout, table, condition, 1.5)))
            .collect()
    }

    #[test]
    fn one_server_gets_the_statements_it_always_got() {
        let client = Client::default();
        let single = Layout::SingleNode;
        let human = sql_literal(AgentClass::Human);
        assert_eq!(
            stale(&single),
            [
                "ALTER TABLE ai_referrals DELETE WHERE event_id IN
           (SELECT event_id FROM events FINAL WHERE ai_source = '' AND processed_at >= toDateTime64(1.5, 3))".to_owned(),
                format!("ALTER TABLE crawler_hits DELETE WHERE event_id IN
           (SELECT event_id FROM events FINAL WHERE agent_class = {human} AND processed_at >= toDateTime64(1.5, 3))"),
            ]
        );
        assert_eq!(
            sql(view_definition_query(&client, &single, "traffic_hourly_mv")),
            "SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = 'traffic_hourly_mv'"
        );
        assert_eq!(
            sql(truncate_query(&client, &single, "traffic_hourly")),
            "TRUNCATE TABLE `traffic_hourly`"
        );
        let select = "SELECT project_id, countState() AS events FROM events GROUP BY project_id";
        assert_eq!(
            sql(refill_query(&client, &single, "traffic_hourly", select).unwrap()),
            format!("INSERT INTO `traffic_hourly` {select}")
        );
    }

    #[test]
    fn a_cluster_deletes_truncates_and_refills_every_shards_local_tables() {
        let client = Client::default();
        let cluster = cluster();
        let human = sql_literal(AgentClass::Human);
        assert_eq!(
            stale(&cluster),
            [
                "ALTER TABLE analytics.ai_referrals_local ON CLUSTER optiview DELETE WHERE event_id IN
           (SELECT event_id FROM analytics.events_local FINAL WHERE ai_source = '' AND processed_at >= toDateTime64(1.5, 3))".to_owned(),
                format!("ALTER TABLE analytics.crawler_hits_local ON CLUSTER optiview DELETE WHERE event_id IN
           (SELECT event_id FROM analytics.events_local FINAL WHERE agent_class = {human} AND processed_at >= toDateTime64(1.5, 3))"),
            ]
        );
        assert_eq!(
            sql(view_definition_query(
                &client,
                &cluster,
                "traffic_hourly_mv"
            )),
            "SELECT as_select FROM clusterAllReplicas(`optiview`, system.tables) \
             WHERE database = 'analytics' AND name = 'traffic_hourly_mv'"
        );
        assert_eq!(
            sql(truncate_query(&client, &cluster, "traffic_hourly")),
            "TRUNCATE TABLE `analytics`.`traffic_hourly_local` ON CLUSTER `optiview`"
        );
        // What the cluster renderer made of the view: it reads the shard's local table.
        let select =
            "SELECT project_id, countState() AS events FROM analytics.events_local GROUP BY project_id";
        assert_eq!(
            sql(refill_query(&client, &cluster, "traffic_hourly", select).unwrap()),
            "INSERT INTO `traffic_hourly` SELECT project_id, countState() AS events \
             FROM `analytics`.`events` GROUP BY project_id"
        );
        // A definition the renderer would not have written is refused before anything is emptied.
        assert!(refill_query(&client, &cluster, "traffic_hourly", "SELECT 1 FROM events").is_err());
    }
}
