//! Writes a batch's rows to ClickHouse, each table's insert with the batch's deduplication token,
//! retrying with backoff until it lands: a retry after a lost answer is dropped by ClickHouse as a
//! duplicate instead of stored twice.

use std::time::Duration;

use clickhouse::{Client, RowOwned, RowWrite};

use super::batch::Batch;
use super::rows::SessionRow;

pub struct ClickHouseSink {
    client: Client,
    topic: String,
}

impl ClickHouseSink {
    pub fn new(client: Client, topic: impl Into<String>) -> Self {
        Self {
            client: client
                // Retried blocks are dropped from the rollups' materialized views too.
                .with_setting("deduplicate_blocks_in_dependent_materialized_views", "1"),
            topic: topic.into(),
        }
    }

    /// Inserts every table of the batch; returns only once all of them succeeded (or `stop`
    /// resolved, with an error).
    pub async fn write(
        &self,
        batch: &Batch,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        self.table(batch, "events", &batch.events, stop).await?;
        self.table(batch, "ai_referrals", &batch.ai_referrals, stop)
            .await?;
        self.table(batch, "crawler_hits", &batch.crawler_hits, stop)
            .await?;
        self.table(batch, "conversions", &batch.conversions, stop)
            .await?;
        let processed_at = chrono::Utc::now();
        let sessions: Vec<SessionRow> = batch
            .sessions
            .values()
            .map(|(_, update)| SessionRow::from_update(update, processed_at))
            .collect();
        self.table(batch, "sessions", &sessions, stop).await?;
        Ok(())
    }

    async fn table<T>(
        &self,
        batch: &Batch,
        table: &str,
        rows: &[T],
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()>
    where
        T: RowOwned + RowWrite,
    {
        if rows.is_empty() {
            return Ok(());
        }
        let token = batch.dedup_token(&self.topic, table);
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.insert(table, &token, rows).await {
                Ok(()) => {
                    metrics::counter!(crate::telemetry::ROWS_INSERTED, "table" => table.to_owned())
                        .increment(rows.len() as u64);
                    return Ok(());
                }
                Err(error) => {
                    metrics::counter!(crate::telemetry::INSERT_RETRIES).increment(1);
                    tracing::warn!(%error, table, ?backoff, "insert failed; retrying the same batch");
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
