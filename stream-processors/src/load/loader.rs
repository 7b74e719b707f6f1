//! The processor loop: consumes optiview.beacons.v1, enriches and sessionizes each beacon, and
//! writes the rows to ClickHouse and each changed session to optiview.sessions.v1 (on the input's
//! partition). A batch is durable — dead letters acknowledged, every insert done, every changelog
//! record acknowledged, in that order — before its offsets are committed. So a crash re-reads at
//! most the uncommitted batch: the restored sessions recognise the events they already hold, and
//! the deduplication tokens (or, for a batch cut differently after a restart, the tables'
//! ReplacingMergeTree on the event id) keep rows single.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use platform::control_follower::ControlHandle;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::topics::visitor_key;
use tokio::sync::watch;

use super::batch::Batch;
use super::changelog_reader::restore_partition;
use super::delivery::{deliver_all, Outgoing, Refused};
use super::input::{input_consumer, InputConsumer};
use super::process::{Position, Processor};
use super::sink::{ClickHouseSink, Rejected};
use super::waiting::{Release, Waiting};
use crate::enrich::enricher::Enricher;
use crate::ops::backlog::{self, Backlog};
use crate::ops::status::{lag_behind, Status};
use crate::ops::watchdog::{check_period, Observation, Rejoins, Stuck, Watchdog};
use crate::sessionize::{SessionConfig, Sessionizer};
use crate::telemetry;

const STALL_AFTER: Duration = Duration::from_secs(5);

pub struct LoaderSettings {
    /// For the changelog reader (which consumes outside the group), a rejoining member and the
    /// backlog probe.
    pub brokers: String,
    pub group: String,
    pub beacons_topic: String,
    pub sessions_topic: String,
    pub deadletter_topic: String,
    pub batch_rows: usize,
    pub batch_period: Duration,
    pub sessions: SessionConfig,
    /// No progress with input waiting for longer than this: rejoin as a fresh member.
    pub stuck_after: Duration,
    /// Rejoins without progress in between before the run fails.
    pub rejoin_attempts: u32,
}

impl LoaderSettings {
    fn watchdog_period(&self) -> Duration {
        check_period(self.stuck_after)
    }
}

pub struct Loader {
    pub consumer: InputConsumer,
    pub status: Arc<Status>,
    pub producer: FutureProducer,
    pub sink: ClickHouseSink,
    pub control: ControlHandle,
    pub enricher: Enricher,
    pub settings: LoaderSettings,
}

/// How one group member's consumption ended.
enum Ended {
    Stopped,
    /// The watchdog found it making no progress with input waiting, for longer than the bound.
    Stuck {
        why: Stuck,
        progressed: bool,
    },
}

impl Loader {
    /// Runs until `stop` turns true, then writes what it holds and returns. A member the
    /// watchdog finds stuck is replaced by a fresh consumer (a new group member); after
    /// `rejoin_attempts` replacements without progress the run fails, so the process exits
    /// non-zero and its supervisor restarts it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let Loader {
            mut consumer,
            status,
            producer,
            sink,
            control,
            enricher,
            settings,
        } = self;
        let processor = Processor::new(enricher, settings.beacons_topic.clone());
        let backlog = backlog::sample(
            &settings.brokers,
            &settings.group,
            &settings.beacons_topic,
            settings.watchdog_period(),
            stop.clone(),
        );
        let mut watchdog = Watchdog::new(settings.stuck_after);
        let mut rejoins = Rejoins::new(settings.rejoin_attempts);
        status.started();
        loop {
            consumer.subscribe(&[&settings.beacons_topic])?;
            let member = Member {
                consumer: &consumer,
                status: &status,
                producer: &producer,
                sink: &sink,
                settings: &settings,
            };
            let ended = member
                .consume(&processor, &control, &backlog, &mut watchdog, &mut stop)
                .await?;
            let Ended::Stuck { why, progressed } = ended else {
                return Ok(());
            };
            let Some(attempt) = rejoins.next(progressed) else {
                anyhow::bail!(
                    "consumer stuck after {} rejoin(s): {why}; exiting for the supervisor to restart",
                    settings.rejoin_attempts
                );
            };
            metrics::counter!(telemetry::CONSUMER_REJOINS, "group" => settings.group.clone())
                .increment(1);
            tracing::warn!(%why, attempt, "consumer stuck; rejoining the group as a fresh member");
            for partition in status.lag().into_keys() {
                status.forget_partition(partition);
            }
            consumer = input_consumer(&settings.brokers, &settings.group)?;
            watchdog.reset();
        }
    }
}

