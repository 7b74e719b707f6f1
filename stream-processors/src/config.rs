//! Settings of `stream-processors run`, `health` and `replay`, from flags or environment
//! variables; `validate()` checks them before any I/O (`platform::config`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use platform::clickhouse::ClickHouseArgs;
use platform::config::{ConfigError, Validate};
use platform::kafka::{BROKERS_ENV, DEFAULT_BROKERS};
use platform::raw_address::AddressKeyArgs;
use schemas::topics;

use crate::enrich::web_bot_auth::DirectoryConfig;
use crate::rdns::{CacheSettings, LookupSettings};
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
    /// Batches written at once while the next one fills (each holds up to --batch-rows records
    /// in memory); when all are still writing, consumption waits.
    #[arg(long, env = "OPTIVIEW_MAX_IN_FLIGHT_BATCHES", default_value_t = 2)]
    pub max_in_flight_batches: usize,
    /// How many days back a visitor's last AI touch is credited with a conversion.
    #[arg(long, env = "OPTIVIEW_ATTRIBUTION_LOOKBACK_DAYS", default_value_t = 30)]
    pub attribution_lookback_days: u32,
    /// Crawler IP-range sources refreshed on a schedule: `AGENT=URL|FILE` for a vendor's JSON list,
    /// `URL|FILE` for an agent<TAB>cidr list. None: the shipped ranges only.
    #[arg(
        long = "ip-range-source",
        env = "OPTIVIEW_IP_RANGE_SOURCES",
        value_delimiter = ','
    )]
    pub ip_range_sources: Vec<crate::jobs::ip_ranges::RangeSource>,
    /// Cron schedule (UTC, with seconds) of the IP-range refresh.
    #[arg(
        long,
        env = "OPTIVIEW_IP_RANGE_SCHEDULE",
        default_value = "0 30 * * * *"
    )]
    pub ip_range_schedule: String,
    #[command(flatten)]
    pub robots: RobotsArgs,
    #[command(flatten)]
    pub watchdog: WatchdogArgs,
    /// The keys server hits' addresses were sealed with (the collector's directory).
    #[command(flatten)]
    pub address_keys: AddressKeyArgs,
    #[command(flatten)]
    pub key_directories: KeyDirectoryArgs,
    #[command(flatten)]
    pub reverse_dns: ReverseDnsArgs,
}

/// Where and how Web Bot Auth signers' key directories are fetched.
#[derive(Debug, Clone, Args)]
pub struct KeyDirectoryArgs {
    /// Bound on one key directory fetch; a hit waits for its signer's at most this long.
    #[arg(
        long = "signature-directory-timeout-ms",
        env = "OPTIVIEW_SIGNATURE_DIRECTORY_TIMEOUT_MS",
        default_value_t = 3_000
    )]
    pub timeout_ms: u64,
    /// `ORIGIN=BASE`: fetch the key directory of Signature-Agent ORIGIN from BASE instead (plain
    /// http allowed), e.g. `https://chatgpt.com=http://127.0.0.1:8123` in tests. None by default:
    /// only https origins, each from itself.
    #[arg(
        long = "signature-directory-override",
        env = "OPTIVIEW_SIGNATURE_DIRECTORY_OVERRIDES",
        value_delimiter = ','
    )]
    pub overrides: Vec<String>,
}

impl KeyDirectoryArgs {
    /// The fetcher's settings; `Err` names a malformed override.
    pub fn config(&self) -> Result<DirectoryConfig, ConfigError> {
        let flag = "--signature-directory-override";
        let mut config = DirectoryConfig {
            timeout: Duration::from_millis(self.timeout_ms),
            ..DirectoryConfig::default()
        };
        for entry in &self.overrides {
            let bad =
                |why: &str| ConfigError::new(flag, format!("{entry:?} {why}; use ORIGIN=BASE"));
            let (origin, base) = entry.split_once('=').ok_or_else(|| bad("has no ="))?;
            let origin = url::Url::parse(origin.trim())
                .map_err(|_| bad("names no origin"))?
                .origin()
                .ascii_serialization();
            let base = url::Url::parse(base.trim()).map_err(|_| bad("has no base URL"))?;
            if !matches!(base.scheme(), "http" | "https") || origin == "null" {
                return Err(bad("is not an http(s) origin and base"));
            }
            config.overrides.insert(origin, base);
        }
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--signature-directory-timeout-ms", self.timeout_ms)?;
        self.config().map(drop)
    }
}

