//! The loader's input consumer and what its callbacks tell the loop: which partitions were taken
//! away (their sessions are dropped and restored afresh if they come back, since another member
//! may have advanced them meanwhile) and each partition's high watermark as fetch responses report
//! it (librdkafka's statistics), for lag without ListOffsets, which the local broker can misreport.
//! A revoke waits for the member's batch writes still running (`Writes`): the group hands the
//! partitions on only after, so their next owner restores sessions that hold those batches.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::{ClientContext, Statistics};

/// Longest a revoke waits for the writes in flight (a ClickHouse outage can hold them for good;
/// the next owner then re-reads those batches, as after a crash).
const REVOKE_WAIT: Duration = Duration::from_secs(60);

#[derive(Clone, Default)]
pub struct InputContext {
    revoked: Arc<Mutex<Vec<i32>>>,
    writes: Arc<Writes>,
    /// (topic, partition) → high watermark.
    high_watermarks: Arc<Mutex<HashMap<(String, i32), i64>>>,
}

impl InputContext {
    /// The partitions revoked since the last call.
    pub fn take_revoked(&self) -> Vec<i32> {
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The member's batch writes, which each write registers while it runs.
    pub fn writes(&self) -> Arc<Writes> {
        self.writes.clone()
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
            drop(revoked);
            self.writes.wait_ended(REVOKE_WAIT);
        }
    }
}

/// The batch writes running now (spawned tasks, `super::in_flight`).
#[derive(Default)]
pub struct Writes {
    running: Mutex<usize>,
    ended: Condvar,
}

/// One running write; ends when dropped (also when its task is aborted).
pub struct Running(Arc<Writes>);

impl Writes {
    pub fn start(self: &Arc<Self>) -> Running {
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Running(self.clone())
    }

    pub fn running(&self) -> usize {
        *self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until no write runs, or `bound` passed. Called from librdkafka's rebalance
    /// callback, inside the loop's poll: on a multi-threaded runtime the thread is handed over
    /// meanwhile, so the writes (other tasks) go on; a current-thread runtime runs the writes
    /// on this very thread, so there it cannot wait.
    fn wait_ended(&self, bound: Duration) {
        if self.running() == 0 {
            return;
        }
        let wait = || {
            let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            let (running, _) = self
                .ended
                .wait_timeout_while(running, bound, |n| *n > 0)
                .unwrap_or_else(|e| e.into_inner());
            if *running > 0 {
                tracing::warn!(
                    running = *running,
                    "revoked with batch writes still running"
                );
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle)
                if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread =>
            {
                tracing::debug!("current-thread runtime: the revoke does not wait for writes");
            }
            Ok(_) => tokio::task::block_in_place(wait),
            Err(_) => wait(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        *running = running.saturating_sub(1);
        self.0.ended.notify_all();
    }
}

pub type InputConsumer = StreamConsumer<InputContext>;

/// The loader's consumer of `optiview.beacons.v1` in `group`.
pub fn input_consumer(brokers: &str, group: &str) -> rdkafka::error::KafkaResult<InputConsumer> {
    platform::kafka::consumer_config(brokers, group)
        .set("statistics.interval.ms", "1000")
        .create_with_context(InputContext::default())
}
