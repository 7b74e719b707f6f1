//! The durable sink: every record acknowledged by the broker (acks=all, idempotent) before the
//! batch resolves, with a bound on what may wait for acknowledgement, failing fast while the
//! broker is known to be down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use tokio::sync::Semaphore;

use super::breaker::{Admit, Breaker};
use super::{BeaconSink, Record, SinkError, SinkFuture};
use crate::telemetry;

pub struct KafkaSink {
    producer: FutureProducer,
    topic: String,
    ack_timeout: Duration,
    in_flight: Arc<Semaphore>,
    reachable: Arc<AtomicBool>,
    breaker: Breaker,
}

impl KafkaSink {
    pub fn new(
        producer: FutureProducer,
        topic: String,
        ack_timeout: Duration,
        max_in_flight: usize,
    ) -> Self {
        let sink = Self {
            producer,
            topic,
            ack_timeout,
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            reachable: Arc::new(AtomicBool::new(false)),
            breaker: Breaker::new(Duration::from_secs(1)),
        };
        sink.spawn_probe();
        sink
    }

    /// Refreshes broker reachability every 2 s from a metadata request (off the request path).
    fn spawn_probe(&self) {
        let producer = self.producer.clone();
        let reachable = self.reachable.clone();
        let topic = self.topic.clone();
        tokio::spawn(async move {
            loop {
                let producer = producer.clone();
                let topic = topic.clone();
                let ok = tokio::task::spawn_blocking(move || {
                    producer
                        .client()
                        .fetch_metadata(Some(&topic), Duration::from_secs(2))
                        .is_ok()
                })
                .await
                .unwrap_or(false);
                reachable.store(ok, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }

    /// Waits for everything already acknowledged to the client to be delivered (shutdown).
    pub fn flush(&self, timeout: Duration) {
        if let Err(error) = self.producer.flush(Timeout::After(timeout)) {
            tracing::error!(%error, "flush on shutdown did not complete");
        }
    }
}

impl BeaconSink for KafkaSink {
    fn send_batch(&self, records: Vec<Record>) -> SinkFuture<'_> {
        Box::pin(async move {
            let count = u32::try_from(records.len()).map_err(|_| SinkError::Overloaded)?;
            let reachable = self.reachable();
            if self.breaker.admit(Instant::now(), reachable) == Admit::Refuse {
                metrics::counter!(telemetry::PRODUCE_SHORT_CIRCUITED).increment(1);
                return Err(SinkError::Unavailable);
            }
            // No waiting for permits: when the broker is slow, answer 503 now instead of piling up.
            let _permits = self
                .in_flight
                .try_acquire_many(count)
                .map_err(|_| SinkError::Overloaded)?;
            metrics::gauge!(telemetry::IN_FLIGHT).increment(f64::from(count));
            let deliveries = records.iter().map(|record| {
                let future_record = FutureRecord::to(&self.topic)
                    .key(&record.key)
                    .payload(&record.payload);
                self.producer
                    .send(future_record, Timeout::After(self.ack_timeout))
            });
            let results = tokio::time::timeout(self.ack_timeout, join_all(deliveries)).await;
            metrics::gauge!(telemetry::IN_FLIGHT).decrement(f64::from(count));
            let all_acked = matches!(&results, Ok(results) if results.iter().all(Result::is_ok));
            self.breaker.record(all_acked);
            if all_acked {
                metrics::counter!(telemetry::EVENTS_PRODUCED).increment(u64::from(count));
                Ok(())
            } else {
                metrics::counter!(telemetry::PRODUCE_ERRORS).increment(1);
                Err(SinkError::Unavailable)
            }
        })
    }

    fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }
}
