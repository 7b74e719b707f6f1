//! Versioned migrations against the real engine: order, idempotence, failure, tampering.

use std::path::Path;

use platform::clickhouse::migrations::{load_dir, migrate, MigrationError};
use platform::test_support::TestDatabase;

fn write(dir: &Path, file: &str, sql: &str) {
    std::fs::write(dir.join(file), sql).unwrap();
}

async fn tables(db: &TestDatabase) -> Vec<String> {
    db.client()
        .query("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn migrations_apply_in_order_once_and_a_failure_stops_the_run() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    // Written out of order on purpose: 0002 depends on 0001.
    write(
        dir.path(),
        "0002_add_view.sql",
        "-- a view over a\nCREATE VIEW IF NOT EXISTS a_view AS SELECT id FROM a;\n",
    );
    write(dir.path(), "0001_create_a.sql", "CREATE TABLE IF NOT EXISTS a (id UInt64) ENGINE = MergeTree ORDER BY id;\n\nINSERT INTO a VALUES (1);\n");
    let client = db.client();

    let applied = migrate(&client, &load_dir(dir.path()).unwrap())
        .await
        .unwrap();
    assert_eq!(applied, [1, 2]);
    assert_eq!(tables(&db).await, ["a", "a_view", "schema_migrations"]);

    let again = migrate(&client, &load_dir(dir.path()).unwrap())
        .await
        .unwrap();
    assert!(again.is_empty(), "re-running applies nothing");
    let rows: u64 = client
        .query("SELECT count() FROM a")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        rows, 1,
        "statements of an applied migration did not run twice"
    );

    write(
        dir.path(),
        "0003_broken.sql",
        "CREATE TABLE b (id UInt64) ENGINE = NoSuchEngine;\n",
    );
    write(
        dir.path(),
        "0004_after.sql",
        "CREATE TABLE IF NOT EXISTS c (id UInt64) ENGINE = MergeTree ORDER BY id;\n",
    );
    let err = migrate(&client, &load_dir(dir.path()).unwrap())
        .await
        .unwrap_err();
    match &err {
        MigrationError::Failed {
            version,
            name,
            source,
        } => {
            assert_eq!((*version, name.as_str()), (3, "broken"));
            assert!(source.to_string().contains("NoSuchEngine"), "{source}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(
        !tables(&db).await.contains(&"c".to_owned()),
        "nothing after the failed migration ran"
    );
    let recorded: Vec<u32> = client
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(recorded, [1, 2], "the failed migration is not recorded");

    write(
        dir.path(),
        "0003_broken.sql",
        "CREATE TABLE IF NOT EXISTS b (id UInt64) ENGINE = MergeTree ORDER BY id;\n",
    );
    let fixed = migrate(&client, &load_dir(dir.path()).unwrap())
        .await
        .unwrap();
    assert_eq!(fixed, [3, 4]);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn editing_an_applied_migration_is_refused() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "0001_t.sql",
        "CREATE TABLE IF NOT EXISTS t (id UInt64) ENGINE = MergeTree ORDER BY id;\n",
    );
    migrate(&db.client(), &load_dir(dir.path()).unwrap())
        .await
        .unwrap();
    write(
        dir.path(),
        "0001_t.sql",
        "CREATE TABLE IF NOT EXISTS t (id UInt32) ENGINE = MergeTree ORDER BY id;\n",
    );
    let err = migrate(&db.client(), &load_dir(dir.path()).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MigrationError::Changed { version: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn bad_file_names_and_duplicate_versions_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "create.sql", "SELECT 1;");
    assert!(matches!(
        load_dir(dir.path()),
        Err(MigrationError::BadName(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "0001_a.sql", "SELECT 1;");
    write(dir.path(), "1_b.sql", "SELECT 1;");
    assert!(matches!(
        load_dir(dir.path()),
        Err(MigrationError::DuplicateVersion(1))
    ));
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_shipped_migrations_apply_cleanly_twice() {
    let db = TestDatabase::create().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/clickhouse/migrations");
    let migrations = load_dir(&dir).unwrap();
    assert!(!migrations.is_empty());
    let applied = migrate(&db.client(), &migrations).await.unwrap();
    assert_eq!(applied.len(), migrations.len());
    assert!(migrate(&db.client(), &migrations).await.unwrap().is_empty());
}
