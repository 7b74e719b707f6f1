//! Cluster mode's DDL as the engine reads it: every statement rendered from every migration file in
//! the repository's directory (whatever files it holds when the test runs) is parsed by
//! ClickHouse's own parser (`formatQuerySingleLine`, through the gateway), and the checks below
//! read the engine's formatting of it, not the renderer's text. No cluster runs here: what a
//! statement does on Keeper and remote servers is not exercised.

use std::collections::{BTreeSet, HashMap};

use platform::clickhouse::migrations::{load_dir, plan, Cluster, Layout};
use platform::test_support::{clickhouse_client, clickhouse_url, repo_migrations_dir};
use regex::Regex;

const CLUSTER: &str = "optiview_test";
const DATABASE: &str = "optiview";

/// The engine's one-line formatting of `statement`, or its parse error.
async fn formatted(client: &clickhouse::Client, statement: &str) -> Result<String, String> {
    client
        .query("SELECT formatQuerySingleLine(?)")
        .bind(statement)
        .fetch_one::<String>()
        .await
        .map_err(|e| e.to_string())
}

/// Every statement of `layout`'s plan (bookkeeping table first), as the engine formats it.
async fn formatted_plan(client: &clickhouse::Client, layout: &Layout) -> Vec<(String, String)> {
    let migrations = load_dir(repo_migrations_dir()).unwrap();
    assert!(!migrations.is_empty());
    let plan = plan(layout, &migrations).expect("every migration renders");
    let mut out = Vec::new();
    let named = std::iter::once(("schema_migrations".to_owned(), plan.bookkeeping)).chain(
        migrations
            .iter()
            .map(|m| format!("{:04}_{}", m.version, m.name))
            .zip(plan.migrations),
    );
    for (file, statements) in named {
        for statement in statements {
            match formatted(client, &statement).await {
                Ok(text) => out.push((file.clone(), text)),
                Err(e) => panic!("{file}: the engine cannot parse\n{statement}\n{e}"),
            }
        }
    }
    out
}

