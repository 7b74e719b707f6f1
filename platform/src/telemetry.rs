//! Logging and metrics set-up, the same in every service: logs as JSON lines in production (one
//! flag), human-readable text locally; Prometheus histograms with explicit buckets, so they export
//! as histograms that add up across instances (the exporter's default is a summary, which cannot).

use clap::{Args, ValueEnum};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (local development).
    Text,
    /// One JSON object per line (production log shippers).
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long = "log-format", env = "OPTIVIEW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub format: LogFormat,
}

impl LogArgs {
    /// Installs the global subscriber: to stderr, so commands that print results keep stdout;
    /// `RUST_LOG` overrides `default_level`. A second call (tests) leaves the first in place.
    pub fn init(&self, default_level: &str) {
        let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| default_level.into());
        // The DNS client logs the names it asks, and a PTR name spells the client address out:
        // addresses never reach logs, whatever RUST_LOG asks for (outcomes are metrics).
        for quiet in ["hickory_proto=off", "hickory_resolver=off"] {
            if let Ok(directive) = quiet.parse() {
                filter = filter.add_directive(directive);
            }
        }
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = match self.format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    }
}

/// Bucket bounds, in seconds, of every `*_seconds` histogram: request latencies from 1 ms (the
/// collector's p50) to 10 s (a stuck insert), with 200 ms (the p95 alert threshold) as an edge.
pub const SECONDS_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A Prometheus builder whose `*_seconds` metrics are histograms with [`SECONDS_BUCKETS`].
pub fn prometheus_builder() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
}

/// Installs the process-wide recorder; the handle renders `/metrics`.
pub fn install_prometheus() -> Result<PrometheusHandle, BuildError> {
    prometheus_builder()?.install_recorder()
}
