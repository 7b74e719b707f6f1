//! Cookieless mode over HTTP (real server, port 0, in-memory sink, test clock): the edge derives
//! the visitor from today's salt and ignores any id the tag sent; a day later the same browser is a
//! new visitor; no salt older than 48 hours is left in the directory.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use ingest_edge::clock::ManualClock;
use ingest_edge::sink::MemorySink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use schemas::beacon::Beacon;
use schemas::control::{ControlView, UpdateProperty};
use schemas::SchemaRegistry;
use serde_json::{json, Value};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

struct World {
    view: ControlView,
    private: Tenant,
    cookies: Tenant,
}

fn world() -> World {
    let mut view = ControlView::new();
    let private = onboard(&mut view, "private.dev", all());
    submit(
        &mut view,
        UpdateProperty {
            property_id: private.property,
            active: true,
            allow_subdomains: false,
            honor_privacy_signals: false,
            cookieless: true,
        },
    );
    let cookies = onboard(&mut view, "cookies.dev", all());
    World {
        view,
        private,
        cookies,
    }
}

struct Edge {
    server: Running,
    sink: Arc<MemorySink>,
    clock: Arc<ManualClock>,
    _salts: tempfile::TempDir,
}

/// 10:00 UTC on a fixed day, far from midnight either way.
fn morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn edge(view: ControlView) -> Edge {
    let salts = tempfile::tempdir().unwrap();
    let dir = salts.path().join("cookieless");
    let sink = Arc::new(MemorySink::default());
    let clock = Arc::new(ManualClock::new(morning()));
    let state = AppState::new(
        // The test client plays the trusted proxy, so X-Forwarded-For picks the visitor's address.
        config(&[
            "--cookieless-salt-dir",
            dir.to_str().unwrap(),
            "--trusted-proxies",
            "127.0.0.1/32",
        ]),
        ControlHandle::fixed(view),
        sink.clone(),
        None,
    )
    .with_clock(clock.clone());
    Edge {
        server: start_state(state),
        sink,
        clock,
        _salts: salts,
    }
}

/// Posts `body` as the tag does, from `address` with `agent`; the status and the JSON answer.
async fn send(edge: &Edge, origin: &str, body: &Value, address: &str, agent: &str) -> (u16, Value) {
    let mut res = awc::Client::default()
        .post(edge.server.url("/v1/collect"))
        .insert_header(("Content-Type", "text/plain;charset=UTF-8"))
        .insert_header(("Origin", origin))
        .insert_header(("User-Agent", agent))
        .insert_header(("X-Forwarded-For", address))
        .send_body(serde_json::to_vec(body).unwrap())
        .await
        .unwrap();
    let bytes = res.body().await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A cookieless tag's envelope: no visitor or session id.
fn bare(t: &Tenant, url: &str) -> Value {
    let mut body = envelope(t, json!([pageview(url)]));
    let fields = body.as_object_mut().unwrap();
    fields.remove("visitor_id");
    fields.remove("session_id");
    body
}

fn beacons(sink: &MemorySink) -> Vec<(String, Beacon)> {
    let registry = SchemaRegistry::builtin();
    sink.records()
        .into_iter()
        .map(|r| (r.key, registry.decode::<Beacon>(&r.payload).unwrap()))
        .collect()
}

#[actix_web::test]
async fn a_cookieless_visitor_is_one_id_all_day_and_a_new_one_the_next() {
    let w = world();
    let edge = edge(w.view);
    let origin = "https://private.dev";
    let home = bare(&w.private, "https://private.dev/");
    let pricing = bare(&w.private, "https://private.dev/pricing");

    let (status, answer) = send(&edge, origin, &home, "198.51.100.7", FIREFOX).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer, json!({ "accepted": 1, "cookieless": true }));
    edge.clock.advance(Duration::hours(13)); // 23:00, the same day
    send(&edge, origin, &pricing, "198.51.100.7", FIREFOX).await;
    // A stale snippet still sends its cookie ids: they are not what gets stored.
    let stale = envelope(&w.private, json!([pageview("https://private.dev/old")]));
    send(&edge, origin, &stale, "198.51.100.7", FIREFOX).await;
    // The same address with another browser, and the same browser from the next address.
    send(&edge, origin, &home, "198.51.100.7", "curl/8.11").await;
    send(&edge, origin, &home, "198.51.100.8", FIREFOX).await;

    let got = beacons(&edge.sink);
    assert_eq!(got.len(), 5);
    let visitor = got[0].1.visitor_id.clone();
    assert!(visitor.starts_with("cl-"), "{visitor}");
    for (key, b) in &got[..3] {
        assert_eq!(
            b.visitor_id,
            visitor,
            "one visitor all day: {}",
            b.tag.as_ref().unwrap().url
        );
        assert_eq!(
            key,
            &format!("{}:{visitor}", w.private.property),
            "keyed by the derived id"
        );
        assert_eq!(
            b.tag.as_ref().unwrap().session_id,
            None,
            "sessions come from inactivity"
        );
        assert!(!b.ip_hash.is_empty());
    }
    assert_ne!(got[3].1.visitor_id, visitor, "another user agent");
    assert_ne!(
        got[4].1.visitor_id, visitor,
        "another address in the same /24"
    );

    // After midnight (the test clock): the same browser at the same address is a new visitor, and
    // its address hash, keyed with the new salt, no longer matches yesterday's either.
    edge.clock.advance(Duration::hours(2));
    send(&edge, origin, &home, "198.51.100.7", FIREFOX).await;
    let next_day = beacons(&edge.sink).pop().unwrap().1;
    assert!(next_day.visitor_id.starts_with("cl-"));
    assert_ne!(next_day.visitor_id, visitor, "a day later, a new visitor");
    assert_ne!(next_day.ip_hash, got[0].1.ip_hash);
}

