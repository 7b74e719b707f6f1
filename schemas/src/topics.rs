//! Topic names: one constant each so producers and consumers cannot drift apart.

pub const CONTROL: &str = "optiview.control.v1";
pub const BEACONS: &str = "optiview.beacons.v1";
pub const SESSIONS: &str = "optiview.sessions.v1";
pub const DEADLETTER: &str = "optiview.deadletter.v1";
pub const EDGE_STATS: &str = "optiview.edge-stats.v1";

/// Every topic docs/DESIGN.md names; `infra/topics.tsv` defines their partitions and retention.
pub const ALL: [&str; 5] = [CONTROL, BEACONS, SESSIONS, DEADLETTER, EDGE_STATS];

/// The Kafka key for per-visitor topics; keeps a visitor's events on one partition.
pub fn visitor_key(property_id: i64, visitor_id: &str) -> String {
    format!("{property_id}:{visitor_id}")
}

/// The property and visitor a [`visitor_key`] names (a tombstone carries only its key).
pub fn parse_visitor_key(key: &str) -> Option<(i64, &str)> {
    let (property, visitor) = key.split_once(':')?;
    Some((property.parse().ok()?, visitor))
}

/// The partition count of the visitor-keyed topics, beacons and sessions, which must be equal
/// (co-partitioning). One setting for `query-api topics`, `infra/stack topics` and
/// `stream-processors rebuild-sessions`; growing it follows README § Growing partitions.
pub const VISITOR_PARTITIONS_ENV: &str = "OPTIVIEW_VISITOR_PARTITIONS";
/// The local stack's count; production sizes its own (README § Partitions).
pub const DEFAULT_VISITOR_PARTITIONS: i32 = 6;
/// What `infra/topics.tsv` writes in the partitions column for the visitor partition count.
const VISITOR_PARTITIONS_WORD: &str = "visitors";

/// One row of `infra/topics.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDefinition {
    pub name: String,
    pub partitions: i32,
    /// `-1` keeps records forever.
    pub retention_ms: i64,
    /// `delete` or `compact`.
    pub cleanup_policy: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TopicFileError {
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
}

/// Parses the tab-separated topic definitions; `#` starts a comment line. A partitions column
/// reading `visitors` takes `visitor_partitions`.
pub fn parse_definitions(
    text: &str,
    visitor_partitions: i32,
) -> Result<Vec<TopicDefinition>, TopicFileError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let invalid = |reason: &str| TopicFileError::Invalid {
            line: index + 1,
            reason: reason.to_owned(),
        };
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [name, partitions, retention, policy] = cols[..] else {
            return Err(invalid(
                "expected name, partitions, retention_ms, cleanup_policy",
            ));
        };
        let partitions: i32 = if partitions == VISITOR_PARTITIONS_WORD {
            visitor_partitions
        } else {
            partitions
                .parse()
                .map_err(|_| invalid("partitions is not a number or `visitors`"))?
        };
        if partitions < 1 {
            return Err(invalid("partitions must be at least 1"));
        }
        let retention_ms: i64 = retention
            .parse()
            .map_err(|_| invalid("retention_ms is not a number"))?;
        if !matches!(policy, "delete" | "compact") {
            return Err(invalid("cleanup_policy must be delete or compact"));
        }
        if policy == "delete" && retention_ms < 1 {
            // Tansu 0.6's retention pass (at start and every 10 min) reads -1 as "older than
            // -1 ms" and deletes every record of the topic; keep-forever topics are compacted.
            return Err(invalid(
                "a delete-policy topic needs a finite retention_ms (use compact to keep forever)",
            ));
        }
        out.push(TopicDefinition {
            name: name.to_owned(),
            partitions,
            retention_ms,
            cleanup_policy: policy.to_owned(),
        });
    }
    Ok(out)
}

/// The topic definitions shipped in `infra/topics.tsv`, at the default visitor partitions.
pub fn bundled_definitions() -> Vec<TopicDefinition> {
    parse_definitions(
        include_str!("../../infra/topics.tsv"),
        DEFAULT_VISITOR_PARTITIONS,
    )
    .expect("infra/topics.tsv is valid (tested)")
}
