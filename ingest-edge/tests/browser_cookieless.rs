//! tag.js in cookieless mode, in headless Chromium (Debian's) against a running collector: the
//! page keeps no cookie, no localStorage and no sessionStorage, the beacons arrive on Kafka with
//! the edge's derived visitor id, and a snippet from before the switch removes what it had stored.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::*;
use ingest_edge::server::serve;
use ingest_edge::sink::KafkaSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use rdkafka::producer::FutureProducer;
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::{ControlView, UpdateProperty};
use serde_json::Value;

/// The page; `cookieless` adds the attribute the install page's snippet carries in that mode.
fn page(edge: &str, t: &Tenant, cookieless: bool) -> String {
    format!(
        r#"<!doctype html><html><head><title>Private Home</title>
<script async src="{edge}/v1/tag.js" data-key-id="{key}" data-project-id="{project}" data-property-id="{property}" data-clicks="1" data-spa="1"{mode}></script>
</head><body><a id="docs" href="/docs">Docs</a></body></html>"#,
        key = t.key,
        project = t.project,
        property = t.property,
        mode = if cookieless {
            r#" data-cookieless="1""#
        } else {
            ""
        }
    )
}

fn storage_is_empty(report: &Value, which: &str) {
    let seen = &report[which];
    assert_eq!(seen["cookie"], "", "{which}: document.cookie");
    assert_eq!(seen["local_storage"], 0, "{which}: localStorage");
    assert_eq!(seen["session_storage"], 0, "{which}: sessionStorage");
    assert_eq!(
        seen["cookies"],
        serde_json::json!([]),
        "{which}: the browser's cookie jar"
    );
    assert_eq!(
        seen["errors"],
        serde_json::json!([]),
        "{which}: page errors"
    );
}

#[actix_web::test]
#[ignore = "browser test: needs Chromium and OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_cookieless_tag_stores_nothing_on_the_device_and_its_beacons_arrive() {
    let topics = TestTopics::create(&[("beacons", 2)]).await;
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "optiview-test.com", all());
    let allow_subdomains = view.property(tenant.property).unwrap().allow_subdomains;
    submit(
        &mut view,
        UpdateProperty {
            property_id: tenant.property,
            active: true,
            allow_subdomains,
            honor_privacy_signals: false,
            cookieless: true,
        },
    );
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let sink = Arc::new(KafkaSink::new(
        producer,
        topics.name(0).to_owned(),
        Duration::from_secs(5),
        10_000,
    ));
    let salts = tempfile::tempdir().unwrap();
    let state = web::Data::new(AppState::new(
        config(&["--cookieless-salt-dir", salts.path().to_str().unwrap()]),
        ControlHandle::fixed(view),
        sink,
        None,
    ));
    let edge_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let edge_port = edge_listener.local_addr().unwrap().port();
    actix_web::rt::spawn(serve(state, edge_listener).unwrap());

    let edge = format!("http://edge.optiview-test.com:{edge_port}");
    let current = page(&edge, &tenant, true);
    let stale = page(&edge, &tenant, false);
    let page_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let page_port = page_listener.local_addr().unwrap().port();
    let page_server = HttpServer::new(move || {
        let (current, stale) = (current.clone(), stale.clone());
        App::new().default_service(web::to(move |req: HttpRequest| {
            let html = if req.path().starts_with("/old/") {
                stale.clone()
            } else {
                current.clone()
            };
            async move {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(html)
            }
        }))
    })
    .workers(1)
    .listen(page_listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(page_server);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tag/cookieless_test.mjs");
    let site = format!("http://www.optiview-test.com:{page_port}");
    let (current_url, stale_url) = (
        format!("{site}/new/index.html"),
        format!("{site}/old/index.html"),
    );
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(current_url)
            .arg(stale_url)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "browser script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    storage_is_empty(&report, "cookieless");
    storage_is_empty(&report, "stale");
    for answer in report["cookieless"]["answers"].as_array().unwrap() {
        assert_eq!(answer["status"], 202, "{answer}");
        assert_eq!(answer["body"]["cookieless"], true, "{answer}");
    }

    let mut beacons: Vec<Beacon> = read_all(&topics.brokers, topics.name(0), 2, usize::MAX).await;
    beacons.sort_by_key(|b| b.tag.as_ref().and_then(|t| t.client_ts).unwrap_or(0));
    let urls: Vec<(&str, TagEventType)> = beacons
        .iter()
        .map(|b| {
            let tag = b.tag.as_ref().unwrap();
            (tag.url.as_str(), tag.event_type)
        })
        .collect();
    let pageview = |path: &str| (format!("{site}{path}"), TagEventType::Pageview);
    for (url, kind) in [
        pageview("/new/index.html"),
        pageview("/new/pricing.html"),
        pageview("/old/index.html"),
    ] {
        assert!(urls.contains(&(url.as_str(), kind)), "{url} in {urls:?}");
    }
    assert!(urls.iter().any(|(_, t)| *t == TagEventType::Custom));
    // One browser, one address, one day: one visitor, whichever snippet, derived at the edge and
    // never the cookie id the old snippet sent with its first beacon.
    let visitor = &beacons[0].visitor_id;
    assert!(visitor.starts_with("cl-"), "{visitor}");
    assert!(
        beacons.iter().all(|b| &b.visitor_id == visitor
            && b.property_id == tenant.property
            && b.tag.as_ref().unwrap().session_id.is_none()),
        "{beacons:?}"
    );
}
