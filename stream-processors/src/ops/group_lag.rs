//! Committed-offset lag of consumer groups: the high watermark minus the group's committed offset
//! on every partition of its topic (from the low watermark where nothing is committed yet).

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

/// `group=topic` pairs.
pub fn parse_groups(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (group, topic) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not group=topic"))?;
            Ok((group.trim().to_owned(), topic.trim().to_owned()))
        })
        .collect()
}

/// A group's standing on a topic, summed over its partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupPosition {
    /// Records after the committed offsets.
    pub lag: u64,
    /// The committed offsets' sum: it grows whenever any member of the group makes progress.
    pub committed: i64,
}

pub struct LagProbe {
    brokers: String,
    groups: Vec<(String, String)>,
    consumers: HashMap<String, BaseConsumer>,
}

const TIMEOUT: Duration = Duration::from_secs(5);

impl LagProbe {
    pub fn new(brokers: &str, groups: Vec<(String, String)>) -> Self {
        Self {
            brokers: brokers.to_owned(),
            groups,
            consumers: HashMap::new(),
        }
    }

    /// (group, topic, lag) for every configured group that could be measured. Blocking.
    pub fn measure(&mut self) -> Vec<(String, String, u64)> {
        let mut out = Vec::new();
        for (group, topic) in self.groups.clone() {
            match self.one(&group, &topic) {
                Ok(lag) => out.push((group, topic, lag)),
                Err(error) => tracing::warn!(%error, %group, %topic, "consumer lag not measured"),
            }
        }
        out
    }

    /// The committed-offset lag of one group on `topic`. Blocking.
    pub fn one(&mut self, group: &str, topic: &str) -> anyhow::Result<u64> {
        Ok(self.position(group, topic)?.lag)
    }

    /// Where one group stands on `topic`. Blocking.
    pub fn position(&mut self, group: &str, topic: &str) -> anyhow::Result<GroupPosition> {
        if !self.consumers.contains_key(group) {
            // Never subscribes: it only reads the group's committed offsets.
            let consumer: BaseConsumer = platform::kafka::client_config(&self.brokers)
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()?;
            self.consumers.insert(group.to_owned(), consumer);
        }
        let consumer = &self.consumers[group];
        let partitions = platform::kafka::partition_ids(consumer, topic, TIMEOUT)?;
        let mut list = TopicPartitionList::new();
        for p in &partitions {
            list.add_partition(topic, *p);
        }
        let committed = consumer.committed_offsets(list, TIMEOUT)?;
        let mut position = GroupPosition::default();
        for p in partitions {
            let (low, high) = consumer.fetch_watermarks(topic, p, TIMEOUT)?;
            let from = match committed.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => low,
            };
            position.lag += (high - from).max(0) as u64;
            position.committed += from;
        }
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_group_equals_topic_pairs() {
        assert_eq!(
            parse_groups("a=t1, b = t2,").unwrap(),
            [("a".into(), "t1".into()), ("b".into(), "t2".into())]
        );
        assert!(parse_groups("nogroup").is_err());
    }
}
