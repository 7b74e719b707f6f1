//! One batch of consumed records: the rows they became (each knowing its record), the records'
//! bytes, the dead letters, and the offset range per partition, from which each insert's
//! deduplication token is built. Pure.

use std::collections::{BTreeMap, HashMap};

use schemas::deadletter::DeadLetter;
use schemas::session::SessionUpdate;

use super::deferred::Deferred;
use super::rows::{AiReferralRow, ConversionRow, CrawlerHitRow, EventRow};

/// Where a record was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub partition: i32,
    pub offset: i64,
}

/// A table's rows, each with the record it came from: a row ClickHouse refuses for good is
/// dead-lettered as that record.
#[derive(Debug)]
pub struct Rows<T> {
    rows: Vec<T>,
    sources: Vec<Position>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl<T> Rows<T> {
    pub fn push(&mut self, source: Position, row: T) {
        self.rows.push(row);
        self.sources.push(source);
    }

    pub fn extend(&mut self, source: Position, rows: impl IntoIterator<Item = T>) {
        for row in rows {
            self.push(source, row);
        }
    }

    pub fn rows(&self) -> &[T] {
        &self.rows
    }

    /// For corrections before the write (a replay's recorded verifications); rows keep their
    /// records.
    pub fn rows_mut(&mut self) -> &mut [T] {
        &mut self.rows
    }

    pub fn source(&self, index: usize) -> Position {
        self.sources[index]
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct Batch {
    pub events: Rows<EventRow>,
    pub ai_referrals: Rows<AiReferralRow>,
    pub crawler_hits: Rows<CrawlerHitRow>,
    pub conversions: Rows<ConversionRow>,
    /// session id → (input partition, newest state in this batch): one changelog record and one
    /// sessions row per changed session, however many of its events the batch holds.
    pub sessions: BTreeMap<String, (i32, SessionUpdate)>,
    pub dead_letters: Vec<DeadLetter>,
    /// Records read but not enriched yet: signed hits waiting for their signer's key directory.
    pub deferred: Vec<Deferred>,
    /// partition → (first offset, last offset) seen in this batch.
    ranges: BTreeMap<i32, (i64, i64)>,
    records: usize,
    /// Each record's bytes, for the dead letter of a row ClickHouse refuses.
    originals: HashMap<Position, Vec<u8>>,
}

impl Batch {
    /// Notes that the record `bytes` read at `at` is in this batch (whatever it became).
    pub fn saw(&mut self, at: Position, bytes: &[u8]) {
        let Position { partition, offset } = at;
        self.originals.insert(at, bytes.to_vec());
        self.records += 1;
        self.ranges
            .entry(partition)
            .and_modify(|(first, last)| {
                *first = (*first).min(offset);
                *last = (*last).max(offset);
            })
            .or_insert((offset, offset));
    }

    /// The bytes of the record read at `at`, if this batch holds it.
    pub fn original(&self, at: Position) -> Option<&[u8]> {
        self.originals.get(&at).map(Vec::as_slice)
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

    fn at(partition: i32, offset: i64) -> Position {
        Position { partition, offset }
    }

    #[test]
    fn each_row_keeps_its_record_and_the_batch_its_bytes() {
        let mut batch = Batch::default();
        batch.saw(at(2, 7), b"seven");
        batch.saw(at(2, 8), b"eight");
        let mut rows = Rows::default();
        rows.extend(at(2, 7), ["a", "b"]);
        rows.push(at(2, 8), "c");
        assert_eq!(rows.rows(), ["a", "b", "c"]);
        assert_eq!(rows.source(1), at(2, 7));
        assert_eq!(batch.original(rows.source(2)), Some(&b"eight"[..]));
        assert_eq!(batch.original(at(0, 1)), None);
    }

    #[test]
    fn tokens_and_commit_offsets_follow_the_offset_ranges() {
        let mut batch = Batch::default();
        for (p, o) in [(1, 10), (0, 5), (1, 11), (0, 6), (1, 12)] {
            batch.saw(at(p, o), b"r");
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
            same.saw(at(p, o), b"r");
        }
        assert_eq!(
            same.dedup_token("beacons", "events"),
            batch.dedup_token("beacons", "events")
        );
    }
}
