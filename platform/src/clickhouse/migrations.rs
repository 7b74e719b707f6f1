//! Versioned ClickHouse migrations: `infra/clickhouse/migrations/NNNN_name.sql`, applied in order
//! and recorded in `schema_migrations`. Re-running applies nothing new; a failed migration stops
//! the run with its error and is not recorded. ClickHouse DDL is not transactional, so migrations
//! use `IF NOT EXISTS` and can be re-run after a fix.
//!
//! On a cluster ([`Layout::Cluster`]) every statement, the bookkeeping table's too, is rendered
//! first by [`super::cluster`]; a file it cannot render stops the run before anything is applied.
//! Checksums are of the files, so a migration is the same migration on either layout.

use std::path::{Path, PathBuf};

use super::cluster::Renderer;
pub use super::cluster::{Cluster, Layout, RenderError};

use clickhouse::{Client, Row};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub sql: String,
}

impl Migration {
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }

    /// Statements end with `;` at the end of a line; the HTTP interface takes one at a time.
    pub fn statements(&self) -> Vec<String> {
        let mut statements = Vec::new();
        let mut current = String::new();
        for line in self.sql.lines() {
            current.push_str(line);
            current.push('\n');
            if line.trim_end().ends_with(';') {
                push_statement(&mut statements, &current);
                current.clear();
            }
        }
        push_statement(&mut statements, &current);
        statements
    }
}

fn push_statement(statements: &mut Vec<String>, text: &str) {
    let meaningful = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"));
    if meaningful {
        statements.push(text.trim().trim_end_matches(';').trim().to_owned());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("reading migrations from {dir}: {source}")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("migration file name {0} is not NNNN_name.sql")]
    BadName(String),
    #[error("two migrations have version {0}")]
    DuplicateVersion(u32),
    #[error("migration {version} ({name}) was changed after it was applied")]
    Changed { version: u32, name: String },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: u32,
        name: String,
        source: clickhouse::error::Error,
    },
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("{0}")]
    Render(#[from] RenderError),
}

/// The bookkeeping table, written like a migration so that it is rendered like one.
pub const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
                version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3)
            ) ENGINE = MergeTree ORDER BY version";

/// What `migrate_on` runs: the bookkeeping table's statements, then each migration's.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub bookkeeping: Vec<String>,
    pub migrations: Vec<Vec<String>>,
}

/// The statements of `migrations` for `layout`: on one server the files' own, byte for byte.
pub fn plan(layout: &Layout, migrations: &[Migration]) -> Result<Plan, RenderError> {
    let Layout::Cluster(cluster) = layout else {
        return Ok(Plan {
            bookkeeping: vec![SCHEMA_MIGRATIONS.to_owned()],
            migrations: migrations.iter().map(Migration::statements).collect(),
        });
    };
    let mut renderer = Renderer::new(cluster);
    let bookkeeping = renderer.render(SCHEMA_MIGRATIONS)?;
    let mut rendered = Vec::with_capacity(migrations.len());
    for migration in migrations {
        let mut statements = Vec::new();
        for statement in migration.statements() {
            statements.extend(renderer.render(&statement)?);
        }
        rendered.push(statements);
    }
    Ok(Plan {
        bookkeeping,
        migrations: rendered,
    })
}

/// `CREATE DATABASE IF NOT EXISTS`, on every host of a cluster.
pub async fn create_database(
    server: &Client,
    database: &str,
    layout: &Layout,
) -> Result<(), MigrationError> {
    let query = match layout {
        Layout::SingleNode => server
            .query("CREATE DATABASE IF NOT EXISTS ?")
            .bind(clickhouse::sql::Identifier(database)),
        Layout::Cluster(cluster) => server
            .query("CREATE DATABASE IF NOT EXISTS ? ON CLUSTER ?")
            .bind(clickhouse::sql::Identifier(database))
            .bind(clickhouse::sql::Identifier(cluster.name())),
    };
    query.execute().await?;
    Ok(())
}

