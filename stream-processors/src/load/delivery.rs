//! Produces a batch's Kafka output (dead letters, changelog records) and returns only once the
//! broker acknowledged every record: what is not acknowledged is sent again after a pause.

use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::watch;

pub struct Outgoing {
    pub topic: String,
    /// Set for co-partitioned output (the changelog lands on its input's partition number).
    pub partition: Option<i32>,
    pub key: String,
    pub payload: Vec<u8>,
}

pub async fn deliver_all(
    producer: &FutureProducer,
    mut pending: Vec<Outgoing>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<()> {
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
            if let Err((error, _)) = result {
                tracing::warn!(%error, topic = %out.topic, "record not acknowledged; retrying");
                failed.push(out);
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
    Ok(())
}
