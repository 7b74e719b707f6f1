//! One batch of consumed records: the rows they became, the dead letters, and the offset range per
//! partition, from which each insert's deduplication token is built. Pure.

use std::collections::BTreeMap;

use schemas::deadletter::DeadLetter;
use schemas::session::SessionUpdate;

use super::rows::{AiReferralRow, ConversionRow, CrawlerHitRow, EventRow};

#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<EventRow>,
    pub ai_referrals: Vec<AiReferralRow>,
    pub crawler_hits: Vec<CrawlerHitRow>,
    pub conversions: Vec<ConversionRow>,
    /// session id → (input partition, newest state in this batch): one changelog record and one
    /// sessions row per changed session, however many of its events the batch holds.
    pub sessions: BTreeMap<String, (i32, SessionUpdate)>,
    pub dead_letters: Vec<DeadLetter>,
    /// partition → (first offset, last offset) seen in this batch.
    ranges: BTreeMap<i32, (i64, i64)>,
    records: usize,
}

impl Batch {
    /// Notes that the record at `partition`/`offset` is in this batch (whatever it became).
    pub fn saw(&mut self, partition: i32, offset: i64) {
        self.records += 1;
        self.ranges
            .entry(partition)
            .and_modify(|(first, last)| {
                *first = (*first).min(offset);
                *last = (*last).max(offset);
            })
            .or_insert((offset, offset));
    }

    pub fn records(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The same records always give the same token, so a retried insert of this batch is
    /// recognised by ClickHouse and not stored twice.
    pub fn dedup_token(&self, topic: &str, table: &str) -> String {
        let ranges: Vec<String> = self
            .ranges
            .iter()
            .map(|(p, (first, last))| format!("{p}:{first}-{last}"))
            .collect();
        format!("{topic}/{table}/{}", ranges.join(","))
    }

    /// The offsets to commit once this batch is durable: one past the last of each partition.
    pub fn commit_offsets(&self) -> Vec<(i32, i64)> {
        self.ranges
            .iter()
            .map(|(p, (_, last))| (*p, last + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_commit_offsets_follow_the_offset_ranges() {
        let mut batch = Batch::default();
        for (p, o) in [(1, 10), (0, 5), (1, 11), (0, 6), (1, 12)] {
            batch.saw(p, o);
        }
        assert_eq!(batch.records(), 5);
        assert_eq!(
            batch.dedup_token("beacons", "events"),
            "beacons/events/0:5-6,1:10-12"
        );
        assert_eq!(
            batch.dedup_token("beacons", "crawler_hits"),
            "beacons/crawler_hits/0:5-6,1:10-12"
        );
        assert_eq!(batch.commit_offsets(), vec![(0, 7), (1, 13)]);
        let mut same = Batch::default();
        for (p, o) in [(0, 5), (0, 6), (1, 10), (1, 11), (1, 12)] {
            same.saw(p, o);
        }
        assert_eq!(
            same.dedup_token("beacons", "events"),
            batch.dedup_token("beacons", "events")
        );
    }
}
