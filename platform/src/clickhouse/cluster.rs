//! Renders the single-node migration files for a ClickHouse cluster (`OPTIVIEW_CLICKHOUSE_CLUSTER`),
//! one rule per statement kind, so the same files serve one server and a sharded, replicated one:
//!
//! | statement | on a cluster |
//! |---|---|
//! | `CREATE TABLE t (…) ENGINE = XMergeTree(a)` | `t_local ON CLUSTER` with `ReplicatedXMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}', a)`, then `t ON CLUSTER AS t_local ENGINE = Distributed(…, cityHash64(<sorting key>))` |
//! | `CREATE MATERIALIZED VIEW v TO r AS SELECT … FROM t` | `ON CLUSTER`, `TO db.r_local`, `FROM db.t_local`: each shard's view fills that shard's rollup |
//! | `CREATE VIEW v AS SELECT … FROM t` | `ON CLUSTER`, `FROM db.t` (the Distributed table) |
//! | `ALTER TABLE t` column commands | on `t_local`, then on `t`; table-only commands (TTL, settings, indexes, mutations) on `t_local` |
//! | `DROP TABLE t` / `DROP VIEW v` | `ON CLUSTER … SYNC`, the Distributed table and `t_local` both |
//! | `INSERT INTO t …` | unchanged: it goes through the Distributed table |
//!
//! Anything else fails: a statement this module cannot place on a cluster must be looked at by
//! whoever writes it, not sent as it is to one node of many. A view's tables are the names after
//! `FROM` and `JOIN` (not `ARRAY JOIN`), so a `FROM` inside a function (`EXTRACT(HOUR FROM ts)`)
//! reads as an unknown table and fails too: write `toHour(ts)`.
//!
//! The sharding key hashes the whole sorting key. ReplacingMergeTree (and FINAL) only fold rows
//! that share a sorting key *on the same shard*, and two copies of one row — a replay, a session's
//! versions — share the sorting key by definition, so they always land together; no query relies
//! on more (Distributed reads merge partial aggregates across shards, and `IN (subquery)` runs as
//! GLOBAL IN, infra/production/clickhouse-cluster). Hashing the whole key rather than its tenant
//! prefix spreads one large property over every shard, which is the point of sharding for
//! Optiview's biggest sites.
//!
//! Tables and views are qualified with the database in view definitions because an `ON CLUSTER`
//! statement runs on each host in that host's default database, not the caller's.

use std::collections::HashMap;

use super::sql_tokens::{closing, tokenize, Kind, Token};

/// Where the migrations create their tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Layout {
    /// One server: the files as written.
    #[default]
    SingleNode,
    Cluster(Cluster),
}

/// A cluster from the servers' `remote_servers` and the database the services use on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    name: String,
    database: String,
}

/// Engines with a replicated variant (`Replicated` + name, same arguments after path and replica).
const MERGE_TREE_FAMILY: &[&str] = &[
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "CoalescingMergeTree",
];

/// A replicated table keeps the deduplication window the file asked of a single node (the
/// loader's retried inserts are dropped by their token), with a time limit that never binds before
/// the count does: the engine's default is an hour, shorter than a loader outage can be.
const DEDUP_WINDOW_SECONDS: &str = "604800";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("{what} {name:?} is not a plain identifier (letters, digits, _)")]
    BadName { what: &'static str, name: String },
    #[error("cannot render for a cluster ({reason}): {statement}")]
    Unsupported { reason: String, statement: String },
}

