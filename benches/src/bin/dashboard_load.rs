//! Dashboards under load: fills a fresh database with synthetic events across three
//! organizations (50/30/20 %) over the last 30 days, in steps (`--events 1000000,10000000,30000000`:
//! each step adds the difference to the previous one), and after each step calls every dashboard
//! endpoint over a 30-day window through the real API (Bearer analyst token), printing p50/p95
//! per endpoint, absolute and as a ratio to the floor: a `SELECT 1` round trip to the engine
//! measured in the same step. Also in each step: the raw events scan a dashboard's totals would
//! need without rollups, and how far the approximate figures (distinct visitors and sessions)
//! are from the exact counts.
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin dashboard_load -- --events 1000000,10000000,30000000

use std::time::{Duration, Instant};

use actix_web::web;
use benches::synthetic::{self, Target};
use chrono::{DurationRound, Utc};
use clap::Parser;
use platform::control_follower::ControlHandle;
use platform::test_support::TestDatabase;
use query_api::control_writer::ControlWriter;
use query_api::http::auth::mail::Mailer;
use query_api::http::auth::outbox::Outbox;
use query_api::http::auth::store::AuthStore;
use query_api::http::server::serve;
use query_api::http::state::{ApiConfig, ApiState, LimitSettings, Limits};
use schemas::control::ids::{hash_secret, new_analyst_token, new_id};
use schemas::control::{
    ControlView, CreateAnalystToken, CreateUser, Permission, Plan, Role, SetMembership, TokenScope,
};
use schemas::fixtures::{onboard, submit};

#[derive(Parser)]
struct Args {
    /// Events across the three organizations after each step, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10000000")]
    events: Vec<u64>,
    /// Days the events spread over (and the dashboards' window).
    #[arg(long, default_value_t = 30)]
    days: u64,
    /// Requests per endpoint (spread over the three projects).
    #[arg(long, default_value_t = 30)]
    rounds: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// How far an estimate is from the exact count, in percent.
fn error_pct(estimate: u64, exact: u64) -> f64 {
    if exact == 0 {
        return 0.0;
    }
    (estimate as f64 - exact as f64) / exact as f64 * 100.0
}

fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    (percentile(&samples, 0.50), percentile(&samples, 0.95))
}

struct Tenant {
    project: String,
    token: String,
}

