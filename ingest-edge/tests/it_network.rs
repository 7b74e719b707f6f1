//! The network of origin through the real collector and broker. The databases are files in the
//! layout `infra/stack install` installs (`@ip-location-db` CSV, IPv4 and IPv6 files apart),
//! written here for documentation networks: every beacon on the topic carries its address's AS
//! number, organisation and country; a trusted country header still wins; the address itself is
//! on no beacon.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use awc::http::StatusCode;
use common::*;
use ingest_edge::server::serve;
use ingest_edge::wiring::connect;
use platform::test_support::TestTopics;
use schemas::beacon::Beacon;
use schemas::control::ControlView;
use serde_json::json;

/// The four files, as `--asn-database` and `--country-database` flags.
fn write_databases(dir: &Path) -> Vec<String> {
    let files = [
        (
            "asn-ipv4.csv",
            "198.51.100.0,198.51.100.255,64500,\"Example Hosting, Inc.\"\n\
             203.0.113.0,203.0.113.255,64501,Example Broadband\n",
        ),
        (
            "asn-ipv6.csv",
            "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64502,Example Cloud\n",
        ),
        (
            "country-ipv4.csv",
            "198.51.100.0,198.51.100.255,NL\n203.0.113.0,203.0.113.255,DE\n",
        ),
        (
            "country-ipv6.csv",
            "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,FR\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    vec![
        "--asn-database".into(),
        format!("{},{}", path("asn-ipv4.csv"), path("asn-ipv6.csv")),
        "--country-database".into(),
        format!("{},{}", path("country-ipv4.csv"), path("country-ipv6.csv")),
    ]
}

struct Edge {
    base: String,
    topics: TestTopics,
    acme: Tenant,
    _dir: tempfile::TempDir,
}

/// A collector behind a trusted loopback proxy (its X-Forwarded-For names the client), with the
/// databases and `extra` flags.
async fn edge(extra: &[&str]) -> Edge {
    let topics = TestTopics::create(&[("control", 1), ("beacons", 2)]).await;
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    publish(&topics.brokers, topics.name(0), &control_log(&view)).await;
    let dir = tempfile::tempdir().unwrap();
    let databases = write_databases(dir.path());
    let mut flags = vec![
        "--brokers",
        &topics.brokers,
        "--control-topic",
        topics.name(0),
        "--beacons-topic",
        topics.name(1),
        "--trusted-proxies",
        "127.0.0.1/32",
    ];
    flags.extend(databases.iter().map(String::as_str));
    flags.extend_from_slice(extra);
    let edge = connect(&config(&flags), None).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    actix_web::rt::spawn(serve(edge.state.clone(), listener).unwrap());
    Edge {
        base,
        topics,
        acme,
        _dir: dir,
    }
}

/// One pageview with id `id` from `client`, with extra request headers.
async fn collect(edge: &Edge, id: &str, client: &str, headers: &[(&str, &str)]) {
    let body = envelope(
        &edge.acme,
        json!([{ "id": id, "type": "pageview", "url": "https://acme.com/", "title": "Home" }]),
    );
    let mut req = awc::Client::default()
        .post(format!("{}/v1/collect", edge.base))
        .insert_header(("Content-Type", "text/plain"))
        .insert_header(("Origin", "https://acme.com"))
        .insert_header(("X-Forwarded-For", client))
        .timeout(Duration::from_secs(20));
    for header in headers {
        req = req.insert_header(*header);
    }
    let res = req
        .send_body(serde_json::to_vec(&body).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{id}");
}

fn by_event<'a>(beacons: &'a [Beacon], id: &str) -> &'a Beacon {
    beacons
        .iter()
        .find(|b| b.event_id == id)
        .unwrap_or_else(|| panic!("{id} on the topic"))
}

fn origin(b: &Beacon) -> (Option<&str>, Option<i64>, Option<&str>) {
    (b.country.as_deref(), b.asn, b.as_organization.as_deref())
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn every_beacon_on_the_topic_carries_the_network_and_country_of_its_address() {
    let edge = edge(&[]).await;
    collect(&edge, "from-hosting", "198.51.100.7", &[]).await;
    collect(&edge, "from-home", "203.0.113.9", &[]).await;
    collect(&edge, "from-elsewhere", "192.0.2.1", &[]).await;
    // Server hits: the address the hit names, not the partner server's that sent it.
    let hits = [("/ipv6", "2001:db8::5"), ("/unknown", "192.0.2.44")]
        .map(|(path, ip)| {
            json!({ "ts": 1795515332000i64, "method": "GET", "host": "acme.com", "path": path,
                "status": 200, "user_agent": "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)",
                "ip": ip })
            .to_string()
        })
        .join("\n");
    let res = awc::Client::default()
        .post(format!("{}/v1/hits", edge.base))
        .insert_header(("Content-Type", "application/x-ndjson"))
        .insert_header(("Authorization", format!("Bearer {}", edge.acme.secret)))
        .insert_header(("X-Forwarded-For", "203.0.113.200"))
        .send_body(hits)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let beacons: Vec<Beacon> = read_all(&edge.topics.brokers, edge.topics.name(1), 2, 5).await;
    assert_eq!(beacons.len(), 5);
    assert_eq!(
        origin(by_event(&beacons, "from-hosting")),
        (Some("NL"), Some(64500), Some("Example Hosting, Inc."))
    );
    assert_eq!(
        origin(by_event(&beacons, "from-home")),
        (Some("DE"), Some(64501), Some("Example Broadband"))
    );
    assert_eq!(
        origin(by_event(&beacons, "from-elsewhere")),
        (None, None, None)
    );
    let hit = |path: &str| {
        beacons
            .iter()
            .find(|b| b.hit.as_ref().is_some_and(|h| h.path == path))
            .unwrap_or_else(|| panic!("the hit on {path}"))
    };
    assert_eq!(
        origin(hit("/ipv6")),
        (Some("FR"), Some(64502), Some("Example Cloud"))
    );
    assert_eq!(origin(hit("/unknown")), (None, None, None));
    // Looked up, not kept: no beacon carries a plain client address.
    for beacon in &beacons {
        let encoded = format!("{beacon:?}");
        for address in ["198.51.100.7", "203.0.113.9", "2001:db8::5", "192.0.2.44"] {
            assert!(!encoded.contains(address), "{address} in {encoded}");
        }
    }
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_trusted_country_header_wins_over_the_database() {
    let edge = edge(&["--country-header", "CF-IPCountry"]).await;
    collect(
        &edge,
        "with-header",
        "198.51.100.7",
        &[("CF-IPCountry", "JP")],
    )
    .await;
    // Without it (a request that did not pass the CDN's country lookup) the database answers.
    collect(&edge, "without-header", "198.51.100.8", &[]).await;
    let beacons: Vec<Beacon> = read_all(&edge.topics.brokers, edge.topics.name(1), 2, 2).await;
    assert_eq!(
        origin(by_event(&beacons, "with-header")),
        (Some("JP"), Some(64500), Some("Example Hosting, Inc."))
    );
    assert_eq!(origin(by_event(&beacons, "without-header")).0, Some("NL"));
}
