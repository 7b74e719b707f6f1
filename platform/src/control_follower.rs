//! Follows `optiview.control.v1` from the beginning into a shared [`ControlView`] and keeps
//! following, exposing the offset applied so far for read-your-writes and readiness.
//!
//! The control topic has one partition: a total order makes the fold deterministic and lets
//! referential checks (a key's property exists) see every earlier event.

use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use schemas::codec::SchemaRegistry;
use schemas::control::{ControlEvent, ControlView};

/// Partition of the control topic (there is exactly one).
pub const CONTROL_PARTITION: i32 = 0;

#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("timed out waiting for the control view to reach offset {wanted} (at {applied})")]
    Timeout { wanted: i64, applied: i64 },
    #[error("the control follower stopped")]
    Stopped,
}

/// Cheap to clone; every clone sees the same view.
#[derive(Clone)]
pub struct ControlHandle {
    view: Arc<RwLock<ControlView>>,
    /// Next offset to apply (= number of records applied, including skipped malformed ones).
    next_offset: watch::Receiver<i64>,
    /// High watermark when following started: the view is caught up once it reaches it.
    start_high_watermark: i64,
}

impl ControlHandle {
    /// A handle over a view that never changes: for tests and tools that need no broker.
    pub fn fixed(view: ControlView) -> Self {
        let applied = i64::try_from(view.events_applied()).unwrap_or(i64::MAX);
        let (tx, rx) = watch::channel(applied);
        // The sender is dropped: the offset never moves, and waits beyond it fail as Stopped.
        drop(tx);
        Self {
            view: Arc::new(RwLock::new(view)),
            next_offset: rx,
            start_high_watermark: applied,
        }
    }

    pub fn view(&self) -> RwLockReadGuard<'_, ControlView> {
        self.view
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Offset of the next record the follower will apply.
    pub fn next_offset(&self) -> i64 {
        *self.next_offset.borrow()
    }

    /// True once everything in the topic when the follower started has been applied.
    pub fn caught_up(&self) -> bool {
        self.next_offset() >= self.start_high_watermark
    }

    /// Waits until the record at `offset` has been applied.
    pub async fn wait_applied(&self, offset: i64, timeout: Duration) -> Result<(), FollowerError> {
        let mut rx = self.next_offset.clone();
        let wanted = offset + 1;
        let result = tokio::time::timeout(timeout, rx.wait_for(|next| *next >= wanted)).await;
        match result {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(FollowerError::Stopped),
            Err(_) => Err(FollowerError::Timeout {
                wanted: offset,
                applied: self.next_offset() - 1,
            }),
        }
    }

    /// Waits until the view holds everything that was in the topic at start.
    pub async fn wait_caught_up(&self, timeout: Duration) -> Result<(), FollowerError> {
        if self.start_high_watermark == 0 {
            return Ok(());
        }
        self.wait_applied(self.start_high_watermark - 1, timeout)
            .await
    }
}

/// Starts following `topic`; the returned task runs until the handle's runtime shuts down.
pub async fn follow(
    brokers: &str,
    topic: &str,
) -> Result<(ControlHandle, JoinHandle<()>), FollowerError> {
    let consumer: StreamConsumer = crate::kafka::client_config(brokers)
        // Assigned, never subscribed: no group membership and no commits, but librdkafka wants an id.
        .set(
            "group.id",
            format!("control-follower-{}", uuid::Uuid::new_v4()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "50")
        .create()?;
    let topic_name = topic.to_owned();
    // Blocks briefly, once, at start-up; fine on any runtime flavour.
    let (_, high) =
        consumer.fetch_watermarks(&topic_name, CONTROL_PARTITION, Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(&topic_name, CONTROL_PARTITION, Offset::Beginning)?;
    consumer.assign(&assignment)?;

    let view = Arc::new(RwLock::new(ControlView::new()));
    let (tx, rx) = watch::channel(0i64);
    let handle = ControlHandle {
        view: view.clone(),
        next_offset: rx,
        start_high_watermark: high,
    };
    let task = tokio::spawn(run(consumer, view, tx, topic_name));
    Ok((handle, task))
}

async fn run(
    consumer: StreamConsumer,
    view: Arc<RwLock<ControlView>>,
    tx: watch::Sender<i64>,
    topic: String,
) {
    let registry = SchemaRegistry::builtin();
    loop {
        let message = match consumer.recv().await {
            Ok(m) => m,
            Err(error) => {
                tracing::warn!(%error, topic, "control follower: fetch failed, retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let offset = message.offset();
        match message
            .payload()
            .map(|p| registry.decode::<ControlEvent>(p))
        {
            Some(Ok(event)) => {
                let mut guard = view.write().unwrap_or_else(|p| p.into_inner());
                if let Err(error) = guard.apply(&event) {
                    tracing::error!(%error, offset, "control follower: skipped malformed event");
                }
            }
            Some(Err(error)) => {
                tracing::error!(%error, offset, "control follower: skipped undecodable record")
            }
            // A tombstone (compaction delete) carries no state to apply.
            None => {}
        }
        tx.send_replace(offset + 1);
    }
}
