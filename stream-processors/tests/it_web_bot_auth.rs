//! Web Bot Auth end to end: hits signed with a key this test generates are posted as NDJSON to
//! the real collector, which writes them to the real broker; the real loader fetches the signer's
//! key directory from a real HTTP server on a local port (the `https://chatgpt.com` origin mapped
//! to it, as `--signature-directory-override` does) and writes `crawler_hits` to ClickHouse. Every
//! hit comes from an address outside every published list: a valid signature verifies the agent
//! all the same, a tampered, expired or unknown-key one is spoofed, and a signer whose directory
//! cannot be reached leaves the verdict to the address.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use common::{loader, wait_for};
use ed25519_dalek::{Signer, SigningKey};
use ingest_edge::sink::KafkaSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::raw_address::AddressKeys;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::onboard;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use stream_processors::enrich::enricher::Enricher;
use stream_processors::enrich::web_bot_auth::DirectoryConfig;
use tokio::sync::watch;

const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";
const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
/// Documentation range (RFC 5737): in no operator's published list.
const OUTSIDE: &str = "203.0.113.77";

fn edge_config() -> ingest_edge::config::EdgeConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ingest_edge::config::EdgeConfig,
    }
    Cli::parse_from(["ingest-edge", "--ip-salt", "test-salt"]).config
}

