//! Settings of `stream-processors run`, from flags or environment variables.

use std::time::Duration;

use clap::Args;
use schemas::clickhouse_client::ClickHouseArgs;
use schemas::kafka::{BROKERS_ENV, DEFAULT_BROKERS};
use schemas::topics;

use crate::sessionize::SessionConfig;

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
    /// The sessionizer's changelog; needs the same partition count as the beacons topic.
    #[arg(long, env = "OPTIVIEW_SESSIONS_TOPIC", default_value = topics::SESSIONS)]
    pub sessions_topic: String,
    #[arg(long, env = "OPTIVIEW_DEADLETTER_TOPIC", default_value = topics::DEADLETTER)]
    pub deadletter_topic: String,
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
    #[command(flatten)]
    pub clickhouse: ClickHouseArgs,
    /// Address of /healthz, /readyz and /metrics.
    #[arg(
        long,
        env = "OPTIVIEW_PROCESSOR_OPS_ADDR",
        default_value = "127.0.0.1:8090"
    )]
    pub ops_addr: String,
    /// A batch is written when it holds this many records …
    #[arg(long, env = "OPTIVIEW_BATCH_ROWS", default_value_t = 5_000)]
    pub batch_rows: usize,
    /// … or this many milliseconds after the last write.
    #[arg(long, env = "OPTIVIEW_BATCH_MS", default_value_t = 1_000)]
    pub batch_ms: u64,
    /// How many days back a visitor's last AI touch is credited with a conversion.
    #[arg(long, env = "OPTIVIEW_ATTRIBUTION_LOOKBACK_DAYS", default_value_t = 30)]
    pub attribution_lookback_days: u32,
}

impl RunConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.batch_rows == 0 {
            return Err("--batch-rows must be at least 1".into());
        }
        if self.batch_ms == 0 {
            return Err("--batch-ms must be at least 1".into());
        }
        if self.attribution_lookback_days == 0 {
            return Err("--attribution-lookback-days must be at least 1".into());
        }
        Ok(())
    }

    pub fn sessions(&self) -> SessionConfig {
        SessionConfig::with_lookback_days(self.attribution_lookback_days)
    }

    pub fn batch_period(&self) -> Duration {
        Duration::from_millis(self.batch_ms)
    }
}

/// Settings of `stream-processors replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayConfig {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    #[arg(long, env = "OPTIVIEW_BEACONS_TOPIC", default_value = topics::BEACONS)]
    pub beacons_topic: String,
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
    #[command(flatten)]
    pub clickhouse: ClickHouseArgs,
    /// `all` (everything the topic retains) or `partition=offset[,partition=offset…]`.
    #[arg(long, default_value = "all")]
    pub from: crate::replay::StartAt,
    /// Rows per insert.
    #[arg(long, default_value_t = 20_000)]
    pub batch_rows: usize,
    /// How many days back a visitor's last AI touch is credited with a conversion.
    #[arg(long, env = "OPTIVIEW_ATTRIBUTION_LOOKBACK_DAYS", default_value_t = 30)]
    pub attribution_lookback_days: u32,
}
