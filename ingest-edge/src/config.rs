//! Collector configuration: flags or environment, defaults as named functions, checked by
//! `validate()` before any I/O (`platform::config`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use platform::client_ip::ClientIpArgs;
use platform::config::{ConfigError, Validate};
use platform::ip_database::IpDatabaseArgs;
use platform::kafka::{BROKERS_ENV, DEFAULT_BROKERS};
use platform::raw_address::AddressKeyArgs;
use schemas::topics;

use crate::body::BodyLimits;

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
    /// Largest tag beacon (`/v1/collect`) accepted, in bytes (after gzip decoding).
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_BODY_BYTES", default_value_t = default_max_body_bytes())]
    pub max_body_bytes: usize,
    /// Most events in one tag beacon (`/v1/collect`).
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_EVENTS", default_value_t = default_max_events())]
    pub max_events: usize,
    /// Largest server-hit batch (`/v1/hits`) accepted, in bytes after gzip decoding: sized for
    /// log shippers, which send a few MB at a time. The body is parsed line by line as it
    /// arrives, so memory holds the encoded hits (about half the text), not the body.
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_HITS_BYTES", default_value_t = default_max_hits_bytes())]
    pub max_hits_bytes: usize,
    /// Most lines (hits) in one `/v1/hits` batch.
    #[arg(long, env = "OPTIVIEW_EDGE_MAX_HITS_LINES", default_value_t = default_max_hits_lines())]
    pub max_hits_lines: usize,
    /// How long a request body may take to arrive, in milliseconds; a slower one is answered 408.
    #[arg(long, env = "OPTIVIEW_EDGE_BODY_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_timeout_ms: u64,
    /// Sustained server-hit requests (`/v1/hits`) per second allowed per API key. Tag beacons
    /// have their own buckets (--tag-rps), so a flood on the public key id leaves these alone.
    #[arg(long, env = "OPTIVIEW_EDGE_KEY_RPS", default_value_t = 500)]
    pub key_rps: u32,
    /// Burst above the sustained rate per key.
    #[arg(long, env = "OPTIVIEW_EDGE_KEY_BURST", default_value_t = 2000)]
    pub key_burst: u32,
    /// Sustained tag-beacon requests (`/v1/collect`) per second allowed per API key and client
    /// address: the key id is public, so one address cannot use up a tenant's other visitors'.
    #[arg(long, env = "OPTIVIEW_EDGE_TAG_RPS", default_value_t = 50)]
    pub tag_rps: u32,
    /// Burst above the sustained tag rate per key and client address.
    #[arg(long, env = "OPTIVIEW_EDGE_TAG_BURST", default_value_t = 200)]
    pub tag_burst: u32,
    /// Sustained requests per second allowed per client IP.
    #[arg(long, env = "OPTIVIEW_EDGE_IP_RPS", default_value_t = 50)]
    pub ip_rps: u32,
    /// Burst above the sustained rate per client IP.
    #[arg(long, env = "OPTIVIEW_EDGE_IP_BURST", default_value_t = 200)]
    pub ip_burst: u32,
    /// Header carrying the client country set by a trusted proxy (e.g. CF-IPCountry); read only
    /// from peers in --trusted-proxies. Where it gives a country it wins over --country-database,
    /// which answers for requests without it.
    #[arg(long, env = "OPTIVIEW_EDGE_COUNTRY_HEADER")]
    pub country_header: Option<String>,
    /// The address → network and country databases every beacon's client address is looked up
    /// in (tag beacons: the request's client; server hits: the address the hit names).
    #[command(flatten)]
    pub ip_databases: IpDatabaseArgs,
    /// Which proxies are believed about the client address (per-IP limits, `ip_hash`).
    #[command(flatten)]
    pub client_ip: ClientIpArgs,
    /// The keys server hits' raw addresses are sealed with before they reach the topic.
    #[command(flatten)]
    pub address_keys: AddressKeyArgs,
    /// Extra page origins accepted for every key, exactly as the browser sends them
    /// (`http://127.0.0.1:8082`). For a local demo site only: production leaves it empty, so
    /// only a property's own domain gets in.
    #[arg(long, env = "OPTIVIEW_EDGE_DEV_ORIGINS", value_delimiter = ',')]
    pub dev_origins: Vec<String>,
    /// `production` refuses to start without --ip-salt or with Kafka other than SASL_SSL;
    /// `local` (the default) only warns.
    #[arg(long, env = "OPTIVIEW_ENVIRONMENT", value_enum, default_value_t = Environment::Local)]
    pub environment: Environment,
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
    /// Directory of the cookieless visitor salts, one file per UTC day, each destroyed 48 h after
    /// its day began. Every collector instance must share it (one volume), or two would derive two
    /// ids for one visitor. infra/stack points it at its data directory.
    #[arg(
        long,
        env = "OPTIVIEW_EDGE_COOKIELESS_SALT_DIR",
        default_value = default_cookieless_salt_dir()
    )]
    pub cookieless_salt_dir: PathBuf,
    /// How often salts past their 48 hours are destroyed, in seconds (also on every day change).
    #[arg(long, env = "OPTIVIEW_EDGE_SALT_PURGE_SECS", default_value_t = 300)]
    pub salt_purge_secs: u64,
    /// Name of this instance in edge statistics.
    #[arg(long, env = "OPTIVIEW_EDGE_INSTANCE", default_value = "edge-1")]
    pub instance_id: String,
}

