//! From consumed beacons to ClickHouse rows and the session changelog: batching with offset
//! ranges, the sink, the restore of session state, the loop.

pub mod batch;
pub mod changelog_reader;
pub mod deferred;
pub mod delivery;
pub mod in_flight;
pub mod input;
pub mod loader;
pub mod process;
pub mod rows;
pub mod sink;
pub mod waiting;
pub mod writer;
