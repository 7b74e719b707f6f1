//! In-memory sink for tests: records what was accepted, can be told to fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::{BeaconSink, Record, SinkError, SinkFuture};

#[derive(Default)]
pub struct MemorySink {
    records: Mutex<Vec<Record>>,
    failing: AtomicBool,
}

impl MemorySink {
    pub fn records(&self) -> Vec<Record> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// While set, every batch fails as if the broker were down.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl BeaconSink for MemorySink {
    fn send_batch(&self, records: Vec<Record>) -> SinkFuture<'_> {
        Box::pin(async move {
            if self.failing.load(Ordering::SeqCst) {
                return Err(SinkError::Unavailable);
            }
            self.records
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(records);
            Ok(())
        })
    }

    fn reachable(&self) -> bool {
        !self.failing.load(Ordering::SeqCst)
    }
}
