//! From consumed beacons to ClickHouse rows: batching with offset ranges, the sink, the loop.

pub mod batch;
pub mod loader;
pub mod rows;
pub mod sink;
