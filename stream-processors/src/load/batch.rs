//! One batch of consumed records: the rows they became (each knowing its record), the records'
//! bytes, the dead letters, and the offset range per partition, from which each insert's
//! deduplication token is built; also the records it holds back for a reverse-DNS verdict and
//! those of earlier batches it carries once theirs arrived (`super::waiting`). Pure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemas::deadletter::DeadLetter;
use schemas::session::SessionUpdate;

use super::deferred::Deferred;
use schemas::vocab::{Verification, VerificationMethod};

use super::rows::{AiReferralRow, ConversionRow, CrawlerHitRow, EventRow};
use crate::enrich::enricher::Awaiting;

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
    /// Records of this batch whose rows wait for a reverse-DNS verdict; taken by the loader.
    held: Vec<Held>,
    /// Where the records this batch held back were read, and where those of earlier batches
    /// that it carries were: both are part of what its inserts hold, so of their tokens.
    held_at: Vec<Position>,
    released_at: Vec<Position>,
}

/// A record's rows held back until reverse DNS answers (or the wait ends), with its bytes.
#[derive(Debug)]
pub struct Held {
    pub at: Position,
    pub original: Vec<u8>,
    pub event: EventRow,
    pub crawler_hit: Option<CrawlerHitRow>,
    pub awaiting: Awaiting,
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

    /// Forgets the session changes of `partitions` (revoked: their next owner re-reads these
    /// uncommitted records and writes the changes itself; ours could land after its own and,
    /// compaction keeping the last record per visitor, take a restore back to older state).
    pub fn disown_sessions(&mut self, partitions: &BTreeSet<i32>) {
        self.sessions
            .retain(|_, (partition, _)| !partitions.contains(partition));
    }

    /// The bytes of the record read at `at`, if this batch holds it.
    pub fn original(&self, at: Position) -> Option<&[u8]> {
        self.originals.get(&at).map(Vec::as_slice)
    }

    pub fn records(&self) -> usize {
        self.records
    }

    /// Nothing consumed and nothing of earlier batches carried: nothing to write.
    pub fn is_empty(&self) -> bool {
        self.records == 0 && self.released_at.is_empty()
    }

    /// Holds back a record of this batch (already `saw`n) until its verdict is known.
    pub fn hold(&mut self, held: Held) {
        self.held_at.push(held.at);
        self.held.push(held);
    }

    pub fn take_held(&mut self) -> Vec<Held> {
        std::mem::take(&mut self.held)
    }

    /// Carries a held record's rows, with the verdict now decided.
    pub fn release(&mut self, held: Held, verdict: (Verification, Option<VerificationMethod>)) {
        let Held {
            at,
            original,
            mut event,
            crawler_hit,
            ..
        } = held;
        event.set_verification(verdict);
        self.events.push(at, event);
        if let Some(mut hit) = crawler_hit {
            hit.set_verification(verdict);
            self.crawler_hits.push(at, hit);
        }
        self.originals.insert(at, original);
        self.released_at.push(at);
    }

    /// Where the records whose held rows this batch carries were read.
    pub fn released(&self) -> &[Position] {
        &self.released_at
    }

    /// The same records always give the same token, so a retried insert of this batch is
    /// recognised by ClickHouse and not stored twice.
    /// Records held back or carried are named in it: the same offset range cut again after a
    /// restart may hold back other records, and a token shared by different rows would make
    /// ClickHouse drop the second insert's as a duplicate of the first.
    pub fn dedup_token(&self, topic: &str, table: &str) -> String {
        let ranges: Vec<String> = self
            .ranges
            .iter()
            .map(|(p, (first, last))| format!("{p}:{first}-{last}"))
            .collect();
        let mut token = format!("{topic}/{table}/{}", ranges.join(","));
        for (tag, positions) in [("held", &self.held_at), ("released", &self.released_at)] {
            if !positions.is_empty() {
                token.push_str(&format!("+{tag}:{}", digest(positions)));
            }
        }
        token
    }

    /// The offsets to commit once this batch is durable: one past the last of each partition.
    pub fn commit_offsets(&self) -> Vec<(i32, i64)> {
        self.ranges
            .iter()
            .map(|(p, (_, last))| (*p, last + 1))
            .collect()
    }
}

/// A short stand-in for a list of positions (which can run to thousands; the token travels in
/// the insert's URL), the same for the same positions in any order.
fn digest(positions: &[Position]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    let mut hash = Sha256::new();
    for at in sorted {
        hash.update(at.partition.to_be_bytes());
        hash.update(at.offset.to_be_bytes());
    }
    hex::encode(&hash.finalize()[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(partition: i32, offset: i64) -> Position {
        Position { partition, offset }
    }

    #[test]
    fn a_revoked_partitions_session_changes_are_dropped_and_the_others_kept() {
        use schemas::fixtures::sample_session_update;
        let mut batch = Batch::default();
        for (partition, visitor) in [(1, "a"), (2, "b"), (3, "c")] {
            let session = format!("s-{visitor}");
            let update = sample_session_update(visitor, &session, 1, 0);
            batch.sessions.insert(session, (partition, update));
        }
        batch.disown_sessions(&BTreeSet::from([2, 3]));
        let kept: Vec<_> = batch.sessions.keys().cloned().collect();
        assert_eq!(kept, ["s-a"]);
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
