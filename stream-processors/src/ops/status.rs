//! What the loop tells the health endpoints: whether its last write landed, and how far behind the
//! input each partition is. Written by the loop, read by HTTP handlers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Status {
    /// False while a batch is stuck retrying (ClickHouse or the broker unavailable).
    writing: AtomicBool,
    stalled: AtomicBool,
    lag: Mutex<BTreeMap<i32, i64>>,
    /// Set while the consumer makes no progress with input waiting (the watchdog's reason).
    stuck: Mutex<Option<String>>,
    /// The input partitions the group gave this member, as the loop last saw them.
    assigned: Mutex<Vec<i32>>,
}

impl Status {
    pub fn started(&self) {
        self.writing.store(true, Ordering::Relaxed);
    }

    pub fn set_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::Relaxed);
    }

    /// Running and not stuck on a write.
    pub fn healthy_pipeline(&self) -> bool {
        self.writing.load(Ordering::Relaxed) && !self.stalled.load(Ordering::Relaxed)
    }

    pub fn set_stuck(&self, why: Option<String>) {
        if let Ok(mut stuck) = self.stuck.lock() {
            *stuck = why;
        }
    }

    /// Why the consumer is not progressing, while it is not.
    pub fn stuck(&self) -> Option<String> {
        self.stuck.lock().ok().and_then(|s| s.clone())
    }

    pub fn set_lag(&self, partition: i32, lag: i64) {
        if let Ok(mut lags) = self.lag.lock() {
            lags.insert(partition, lag);
        }
    }

    pub fn forget_partition(&self, partition: i32) {
        if let Ok(mut lags) = self.lag.lock() {
            lags.remove(&partition);
        }
    }

    pub fn set_assigned(&self, mut partitions: Vec<i32>) {
        partitions.sort_unstable();
        if let Ok(mut assigned) = self.assigned.lock() {
            *assigned = partitions;
        }
    }

    pub fn assigned(&self) -> Vec<i32> {
        self.assigned.lock().map(|a| a.clone()).unwrap_or_default()
    }

    pub fn lag(&self) -> BTreeMap<i32, i64> {
        self.lag.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Records the input still to read behind `next` (the offset after the last one consumed), from
/// the high watermark the last fetch response carried.
pub fn lag_behind(high_watermark: i64, next: i64) -> i64 {
    (high_watermark - next).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_what_remains_after_the_consumed_offset() {
        assert_eq!(lag_behind(100, 60), 40);
        assert_eq!(lag_behind(100, 100), 0);
        // The cached watermark can trail the consumer briefly; lag never goes negative.
        assert_eq!(lag_behind(90, 100), 0);
    }

    #[test]
    fn a_stalled_write_makes_the_pipeline_unhealthy() {
        let status = Status::default();
        assert!(!status.healthy_pipeline(), "not before the loop started");
        status.started();
        assert!(status.healthy_pipeline());
        status.set_stalled(true);
        assert!(!status.healthy_pipeline());
        status.set_lag(2, 7);
        assert_eq!(status.lag().get(&2), Some(&7));
    }

    #[test]
    fn a_stuck_consumer_reports_why_until_cleared() {
        let status = Status::default();
        assert_eq!(status.stuck(), None);
        status.set_stuck(Some("no partition assigned".into()));
        assert_eq!(status.stuck().as_deref(), Some("no partition assigned"));
        status.set_stuck(None);
        assert_eq!(status.stuck(), None);
    }
}
