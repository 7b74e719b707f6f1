use std::path::PathBuf;

use actix_web::web;
use clap::{Parser, Subcommand};
use platform::clickhouse::migrations::{create_database, load_dir, migrate_on};
use platform::config::validated;
use platform::kafka::admin::reconcile_topics;
use platform::telemetry::LogArgs;
use query_api::admin_cli::{self, AdminCommand};
use query_api::http::server::serve;
use query_api::ops::{control_writer, ClickHouseArgs, KafkaArgs, ServeArgs};
use schemas::topics::{parse_definitions, DEFAULT_VISITOR_PARTITIONS, VISITOR_PARTITIONS_ENV};

#[derive(Debug, Parser)]
#[command(
    name = "query-api",
    about = "Optiview query API, control plane and ops commands"
)]
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the HTTP API until SIGINT/SIGTERM.
    Serve {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(flatten)]
        http: ServeArgs,
    },
    /// Onboard from the shell: organizations, projects, properties, API keys.
    Admin {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Create (or find) the demo tenant, write the demo site and replay a week of synthetic
    /// traffic through the collector; prints what it made as JSON.
    Demo {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(flatten)]
        demo: query_api::demo::DemoArgs,
    },
    /// Apply pending ClickHouse migrations in order.
    Migrate {
        #[command(flatten)]
        clickhouse: ClickHouseArgs,
        /// Folder of NNNN_name.sql files.
        #[arg(long, default_value = "infra/clickhouse/migrations")]
        dir: PathBuf,
    },
    /// Create missing topics from their definition file (with --grow, also add partitions to
    /// topics defined with more than they have).
    Topics {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[arg(long, default_value = "infra/topics.tsv")]
        file: PathBuf,
        /// Replication factor (1 locally, 3 in production).
        #[arg(long, default_value_t = 1)]
        replication: i32,
        /// Partitions of the visitor-keyed topics (beacons and sessions, `visitors` in the file).
        #[arg(long, env = VISITOR_PARTITIONS_ENV, default_value_t = DEFAULT_VISITOR_PARTITIONS,
              value_parser = clap::value_parser!(i32).range(1..))]
        visitor_partitions: i32,
        /// Add partitions to existing topics that have fewer than defined. Only as a step of
        /// README § Growing partitions: the sessions changelog must be rebuilt before the
        /// loaders start again.
        #[arg(long)]
        grow: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    platform::kafka::security::validated_from_env();
    cli.log.init("warn");
    match cli.command {
        Cmd::Serve { kafka, http } => {
            let http = validated(http);
            platform::kafka::security::validated_for(http.environment);
            let writer = control_writer(&kafka).await?;
            let listener = std::net::TcpListener::bind(&http.listen)?;
            eprintln!("query-api listening on http://{}", listener.local_addr()?);
            let prometheus = platform::telemetry::install_prometheus()?;
            serve(
                listener,
                web::Data::new(http.state(writer, Some(prometheus))?),
            )?
            .await?;
        }
        Cmd::Admin { kafka, command } => {
            let writer = control_writer(&kafka).await?;
            match admin_cli::run(&writer, command).await {
                Ok(out) => println!("{}", serde_json::to_string_pretty(&out)?),
                Err(error) => {
                    eprintln!("error: {error}");
                    std::process::exit(if error.is_retryable() { 75 } else { 2 });
                }
            }
        }
        Cmd::Demo { kafka, demo } => {
            let writer = control_writer(&kafka).await?;
            // The HTTP client (awc) spawns its connection tasks locally.
            let made = tokio::task::LocalSet::new()
                .run_until(query_api::demo::run(&writer, &demo))
                .await?;
            println!("{}", serde_json::to_string_pretty(&made)?);
        }
        Cmd::Migrate { clickhouse, dir } => {
            let layout = clickhouse.layout()?;
            create_database(&clickhouse.server_client(), &clickhouse.database, &layout).await?;
            let applied = migrate_on(&clickhouse.client(), &load_dir(&dir)?, &layout).await?;
            println!("applied {} migration(s): {applied:?}", applied.len());
        }
        Cmd::Topics {
            kafka,
            file,
            replication,
            visitor_partitions,
            grow,
        } => {
            let definitions =
                parse_definitions(&std::fs::read_to_string(&file)?, visitor_partitions)?;
            let done = reconcile_topics(&kafka.brokers, &definitions, replication, grow).await?;
            println!(
                "created {} topic(s): {:?}",
                done.created.len(),
                done.created
            );
            for (topic, before, now) in &done.grown {
                println!("grew {topic} from {before} to {now} partitions");
            }
        }
    }
    Ok(())
}
