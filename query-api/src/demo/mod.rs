//! `query-api demo`: a demo tenant, a demo site carrying its tag, and a week of synthetic traffic
//! replayed through the collector, so every dashboard has something to show.

pub mod replay;
pub mod setup;
pub mod signed;
pub mod site;
pub mod traffic;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};

use crate::control_writer::ControlWriter;

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub clickhouse: platform::clickhouse::ClickHouseArgs,
    /// The collector the traffic goes through.
    #[arg(
        long,
        env = "OPTIVIEW_EDGE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub edge_url: String,
    /// Who signs in to the demo: owner of the demo organization and a platform admin.
    #[arg(long, default_value = "demo@example.com")]
    pub email: String,
    /// Folder the demo site is written to.
    #[arg(long, default_value = ".stack/demo-site")]
    pub site_dir: PathBuf,
    /// Browser sessions to replay.
    #[arg(long, default_value_t = 900)]
    pub sessions: usize,
    /// Days of history (at most 6: the pipeline takes events up to 7 days late).
    #[arg(long, default_value_t = 6)]
    pub days: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Replay even if the demo property already has data. The copy adds events, but sessions
    /// only where the processors have not seen later events (they place events by event time).
    #[arg(long)]
    pub force: bool,
    /// How long to wait for the processors to store what was sent.
    #[arg(long, default_value_t = 120)]
    pub wait_seconds: u64,
}

/// How long the demo waits for the loader to fetch the demo site's robots.txt before sending
/// crawler hits (which are judged by the file in force when processed).
const ROBOTS_WAIT: Duration = Duration::from_secs(30);

pub async fn run(writer: &ControlWriter, args: &DemoArgs) -> anyhow::Result<Value> {
    // Before the property exists: the loader fetches a new property's robots.txt within seconds.
    site::write_machine_files(&args.site_dir)?;
    signed::write_directory(&args.site_dir)?;
    let tenant = setup::ensure(writer, &args.email).await?;
    site::write(&args.site_dir, &tenant.snippet)?;
    let clickhouse = args.clickhouse.client();
    let before = replay::stored(&clickhouse, &tenant.project_id, tenant.property_id).await?;
    let mut sent = replay::Sent::default();
    let mut stored = before;
    if before == 0 || args.force {
        if !replay::wait_robots(
            &clickhouse,
            &tenant.project_id,
            tenant.property_id,
            ROBOTS_WAIT,
        )
        .await
        {
            eprintln!(
                "no robots.txt fetched for the demo property after {} s (is stream-processors' --robots-url serving {}/robots.txt?): its crawler hits will show as not known",
                ROBOTS_WAIT.as_secs(),
                args.site_dir.display()
            );
        }
        let target = traffic::Target {
            key_id: tenant.key_id.clone(),
            project_id: tenant.project_id.clone(),
            property_id: tenant.property_id,
            host: format!("www.{}", setup::DOMAIN),
        };
        let traffic = traffic::generate(
            &target,
            chrono::Utc::now().timestamp_millis(),
            args.days,
            args.sessions,
            args.seed,
            // The catalog's crawler ranges, so "verified" demo hits verify as the pipeline does.
            &traffic::published_addresses(&schemas::catalog::ip_ranges()),
        );
        let origin = format!("https://www.{}", setup::DOMAIN);
        sent = replay::send(&args.edge_url, &origin, &tenant.key_secret, &traffic).await?;
        let expected = before + (sent.tag_events + sent.crawler_hits) as u64;
        stored = replay::wait_stored(
            &clickhouse,
            &tenant.project_id,
            tenant.property_id,
            expected,
            Duration::from_secs(args.wait_seconds),
        )
        .await?;
        if stored < expected {
            anyhow::bail!(
                "sent {} events but only {} are stored after {} s: is stream-processors running?",
                expected - before,
                stored - before,
                args.wait_seconds
            );
        }
    }
    Ok(json!({
        "organization_id": tenant.organization_id,
        "project_id": tenant.project_id,
        "property_id": tenant.property_id,
        "key_id": tenant.key_id,
        "email": tenant.email,
        "site_dir": args.site_dir,
        "sent": sent,
        "stored_events": stored,
    }))
}
