//! The rendering rules, pinned statement kind by statement kind. The engine's own parser reads
//! every rendered statement of the repository's migrations in `tests/it_cluster_migrations.rs`.

use super::*;

fn cluster() -> Cluster {
    Cluster::new("optiview", "analytics").unwrap()
}

/// Renders `statements` in order with one renderer; the last statement's output.
fn render_last(statements: &[&str]) -> Result<Vec<String>, RenderError> {
    let cluster = cluster();
    let mut renderer = Renderer::new(&cluster);
    let (last, before) = statements.split_last().unwrap();
    for statement in before {
        renderer.render(statement).unwrap();
    }
    renderer.render(last)
}

fn reason(result: Result<Vec<String>, RenderError>) -> String {
    match result {
        Err(RenderError::Unsupported { reason, .. }) => reason,
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

const EVENTS: &str = "-- the facts
CREATE TABLE IF NOT EXISTS events
(
    project_id LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    event_id String,
    engine String DEFAULT 'ENGINE = Memory ORDER BY x',
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY toMonday(ts)
ORDER BY (project_id, ts, event_id)
TTL toDateTime(ts) + INTERVAL 365 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000";

const ROLLUP: &str = "CREATE TABLE IF NOT EXISTS hourly
(
    project_id LowCardinality(String),
    hour DateTime('UTC'),
    events AggregateFunction(count),
    pages AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, hour)";

#[test]
fn a_merge_tree_table_becomes_a_replicated_local_table_and_a_distributed_one() {
    let out = render_last(&[EVENTS]).unwrap();
    assert_eq!(
        out,
        [
            "-- the facts
CREATE TABLE IF NOT EXISTS events_local ON CLUSTER optiview
(
    project_id LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    event_id String,
    engine String DEFAULT 'ENGINE = Memory ORDER BY x',
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/events', '{replica}', processed_at)
PARTITION BY toMonday(ts)
ORDER BY (project_id, ts, event_id)
TTL toDateTime(ts) + INTERVAL 365 DAY
SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000, \
replicated_deduplication_window_seconds = 604800",
            "CREATE TABLE IF NOT EXISTS events ON CLUSTER optiview AS analytics.events_local \
ENGINE = Distributed(optiview, analytics, events_local, cityHash64(project_id, ts, event_id))",
        ]
    );
}

#[test]
fn an_engine_without_arguments_gets_only_path_and_replica() {
    let out = render_last(&[ROLLUP]).unwrap();
    assert!(out[0].contains(
        "ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/hourly', '{replica}')\n"
    ), "{}", out[0]);
    assert!(
        !out[0].contains("deduplication"),
        "no setting asked for, none added"
    );
    assert!(
        out[1].ends_with("cityHash64(project_id, hour))"),
        "{}",
        out[1]
    );
    // Without IF NOT EXISTS in the file, none in either statement.
    let bare = render_last(&["CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id"]).unwrap();
    assert_eq!(
        bare,
        [
            "CREATE TABLE t_local ON CLUSTER optiview (id UInt64) ENGINE = \
             ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}') ORDER BY id",
            "CREATE TABLE t ON CLUSTER optiview AS analytics.t_local \
             ENGINE = Distributed(optiview, analytics, t_local, cityHash64(id))",
        ]
    );
}

#[test]
fn a_materialized_view_reads_the_local_table_and_writes_the_local_rollup() {
    let mv = "CREATE MATERIALIZED VIEW IF NOT EXISTS hourly_mv TO hourly AS
SELECT project_id, toStartOfHour(ts) AS hour, countState() AS events, uniqState(event_id) AS pages
FROM events
ARRAY JOIN [1, 2] AS events
WHERE event_id IN (SELECT event_id FROM events WHERE project_id != '')
GROUP BY project_id, hour";
    let out = render_last(&[EVENTS, ROLLUP, mv]).unwrap();
    assert_eq!(
        out,
        ["CREATE MATERIALIZED VIEW IF NOT EXISTS hourly_mv ON CLUSTER optiview TO analytics.hourly_local AS
SELECT project_id, toStartOfHour(ts) AS hour, countState() AS events, uniqState(event_id) AS pages
FROM analytics.events_local
ARRAY JOIN [1, 2] AS events
WHERE event_id IN (SELECT event_id FROM analytics.events_local WHERE project_id != '')
GROUP BY project_id, hour"]
    );
}

#[test]
fn a_plain_view_reads_the_distributed_tables() {
    let view = "CREATE VIEW IF NOT EXISTS recent AS SELECT e.event_id FROM events AS e \
                LEFT JOIN hourly AS h ON h.project_id = e.project_id, numbers(3) AS n";
    let out = render_last(&[EVENTS, ROLLUP, view]).unwrap();
    assert_eq!(
        out,
        ["CREATE VIEW IF NOT EXISTS recent ON CLUSTER optiview AS SELECT e.event_id \
          FROM analytics.events AS e LEFT JOIN analytics.hourly AS h ON h.project_id = e.project_id, \
          numbers(3) AS n"]
    );
}

#[test]
fn column_changes_apply_to_both_tables_and_table_changes_to_the_local_one() {
    let add = "ALTER TABLE events ADD COLUMN IF NOT EXISTS asn UInt32 DEFAULT 0 AFTER ts, \
               ADD COLUMN IF NOT EXISTS seen AggregateFunction(uniq, String)";
    assert_eq!(
        render_last(&[EVENTS, add]).unwrap(),
        [
            "ALTER TABLE events_local ON CLUSTER optiview ADD COLUMN IF NOT EXISTS asn UInt32 \
             DEFAULT 0 AFTER ts, ADD COLUMN IF NOT EXISTS seen AggregateFunction(uniq, String)",
            "ALTER TABLE events ON CLUSTER optiview ADD COLUMN IF NOT EXISTS asn UInt32 \
             DEFAULT 0 AFTER ts, ADD COLUMN IF NOT EXISTS seen AggregateFunction(uniq, String)",
        ]
    );
    let ttl = "ALTER TABLE events MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY";
    assert_eq!(
        render_last(&[EVENTS, ttl]).unwrap(),
        ["ALTER TABLE events_local ON CLUSTER optiview MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY"]
    );
    let mixed = "ALTER TABLE events ADD COLUMN a UInt8, MODIFY SETTING ttl_only_drop_parts = 0";
    assert!(reason(render_last(&[EVENTS, mixed])).contains("split them"));
    let unknown = "ALTER TABLE events FREEZE";
    assert!(reason(render_last(&[EVENTS, unknown])).contains("ALTER command"));
}

#[test]
fn dropping_a_sharded_table_drops_both_and_frees_the_replica_path() {
    assert_eq!(
        render_last(&[EVENTS, "DROP TABLE IF EXISTS events"]).unwrap(),
        [
            "DROP TABLE IF EXISTS events ON CLUSTER optiview SYNC",
            "DROP TABLE IF EXISTS events_local ON CLUSTER optiview SYNC",
        ]
    );
    let mv = "CREATE MATERIALIZED VIEW m TO events AS SELECT * FROM events";
    assert_eq!(
        render_last(&[EVENTS, mv, "DROP VIEW IF EXISTS m"]).unwrap(),
        ["DROP VIEW IF EXISTS m ON CLUSTER optiview SYNC"]
    );
    // Dropped, then created again: the second CREATE is a sharded table again.
    let again = render_last(&[EVENTS, "DROP TABLE events", EVENTS]).unwrap();
    assert_eq!(again.len(), 2);
    assert!(reason(render_last(&[
        EVENTS,
        "DROP TABLE events",
        "INSERT INTO events SELECT 1"
    ]))
    .contains("not a table created before"));
}

#[test]
fn inserts_go_through_the_distributed_table_unchanged() {
    let insert = "INSERT INTO events (project_id, ts, event_id) SELECT 'p', now(), 'e'";
    assert_eq!(render_last(&[EVENTS, insert]).unwrap(), [insert]);
}

#[test]
fn statements_without_a_rule_fail_loudly() {
    for (statement, expected) in [
        (
            "OPTIMIZE TABLE events FINAL",
            "no rule for this kind of statement",
        ),
        (
            "RENAME TABLE events TO e2",
            "no rule for this kind of statement",
        ),
        (
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            "no rule for this kind of statement",
        ),
        (
            "CREATE TABLE b (id UInt8) ENGINE = Memory",
            "engine \"Memory\" has no replicated form",
        ),
        (
            "CREATE TABLE b (id UInt8) ENGINE = ReplicatedMergeTree ORDER BY id",
            "has no replicated form",
        ),
        (
            "CREATE TABLE b (id UInt8) ENGINE = MergeTree ORDER BY tuple()",
            "ORDER BY key",
        ),
        ("CREATE TABLE b AS events", "without a column list"),
        (
            "CREATE TABLE other.b (id UInt8) ENGINE = MergeTree ORDER BY id",
            "unqualified",
        ),
        (
            "CREATE TABLE b ON CLUSTER c (id UInt8) ENGINE = MergeTree ORDER BY id",
            "already ON CLUSTER",
        ),
        (
            "CREATE MATERIALIZED VIEW m ENGINE = MergeTree ORDER BY id AS SELECT * FROM events",
            "must write TO a table",
        ),
        (
            "CREATE MATERIALIZED VIEW m TO events AS SELECT * FROM nowhere",
            "reads nowhere",
        ),
        (
            "CREATE MATERIALIZED VIEW m TO nowhere AS SELECT * FROM events",
            "TO nowhere",
        ),
        ("ALTER TABLE nowhere ADD COLUMN a UInt8", "ALTER of nowhere"),
        ("DROP TABLE nowhere", "DROP of nowhere"),
        ("INSERT INTO nowhere VALUES (1)", "INSERT INTO nowhere"),
        ("SELECT 'unterminated", "unterminated string"),
    ] {
        let got = reason(render_last(&[EVENTS, statement]));
        assert!(got.contains(expected), "{statement}: {got}");
    }
}

#[test]
fn the_error_names_the_statement_by_its_first_line_of_code() {
    let err = render_last(&["-- why\nOPTIMIZE TABLE t\nFINAL"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot render for a cluster (no rule for this kind of statement): OPTIMIZE TABLE t"
    );
}

#[test]
fn cluster_and_database_names_must_be_plain_identifiers() {
    assert!(Cluster::new("prod_1", "optiview").is_ok());
    for (name, db) in [
        ("", "optiview"),
        ("a b", "optiview"),
        ("c", "x;DROP"),
        ("c", "1db"),
    ] {
        assert!(
            matches!(Cluster::new(name, db), Err(RenderError::BadName { .. })),
            "{name:?} {db:?}"
        );
    }
}

#[test]
fn every_repository_migration_renders_and_the_single_node_plan_is_the_files_own() {
    use crate::clickhouse::migrations::{load_dir, plan, SCHEMA_MIGRATIONS};
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/clickhouse/migrations");
    let migrations = load_dir(&dir).unwrap();
    let single = plan(&Layout::SingleNode, &migrations).unwrap();
    assert_eq!(single.bookkeeping, [SCHEMA_MIGRATIONS]);
    for (m, statements) in migrations.iter().zip(&single.migrations) {
        assert_eq!(statements, &m.statements(), "{}", m.name);
    }
    let clustered = plan(&Layout::Cluster(cluster()), &migrations).unwrap();
    assert_eq!(
        clustered.bookkeeping.len(),
        2,
        "local and Distributed schema_migrations"
    );
    assert!(clustered.bookkeeping[0]
        .contains("ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/schema_migrations'"));
    for (m, statements) in migrations.iter().zip(&clustered.migrations) {
        assert!(statements.len() >= m.statements().len(), "{}", m.name);
    }
}
