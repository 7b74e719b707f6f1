//! Which sessions-changelog records move where when the visitor partition count changes. Pure:
//! the records read from every partition in, the copies and tombstones to write out.

use std::collections::{BTreeMap, HashMap};

use platform::kafka::partitioner::partition_for;
use schemas::session::SessionUpdate;

/// One record of the changelog as read: `None` is a tombstone.
pub struct Record {
    pub partition: i32,
    pub key: Vec<u8>,
    pub update: Option<SessionUpdate>,
}

/// A visitor whose state sits on a partition its beacons no longer go to.
#[derive(Debug, PartialEq)]
pub struct Move {
    pub key: Vec<u8>,
    pub from: i32,
    pub to: i32,
    /// The newest version of each of the visitor's sessions, oldest session first, each with
    /// nothing of the new partition applied (`input_offset` −1).
    pub records: Vec<SessionUpdate>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Visitors with state in the changelog (once each, wherever they are).
    pub visitors: usize,
    /// Visitors already on the partition the partitioner assigns them.
    pub in_place: usize,
    pub moves: Vec<Move>,
    /// Visitors per partition once the moves are written.
    pub visitors_per_partition: BTreeMap<i32, usize>,
}

/// Folds the records (each partition's in offset order) into each visitor's live state per
/// partition, as a restore would (a tombstone forgets what came before it), and moves every
/// visitor not on `partition_for(key, partitions)`. State left on a wrong partition by an
/// interrupted rebuild (copied, not yet tombstoned) is tombstoned, and only the sessions whose
/// copy did not reach home are copied again.
pub fn plan(records: impl IntoIterator<Item = Record>, partitions: i32) -> Plan {
    // key → partition → the sessions live there (newest version of each).
    let mut live: HashMap<Vec<u8>, BTreeMap<i32, Vec<SessionUpdate>>> = HashMap::new();
    for record in records {
        let slots = live.entry(record.key).or_default();
        let Some(update) = record.update else {
            slots.remove(&record.partition);
            continue;
        };
        let sessions = slots.entry(record.partition).or_default();
        match sessions
            .iter_mut()
            .find(|s| s.session_id == update.session_id)
        {
            Some(existing) if existing.version > update.version => {}
            Some(existing) => *existing = update,
            None => sessions.push(update),
        }
    }
    live.retain(|_, slots| !slots.is_empty());
    let mut keys: Vec<Vec<u8>> = live.keys().cloned().collect();
    keys.sort(); // deterministic output
    let mut out = Plan {
        visitors: keys.len(),
        ..Plan::default()
    };
    for key in keys {
        let mut slots = live.remove(&key).unwrap_or_default();
        let to = partition_for(&key, partitions);
        *out.visitors_per_partition.entry(to).or_default() += 1;
        let home = slots.remove(&to).unwrap_or_default();
        if slots.is_empty() {
            out.in_place += 1;
            continue;
        }
        // Moved from one partition, or (after several rebuilds) merged from more.
        let mut merged: Vec<SessionUpdate> = Vec::new();
        for update in slots.values().flatten() {
            match merged
                .iter_mut()
                .find(|s| s.session_id == update.session_id)
            {
                Some(existing) if existing.version >= update.version => {}
                Some(existing) => *existing = update.clone(),
                None => merged.push(update.clone()),
            }
        }
        merged.sort_by_key(|s| (s.started_at, s.last_seen_at));
        for update in &mut merged {
            update.input_offset = -1;
        }
        // An interrupted rebuild may have copied some of these sessions home, not all (the copies
        // are sent concurrently): only what home lacks, or holds older, is copied again.
        merged.retain(|update| {
            !home
                .iter()
                .any(|h| h.session_id == update.session_id && h.version >= update.version)
        });
        for (i, &from) in slots.keys().enumerate() {
            out.moves.push(Move {
                key: key.clone(),
                from,
                to,
                records: if i == 0 {
                    std::mem::take(&mut merged)
                } else {
                    Vec::new()
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(visitor: &str, session: &str, version: i32, offset: i64) -> SessionUpdate {
        schemas::fixtures::sample_session_update(visitor, session, version, offset)
    }

    fn key(visitor: &str) -> Vec<u8> {
        schemas::topics::visitor_key(1, visitor).into_bytes()
    }

    /// The first `n` visitors (v0, v1, …) whose partition at 3 equals (or not) theirs at 6.
    fn visitors_with(at3_equals_at6: bool, n: usize) -> Vec<String> {
        (0..)
            .map(|i| format!("v{i}"))
            .filter(|v| (partition_for(&key(v), 3) == partition_for(&key(v), 6)) == at3_equals_at6)
            .take(n)
            .collect()
    }

    fn at(v: &str, partition: i32, u: SessionUpdate) -> Record {
        Record {
            partition,
            key: key(v),
            update: Some(u),
        }
    }

    #[test]
    fn visitors_whose_partition_changes_move_with_their_newest_sessions() {
        let staying = &visitors_with(true, 1)[0];
        let moving = &visitors_with(false, 1)[0];
        let (p_stay, p_move) = (
            partition_for(&key(staying), 3),
            partition_for(&key(moving), 3),
        );
        let records = vec![
            at(staying, p_stay, update(staying, "s1", 1, 10)),
            at(moving, p_move, update(moving, "m1", 1, 11)),
            at(moving, p_move, update(moving, "m2", 1, 12)),
            at(moving, p_move, update(moving, "m1", 3, 14)),
            // Records come in any order; the newest version wins.
            at(moving, p_move, update(moving, "m1", 2, 13)),
        ];
        let plan = plan(records, 6);
        assert_eq!((plan.visitors, plan.in_place), (2, 1));
        assert_eq!(plan.moves.len(), 1);
        let m = &plan.moves[0];
        assert_eq!(
            (m.key.clone(), m.from, m.to),
            (key(moving), p_move, partition_for(&key(moving), 6))
        );
        let kept: Vec<(&str, i32, i64)> = m
            .records
            .iter()
            .map(|r| (r.session_id.as_str(), r.version, r.input_offset))
            .collect();
        // m2 (started at version 1's time) before m1 (version 3's), nothing of the new
        // partition applied.
        assert_eq!(kept, [("m2", 1, -1), ("m1", 3, -1)]);
        assert_eq!(plan.visitors_per_partition.values().sum::<usize>(), 2);
    }

    #[test]
    fn a_tombstoned_visitor_has_nothing_to_move_so_a_second_rebuild_changes_nothing() {
        let moving = &visitors_with(false, 1)[0];
        let (from, to) = (
            partition_for(&key(moving), 3),
            partition_for(&key(moving), 6),
        );
        let mut copied = update(moving, "m1", 1, -1);
        copied.input_offset = -1;
        let records = vec![
            at(moving, from, update(moving, "m1", 1, 11)),
            Record {
                partition: from,
                key: key(moving),
                update: None,
            },
            at(moving, to, copied),
        ];
        let plan = plan(records, 6);
        assert_eq!((plan.visitors, plan.in_place, plan.moves.len()), (1, 1, 0));
    }

    #[test]
    fn an_interrupted_rebuild_only_tombstones_what_it_already_copied() {
        let moving = &visitors_with(false, 1)[0];
        let (from, to) = (
            partition_for(&key(moving), 3),
            partition_for(&key(moving), 6),
        );
        let records = vec![
            at(moving, from, update(moving, "m1", 1, 11)),
            at(moving, to, update(moving, "m1", 1, -1)),
        ];
        let plan = plan(records, 6);
        assert_eq!(plan.moves.len(), 1);
        assert_eq!((plan.moves[0].from, plan.moves[0].records.len()), (from, 0));
        assert_eq!((plan.visitors, plan.in_place), (1, 0));
    }

    #[test]
    fn an_interrupted_rebuild_copies_again_the_sessions_that_did_not_reach_home() {
        let moving = &visitors_with(false, 1)[0];
        let (from, to) = (
            partition_for(&key(moving), 3),
            partition_for(&key(moving), 6),
        );
        let records = vec![
            at(moving, from, update(moving, "m1", 2, 11)),
            at(moving, from, update(moving, "m2", 1, 12)),
            at(moving, from, update(moving, "m3", 3, 13)),
            // m2's copy arrived; m1's did not; m3's home copy is an older version.
            at(moving, to, update(moving, "m2", 1, -1)),
            at(moving, to, update(moving, "m3", 2, -1)),
        ];
        let plan = plan(records, 6);
        assert_eq!(plan.moves.len(), 1);
        assert_eq!(plan.moves[0].from, from);
        let copied: Vec<(&str, i32)> = plan.moves[0]
            .records
            .iter()
            .map(|r| (r.session_id.as_str(), r.version))
            .collect();
        assert_eq!(copied, [("m1", 2), ("m3", 3)]);
    }
}
