//! The collector over HTTP (real server, port 0, in-memory sink): every response code, and nothing
//! produced on rejection.

mod common;

use std::io::Write;
use std::sync::Arc;

use awc::http::StatusCode;
use common::*;
use ingest_edge::sink::MemorySink;
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::{ControlView, Permission, RevokeApiKey, UpdateProperty};
use schemas::SchemaRegistry;
use serde_json::{json, Value};

struct World {
    view: ControlView,
    acme: Tenant,
    beta: Tenant,
    revoked: Tenant,
    inactive: Tenant,
    private: Tenant,
    hits_only: Tenant,
}

fn world() -> World {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let beta = onboard(&mut view, "beta.io", all());
    let revoked = onboard(&mut view, "revoked.dev", all());
    submit(
        &mut view,
        RevokeApiKey {
            key_id: revoked.key.clone(),
        },
    );
    let inactive = onboard(&mut view, "inactive.dev", all());
    submit(
        &mut view,
        UpdateProperty {
            property_id: inactive.property,
            active: false,
            allow_subdomains: false,
            honor_privacy_signals: false,
            cookieless: false,
        },
    );
    let private = onboard(&mut view, "private.dev", all());
    submit(
        &mut view,
        UpdateProperty {
            property_id: private.property,
            active: true,
            allow_subdomains: true,
            honor_privacy_signals: true,
            cookieless: false,
        },
    );
    let hits_only = onboard(&mut view, "hitsonly.dev", vec![Permission::Hits]);
    World {
        view,
        acme,
        beta,
        revoked,
        inactive,
        private,
        hits_only,
    }
}

struct Reply {
    status: StatusCode,
    headers: awc::http::header::HeaderMap,
    body: Value,
}

async fn post(
    url: &str,
    origin: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
    extra: &[(&str, &str)],
) -> Reply {
    let client = awc::Client::default();
    let mut req = client
        .post(url)
        .insert_header(("Content-Type", content_type));
    if let Some(origin) = origin {
        req = req.insert_header(("Origin", origin));
    }
    for (k, v) in extra {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send_body(body).await.unwrap();
    let bytes = res.body().await.unwrap();
    Reply {
        status: res.status(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

async fn collect(server: &Running, origin: Option<&str>, body: &Value) -> Reply {
    post(
        &server.url("/v1/collect"),
        origin,
        "text/plain;charset=UTF-8",
        serde_json::to_vec(body).unwrap(),
        &[],
    )
    .await
}

fn decoded(sink: &MemorySink) -> Vec<(String, Beacon)> {
    let registry = SchemaRegistry::builtin();
    sink.records()
        .into_iter()
        .map(|r| (r.key, registry.decode::<Beacon>(&r.payload).unwrap()))
        .collect()
}

#[actix_web::test]
async fn accepted_events_are_enriched_and_keyed_by_property_and_visitor() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(
        w.view,
        sink.clone(),
        // The test client plays the trusted proxy that sets the country header.
        config(&[
            "--country-header",
            "CF-IPCountry",
            "--trusted-proxies",
            "127.0.0.1/32",
        ]),
    );
    let body = envelope(
        &w.acme,
        json!([
            pageview("https://www.acme.com/pricing?utm_source=chatgpt.com&utm_medium=ai"),
            {"type": "click", "url": "https://www.acme.com/pricing", "props": {"kind": "outbound", "text": "Docs", "n": 3}},
            {"type": "custom", "name": "newsletter", "url": "https://www.acme.com/", "props": {"plan": "pro"}},
            {"type": "conversion", "name": "signup", "value": 49.5, "currency": "eur", "url": "https://www.acme.com/thanks"}
        ]),
    );
    let client = awc::Client::default();
    let mut res = client
        .post(server.url("/v1/collect"))
        .insert_header(("Content-Type", "text/plain"))
        .insert_header(("Origin", "https://www.acme.com"))
        .insert_header(("CF-IPCountry", "de"))
        .insert_header(("User-Agent", "Mozilla/5.0 Test"))
        .send_body(serde_json::to_vec(&body).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"accepted": 4}));
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://www.acme.com"
    );
    assert_eq!(res.headers().get("vary").unwrap(), "Origin");

    let records = decoded(&sink);
    assert_eq!(records.len(), 4);
    let (key, first) = &records[0];
    assert_eq!(key, &format!("{}:v1", w.acme.property));
    assert_eq!(
        first.event_id, "evt-1",
        "the tag's event id is kept for downstream dedup"
    );
    assert_eq!(
        (
            first.key_id.as_str(),
            first.project_id.as_str(),
            first.property_id
        ),
        (
            w.acme.key.as_str(),
            w.acme.project.as_str(),
            w.acme.property
        )
    );
    assert_eq!(first.country.as_deref(), Some("DE"));
    assert_eq!(first.user_agent, "Mozilla/5.0 Test");
    assert_eq!(first.ip_hash.len(), 16);
    assert!(
        !first.ip_hash.contains("127.0.0"),
        "only the salted hash of the IP is written"
    );
    let tag = first.tag.as_ref().unwrap();
    assert_eq!(tag.event_type, TagEventType::Pageview);
    assert_eq!(tag.session_id.as_deref(), Some("s1"));
    assert_eq!(
        tag.utm.get("utm_source").map(String::as_str),
        Some("chatgpt.com")
    );
    assert_eq!(tag.utm.get("utm_medium").map(String::as_str), Some("ai"));
    let click = records[1].1.tag.as_ref().unwrap();
    assert_eq!(click.props.get("n").map(String::as_str), Some("3"));
    let conversion = records[3].1.tag.as_ref().unwrap();
    assert_eq!(
        (conversion.value, conversion.currency.as_deref()),
        (Some(49.5), Some("EUR"))
    );
    assert!(records
        .iter()
        .all(|(_, b)| b.request_id == first.request_id && b.received_at == first.received_at));
}

