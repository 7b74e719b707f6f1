//! Collector configuration: flags or environment, defaults as named functions, checked by
//! `validate()` before any I/O.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use schemas::kafka::{BROKERS_ENV, DEFAULT_BROKERS};
use schemas::topics;

#[derive(Debug, Clone, Args)]
pub struct EdgeConfig {
    /// Address to listen on.
    #[arg(long, env = "OPTIVIEW_EDGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Bootstrap brokers.
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    /// Control topic to follow for keys and properties.
    #[arg(long, env = "OPTIVIEW_CONTROL_TOPIC", default_value = topics::CONTROL)]
    pub control_topic: String,
    /// Topic accepted hits are written to.
    #[arg(long, env = "OPTIVIEW_BEACONS_TOPIC", default_value = topics::BEACONS)]
    pub beacons_topic: String,
    /// Topic for per-minute edge statistics.
    #[arg(long, env = "OPTIVIEW_EDGE_STATS_TOPIC", default_value = topics::EDGE_STATS)]
    pub edge_stats_topic: String,
    /// Largest request body accepted, in bytes (after gzip decoding).
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_BODY_BYTES", default_value_t = default_max_body_bytes())]
    pub max_body_bytes: usize,
    /// Most events or hits in one request.
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_EVENTS", default_value_t = default_max_events())]
    pub max_events: usize,
    /// Sustained requests per second allowed per API key.
    #[arg(long, env = "OPTIVIEW_EDGE_KEY_RPS", default_value_t = 500)]
    pub key_rps: u32,
    /// Burst above the sustained rate per key.
    #[arg(long, env = "OPTIVIEW_EDGE_KEY_BURST", default_value_t = 2000)]
    pub key_burst: u32,
    /// Sustained requests per second allowed per client IP.
    #[arg(long, env = "OPTIVIEW_EDGE_IP_RPS", default_value_t = 50)]
    pub ip_rps: u32,
    /// Burst above the sustained rate per client IP.
    #[arg(long, env = "OPTIVIEW_EDGE_IP_BURST", default_value_t = 200)]
    pub ip_burst: u32,
    /// Header carrying the client country set by a trusted proxy (e.g. CF-IPCountry).
    #[arg(long, env = "OPTIVIEW_EDGE_COUNTRY_HEADER")]
    pub country_header: Option<String>,
    /// Header carrying the client IP set by a trusted proxy (e.g. X-Forwarded-For); the peer
    /// address is used when unset.
    #[arg(long, env = "OPTIVIEW_EDGE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Extra page origins accepted for every key, exactly as the browser sends them
    /// (`http://127.0.0.1:8082`). For a local demo site only: production leaves it empty, so
    /// only a property's own domain gets in.
    #[arg(long, env = "OPTIVIEW_EDGE_DEV_ORIGINS", value_delimiter = ',')]
    pub dev_origins: Vec<String>,
    /// Secret salt for hashing truncated client IPs; keep it stable across instances.
    #[arg(
        long,
        env = "OPTIVIEW_IP_SALT",
        hide_env_values = true,
        default_value = ""
    )]
    pub ip_salt: String,
    /// How long a request may wait for the broker's acknowledgement before answering 503.
    #[arg(long, env = "OPTIVIEW_EDGE_PRODUCE_TIMEOUT_MS", default_value_t = 5000)]
    pub produce_timeout_ms: u64,
    /// Events that may be waiting for broker acknowledgement at once; beyond it requests get 503.
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_IN_FLIGHT", default_value_t = 20_000)]
    pub max_in_flight: usize,
    /// Name of this instance in edge statistics.
    #[arg(long, env = "OPTIVIEW_EDGE_INSTANCE", default_value = "edge-1")]
    pub instance_id: String,
}

pub fn default_max_body_bytes() -> usize {
    256 * 1024
}

pub fn default_max_events() -> usize {
    100
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl EdgeConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max_body_bytes", self.max_body_bytes as u64),
            ("max_events", self.max_events as u64),
            ("key_rps", u64::from(self.key_rps)),
            ("key_burst", u64::from(self.key_burst)),
            ("ip_rps", u64::from(self.ip_rps)),
            ("ip_burst", u64::from(self.ip_burst)),
            ("produce_timeout_ms", self.produce_timeout_ms),
            ("max_in_flight", self.max_in_flight as u64),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError(format!("{name} must be greater than 0")));
        }
        if self.max_in_flight < self.max_events {
            return Err(ConfigError(
                "max_in_flight must be at least max_events".into(),
            ));
        }
        Ok(())
    }

    pub fn produce_timeout(&self) -> Duration {
        Duration::from_millis(self.produce_timeout_ms)
    }
}
