//! Writes one sealed batch until it is durable: its dead letters and its five tables at once,
//! then the dead letters of rows ClickHouse refused, then its changelog records. Runs as its own
//! task, so the loop enriches the next batch meanwhile (`super::in_flight` orders the commits).
//!
//! The changelog waits for the inserts because a restore trusts it: a restored session skips
//! the events it already holds as stored. For the same reason a batch's changelog also waits for
//! the previous batch's (`Turn`): that one was produced only after its own inserts, so every
//! changelog record on the topic follows the rows of every batch before it — and the records of
//! one partition land in batch order, which compaction (last record per visitor wins) needs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::producer::FutureProducer;
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::topics::visitor_key;
use tokio::sync::{oneshot, watch};

use super::batch::Batch;
use super::delivery::{deliver_all, Outgoing, Refused};
use super::sink::{Rejected, Sink};
use crate::ops::status::Status;
use crate::telemetry;

const STALL_AFTER: Duration = Duration::from_secs(5);

/// Everything a batch's write needs, shared by the writes in flight.
pub struct Writer {
    pub producer: FutureProducer,
    pub sink: Sink,
    pub status: Arc<Status>,
    pub beacons_topic: String,
    pub sessions_topic: String,
    pub deadletter_topic: String,
    /// Writes retrying for longer than `STALL_AFTER`: /readyz is unhealthy while any is.
    stalled: AtomicUsize,
}

/// A batch's place in the changelog's order: it may produce once the previous batch's changelog
/// is acknowledged (`wait`), and tells the next one when its own is (`done`).
pub struct Turn {
    pub wait: Option<oneshot::Receiver<()>>,
    pub done: oneshot::Sender<()>,
}

impl Writer {
    pub fn new(
        producer: FutureProducer,
        sink: Sink,
        status: Arc<Status>,
        beacons_topic: String,
        sessions_topic: String,
        deadletter_topic: String,
    ) -> Self {
        Self {
            producer,
            sink,
            status,
            beacons_topic,
            sessions_topic,
            deadletter_topic,
            stalled: AtomicUsize::new(0),
        }
    }

    /// Returns once every output of `batch` is durable; an error (only when stopping, or when an
    /// earlier batch's write failed) leaves it unwritten in part, and its offsets uncommitted.
    pub async fn write(
        &self,
        batch: Batch,
        turn: Turn,
        stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let stop = &stop;
        let mut letters = Vec::with_capacity(batch.dead_letters.len());
        for letter in &batch.dead_letters {
            letters.push(Outgoing::dead_letter(letter, &self.deadletter_topic)?);
        }
        let ((), refused) = futures::try_join!(
            self.dead_letters(letters, stop),
            self.watched(self.sink.write(&batch, stop)),
        )?;
        if !refused.is_empty() {
            let letters = refused_letters(&batch, &refused, self)?;
            self.dead_letters(letters, stop).await?;
        }
        let mut changelog = Vec::with_capacity(batch.sessions.len());
        for (partition, update) in batch.sessions.values() {
            changelog.push(Outgoing {
                topic: self.sessions_topic.clone(),
                partition: Some(*partition),
                key: visitor_key(update.property_id, &update.visitor_id),
                payload: schemas::encode(update)?,
            });
        }
        if let Some(previous) = turn.wait {
            previous.await.map_err(|_| {
                anyhow::anyhow!("an earlier batch was not written; its successor's changelog waits")
            })?;
        }
        let records = changelog.len();
        let refused = self
            .watched(deliver_all(&self.producer, changelog, stop))
            .await?;
        if !refused.is_empty() {
            // The rows are in ClickHouse; a restart restores these sessions from their previous
            // state. The record itself is kept on the dead-letter topic.
            let letters = refused_changelog_letters(refused, &self.deadletter_topic)?;
            self.dead_letters(letters, stop).await?;
        }
        let _ = turn.done.send(());
        metrics::counter!(telemetry::CHANGELOG_RECORDS).increment(records as u64);
        Ok(())
    }

    /// Writes dead letters and returns once the broker took each, or refused it for good: a dead
    /// letter the broker refuses is counted and logged, as nothing further can hold it.
    async fn dead_letters(
        &self,
        letters: Vec<Outgoing>,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        if letters.is_empty() {
            return Ok(());
        }
        let refused = self
            .watched(deliver_all(&self.producer, letters, stop))
            .await?;
        if !refused.is_empty() {
            metrics::counter!(telemetry::DEAD_LETTERS_REFUSED).increment(refused.len() as u64);
        }
        Ok(())
    }

    /// A write that is still retrying after a few seconds marks the pipeline stalled (`/readyz`
    /// answers 503) until it lands — counted, as several writes can be in flight at once.
    async fn watched<T>(&self, write: impl std::future::Future<Output = T>) -> T {
        tokio::pin!(write);
        tokio::select! {
            done = &mut write => return done,
            _ = tokio::time::sleep(STALL_AFTER) => {}
        }
        let _stall = Stall::begin(self);
        write.await
    }
}

/// One stalled write; ends when dropped, also when its task is aborted.
struct Stall<'a>(&'a Writer);

impl<'a> Stall<'a> {
    fn begin(writer: &'a Writer) -> Self {
        writer.stalled.fetch_add(1, Ordering::SeqCst);
        writer.status.set_stalled(true);
        Self(writer)
    }
}

impl Drop for Stall<'_> {
    fn drop(&mut self) {
        if self.0.stalled.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.status.set_stalled(false);
        }
    }
}

/// The dead letters of the records whose rows ClickHouse refused for good, one per record
/// (however many of its rows were refused), with the record's bytes.
fn refused_letters(
    batch: &Batch,
    refused: &[Rejected],
    writer: &Writer,
) -> anyhow::Result<Vec<Outgoing>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut letters = Vec::new();
    for rejected in refused {
        if !seen.insert(rejected.source) {
            continue;
        }
        let letter = DeadLetter {
            at: chrono::Utc::now().timestamp_millis(),
            stage: "loader".into(),
            source_topic: writer.beacons_topic.clone(),
            source_partition: rejected.source.partition,
            source_offset: rejected.source.offset,
            reason: DeadLetterReason::InsertRejected,
            detail: format!("{}: {}", rejected.table, rejected.detail)
                .chars()
                .take(500)
                .collect(),
            original: batch.original(rejected.source).unwrap_or_default().to_vec(),
        };
        metrics::counter!(telemetry::DEAD_LETTERS, "reason" => letter.reason.as_str()).increment(1);
        letters.push(Outgoing::dead_letter(&letter, &writer.deadletter_topic)?);
    }
    Ok(letters)
}

/// Dead letters for changelog records the broker refused for good (offset -1: never written).
fn refused_changelog_letters(
    refused: Vec<Refused>,
    deadletter_topic: &str,
) -> anyhow::Result<Vec<Outgoing>> {
    refused
        .into_iter()
        .map(|Refused { record, error }| {
            let letter = DeadLetter {
                at: chrono::Utc::now().timestamp_millis(),
                stage: "loader".into(),
                source_topic: record.topic,
                source_partition: record.partition.unwrap_or(-1),
                source_offset: -1,
                reason: DeadLetterReason::Other,
                detail: format!("changelog record refused by the broker: {error}"),
                original: record.payload,
            };
            metrics::counter!(telemetry::DEAD_LETTERS, "reason" => letter.reason.as_str())
                .increment(1);
            Ok(Outgoing::dead_letter(&letter, deadletter_topic)?)
        })
        .collect()
}
