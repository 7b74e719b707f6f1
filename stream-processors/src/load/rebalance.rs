//! Tells the loop which partitions were taken away, so their sessions are dropped and restored
//! afresh (from the changelog) if they come back: another member may have advanced them meanwhile.

use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::ClientContext;

#[derive(Clone, Default)]
pub struct RevocationTracker {
    revoked: Arc<Mutex<Vec<i32>>>,
}

impl RevocationTracker {
    /// The partitions revoked since the last call.
    pub fn take(&self) -> Vec<i32> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl ClientContext for RevocationTracker {}

impl ConsumerContext for RevocationTracker {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance {
            let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
            revoked.extend(partitions.elements().iter().map(|e| e.partition()));
        }
    }
}

pub type InputConsumer = StreamConsumer<RevocationTracker>;

/// The loader's consumer of `optiview.beacons.v1` in `group`.
pub fn input_consumer(brokers: &str, group: &str) -> rdkafka::error::KafkaResult<InputConsumer> {
    schemas::kafka::consumer_config(brokers, group)
        .create_with_context(RevocationTracker::default())
}