#[actix_web::test]
async fn a_single_event_without_a_batch_and_a_gzip_body_are_accepted() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let mut single = envelope(&w.acme, Value::Null);
    let obj = single.as_object_mut().unwrap();
    obj.remove("events");
    obj.insert("type".into(), json!("pageview"));
    obj.insert("url".into(), json!("https://acme.com/"));
    assert_eq!(
        collect(&server, Some("https://acme.com"), &single)
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        &serde_json::to_vec(&envelope(&w.acme, json!([pageview("https://acme.com/a")]))).unwrap(),
    )
    .unwrap();
    let reply = post(
        &server.url("/v1/collect"),
        Some("https://acme.com"),
        "application/json",
        gz.finish().unwrap(),
        &[("Content-Encoding", "gzip")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    assert_eq!(sink.records().len(), 2);
}

/// Each rejection: status, machine-readable code, and nothing produced.
async fn rejected(
    server: &Running,
    sink: &MemorySink,
    origin: Option<&str>,
    body: &Value,
    status: StatusCode,
    code: &str,
) -> Reply {
    let before = sink.records().len();
    let reply = collect(server, origin, body).await;
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.body["error"], code, "{:?}", reply.body);
    assert!(reply.body["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        sink.records().len(),
        before,
        "a rejected request produced nothing"
    );
    reply
}

#[actix_web::test]
async fn malformed_payloads_get_400_naming_the_field() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let o = Some("https://acme.com");
    let reply = post(
        &server.url("/v1/collect"),
        o,
        "text/plain",
        b"{not json".to_vec(),
        &[],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    let no_url = envelope(&w.acme, json!([{"type": "pageview"}]));
    assert_eq!(
        rejected(
            &server,
            &sink,
            o,
            &no_url,
            StatusCode::BAD_REQUEST,
            "malformed"
        )
        .await
        .body["field"],
        "events[0].url"
    );
    let bad_type = envelope(
        &w.acme,
        json!([pageview("https://acme.com/"), {"type": "hover", "url": "https://acme.com/"}]),
    );
    assert_eq!(
        rejected(
            &server,
            &sink,
            o,
            &bad_type,
            StatusCode::BAD_REQUEST,
            "malformed"
        )
        .await
        .body["field"],
        "events[1].type"
    );
    let nameless = envelope(
        &w.acme,
        json!([{"type": "conversion", "url": "https://acme.com/"}]),
    );
    assert_eq!(
        rejected(
            &server,
            &sink,
            o,
            &nameless,
            StatusCode::BAD_REQUEST,
            "malformed"
        )
        .await
        .body["field"],
        "events[0].name"
    );
    // An envelope without a visitor id is a cookieless tag's: http_cookieless.rs.
    let wrong_type = envelope(
        &w.acme,
        json!([{"type": "pageview", "url": "https://acme.com/", "ts": "yesterday"}]),
    );
    assert_eq!(
        rejected(
            &server,
            &sink,
            o,
            &wrong_type,
            StatusCode::BAD_REQUEST,
            "malformed"
        )
        .await
        .body["field"],
        "events[0].ts"
    );
    let relative = envelope(&w.acme, json!([pageview("/pricing")]));
    rejected(
        &server,
        &sink,
        o,
        &relative,
        StatusCode::BAD_REQUEST,
        "malformed",
    )
    .await;
    let bad_currency = envelope(
        &w.acme,
        json!([{"type": "conversion", "name": "x", "currency": "EURO", "url": "https://acme.com/"}]),
    );
    rejected(
        &server,
        &sink,
        o,
        &bad_currency,
        StatusCode::BAD_REQUEST,
        "malformed",
    )
    .await;
}

#[actix_web::test]
async fn unknown_revoked_inactive_and_mismatched_keys_are_refused() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let mut unknown = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    unknown["key_id"] = json!("key_doesnotexi");
    rejected(
        &server,
        &sink,
        Some("https://acme.com"),
        &unknown,
        StatusCode::UNAUTHORIZED,
        "unknown_key",
    )
    .await;
    let revoked = envelope(&w.revoked, json!([pageview("https://revoked.dev/")]));
    rejected(
        &server,
        &sink,
        Some("https://revoked.dev"),
        &revoked,
        StatusCode::FORBIDDEN,
        "revoked_key",
    )
    .await;
    let inactive = envelope(&w.inactive, json!([pageview("https://inactive.dev/")]));
    rejected(
        &server,
        &sink,
        Some("https://inactive.dev"),
        &inactive,
        StatusCode::FORBIDDEN,
        "inactive_property",
    )
    .await;
    let no_collect = envelope(&w.hits_only, json!([pageview("https://hitsonly.dev/")]));
    rejected(
        &server,
        &sink,
        Some("https://hitsonly.dev"),
        &no_collect,
        StatusCode::FORBIDDEN,
        "missing_permission",
    )
    .await;
    // Tenant A's key with tenant B's property: refused, nothing lands in either tenant.
    let mut crossed = envelope(&w.acme, json!([pageview("https://beta.io/")]));
    crossed["property_id"] = json!(w.beta.property);
    rejected(
        &server,
        &sink,
        Some("https://beta.io"),
        &crossed,
        StatusCode::FORBIDDEN,
        "key_mismatch",
    )
    .await;
    let mut other_project = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    other_project["project_id"] = json!(w.beta.project);
    rejected(
        &server,
        &sink,
        Some("https://acme.com"),
        &other_project,
        StatusCode::FORBIDDEN,
        "key_mismatch",
    )
    .await;
}

