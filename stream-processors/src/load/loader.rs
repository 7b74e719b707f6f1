//! The processor loop: consumes optiview.beacons.v1, enriches and sessionizes each beacon, and
//! writes the rows to ClickHouse and each changed session to optiview.sessions.v1 (on the input's
//! partition). Pipelined: a sealed batch is written by its own task (`super::writer`: dead letters
//! and the five inserts at once, then the changelog) while the loop enriches the next, with at
//! most `max_in_flight` batches written at once. Offsets are committed in batch order, each
//! batch's only once it and every batch before it are durable. So a crash re-reads at most the
//! uncommitted batches: the restored sessions recognise the events they already hold, and the
//! deduplication tokens (or, for a batch cut differently after a restart, the tables'
//! ReplacingMergeTree on the event id) keep rows single.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use platform::control_follower::ControlHandle;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;

use super::batch::Batch;
use super::changelog_reader::restore_partition;
use super::deferred::settle;
use super::in_flight::{Durable, InFlight};
use super::input::{input_consumer, InputConsumer};
use super::process::{Position, Processor};
use super::sink::Sink;
use super::waiting::{Release, Waiting};
use super::writer::Writer;
use crate::enrich::enricher::Enricher;
use crate::ops::backlog::{self, Backlog};
use crate::ops::status::{lag_behind, Status};
use crate::ops::watchdog::{check_period, Observation, Rejoins, Stuck, Watchdog};
use crate::sessionize::{SessionConfig, Sessionizer};
use crate::telemetry;

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
    /// Sealed batches written at once while the next one fills; a full pipeline stops
    /// consumption until the oldest is durable.
    pub max_in_flight: usize,
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
    pub sink: Sink,
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
        let writer = Arc::new(Writer::new(
            producer,
            sink,
            status.clone(),
            settings.beacons_topic.clone(),
            settings.sessions_topic.clone(),
            settings.deadletter_topic.clone(),
        ));
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
                writer: &writer,
                settings: &settings,
                processor: &processor,
                control: &control,
            };
            let ended = member.consume(&backlog, &mut watchdog, &mut stop).await?;
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
    writer: &'a Arc<Writer>,
    settings: &'a LoaderSettings,
    processor: &'a Processor,
    control: &'a ControlHandle,
}

/// What a member holds between records: the partitions' sessions, the batch filling, the hits
/// waiting for DNS and the batches being written.
struct Holding {
    sessionizers: HashMap<i32, Sessionizer>,
    batch: Batch,
    waiting: Waiting,
    in_flight: InFlight,
}

