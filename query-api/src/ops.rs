//! Connections shared by the server and the ops subcommands, configured from the environment.

use std::time::Duration;

use clap::Args;
use rdkafka::producer::FutureProducer;
use schemas::control::follow;
use schemas::kafka::{producer_config, BROKERS_ENV, DEFAULT_BROKERS};
use schemas::topics;

use crate::control_writer::ControlWriter;

pub use schemas::clickhouse_client::ClickHouseArgs;

#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    /// Control topic to follow and write.
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
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