#[actix_web::test]
async fn only_the_propertys_own_origins_get_in_and_get_cors_headers() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let body = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    for origin in [
        "https://evil.com",
        "https://blog.acme.com",
        "https://acme.com.evil.io",
        "null",
    ] {
        let reply = rejected(
            &server,
            &sink,
            Some(origin),
            &body,
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
        )
        .await;
        assert!(
            reply.headers.get("access-control-allow-origin").is_none(),
            "no CORS for {origin}"
        );
    }
    rejected(
        &server,
        &sink,
        None,
        &body,
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
    )
    .await;
    // A configured local demo origin gets in for any key; others still do not.
    let local = world();
    let body = envelope(&local.acme, json!([pageview("https://acme.com/")]));
    let demo = start(
        local.view,
        sink.clone(),
        config(&[
            "--dev-origins",
            "http://127.0.0.1:8082,http://localhost:8082",
        ]),
    );
    let reply = collect(&demo, Some("http://127.0.0.1:8082"), &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.headers.get("access-control-allow-origin").unwrap(),
        "http://127.0.0.1:8082"
    );
    rejected(
        &demo,
        &sink,
        Some("http://127.0.0.1:8083"),
        &body,
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
    )
    .await;
    // Subdomains only where the property allows them.
    let private = envelope(&w.private, json!([pageview("https://shop.private.dev/")]));
    let reply = collect(&server, Some("https://shop.private.dev"), &private).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.headers.get("access-control-allow-origin").unwrap(),
        "https://shop.private.dev"
    );
}

