//! Topic names: one constant each so producers and consumers cannot drift apart.

pub const CONTROL: &str = "optiview.control.v1";
pub const BEACONS: &str = "optiview.beacons.v1";
pub const EVENTS: &str = "optiview.events.v1";
pub const SESSIONS: &str = "optiview.sessions.v1";
pub const DEADLETTER: &str = "optiview.deadletter.v1";
pub const EDGE_STATS: &str = "optiview.edge-stats.v1";

/// Every topic DESIGN.md names; `infra/topics.tsv` defines their partitions and retention.
pub const ALL: [&str; 6] = [CONTROL, BEACONS, EVENTS, SESSIONS, DEADLETTER, EDGE_STATS];

/// The Kafka key for per-visitor topics; keeps a visitor's events on one partition.
pub fn visitor_key(property_id: i64, visitor_id: &str) -> String {
    format!("{property_id}:{visitor_id}")
}