/// Forward-confirmed reverse DNS of crawler claims (`crate::rdns`).
#[derive(Debug, Clone, Args)]
pub struct ReverseDnsArgs {
    /// Check claims of agents whose operators document reverse DNS (`false`: published ranges
    /// only).
    #[arg(
        long = "reverse-dns",
        env = "OPTIVIEW_REVERSE_DNS",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub enabled: bool,
    /// The DNS server asked, ip:port; without it, those of /etc/resolv.conf.
    #[arg(long, env = "OPTIVIEW_DNS_SERVER")]
    pub dns_server: Option<SocketAddr>,
    /// A check (PTR, then A/AAAA) without an answer within this long is undecided: the hit
    /// keeps the other methods' verdict.
    #[arg(long, env = "OPTIVIEW_DNS_TIMEOUT_MS", default_value_t = 3_000)]
    pub dns_timeout_ms: u64,
    /// Checks running at once.
    #[arg(long, env = "OPTIVIEW_DNS_MAX_IN_FLIGHT", default_value_t = 256)]
    pub dns_max_in_flight: usize,
    /// Server hits held back for a verdict at most; 0 writes every hit at once.
    #[arg(long, env = "OPTIVIEW_DNS_MAX_WAITING", default_value_t = 20_000)]
    pub dns_max_waiting: usize,
    /// Verdicts cached (address and claimed agent).
    #[arg(long, env = "OPTIVIEW_DNS_CACHE_ENTRIES", default_value_t = 100_000)]
    pub dns_cache_entries: u64,
    #[arg(long, env = "OPTIVIEW_DNS_VERIFIED_TTL_SECS", default_value_t = 6 * 3600)]
    pub dns_verified_ttl_secs: u64,
    #[arg(long, env = "OPTIVIEW_DNS_SPOOFED_TTL_SECS", default_value_t = 3600)]
    pub dns_spoofed_ttl_secs: u64,
    /// A check DNS did not answer is asked again after this long.
    #[arg(long, env = "OPTIVIEW_DNS_RETRY_SECS", default_value_t = 60)]
    pub dns_retry_secs: u64,
}

