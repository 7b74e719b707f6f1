//! The loader: consumes optiview.beacons.v1, enriches each beacon, and writes the rows to
//! ClickHouse. A batch is durable (dead letters acknowledged, every insert done) before its
//! offsets are committed, so a crash re-reads it and the deduplication tokens (or, for a batch cut
//! differently after a restart, the tables' ReplacingMergeTree on the event id) keep rows single.

use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use schemas::beacon::Beacon;
use schemas::control::ControlHandle;
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::{DecodeError, SchemaRegistry};
use tokio::sync::watch;

use super::batch::Batch;
use super::sink::ClickHouseSink;
use crate::enrich::enricher::{Enricher, PropertyContext, Rejection};
use crate::enrich::page::ContentRules;
use crate::telemetry;

const STAGE: &str = "loader";

pub struct LoaderSettings {
    pub beacons_topic: String,
    pub deadletter_topic: String,
    pub batch_rows: usize,
    pub batch_period: Duration,
}

pub struct Loader {
    pub consumer: StreamConsumer,
    pub producer: FutureProducer,
    pub sink: ClickHouseSink,
    pub control: ControlHandle,
    pub enricher: Enricher,
    pub settings: LoaderSettings,
}

impl Loader {
    /// Runs until `stop` turns true, then writes what it holds and returns.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        self.consumer.subscribe(&[&self.settings.beacons_topic])?;
        let registry = SchemaRegistry::builtin();
        let rules = ContentRules::default();
        let mut batch = Batch::default();
        let mut deadline = Instant::now() + self.settings.batch_period;
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    self.flush(std::mem::take(&mut batch), &stop).await?;
                    return Ok(());
                }
                received = tokio::time::timeout_at(deadline.into(), self.consumer.recv()) => {
                    match received {
                        Ok(Ok(message)) => {
                            self.process(&registry, &rules, &message, &mut batch);
                            if batch.records() >= self.settings.batch_rows {
                                self.flush(std::mem::take(&mut batch), &stop).await?;
                                deadline = Instant::now() + self.settings.batch_period;
                            }
                        }
                        Ok(Err(error)) => tracing::warn!(%error, "consume error"),
                        Err(_) => {
                            self.flush(std::mem::take(&mut batch), &stop).await?;
                            deadline = Instant::now() + self.settings.batch_period;
                        }
                    }
                }
            }
        }
    }

    fn process(
        &self,
        registry: &SchemaRegistry,
        rules: &ContentRules,
        message: &BorrowedMessage<'_>,
        batch: &mut Batch,
    ) {
        metrics::counter!(telemetry::RECORDS_CONSUMED).increment(1);
        batch.saw(message.partition(), message.offset());
        let bytes = message.payload().unwrap_or_default();
        let outcome = registry
            .decode::<Beacon>(bytes)
            .map_err(|e| Rejection {
                reason: match e {
                    DecodeError::UnknownFingerprint(_) => DeadLetterReason::UnknownSchema,
                    _ => DeadLetterReason::Undecodable,
                },
                detail: e.to_string(),
            })
            .and_then(|beacon| {
                let view = self.control.view();
                let property = view.property(beacon.property_id);
                let project = property.and_then(|p| view.project(&p.project_id));
                let organization = project.and_then(|p| view.organization(&p.organization_id));
                match (project, organization) {
                    (Some(project), Some(org)) if project.id == beacon.project_id => {
                        let ctx = PropertyContext {
                            organization_id: &org.id,
                            retention_days: u16::try_from(org.plan.event_retention_days())
                                .unwrap_or(u16::MAX),
                            content_rules: rules,
                        };
                        self.enricher
                            .enrich(&beacon, &ctx, chrono::Utc::now().timestamp_millis())
                    }
                    _ => Err(Rejection {
                        reason: DeadLetterReason::UnknownProperty,
                        detail: format!(
                            "property {} of project {} is not in the control plane",
                            beacon.property_id, beacon.project_id
                        ),
                    }),
                }
            });
        match outcome {
            Ok(enriched) => {
                if let Some(referral) = enriched.event.ai_referral() {
                    batch.ai_referrals.push(referral);
                }
                if let Some(hit) = enriched.crawler_hit {
                    batch.crawler_hits.push(hit);
                }
                batch.events.push(enriched.event);
            }
            Err(rejection) => {
                metrics::counter!(telemetry::DEAD_LETTERS, "reason" => format!("{:?}", rejection.reason))
                    .increment(1);
                batch.dead_letters.push(DeadLetter {
                    at: chrono::Utc::now().timestamp_millis(),
                    stage: STAGE.into(),
                    source_topic: self.settings.beacons_topic.clone(),
                    source_partition: message.partition(),
                    source_offset: message.offset(),
                    reason: rejection.reason,
                    detail: rejection.detail,
                    original: bytes.to_vec(),
                });
            }
        }
    }

    /// Dead letters acknowledged, rows inserted, then offsets committed.
    async fn flush(&self, batch: Batch, stop: &watch::Receiver<bool>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        for letter in &batch.dead_letters {
            let payload = schemas::encode(letter)?;
            let key = format!("{}:{}", letter.source_topic, letter.source_partition);
            loop {
                let record = FutureRecord::to(&self.settings.deadletter_topic)
                    .key(&key)
                    .payload(&payload);
                match self.producer.send(record, Duration::from_secs(10)).await {
                    Ok(_) => break,
                    Err((error, _)) => {
                        tracing::warn!(%error, "dead letter not acknowledged; retrying");
                        if *stop.borrow() {
                            anyhow::bail!("stopping with an unacknowledged dead letter");
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        }
        self.sink.write(&batch, stop).await?;
        let mut offsets = TopicPartitionList::new();
        for (partition, next) in batch.commit_offsets() {
            offsets.add_partition_offset(
                &self.settings.beacons_topic,
                partition,
                Offset::Offset(next),
            )?;
        }
        self.consumer.commit(&offsets, CommitMode::Sync)?;
        metrics::histogram!(telemetry::BATCH_SECONDS).record(started.elapsed().as_secs_f64());
        Ok(())
    }
}