fn tenants(view: &mut ControlView) -> Vec<(Tenant, Target)> {
    ["acme.com", "globex.com", "initech.com"]
        .iter()
        .map(|domain| {
            let t = onboard(view, domain, Plan::Pro, vec![Permission::Collect]);
            let user = new_id("usr");
            submit(
                view,
                CreateUser {
                    id: user.clone(),
                    email: format!("analyst@{domain}"),
                    name: "Analyst".into(),
                },
            )
            .unwrap();
            submit(
                view,
                SetMembership {
                    organization_id: t.org.clone(),
                    user_id: user.clone(),
                    role: Role::Member,
                    active: true,
                },
            )
            .unwrap();
            let token = new_analyst_token();
            submit(
                view,
                CreateAnalystToken {
                    id: new_id("tok"),
                    organization_id: t.org.clone(),
                    user_id: user,
                    name: "bench".into(),
                    scope: TokenScope::Read,
                    secret_hash: hash_secret(&token),
                },
            )
            .unwrap();
            let target = Target {
                organization_id: t.org.clone(),
                project_id: t.project.clone(),
                property_id: t.property as u64,
                host: domain.to_string(),
                retention_days: Plan::Pro.event_retention_days() as u16,
            };
            (
                Tenant {
                    project: t.project,
                    token,
                },
                target,
            )
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    actix_rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let db = TestDatabase::migrated().await;
    let client = db.client();
    let mut view = ControlView::new();
    let tenants = tenants(&mut view);

    let producer = platform::kafka::producer_config("127.0.0.1:9").create()?;
    let state = ApiState {
        writer: std::sync::Arc::new(ControlWriter::new(
            producer,
            "unused",
            ControlHandle::fixed(view),
        )),
        clickhouse: client.clone(),
        auth: AuthStore::default(),
        mailer: Mailer::Outbox(Outbox::new(std::env::temp_dir().join("bench-outbox.jsonl"))),
        limits: Limits::new(LimitSettings {
            sign_in_per_email: 5,
            sign_in_per_ip: 20,
            api_per_ip: 1_000_000,
            api_per_principal: 1_000_000,
        }),
        config: ApiConfig {
            slack_webhook_url: None,
            public_url: "http://127.0.0.1".into(),
            secure_cookies: false,
        },
        prometheus: None,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = serve(listener, web::Data::new(state))?;
    let handle = server.handle();
    actix_rt::spawn(server);
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();

    let mut loaded = 0u64;
    let mut written = 0u64;
    for (step, &events) in args.events.iter().enumerate() {
        anyhow::ensure!(events > loaded, "--events must ascend");
        let started = Instant::now();
        for ((_, target), share) in tenants.iter().zip([0.5, 0.3, 0.2]) {
            let more = ((events - loaded) as f64 * share) as u64;
            // Another seed per step: new sessions and visitors, not copies of the last step's.
            let (tag, hits) =
                synthetic::load(&client, target, more, args.days, args.seed + step as u64).await?;
            written += tag + hits;
        }
        loaded = events;
        let load_secs = started.elapsed().as_secs_f64();
        println!();
        println!(
            "## {written} events in 3 projects (step loaded in {load_secs:.1} s, rollups included)"
        );
        measure(&args, &client, &tenants, &http, &base).await?;
    }
    handle.stop(true).await;
    Ok(())
}

async fn measure(
    args: &Args,
    client: &clickhouse::Client,
    tenants: &[(Tenant, Target)],
    http: &awc::Client,
    base: &str,
) -> anyhow::Result<()> {
    let to = Utc::now().duration_trunc(chrono::Duration::hours(1))? + chrono::Duration::hours(1);
    let from = to - chrono::Duration::days(args.days as i64);
    let window = format!(
        "from={}&to={}&tz=Europe/Berlin",
        from.format("%Y-%m-%dT%H:%M:%SZ"),
        to.format("%Y-%m-%dT%H:%M:%SZ")
    );

    // The floor, and what a totals query costs without rollups.
    let mut floor = Vec::new();
    let mut raw = Vec::new();
    for round in 0..args.rounds {
        let project = &tenants[round % 3].0.project;
        let t = Instant::now();
        client.query("SELECT 1").fetch_one::<u8>().await?;
        floor.push(t.elapsed());
        let t = Instant::now();
        client
            .query(
                "SELECT count(), uniq(visitor_id), uniq(session_id) FROM events
                 WHERE project_id = ? AND ts >= now() - toIntervalDay(?)",
            )
            .bind(project)
            .bind(args.days)
            .fetch_one::<(u64, u64, u64)>()
            .await?;
        raw.push(t.elapsed());
    }
    let (floor50, floor95) = summary(floor);
    let (raw50, raw95) = summary(raw);

    println!();
    println!("| endpoint (30-day window) | p50 ms | p95 ms | p50 ÷ SELECT 1 p50 | p95 ÷ SELECT 1 p95 | goal p95 ≤ 150 ms |");
    println!("|---|---|---|---|---|---|");
    let mut events_reply = serde_json::Value::Null;
    for endpoint in query_api::http::openapi::DASHBOARDS {
        let mut samples = Vec::new();
        for round in 0..args.rounds + 1 {
            let tenant = &tenants[round % 3].0;
            let url = format!(
                "{base}/api/v1/projects/{}/{endpoint}?{window}",
                tenant.project
            );
            let t = Instant::now();
            let mut response = http
                .get(url)
                .bearer_auth(&tenant.token)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{endpoint}: {e}"))?;
            let body = response.body().limit(16 << 20).await?;
            let elapsed = t.elapsed();
            anyhow::ensure!(
                response.status().is_success(),
                "{endpoint}: {} {}",
                response.status(),
                String::from_utf8_lossy(&body)
            );
            // The first call warms the page cache of a freshly loaded database; not counted.
            if round > 0 {
                samples.push(elapsed);
            }
            if endpoint == "events" && round == 0 {
                events_reply = serde_json::from_slice(&body)?;
            }
        }
        let (p50, p95) = summary(samples);
        println!(
            "| {endpoint} | {p50:.1} | {p95:.1} | {:.1}× | {:.1}× | {} |",
            p50 / floor50,
            p95 / floor95,
            if p95 <= 150.0 { "met" } else { "missed" }
        );
    }
    println!();
    println!("baseline: SELECT 1 round trip p50 {floor50:.1} ms, p95 {floor95:.1} ms; raw events totals scan (count + uniq visitors + uniq sessions, 30 days, one project) p50 {raw50:.1} ms, p95 {raw95:.1} ms");

    // The approximate figures against exact counts of the same rows (the first project's
    // window, as the events dashboard reported it).
    let project = &tenants[0].0.project;
    let (visitors, sessions): (u64, u64) = client
        .query(
            "SELECT uniqExactIf(visitor_id, visitor_id != ''), uniqExactIf(session_id, session_id != '')
             FROM events WHERE project_id = ? AND ts >= fromUnixTimestamp(?) AND ts < fromUnixTimestamp(?)",
        )
        .bind(project)
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_one()
        .await?;
    let countries: Vec<(String, u64)> = client
        .query(
            "SELECT toString(country), uniqExactIf(visitor_id, visitor_id != '') FROM events
             WHERE project_id = ? AND ts >= fromUnixTimestamp(?) AND ts < fromUnixTimestamp(?)
             GROUP BY country",
        )
        .bind(project)
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_all()
        .await?;
    let reported = |v: &serde_json::Value| v.as_u64().unwrap_or_default();
    let totals = &events_reply["totals"];
    let country_errors: Vec<f64> = countries
        .iter()
        .filter_map(|(country, exact)| {
            events_reply["breakdowns"]["country"]
                .as_array()?
                .iter()
                .find(|r| r["value"] == country.as_str())
                .map(|r| error_pct(reported(&r["visitors"]), *exact))
        })
        .collect();
    let worst = country_errors.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    println!(
        "approximate figures, first project: visitors {} vs exact {visitors} ({:+.2} %), sessions {} vs exact {sessions} ({:+.2} %), visitors per country: worst of {} {:.2} %",
        reported(&totals["visitors"]),
        error_pct(reported(&totals["visitors"]), visitors),
        reported(&totals["sessions"]),
        error_pct(reported(&totals["sessions"]), sessions),
        country_errors.len(),
        worst,
    );
    Ok(())
}