impl Cluster {
    pub fn new(name: &str, database: &str) -> Result<Self, RenderError> {
        for (what, value) in [("cluster name", name), ("database", database)] {
            if !is_identifier(value) {
                return Err(RenderError::BadName {
                    what,
                    name: value.to_owned(),
                });
            }
        }
        Ok(Self {
            name: name.to_owned(),
            database: database.to_owned(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn database(&self) -> &str {
        &self.database
    }
}

const LOCAL_SUFFIX: &str = "_local";

/// The table on every host that holds a sharded table's rows (the Distributed table keeps the
/// plain name the services use).
pub fn local_name(table: &str) -> String {
    format!("{table}{LOCAL_SUFFIX}")
}

/// The sharded table whose local table is `local`, if it is one.
pub fn sharded_name(local: &str) -> Option<&str> {
    local
        .strip_suffix(LOCAL_SUFFIX)
        .filter(|base| !base.is_empty())
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What an earlier statement created under a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    /// `name_local` on every host plus the Distributed `name`.
    Sharded,
    View,
}

/// The statement kinds a migration may hold, each with its rule below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statement {
    CreateTable,
    CreateMaterializedView,
    CreateView,
    Alter,
    DropTable,
    DropView,
    Insert,
}

/// Renders a sequence of statements in order: later statements are rendered knowing which tables
/// earlier ones made sharded (a view reads `t_local` only if `t` was created as a sharded table).
pub struct Renderer<'c> {
    cluster: &'c Cluster,
    objects: HashMap<String, Object>,
}

/// One statement's text and tokens, with the edits that turn it into its cluster form.
struct Source<'s> {
    sql: &'s str,
    tokens: Vec<Token>,
}

impl<'c> Renderer<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        Self {
            cluster,
            objects: HashMap::new(),
        }
    }

    /// The statements that do on the cluster what `statement` does on one server.
    pub fn render(&mut self, statement: &str) -> Result<Vec<String>, RenderError> {
        let tokens = tokenize(statement).map_err(|e| unsupported(&e.to_string(), statement))?;
        let src = Source {
            sql: statement,
            tokens,
        };
        let kind = src
            .classify()
            .ok_or_else(|| unsupported("no rule for this kind of statement", statement))?;
        match kind {
            Statement::CreateTable => self.create_table(&src),
            Statement::CreateMaterializedView => self.create_materialized_view(&src),
            Statement::CreateView => self.create_view(&src),
            Statement::Alter => self.alter(&src),
            Statement::DropTable | Statement::DropView => self.drop(&src, kind),
            Statement::Insert => self.insert(&src),
        }
    }

    fn on_cluster(&self) -> String {
        format!("ON CLUSTER {}", self.cluster.name)
    }

    fn qualified(&self, table: &str) -> String {
        format!("{}.{table}", self.cluster.database)
    }

    fn create_table(&mut self, src: &Source) -> Result<Vec<String>, RenderError> {
        let (name_at, if_not_exists) = src.object_name(2)?;
        let name = src.text(name_at).to_owned();
        if !src.is_punct(name_at + 1, "(") {
            return Err(src.unsupported("CREATE TABLE without a column list"));
        }
        let engine_at = src
            .top_level_word(name_at, "ENGINE")
            .ok_or_else(|| src.unsupported("CREATE TABLE without an ENGINE"))?;
        let engine_name_at = if src.is_punct(engine_at + 1, "=") {
            engine_at + 2
        } else {
            engine_at + 1
        };
        let engine = src.word(engine_name_at).unwrap_or_default();
        if !MERGE_TREE_FAMILY.contains(&engine) {
            return Err(src.unsupported(&format!(
                "engine {engine:?} has no replicated form; only the MergeTree family is sharded"
            )));
        }
        let (args, engine_end) = if src.is_punct(engine_name_at + 1, "(") {
            let close = closing(&src.tokens, engine_name_at + 1)
                .ok_or_else(|| src.unsupported("unclosed engine arguments"))?;
            let inner = src.between(engine_name_at + 1, close).trim();
            (inner.to_owned(), src.tokens[close].span.end)
        } else {
            (String::new(), src.tokens[engine_name_at].span.end)
        };
        let key = src
            .sorting_key(engine_at)
            .ok_or_else(|| src.unsupported("a sharded table needs an ORDER BY key to hash"))?;

        let mut edits = vec![(
            src.tokens[name_at].span.clone(),
            format!("{} {}", local_name(&name), self.on_cluster()),
        )];
        let path = format!("'/clickhouse/tables/{{shard}}/{{database}}/{name}', '{{replica}}'");
        let args = if args.is_empty() {
            path
        } else {
            format!("{path}, {args}")
        };
        edits.push((
            src.tokens[engine_name_at].span.start..engine_end,
            format!("Replicated{engine}({args})"),
        ));
        if let Some(setting) = src.top_level_word(engine_at, "non_replicated_deduplication_window")
        {
            if !(src.is_punct(setting + 1, "=") && src.kind(setting + 2) == Some(Kind::Number)) {
                return Err(src.unsupported("non_replicated_deduplication_window without a number"));
            }
            edits.push((
                src.tokens[setting].span.clone(),
                "replicated_deduplication_window".to_owned(),
            ));
            let value_end = src.tokens[setting + 2].span.end;
            edits.push((
                value_end..value_end,
                format!(", replicated_deduplication_window_seconds = {DEDUP_WINDOW_SECONDS}"),
            ));
        }
        let local = src.apply(edits);
        let db = &self.cluster.database;
        let cluster = &self.cluster.name;
        let local_table = local_name(&name);
        let distributed = format!(
            "CREATE TABLE {if_not_exists}{name} {} AS {db}.{local_table} \
             ENGINE = Distributed({cluster}, {db}, {local_table}, cityHash64({key}))",
            self.on_cluster()
        );
        self.objects.insert(name, Object::Sharded);
        Ok(vec![local, distributed])
    }

    fn create_materialized_view(&mut self, src: &Source) -> Result<Vec<String>, RenderError> {
        let (name_at, _) = src.object_name(3)?;
        if !src.is_word(name_at + 1, "TO") {
            return Err(src.unsupported(
                "a materialized view must write TO a table (its rollup is sharded like the rest)",
            ));
        }
        let target_at = name_at + 2;
        let target = src
            .plain_name(target_at)
            .ok_or_else(|| src.unsupported("TO names no plain table"))?;
        if self.objects.get(target) != Some(&Object::Sharded) {
            return Err(src.unsupported(&format!("TO {target}: not a table created before")));
        }
        let mut edits = vec![
            (
                src.tokens[name_at].span.end..src.tokens[name_at].span.end,
                format!(" {}", self.on_cluster()),
            ),
            (
                src.tokens[target_at].span.clone(),
                self.qualified(&local_name(target)),
            ),
        ];
        for at in src.table_references(target_at + 1) {
            let table = src.text(at);
            match self.objects.get(table) {
                Some(Object::Sharded) => edits.push((
                    src.tokens[at].span.clone(),
                    self.qualified(&local_name(table)),
                )),
                _ => {
                    return Err(src.unsupported(&format!(
                        "reads {table}: a materialized view reads a table created before"
                    )))
                }
            }
        }
        let name = src.text(name_at).to_owned();
        self.objects.insert(name, Object::View);
        Ok(vec![src.apply(edits)])
    }

    fn create_view(&mut self, src: &Source) -> Result<Vec<String>, RenderError> {
        let (name_at, _) = src.object_name(2)?;
        let mut edits = vec![(
            src.tokens[name_at].span.end..src.tokens[name_at].span.end,
            format!(" {}", self.on_cluster()),
        )];
        for at in src.table_references(name_at + 1) {
            let table = src.text(at);
            if !self.objects.contains_key(table) {
                return Err(src.unsupported(&format!("reads {table}: not created before")));
            }
            edits.push((src.tokens[at].span.clone(), self.qualified(table)));
        }
        let name = src.text(name_at).to_owned();
        self.objects.insert(name, Object::View);
        Ok(vec![src.apply(edits)])
    }

    fn alter(&mut self, src: &Source) -> Result<Vec<String>, RenderError> {
        let (name_at, _) = src.object_name(2)?;
        let name = src.text(name_at);
        if self.objects.get(name) != Some(&Object::Sharded) {
            return Err(src.unsupported(&format!("ALTER of {name}: not a table created before")));
        }
        let mut column_commands = 0;
        let commands = src.commands(name_at + 1);
        for &first in &commands {
            match command_reach(src, first) {
                Some(Reach::Both) => column_commands += 1,
                Some(Reach::LocalOnly) => {}
                None => return Err(src.unsupported("no rule for this ALTER command")),
            }
        }
        let span = src.tokens[name_at].span.clone();
        let local = src.apply(vec![(
            span.clone(),
            format!("{} {}", local_name(name), self.on_cluster()),
        )]);
        if column_commands == 0 {
            return Ok(vec![local]);
        }
        if column_commands != commands.len() {
            return Err(
                src.unsupported("column commands and table-only commands in one ALTER; split them")
            );
        }
        let distributed = src.apply(vec![(span, format!("{name} {}", self.on_cluster()))]);
        Ok(vec![local, distributed])
    }

    fn drop(&mut self, src: &Source, kind: Statement) -> Result<Vec<String>, RenderError> {
        let (name_at, _) = src.object_name(2)?;
        let rest_ok = match src.tokens.len() - name_at {
            1 => true,
            2 => src.is_word(name_at + 1, "SYNC"),
            _ => false,
        };
        if !rest_ok {
            return Err(src.unsupported("DROP of more than one plain name"));
        }
        let name = src.text(name_at).to_owned();
        let head = src.sql[src.tokens[0].span.start..src.tokens[name_at].span.start].to_owned();
        let on_cluster = self.on_cluster();
        let statements = match (self.objects.get(&name), kind) {
            (Some(Object::Sharded), Statement::DropTable) => vec![
                format!("{head}{name} {on_cluster} SYNC"),
                format!("{head}{} {on_cluster} SYNC", local_name(&name)),
            ],
            (Some(Object::View), _) => vec![format!("{head}{name} {on_cluster} SYNC")],
            _ => {
                return Err(src.unsupported(&format!("DROP of {name}: not created before as such")))
            }
        };
        self.objects.remove(&name);
        Ok(statements)
    }

    fn insert(&mut self, src: &Source) -> Result<Vec<String>, RenderError> {
        let table_at = if src.is_word(2, "TABLE") { 3 } else { 2 };
        let table = src
            .plain_name(table_at)
            .ok_or_else(|| src.unsupported("INSERT INTO names no plain table"))?;
        if self.objects.get(table) != Some(&Object::Sharded) {
            return Err(
                src.unsupported(&format!("INSERT INTO {table}: not a table created before"))
            );
        }
        Ok(vec![src.sql.to_owned()])
    }
}

