//! The loader's input consumer and what its callbacks tell the loop: which partitions were taken
//! away (their sessions are dropped and restored afresh if they come back, since another member
//! may have advanced them meanwhile) and each partition's high watermark as fetch responses report
//! it (librdkafka's statistics), for lag without ListOffsets, which the local broker can misreport.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::{ClientContext, Statistics};

#[derive(Clone, Default)]
pub struct InputContext {
    revoked: Arc<Mutex<Vec<i32>>>,
    /// (topic, partition) → high watermark.
    high_watermarks: Arc<Mutex<HashMap<(String, i32), i64>>>,
}

impl InputContext {
    /// The partitions revoked since the last call.
    pub fn take_revoked(&self) -> Vec<i32> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn high_watermark(&self, topic: &str, partition: i32) -> Option<i64> {
        let marks = self.high_watermarks.lock().ok()?;
        marks.get(&(topic.to_owned(), partition)).copied()
    }
}

impl ClientContext for InputContext {
    fn stats(&self, statistics: Statistics) {
        let Ok(mut marks) = self.high_watermarks.lock() else {
            return;
        };
        for (name, topic) in statistics.topics {
            for (partition, stats) in topic.partitions {
                // librdkafka reports -1 until a fetch response told it.
                if partition >= 0 && stats.hi_offset >= 0 {
                    marks.insert((name.clone(), partition), stats.hi_offset);
                }
            }
        }
    }
}

impl ConsumerContext for InputContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance {
            let mut revoked = self.revoked.lock().unwrap_or_else(|e| e.into_inner());
            revoked.extend(partitions.elements().iter().map(|e| e.partition()));
        }
    }
}

pub type InputConsumer = StreamConsumer<InputContext>;

/// The loader's consumer of `optiview.beacons.v1` in `group`.
pub fn input_consumer(brokers: &str, group: &str) -> rdkafka::error::KafkaResult<InputConsumer> {
    platform::kafka::consumer_config(brokers, group)
        .set("statistics.interval.ms", "1000")
        .create_with_context(InputContext::default())
}