/// The dead letters of the records whose rows ClickHouse refused for good, one per record
/// (however many of its rows were refused), with the record's bytes.
fn refused_letters(
    batch: &Batch,
    refused: &[Rejected],
    settings: &LoaderSettings,
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
            source_topic: settings.beacons_topic.clone(),
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
        letters.push(Outgoing::dead_letter(&letter, &settings.deadletter_topic)?);
    }
    Ok(letters)
}

/// Dead letters for changelog records the broker refused for good (offset -1: never written).
fn refused_changelog_letters(
    refused: Vec<Refused>,
    settings: &LoaderSettings,
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
            Ok(Outgoing::dead_letter(&letter, &settings.deadletter_topic)?)
        })
        .collect()
}

fn position(message: &BorrowedMessage<'_>) -> Position {
    Position {
        partition: message.partition(),
        offset: message.offset(),
    }
}

/// One group member's consumer and everything the loop writes to, borrowed for the member's life.
struct Member<'a> {
    consumer: &'a InputConsumer,
    status: &'a Status,
    producer: &'a FutureProducer,
    sink: &'a ClickHouseSink,
    settings: &'a LoaderSettings,
}

impl Member<'_> {
    /// Consumes until stopped or stuck; what it holds is written before it returns.
    async fn consume(
        &self,
        processor: &Processor,
        control: &ControlHandle,
        backlog: &Backlog,
        watchdog: &mut Watchdog,
        stop: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Ended> {
        let consumer = self.consumer;
        let settings = self.settings;
        let mut sessionizers: HashMap<i32, Sessionizer> = HashMap::new();
        let mut batch = Batch::default();
        let dns = processor.enricher.reverse_dns.clone();
        let (max_waiting, lookup_timeout) = dns.as_ref().map_or((0, Duration::ZERO), |d| {
            (d.settings().max_waiting, d.settings().timeout)
        });
        // A lookup ends within its timeout; the batches after it carry its hits.
        let max_wait = lookup_timeout + 2 * settings.batch_period;
        let mut waiting = Waiting::new(dns, max_waiting, max_wait);
        let mut deadline = Instant::now() + settings.batch_period;
        let mut check = tokio::time::interval(settings.watchdog_period());
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Since the previous watchdog check, and over this member's life.
        let (mut progressed, mut ever_progressed) = (false, false);
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    self.flush(std::mem::take(&mut batch), &mut waiting, Release::All, stop).await?;
                    return Ok(Ended::Stopped);
                }
                _ = check.tick() => {
                    let seen = Observation {
                        assigned: consumer.assignment().map(|a| a.count()).unwrap_or(0),
                        progressed,
                        group: backlog.get(),
                    };
                    progressed = false;
                    if let Some(why) = watchdog.check(Instant::now(), seen, self.status) {
                        self.flush(std::mem::take(&mut batch), &mut waiting, Release::All, stop).await?;
                        return Ok(Ended::Stuck { why, progressed: ever_progressed });
                    }
                }
                received = tokio::time::timeout_at(deadline.into(), consumer.recv()) => {
                    match received {
                        Ok(Ok(message)) => {
                            (progressed, ever_progressed) = (true, true);
                            for partition in consumer.context().take_revoked() {
                                sessionizers.remove(&partition);
                                waiting.revoke(partition);
                                self.status.forget_partition(partition);
                            }
                            let Some(sessionizer) =
                                self.sessionizer(&mut sessionizers, message.partition(), stop).await
                            else {
                                continue; // stopping during a restore
                            };
                            let now = chrono::Utc::now().timestamp_millis();
                            processor.process(
                                &control.view(),
                                sessionizer,
                                position(&message),
                                message.payload().unwrap_or_default(),
                                now,
                                &mut batch,
                            );
                            if batch.records() >= settings.batch_rows {
                                self.flush(std::mem::take(&mut batch), &mut waiting, Release::Due, stop).await?;
                                deadline = Instant::now() + settings.batch_period;
                            }
                        }
                        Ok(Err(error)) => tracing::warn!(%error, "consume error"),
                        Err(_) => {
                            // Also when idle: held hits whose lookups ended leave now.
                            self.flush(std::mem::take(&mut batch), &mut waiting, Release::Due, stop).await?;
                            deadline = Instant::now() + settings.batch_period;
                            let visitors: usize = sessionizers.values().map(Sessionizer::visitors).sum();
                            metrics::gauge!(telemetry::ACTIVE_VISITORS).set(visitors as f64);
                        }
                    }
                }
            }
        }
    }

    /// A write that is still retrying after a few seconds marks the pipeline stalled (`/readyz`
    /// answers 503) until it lands.
    async fn watched<T>(&self, write: impl std::future::Future<Output = T>) -> T {
        tokio::pin!(write);
        tokio::select! {
            done = &mut write => return done,
            _ = tokio::time::sleep(STALL_AFTER) => self.status.set_stalled(true),
        }
        let done = write.await;
        self.status.set_stalled(false);
        done
    }

    /// Lag per partition from the high watermark fetch responses reported.
    fn record_lag(&self, batch: &Batch) {
        for (partition, next) in batch.commit_offsets() {
            let Some(high) = self
                .consumer
                .context()
                .high_watermark(&self.settings.beacons_topic, partition)
            else {
                continue;
            };
            let lag = lag_behind(high, next);
            self.status.set_lag(partition, lag);
            metrics::gauge!(telemetry::CONSUMER_LAG, "partition" => partition.to_string())
                .set(lag as f64);
        }
    }

    /// The partition's sessionizer, restored from the changelog on first use after an assignment.
    /// Retries a failed restore until it succeeds; None only when stopping.
    async fn sessionizer<'s>(
        &self,
        sessionizers: &'s mut HashMap<i32, Sessionizer>,
        partition: i32,
        stop: &watch::Receiver<bool>,
    ) -> Option<&'s mut Sessionizer> {
        if !sessionizers.contains_key(&partition) {
            loop {
                let restored = restore_partition(
                    &self.settings.brokers,
                    &self.settings.sessions_topic,
                    partition,
                    self.settings.sessions,
                )
                .await;
                match restored {
                    Ok(sessionizer) => {
                        metrics::counter!(telemetry::SESSIONS_RESTORED).increment(1);
                        sessionizers.insert(partition, sessionizer);
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, partition, "session restore failed; retrying");
                        if *stop.borrow() {
                            return None;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
        sessionizers.get_mut(&partition)
    }

    /// Writes dead letters and returns once the broker took each, or refused it for good: a dead
    /// letter the broker refuses is counted and logged, as nothing further can hold it.
    async fn dead_letters(
        &self,
        letters: Vec<Outgoing>,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let refused = self
            .watched(deliver_all(self.producer, letters, stop))
            .await?;
        if !refused.is_empty() {
            metrics::counter!(telemetry::DEAD_LETTERS_REFUSED).increment(refused.len() as u64);
        }
        Ok(())
    }

    /// Dead letters acknowledged, rows inserted, changelog acknowledged, then offsets committed
    /// (never past a record still waiting for DNS). The batch's hits that wait for DNS stay in
    /// `waiting`; those of earlier batches whose wait ended go with it.
    async fn flush(
        &self,
        mut batch: Batch,
        waiting: &mut Waiting,
        release: Release,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let now = Instant::now();
        waiting.admit(&mut batch, now);
        waiting.release_due(&mut batch, now, release);
        if batch.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let mut letters = Vec::with_capacity(batch.dead_letters.len());
        for letter in &batch.dead_letters {
            letters.push(Outgoing::dead_letter(
                letter,
                &self.settings.deadletter_topic,
            )?);
        }
        self.dead_letters(letters, stop).await?;
        let refused = self.watched(self.sink.write(&batch, stop)).await?;
        if !refused.is_empty() {
            let letters = refused_letters(&batch, &refused, self.settings)?;
            self.dead_letters(letters, stop).await?;
        }
        let mut changelog = Vec::with_capacity(batch.sessions.len());
        for (partition, update) in batch.sessions.values() {
            changelog.push(Outgoing {
                topic: self.settings.sessions_topic.clone(),
                partition: Some(*partition),
                key: visitor_key(update.property_id, &update.visitor_id),
                payload: schemas::encode(update)?,
            });
        }
        let records = changelog.len();
        let refused = self
            .watched(deliver_all(self.producer, changelog, stop))
            .await?;
        if !refused.is_empty() {
            // The rows are in ClickHouse; a restart restores these sessions from their previous
            // state. The record itself is kept on the dead-letter topic.
            let letters = refused_changelog_letters(refused, self.settings)?;
            self.dead_letters(letters, stop).await?;
        }
        metrics::counter!(telemetry::CHANGELOG_RECORDS).increment(records as u64);
        let mut offsets = TopicPartitionList::new();
        for (partition, next) in waiting.commit_offsets(&batch) {
            offsets.add_partition_offset(
                &self.settings.beacons_topic,
                partition,
                Offset::Offset(next),
            )?;
        }
        // Everything is durable by now: a failed commit (a partition just revoked) only means
        // the next owner re-reads records whose output it recognises.
        if let Err(error) = self.consumer.commit(&offsets, CommitMode::Sync) {
            tracing::warn!(%error, "offset commit failed");
        }
        self.record_lag(&batch);
        metrics::histogram!(telemetry::BATCH_SECONDS).record(started.elapsed().as_secs_f64());
        Ok(())
    }
}