/// Which tables an ALTER command belongs on: columns exist on both the local and the Distributed
/// table; TTL, settings, indexes, projections and mutations only on the one holding the data.
enum Reach {
    Both,
    LocalOnly,
}

fn command_reach(src: &Source, first: usize) -> Option<Reach> {
    let verb = src.word(first)?.to_ascii_uppercase();
    let object = src.word(first + 1).unwrap_or_default().to_ascii_uppercase();
    match (verb.as_str(), object.as_str()) {
        ("ADD" | "DROP" | "MODIFY" | "RENAME" | "COMMENT", "COLUMN") => Some(Reach::Both),
        ("MODIFY" | "REMOVE" | "MATERIALIZE", "TTL")
        | ("MODIFY" | "RESET", "SETTING")
        | ("ADD" | "DROP" | "MATERIALIZE" | "CLEAR", "INDEX" | "PROJECTION")
        | ("ADD" | "DROP", "CONSTRAINT")
        | ("MATERIALIZE", "COLUMN")
        | ("MODIFY", "ORDER")
        | ("DELETE" | "UPDATE", _) => Some(Reach::LocalOnly),
        _ => None,
    }
}

fn unsupported(reason: &str, statement: &str) -> RenderError {
    RenderError::Unsupported {
        reason: reason.to_owned(),
        statement: first_line(statement),
    }
}

