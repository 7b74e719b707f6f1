//! stream-processors: the enrichment evaluation commands (`classify`, `attribute`); the consumers
//! (sessionizer, ClickHouse sink, replay) are not built yet.

use std::io::{BufRead, BufWriter, Write};

use clap::{Parser, Subcommand};
use stream_processors::enrich::{Attributor, Classifier};

#[derive(Parser)]
#[command(name = "stream-processors", about = "Optiview stream processors")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Reads one user agent per line on stdin; prints one JSON object per line
    /// (class, agent, operator, browser, browser_major, os, device).
    Classify,
    /// Reads `url<TAB>referrer` lines on stdin (referrer may be empty); prints one JSON object per
    /// line (ai_source, channel, matched_by).
    Attribute,
    /// Prints the catalog version the classifiers were built from.
    CatalogVersion,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    match cli.command {
        Command::Classify => {
            let classifier = Classifier::from_catalog()?;
            for line in stdin.lines() {
                let ua = line?;
                serde_json::to_writer(&mut out, &classifier.classify(&ua))?;
                out.write_all(b"\n")?;
            }
        }
        Command::Attribute => {
            let attributor = Attributor::from_catalog();
            for line in stdin.lines() {
                let line = line?;
                let (url, referrer) = line.split_once('\t').unwrap_or((line.as_str(), ""));
                let referrer = Some(referrer.trim()).filter(|r| !r.is_empty());
                serde_json::to_writer(&mut out, &attributor.attribute(url.trim(), referrer))?;
                out.write_all(b"\n")?;
            }
        }
        Command::CatalogVersion => {
            writeln!(out, "{}", stream_processors::enrich::catalog::version())?;
        }
    }
    out.flush()?;
    Ok(())
}
