//! After a replay: rows of the derived tables whose event no longer qualifies (no longer an AI
//! referral, no longer a robot) are deleted, and the rollups filled by materialized views — which
//! counted the replayed inserts a second time — are rebuilt from the base tables. Every statement
//! is fixed text or a view definition read from `system.tables`; values are bound parameters.

use clickhouse::Client;
use schemas::vocab::{sql_literal, AgentClass};

/// Deletes ai_referrals and crawler_hits rows for events re-derived since `replay_started_ms`
/// that no longer produce them.
pub async fn drop_stale_derived_rows(
    client: &Client,
    replay_started_ms: i64,
) -> anyhow::Result<()> {
    let since = replay_started_ms as f64 / 1000.0;
    let human = sql_literal(AgentClass::Human);
    for statement in [
        "ALTER TABLE ai_referrals DELETE WHERE event_id IN
           (SELECT event_id FROM events FINAL WHERE ai_source = '' AND processed_at >= toDateTime64(?, 3))".to_owned(),
        format!("ALTER TABLE crawler_hits DELETE WHERE event_id IN
           (SELECT event_id FROM events FINAL WHERE agent_class = {human} AND processed_at >= toDateTime64(?, 3))"),
    ] {
        client
            .query(&statement)
            .bind(since)
            .with_setting("mutations_sync", "1")
            .execute()
            .await?;
    }
    Ok(())
}

/// (rollup table, the materialized view that fills it)
const ROLLUPS: [(&str, &str); 9] = [
    ("traffic_hourly", "traffic_hourly_mv"),
    ("crawler_hourly", "crawler_hourly_mv"),
    ("pages", "pages_mv"),
    ("breakdown_hourly", "breakdown_hourly_mv"),
    ("crawler_agents_hourly", "crawler_agents_hourly_mv"),
    ("pages_hourly", "pages_hourly_mv"),
    ("traffic_class_hourly", "traffic_class_hourly_mv"),
    ("traffic_class_daily", "traffic_class_daily_mv"),
    ("breakdown_daily", "breakdown_daily_mv"),
];

/// Empties each rollup and refills it with its view's own query over the base tables' final rows.
pub async fn rebuild_rollups(client: &Client) -> anyhow::Result<()> {
    for (table, view) in ROLLUPS {
        let select: String = client
            .query("SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = ?")
            .bind(view)
            .fetch_one()
            .await?;
        client
            .query("TRUNCATE TABLE ?")
            .bind(clickhouse::sql::Identifier(table))
            .execute()
            .await?;
        // The view text contains no `?`, so binding the identifier is unambiguous.
        client
            .query(&format!("INSERT INTO ? {select}"))
            .bind(clickhouse::sql::Identifier(table))
            .with_setting("final", "1")
            .execute()
            .await?;
    }
    Ok(())
}
