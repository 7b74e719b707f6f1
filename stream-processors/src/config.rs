//! Settings of `stream-processors run`, from flags or environment variables.

use std::time::Duration;

use clap::Args;
use schemas::kafka::{BROKERS_ENV, DEFAULT_BROKERS};
use schemas::topics;

#[derive(Debug, Clone, Args)]
pub struct RunConfig {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    /// Consumer group of the loader.
    #[arg(long, env = "OPTIVIEW_LOADER_GROUP", default_value = "optiview-loader")]
    pub group: String,
    #[arg(long, env = "OPTIVIEW_BEACONS_TOPIC", default_value = topics::BEACONS)]
    pub beacons_topic: String,
    #[arg(long, env = "OPTIVIEW_DEADLETTER_TOPIC", default_value = topics::DEADLETTER)]
    pub deadletter_topic: String,
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
    /// ClickHouse HTTP endpoint, database and (production) credentials.
    #[arg(
        long,
        env = "OPTIVIEW_CLICKHOUSE_URL",
        default_value = "http://127.0.0.1:8123"
    )]
    pub clickhouse_url: String,
    #[arg(long, env = "OPTIVIEW_CLICKHOUSE_DATABASE", default_value = "optiview")]
    pub clickhouse_database: String,
    #[arg(long, env = "OPTIVIEW_CLICKHOUSE_USER")]
    pub clickhouse_user: Option<String>,
    #[arg(long, env = "OPTIVIEW_CLICKHOUSE_PASSWORD", hide_env_values = true)]
    pub clickhouse_password: Option<String>,
    /// A batch is written when it holds this many records …
    #[arg(long, env = "OPTIVIEW_BATCH_ROWS", default_value_t = 5_000)]
    pub batch_rows: usize,
    /// … or this many milliseconds after the last write.
    #[arg(long, env = "OPTIVIEW_BATCH_MS", default_value_t = 1_000)]
    pub batch_ms: u64,
}

impl RunConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.batch_rows == 0 {
            return Err("--batch-rows must be at least 1".into());
        }
        if self.batch_ms == 0 {
            return Err("--batch-ms must be at least 1".into());
        }
        Ok(())
    }

    pub fn batch_period(&self) -> Duration {
        Duration::from_millis(self.batch_ms)
    }

    pub fn clickhouse(&self) -> clickhouse::Client {
        let mut client = clickhouse::Client::default()
            .with_url(&self.clickhouse_url)
            .with_database(&self.clickhouse_database);
        if let Some(user) = &self.clickhouse_user {
            client = client.with_user(user);
        }
        if let Some(password) = &self.clickhouse_password {
            client = client.with_password(password);
        }
        client
    }
}
