//! The shipped Cloudflare Worker forwarder, run in Node against the real collector.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::*;
use ingest_edge::sink::MemorySink;
use schemas::beacon::Beacon;
use schemas::control::ControlView;
use schemas::SchemaRegistry;
use serde_json::Value;

#[actix_web::test]
async fn the_cloudflare_worker_forwards_crawler_hits_the_collector_accepts() {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let sink = Arc::new(MemorySink::default());
    let server = start(view, sink.clone(), config(&[]));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/forwarders/test_worker.mjs");
    let (base, secret) = (server.base.clone(), acme.secret.clone());
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(base)
            .arg(secret)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["origin_status"],
        serde_json::json!([200, 200]),
        "the origin's responses pass through"
    );
    assert_eq!(
        report["forwarded"], 1,
        "ONLY_BOTS=1 forwards the crawler, not the browser"
    );

    let records = sink.records();
    assert_eq!(records.len(), 1);
    let beacon: Beacon = SchemaRegistry::builtin()
        .decode(&records[0].payload)
        .unwrap();
    let address = opened_address(&server, &beacon);
    let hit = beacon.hit.unwrap();
    assert_eq!(
        (hit.host.as_str(), hit.path.as_str(), hit.query.as_deref()),
        ("acme.com", "/docs/pricing", Some("ref=ai"))
    );
    assert_eq!(
        (hit.status, hit.bytes, address.as_deref()),
        (200, Some(17), Some("20.15.240.64"))
    );
    assert_eq!(hit.referrer.as_deref(), Some("https://chatgpt.com/"));
    assert!(beacon.user_agent.contains("GPTBot"));
    assert_eq!(beacon.property_id, acme.property);
}