impl ReverseDnsArgs {
    pub fn settings(&self) -> LookupSettings {
        LookupSettings {
            timeout: Duration::from_millis(self.dns_timeout_ms),
            max_in_flight: self.dns_max_in_flight,
            max_waiting: self.dns_max_waiting,
            cache: CacheSettings {
                entries: self.dns_cache_entries,
                verified_ttl: Duration::from_secs(self.dns_verified_ttl_secs),
                spoofed_ttl: Duration::from_secs(self.dns_spoofed_ttl_secs),
                retry_after: Duration::from_secs(self.dns_retry_secs),
            },
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--dns-timeout-ms", self.dns_timeout_ms)?;
        at_least_one("--dns-max-in-flight", self.dns_max_in_flight as u64)?;
        at_least_one("--dns-cache-entries", self.dns_cache_entries)?;
        at_least_one("--dns-verified-ttl-secs", self.dns_verified_ttl_secs)?;
        at_least_one("--dns-spoofed-ttl-secs", self.dns_spoofed_ttl_secs)?;
        at_least_one("--dns-retry-secs", self.dns_retry_secs)
    }
}

/// The robots.txt refresh: where each property's file is fetched, how often, and how much of it.
#[derive(Debug, Clone, Args)]
pub struct RobotsArgs {
    /// Where a property's robots.txt is fetched; `{domain}` is the property's domain (tests and
    /// the local stack point it at a local server over http).
    #[arg(
        long,
        env = "OPTIVIEW_ROBOTS_URL",
        default_value = crate::jobs::robots_txt::DEFAULT_URL
    )]
    pub robots_url: String,
    /// Cron schedule (UTC, with seconds) of the refresh of every property's file.
    #[arg(long, env = "OPTIVIEW_ROBOTS_SCHEDULE", default_value = "0 10 * * * *")]
    pub robots_schedule: String,
    /// Seconds one fetch may take, redirects included.
    #[arg(long, env = "OPTIVIEW_ROBOTS_TIMEOUT_SECS", default_value_t = 10)]
    pub robots_timeout_secs: u64,
    /// Bytes of a file read; the rest is ignored. RFC 9309 asks for at least 500 KiB.
    #[arg(
        long,
        env = "OPTIVIEW_ROBOTS_MAX_BYTES",
        default_value_t = platform::robots::MAX_BYTES
    )]
    pub robots_max_bytes: usize,
    /// Every this many seconds, properties the control plane added are fetched for the first
    /// time, so their first crawler hits are judged rather than unknown.
    #[arg(long, env = "OPTIVIEW_ROBOTS_NEW_PROPERTY_SECS", default_value_t = 5)]
    pub robots_new_property_secs: u64,
    /// Fetch from loopback and private addresses too (a local stack's demo site, tests). Off,
    /// a property whose domain resolves or redirects to such an address is not fetched.
    #[arg(long, env = "OPTIVIEW_ROBOTS_ALLOW_PRIVATE_ADDRESSES")]
    pub robots_allow_private_addresses: bool,
}

impl RobotsArgs {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.robots_timeout_secs)
    }

    pub fn new_property_period(&self) -> Duration {
        Duration::from_secs(self.robots_new_property_secs)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.robots_url.starts_with("http://") && !self.robots_url.starts_with("https://") {
            return Err(ConfigError::new(
                "--robots-url",
                format!("{:?} is not an http(s) URL", self.robots_url),
            ));
        }
        if self.robots_max_bytes < platform::robots::MAX_BYTES {
            return Err(ConfigError::new(
                "--robots-max-bytes",
                format!(
                    "is {}; RFC 9309 asks parsers to read at least {} bytes",
                    self.robots_max_bytes,
                    platform::robots::MAX_BYTES
                ),
            ));
        }
        at_least_one("--robots-timeout-secs", self.robots_timeout_secs)?;
        at_least_one("--robots-new-property-secs", self.robots_new_property_secs)
    }
}

/// When a group consumer counts as stuck, and what it does about it.
#[derive(Debug, Clone, Args)]
pub struct WatchdogArgs {
    /// A consumer that holds no partition, or consumes nothing, while its group's topic has
    /// uncommitted records for longer than this many seconds answers 503 on /readyz and rejoins
    /// the group as a fresh member.
    #[arg(long, env = "OPTIVIEW_STUCK_AFTER_SECS", default_value_t = 30)]
    pub stuck_after_secs: u64,
    /// Rejoins without progress in between before the process exits non-zero, for its
    /// supervisor to restart it.
    #[arg(long, env = "OPTIVIEW_REJOIN_ATTEMPTS", default_value_t = 2)]
    pub rejoin_attempts: u32,
}

impl WatchdogArgs {
    pub fn stuck_after(&self) -> Duration {
        Duration::from_secs(self.stuck_after_secs)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--stuck-after-secs", self.stuck_after_secs)
    }
}

/// `Err` naming `flag` unless `value` is at least 1.
fn at_least_one(flag: &'static str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::new(flag, "is 0; use at least 1"));
    }
    Ok(())
}

/// `Err` naming `flag` unless `value` is 0 or more.
fn not_negative(flag: &'static str, value: i64) -> Result<(), ConfigError> {
    if value < 0 {
        return Err(ConfigError::new(flag, format!("is {value}; use 0 or more")));
    }
    Ok(())
}

