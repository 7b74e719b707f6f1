//! Where the services' own maintenance statements go, on either [`Layout`]. The services read and
//! write the plain names, which on a cluster are the Distributed tables; but a statement that
//! changes rows or parts, or reads a system table, must reach the `_local` tables the migrations
//! created on every host ([`super::cluster`]). Every such statement takes its table names from
//! here, so one server gets the text it always got and a cluster gets:
//!
//! | what | one server | cluster |
//! |---|---|---|
//! | [`Table::changed`]: target of a mutation, TTL, OPTIMIZE, TRUNCATE | `` `t` `` | `` `db`.`t_local` ON CLUSTER `c` `` |
//! | [`Table::on_shard`]: the rows of `t` one shard holds | `` `t` `` | `` `db`.`t_local` `` |
//! | [`Table::stored_name`]: `t` as system tables list it | `t` | `t_local` |
//! | [`Layout::on_each_shard`]: a read run once per shard | the read | `` SELECT * FROM cluster(`c`, view(<read>)) `` |
//! | [`Layout::system_table_on_every_host`] | `system.x` | `` clusterAllReplicas(`c`, system.x) `` |
//! | [`Layout::current_database`] | `currentDatabase()` | `'db'` |
//!
//! `ON CLUSTER` on a replicated table: the engine runs the statement on one replica of each shard
//! and replicates it to the others, so every shard changes its own rows once.
//!
//! Per-shard reads of `system.parts` go through `cluster()`, one replica of each shard: the
//! replicas of a shard hold the same parts (they replicate inserts, merges and mutations), so
//! one replica's parts are that shard's, as one server's are its own, where `clusterAllReplicas`
//! would count each part once per replica. A view definition is read from every host
//! (`clusterAllReplicas`): each host runs its own copy of a materialized view, so the copies must
//! agree. Inside a remote query the database is named, not `currentDatabase()`, which would be
//! the remote connection's default database rather than the caller's.
//!
//! Both spellings of a name are kept (quoted as [`clickhouse::sql::Identifier`] binds it, and
//! plain) because the single-server statements use both, and those stay byte for byte.

use clickhouse::query::Query;

use super::cluster::{local_name, sharded_name, Cluster, Layout};
use super::sql_tokens::{tokenize, Kind};

/// A statement that changes rows or parts, on a cluster: it returns once every replica has the
/// change (a dashboard may read either replica next; the next job step may too).
pub const CLUSTER_CHANGE_SETTINGS: &[(&str, &str)] =
    &[("mutations_sync", "2"), ("alter_sync", "2")];

/// A mutation whose condition reads another table (replay's `DELETE WHERE event_id IN (SELECT …)`):
/// a replicated table refuses it by default, as each replica evaluates the subquery itself. Here
/// the subquery reads the shard's own, co-located rows of replayed events, which no longer change
/// once the replay has written them.
pub const CLUSTER_SUBQUERY_MUTATION_SETTINGS: &[(&str, &str)] =
    &[("allow_nondeterministic_mutations", "1")];

/// `INSERT INTO <Distributed> SELECT … FROM <Distributed>` (replay's rollup rebuild): each shard
/// runs it from its local tables into its local rollup, as its materialized views do, and the
/// statement returns once every shard stored its rows.
pub const CLUSTER_INSERT_SELECT_SETTINGS: &[(&str, &str)] = &[
    ("parallel_distributed_insert_select", "2"),
    ("distributed_foreground_insert", "1"),
];

/// `query` with `settings`.
pub fn with_settings(query: Query, settings: &[(&str, &str)]) -> Query {
    settings.iter().fold(query, |query, (name, value)| {
        query.with_setting(*name, *value)
    })
}

/// One of Optiview's tables, as a maintenance statement names it.
#[derive(Debug, Clone, Copy)]
pub struct Table<'l> {
    layout: &'l Layout,
    name: &'l str,
    quoted: bool,
}

impl Layout {
    /// `name` quoted, as an `Identifier` bind writes it.
    pub fn table<'l>(&'l self, name: &'l str) -> Table<'l> {
        Table {
            layout: self,
            name,
            quoted: true,
        }
    }

    /// `read` once on each shard (one replica each), its rows one set per shard: a caller adds
    /// them up. One server: `read` itself.
    pub fn on_each_shard(&self, read: &str) -> String {
        match self {
            Layout::SingleNode => read.to_owned(),
            Layout::Cluster(cluster) => format!(
                "SELECT * FROM cluster({}, view({read}))",
                identifier(cluster.name())
            ),
        }
    }

    /// A system table (`tables`) as every host has it: one row set per host on a cluster.
    pub fn system_table_on_every_host(&self, table: &str) -> String {
        match self {
            Layout::SingleNode => format!("system.{table}"),
            Layout::Cluster(cluster) => format!(
                "clusterAllReplicas({}, system.{table})",
                identifier(cluster.name())
            ),
        }
    }

    /// The value of system tables' `database` column for Optiview's tables.
    pub fn current_database(&self) -> String {
        match self {
            Layout::SingleNode => "currentDatabase()".to_owned(),
            Layout::Cluster(cluster) => string(cluster.database()),
        }
    }

