//! tag.js in headless Chromium (Debian's) against a running collector: pageview, SPA navigation,
//! clicks, custom events, conversions and a collector outage, checked on the Kafka topic.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use common::*;
use ingest_edge::server::serve;
use ingest_edge::sink::{BeaconSink, KafkaSink, Record, SinkError, SinkFuture};
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use rdkafka::producer::FutureProducer;
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::ControlView;
use serde_json::Value;

/// The Kafka sink with an outage switch the browser script flips.
struct Switchable {
    inner: KafkaSink,
    failing: AtomicBool,
}

impl BeaconSink for Switchable {
    fn send_batch(&self, records: Vec<Record>) -> SinkFuture<'_> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(SinkError::Unavailable) });
        }
        self.inner.send_batch(records)
    }

    fn reachable(&self) -> bool {
        self.inner.reachable()
    }
}

fn page(edge: &str, t: &Tenant) -> String {
    format!(
        r#"<!doctype html><html><head><title>Acme Home</title>
<script>window.optiview=window.optiview||{{q:[],track:function(){{this.q.push(["track",arguments])}},conversion:function(){{this.q.push(["conversion",arguments])}}}};
optiview.track("early",{{source:"stub"}});</script>
<script async src="{edge}/v1/tag.js?debug=1" data-key-id="{key}" data-project-id="{project}" data-property-id="{property}" data-clicks="1" data-spa="1"></script>
</head><body>
<a id="outbound" href="https://example.org/docs" onclick="event.preventDefault()">  Read the docs  </a>
<a id="download" href="/files/report.pdf" onclick="event.preventDefault()">Report</a>
<button id="signup">Sign up now</button>
</body></html>"#,
        key = t.key,
        project = t.project,
        property = t.property
    )
}

#[actix_web::test]
#[ignore = "browser test: needs Chromium and OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn the_tag_in_a_real_browser_delivers_every_event_through_an_outage() {
    let topics = TestTopics::create(&[("beacons", 2)]).await;
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "optiview-test.com", all());
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let sink = Arc::new(Switchable {
        inner: KafkaSink::new(
            producer,
            topics.name(0).to_owned(),
            Duration::from_secs(5),
            10_000,
        ),
        failing: AtomicBool::new(false),
    });
    let state = web::Data::new(AppState::new(
        config(&[]),
        ControlHandle::fixed(view),
        sink.clone(),
        None,
    ));
    let edge_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let edge_port = edge_listener.local_addr().unwrap().port();
    actix_web::rt::spawn(serve(state, edge_listener).unwrap());

    let html = page(
        &format!("http://edge.optiview-test.com:{edge_port}"),
        &tenant,
    );
    let switch = sink.clone();
    let page_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let page_port = page_listener.local_addr().unwrap().port();
    let page_server = HttpServer::new(move || {
        let html = html.clone();
        let switch = switch.clone();
        App::new()
            .route(
                "/outage",
                web::post().to(
                    move |q: web::Query<std::collections::HashMap<String, String>>| {
                        let switch = switch.clone();
                        async move {
                            switch.failing.store(
                                q.get("failing").map(String::as_str) == Some("1"),
                                Ordering::SeqCst,
                            );
                            HttpResponse::Ok().finish()
                        }
                    },
                ),
            )
            .default_service(web::to(move || {
                let html = html.clone();
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

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tag/browser_test.mjs");
    let page_url =
        format!("http://www.optiview-test.com:{page_port}/index.html?utm_source=chatgpt.com");
    let switch_url = format!("http://127.0.0.1:{page_port}/outage");
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(page_url)
            .arg(switch_url)
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

    let cookies = report["cookies"].as_array().unwrap();
    let cookie = |name: &str| {
        cookies
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("cookie {name} not set: {cookies:?}"))
    };
    let now = chrono::Utc::now().timestamp() as f64;
    let vid = cookie("_ov_vid");
    assert!(
        vid["expires"].as_f64().unwrap() - now > 360.0 * 86400.0,
        "visitor cookie lasts a year"
    );
    let sid = cookie("_ov_sid");
    let session_left = sid["expires"].as_f64().unwrap() - now;
    assert!(
        (1500.0..=1802.0).contains(&session_left),
        "session cookie rolls 30 minutes, left {session_left}"
    );
    assert!(report["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == 503));
    assert!(
        report["debug_lines"].as_u64().unwrap() > 0,
        "?debug=1 logs to the console"
    );

    let beacons = read_beacons(&topics.brokers, topics.name(0)).await;
    let visitor = vid["value"].as_str().unwrap();
    assert!(beacons
        .iter()
        .all(|b| b.visitor_id == visitor && b.property_id == tenant.property));
    let tags: Vec<&schemas::beacon::TagEvent> =
        beacons.iter().map(|b| b.tag.as_ref().unwrap()).collect();
    assert!(tags
        .iter()
        .all(|t| t.session_id.as_deref() == sid["value"].as_str()));

    let pageviews: Vec<&str> = tags
        .iter()
        .filter(|t| t.event_type == TagEventType::Pageview)
        .map(|t| t.url.as_str())
        .collect();
    assert_eq!(
        pageviews,
        [
            format!("http://www.optiview-test.com:{page_port}/index.html?utm_source=chatgpt.com"),
            format!("http://www.optiview-test.com:{page_port}/spa-page"),
            format!("http://www.optiview-test.com:{page_port}/spa-page#section"),
        ],
        "one pageview on load, one per new SPA URL, none for replaceState to the same URL"
    );
    let first = tags
        .iter()
        .find(|t| t.event_type == TagEventType::Pageview)
        .unwrap();
    assert_eq!(first.title.as_deref(), Some("Acme Home"));
    assert_eq!(
        first.utm.get("utm_source").map(String::as_str),
        Some("chatgpt.com")
    );
    assert!(first.screen.as_deref().is_some_and(|s| s.contains('x')));
    assert!(first.language.is_some() && first.time_zone.is_some());

    let clicks: Vec<(&str, &str)> = tags
        .iter()
        .filter(|t| t.event_type == TagEventType::Click)
        .map(|t| (t.props["kind"].as_str(), t.props["text"].as_str()))
        .collect();
    assert_eq!(
        clicks,
        [
            ("outbound", "Read the docs"),
            ("download", "Report"),
            ("internal", "Sign up now")
        ]
    );

    let named = |ty: TagEventType| -> Vec<&str> {
        tags.iter()
            .filter(|t| t.event_type == ty)
            .map(|t| t.name.as_deref().unwrap())
            .collect()
    };
    let mut customs = named(TagEventType::Custom);
    customs.dedup();
    assert!(
        customs.contains(&"early"),
        "the stub's queued call was replayed: {customs:?}"
    );
    assert!(
        customs.contains(&"newsletter") && customs.contains(&"during-outage"),
        "{customs:?}"
    );
    let conversion = tags
        .iter()
        .find(|t| t.event_type == TagEventType::Conversion)
        .unwrap();
    assert_eq!(
        (
            conversion.name.as_deref(),
            conversion.value,
            conversion.currency.as_deref()
        ),
        (Some("purchase"), Some(99.5), Some("USD"))
    );
}

async fn read_beacons(brokers: &str, topic: &str) -> Vec<Beacon> {
    let mut beacons: Vec<Beacon> = read_all(brokers, topic, 2, usize::MAX).await;
    beacons.sort_by_key(|b| b.tag.as_ref().and_then(|t| t.client_ts).unwrap_or(0));
    beacons
}
