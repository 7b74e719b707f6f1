//! Rebuilds one input partition's sessionizer from its co-partition of `optiview.sessions.v1`,
//! read from the start to its end. The end is found with the fetch-side end-of-partition signal,
//! not ListOffsets, which the local broker can misreport.

use std::time::Duration;

use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use schemas::session::SessionUpdate;
use schemas::topics::parse_visitor_key;
use schemas::SchemaRegistry;

use crate::sessionize::changelog::to_restored;
use crate::sessionize::{SessionConfig, Sessionizer};

/// Longest wait for the next record (or the end) before the restore is abandoned and retried.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

/// Reading to the end is the point here: librdkafka's end-of-partition is not an error to log.
pub struct ReadToEnd;

impl ClientContext for ReadToEnd {
    fn error(&self, error: KafkaError, reason: &str) {
        if !matches!(error, KafkaError::PartitionEOF(_)) {
            tracing::error!(%error, reason, "librdkafka error");
        }
    }
}

impl ConsumerContext for ReadToEnd {}

/// A consumer outside any group that reports the end of each assigned partition.
pub fn read_to_end_consumer(
    brokers: &str,
) -> rdkafka::error::KafkaResult<StreamConsumer<ReadToEnd>> {
    platform::kafka::consumer_config(brokers, "optiview-read-to-end")
        .set("enable.partition.eof", "true")
        .create_with_context(ReadToEnd)
}

pub async fn restore_partition(
    brokers: &str,
    topic: &str,
    partition: i32,
    config: SessionConfig,
) -> anyhow::Result<Sessionizer> {
    let consumer = read_to_end_consumer(brokers)?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, partition, Offset::Beginning)?;
    consumer.assign(&assignment)?;
    let registry = SchemaRegistry::builtin();
    let mut sessionizer = Sessionizer::new(config);
    let mut records = 0u64;
    loop {
        match tokio::time::timeout(IDLE_LIMIT, consumer.recv()).await {
            Err(_) => {
                anyhow::bail!("restore of {topic}/{partition} stalled after {records} records")
            }
            Ok(Err(KafkaError::PartitionEOF(_))) => break,
            Ok(Err(error)) => return Err(error.into()),
            Ok(Ok(message)) => {
                // A tombstone: the visitor's state moved to another partition (rebuild-sessions).
                let Some(bytes) = message.payload() else {
                    let key = message.key().and_then(|k| std::str::from_utf8(k).ok());
                    if let Some((property_id, visitor_id)) = key.and_then(parse_visitor_key) {
                        sessionizer.forget(property_id, visitor_id);
                    }
                    continue;
                };
                match registry.decode::<SessionUpdate>(bytes).map(to_restored) {
                    Ok(Some(restored)) => {
                        sessionizer.restore(restored);
                        records += 1;
                    }
                    Ok(None) => tracing::warn!(
                        offset = message.offset(),
                        "changelog record with a foreign session id skipped"
                    ),
                    Err(error) => {
                        tracing::warn!(%error, offset = message.offset(), "changelog record skipped")
                    }
                }
            }
        }
    }
    sessionizer.finish_restore();
    tracing::info!(
        topic,
        partition,
        records,
        visitors = sessionizer.visitors(),
        "sessions restored"
    );
    Ok(sessionizer)
}
