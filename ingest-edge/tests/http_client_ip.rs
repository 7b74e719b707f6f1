//! The client address over HTTP (real server, port 0, in-memory sink): behind a trusted proxy the
//! hop it appended is the client whatever the client claims, an untrusted peer's
//! `X-Forwarded-For` (and country header) is ignored, and a tag flood on a key's public id leaves its server hits and
//! its other visitors alone.

mod common;

use std::sync::Arc;

use awc::http::StatusCode;
use common::*;
use ingest_edge::sink::MemorySink;
use schemas::beacon::Beacon;
use schemas::control::ControlView;
use schemas::SchemaRegistry;
use serde_json::json;

/// The test client connects from 127.0.0.1: trusting it makes it the load balancer.
const BEHIND_PROXY: [&str; 2] = ["--trusted-proxies", "127.0.0.1/32,::1/128"];

async fn beacon(server: &Running, tenant: &Tenant, forwarded_for: Option<&str>) -> StatusCode {
    let body = envelope(tenant, json!([pageview("https://acme.com/")]));
    let mut req = awc::Client::default()
        .post(server.url("/v1/collect"))
        .insert_header(("Content-Type", "text/plain;charset=UTF-8"))
        .insert_header(("Origin", "https://acme.com"))
        .insert_header(("CF-IPCountry", "DE"));
    if let Some(xff) = forwarded_for {
        req = req.insert_header(("X-Forwarded-For", xff));
    }
    req.send_body(serde_json::to_vec(&body).unwrap())
        .await
        .unwrap()
        .status()
}

async fn server_hit(server: &Running, tenant: &Tenant) -> StatusCode {
    let line = r#"{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/docs","status":200,"user_agent":"GPTBot/1.2","ip":"20.15.240.64"}"#;
    awc::Client::default()
        .post(server.url("/v1/hits"))
        .insert_header(("Content-Type", "application/x-ndjson"))
        .insert_header(("Authorization", format!("Bearer {}", tenant.secret)))
        .send_body(line)
        .await
        .unwrap()
        .status()
}

fn tag_beacons(sink: &MemorySink) -> Vec<Beacon> {
    let registry = SchemaRegistry::builtin();
    sink.records()
        .into_iter()
        .map(|r| registry.decode::<Beacon>(&r.payload).unwrap())
        .filter(|b| b.tag.is_some())
        .collect()
}

fn ip_hashes(sink: &MemorySink) -> Vec<String> {
    tag_beacons(sink).into_iter().map(|b| b.ip_hash).collect()
}

fn countries(sink: &MemorySink) -> Vec<Option<String>> {
    tag_beacons(sink).into_iter().map(|b| b.country).collect()
}

fn acme() -> (ControlView, Tenant) {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    (view, acme)
}

#[actix_web::test]
async fn behind_a_trusted_proxy_a_spoofed_leftmost_entry_changes_neither_bucket_nor_hash() {
    let (view, acme) = acme();
    let sink = Arc::new(MemorySink::default());
    let mut flags = BEHIND_PROXY.to_vec();
    flags.extend(["--ip-rps", "1", "--ip-burst", "3"]);
    flags.extend(["--country-header", "CF-IPCountry"]);
    let server = start(view, sink.clone(), config(&flags));

    // The proxy appends the real client (203.0.113.9); whatever is to its left is the client's.
    for claimed in ["1.1.1.1, ", "8.8.8.8, 9.9.9.9, ", "garbage, "] {
        let xff = format!("{claimed}203.0.113.9");
        assert_eq!(
            beacon(&server, &acme, Some(&xff)).await,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        beacon(&server, &acme, Some("4.4.4.4, 203.0.113.9")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rotating the leftmost entry does not open a new bucket"
    );
    let hashes = ip_hashes(&sink);
    assert_eq!(hashes.len(), 3);
    assert_eq!(countries(&sink), vec![Some("DE".to_owned()); 3]);
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");
    assert_eq!(
        hashes[0],
        ingest_edge::enrich::ip_hash("test-salt", "203.0.113.9".parse().unwrap())
    );

    // Another client behind the same proxy has a bucket of its own.
    assert_eq!(
        beacon(&server, &acme, Some("203.0.113.9, 198.51.100.7")).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        ip_hashes(&sink)[3],
        ingest_edge::enrich::ip_hash("test-salt", "198.51.100.7".parse().unwrap())
    );
}

#[actix_web::test]
async fn an_untrusted_peers_forwarded_for_is_ignored() {
    let (view, acme) = acme();
    let sink = Arc::new(MemorySink::default());
    // No trusted proxy (the default): the test client is the client.
    let server = start(
        view,
        sink.clone(),
        config(&[
            "--ip-rps",
            "1",
            "--ip-burst",
            "2",
            "--country-header",
            "CF-IPCountry",
        ]),
    );
    assert_eq!(
        beacon(&server, &acme, Some("1.1.1.1")).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        beacon(&server, &acme, Some("2.2.2.2")).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        beacon(&server, &acme, Some("3.3.3.3")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let hashes = ip_hashes(&sink);
    let peer = ingest_edge::enrich::ip_hash("test-salt", "127.0.0.1".parse().unwrap());
    assert_eq!(hashes, [peer.clone(), peer]);
    assert!(
        countries(&sink).iter().all(Option::is_none),
        "nor its country header"
    );
}

#[actix_web::test]
async fn a_tag_flood_on_a_key_leaves_its_server_hits_and_other_visitors_accepted() {
    let (view, acme) = acme();
    let sink = Arc::new(MemorySink::default());
    let mut flags = BEHIND_PROXY.to_vec();
    // Per-address limits out of the way: the key's buckets are under test.
    flags.extend(["--ip-rps", "1000", "--ip-burst", "1000"]);
    flags.extend(["--tag-rps", "1", "--tag-burst", "5"]);
    flags.extend(["--key-rps", "1", "--key-burst", "2"]);
    let server = start(view, sink.clone(), config(&flags));

    let abuser = Some("203.0.113.66");
    let mut refused = 0;
    for _ in 0..20 {
        if beacon(&server, &acme, abuser).await == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused >= 14, "the flood is limited ({refused} refused)");
    assert_eq!(
        beacon(&server, &acme, Some("198.51.100.7")).await,
        StatusCode::ACCEPTED,
        "another visitor of the same key"
    );
    assert_eq!(
        server_hit(&server, &acme).await,
        StatusCode::ACCEPTED,
        "server hits of the same key"
    );
    assert_eq!(server_hit(&server, &acme).await, StatusCode::ACCEPTED);
    assert_eq!(
        server_hit(&server, &acme).await,
        StatusCode::TOO_MANY_REQUESTS,
        "server hits keep a per-key limit of their own"
    );
}