#[actix_web::test]
async fn preflight_answers_allowed_origins_and_nothing_for_others() {
    let w = world();
    let server = start(w.view, Arc::new(MemorySink::default()), config(&[]));
    let client = awc::Client::default();
    let res = client
        .request(awc::http::Method::OPTIONS, server.url("/v1/collect"))
        .insert_header(("Origin", "https://www.beta.io"))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://www.beta.io"
    );
    assert!(res
        .headers()
        .get("access-control-allow-methods")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("POST"));
    let res = client
        .request(awc::http::Method::OPTIONS, server.url("/v1/collect"))
        .insert_header(("Origin", "https://evil.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn oversized_bodies_and_batches_get_413_and_other_types_415() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(
        w.view,
        sink.clone(),
        config(&["--max-body-bytes", "2048", "--max-events", "3"]),
    );
    let o = Some("https://acme.com");
    let many = envelope(
        &w.acme,
        json!([
            pageview("https://acme.com/1"),
            pageview("https://acme.com/2"),
            pageview("https://acme.com/3"),
            pageview("https://acme.com/4")
        ]),
    );
    rejected(
        &server,
        &sink,
        o,
        &many,
        StatusCode::PAYLOAD_TOO_LARGE,
        "batch_too_large",
    )
    .await;
    let long_title = "x".repeat(3000);
    let mut big = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    big["events"][0]["title"] = json!(long_title);
    rejected(
        &server,
        &sink,
        o,
        &big,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    // A small gzip body that inflates past the limit is refused too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 100_000]).unwrap();
    let reply = post(
        &server.url("/v1/collect"),
        o,
        "text/plain",
        gz.finish().unwrap(),
        &[("Content-Encoding", "gzip")],
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    let form = post(
        &server.url("/v1/collect"),
        o,
        "application/x-www-form-urlencoded",
        b"a=b".to_vec(),
        &[],
    )
    .await;
    assert_eq!(
        (form.status, form.body["error"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    assert!(sink.records().is_empty());
}

#[actix_web::test]
async fn a_hot_key_is_rate_limited_with_retry_after_while_another_key_is_served() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(
        w.view,
        sink.clone(),
        config(&["--tag-rps", "1", "--tag-burst", "2"]),
    );
    let hot = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    for _ in 0..2 {
        assert_eq!(
            collect(&server, Some("https://acme.com"), &hot)
                .await
                .status,
            StatusCode::ACCEPTED
        );
    }
    let reply = rejected(
        &server,
        &sink,
        Some("https://acme.com"),
        &hot,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    assert!(
        reply
            .headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let calm = envelope(&w.beta, json!([pageview("https://beta.io/")]));
    assert_eq!(
        collect(&server, Some("https://beta.io"), &calm)
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

#[actix_web::test]
async fn one_client_address_over_its_burst_is_limited_before_any_work() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(
        w.view,
        sink.clone(),
        config(&["--ip-rps", "1", "--ip-burst", "2"]),
    );
    let body = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    for _ in 0..2 {
        assert_eq!(
            collect(&server, Some("https://acme.com"), &body)
                .await
                .status,
            StatusCode::ACCEPTED
        );
    }
    let other_key = envelope(&w.beta, json!([pageview("https://beta.io/")]));
    let reply = rejected(
        &server,
        &sink,
        Some("https://beta.io"),
        &other_key,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    )
    .await;
    assert!(reply.headers.get("retry-after").is_some());
}

#[actix_web::test]
async fn when_the_sink_fails_the_answer_is_503_retryable_and_never_2xx() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    sink.set_failing(true);
    let body = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    let reply = rejected(
        &server,
        &sink,
        Some("https://acme.com"),
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(reply.headers.get("retry-after").is_some());
    assert_eq!(
        reply.headers.get("access-control-allow-origin").unwrap(),
        "https://acme.com",
        "the tag can read the 503 and retry"
    );
    let ready = awc::Client::default()
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    sink.set_failing(false);
    assert_eq!(
        collect(&server, Some("https://acme.com"), &body)
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

#[actix_web::test]
async fn privacy_signals_are_honoured_only_where_the_property_asks() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let mut private = envelope(&w.private, json!([pageview("https://private.dev/")]));
    private["gpc"] = json!(true);
    let reply = collect(&server, Some("https://private.dev"), &private).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        reply.body,
        json!({"accepted": 0, "dropped": 1, "reason": "privacy_signal"})
    );
    assert!(sink.records().is_empty());
    let mut acme = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    acme["gpc"] = json!(true);
    assert_eq!(
        collect(&server, Some("https://acme.com"), &acme).await.body,
        json!({"accepted": 1})
    );
}

#[actix_web::test]
async fn ops_routes_unknown_routes_and_wrong_methods_answer_json() {
    let w = world();
    let server = start(w.view, Arc::new(MemorySink::default()), config(&[]));
    let client = awc::Client::default();
    let mut res = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    let mut ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["control_caught_up"],
        true
    );
    let mut missing = client.get(server.url("/v2/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "not_found");
    let mut wrong = client.get(server.url("/v1/collect")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
}

#[actix_web::test]
async fn edge_statistics_count_each_request_overall_and_under_the_property_its_key_names() {
    let w = world();
    let sink = Arc::new(MemorySink::default());
    let server = start(w.view, sink.clone(), config(&[]));
    let two = envelope(
        &w.acme,
        json!([
            pageview("https://acme.com/"),
            pageview("https://acme.com/a")
        ]),
    );
    assert_eq!(
        collect(&server, Some("https://acme.com"), &two)
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let wrong_origin = envelope(&w.beta, json!([pageview("https://beta.io/")]));
    assert_eq!(
        collect(&server, Some("https://evil.example"), &wrong_origin)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut unknown = envelope(&w.acme, json!([pageview("https://acme.com/")]));
    unknown["key_id"] = json!("key_doesnotexi");
    assert_eq!(
        collect(&server, Some("https://acme.com"), &unknown)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let minute = server
        .state
        .stats
        .take(chrono::Utc::now().timestamp_millis() + 60_000)
        .expect("three requests were counted");
    assert_eq!((minute.requests, minute.events), (3, 2));
    assert_eq!(minute.errors.values().sum::<i64>(), 2);
    let by_id = |id: i64| {
        minute
            .properties
            .iter()
            .find(|p| p.property_id == id)
            .unwrap_or_else(|| panic!("property {id} missing from {:?}", minute.properties))
    };
    let acme = by_id(w.acme.property);
    assert_eq!((acme.requests, acme.events), (1, 2));
    assert!(acme.errors.is_empty());
    let beta = by_id(w.beta.property);
    assert_eq!((beta.requests, beta.events), (1, 0));
    assert_eq!(beta.errors.get("4xx_auth"), Some(&1));
    assert_eq!(
        minute.properties.len(),
        2,
        "the unknown key's request belongs to no property"
    );
}