#[actix_web::test]
async fn no_salt_older_than_48_hours_exists() {
    let w = world();
    let edge = edge(w.view);
    let origin = "https://private.dev";
    let home = bare(&w.private, "https://private.dev/");
    let salts = edge.server.state.cookieless.clone();
    let first_day = morning().date_naive();
    let oldest_allowed = |now: DateTime<Utc>| (now - Duration::hours(48)).date_naive();

    for day in 0..4 {
        let (status, _) = send(&edge, origin, &home, "198.51.100.7", FIREFOX).await;
        assert_eq!(status, 202);
        let now = morning() + Duration::days(day);
        let days = salts.days().unwrap();
        assert!(
            days.iter().all(|d| *d > oldest_allowed(now)),
            "day {day}: {days:?}"
        );
        assert_eq!(days.len(), (day as usize + 1).min(2), "day {day}: {days:?}");
        edge.clock.advance(Duration::days(1));
    }
    assert!(!salts.days().unwrap().contains(&first_day));

    // A day with no beacon at all: the purge tick alone destroys what reached its 48 h.
    let before = salts.days().unwrap();
    assert_eq!(salts.purge().unwrap(), vec![before[0]]);
    assert_eq!(salts.days().unwrap(), vec![before[1]]);
    edge.clock.advance(Duration::days(1));
    salts.purge().unwrap();
    assert!(salts.days().unwrap().is_empty());
}

#[actix_web::test]
async fn a_property_with_cookies_keeps_the_tags_ids_and_counts_a_bare_tag_per_day() {
    let w = world();
    let edge = edge(w.view);
    let origin = "https://cookies.dev";
    let body = envelope(&w.cookies, json!([pageview("https://cookies.dev/")]));
    let (status, answer) = send(&edge, origin, &body, "198.51.100.7", FIREFOX).await;
    assert_eq!((status, answer), (202, json!({ "accepted": 1 })));
    let stored = beacons(&edge.sink).pop().unwrap().1;
    assert_eq!(stored.visitor_id, "v1");
    assert_eq!(stored.tag.unwrap().session_id.as_deref(), Some("s1"));
    assert!(
        edge.server.state.cookieless.days().unwrap().is_empty(),
        "no cookieless beacon, no salt made"
    );
    // A cookieless snippet left on the pages after the switch back to cookies: counted with a
    // derived id rather than refused, and not told to store anything.
    let bare_tag = bare(&w.cookies, "https://cookies.dev/");
    let (status, answer) = send(&edge, origin, &bare_tag, "198.51.100.7", FIREFOX).await;
    assert_eq!((status, answer), (202, json!({ "accepted": 1 })));
    let stored = beacons(&edge.sink).pop().unwrap().1;
    assert!(
        stored.visitor_id.starts_with("cl-"),
        "{}",
        stored.visitor_id
    );
    assert_eq!(stored.tag.unwrap().session_id, None);
}

#[actix_web::test]
async fn without_a_salt_a_cookieless_beacon_is_refused_retryably_not_stored_with_another_id() {
    let w = world();
    let blocker = tempfile::NamedTempFile::new().unwrap();
    // A file where the salt directory should be: the directory can never be made.
    let dir = blocker.path().join("salts");
    let sink = Arc::new(MemorySink::default());
    let state = AppState::new(
        config(&["--cookieless-salt-dir", dir.to_str().unwrap()]),
        ControlHandle::fixed(w.view),
        sink.clone(),
        None,
    );
    assert!(state.cookieless.open().is_err(), "start-up would fail");
    let server = start_state(state);
    let mut res = awc::Client::default()
        .post(server.url("/v1/collect"))
        .insert_header(("Content-Type", "text/plain;charset=UTF-8"))
        .insert_header(("Origin", "https://private.dev"))
        .send_body(serde_json::to_vec(&bare(&w.private, "https://private.dev/")).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(sink.records().is_empty());
}
