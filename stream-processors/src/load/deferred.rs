//! Signed server hits whose signer's key directory was not cached when they were read
//! (`enrich::web_bot_auth`): the batch holds them until the directories' fetches end, then they
//! are enriched like any other record, before the batch is written. So each hit is stored once,
//! with its verdict, and the rollups that count inserts count it once; a crash before the write
//! re-reads it with the rest of the uncommitted batch.

use std::time::Duration;

use platform::control_follower::ControlHandle;
use schemas::beacon::Beacon;
use tokio::sync::watch;

use super::batch::{Batch, Position};
use super::process::Processor;
use crate::enrich::web_bot_auth::KeyWait;

/// However the fetches fare, a batch waits no longer than this for them (each fetch has its own,
/// shorter, timeout).
pub const LONGEST_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Deferred {
    pub at: Position,
    pub beacon: Beacon,
    pub wait: KeyWait,
}

/// Waits for the batch's pending directory fetches (or `stop`), then enriches the hits that
/// waited for them into the batch's rows.
pub async fn settle(
    processor: &Processor,
    control: &ControlHandle,
    batch: &mut Batch,
    stop: &watch::Receiver<bool>,
) {
    if batch.deferred.is_empty() {
        return;
    }
    let waits = batch.deferred.iter().map(|d| d.wait.clone().ready());
    let mut stop = stop.clone();
    tokio::select! {
        _ = tokio::time::timeout(LONGEST_WAIT, futures::future::join_all(waits)) => {}
        _ = stop.wait_for(|stopped| *stopped) => {}
    }
    // The view is read only now: a read lock is not held across the wait.
    processor.process_deferred(
        &control.view(),
        chrono::Utc::now().timestamp_millis(),
        batch,
    );
}
