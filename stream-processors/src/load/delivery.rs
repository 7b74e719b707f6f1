//! Produces a batch's Kafka output (dead letters, changelog records) and returns once the broker
//! acknowledged every record it will ever take: what failed transiently is sent again after a
//! pause; what it refuses for good (`platform::kafka::errors`) is handed back to the caller,
//! which decides where it goes, so one oversized record never stalls the loop.

use std::time::Duration;

use platform::kafka::errors::{classify, Retry};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::watch;

pub struct Outgoing {
    pub topic: String,
    /// Set for co-partitioned output (the changelog lands on its input's partition number).
    pub partition: Option<i32>,
    pub key: String,
    pub payload: Vec<u8>,
}

impl Outgoing {
    /// `letter` for the dead-letter `topic`, keyed by where the rejected record came from.
    pub fn dead_letter(
        letter: &schemas::deadletter::DeadLetter,
        topic: &str,
    ) -> Result<Self, schemas::EncodeError> {
        Ok(Self {
            topic: topic.to_owned(),
            partition: None,
            key: letter.key(),
            payload: schemas::encode(letter)?,
        })
    }
}

/// A record the broker will never take.
pub struct Refused {
    pub record: Outgoing,
    pub error: KafkaError,
}

pub async fn deliver_all(
    producer: &FutureProducer,
    mut pending: Vec<Outgoing>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<Vec<Refused>> {
    let mut refused = Vec::new();
    while !pending.is_empty() {
        let sends = pending.iter().map(|out| {
            let mut record = FutureRecord::to(&out.topic)
                .key(&out.key)
                .payload(&out.payload);
            if let Some(partition) = out.partition {
                record = record.partition(partition);
            }
            producer.send(record, Duration::from_secs(10))
        });
        let results = futures::future::join_all(sends).await;
        let mut failed = Vec::new();
        for (out, result) in pending.into_iter().zip(results) {
            match result {
                Ok(_) => {}
                Err((error, _)) if classify(&error) == Retry::Permanent => {
                    tracing::error!(%error, topic = %out.topic, bytes = out.payload.len(), "record refused for good");
                    refused.push(Refused { record: out, error });
                }
                Err((error, _)) => {
                    tracing::warn!(%error, topic = %out.topic, "record not acknowledged; retrying");
                    failed.push(out);
                }
            }
        }
        if !failed.is_empty() {
            if *stop.borrow() {
                anyhow::bail!("stopping with {} unacknowledged records", failed.len());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        pending = failed;
    }
    Ok(refused)
}
