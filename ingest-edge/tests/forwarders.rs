//! The shipped forwarders against the real collector: the Cloudflare Worker run in Node, and the
//! nginx log format of the Vector recipe, as nginx writes it.

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
        serde_json::json!([200, 200, 200]),
        "the origin's responses pass through"
    );
    assert_eq!(
        report["forwarded"], 2,
        "ONLY_BOTS=1 forwards the crawler and the signed agent, not the browser"
    );
    assert_eq!(
        report["posts"],
        serde_json::json!([{ "lines": 2, "status": 202 }]),
        "both hits in one batch, accepted"
    );
    assert_eq!(
        report["by_lines"],
        serde_json::json!([2, 2, 1]),
        "full batches go at once"
    );
    assert_eq!(
        report["by_bytes"],
        serde_json::json!([2, 1]),
        "a hit that would pass the byte limit starts a new batch"
    );

    let records = sink.records();
    assert_eq!(records.len(), 2);
    let registry = SchemaRegistry::builtin();
    let mut beacons: Vec<Beacon> = records
        .iter()
        .map(|r| registry.decode(&r.payload).unwrap())
        .collect();
    beacons.sort_by_key(|b| !b.user_agent.contains("GPTBot"));
    let signed = beacons.pop().unwrap();
    let beacon = beacons.pop().unwrap();
    let signed_hit = signed.hit.unwrap();
    assert_eq!(signed_hit.signature.as_deref(), Some("sig1=:c2lnbmVk:"));
    assert_eq!(
        signed_hit.signature_input.as_deref(),
        Some(
            r#"sig1=("@authority" "signature-agent");created=1;expires=2;keyid="k";tag="web-bot-auth""#
        )
    );
    assert_eq!(
        signed_hit.signature_agent.as_deref(),
        Some(r#""https://chatgpt.com""#)
    );
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
    assert_eq!(
        hit.signature_agent, None,
        "an unsigned request forwards no signature"
    );
    assert_eq!(beacon.property_id, acme.property);
}

/// The `log_format optiview` template of the shipped nginx snippet: its quoted pieces joined.
fn nginx_log_format() -> String {
    let conf = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/forwarders/nginx-optiview.conf"),
    )
    .unwrap();
    let start = conf.find("log_format optiview escape=json").unwrap();
    let end = start + conf[start..].find("';").unwrap() + 1;
    conf[start..end]
        .split('\'')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .concat()
}

/// What nginx writes for `template` with `escape=json`: each `$variable` replaced by its value,
/// escaped for a JSON string (an unset variable is empty).
fn nginx_expand(template: &str, variables: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let name_len = rest[at + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - at - 1);
        let name = &rest[at + 1..at + 1 + name_len];
        let value = variables
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v);
        let quoted = serde_json::to_string(value).unwrap();
        out.push_str(&quoted[1..quoted.len() - 1]);
        rest = &rest[at + 1 + name_len..];
    }
    out.push_str(rest);
    out
}

/// `batch.<name> = <number>` of the Vector recipe.
fn vector_batch(vector: &str, name: &str) -> usize {
    let prefix = format!("batch.{name} = ");
    vector
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("vector.toml sets {prefix}"))
        .replace('_', "")
        .parse()
        .unwrap()
}