/// `ORDER BY` of a formatted CREATE TABLE, outer parentheses removed.
fn sorting_key(create: &str) -> Option<String> {
    let re =
        Regex::new(r" ORDER BY (.+?)(?: TTL | SETTINGS | PRIMARY KEY | SAMPLE BY | COMMENT |$)")
            .unwrap();
    let key = re.captures(create)?.get(1)?.as_str();
    Some(
        key.strip_prefix('(')
            .and_then(|k| k.strip_suffix(')'))
            .unwrap_or(key)
            .to_owned(),
    )
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn every_rendered_migration_statement_parses_and_places_its_tables_on_the_cluster() {
    let client = clickhouse_client(&clickhouse_url());
    let layout = Layout::Cluster(Cluster::new(CLUSTER, DATABASE).unwrap());
    let statements = formatted_plan(&client, &layout).await;

    let create_table =
        Regex::new(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+) ON CLUSTER (\w+) ").unwrap();
    let engine = Regex::new(r" ENGINE = (\w+)\((.*?)\)(?: |$)").unwrap();
    let replicated_args =
        Regex::new(r"^'/clickhouse/tables/\{shard\}/\{database\}/(\w+)', '\{replica\}'").unwrap();
    let distributed_args = Regex::new(r"^(\w+), (\w+), (\w+), cityHash64\((.+)\)$").unwrap();
    let materialized = Regex::new(
        r"^CREATE MATERIALIZED VIEW (?:IF NOT EXISTS )?\w+ ON CLUSTER (\w+) TO (\w+)\.(\w+) ",
    )
    .unwrap();
    let from = Regex::new(r" (?:FROM|JOIN) (\w+)\.(\w+)").unwrap();

    // Local tables by name with their sorting key, as the engine formats them.
    let mut local_keys: HashMap<String, String> = HashMap::new();
    let mut distributed = BTreeSet::new();
    for (file, text) in &statements {
        if text.starts_with("INSERT ") {
            continue;
        }
        assert!(
            text.contains(&format!(" ON CLUSTER {CLUSTER}")),
            "{file}: runs on one host only: {text}"
        );
        if let Some(table) = create_table.captures(text) {
            let name = &table[1];
            let engine = engine
                .captures(text)
                .unwrap_or_else(|| panic!("{file}: no engine: {text}"));
            match &engine[1] {
                "Distributed" => {
                    let args = distributed_args
                        .captures(&engine[2])
                        .unwrap_or_else(|| panic!("{file}: Distributed arguments: {text}"));
                    assert_eq!((&args[1], &args[2]), (CLUSTER, DATABASE), "{file}: {text}");
                    assert_eq!(&args[3], format!("{name}_local"), "{file}: {text}");
                    let key = local_keys
                        .get(&args[3])
                        .unwrap_or_else(|| panic!("{file}: over no local table: {text}"));
                    assert_eq!(
                        &args[4], key,
                        "{file}: {name} is not sharded by its sorting key, so a row's copies \
                         could land on different shards and FINAL would not fold them"
                    );
                    distributed.insert(name.to_owned());
                }
                replicated if replicated.starts_with("Replicated") => {
                    let base = name
                        .strip_suffix("_local")
                        .unwrap_or_else(|| panic!("{file}: data table without _local: {text}"));
                    let args = replicated_args
                        .captures(&engine[2])
                        .unwrap_or_else(|| panic!("{file}: replica path and name: {text}"));
                    assert_eq!(&args[1], base, "{file}: {text}");
                    let key = sorting_key(text)
                        .unwrap_or_else(|| panic!("{file}: no sorting key: {text}"));
                    local_keys.insert(name.to_owned(), key);
                }
                other => panic!("{file}: engine {other} on a cluster: {text}"),
            }
        }
        if let Some(mv) = materialized.captures(text) {
            assert_eq!(&mv[2], DATABASE, "{file}: {text}");
            assert!(
                local_keys.contains_key(&mv[3]),
                "{file}: a materialized view writes a local rollup: {text}"
            );
            let select = &text[mv.get(0).unwrap().end()..];
            let sources: Vec<_> = from.captures_iter(select).collect();
            assert!(
                !sources.is_empty(),
                "{file}: reads no qualified table: {text}"
            );
            for source in sources {
                assert_eq!(&source[1], DATABASE, "{file}: {text}");
                assert!(
                    local_keys.contains_key(&source[2]),
                    "{file}: a materialized view reads the shard's local table: {text}"
                );
            }
        }
    }

    // Under the names the services use, there is a Distributed table for every table one server
    // gets from the same files.
    let single = formatted_plan(&client, &Layout::SingleNode).await;
    let single_create = Regex::new(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+) ").unwrap();
    let single_tables: BTreeSet<String> = single
        .iter()
        .filter_map(|(_, text)| single_create.captures(text).map(|c| c[1].to_owned()))
        .collect();
    assert!(single_tables.contains("events") && single_tables.contains("schema_migrations"));
    assert_eq!(distributed, single_tables);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_settings_cluster_mode_sends_are_settings_the_engine_accepts() {
    use platform::clickhouse::migrations::{CLUSTER_BOOKKEEPING_SETTINGS, CLUSTER_SETTINGS};
    // A misspelt name or a value of the wrong type fails the query ("Unknown setting").
    let mut client = clickhouse_client(&clickhouse_url());
    for (name, value) in CLUSTER_SETTINGS.iter().chain(CLUSTER_BOOKKEEPING_SETTINGS) {
        client = client.with_setting(*name, *value);
    }
    let one: u8 = client.query("SELECT 1").fetch_one().await.unwrap();
    assert_eq!(one, 1);
    // The table settings rendered into every replicated table's SETTINGS.
    let known: Vec<String> = clickhouse_client(&clickhouse_url())
        .query(
            "SELECT name FROM system.merge_tree_settings WHERE name IN \
             ('replicated_deduplication_window', 'replicated_deduplication_window_seconds') \
             ORDER BY name",
        )
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        known,
        [
            "replicated_deduplication_window",
            "replicated_deduplication_window_seconds"
        ]
    );
}

/// `(user, privilege, table)` for every `GRANT <privilege> ON optiview.<table>` of a users file.
fn table_grants(xml: &str) -> BTreeSet<(String, String, String)> {
    let user =
        Regex::new(r"(?s)<(api|loader|health|migrator)>(.*?)</(?:api|loader|health|migrator)>")
            .unwrap();
    let element = Regex::new(r"(\w[\w ]*?) ON optiview\.(\w+)").unwrap();
    let grant = Regex::new(r"<query>GRANT (.*?)</query>").unwrap();
    let mut grants = BTreeSet::new();
    for u in user.captures_iter(xml) {
        for query in grant.captures_iter(&u[2]) {
            for e in element.captures_iter(&query[1]) {
                let privilege = e[1].trim_start_matches(", ").to_owned();
                grants.insert((u[1].to_owned(), privilege, e[2].to_owned()));
            }
        }
    }
    grants
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_cluster_users_grant_on_each_local_table_what_one_server_grants() {
    let production = repo_migrations_dir().join("../../production");
    let single =
        std::fs::read_to_string(production.join("clickhouse/users.d/optiview.xml")).unwrap();
    let cluster =
        std::fs::read_to_string(production.join("clickhouse-cluster/users.d/optiview.xml"))
            .unwrap();
    let client = clickhouse_client(&clickhouse_url());
    for query in Regex::new(r"<query>(.*?)</query>")
        .unwrap()
        .captures_iter(&cluster)
    {
        let statement = format!("{} TO someone", &query[1]);
        if let Err(e) = formatted(&client, &statement).await {
            panic!("the engine cannot parse {statement}: {e}");
        }
    }
    let single = table_grants(&single);
    let cluster = table_grants(&cluster);
    assert!(single
        .iter()
        .any(|(u, p, t)| (u.as_str(), p.as_str(), t.as_str()) == ("loader", "INSERT", "events")));
    for (user, privilege, table) in &single {
        for name in [table.clone(), format!("{table}_local")] {
            assert!(
                cluster.contains(&(user.clone(), privilege.clone(), name.clone())),
                "{user} may {privilege} {table} on one server but not {name} on the cluster"
            );
        }
    }
}
