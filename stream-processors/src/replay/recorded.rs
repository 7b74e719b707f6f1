//! A replay after the verification window cannot check a hit's address again: its key is
//! destroyed, so the processor can only call the hit `unchecked`; nor does it look up reverse
//! DNS, so a claim only that can decide is `unchecked` too. What was verified the first time
//! still stands, though, so before a batch is written its unchecked rows take the verification
//! (and its method) ClickHouse already holds for their event, looked up by event id (bound as an
//! array, a bounded number per query) within the batch's time range.

use std::collections::HashMap;

use clickhouse::{Client, Row};
use schemas::vocab::{Verification, Vocabulary};
use serde::Deserialize;

use crate::load::batch::Batch;

/// Event ids per lookup: keeps each query's text small whatever the batch size.
const IDS_PER_QUERY: usize = 1_000;

#[derive(Debug, Row, Deserialize)]
struct Recorded {
    event_id: String,
    verification: String,
    verification_method: String,
}

/// What the batch's hits without an address became.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Robots' hits the replay could not check (address key gone, or reverse DNS to ask).
    pub unchecked: u64,
    /// Of those, how many took the verification recorded the first time.
    pub kept: u64,
}

/// Gives each unchecked row of `batch` (events and crawler hits) the verification stored for its
/// event, when one other than `unchecked` is stored.
pub async fn keep_recorded_verifications(
    client: &Client,
    batch: &mut Batch,
) -> anyhow::Result<Kept> {
    let unchecked = Verification::Unchecked.as_str();
    let rows: Vec<(&str, i64)> = batch
        .events
        .rows()
        .iter()
        .filter(|r| r.verification == unchecked)
        .map(|r| (r.event_id.as_str(), r.ts.timestamp_millis()))
        .collect();
    if rows.is_empty() {
        return Ok(Kept::default());
    }
    let mut recorded: HashMap<String, (String, String)> = HashMap::new();
    for chunk in rows.chunks(IDS_PER_QUERY) {
        let ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
        let from = chunk.iter().map(|(_, ts)| *ts).min().unwrap_or_default();
        let to = chunk.iter().map(|(_, ts)| *ts).max().unwrap_or_default();
        let found: Vec<Recorded> = client
            .query(
                "SELECT event_id, verification, verification_method FROM events FINAL
                 WHERE ts >= fromUnixTimestamp64Milli(toInt64(?))
                   AND ts <= fromUnixTimestamp64Milli(toInt64(?))
                   AND has(?, event_id) AND verification != ?",
            )
            .bind(from)
            .bind(to)
            .bind(&ids)
            .bind(unchecked)
            .fetch_all()
            .await?;
        recorded.extend(
            found
                .into_iter()
                .filter(|r| Verification::parse(&r.verification).is_some())
                .map(|r| (r.event_id, (r.verification, r.verification_method))),
        );
    }
    let mut kept = Kept {
        unchecked: rows.len() as u64,
        kept: 0,
    };
    for row in batch.events.rows_mut() {
        if let Some((v, method)) = recorded.get(&row.event_id) {
            if row.verification == unchecked {
                row.verification.clone_from(v);
                row.verification_method.clone_from(method);
                kept.kept += 1;
            }
        }
    }
    for row in batch.crawler_hits.rows_mut() {
        if let Some((v, method)) = recorded.get(&row.event_id) {
            if row.verification == unchecked {
                row.verification.clone_from(v);
                row.verification_method.clone_from(method);
            }
        }
    }
    Ok(kept)
}