#[test]
fn the_vector_recipe_batches_for_log_shipping_within_the_collectors_limits() {
    let vector = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/forwarders/vector.toml"),
    )
    .unwrap();
    let (events, bytes) = (
        vector_batch(&vector, "max_events"),
        vector_batch(&vector, "max_bytes"),
    );
    // Vector does not retry a 413: a batch over a limit would be dropped.
    assert!(
        (1_000..=ingest_edge::config::default_max_hits_lines()).contains(&events),
        "{events}"
    );
    // Vector measures events before framing: half the limit leaves room for newlines and
    // estimates.
    assert!(
        (1_000_000..=ingest_edge::config::default_max_hits_bytes() / 2).contains(&bytes),
        "{bytes}"
    );
    assert!(vector.contains(r#"compression = "gzip""#));
}

#[actix_web::test]
async fn the_nginx_log_format_of_the_vector_recipe_is_ndjson_the_collector_accepts() {
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let sink = Arc::new(MemorySink::default());
    let server = start(view, sink.clone(), config(&[]));
    let vector = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/forwarders/vector.toml"),
    )
    .unwrap();
    assert!(vector.contains(r#"request.headers.Content-Type = "application/x-ndjson""#));
    assert!(vector.contains(r#"include = ["/var/log/nginx/optiview.log"]"#));

    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let signature_input = r#"sig1=("@authority" "@method" "@path" "signature-agent");created=1;expires=2;keyid="k";tag="web-bot-auth""#;
    let template = nginx_log_format();
    let signed = nginx_expand(
        &template,
        &[
            ("time_iso8601", &now),
            ("request_method", "GET"),
            ("host", "acme.com"),
            ("optiview_path", "/docs/pricing"),
            ("args", "ref=ai"),
            ("status", "200"),
            ("body_bytes_sent", "17"),
            ("remote_addr", "20.15.240.64"),
            (
                "http_user_agent",
                "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
            ),
            ("http_signature", "sig1=:c2lnbmVk:"),
            ("http_signature_input", signature_input),
            ("http_signature_agent", r#""https://chatgpt.com""#),
        ],
    );
    // A request without the headers: nginx writes empty strings for them.
    let unsigned = nginx_expand(
        &template,
        &[
            ("time_iso8601", &now),
            ("request_method", "HEAD"),
            ("host", "acme.com"),
            ("optiview_path", "/"),
            ("status", "404"),
            ("body_bytes_sent", "0"),
            ("remote_addr", "20.15.240.65"),
            ("http_user_agent", "Mozilla/5.0 (compatible; GPTBot/1.2)"),
        ],
    );
    let mut res = awc::Client::default()
        .post(server.url("/v1/hits"))
        .insert_header(("Content-Type", "application/x-ndjson"))
        .insert_header(("Authorization", format!("Bearer {}", acme.secret)))
        .send_body(format!("{signed}\n{unsigned}\n"))
        .await
        .unwrap();
    let answer = res.body().await.unwrap();
    assert_eq!(res.status().as_u16(), 202, "{answer:?}");

    let registry = SchemaRegistry::builtin();
    let beacons: Vec<Beacon> = sink
        .records()
        .iter()
        .map(|r| registry.decode(&r.payload).unwrap())
        .collect();
    assert_eq!(beacons.len(), 2);
    let signed = beacons
        .iter()
        .find(|b| b.user_agent.contains("Chrome"))
        .unwrap();
    let hit = signed.hit.as_ref().unwrap();
    assert_eq!(
        (hit.method.as_str(), hit.path.as_str(), hit.query.as_deref()),
        ("GET", "/docs/pricing", Some("ref=ai"))
    );
    assert_eq!((hit.status, hit.bytes), (200, Some(17)));
    assert_eq!(
        opened_address(&server, signed).as_deref(),
        Some("20.15.240.64")
    );
    assert_eq!(hit.signature.as_deref(), Some("sig1=:c2lnbmVk:"));
    assert_eq!(hit.signature_input.as_deref(), Some(signature_input));
    assert_eq!(
        hit.signature_agent.as_deref(),
        Some(r#""https://chatgpt.com""#)
    );
    let plain = beacons
        .iter()
        .find(|b| b.user_agent.contains("GPTBot"))
        .unwrap();
    let hit = plain.hit.as_ref().unwrap();
    assert_eq!(
        (hit.status, hit.query.as_deref(), hit.referrer.as_deref()),
        (404, None, None)
    );
    assert_eq!(
        (&hit.signature, &hit.signature_input, &hit.signature_agent),
        (&None, &None, &None),
        "nginx's empty strings for absent headers are no headers"
    );
}