impl Validate for RunConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--batch-rows", self.batch_rows as u64)?;
        at_least_one("--batch-ms", self.batch_ms)?;
        at_least_one("--max-in-flight-batches", self.max_in_flight_batches as u64)?;
        at_least_one(
            "--attribution-lookback-days",
            u64::from(self.attribution_lookback_days),
        )?;
        self.watchdog.validate()?;
        self.key_directories.validate()?;
        self.robots.validate()?;
        self.reverse_dns.validate()?;
        self.address_keys.validate()
    }
}

impl RunConfig {
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
    /// The keys server hits' addresses were sealed with; a hit whose key is gone keeps the
    /// verification it was stored with.
    #[command(flatten)]
    pub address_keys: AddressKeyArgs,
}

impl Validate for ReplayConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--batch-rows", self.batch_rows as u64)?;
        at_least_one(
            "--attribution-lookback-days",
            u64::from(self.attribution_lookback_days),
        )?;
        self.address_keys.validate()
    }
}

impl ReplayConfig {
    pub fn sessions(&self) -> SessionConfig {
        SessionConfig::with_lookback_days(self.attribution_lookback_days)
    }
}

/// Settings of `stream-processors rebuild-sessions` (README § Growing partitions).
#[derive(Debug, Clone, Args)]
pub struct RebuildSessionsConfig {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    #[arg(long, env = "OPTIVIEW_BEACONS_TOPIC", default_value = topics::BEACONS)]
    pub beacons_topic: String,
    #[arg(long, env = "OPTIVIEW_SESSIONS_TOPIC", default_value = topics::SESSIONS)]
    pub sessions_topic: String,
    /// The visitor partition count both topics already have (the setting `query-api topics`
    /// created or grew them with).
    #[arg(long, env = topics::VISITOR_PARTITIONS_ENV, default_value_t = topics::DEFAULT_VISITOR_PARTITIONS)]
    pub partitions: i32,
    /// Print what would move without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

impl Validate for RebuildSessionsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        at_least_one("--partitions", u64::try_from(self.partitions).unwrap_or(0))
    }
}

