//! Creates topics from their definitions; existing topics are left as they are.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use schemas::topics::TopicDefinition;

#[derive(Debug, thiserror::Error)]
pub enum TopicAdminError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("creating topic {topic}: {code}")]
    Create {
        topic: String,
        code: RDKafkaErrorCode,
    },
}

pub fn admin_client(brokers: &str) -> Result<AdminClient<DefaultClientContext>, TopicAdminError> {
    Ok(super::client_config(brokers).create()?)
}

/// Creates each missing topic; returns the names it created. Idempotent.
pub async fn ensure_topics(
    brokers: &str,
    definitions: &[TopicDefinition],
    replication: i32,
) -> Result<Vec<String>, TopicAdminError> {
    let admin = admin_client(brokers)?;
    let retention: Vec<String> = definitions
        .iter()
        .map(|d| d.retention_ms.to_string())
        .collect();
    let topics: Vec<NewTopic<'_>> = definitions
        .iter()
        .zip(&retention)
        .map(|(d, retention_ms)| {
            NewTopic::new(&d.name, d.partitions, TopicReplication::Fixed(replication))
                .set("retention.ms", retention_ms)
                .set("cleanup.policy", &d.cleanup_policy)
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let mut created = Vec::new();
    for result in admin.create_topics(&topics, &options).await? {
        match result {
            Ok(name) => created.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(TopicAdminError::Create { topic, code }),
        }
    }
    Ok(created)
}
