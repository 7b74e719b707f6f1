//! `optiview-schemas decode`: turns topic message bytes into JSON for ops.
//!
//!   kcat -C -t optiview.beacons.v1 -o -1 -e -D '' | optiview-schemas decode      (one raw message)
//!   kcat -C -t optiview.beacons.v1 -e -f '%S %s' | optiview-schemas decode --framed  (size-prefixed stream)
//!   optiview-schemas decode --hex < messages.hex                                (one hex message per line)
//!   optiview-schemas fingerprints                                               (every bundled schema)

use std::io::{Read, Write};

use clap::{Parser, Subcommand};
use schemas::SchemaRegistry;

#[derive(Parser)]
#[command(
    name = "optiview-schemas",
    about = "Decode Optiview topic messages to JSON"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read message bytes on stdin and print one JSON document per message.
    Decode {
        /// Input is one hex-encoded message per line.
        #[arg(long, conflicts_with = "framed")]
        hex: bool,
        /// Input is a stream of `<decimal length> <bytes>` (kcat -f '%S %s').
        #[arg(long)]
        framed: bool,
        /// Extra writer schemas (.avsc) to register, e.g. a newer version.
        #[arg(long = "schema")]
        schemas: Vec<std::path::PathBuf>,
    },
    /// Print each bundled schema's name and fingerprint.
    Fingerprints,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Fingerprints => {
            for schema in schemas::all_schemas() {
                let name = schema.name().map(|n| n.fullname(None)).unwrap_or_default();
                println!(
                    "{}\t{name}",
                    hex::encode(schemas::codec::fingerprint_of(schema))
                );
            }
            Ok(())
        }
        Cmd::Decode {
            hex,
            framed,
            schemas: extra,
        } => {
            let mut registry = SchemaRegistry::builtin();
            for path in extra {
                registry.register_json(&std::fs::read_to_string(&path)?)?;
            }
            let mut input = Vec::new();
            std::io::stdin().read_to_end(&mut input)?;
            let messages = if hex {
                String::from_utf8(input)?
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| hex::decode(l.trim()))
                    .collect::<Result<Vec<_>, _>>()?
            } else if framed {
                split_framed(&input)?
            } else {
                vec![input]
            };
            let mut out = std::io::stdout().lock();
            let mut failures = 0;
            for message in messages {
                match registry.decode_json(&message) {
                    Ok(json) => writeln!(out, "{json}")?,
                    Err(error) => {
                        failures += 1;
                        writeln!(out, "{}", serde_json::json!({ "error": error.to_string() }))?;
                    }
                }
            }
            if failures > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn split_framed(mut input: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let space = input
            .iter()
            .position(|b| *b == b' ')
            .ok_or_else(|| anyhow::anyhow!("missing length prefix"))?;
        let len: usize = std::str::from_utf8(&input[..space])?.trim().parse()?;
        let rest = &input[space + 1..];
        anyhow::ensure!(
            rest.len() >= len,
            "truncated message: want {len} bytes, have {}",
            rest.len()
        );
        out.push(rest[..len].to_vec());
        input = &rest[len..];
    }
    Ok(out)
}
