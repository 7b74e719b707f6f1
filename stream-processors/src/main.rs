//! stream-processors: the loader (`run`), the health processor (`health`), `replay`, and the
//! enrichment evaluation commands (`classify`, `attribute`, `catalog-version`). Parses, validates
//! and dispatches; `wiring` builds the services.

use std::io::BufWriter;

use clap::{Parser, Subcommand};
use platform::config::validated;
use platform::telemetry::LogArgs;
use stream_processors::config::{HealthConfig, RebuildSessionsConfig, ReplayConfig, RunConfig};
use stream_processors::{evaluate, wiring};

/// Without `RUST_LOG`, errors only, as the processors have always logged (the default filter of
/// tracing's `EnvFilter`). Logs go to stderr, so `replay` keeps stdout for its summary.
const LOG_LEVEL: &str = "error";

#[derive(Parser)]
#[command(name = "stream-processors", about = "Optiview stream processors")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Consumes optiview.beacons.v1, sessionizes, and writes rows to ClickHouse and the session
    /// changelog to optiview.sessions.v1 until SIGINT/SIGTERM.
    Run {
        #[command(flatten)]
        config: Box<RunConfig>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Watches optiview.edge-stats.v1 (5-minute windows, globally and per property), raises and
    /// resolves alerts to Slack, samples consumer lag, and runs the maintenance jobs, until
    /// SIGINT/SIGTERM. Run one instance.
    Health {
        #[command(flatten)]
        config: Box<HealthConfig>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Reads one user agent per line on stdin; prints one JSON object per line
    /// (class, agent, operator, browser, browser_major, os, device).
    Classify,
    /// Reads `url<TAB>referrer` lines on stdin (referrer may be empty); prints one JSON object per
    /// line (ai_source, channel, matched_by).
    Attribute,
    /// Reprocesses optiview.beacons.v1 (everything retained, or from --from offsets) into
    /// ClickHouse with the current catalogs, without duplicating rows, showing progress.
    Replay {
        #[command(flatten)]
        config: Box<ReplayConfig>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// After the beacons and sessions topics grew (README § Growing partitions), with every
    /// loader stopped: moves each visitor's session state to the partition its beacons now go
    /// to; prints what it did as JSON. Safe to run again.
    RebuildSessions {
        #[command(flatten)]
        config: Box<RebuildSessionsConfig>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Prints the catalog version the classifiers were built from.
    CatalogVersion,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run { config, log } => {
            let config = validated(*config);
            platform::kafka::security::validated_from_env();
            log.init(LOG_LEVEL);
            wiring::run(config)
        }
        Command::Health { config, log } => {
            let config = validated(*config);
            platform::kafka::security::validated_from_env();
            log.init(LOG_LEVEL);
            wiring::health(config)
        }
        Command::Replay { config, log } => {
            let config = validated(*config);
            platform::kafka::security::validated_from_env();
            log.init(LOG_LEVEL);
            wiring::replay(config)
        }
        Command::RebuildSessions { config, log } => {
            let config = validated(*config);
            platform::kafka::security::validated_from_env();
            log.init(LOG_LEVEL);
            wiring::rebuild_sessions(config)
        }
        Command::Classify => evaluate::classify(std::io::stdin().lock(), stdout()),
        Command::Attribute => evaluate::attribute(std::io::stdin().lock(), stdout()),
        Command::CatalogVersion => {
            println!("{}", schemas::catalog::version());
            Ok(())
        }
    }
}

fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::new(std::io::stdout().lock())
}