/// The statement's first line that is not a comment, to name it in an error.
fn first_line(statement: &str) -> String {
    statement
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or_default()
        .to_owned()
}

impl Source<'_> {
    fn unsupported(&self, reason: &str) -> RenderError {
        unsupported(reason, self.sql)
    }

    fn text(&self, at: usize) -> &str {
        self.tokens[at].text(self.sql)
    }

    fn kind(&self, at: usize) -> Option<Kind> {
        self.tokens.get(at).map(|t| t.kind)
    }

    fn word(&self, at: usize) -> Option<&str> {
        self.tokens
            .get(at)
            .filter(|t| t.kind == Kind::Word)
            .map(|t| t.text(self.sql))
    }

    fn is_word(&self, at: usize, word: &str) -> bool {
        self.tokens
            .get(at)
            .is_some_and(|t| t.is_word(self.sql, word))
    }

    fn is_punct(&self, at: usize, punct: &str) -> bool {
        self.tokens
            .get(at)
            .is_some_and(|t| t.is_punct(self.sql, punct))
    }

    fn between(&self, open: usize, close: usize) -> &str {
        &self.sql[self.tokens[open].span.end..self.tokens[close].span.start]
    }

    fn classify(&self) -> Option<Statement> {
        let w = |at: usize, word: &str| self.is_word(at, word);
        Some(if w(0, "CREATE") && w(1, "TABLE") {
            Statement::CreateTable
        } else if w(0, "CREATE") && w(1, "MATERIALIZED") && w(2, "VIEW") {
            Statement::CreateMaterializedView
        } else if w(0, "CREATE") && w(1, "VIEW") {
            Statement::CreateView
        } else if w(0, "ALTER") && w(1, "TABLE") {
            Statement::Alter
        } else if w(0, "DROP") && w(1, "TABLE") {
            Statement::DropTable
        } else if w(0, "DROP") && w(1, "VIEW") {
            Statement::DropView
        } else if w(0, "INSERT") && w(1, "INTO") {
            Statement::Insert
        } else {
            return None;
        })
    }

    /// A plain name at `at` not qualified with a database (`db.t`), or None.
    fn plain_name(&self, at: usize) -> Option<&str> {
        let name = self.word(at)?;
        (!self.is_punct(at + 1, ".") && is_identifier(name)).then_some(name)
    }

    /// The object a DDL statement names after its `keywords` leading words and an optional
    /// `IF [NOT] EXISTS`; with the `IF NOT EXISTS ` text to repeat. A name already qualified or
    /// already `ON CLUSTER` is refused: the files are written for one server.
    fn object_name(&self, keywords: usize) -> Result<(usize, &'static str), RenderError> {
        let (at, if_not_exists) =
            if self.is_word(keywords, "IF") && self.is_word(keywords + 1, "NOT") {
                (keywords + 3, "IF NOT EXISTS ")
            } else if self.is_word(keywords, "IF") {
                (keywords + 2, "")
            } else {
                (keywords, "")
            };
        self.plain_name(at)
            .ok_or_else(|| self.unsupported("the statement names no plain, unqualified object"))?;
        if self.is_word(at + 1, "ON") {
            return Err(self.unsupported("already ON CLUSTER"));
        }
        Ok((at, if_not_exists))
    }

    /// The first `word` outside brackets after token `after`.
    fn top_level_word(&self, after: usize, word: &str) -> Option<usize> {
        (after + 1..self.tokens.len())
            .find(|&i| self.tokens[i].depth == 0 && self.tokens[i].is_word(self.sql, word))
    }

    /// The ORDER BY expression after the engine, outer parentheses removed: what the sharding key
    /// hashes. None for no key or `tuple()`.
    fn sorting_key(&self, after: usize) -> Option<String> {
        let order = (after + 1..self.tokens.len()).find(|&i| {
            self.tokens[i].depth == 0 && self.is_word(i, "ORDER") && self.is_word(i + 1, "BY")
        })?;
        let start = order + 2;
        let end = (start..self.tokens.len())
            .find(|&i| {
                self.tokens[i].depth == 0
                    && [
                        "PRIMARY",
                        "SAMPLE",
                        "TTL",
                        "SETTINGS",
                        "PARTITION",
                        "COMMENT",
                    ]
                    .iter()
                    .any(|w| self.is_word(i, w))
            })
            .unwrap_or(self.tokens.len());
        if start >= end {
            return None;
        }
        let mut text = &self.sql[self.tokens[start].span.start..self.tokens[end - 1].span.end];
        if self.is_punct(start, "(") && closing(&self.tokens, start) == Some(end - 1) {
            text = self.between(start, end - 1);
        }
        let text = text.trim();
        (!text.is_empty() && !text.eq_ignore_ascii_case("tuple()")).then(|| text.to_owned())
    }

    /// Tokens after `after` naming a table a SELECT reads: the plain word after FROM or JOIN
    /// (not ARRAY JOIN, whose operand is an array; not a subquery, a table function or a name
    /// already qualified with its database).
    fn table_references(&self, after: usize) -> Vec<usize> {
        (after + 1..self.tokens.len())
            .filter(|&i| {
                let from = self.is_word(i - 1, "FROM");
                let join = self.is_word(i - 1, "JOIN") && !(i >= 2 && self.is_word(i - 2, "ARRAY"));
                let table_function = self.is_punct(i + 1, "(");
                (from || join) && !table_function && self.plain_name(i).is_some()
            })
            .collect()
    }

    /// The first token of each comma-separated ALTER command after token `after`.
    fn commands(&self, after: usize) -> Vec<usize> {
        let mut firsts = vec![after];
        for i in after..self.tokens.len() {
            if self.tokens[i].depth == 0 && self.is_punct(i, ",") {
                firsts.push(i + 1);
            }
        }
        firsts
    }

    /// The statement with each `(range, replacement)` applied; ranges do not overlap.
    fn apply(&self, mut edits: Vec<(std::ops::Range<usize>, String)>) -> String {
        edits.sort_by_key(|(range, _)| range.start);
        let mut out = String::with_capacity(self.sql.len() + 256);
        let mut at = 0;
        for (range, text) in edits {
            out.push_str(&self.sql[at..range.start]);
            out.push_str(&text);
            at = range.end;
        }
        out.push_str(&self.sql[at..]);
        out
    }
}

#[cfg(test)]
#[path = "cluster_tests.rs"]
mod tests;
