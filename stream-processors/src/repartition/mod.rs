//! `stream-processors rebuild-sessions`: after the visitor-keyed topics grew (README § Growing
//! partitions), moves every visitor's session state on `optiview.sessions.v1` to the partition
//! its beacons now go to, so the loader of that partition restores it and the visitor's next
//! page view continues its session. Moved state is copied first (with nothing of its new
//! partition applied) and tombstoned on its old partition only once every copy is acknowledged,
//! so an interrupted rebuild loses nothing and running it again finishes the job. Run with every
//! loader stopped: a loader writing meanwhile would race the copies.

pub mod plan;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use platform::kafka::admin::partition_counts;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use schemas::session::SessionUpdate;
use schemas::SchemaRegistry;
use serde::Serialize;

use crate::load::changelog_reader::read_to_end_consumer;
use plan::{plan, Record};

/// Longest wait for the next changelog record (or the end) before the rebuild gives up.
const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// Records awaiting their acknowledgement at once.
const IN_FLIGHT: usize = 1_000;

pub struct Rebuild<'a> {
    pub brokers: &'a str,
    pub beacons_topic: &'a str,
    pub sessions_topic: &'a str,
    /// The visitor partition count both topics must already have.
    pub partitions: i32,
    /// Report what would move without writing.
    pub dry_run: bool,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    pub partitions: i32,
    pub dry_run: bool,
    /// Changelog records read.
    pub records: u64,
    /// Records that could not be decoded (a restore skips them too; left where they are).
    pub unreadable: u64,
    /// Visitors with state, and how many of them were already on their partition.
    pub visitors: usize,
    pub in_place: usize,
    /// Visitors moved, and the records written for them (copies and tombstones).
    pub moved: usize,
    pub copies: usize,
    pub tombstones: usize,
    /// Visitors per partition afterwards.
    pub visitors_per_partition: BTreeMap<i32, usize>,
}

pub async fn rebuild(job: Rebuild<'_>) -> anyhow::Result<Report> {
    let topics = [job.beacons_topic, job.sessions_topic];
    let counts = partition_counts(job.brokers, &topics)?;
    for topic in topics {
        match counts.get(topic) {
            Some(&n) if n == job.partitions => {}
            Some(&n) => anyhow::bail!(
                "{topic} has {n} partitions, not {}: grow both topics first (query-api topics --grow with OPTIVIEW_VISITOR_PARTITIONS={})",
                job.partitions,
                job.partitions
            ),
            None => anyhow::bail!("{topic} does not exist"),
        }
    }
    let (records, unreadable) = read_all(job.brokers, job.sessions_topic, job.partitions).await?;
    let read = records.len() as u64 + unreadable;
    let plan = plan(records, job.partitions);
    let report = Report {
        partitions: job.partitions,
        dry_run: job.dry_run,
        records: read,
        unreadable,
        visitors: plan.visitors,
        in_place: plan.in_place,
        moved: plan
            .moves
            .iter()
            .map(|m| m.key.as_slice())
            .collect::<HashSet<_>>()
            .len(),
        copies: plan.moves.iter().map(|m| m.records.len()).sum(),
        tombstones: plan.moves.len(),
        visitors_per_partition: plan.visitors_per_partition,
    };
    if job.dry_run {
        return Ok(report);
    }
    let producer: FutureProducer = platform::kafka::producer_config(job.brokers).create()?;
    let copies: Vec<(&[u8], i32, Vec<u8>)> = plan
        .moves
        .iter()
        .flat_map(|m| m.records.iter().map(move |r| (m.key.as_slice(), m.to, r)))
        .map(|(key, to, r)| Ok((key, to, schemas::encode(r)?)))
        .collect::<Result<_, schemas::EncodeError>>()?;
    // Every copy is acknowledged before the first tombstone: a crash in between leaves state on
    // both partitions, which the next run resolves (plan.rs), never on neither.
    let sessions_topic = job.sessions_topic;
    stream::iter(copies.iter())
        .map(|(key, to, payload)| {
            let producer = &producer;
            async move {
                producer
                    .send(
                        FutureRecord::to(sessions_topic)
                            .key(*key)
                            .partition(*to)
                            .payload(payload),
                        Duration::from_secs(30),
                    )
                    .await
                    .map_err(|(error, _)| error)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    stream::iter(plan.moves.iter())
        .map(|m| {
            let producer = &producer;
            async move {
                producer
                    .send(
                        FutureRecord::<[u8], [u8]>::to(sessions_topic)
                            .key(&m.key)
                            .partition(m.from),
                        Duration::from_secs(30),
                    )
                    .await
                    .map_err(|(error, _)| error)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(report)
}

/// Every record of every partition of `topic`, each partition's in offset order, read to its
/// end (the fetch-side end-of-partition signal, as the loader's restore reads it); and how many
/// records could not be decoded.
async fn read_all(
    brokers: &str,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<(Vec<Record>, u64)> {
    let consumer = read_to_end_consumer(brokers)?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment.add_partition_offset(topic, partition, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let registry = SchemaRegistry::builtin();
    let mut ended = HashSet::new();
    let (mut records, mut unreadable) = (Vec::new(), 0u64);
    while ended.len() < partitions as usize {
        match tokio::time::timeout(IDLE_LIMIT, consumer.recv()).await {
            Err(_) => anyhow::bail!(
                "reading {topic} stalled after {} records ({} of {partitions} partitions read)",
                records.len(),
                ended.len()
            ),
            Ok(Err(KafkaError::PartitionEOF(partition))) => {
                ended.insert(partition);
            }
            Ok(Err(error)) => return Err(error.into()),
            Ok(Ok(message)) => {
                let Some(key) = message.key() else {
                    unreadable += 1;
                    continue;
                };
                let update = match message.payload() {
                    None => None,
                    Some(bytes) => match registry.decode::<SessionUpdate>(bytes) {
                        Ok(update) => Some(update),
                        Err(error) => {
                            tracing::warn!(%error, partition = message.partition(), offset = message.offset(), "changelog record skipped");
                            unreadable += 1;
                            continue;
                        }
                    },
                };
                records.push(Record {
                    partition: message.partition(),
                    key: key.to_vec(),
                    update,
                });
            }
        }
    }
    Ok((records, unreadable))
}
