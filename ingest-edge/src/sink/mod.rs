//! Where accepted beacons go. Handlers depend on the trait; `main` picks Kafka, tests the memory
//! sink, benchmarks the null sink.

mod breaker;
mod kafka;
mod memory;
mod null;

use std::future::Future;
use std::pin::Pin;

pub use kafka::KafkaSink;
pub use memory::MemorySink;
pub use null::NullSink;

/// One encoded record and its partitioning key.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub key: String,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The broker did not acknowledge in time or refused: nothing may be assumed durable.
    #[error("the broker did not acknowledge the batch")]
    Unavailable,
    /// Too much is already waiting for acknowledgement.
    #[error("too many events in flight")]
    Overloaded,
}

pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

pub trait BeaconSink: Send + Sync {
    /// Resolves `Ok` only once every record of the batch is durable.
    fn send_batch(&self, records: Vec<Record>) -> SinkFuture<'_>;

    /// Whether the destination answered recently (for `/readyz`).
    fn reachable(&self) -> bool;
}