/// The JWK `x` of a key and its RFC 7638 thumbprint, computed here from the RFC's definition.
fn jwk_x(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

fn thumbprint(key: &SigningKey) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, jwk_x(key));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Serves `keys` as a key directory on a local port; counts the requests.
fn key_directory(keys: &[&SigningKey]) -> (String, Arc<AtomicUsize>, actix_web::dev::ServerHandle) {
    let body = json!({
        "keys": keys.iter().map(|k| json!({"kty": "OKP", "crv": "Ed25519", "x": jwk_x(k)})).collect::<Vec<_>>(),
        "purpose": "ai",
    })
    .to_string();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let body = body.clone();
        let count = count.clone();
        App::new().route(
            "/.well-known/http-message-signatures-directory",
            web::get().to(move || {
                count.fetch_add(1, Ordering::SeqCst);
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/http-message-signatures-directory+json")
                        .insert_header(("Cache-Control", "max-age=600"))
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (base, served, handle)
}

/// A hit of `path` as the forwarders send it, signed by `key` as an agent signs a request to
/// `signed_path` (`@authority`, `@method`, `@path`, `signature-agent`), valid from `created` for
/// five minutes. The signature base is written out here from RFC 9421, not by the code under
/// test.
#[allow(clippy::too_many_arguments)]
fn signed_hit(
    ua: &str,
    path: &str,
    signed_path: &str,
    key: &SigningKey,
    keyid: &str,
    agent: &str,
    created: i64,
) -> Value {
    let agent_field = format!("\"{agent}\"");
    let input = format!(
        r#"("@authority" "@method" "@path" "signature-agent");created={created};expires={};keyid="{keyid}";nonce="{}";tag="web-bot-auth""#,
        created + 300,
        random_name("n")
    );
    let base = format!(
        "\"@authority\": acme.com\n\"@method\": GET\n\"@path\": {signed_path}\n\"signature-agent\": {agent_field}\n\"@signature-params\": {input}"
    );
    let signature = STANDARD.encode(key.sign(base.as_bytes()).to_bytes());
    json!({
        "ts": Utc::now().timestamp_millis() - 1_000,
        "method": "GET",
        "host": "acme.com",
        "path": path,
        "status": 200,
        "ip": OUTSIDE,
        "user_agent": ua,
        "bytes": 512,
        "signature": format!("sig1=:{signature}:"),
        "signature_input": format!("sig1={input}"),
        "signature_agent": agent_field,
    })
}

#[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
struct Verdict {
    path: String,
    agent_name: String,
    agent_class: String,
    verification: String,
    verification_method: String,
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn signed_hits_are_verified_by_the_signers_key_directory_or_spoofed() {
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Hits]);
    let topics = TestTopics::create(&[("beacons", 3), ("deadletter", 1), ("sessions", 3)]).await;
    let db = TestDatabase::migrated().await;

    let openai = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let stranger = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let (directory, served, directory_server) = key_directory(&[&openai]);
    // A port nothing listens on: that signer's directory is unreachable.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };

    let key_dir = tempfile::tempdir().unwrap();
    let keys = AddressKeys::open(key_dir.path(), chrono::Duration::hours(72)).unwrap();
    let producer: rdkafka::producer::FutureProducer =
        producer_config(&topics.brokers).create().unwrap();
    let sink = Arc::new(KafkaSink::new(
        producer,
        topics.name(0).to_owned(),
        Duration::from_secs(5),
        1_000,
    ));
    let state = AppState::new(
        edge_config(),
        ControlHandle::fixed(view.clone()),
        sink,
        None,
    )
    .with_address_keys(keys.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let edge = format!("http://{}", listener.local_addr().unwrap());
    let server = ingest_edge::server::serve(web::Data::new(state), listener).unwrap();
    let edge_server = server.handle();
    actix_web::rt::spawn(server);

    let now = Utc::now().timestamp();
    let chatgpt = "https://chatgpt.com";
    let (valid_id, stranger_id) = (thumbprint(&openai), thumbprint(&stranger));
    let hits = [
        signed_hit(
            CHROME,
            "/wba/valid",
            "/wba/valid",
            &openai,
            &valid_id,
            chatgpt,
            now - 5,
        ),
        signed_hit(
            GPTBOT,
            "/wba/crawler",
            "/wba/crawler",
            &openai,
            &valid_id,
            chatgpt,
            now - 5,
        ),
        signed_hit(
            CHROME,
            "/wba/tampered",
            "/wba/original",
            &openai,
            &valid_id,
            chatgpt,
            now - 5,
        ),
        signed_hit(
            CHROME,
            "/wba/expired",
            "/wba/expired",
            &openai,
            &valid_id,
            chatgpt,
            now - 3_600,
        ),
        signed_hit(
            CHROME,
            "/wba/unknown-key",
            "/wba/unknown-key",
            &stranger,
            &stranger_id,
            chatgpt,
            now - 5,
        ),
        signed_hit(
            GPTBOT,
            "/wba/unreachable",
            "/wba/unreachable",
            &openai,
            &valid_id,
            "https://agent.example",
            now - 5,
        ),
    ];
    let body: Vec<String> = hits.iter().map(Value::to_string).collect();
    let mut res = awc::Client::default()
        .post(format!("{edge}/v1/hits"))
        .insert_header(("Content-Type", "application/x-ndjson"))
        .insert_header(("Authorization", format!("Bearer {}", tenant.secret)))
        .send_body(body.join("\n"))
        .await
        .unwrap();
    let answer = res.body().await.unwrap();
    assert_eq!(res.status().as_u16(), 202, "{answer:?}");

    let mut config = DirectoryConfig::default();
    config
        .overrides
        .insert(chatgpt.into(), directory.parse().unwrap());
    config
        .overrides
        .insert("https://agent.example".into(), closed.parse().unwrap());
    let mut loader = loader(&topics, db.client(), &view, &random_name("g"));
    loader.enricher = Enricher::from_catalog()
        .unwrap()
        .with_address_keys(keys)
        .with_key_directories(config)
        .unwrap();
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(loader.run(stopped));
    assert_eq!(wait_for(&db.client(), "crawler_hits", 6).await, 6);
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    edge_server.stop(false).await;
    directory_server.stop(false).await;

    let rows: Vec<Verdict> = db
        .client()
        .query(
            "SELECT path, agent_name, agent_class, verification, verification_method
             FROM crawler_hits FINAL ORDER BY path",
        )
        .fetch_all()
        .await
        .unwrap();
    let row = |path: &str, name: &str, class: &str, verification: &str, method: &str| Verdict {
        path: path.into(),
        agent_name: name.into(),
        agent_class: class.into(),
        verification: verification.into(),
        verification_method: method.into(),
    };
    assert_eq!(
        rows,
        vec![
            row(
                "/wba/crawler",
                "GPTBot",
                "ai_training_crawler",
                "verified",
                "web_bot_auth"
            ),
            row(
                "/wba/expired",
                "ChatGPT Agent",
                "ai_agent",
                "spoofed",
                "web_bot_auth"
            ),
            row(
                "/wba/tampered",
                "ChatGPT Agent",
                "ai_agent",
                "spoofed",
                "web_bot_auth"
            ),
            row(
                "/wba/unknown-key",
                "ChatGPT Agent",
                "ai_agent",
                "spoofed",
                "web_bot_auth"
            ),
            // The directory never answered: the address decides, and it is outside GPTBot's ranges.
            row(
                "/wba/unreachable",
                "GPTBot",
                "ai_training_crawler",
                "spoofed",
                "ip_ranges"
            ),
            // A browser's user agent, signed by chatgpt.com's key: ChatGPT's agent, from an address
            // in no list.
            row(
                "/wba/valid",
                "ChatGPT Agent",
                "ai_agent",
                "verified",
                "web_bot_auth"
            ),
        ]
    );
    // Each stored once: the hits that waited for the directory were not written before it came.
    let stored: u64 = db
        .client()
        .query("SELECT count() FROM crawler_hits")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(stored, 6);
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "one fetch of the directory served every hit (cached for its max-age)"
    );
}