impl Member<'_> {
    /// Consumes until stopped or stuck; what it holds is written before it returns.
    async fn consume(
        &self,
        backlog: &Backlog,
        watchdog: &mut Watchdog,
        stop: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Ended> {
        let consumer = self.consumer;
        let settings = self.settings;
        let dns = self.processor.enricher.reverse_dns.clone();
        let (max_waiting, lookup_timeout) = dns.as_ref().map_or((0, Duration::ZERO), |d| {
            (d.settings().max_waiting, d.settings().timeout)
        });
        // A lookup ends within its timeout; the batches after it carry its hits.
        let max_wait = lookup_timeout + 2 * settings.batch_period;
        let mut held = Holding {
            sessionizers: HashMap::new(),
            batch: Batch::default(),
            waiting: Waiting::new(dns, max_waiting, max_wait),
            in_flight: InFlight::new(settings.max_in_flight),
        };
        let mut deadline = Instant::now() + settings.batch_period;
        let mut check = tokio::time::interval(settings.watchdog_period());
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Since the previous watchdog check, and over this member's life.
        let (mut progressed, mut ever_progressed) = (false, false);
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    self.let_go_revoked(&mut held, stop).await?;
                    self.seal(&mut held, Release::All, stop).await?;
                    self.drain(&mut held).await?;
                    return Ok(Ended::Stopped);
                }
                _ = check.tick() => {
                    self.let_go_revoked(&mut held, stop).await?;
                    let seen = Observation {
                        assigned: consumer.assignment().map(|a| a.count()).unwrap_or(0),
                        progressed,
                        group: backlog.get(),
                    };
                    progressed = false;
                    if let Some(why) = watchdog.check(Instant::now(), seen, self.status) {
                        self.seal(&mut held, Release::All, stop).await?;
                        self.drain(&mut held).await?;
                        return Ok(Ended::Stuck { why, progressed: ever_progressed });
                    }
                }
                durable = held.in_flight.next_durable() => {
                    let mut durable = durable?;
                    let revoked = self.revoked();
                    durable.commit.retain(|(partition, _)| !revoked.contains(partition));
                    self.commit(durable);
                    self.let_go(&mut held, revoked, stop).await?;
                }
                received = tokio::time::timeout_at(deadline.into(), consumer.recv()) => {
                    self.let_go_revoked(&mut held, stop).await?;
                    match received {
                        Ok(Ok(message)) => {
                            (progressed, ever_progressed) = (true, true);
                            let Some(sessionizer) =
                                self.sessionizer(&mut held.sessionizers, message.partition(), stop).await
                            else {
                                continue; // stopping during a restore
                            };
                            let now = chrono::Utc::now().timestamp_millis();
                            self.processor.process(
                                &self.control.view(),
                                sessionizer,
                                position(&message),
                                message.payload().unwrap_or_default(),
                                now,
                                &mut held.batch,
                            );
                            if held.batch.records() >= settings.batch_rows {
                                self.seal(&mut held, Release::Due, stop).await?;
                                deadline = Instant::now() + settings.batch_period;
                            }
                        }
                        Ok(Err(error)) => tracing::warn!(%error, "consume error"),
                        Err(_) => {
                            // Also when idle: held hits whose lookups ended leave now.
                            self.seal(&mut held, Release::Due, stop).await?;
                            self.note_assignment();
                            deadline = Instant::now() + settings.batch_period;
                            let visitors: usize =
                                held.sessionizers.values().map(Sessionizer::visitors).sum();
                            metrics::gauge!(telemetry::ACTIVE_VISITORS).set(visitors as f64);
                        }
                    }
                }
            }
        }
    }

    /// For /readyz: which partitions this member holds (after a rebalance, then once a batch or a
    /// batch period).
    fn note_assignment(&self) {
        let assigned = self.consumer.assignment().map_or_else(
            |_| Vec::new(),
            |a| a.elements().iter().map(|e| e.partition()).collect(),
        );
        self.status.set_assigned(assigned);
    }

    /// The partitions revoked since the last look (only the consumer's poll revokes).
    fn revoked(&self) -> BTreeSet<i32> {
        self.consumer.context().take_revoked().into_iter().collect()
    }

    async fn let_go_revoked(
        &self,
        held: &mut Holding,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let revoked = self.revoked();
        self.let_go(held, revoked, stop).await
    }

    /// Partitions this member no longer owns: what it read of them is sealed and written with
    /// everything in flight, none of it committed for them (the revoke waited for the writes
    /// that were running, `super::input`; the next owner re-reads and recognises the rest).
    /// Their sessions are dropped, to be restored afresh if they come back — after these writes,
    /// so the restore holds them.
    async fn let_go(
        &self,
        held: &mut Holding,
        revoked: BTreeSet<i32>,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        if revoked.is_empty() {
            return Ok(());
        }
        for partition in &revoked {
            held.waiting.revoke(*partition);
        }
        held.in_flight.disown(&revoked);
        held.batch.disown_sessions(&revoked);
        self.seal_disowning(held, Release::Due, stop, &revoked)
            .await?;
        self.drain(held).await?;
        for partition in &revoked {
            held.sessionizers.remove(partition);
            held.waiting.forget(*partition);
            self.status.forget_partition(*partition);
        }
        self.note_assignment();
        Ok(())
    }

    async fn seal(
        &self,
        held: &mut Holding,
        release: Release,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        self.seal_disowning(held, release, stop, &BTreeSet::new())
            .await
    }

    /// Ends the batch filling and starts its write, once the pipeline has room (the oldest
    /// batches are awaited and committed until it has). The batch's hits that wait for DNS stay
    /// in `waiting`; those of earlier batches whose wait ended go with it. Its offsets, computed
    /// now, never pass a record still waiting, and are committed for no `disowned` partition.
    async fn seal_disowning(
        &self,
        held: &mut Holding,
        release: Release,
        stop: &watch::Receiver<bool>,
        disowned: &BTreeSet<i32>,
    ) -> anyhow::Result<()> {
        self.note_assignment();
        let mut batch = std::mem::take(&mut held.batch);
        // Signed hits that waited for their signer's key directory are enriched first: one may
        // then wait for DNS like any other.
        settle(self.processor, self.control, &mut batch, stop).await;
        let now = Instant::now();
        held.waiting.admit(&mut batch, now);
        held.waiting.release_due(&mut batch, now, release);
        if batch.is_empty() {
            return Ok(());
        }
        while held.in_flight.is_full() {
            let durable = held.in_flight.next_durable().await?;
            self.commit(durable);
        }
        let mut commit = held.waiting.commit_offsets(&batch);
        commit.retain(|(partition, _)| !disowned.contains(partition));
        let read = batch.commit_offsets();
        let writer = self.writer.clone();
        let stop = stop.clone();
        let running = self.consumer.context().writes().start();
        held.in_flight.push(commit, read, |turn| {
            tokio::spawn(async move {
                let _running = running;
                writer.write(batch, turn, stop).await
            })
        });
        Ok(())
    }

    /// Awaits and commits every batch in flight, oldest first.
    async fn drain(&self, held: &mut Holding) -> anyhow::Result<()> {
        while !held.in_flight.is_empty() {
            let durable = held.in_flight.next_durable().await?;
            self.commit(durable);
        }
        Ok(())
    }

    /// Commits a durable batch's offsets (every batch before it is committed already).
    fn commit(&self, durable: Durable) {
        if !durable.commit.is_empty() {
            let mut offsets = TopicPartitionList::new();
            for (partition, next) in &durable.commit {
                if let Err(error) = offsets.add_partition_offset(
                    &self.settings.beacons_topic,
                    *partition,
                    Offset::Offset(*next),
                ) {
                    tracing::warn!(%error, partition, "offset not committed");
                }
            }
            // Everything is durable by now: a failed commit (a partition just revoked) only
            // means the next owner re-reads records whose output it recognises.
            if let Err(error) = self.consumer.commit(&offsets, CommitMode::Sync) {
                tracing::warn!(%error, "offset commit failed");
            }
        }
        self.record_lag(&durable.read);
        metrics::histogram!(telemetry::BATCH_SECONDS)
            .record(durable.sealed.elapsed().as_secs_f64());
    }

    /// Lag per partition from the high watermark fetch responses reported.
    fn record_lag(&self, read: &[(i32, i64)]) {
        for &(partition, next) in read {
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

    /// The partition's sessionizer, restored from the changelog on first use after an assignment
    /// — with every other assigned partition not restored yet, all at once: restores are round
    /// trips that would otherwise interrupt consumption one partition after the other. Retries
    /// a failed restore of `partition` until it succeeds; None only when stopping.
    async fn sessionizer<'s>(
        &self,
        sessionizers: &'s mut HashMap<i32, Sessionizer>,
        partition: i32,
        stop: &watch::Receiver<bool>,
    ) -> Option<&'s mut Sessionizer> {
        if !sessionizers.contains_key(&partition) {
            let mut missing: BTreeSet<i32> = self
                .consumer
                .assignment()
                .map(|a| a.elements().iter().map(|e| e.partition()).collect())
                .unwrap_or_default();
            missing.insert(partition);
            missing.retain(|p| !sessionizers.contains_key(p));
            self.note_assignment();
            loop {
                let restores = missing.iter().map(|&p| async move {
                    let restored = restore_partition(
                        &self.settings.brokers,
                        &self.settings.sessions_topic,
                        p,
                        self.settings.sessions,
                    )
                    .await;
                    (p, restored)
                });
                for (p, restored) in futures::future::join_all(restores).await {
                    match restored {
                        Ok(sessionizer) => {
                            metrics::counter!(telemetry::SESSIONS_RESTORED).increment(1);
                            sessionizers.insert(p, sessionizer);
                        }
                        Err(error) => {
                            tracing::warn!(%error, partition = p, "session restore failed; retrying");
                        }
                    }
                }
                if sessionizers.contains_key(&partition) {
                    break;
                }
                if *stop.borrow() {
                    return None;
                }
                // Only the partition asked for is retried; the others restore on first use.
                missing = BTreeSet::from([partition]);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        sessionizers.get_mut(&partition)
    }
}
