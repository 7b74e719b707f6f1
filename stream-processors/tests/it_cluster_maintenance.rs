//! Cluster mode's maintenance statements as the engine reads them: every statement the retention
//! check, rollup maintenance and replay's rebuild would send on a cluster, for every table they
//! work on, is parsed by ClickHouse's own parser (`formatQuerySingleLine`, through the gateway),
//! and the checks read the engine's formatting of it. The rebuild's refills are made from the
//! materialized views the cluster renderer writes from the repository's migrations. No cluster
//! runs here: what the statements do on Keeper and remote servers is not exercised.

use std::collections::HashMap;

use platform::clickhouse::cluster::{Cluster, Layout};
use platform::clickhouse::migrations::{load_dir, plan};
use platform::clickhouse::placement::{
    CLUSTER_CHANGE_SETTINGS, CLUSTER_INSERT_SELECT_SETTINGS, CLUSTER_SUBQUERY_MUTATION_SETTINGS,
};
use platform::test_support::{
    clickhouse_client, clickhouse_url, repo_migrations_dir, TestDatabase,
};
use regex::Regex;
use stream_processors::jobs::{retention, rollups};
use stream_processors::replay::rebuild;

const CLUSTER: &str = "optiview_test";
const DATABASE: &str = "optiview";

fn cluster() -> Layout {
    Layout::Cluster(Cluster::new(CLUSTER, DATABASE).unwrap())
}

/// The text `query` sends.
fn sql(query: clickhouse::query::Query) -> String {
    query.sql_display().to_string()
}

/// The engine's one-line formatting of `text`; a parse error fails the test, naming it.
async fn formatted(client: &clickhouse::Client, text: &str) -> String {
    client
        .query("SELECT formatQuerySingleLine(?)")
        .bind(text)
        .fetch_one::<String>()
        .await
        .unwrap_or_else(|e| panic!("the engine cannot parse\n{text}\n{e}"))
}

/// A statement that changes rows or parts: on every shard's local table of `table`.
fn assert_changes_local(text: &str, verb: &str, table: &str) {
    let target = format!("{verb} {DATABASE}.{table}_local ON CLUSTER {CLUSTER}");
    let rest = text.strip_prefix(&target);
    assert!(
        rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(' ')),
        "expected {target:?}…: {text}"
    );
}

