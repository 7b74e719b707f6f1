//! Connections shared by the server and the ops subcommands, configured from the environment.

use std::time::Duration;

use clap::Args;
use rdkafka::producer::FutureProducer;
use schemas::control::{follow, ControlHandle};
use schemas::kafka::{producer_config, BROKERS_ENV, DEFAULT_BROKERS};
use schemas::topics;

use crate::control_writer::ControlWriter;

#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    /// Control topic to follow and write.
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
}

#[derive(Debug, Clone, Args)]
pub struct ClickHouseArgs {
    /// ClickHouse HTTP endpoint.
    #[arg(
        long = "clickhouse-url",
        env = "OPTIVIEW_CLICKHOUSE_URL",
        default_value = "http://127.0.0.1:8123"
    )]
    pub url: String,
    /// Database holding Optiview's tables.
    #[arg(
        long = "clickhouse-database",
        env = "OPTIVIEW_CLICKHOUSE_DATABASE",
        default_value = "optiview"
    )]
    pub database: String,
}

impl ClickHouseArgs {
    pub fn client(&self) -> clickhouse::Client {
        clickhouse::Client::default()
            .with_url(&self.url)
            .with_database(&self.database)
    }
}

/// Follows the control topic until caught up, then returns a writer on top of it.
pub async fn control_writer(kafka: &KafkaArgs) -> anyhow::Result<ControlWriter> {
    let (handle, _task) = follow(&kafka.brokers, &kafka.control_topic).await?;
    handle.wait_caught_up(Duration::from_secs(30)).await?;
    let producer: FutureProducer = producer_config(&kafka.brokers).create()?;
    Ok(ControlWriter::new(
        producer,
        kafka.control_topic.clone(),
        handle,
    ))
}

/// A caught-up control view without a writer.
pub async fn control_view(kafka: &KafkaArgs) -> anyhow::Result<ControlHandle> {
    let (handle, _task) = follow(&kafka.brokers, &kafka.control_topic).await?;
    handle.wait_caught_up(Duration::from_secs(30)).await?;
    Ok(handle)
}
