//! query-api's per-IP limits behind a trusted proxy (real server, port 0): two clients the proxy
//! forwards have a bucket each, a spoofed leftmost `X-Forwarded-For` entry does not open another,
//! and without a trusted proxy the socket peer is the client whatever it forwards.

mod common;

use actix_web::web;
use clap::Parser;
use common::*;
use platform::client_ip::ClientIpArgs;
use query_api::http::auth::mail::Mailer;
use query_api::http::auth::outbox::Outbox;
use query_api::http::auth::store::AuthStore;
use query_api::http::server::serve;
use query_api::http::state::{ApiConfig, ApiState, LimitSettings, Limits};
use schemas::control::ControlView;
use serde_json::json;

struct Server {
    base: String,
    _dir: tempfile::TempDir,
}

/// The API with `api_per_ip` calls and `sign_in_per_ip` sign-ins per client per minute, believing
/// forwarding headers from `flags`' proxies.
fn start_behind(flags: &[&str], api_per_ip: u32, sign_in_per_ip: u32) -> Server {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        client_ip: ClientIpArgs,
    }
    let proxies = Cli::parse_from(std::iter::once("query-api").chain(flags.iter().copied()));
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ApiState {
        writer: fixed_writer(ControlView::new()),
        clickhouse: clickhouse::Client::default().with_url("http://127.0.0.1:9"),
        auth: AuthStore::default(),
        mailer: Mailer::Outbox(Outbox::new(dir.path().join("outbox.jsonl"))),
        limits: Limits::new(LimitSettings {
            sign_in_per_email: 100,
            sign_in_per_ip,
            api_per_ip,
            api_per_principal: 1_000,
        })
        .behind(proxies.client_ip),
        config: ApiConfig {
            public_url: "http://api.test".into(),
            secure_cookies: true,
            slack_webhook_url: None,
        },
        prometheus: None,
    };
    let server = serve(listener, web::Data::new(state)).unwrap();
    actix_rt::spawn(server);
    Server { base, _dir: dir }
}

async fn me(server: &Server, forwarded_for: &str) -> u16 {
    send(
        client()
            .get(format!("{}/api/v1/me", server.base))
            .insert_header(("X-Forwarded-For", forwarded_for)),
        None,
    )
    .await
    .status
}

async fn sign_in(server: &Server, forwarded_for: &str) -> u16 {
    send(
        client()
            .post(format!("{}/api/v1/auth/magic-link", server.base))
            .insert_header(("X-Forwarded-For", forwarded_for)),
        Some(json!({ "email": "someone@example.com" })),
    )
    .await
    .status
}

const BEHIND_PROXY: [&str; 2] = ["--trusted-proxies", "127.0.0.1/32,::1/128"];

#[actix_rt::test]
async fn behind_a_trusted_proxy_two_clients_are_limited_apart() {
    let server = start_behind(&BEHIND_PROXY, 2, 100);
    assert_eq!(me(&server, "203.0.113.1").await, 401);
    assert_eq!(me(&server, "9.9.9.9, 203.0.113.1").await, 401);
    assert_eq!(
        me(&server, "8.8.8.8, 203.0.113.1").await,
        429,
        "a spoofed leftmost entry is the same client"
    );
    assert_eq!(me(&server, "203.0.113.2").await, 401, "another client");
}

#[actix_rt::test]
async fn sign_in_is_limited_per_forwarded_client() {
    let server = start_behind(&BEHIND_PROXY, 1_000, 1);
    assert_eq!(sign_in(&server, "203.0.113.1").await, 202);
    assert_eq!(sign_in(&server, "1.2.3.4, 203.0.113.1").await, 429);
    assert_eq!(sign_in(&server, "203.0.113.2").await, 202);
}

#[actix_rt::test]
async fn without_a_trusted_proxy_the_peer_is_the_client_whatever_it_forwards() {
    let server = start_behind(&[], 2, 100);
    assert_eq!(me(&server, "203.0.113.1").await, 401);
    assert_eq!(me(&server, "203.0.113.2").await, 401);
    assert_eq!(me(&server, "203.0.113.3").await, 429);
}
