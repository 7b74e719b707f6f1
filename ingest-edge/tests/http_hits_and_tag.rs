//! Server-side hits and the hosted tag over HTTP (real server, port 0, in-memory sink).

mod common;

use std::io::Read;
use std::sync::Arc;

use awc::http::StatusCode;
use common::*;
use ingest_edge::sink::MemorySink;
use schemas::beacon::Beacon;
use schemas::control::{ControlView, Permission, RevokeApiKey};
use schemas::SchemaRegistry;
use serde_json::Value;

const NDJSON: &str = concat!(
    r#"{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/docs","status":200,"user_agent":"Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)","ip":"20.15.240.64","bytes":5120,"response_ms":12}"#,
    "\n",
    r#"{"ts":"2026-11-24T10:15:33Z","method":"GET","host":"acme.com","path":"/pricing","query":"a=1","status":200,"user_agent":"ClaudeBot/1.0","ip":"160.79.104.10"}"#,
    "\n"
);
const LOG_LINE: &str = r#"20.15.240.64 - - [24/Nov/2026:10:15:32 +0000] "GET /docs/pricing HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (compatible; PerplexityBot/1.0)""#;

async fn post_hits(
    server: &Running,
    secret: Option<&str>,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
    let mut req = awc::Client::default()
        .post(server.url("/v1/hits"))
        .insert_header(("Content-Type", content_type));
    if let Some(secret) = secret {
        req = req.insert_header(("Authorization", format!("Bearer {secret}")));
    }
    let mut res = req.send_body(body.to_owned()).await.unwrap();
    let status = res.status();
    (
        status,
        serde_json::from_slice(&res.body().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn hits_are_accepted_as_ndjson_or_combined_log_lines() {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let sink = Arc::new(MemorySink::default());
    let server = start(view, sink.clone(), config(&[]));

    let (status, body) =
        post_hits(&server, Some(&acme.secret), "application/x-ndjson", NDJSON).await;
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (StatusCode::ACCEPTED, Some(2))
    );
    let (status, _) = post_hits(&server, Some(&acme.secret), "text/plain", LOG_LINE).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let registry = SchemaRegistry::builtin();
    let beacons: Vec<(String, Beacon)> = sink
        .records()
        .into_iter()
        .map(|r| (r.key, registry.decode(&r.payload).unwrap()))
        .collect();
    assert_eq!(beacons.len(), 3);
    let (key, gpt) = &beacons[0];
    let hit = gpt.hit.as_ref().unwrap();
    assert!(gpt.tag.is_none());
    assert_eq!(
        (hit.path.as_str(), hit.status, hit.bytes, hit.response_ms),
        ("/docs", 200, Some(5120), Some(12))
    );
    assert_eq!(
        opened_address(&server, gpt).as_deref(),
        Some("20.15.240.64"),
        "sealed for crawler verification downstream"
    );
    assert!(
        !String::from_utf8_lossy(&sink.records()[0].payload).contains("20.15.240"),
        "the address is nowhere in the record's bytes"
    );
    assert!(gpt.user_agent.contains("GPTBot"));
    assert!(key.starts_with(&format!("{}:srv-", acme.property)), "{key}");
    let log_hit = beacons[2].1.hit.as_ref().unwrap();
    assert_eq!(
        (log_hit.host.as_str(), log_hit.path.as_str()),
        ("acme.com", "/docs/pricing"),
        "log lines take the property's host"
    );
    assert_ne!(
        beacons[0].1.visitor_id, beacons[2].1.visitor_id,
        "same IP, different agent: different visitor"
    );
}

#[actix_web::test]
async fn hits_need_a_valid_secret_with_the_hits_permission() {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let collect_only = onboard(&mut view, "collect.dev", vec![Permission::Collect]);
    let revoked = onboard(&mut view, "revoked.dev", all());
    submit(
        &mut view,
        RevokeApiKey {
            key_id: revoked.key.clone(),
        },
    );
    let sink = Arc::new(MemorySink::default());
    let server = start(view, sink.clone(), config(&[]));

    let cases = [
        (
            None,
            "application/x-ndjson",
            StatusCode::UNAUTHORIZED,
            "missing_secret",
        ),
        (
            Some("ovs_wrong"),
            "application/x-ndjson",
            StatusCode::UNAUTHORIZED,
            "unknown_key",
        ),
        (
            Some(acme.key.as_str()),
            "application/x-ndjson",
            StatusCode::UNAUTHORIZED,
            "unknown_key",
        ),
        (
            Some(revoked.secret.as_str()),
            "application/x-ndjson",
            StatusCode::FORBIDDEN,
            "revoked_key",
        ),
        (
            Some(collect_only.secret.as_str()),
            "application/x-ndjson",
            StatusCode::FORBIDDEN,
            "missing_permission",
        ),
        (
            Some(acme.secret.as_str()),
            "application/xml",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (secret, content_type, status, code) in cases {
        let (got, body) = post_hits(&server, secret, content_type, NDJSON).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "secret {secret:?}"
        );
    }
    let (status, body) = post_hits(
        &server,
        Some(&acme.secret),
        "application/x-ndjson",
        "{\"ts\":1}\n",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    assert!(body["field"].as_str().unwrap().starts_with("line 1"));
    // A Web Bot Auth header of the wrong type is named, line and field.
    let (status, body) = post_hits(
        &server,
        Some(&acme.secret),
        "application/x-ndjson",
        r#"{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/","status":200,"signature_agent":["https://chatgpt.com"]}"#,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str(), body["field"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("malformed"),
            Some("line 1: signature_agent")
        )
    );
    assert!(
        sink.records().is_empty(),
        "no rejected request produced anything"
    );
}

#[actix_web::test]
async fn without_a_key_to_seal_with_hits_are_refused_not_written_in_plain_text() {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let sink = Arc::new(MemorySink::default());
    let server = start(view, sink.clone(), config(&[]));
    // The key volume went away (unmounted, deleted): no key for today can be made.
    std::fs::remove_dir_all(server.address_keys.secrets().dir()).unwrap();

    let (status, body) =
        post_hits(&server, Some(&acme.secret), "application/x-ndjson", NDJSON).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    assert!(!body.to_string().contains("20.15.240.64"));
    assert!(sink.records().is_empty(), "nothing reached the topic");
}

#[actix_web::test]
async fn the_tag_is_served_cacheable_with_an_etag_and_gzip_under_two_kilobytes() {
    let server = start(
        ControlView::new(),
        Arc::new(MemorySink::default()),
        config(&[]),
    );
    let client = awc::Client::default()
        .get(server.url("/v1/tag.js"))
        .insert_header(("Accept-Encoding", "identity"));
    let mut res = client.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/javascript; charset=utf-8"
    );
    assert!(res
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("max-age="));
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let js = res.body().await.unwrap();
    assert_eq!(&js[..], ingest_edge::routes::tag::TAG_JS);
    assert!(std::str::from_utf8(&js).unwrap().contains("/v1/collect"));

    let cached = awc::Client::default()
        .get(server.url("/v1/tag.js"))
        .insert_header(("If-None-Match", etag.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    let mut gz = awc::Client::default()
        .get(server.url("/v1/tag.js?debug=1"))
        .insert_header(("Accept-Encoding", "gzip"))
        .no_decompress()
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers().get("content-encoding").unwrap(), "gzip");
    let compressed = gz.body().await.unwrap();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, js.to_vec());
    println!(
        "tag.js: {} bytes minified, {} bytes gzip as served",
        js.len(),
        compressed.len()
    );
    assert!(
        compressed.len() <= 2048,
        "hard ceiling: 2 KB gzipped, got {}",
        compressed.len()
    );
}
