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

/// One group's sample for the health processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSample {
    pub group: String,
    pub topic: String,
    pub lag: u64,
    /// None when the coordinator could not be asked.
    pub members: Option<usize>,
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
    member_listers: HashMap<String, BaseConsumer>,
}

const TIMEOUT: Duration = Duration::from_secs(5);

impl LagProbe {
    pub fn new(brokers: &str, groups: Vec<(String, String)>) -> Self {
        Self {
            brokers: brokers.to_owned(),
            groups,
            consumers: HashMap::new(),
            member_listers: HashMap::new(),
        }
    }

    /// Every configured group that could be measured. Blocking.
    pub fn measure(&mut self) -> Vec<GroupSample> {
        let mut out = Vec::new();
        for (group, topic) in self.groups.clone() {
            match self.one(&group, &topic) {
                Ok(lag) => {
                    let members = self
                        .members(&group)
                        .inspect_err(
                            |error| tracing::warn!(%error, %group, "group members not listed"),
                        )
                        .ok();
                    out.push(GroupSample {
                        group,
                        topic,
                        lag,
                        members,
                    });
                }
                Err(error) => tracing::warn!(%error, %group, %topic, "consumer lag not measured"),
            }
        }
        out
    }

    /// Active members of `group`, as the group coordinator lists them. Blocking. A client of its
    /// own: a broker that drops the connection on this request must not take the lag
    /// measurement's client with it.
    pub fn members(&mut self, group: &str) -> anyhow::Result<usize> {
        if !self.member_listers.contains_key(group) {
            let lister: BaseConsumer = platform::kafka::client_config(&self.brokers)
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()?;
            self.member_listers.insert(group.to_owned(), lister);
        }
        let consumer = &self.member_listers[group];
        let list = consumer.fetch_group_list(Some(group), TIMEOUT)?;
        Ok(list
            .groups()
            .iter()
            .filter(|g| g.name() == group)
            .map(|g| g.members().len())
            .sum())
    }

    fn consumer(&mut self, group: &str) -> anyhow::Result<&BaseConsumer> {
        if !self.consumers.contains_key(group) {
            // Never subscribes: it only reads the group's committed offsets and members.
            let consumer: BaseConsumer = platform::kafka::client_config(&self.brokers)
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()?;
            self.consumers.insert(group.to_owned(), consumer);
        }
        Ok(&self.consumers[group])
    }

    /// The committed-offset lag of one group on `topic`. Blocking.
    pub fn one(&mut self, group: &str, topic: &str) -> anyhow::Result<u64> {
        Ok(self.position(group, topic)?.lag)
    }

    /// Where one group stands on `topic`. Blocking.
    pub fn position(&mut self, group: &str, topic: &str) -> anyhow::Result<GroupPosition> {
        let consumer = self.consumer(group)?;
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