/// A read run once on each shard through `cluster()`, naming only local tables and the database.
fn assert_per_shard(text: &str, table: &str) {
    let prefix = format!("SELECT * FROM cluster({CLUSTER}, view(SELECT ");
    assert!(text.starts_with(&prefix), "expected {prefix:?}…: {text}");
    assert!(!text.contains("currentDatabase()"), "{text}");
    assert!(
        text.contains(&format!("'{table}_local'"))
            || text.contains(&format!("{DATABASE}.{table}_local")),
        "{text}"
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_retention_checks_cluster_statements_parse_and_reach_every_shards_local_table() {
    let client = clickhouse_client(&clickhouse_url());
    let layout = cluster();
    for (table, _, _) in retention::TABLES {
        let parts = formatted(
            &client,
            &sql(retention::active_parts_query(&client, &layout, table)),
        )
        .await;
        assert_per_shard(&parts, table);
        assert!(
            parts.contains("FROM system.parts WHERE (database = 'optiview')"),
            "{parts}"
        );
        let ttl = formatted(
            &client,
            &sql(retention::materialize_ttl_query(&client, &layout, table)),
        )
        .await;
        assert_changes_local(&ttl, "ALTER TABLE", table);
        assert!(ttl.contains("MATERIALIZE TTL"), "{ttl}");
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn rollup_maintenances_cluster_statements_parse_and_reach_every_shards_local_table() {
    let client = clickhouse_client(&clickhouse_url());
    let layout = cluster();
    for table in rollups::ROLLUPS {
        let partitions = formatted(
            &client,
            &sql(rollups::partitions_query(&client, &layout, table)),
        )
        .await;
        assert_per_shard(&partitions, table);
        assert!(partitions.contains("GROUP BY partition_id"), "{partitions}");
        let open = formatted(
            &client,
            &sql(rollups::open_rows_query(
                &client,
                &layout,
                table,
                "30-20261130",
            )),
        )
        .await;
        assert_per_shard(&open, table);
        assert!(open.contains("_partition_id = '30-20261130'"), "{open}");
        let optimize = formatted(
            &client,
            &sql(rollups::optimize_query(
                &client,
                &layout,
                table,
                "30-20261130",
            )),
        )
        .await;
        assert_changes_local(&optimize, "OPTIMIZE TABLE", table);
        assert!(
            optimize.ends_with(" PARTITION ID '30-20261130' FINAL"),
            "{optimize}"
        );
    }
}

/// Each materialized view's SELECT as the engine formats the cluster renderer's CREATE of it
/// (the last one, for a view created again), by view name.
async fn rendered_view_selects(client: &clickhouse::Client) -> HashMap<String, String> {
    let migrations = load_dir(repo_migrations_dir()).unwrap();
    let plan = plan(&cluster(), &migrations).expect("every migration renders");
    let create = Regex::new(
        r"^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?(\w+) ON CLUSTER \w+ TO \w+\.\w+ AS (SELECT .*)$",
    )
    .unwrap();
    let mut selects = HashMap::new();
    for statement in plan.migrations.iter().flatten() {
        let text = formatted(client, statement).await;
        if let Some(view) = create.captures(&text) {
            selects.insert(view[1].to_owned(), view[2].to_owned());
        }
    }
    selects
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn replays_cluster_rebuild_parses_deletes_by_shard_and_refills_from_every_shard() {
    let client = clickhouse_client(&clickhouse_url());
    let layout = cluster();

    for (table, condition) in rebuild::stale_row_conditions() {
        let delete = formatted(
            &client,
            &sql(rebuild::stale_rows_query(
                &client, &layout, table, &condition, 1.5,
            )),
        )
        .await;
        assert_changes_local(&delete, "ALTER TABLE", table);
        assert!(
            delete.contains(&format!("FROM {DATABASE}.events_local FINAL WHERE")),
            "the shard's own events decide: {delete}"
        );
    }

    let selects = rendered_view_selects(&client).await;
    let source = Regex::new(r" (?:FROM|JOIN) (\w+)\.(\w+)").unwrap();
    for (table, view) in rebuild::ROLLUPS {
        let definition = formatted(
            &client,
            &sql(rebuild::view_definition_query(&client, &layout, view)),
        )
        .await;
        assert!(
            definition.starts_with(&format!(
                "SELECT as_select FROM clusterAllReplicas({CLUSTER}, system.tables) WHERE "
            )) && definition.contains("database = 'optiview'")
                && definition.contains(&format!("name = '{view}'")),
            "{definition}"
        );
        let truncate = formatted(
            &client,
            &sql(rebuild::truncate_query(&client, &layout, table)),
        )
        .await;
        assert_changes_local(&truncate, "TRUNCATE TABLE", table);

        let select = selects
            .get(view)
            .unwrap_or_else(|| panic!("the migrations create no view {view}"));
        assert!(
            select.contains("_local"),
            "the renderer's view reads local tables: {select}"
        );
        let refill = rebuild::refill_query(&client, &layout, table, select)
            .unwrap_or_else(|e| panic!("{view}: {e}"));
        let refill = formatted(&client, &sql(refill)).await;
        assert!(
            refill.starts_with(&format!("INSERT INTO {table} SELECT ")),
            "{refill}"
        );
        let sources: Vec<_> = source.captures_iter(&refill).collect();
        assert!(!sources.is_empty(), "{refill}");
        for s in sources {
            assert_eq!(&s[1], DATABASE, "{refill}");
            assert!(
                !s[2].ends_with("_local"),
                "the refill reads every shard (the Distributed table): {refill}"
            );
        }
    }
}

/// The DELETE above reads the shard's own events: that is right only if a derived row and its
/// event land on the same shard, that is if the derived tables are sharded by the same key over
/// columns of the same types as events.
#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn derived_rows_are_sharded_with_their_events() {
    let client = clickhouse_client(&clickhouse_url());
    let migrations = load_dir(repo_migrations_dir()).unwrap();
    let plan = plan(&cluster(), &migrations).unwrap();
    let distributed =
        Regex::new(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+) ON CLUSTER .* ENGINE = Distributed\(\w+, \w+, \w+, (cityHash64\(.+\))\)$")
            .unwrap();
    let mut keys: HashMap<String, String> = HashMap::new();
    for statement in plan.migrations.iter().flatten() {
        let text = formatted(&client, statement).await;
        if let Some(c) = distributed.captures(&text) {
            keys.insert(c[1].to_owned(), c[2].to_owned());
        }
    }
    let events_key = keys.get("events").expect("events is sharded").clone();

    // The key columns' types, as one server creates the tables from the same files.
    let db = TestDatabase::migrated().await;
    let types = |table: &'static str| {
        let client = db.client();
        async move {
            client
                .query(
                    "SELECT name, type FROM system.columns WHERE database = currentDatabase() \
                     AND table = ? AND is_in_sorting_key ORDER BY name",
                )
                .bind(table)
                .fetch_all::<(String, String)>()
                .await
                .unwrap()
        }
    };
    let events_types = types("events").await;
    assert!(!events_types.is_empty());
    for (table, _) in rebuild::stale_row_conditions() {
        assert_eq!(
            keys.get(table),
            Some(&events_key),
            "{table} is not sharded like events"
        );
        assert_eq!(types(table).await, events_types, "{table}'s key columns");
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_settings_cluster_maintenance_sends_are_settings_the_engine_accepts() {
    // A misspelt name or a value of the wrong type fails the query ("Unknown setting").
    let mut client = clickhouse_client(&clickhouse_url());
    for (name, value) in CLUSTER_CHANGE_SETTINGS
        .iter()
        .chain(CLUSTER_SUBQUERY_MUTATION_SETTINGS)
        .chain(CLUSTER_INSERT_SELECT_SETTINGS)
    {
        client = client.with_setting(*name, *value);
    }
    let one: u8 = client.query("SELECT 1").fetch_one().await.unwrap();
    assert_eq!(one, 1);
}

/// The profile `users.d/optiview.xml` gives the `health` user, with the settings it lists.
fn health_profile(xml: &str) -> String {
    let user = Regex::new(r"(?s)<health>.*?<profile>(\w+)</profile>.*?</health>").unwrap();
    let name = user.captures(xml).expect("a health user with a profile")[1].to_owned();
    let profile = Regex::new(&format!(r"(?s)<{name}>(.*?)</{name}>")).unwrap();
    profile.captures(xml).expect("the health profile")[1].to_owned()
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_health_users_profile_allows_the_ttl_alter_that_allow_ddl_0_refuses() {
    let db = TestDatabase::create().await;
    let client = db.client();
    client
        .query(
            "CREATE TABLE t (ts DateTime) ENGINE = MergeTree ORDER BY ts TTL ts + INTERVAL 1 DAY",
        )
        .execute()
        .await
        .unwrap();
    let ttl = retention::materialize_ttl_query(&client, &Layout::SingleNode, "t");
    let refused = ttl
        .with_setting("allow_ddl", "0")
        .execute()
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("QUERY_IS_PROHIBITED"),
        "{refused}"
    );
    let production = repo_migrations_dir().join("../../production");
    for file in [
        "clickhouse/users.d/optiview.xml",
        "clickhouse-cluster/users.d/optiview.xml",
    ] {
        let xml = std::fs::read_to_string(production.join(file)).unwrap();
        let profile = health_profile(&xml);
        assert!(
            profile.contains("<allow_ddl>1</allow_ddl>"),
            "{file}: the health user's profile must allow the retention check's ALTER: {profile}"
        );
    }
}
