//! What a Web Bot Auth signature adds to enriching a server hit: a signed agentic browser's hit
//! (its signer's directory cached: structured-field parsing, the signature base, one Ed25519
//! verification) against the same hit unsigned (classification and IP-range verification), in
//! the same run. `cargo bench -p benches --bench web_bot_auth`

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use criterion::{criterion_group, Criterion};
use ed25519_dalek::{Signer, SigningKey};
use schemas::beacon::{Beacon, ServerHit};
use stream_processors::enrich::enricher::{Enricher, PropertyContext};
use stream_processors::enrich::page::ContentRules;
use stream_processors::enrich::web_bot_auth::directory::{thumbprint, Directory};

const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";

fn hit_beacon(signed_by: Option<&SigningKey>) -> Beacon {
    let mut beacon = schemas::fixtures::sample_tag_beacon();
    beacon.tag = None;
    beacon.user_agent = CHROME.into();
    let ts = beacon.received_at - 1_000;
    let mut hit = ServerHit {
        ts,
        method: "GET".into(),
        host: "acme.com".into(),
        path: "/docs/start".into(),
        query: None,
        status: 200,
        ip: Some("203.0.113.5".into()),
        referrer: None,
        bytes: Some(1234),
        response_ms: Some(12),
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    };
    if let Some(key) = signed_by {
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let input = format!(
            r#"("@authority" "@method" "@path" "signature-agent");created={};expires={};keyid="{}";tag="web-bot-auth""#,
            ts / 1000,
            ts / 1000 + 300,
            thumbprint(&x)
        );
        let base = format!(
            "\"@authority\": acme.com\n\"@method\": GET\n\"@path\": /docs/start\n\"signature-agent\": \"https://chatgpt.com\"\n\"@signature-params\": {input}"
        );
        hit.signature_input = Some(format!("sig1={input}"));
        hit.signature = Some(format!(
            "sig1=:{}:",
            STANDARD.encode(key.sign(base.as_bytes()).to_bytes())
        ));
        hit.signature_agent = Some("\"https://chatgpt.com\"".into());
    }
    beacon.hit = Some(hit);
    beacon
}

fn setup() -> (Enricher, Beacon, Beacon) {
    let key = SigningKey::from_bytes(&[5; 32]);
    let enricher = Enricher::from_catalog().unwrap();
    let jwks = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
        URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
    );
    enricher.web_bot_auth.directories().unwrap().preload(
        "https://chatgpt.com",
        Directory::parse(jwks.as_bytes()).unwrap(),
        Duration::from_secs(3_600),
    );
    (enricher, hit_beacon(None), hit_beacon(Some(&key)))
}

fn benches(c: &mut Criterion) {
    let (enricher, unsigned, signed) = setup();
    let rules = ContentRules::default();
    let ctx = PropertyContext {
        organization_id: "org",
        retention_days: 180,
        content_rules: &rules,
    };
    let at = signed.received_at;
    let mut group = c.benchmark_group("server_hit");
    group.bench_function("enrich unsigned (baseline)", |b| {
        b.iter(|| black_box(enricher.enrich(black_box(&unsigned), &ctx, at)))
    });
    group.bench_function("enrich signed, directory cached", |b| {
        b.iter(|| black_box(enricher.enrich(black_box(&signed), &ctx, at)))
    });
    group.finish();
}

/// Mean time per enrichment of each, over the same number of runs, and their ratio.
fn ratio() {
    let (enricher, unsigned, signed) = setup();
    let rules = ContentRules::default();
    let ctx = PropertyContext {
        organization_id: "org",
        retention_days: 180,
        content_rules: &rules,
    };
    let at = signed.received_at;
    let time = |beacon: &Beacon| {
        const RUNS: u32 = 20_000;
        let started = Instant::now();
        for _ in 0..RUNS {
            black_box(enricher.enrich(black_box(beacon), &ctx, at).unwrap());
        }
        started.elapsed() / RUNS
    };
    let (base, with) = (time(&unsigned), time(&signed));
    println!(
        "enrich per hit: unsigned {base:?}, signed {with:?}: {:.2}x the baseline",
        with.as_secs_f64() / base.as_secs_f64()
    );
}

criterion_group!(group, benches);

fn main() {
    group();
    ratio();
    Criterion::default().configure_from_args().final_summary();
}
