//! The only writer of `optiview.control.v1`: validates a command against its own view, produces
//! the resulting events, and answers only once its view has applied them (read-your-writes).

use std::time::Duration;

use platform::control_follower::{ControlHandle, FollowerError};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::control::{CommandError, Decide};
use schemas::{encode, EncodeError};
use tokio::sync::Mutex;

/// How long a write waits for the broker and then for its own view.
const WRITE_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Rejected(#[from] CommandError),
    #[error("encoding a control event: {0}")]
    Encode(#[from] EncodeError),
    #[error("the broker did not accept the control event: {0}")]
    Produce(rdkafka::error::KafkaError),
    #[error(transparent)]
    View(#[from] FollowerError),
}

impl WriteError {
    /// Rejections are the caller's to fix; everything else may succeed on retry.
    pub fn is_retryable(&self) -> bool {
        matches!(self, WriteError::Produce(_) | WriteError::View(_))
    }
}

pub struct ControlWriter {
    producer: FutureProducer,
    topic: String,
    view: ControlHandle,
    /// Serializes decide → produce → apply, so two commands never validate against the same
    /// stale view (unique ids, next property id). One writer process per deployment.
    write_lock: Mutex<()>,
}

impl ControlWriter {
    pub fn new(producer: FutureProducer, topic: impl Into<String>, view: ControlHandle) -> Self {
        Self {
            producer,
            topic: topic.into(),
            view,
            write_lock: Mutex::new(()),
        }
    }

    pub fn view(&self) -> &ControlHandle {
        &self.view
    }

    /// Validates and applies `command`; returns what it created or changed once the view
    /// reflects it.
    pub async fn submit<C: Decide>(
        &self,
        actor: &str,
        command: &C,
    ) -> Result<C::Outcome, WriteError> {
        let _guard = self.write_lock.lock().await;
        let now = chrono::Utc::now().timestamp_millis();
        let decision = self.view.view().decide(actor, now, command)?;
        let mut last_offset = None;
        for event in &decision.events {
            let payload = encode(event)?;
            let record = FutureRecord::to(&self.topic)
                .key(&event.entity_id)
                .payload(&payload);
            let delivery = self
                .producer
                .send(record, WRITE_TIMEOUT)
                .await
                .map_err(|(error, _)| WriteError::Produce(error))?;
            last_offset = Some(delivery.offset);
        }
        if let Some(offset) = last_offset {
            self.view.wait_applied(offset, WRITE_TIMEOUT).await?;
        }
        Ok(decision.outcome)
    }
}