/// Loads `NNNN_name.sql` files from `dir`, sorted by version.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, MigrationError> {
    let io = |source| MigrationError::Io {
        dir: dir.to_owned(),
        source,
    };
    let mut migrations = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let (version, name) = stem
            .split_once('_')
            .and_then(|(v, n)| Some((v.parse::<u32>().ok()?, n)))
            .ok_or_else(|| MigrationError::BadName(file.clone()))?;
        let sql = std::fs::read_to_string(&path).map_err(io)?;
        migrations.push(Migration {
            version,
            name: name.to_owned(),
            sql,
        });
    }
    migrations.sort_by_key(|m| m.version);
    if let Some(pair) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(MigrationError::DuplicateVersion(pair[0].version));
    }
    Ok(migrations)
}

#[derive(Debug, Row, Deserialize)]
struct Applied {
    version: u32,
    checksum: String,
}

/// Applies the migrations not yet recorded, in order, on one server; returns the versions it
/// applied.
pub async fn migrate(
    client: &Client,
    migrations: &[Migration],
) -> Result<Vec<u32>, MigrationError> {
    migrate_on(client, migrations, &Layout::SingleNode).await
}

/// Every migration statement on a cluster: an insert (a backfill) returns once every shard stored
/// it, and an ALTER once every replica applied it, since the next statement (a view over a new
/// column) may run on any replica.
pub const CLUSTER_SETTINGS: &[(&str, &str)] =
    &[("distributed_foreground_insert", "1"), ("alter_sync", "2")];

/// `schema_migrations` on a cluster, besides [`CLUSTER_SETTINGS`]: what one run records, the next
/// must read whichever replica answers.
pub const CLUSTER_BOOKKEEPING_SETTINGS: &[(&str, &str)] = &[
    ("insert_quorum", "auto"),
    ("insert_quorum_parallel", "0"),
    ("select_sequential_consistency", "1"),
];

fn with_settings(client: Client, settings: &[(&str, &str)]) -> Client {
    settings.iter().fold(client, |client, (name, value)| {
        client.with_setting(*name, *value)
    })
}

/// [`migrate`] on `layout`.
pub async fn migrate_on(
    client: &Client,
    migrations: &[Migration],
    layout: &Layout,
) -> Result<Vec<u32>, MigrationError> {
    let plan = plan(layout, migrations)?;
    let (client, bookkeeping) = match layout {
        Layout::SingleNode => (client.clone(), client.clone()),
        Layout::Cluster(_) => {
            let client = with_settings(client.clone(), CLUSTER_SETTINGS);
            let bookkeeping = with_settings(client.clone(), CLUSTER_BOOKKEEPING_SETTINGS);
            (client, bookkeeping)
        }
    };
    let (client, bookkeeping) = (&client, &bookkeeping);
    for statement in &plan.bookkeeping {
        client.query(statement).execute().await?;
    }
    let applied: Vec<Applied> = bookkeeping
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all()
        .await?;
    let mut done = Vec::new();
    for (migration, statements) in migrations.iter().zip(&plan.migrations) {
        if let Some(previous) = applied.iter().find(|a| a.version == migration.version) {
            if previous.checksum != migration.checksum() {
                return Err(MigrationError::Changed {
                    version: migration.version,
                    name: migration.name.clone(),
                });
            }
            continue;
        }
        for statement in statements {
            client
                .query(statement)
                .execute()
                .await
                .map_err(|source| MigrationError::Failed {
                    version: migration.version,
                    name: migration.name.clone(),
                    source,
                })?;
        }
        bookkeeping
            .query("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)")
            .bind(migration.version)
            .bind(&migration.name)
            .bind(migration.checksum())
            .execute()
            .await?;
        tracing::info!(version = migration.version, name = %migration.name, "applied migration");
        done.push(migration.version);
    }
    Ok(done)
}