/// Settings of `stream-processors health`: the health processor, alerting and the maintenance
/// jobs. Run one instance: windows are global.
#[derive(Debug, Clone, Args)]
pub struct HealthConfig {
    /// Bootstrap brokers, host:port[,host:port].
    #[arg(long, env = BROKERS_ENV, default_value = DEFAULT_BROKERS)]
    pub brokers: String,
    #[arg(long, env = "OPTIVIEW_HEALTH_GROUP", default_value = "optiview-health")]
    pub group: String,
    #[arg(long, env = "OPTIVIEW_EDGE_STATS_TOPIC", default_value = topics::EDGE_STATS)]
    pub edge_stats_topic: String,
    #[arg(long, env = "OPTIVIEW_DEADLETTER_TOPIC", default_value = topics::DEADLETTER)]
    pub deadletter_topic: String,
    #[command(flatten)]
    pub clickhouse: ClickHouseArgs,
    /// Address of /healthz, /readyz and /metrics.
    #[arg(
        long,
        env = "OPTIVIEW_HEALTH_OPS_ADDR",
        default_value = "127.0.0.1:8091"
    )]
    pub ops_addr: String,
    /// Slack incoming-webhook URL; without one alerts are logged and recorded only.
    #[arg(long, env = "OPTIVIEW_SLACK_WEBHOOK_URL")]
    pub slack_webhook_url: Option<String>,
    /// Attempts per Slack post; the wait doubles after each failure.
    #[arg(long, env = "OPTIVIEW_SLACK_ATTEMPTS", default_value_t = 5)]
    pub slack_attempts: u32,
    #[arg(long, env = "OPTIVIEW_SLACK_BACKOFF_MS", default_value_t = 1_000)]
    pub slack_backoff_ms: u64,
    /// Where the dashboard is served; messages link to its /admin/health.
    #[arg(
        long,
        env = "OPTIVIEW_PUBLIC_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub public_url: String,
    #[arg(long, env = "OPTIVIEW_ALERT_ERROR_RATE", default_value_t = 0.01)]
    pub error_rate_threshold: f64,
    #[arg(long, env = "OPTIVIEW_ALERT_P95_MS", default_value_t = 200.0)]
    pub p95_threshold_ms: f64,
    /// Error-rate and latency rules need at least this many events in the window.
    #[arg(long, env = "OPTIVIEW_ALERT_MIN_EVENTS", default_value_t = 500)]
    pub min_events: i64,
    #[arg(long, env = "OPTIVIEW_ALERT_STALL_MINUTES", default_value_t = 90)]
    pub stall_minutes: i64,
    #[arg(long, env = "OPTIVIEW_ALERT_DEDUP_MINUTES", default_value_t = 15)]
    pub dedup_minutes: i64,
    #[arg(long, env = "OPTIVIEW_HEALTH_WINDOW_MINUTES", default_value_t = 5)]
    pub window_minutes: u32,
    /// Evaluate the newest window after the input has been quiet this long.
    #[arg(long, env = "OPTIVIEW_HEALTH_SETTLE_MS", default_value_t = 10_000)]
    pub settle_ms: u64,
    /// Period of the stall check and the consumer-lag sample.
    #[arg(long, env = "OPTIVIEW_HEALTH_TICK_MS", default_value_t = 60_000)]
    pub tick_ms: u64,
    /// Consumer groups whose lag is sampled, as group=topic pairs.
    #[arg(
        long,
        env = "OPTIVIEW_LAG_GROUPS",
        default_value = "optiview-loader=optiview.beacons.v1,optiview-health=optiview.edge-stats.v1"
    )]
    pub lag_groups: String,
    /// A watched group whose lag has grown, without falling, for longer than this many seconds
    /// raises a consumer-lag alert (a group without members raises its own).
    #[arg(long, env = "OPTIVIEW_LAG_GROWTH_SECS", default_value_t = 300)]
    pub lag_growth_secs: i64,
    /// A watched group without an active member for longer than this many seconds raises a
    /// no-consumer alert.
    #[arg(long, env = "OPTIVIEW_NO_MEMBER_SECS", default_value_t = 120)]
    pub no_member_secs: i64,
    /// A project's crawler hits by one operator (or spoofed hits claiming one agent) in the
    /// surge window at least this many times the trailing baseline raise a surge alert.
    #[arg(long, env = "OPTIVIEW_SURGE_FACTOR", default_value_t = 5.0)]
    pub surge_factor: f64,
    /// Surges need at least this many hits in the window.
    #[arg(long, env = "OPTIVIEW_SURGE_MIN_HITS", default_value_t = 100)]
    pub surge_min_hits: u64,
    #[arg(long, env = "OPTIVIEW_SURGE_WINDOW_MINUTES", default_value_t = 60)]
    pub surge_window_minutes: i64,
    #[arg(long, env = "OPTIVIEW_SURGE_BASELINE_HOURS", default_value_t = 168)]
    pub surge_baseline_hours: i64,
    #[command(flatten)]
    pub watchdog: WatchdogArgs,
    /// Cron schedule (UTC, with seconds) of the retention purge check; empty disables it.
    #[arg(
        long,
        env = "OPTIVIEW_RETENTION_SCHEDULE",
        default_value = "0 15 * * * *"
    )]
    pub retention_schedule: String,
    /// Cron schedule of rollup maintenance; empty disables it.
    #[arg(long, env = "OPTIVIEW_ROLLUP_SCHEDULE", default_value = "0 45 * * * *")]
    pub rollup_schedule: String,
}

impl HealthConfig {
    pub fn thresholds(&self) -> crate::health::rules::Thresholds {
        crate::health::rules::Thresholds {
            error_rate: self.error_rate_threshold,
            p95_ms: self.p95_threshold_ms,
            min_events: self.min_events,
            stall_minutes: self.stall_minutes,
            dedup_minutes: self.dedup_minutes,
            lag_growth_secs: self.lag_growth_secs,
            no_member_secs: self.no_member_secs,
            surge_factor: self.surge_factor,
            surge_min_hits: self.surge_min_hits,
            surge_window_minutes: self.surge_window_minutes,
            surge_baseline_hours: self.surge_baseline_hours,
        }
    }
}

