//! Connections shared by the server and the ops subcommands, configured from the environment.

use std::time::Duration;

use clap::Args;
use rdkafka::producer::FutureProducer;
use schemas::control::follow;
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
    /// User (production; the local gateway has no authentication).
    #[arg(long = "clickhouse-user", env = "OPTIVIEW_CLICKHOUSE_USER")]
    pub user: Option<String>,
    /// Password for the user.
    #[arg(
        long = "clickhouse-password",
        env = "OPTIVIEW_CLICKHOUSE_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
}

impl ClickHouseArgs {
    /// A client without a default database (for CREATE DATABASE).
    pub fn server_client(&self) -> clickhouse::Client {
        let mut client = clickhouse::Client::default().with_url(&self.url);
        if let Some(user) = &self.user {
            client = client.with_user(user);
        }
        if let Some(password) = &self.password {
            client = client.with_password(password);
        }
        client
    }

    pub fn client(&self) -> clickhouse::Client {
        self.server_client().with_database(&self.database)
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
