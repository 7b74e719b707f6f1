//! Each placement pinned on both layouts. The statements the jobs build from them are pinned in
//! their own modules and parsed by the engine in stream-processors/tests/it_cluster_maintenance.rs.

use super::*;

fn cluster() -> Layout {
    Layout::Cluster(Cluster::new("optiview", "analytics").unwrap())
}

#[test]
fn one_server_names_the_table_itself() {
    let single = Layout::SingleNode;
    let t = single.table("events");
    assert_eq!(t.changed(), "`events`");
    assert_eq!(t.on_shard(), "`events`");
    assert_eq!(t.unquoted().changed(), "events");
    assert_eq!(t.unquoted().on_shard(), "events");
    assert_eq!(t.stored_name(), "events");
    assert_eq!(single.on_each_shard("SELECT 1"), "SELECT 1");
    assert_eq!(single.system_table_on_every_host("tables"), "system.tables");
    assert_eq!(single.current_database(), "currentDatabase()");
    assert!(single.change_settings().is_empty());
    assert!(single.subquery_mutation_settings().is_empty());
    assert!(single.insert_select_settings().is_empty());
}

#[test]
fn a_cluster_changes_and_lists_every_shards_local_table() {
    let cluster = cluster();
    let t = cluster.table("events");
    assert_eq!(
        t.changed(),
        "`analytics`.`events_local` ON CLUSTER `optiview`"
    );
    assert_eq!(
        t.unquoted().changed(),
        "analytics.events_local ON CLUSTER optiview"
    );
    assert_eq!(t.on_shard(), "`analytics`.`events_local`");
    assert_eq!(t.stored_name(), "events_local");
    assert_eq!(
        cluster.on_each_shard("SELECT count() FROM system.parts"),
        "SELECT * FROM cluster(`optiview`, view(SELECT count() FROM system.parts))"
    );
    assert_eq!(
        cluster.system_table_on_every_host("tables"),
        "clusterAllReplicas(`optiview`, system.tables)"
    );
    assert_eq!(cluster.current_database(), "'analytics'");
    assert_eq!(cluster.change_settings(), CLUSTER_CHANGE_SETTINGS);
    assert_eq!(
        cluster.subquery_mutation_settings(),
        CLUSTER_SUBQUERY_MUTATION_SETTINGS
    );
    assert_eq!(
        cluster.insert_select_settings(),
        CLUSTER_INSERT_SELECT_SETTINGS
    );
}

#[test]
fn a_views_local_sources_become_the_distributed_tables() {
    let select = "SELECT project_id, countState() AS events FROM analytics.events_local AS e \
                  LEFT ARRAY JOIN e.tags AS tag JOIN `analytics`.`sessions_local` USING (id) \
                  WHERE toHour(ts) > 1 GROUP BY project_id";
    assert_eq!(
        cluster().reading_every_shard(select).unwrap(),
        "SELECT project_id, countState() AS events FROM `analytics`.`events` AS e \
         LEFT ARRAY JOIN e.tags AS tag JOIN `analytics`.`sessions` USING (id) \
         WHERE toHour(ts) > 1 GROUP BY project_id"
    );
    // A subquery's sources too; a string that looks like a source is left alone.
    let nested = "SELECT x FROM (SELECT 'FROM analytics.a_local' AS x FROM analytics.b_local)";
    assert_eq!(
        cluster().reading_every_shard(nested).unwrap(),
        "SELECT x FROM (SELECT 'FROM analytics.a_local' AS x FROM `analytics`.`b`)"
    );
    assert_eq!(
        Layout::SingleNode.reading_every_shard(select).unwrap(),
        select
    );
}

#[test]
fn a_view_reading_anything_but_a_local_table_of_the_database_is_refused() {
    for (select, table) in [
        ("SELECT 1 FROM events", "events"),
        ("SELECT 1 FROM analytics.events", "analytics.events"),
        ("SELECT 1 FROM other.events_local", "other.events_local"),
        ("SELECT 1 FROM analytics._local", "analytics._local"),
        ("SELECT 1 FROM numbers(3)", "numbers(…)"),
    ] {
        match cluster().reading_every_shard(select) {
            Err(PlacementError::UnknownSource { table: t, .. }) => assert_eq!(t, table),
            other => panic!("{select}: {other:?}"),
        }
    }
    assert!(matches!(
        cluster().reading_every_shard("SELECT 'x FROM a"),
        Err(PlacementError::Unreadable(_))
    ));
}

#[test]
fn names_are_escaped_as_the_client_escapes_identifiers() {
    assert_eq!(identifier("a`b\\c"), r"`a\`b\\c`");
    assert_eq!(string("it's"), r"'it\'s'");
}