impl Validate for HealthConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let rate = self.error_rate_threshold;
        if !(0.0..1.0).contains(&rate) {
            return Err(ConfigError::new(
                "--error-rate-threshold",
                format!("is {rate}; use a fraction from 0 up to (not including) 1"),
            ));
        }
        let p95 = self.p95_threshold_ms;
        if p95.is_nan() || p95 <= 0.0 {
            return Err(ConfigError::new(
                "--p95-threshold-ms",
                format!("is {p95}; use a number of milliseconds above 0"),
            ));
        }
        not_negative("--min-events", self.min_events)?;
        if self.stall_minutes < 1 {
            return Err(ConfigError::new(
                "--stall-minutes",
                format!("is {}; use at least 1", self.stall_minutes),
            ));
        }
        not_negative("--dedup-minutes", self.dedup_minutes)?;
        at_least_one("--window-minutes", u64::from(self.window_minutes))?;
        at_least_one("--settle-ms", self.settle_ms)?;
        at_least_one("--tick-ms", self.tick_ms)?;
        at_least_one("--lag-growth-secs", self.lag_growth_secs.max(0) as u64)?;
        at_least_one("--no-member-secs", self.no_member_secs.max(0) as u64)?;
        if self.surge_factor.is_nan() || self.surge_factor <= 1.0 {
            return Err(ConfigError::new(
                "--surge-factor",
                format!("is {}; use a multiple above 1", self.surge_factor),
            ));
        }
        at_least_one(
            "--surge-window-minutes",
            self.surge_window_minutes.max(0) as u64,
        )?;
        if self.surge_baseline_hours * 60 < self.surge_window_minutes {
            return Err(ConfigError::new(
                "--surge-baseline-hours",
                format!(
                    "is {} h, shorter than the {}-minute window; use a longer baseline",
                    self.surge_baseline_hours, self.surge_window_minutes
                ),
            ));
        }
        self.watchdog.validate()?;
        crate::ops::group_lag::parse_groups(&self.lag_groups).map_err(|problem| {
            ConfigError::new(
                "--lag-groups",
                format!("{problem}; use group=topic[,group=topic…]"),
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli<T: Args> {
        #[command(flatten)]
        config: T,
    }

    /// The message `validated()` would print for `args`, or None when they are valid.
    fn problem<T: Args + Validate>(args: &[&str]) -> Option<String> {
        let cli = Cli::<T>::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.config.validate().err().map(|e| e.to_string())
    }

    fn check<T: Args + Validate>(cases: &[(&[&str], &str)]) {
        assert_eq!(problem::<T>(&[]), None, "the defaults are valid");
        for (args, want) in cases {
            assert_eq!(problem::<T>(args).as_deref(), Some(*want), "{args:?}");
        }
    }

    #[test]
    fn run_names_each_flag_that_cannot_work() {
        check::<RunConfig>(&[
            (
                &["--batch-rows", "0"],
                "invalid --batch-rows: is 0; use at least 1",
            ),
            (
                &["--batch-ms", "0"],
                "invalid --batch-ms: is 0; use at least 1",
            ),
            (
                &["--max-in-flight-batches", "0"],
                "invalid --max-in-flight-batches: is 0; use at least 1",
            ),
            (
                &["--attribution-lookback-days", "0"],
                "invalid --attribution-lookback-days: is 0; use at least 1",
            ),
            (
                &["--address-key-hours", "12"],
                "invalid --address-key-hours: is 12; use at least 24",
            ),
            (
                &["--signature-directory-timeout-ms", "0"],
                "invalid --signature-directory-timeout-ms: is 0; use at least 1",
            ),
            (
                &["--signature-directory-override", "https://chatgpt.com"],
                "invalid --signature-directory-override: \"https://chatgpt.com\" has no =; use ORIGIN=BASE",
            ),
            (
                &["--signature-directory-override", "https://chatgpt.com=ftp://x"],
                "invalid --signature-directory-override: \"https://chatgpt.com=ftp://x\" is not an http(s) origin and base; use ORIGIN=BASE",
            ),
            (
                &["--robots-url", "file:///etc/robots.txt"],
                "invalid --robots-url: \"file:///etc/robots.txt\" is not an http(s) URL",
            ),
            (
                &["--robots-max-bytes", "1000"],
                "invalid --robots-max-bytes: is 1000; RFC 9309 asks parsers to read at least 512000 bytes",
            ),
            (
                &["--robots-timeout-secs", "0"],
                "invalid --robots-timeout-secs: is 0; use at least 1",
            ),
            (
                &["--dns-timeout-ms", "0"],
                "invalid --dns-timeout-ms: is 0; use at least 1",
            ),
            (
                &["--dns-max-in-flight", "0"],
                "invalid --dns-max-in-flight: is 0; use at least 1",
            ),
            (
                &["--dns-retry-secs", "0"],
                "invalid --dns-retry-secs: is 0; use at least 1",
            ),
        ]);
    }

    #[test]
    fn directory_overrides_map_origins_to_bases() {
        use clap::Parser;
        let cli = Cli::<RunConfig>::try_parse_from([
            "test",
            "--signature-directory-override",
            "https://chatgpt.com/=http://127.0.0.1:8123,https://a.example:8443=http://127.0.0.1:9",
        ])
        .unwrap();
        let config = cli.config.key_directories.config().unwrap();
        assert_eq!(
            config
                .overrides
                .get("https://chatgpt.com")
                .map(|u| u.as_str()),
            Some("http://127.0.0.1:8123/")
        );
        assert!(config.overrides.contains_key("https://a.example:8443"));
        assert!(Cli::<RunConfig>::try_parse_from(["test"])
            .unwrap()
            .config
            .key_directories
            .config()
            .unwrap()
            .overrides
            .is_empty());
    }

    #[test]
    fn replay_names_each_flag_that_cannot_work() {
        check::<ReplayConfig>(&[
            (
                &["--batch-rows", "0"],
                "invalid --batch-rows: is 0; use at least 1",
            ),
            (
                &["--attribution-lookback-days", "0"],
                "invalid --attribution-lookback-days: is 0; use at least 1",
            ),
        ]);
    }

    #[test]
    fn health_names_each_flag_that_cannot_work() {
        check::<HealthConfig>(&[
            (
                &["--error-rate-threshold", "1"],
                "invalid --error-rate-threshold: is 1; use a fraction from 0 up to (not including) 1",
            ),
            (
                &["--error-rate-threshold=-0.1"],
                "invalid --error-rate-threshold: is -0.1; use a fraction from 0 up to (not including) 1",
            ),
            (
                &["--p95-threshold-ms", "0"],
                "invalid --p95-threshold-ms: is 0; use a number of milliseconds above 0",
            ),
            (
                &["--min-events=-1"],
                "invalid --min-events: is -1; use 0 or more",
            ),
            (
                &["--stall-minutes", "0"],
                "invalid --stall-minutes: is 0; use at least 1",
            ),
            (
                &["--dedup-minutes=-1"],
                "invalid --dedup-minutes: is -1; use 0 or more",
            ),
            (
                &["--window-minutes", "0"],
                "invalid --window-minutes: is 0; use at least 1",
            ),
            (&["--settle-ms", "0"], "invalid --settle-ms: is 0; use at least 1"),
            (&["--tick-ms", "0"], "invalid --tick-ms: is 0; use at least 1"),
            (
                &["--lag-groups", "optiview-loader"],
                "invalid --lag-groups: \"optiview-loader\" is not group=topic; use group=topic[,group=topic…]",
            ),
        ]);
        assert_eq!(
            problem::<HealthConfig>(&["--dedup-minutes", "0"]),
            None,
            "0 turns deduplication off"
        );
    }
}
