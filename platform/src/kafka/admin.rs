//! Creates topics from their definitions and, when asked, grows existing ones to them.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
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
    #[error("adding partitions to {topic}: {code}")]
    Grow {
        topic: String,
        code: RDKafkaErrorCode,
    },
    #[error("{topic} has {has} partitions, {defined} defined: Kafka cannot remove partitions; define at least {has}")]
    Shrink {
        topic: String,
        has: i32,
        defined: i32,
    },
    #[error("{topic} has {has} partitions, {defined} defined: growing moves visitors to other partitions; follow README § Growing partitions (stop the loaders, `query-api topics --grow`, `stream-processors rebuild-sessions`, start them)")]
    Short {
        topic: String,
        has: i32,
        defined: i32,
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

/// What bringing existing topics to their definitions takes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TopicChanges<'a> {
    /// Missing topics.
    pub create: Vec<&'a TopicDefinition>,
    /// (topic, partitions it has, partitions defined): existing topics with fewer partitions.
    pub grow: Vec<(&'a str, i32, i32)>,
}

/// Compares `definitions` with the partition counts the cluster reports for existing topics
/// (`existing`: topic → partitions). More partitions than defined cannot be undone (Kafka does
/// not remove partitions), so that is an error; fewer are grown only when asked.
pub fn changes<'a>(
    definitions: &'a [TopicDefinition],
    existing: &HashMap<String, i32>,
) -> Result<TopicChanges<'a>, TopicAdminError> {
    let mut out = TopicChanges::default();
    for definition in definitions {
        match existing.get(&definition.name) {
            None => out.create.push(definition),
            Some(&has) if has > definition.partitions => {
                return Err(TopicAdminError::Shrink {
                    topic: definition.name.clone(),
                    has,
                    defined: definition.partitions,
                })
            }
            Some(&has) if has < definition.partitions => {
                out.grow
                    .push((definition.name.as_str(), has, definition.partitions))
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

/// The partition count of each of `topics` that exists, from the cluster's metadata.
pub fn partition_counts(
    brokers: &str,
    topics: &[&str],
) -> Result<HashMap<String, i32>, TopicAdminError> {
    let consumer: BaseConsumer = super::client_config(brokers).create()?;
    let metadata = consumer.fetch_metadata(None, Duration::from_secs(30))?;
    Ok(metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none() && topics.contains(&t.name()))
        .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
        .collect())
}

/// What [`reconcile_topics`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub created: Vec<String>,
    /// (topic, partitions before, partitions now).
    pub grown: Vec<(String, i32, i32)>,
}

/// Creates missing topics and, with `grow`, adds partitions to those defined with more than they
/// have. Without `grow` a topic short of partitions is an error: growing the visitor-keyed topics
/// moves visitors to other partitions, so it belongs to the runbook (stop the loaders, grow,
/// `stream-processors rebuild-sessions`, start them), never to a routine `topics` run.
pub async fn reconcile_topics(
    brokers: &str,
    definitions: &[TopicDefinition],
    replication: i32,
    grow: bool,
) -> Result<Reconciled, TopicAdminError> {
    let names: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    let existing = partition_counts(brokers, &names)?;
    let plan = changes(definitions, &existing)?;
    if let (false, Some(&(topic, has, defined))) = (grow, plan.grow.first()) {
        return Err(TopicAdminError::Short {
            topic: topic.to_owned(),
            has,
            defined,
        });
    }
    let missing: Vec<TopicDefinition> = plan.create.iter().map(|d| (*d).clone()).collect();
    // librdkafka refuses an empty CreateTopics request (InvalidArgument).
    let created = if missing.is_empty() {
        Vec::new()
    } else {
        ensure_topics(brokers, &missing, replication).await?
    };
    let mut grown = Vec::new();
    if !plan.grow.is_empty() {
        let admin = admin_client(brokers)?;
        let requests: Vec<NewPartitions<'_>> = plan
            .grow
            .iter()
            .map(|&(topic, _, defined)| NewPartitions::new(topic, defined as usize))
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        for (result, &(topic, has, defined)) in admin
            .create_partitions(&requests, &options)
            .await?
            .into_iter()
            .zip(&plan.grow)
        {
            match result {
                Ok(_) => grown.push((topic.to_owned(), has, defined)),
                Err((topic, code)) => return Err(TopicAdminError::Grow { topic, code }),
            }
        }
    }
    Ok(Reconciled { created, grown })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined(name: &str, partitions: i32) -> TopicDefinition {
        TopicDefinition {
            name: name.into(),
            partitions,
            retention_ms: 1,
            cleanup_policy: "delete".into(),
        }
    }

    #[test]
    fn missing_topics_are_created_and_short_ones_grown() {
        let definitions = [defined("a", 6), defined("b", 12), defined("c", 1)];
        let existing = HashMap::from([("b".to_owned(), 6), ("c".to_owned(), 1)]);
        let plan = changes(&definitions, &existing).unwrap();
        assert_eq!(
            plan.create
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!(plan.grow, [("b", 6, 12)]);
    }

    #[test]
    fn a_topic_with_more_partitions_than_defined_is_an_error() {
        let definitions = [defined("b", 3)];
        let existing = HashMap::from([("b".to_owned(), 6)]);
        let err = changes(&definitions, &existing).unwrap_err().to_string();
        assert!(
            err.contains("b has 6 partitions") && err.contains("3"),
            "{err}"
        );
    }
}
