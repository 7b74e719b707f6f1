//! `stream-processors replay`: reprocesses the beacons topic (everything retained, or from given
//! offsets) into ClickHouse with the current catalogs, then brings the tables derived from events
//! in line with what the replay re-derived. Hits whose address key is gone keep the verification
//! recorded the first time.

pub mod rebuild;
mod recorded;
mod reprocess;

pub use rebuild::{drop_stale_derived_rows, rebuild_rollups};
pub use reprocess::{reprocess, Replay, ReplayReport, StartAt};