    /// [`CLUSTER_CHANGE_SETTINGS`] on a cluster, none on one server.
    pub fn change_settings(&self) -> &'static [(&'static str, &'static str)] {
        self.cluster_only(CLUSTER_CHANGE_SETTINGS)
    }

    /// [`CLUSTER_SUBQUERY_MUTATION_SETTINGS`] on a cluster, none on one server.
    pub fn subquery_mutation_settings(&self) -> &'static [(&'static str, &'static str)] {
        self.cluster_only(CLUSTER_SUBQUERY_MUTATION_SETTINGS)
    }

    /// [`CLUSTER_INSERT_SELECT_SETTINGS`] on a cluster, none on one server.
    pub fn insert_select_settings(&self) -> &'static [(&'static str, &'static str)] {
        self.cluster_only(CLUSTER_INSERT_SELECT_SETTINGS)
    }

    fn cluster_only(
        &self,
        settings: &'static [(&'static str, &'static str)],
    ) -> &'static [(&'static str, &'static str)] {
        match self {
            Layout::SingleNode => &[],
            Layout::Cluster(_) => settings,
        }
    }

    /// A materialized view's `SELECT` (its `as_select`) made to read what the whole table holds:
    /// on a cluster its `db.t_local` sources become the Distributed `db.t` (the renderer gave
    /// every view on a cluster `_local` sources qualified with the database). One server: as is.
    pub fn reading_every_shard(&self, select: &str) -> Result<String, PlacementError> {
        let Layout::Cluster(cluster) = self else {
            return Ok(select.to_owned());
        };
        distributed_sources(cluster, select)
    }
}

impl Table<'_> {
    /// Plain: for statements whose single-server text names the table without quotes.
    pub fn unquoted(self) -> Self {
        Self {
            quoted: false,
            ..self
        }
    }

    fn name(&self, name: &str) -> String {
        if self.quoted {
            identifier(name)
        } else {
            name.to_owned()
        }
    }

    /// Where a statement that changes the table's rows or parts goes (ALTER … DELETE, MATERIALIZE
    /// TTL, OPTIMIZE, TRUNCATE): the table on one server; every shard's local table on a cluster.
    pub fn changed(&self) -> String {
        match self.layout {
            Layout::SingleNode => self.name(self.name),
            Layout::Cluster(cluster) => format!(
                "{} ON CLUSTER {}",
                self.on_shard(),
                self.name(cluster.name())
            ),
        }
    }

    /// The rows of the table that the shard running the statement holds (a mutation's subquery
    /// over co-located rows, a read inside [`Layout::on_each_shard`]).
    pub fn on_shard(&self) -> String {
        match self.layout {
            Layout::SingleNode => self.name(self.name),
            Layout::Cluster(cluster) => format!(
                "{}.{}",
                self.name(cluster.database()),
                self.name(&local_name(self.name))
            ),
        }
    }

    /// The table's name in `system.parts` (a value to bind).
    pub fn stored_name(&self) -> String {
        match self.layout {
            Layout::SingleNode => self.name.to_owned(),
            Layout::Cluster(_) => local_name(self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    #[error("a view's definition cannot be read: {0}")]
    Unreadable(String),
    #[error("a view reads {table}, not a local table of database {database} as the cluster renderer writes them: {select}")]
    UnknownSource {
        table: String,
        database: String,
        select: String,
    },
}

/// Backticks, escaped as the client escapes an `Identifier`.
fn identifier(name: &str) -> String {
    format!("`{}`", escape(name))
}

fn string(value: &str) -> String {
    format!("'{}'", escape(value))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '\'' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `select` with each `db.t_local` after FROM or JOIN (not ARRAY JOIN) replaced by `db.t`.
fn distributed_sources(cluster: &Cluster, select: &str) -> Result<String, PlacementError> {
    let tokens = tokenize(select).map_err(|e| PlacementError::Unreadable(e.to_string()))?;
    let text = |at: usize| tokens[at].text(select);
    let word = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(select, w));
    let is_name = |at: usize| {
        tokens
            .get(at)
            .is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted))
    };
    let unquoted = |at: usize| {
        let t = text(at);
        match tokens[at].kind {
            Kind::Quoted => t[1..t.len() - 1].to_owned(),
            _ => t.to_owned(),
        }
    };
    let mut out = String::with_capacity(select.len());
    let mut copied = 0;
    for at in 1..tokens.len() {
        let source =
            word(at - 1, "FROM") || (word(at - 1, "JOIN") && !(at >= 2 && word(at - 2, "ARRAY")));
        if !source || !is_name(at) {
            continue;
        }
        let qualified =
            tokens.get(at + 1).is_some_and(|t| t.is_punct(select, ".")) && is_name(at + 2);
        let unknown = |table: String| PlacementError::UnknownSource {
            table,
            database: cluster.database().to_owned(),
            select: select.to_owned(),
        };
        if !qualified {
            if tokens.get(at + 1).is_some_and(|t| t.is_punct(select, "(")) {
                return Err(unknown(format!("{}(…)", text(at))));
            }
            return Err(unknown(unquoted(at)));
        }
        let (database, table) = (unquoted(at), unquoted(at + 2));
        let base = sharded_name(&table)
            .filter(|_| database == cluster.database())
            .ok_or_else(|| unknown(format!("{database}.{table}")))?;
        out.push_str(&select[copied..tokens[at].span.start]);
        out.push_str(&format!("{}.{}", identifier(&database), identifier(base)));
        copied = tokens[at + 2].span.end;
    }
    out.push_str(&select[copied..]);
    Ok(out)
}

#[cfg(test)]
#[path = "placement_tests.rs"]
mod tests;
