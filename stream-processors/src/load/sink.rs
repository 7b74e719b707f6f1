//! Writes a batch's rows to ClickHouse, each table's insert with the batch's deduplication token.
//! The tables are independent (each insert carries its own token), so they are inserted
//! concurrently: a batch costs its slowest insert, not the sum of five round trips.
//! A transient failure is retried with backoff until it lands: a retry after a lost answer is
//! dropped by ClickHouse as a duplicate instead of stored twice. A permanent one (the data
//! itself, `platform::clickhouse::errors`) splits the rows in halves, each half with its own
//! token, until the refused rows stand alone; those are returned for the dead-letter topic and
//! the rest lands, so one bad row never stalls the loader.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clickhouse::{Client, RowOwned, RowWrite};
use platform::clickhouse::errors::{classify, Retry};

use super::batch::{Batch, Position, Rows};
use super::rows::SessionRow;

pub struct ClickHouseSink {
    client: Client,
    topic: String,
}

/// A row ClickHouse refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub table: &'static str,
    /// The record the row came from.
    pub source: Position,
    /// The server's answer.
    pub detail: String,
}

enum Outcome {
    Landed,
    Refused(String),
}

impl ClickHouseSink {
    pub fn new(client: Client, topic: impl Into<String>) -> Self {
        Self {
            client: client
                // Retried blocks are dropped from the rollups' materialized views too; through a
                // Distributed table (cluster mode) the insert returns once every shard stored its rows.
                .with_setting("deduplicate_blocks_in_dependent_materialized_views", "1")
                .with_setting("distributed_foreground_insert", "1"),
            topic: topic.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Inserts every table of the batch, concurrently; returns once every row landed or was
    /// refused for good (or `stop` resolved, with an error), with the refused ones.
    pub async fn write(
        &self,
        batch: &Batch,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<Rejected>> {
        let processed_at = chrono::Utc::now();
        let mut sessions = Rows::default();
        for (partition, update) in batch.sessions.values() {
            let source = Position {
                partition: *partition,
                offset: update.input_offset,
            };
            sessions.push(source, SessionRow::from_update(update, processed_at));
        }
        let (events, referrals, hits, conversions, sessions) = futures::try_join!(
            self.table(batch, "events", &batch.events, stop),
            self.table(batch, "ai_referrals", &batch.ai_referrals, stop),
            self.table(batch, "crawler_hits", &batch.crawler_hits, stop),
            self.table(batch, "conversions", &batch.conversions, stop),
            self.table(batch, "sessions", &sessions, stop),
        )?;
        Ok([events, referrals, hits, conversions, sessions].concat())
    }

    async fn table<T>(
        &self,
        batch: &Batch,
        table: &'static str,
        rows: &Rows<T>,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<Rejected>>
    where
        T: RowOwned + RowWrite,
    {
        let mut rejected = Vec::new();
        if rows.is_empty() {
            return Ok(rejected);
        }
        let token = batch.dedup_token(&self.topic, table);
        // Ranges still to land, the whole table first. The same refused rows always split the
        // same way, so a retry after a crash reuses the sub-ranges' tokens.
        let mut pending = vec![(0, rows.len())];
        while let Some((lo, hi)) = pending.pop() {
            let range_token = if (lo, hi) == (0, rows.len()) {
                token.clone()
            } else {
                format!("{token}#{lo}-{hi}")
            };
            match self
                .retrying(table, &range_token, &rows.rows()[lo..hi], stop)
                .await?
            {
                Outcome::Landed => {}
                Outcome::Refused(detail) if hi - lo == 1 => {
                    tracing::warn!(table, %detail, "row refused for good; dead-lettered");
                    rejected.push(Rejected {
                        table,
                        source: rows.source(lo),
                        detail,
                    });
                }
                Outcome::Refused(_) => {
                    let mid = lo + (hi - lo) / 2;
                    pending.push((mid, hi));
                    pending.push((lo, mid));
                }
            }
        }
        Ok(rejected)
    }

    /// One insert, retried with backoff while its failures are transient.
    async fn retrying<T>(
        &self,
        table: &str,
        token: &str,
        rows: &[T],
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Outcome>
    where
        T: RowOwned + RowWrite,
    {
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.insert(table, token, rows).await {
                Ok(()) => {
                    metrics::counter!(crate::telemetry::ROWS_INSERTED, "table" => table.to_owned())
                        .increment(rows.len() as u64);
                    return Ok(Outcome::Landed);
                }
                Err(error) if classify(&error) == Retry::Permanent => {
                    return Ok(Outcome::Refused(error.to_string()));
                }
                Err(error) => {
                    metrics::counter!(crate::telemetry::INSERT_RETRIES).increment(1);
                    tracing::warn!(%error, table, ?backoff, "insert failed; retrying the same rows");
                    if *stop.borrow() {
                        anyhow::bail!("stopping with an unwritten batch ({error})");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn insert<T>(&self, table: &str, token: &str, rows: &[T]) -> clickhouse::error::Result<()>
    where
        T: RowOwned + RowWrite,
    {
        let mut insert = self
            .client
            .insert::<T>(table)
            .await?
            .with_setting("insert_deduplication_token", token);
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await
    }
}

/// Where the loader's rows go. Only code builds the discarding sink (the benchmarks measure the
/// processors' own cost with it); no configuration reaches it.
pub enum Sink {
    ClickHouse(Box<ClickHouseSink>),
    Discard(Discarded),
}

/// What a discarding sink was handed: the events rows, counted.
#[derive(Clone, Default)]
pub struct Discarded(Arc<AtomicU64>);

impl Discarded {
    pub fn events(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl From<ClickHouseSink> for Sink {
    fn from(sink: ClickHouseSink) -> Self {
        Sink::ClickHouse(Box::new(sink))
    }
}

impl Sink {
    /// A sink that drops every row, and the count of the events rows it dropped.
    pub fn discarding() -> (Self, Discarded) {
        let discarded = Discarded::default();
        (Sink::Discard(discarded.clone()), discarded)
    }

    pub async fn write(
        &self,
        batch: &Batch,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<Rejected>> {
        match self {
            Sink::ClickHouse(sink) => sink.write(batch, stop).await,
            Sink::Discard(discarded) => {
                discarded
                    .0
                    .fetch_add(batch.events.len() as u64, Ordering::Relaxed);
                Ok(Vec::new())
            }
        }
    }
}