pub use platform::config::Environment;

pub fn default_max_body_bytes() -> usize {
    256 * 1024
}

pub fn default_max_events() -> usize {
    100
}

/// 8 MiB: Vector's and most shippers' default batch is smaller, and 10 000 nginx lines fit.
pub fn default_max_hits_bytes() -> usize {
    8 * 1024 * 1024
}

pub fn default_max_hits_lines() -> usize {
    10_000
}

/// The local stack's data directory (`.stack`, beside the repository's root).
pub fn default_cookieless_salt_dir() -> &'static str {
    ".stack/cookieless-salts"
}

impl Validate for EdgeConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("--max-body-bytes", self.max_body_bytes as u64),
            ("--max-events", self.max_events as u64),
            ("--max-hits-bytes", self.max_hits_bytes as u64),
            ("--max-hits-lines", self.max_hits_lines as u64),
            ("--body-timeout-ms", self.body_timeout_ms),
            ("--key-rps", u64::from(self.key_rps)),
            ("--key-burst", u64::from(self.key_burst)),
            ("--tag-rps", u64::from(self.tag_rps)),
            ("--tag-burst", u64::from(self.tag_burst)),
            ("--ip-rps", u64::from(self.ip_rps)),
            ("--ip-burst", u64::from(self.ip_burst)),
            ("--produce-timeout-ms", self.produce_timeout_ms),
            ("--max-in-flight", self.max_in_flight as u64),
            ("--salt-purge-secs", self.salt_purge_secs),
        ];
        if let Some((flag, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::new(flag, "is 0; use at least 1"));
        }
        // Below either, a full request could never be accepted.
        for (flag, most) in [
            ("--max-events", self.max_events),
            ("--max-hits-lines", self.max_hits_lines),
        ] {
            if self.max_in_flight < most {
                return Err(ConfigError::new(
                    "--max-in-flight",
                    format!(
                        "is {}, below {flag}; use at least {most}",
                        self.max_in_flight
                    ),
                ));
            }
        }
        self.address_keys.validate()?;
        self.ip_databases.validate()?;
        if self.environment == Environment::Production && self.ip_salt.is_empty() {
            // Unsalted, a truncated address is recovered from its hash by trying every /24.
            return Err(ConfigError::new(
                "--ip-salt",
                "is empty in production; set OPTIVIEW_IP_SALT from the secret store",
            ));
        }
        if self.environment == Environment::Production && self.cookieless_salt_dir.is_relative() {
            // Relative to wherever the process started: two instances would hold different salts,
            // and a restart elsewhere would lose today's.
            return Err(ConfigError::new(
                "--cookieless-salt-dir",
                "is relative in production; set OPTIVIEW_EDGE_COOKIELESS_SALT_DIR to the shared \
                 salt volume",
            ));
        }
        Ok(())
    }
}

