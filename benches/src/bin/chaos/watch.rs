//! Watches the loader group's committed offsets against the beacons topic's end: the longest time
//! input waited while the loader made no progress. Time while the schedule holds the broker or
//! ClickHouse down is not counted: nothing could progress then, and what is measured is how soon
//! the loader moves once it can.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stream_processors::ops::group_lag::LagProbe;

#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// The latest sample's lag, and when it was taken.
    pub lag: Option<(u64, Instant)>,
    /// The longest stall so far: its length, when it began (seconds into the run) and the fault
    /// step that came before it.
    pub longest: Duration,
    pub longest_began: f64,
    pub longest_after: String,
}

pub struct Watch {
    pub progress: Arc<Mutex<Progress>>,
    /// Set by the schedule while a dependency of the loader is down on purpose.
    pub paused: Arc<AtomicBool>,
    /// The schedule's current step, to say what a stall followed.
    pub step: Arc<Mutex<String>>,
}

impl Watch {
    pub fn start(brokers: String, group: String, topic: String, run_started: Instant) -> Self {
        let watch = Self {
            progress: Arc::default(),
            paused: Arc::default(),
            step: Arc::new(Mutex::new("start".into())),
        };
        let (progress, paused, step) = (
            watch.progress.clone(),
            watch.paused.clone(),
            watch.step.clone(),
        );
        std::thread::spawn(move || {
            let mut probe = LagProbe::new(&brokers, Vec::new());
            let mut last_committed = None;
            // Commits come once per batch period, so a stall runs from the last progress seen,
            // not from the first sample that saw none.
            let mut last_progress = Instant::now();
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if paused.load(Ordering::Relaxed) {
                    last_progress = Instant::now();
                    continue;
                }
                // Unreachable broker: no sample, the stall (if any) goes on.
                let Ok(position) = probe.position(&group, &topic) else {
                    continue;
                };
                let now = Instant::now();
                let moved = last_committed.is_some_and(|c| c != position.committed);
                last_committed = Some(position.committed);
                let mut p = progress.lock().unwrap();
                p.lag = Some((position.lag, now));
                if moved || position.lag == 0 {
                    last_progress = now;
                    continue;
                }
                let length = now - last_progress;
                if length > p.longest {
                    p.longest = length;
                    p.longest_began = (last_progress - run_started).as_secs_f64();
                    p.longest_after = step.lock().unwrap().clone();
                }
            }
        });
        watch
    }

    pub fn pause(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Waits until a sample taken after `since` shows no lag; false after `limit`.
    pub async fn caught_up(&self, since: Instant, limit: Duration) -> bool {
        let deadline = since + limit;
        while Instant::now() < deadline {
            if let Some((0, at)) = self.progress.lock().unwrap().lag {
                if at > since {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    }
}
