//! Drops everything: measures the collector without a broker.

use super::{BeaconSink, Record, SinkFuture};

pub struct NullSink;

impl BeaconSink for NullSink {
    fn send_batch(&self, records: Vec<Record>) -> SinkFuture<'_> {
        drop(records);
        Box::pin(async { Ok(()) })
    }

    fn reachable(&self) -> bool {
        true
    }
}
