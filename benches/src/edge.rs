//! The collector benchmarks' shared pieces (`edge_load`, `edge_allocs`): the bench tenant, the
//! requests they send, and the two servers they compare (a no-op actix handler and the collector).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use clap::Parser;
use ingest_edge::sink::BeaconSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::raw_address::AddressKeys;
use schemas::control::{
    ControlView, CreateApiKey, CreateOrganization, CreateProject, Decide, Permission, Plan,
};
use schemas::vocab::{EventType, Vocabulary};

pub const KEY: &str = "key_benchKey01";
pub const PROJECT: &str = "prj_benchProj1";
/// The bench key's secret, for `/v1/hits`.
pub const SECRET: &str = "bench-secret-0123456789";

pub fn bench_view() -> ControlView {
    let mut view = ControlView::new();
    decide_and_apply(
        &mut view,
        CreateOrganization {
            id: "org_benchOrg01".into(),
            name: "Bench".into(),
            domain: "bench.dev".into(),
            plan: Plan::Pro,
        },
    );
    decide_and_apply(
        &mut view,
        CreateProject {
            id: PROJECT.into(),
            organization_id: "org_benchOrg01".into(),
            name: "Bench".into(),
            domain: "bench.dev".into(),
        },
    );
    decide_and_apply(
        &mut view,
        CreateApiKey {
            id: KEY.into(),
            property_id: 1,
            name: "bench".into(),
            permissions: vec![Permission::Collect, Permission::Hits],
            secret_hash: schemas::control::ids::hash_secret(SECRET),
        },
    );
    view
}

fn decide_and_apply(view: &mut ControlView, command: impl Decide) {
    let decision = view.decide("bench", 1, &command).expect("bench tenant");
    for event in &decision.events {
        view.apply(event).expect("apply");
    }
}

/// What one connection sends, again and again.
#[derive(Clone, Copy)]
pub enum Load {
    /// A tag beacon of this many events.
    Collect(usize),
    /// A `/v1/hits` NDJSON batch of this many lines.
    Hits(usize),
}

impl Load {
    /// Events (or lines) one request carries.
    pub fn events(self) -> usize {
        match self {
            Load::Collect(n) | Load::Hits(n) => n,
        }
    }
}

pub fn request_bytes(port: u16, load: Load) -> Vec<u8> {
    match load {
        Load::Collect(events) => collect_request(port, events),
        Load::Hits(lines) => hits_request(port, lines),
    }
}

fn collect_request(port: u16, events_per_request: usize) -> Vec<u8> {
    let events: Vec<serde_json::Value> = (0..events_per_request)
        .map(|i| serde_json::json!({"type": EventType::Pageview.as_str(), "url": format!("https://bench.dev/docs/{i}?utm_source=chatgpt.com"), "title": "Docs", "referrer": "https://chatgpt.com/", "screen": "1920x1080", "language": "en-US", "time_zone": "Europe/Berlin"}))
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({"key_id": KEY, "project_id": PROJECT, "property_id": 1, "visitor_id": "v-bench-1", "session_id": "s-bench-1", "events": events})).expect("json");
    let mut req = format!(
        "POST /v1/collect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://bench.dev\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    req
}

/// A batch as nginx writes it with `infra/forwarders/nginx-optiview.conf` (empty strings for
/// absent headers), crawlers and browsers from a spread of addresses.
fn hits_request(port: u16, lines: usize) -> Vec<u8> {
    const AGENTS: [&str; 3] = [
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    ];
    let body: String = (0..lines)
        .map(|i| {
            format!(
                r#"{{"ts":"2026-11-24T10:15:32+00:00","method":"GET","host":"bench.dev","path":"/docs/{i}","query":"","status":200,"bytes":5120,"ip":"20.15.{}.{}","referrer":"","user_agent":"{}","signature":"","signature_input":"","signature_agent":""}}"#,
                i / 250 % 250,
                i % 250,
                AGENTS[i % AGENTS.len()]
            ) + "\n"
        })
        .collect();
    let mut req = format!(
        "POST /v1/hits HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {SECRET}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

/// An actix-web handler that reads the body whole and answers 202: the HTTP baseline, on both
/// routes (for hits its baseline is the HTTP cost of the batch itself).
pub fn serve_noop(listener: TcpListener) -> std::io::Result<Server> {
    Ok(HttpServer::new(|| {
        let noop =
            || web::post().to(|_body: web::Bytes| async { HttpResponse::Accepted().finish() });
        App::new()
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .route("/v1/collect", noop())
            .route("/v1/hits", noop())
    })
    .listen(listener)?
    .run())
}

#[derive(Parser)]
struct EdgeArgs {
    #[command(flatten)]
    config: ingest_edge::config::EdgeConfig,
}

/// The collector on `sink`, with limits far above the offered load (the benchmarks measure the
/// collector, not its limiter), serving the bench tenant.
pub fn serve_collector(sink: Arc<dyn BeaconSink>, listener: TcpListener) -> anyhow::Result<Server> {
    let config = EdgeArgs::parse_from([
        "edge",
        "--ip-rps",
        "10000000",
        "--ip-burst",
        "10000000",
        "--key-rps",
        "10000000",
        "--key-burst",
        "10000000",
        "--tag-rps",
        "10000000",
        "--tag-burst",
        "10000000",
        "--max-in-flight",
        "50000",
    ])
    .config;
    // Hits' addresses are sealed as in production (one XChaCha20-Poly1305 per line).
    let keys = AddressKeys::open(
        std::env::temp_dir().join("optiview-edge-load-keys"),
        chrono::Duration::hours(72),
    )?;
    let state = web::Data::new(
        AppState::new(config, ControlHandle::fixed(bench_view()), sink, None)
            .with_address_keys(keys),
    );
    Ok(ingest_edge::server::serve(state, listener)?)
}