impl EdgeConfig {
    pub fn produce_timeout(&self) -> Duration {
        Duration::from_millis(self.produce_timeout_ms)
    }

    /// A tag beacon's body limits.
    pub fn beacon_body(&self) -> BodyLimits {
        BodyLimits {
            bytes: self.max_body_bytes,
            time: Duration::from_millis(self.body_timeout_ms),
        }
    }

    /// A server-hit batch's body limits.
    pub fn hits_body(&self) -> BodyLimits {
        BodyLimits {
            bytes: self.max_hits_bytes,
            time: Duration::from_millis(self.body_timeout_ms),
        }
    }

    pub fn salt_purge_period(&self) -> Duration {
        Duration::from_secs(self.salt_purge_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: EdgeConfig,
    }

    fn problem(args: &[&str]) -> Option<String> {
        let cli = Cli::try_parse_from(std::iter::once("ingest-edge").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.config.validate().err().map(|e| e.to_string())
    }

    #[test]
    fn each_flag_that_cannot_work_is_named_with_what_would() {
        assert_eq!(problem(&[]), None, "the defaults are valid");
        for flag in [
            "--max-body-bytes",
            "--max-events",
            "--max-hits-bytes",
            "--max-hits-lines",
            "--body-timeout-ms",
            "--key-rps",
            "--key-burst",
            "--tag-rps",
            "--tag-burst",
            "--ip-rps",
            "--ip-burst",
            "--produce-timeout-ms",
            "--max-in-flight",
            "--salt-purge-secs",
        ] {
            assert_eq!(
                problem(&[flag, "0"]).as_deref(),
                Some(format!("invalid {flag}: is 0; use at least 1").as_str())
            );
        }
        assert_eq!(
            problem(&["--max-in-flight", "50", "--max-events", "100"]).as_deref(),
            Some("invalid --max-in-flight: is 50, below --max-events; use at least 100")
        );
        assert_eq!(
            problem(&["--max-in-flight", "5000", "--max-hits-lines", "6000"]).as_deref(),
            Some("invalid --max-in-flight: is 5000, below --max-hits-lines; use at least 6000")
        );
    }

    #[test]
    fn production_refuses_an_empty_ip_salt() {
        assert_eq!(
            problem(&["--environment", "production"]).as_deref(),
            Some(
                "invalid --ip-salt: is empty in production; set OPTIVIEW_IP_SALT from the \
                 secret store"
            )
        );
        assert_eq!(
            problem(&[
                "--environment",
                "production",
                "--ip-salt",
                "s",
                "--cookieless-salt-dir",
                "/salts"
            ]),
            None
        );
        assert_eq!(problem(&["--environment", "local"]), None);
    }

    #[test]
    fn production_needs_an_absolute_salt_directory() {
        let production = ["--environment", "production", "--ip-salt", "s"];
        // Named, not left to the default: the environment infra/test runs in sets an absolute one.
        let relative = [&production[..], &["--cookieless-salt-dir", "salts"]].concat();
        assert_eq!(
            problem(&relative).as_deref(),
            Some(
                "invalid --cookieless-salt-dir: is relative in production; set \
                 OPTIVIEW_EDGE_COOKIELESS_SALT_DIR to the shared salt volume"
            )
        );
        let shared = [
            &production[..],
            &["--cookieless-salt-dir", "/var/lib/optiview/s"],
        ]
        .concat();
        assert_eq!(problem(&shared), None);
    }
}
