//! Writes the seed corpus, `corpus/<target>/seed-*`, from the project's own fixtures: what tag.js
//! sends, the collector's test hits, the schemas fixtures encoded, the classifiers' test cases
//! and a sample of reference-data/. Run once before fuzzing; `cargo fuzz cmin` keeps what adds
//! coverage.
//!
//!   cargo +nightly fuzz build -s none seed_corpus && $CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/seed_corpus
//!
//! A fuzz target in form only: built with the others' instrumentation it must link libFuzzer,
//! whose start-up hook writes the corpus and exits before any input runs.
#![no_main]
// The start-up hook never returns, so what the macro puts after it cannot run.
#![allow(unreachable_code)]

use std::path::Path;

use schemas::beacon::{Beacon, ServerHit, TagEventType};
use schemas::control::{
    ControlEvent, ControlView, CreateAnalystToken, CreateApiKey, CreateOrganization, CreateProject,
    CreateUser, Decide, Permission, Plan, Role, SetAiSources, SetMembership, TokenScope,
};
use schemas::fixtures::sample_tag_beacon;
use schemas::Contract;

fn write(target: &str, seeds: impl IntoIterator<Item = Vec<u8>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    let mut n = 0;
    for (i, seed) in seeds.into_iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i:03}")), seed).expect("seed file");
        n += 1;
    }
    println!("{target}: {n} seeds");
}

fn reference(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reference-data")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Envelopes as tag.js builds them (`envelope()`, `pageview()`, `track()`, `conversion()`, the
/// click listener), plus the collector tests' single-event and edge forms.
fn collect_seeds() -> Vec<Vec<u8>> {
    let ids = r#""key_id":"key_AbCdEfGh12","project_id":"prj_AbCdEfGh12","property_id":42,"visitor_id":"v-1a2b3c","session_id":"s-4d5e6f","gpc":false"#;
    let events = [
        r#"{"type":"pageview","referrer":"https://chatgpt.com/","title":"Pricing","screen":"1920x1080","language":"de-DE","time_zone":"Europe/Berlin","id":"e-1","ts":1795515332000,"url":"https://acme.com/pricing?utm_source=chatgpt.com&utm_medium=ai"}"#,
        r#"{"type":"click","props":{"kind":"outbound","text":"Docs","target":"https://docs.acme.com/"},"id":"e-2","ts":1795515333000,"url":"https://acme.com/"}"#,
        r#"{"type":"custom","name":"signup","props":{"plan":"pro","seats":3,"trial":true},"id":"e-3","ts":1795515334000,"url":"https://acme.com/signup"}"#,
        r#"{"type":"conversion","name":"purchase","value":49.5,"currency":"eur","props":{"plan":"pro"},"id":"e-4","ts":1795515335000,"url":"https://acme.com/checkout"}"#,
    ];
    let mut seeds: Vec<String> = events
        .iter()
        .map(|e| format!(r#"{{{ids},"events":[{e}]}}"#))
        .collect();
    seeds.push(format!(r#"{{{ids},"events":[{}]}}"#, events.join(",")));
    seeds.extend([
        // One event beside the envelope, the property id as text, Do Not Track.
        r#"{"key_id":"key_1","project_id":"prj_1","property_id":"7","visitor_id":"v","dnt":true,"type":"pageview","url":"http://acme.com/a?b=c#d","utm":{"utm_source":"perplexity.ai"}}"#.into(),
        r#"{"key_id":"k","project_id":"p","property_id":1,"visitor_id":"v","events":[]}"#.into(),
        r#"{"key_id":"k","project_id":"p","property_id":0,"visitor_id":"v","events":[{"type":"pageview","url":"https://a.b/"}]}"#.into(),
        r#"{"key_id":"k","project_id":"p","property_id":1,"visitor_id":"v","events":[{"type":"pageview","url":"javascript:alert(1)","ts":-1}]}"#.into(),
    ]);
    seeds.into_iter().map(String::into_bytes).collect()
}

/// The collector tests' hits: a leading 0 byte is NDJSON, 1 the combined log format.
fn hits_seeds() -> Vec<Vec<u8>> {
    let ndjson = [
        r#"{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/docs","status":200,"user_agent":"Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)","ip":"20.15.240.64","bytes":5120,"response_ms":12}"#,
        r#"{"ts":"2026-11-24T10:15:33Z","method":"GET","host":"acme.com","path":"/pricing","query":"a=1","status":200,"user_agent":"ClaudeBot/1.0","ip":"160.79.104.10"}"#,
        "{\"ts\":1,\"method\":\"get\",\"host\":\"Acme.com\",\"path\":\"/a\",\"status\":404,\"referrer\":\"https://chatgpt.com/\"}\n\n{\"ts\":\"2026-11-24T10:15:32+01:00\",\"method\":\"HEAD\",\"host\":\"a.com\",\"path\":\"/b\",\"status\":301,\"bytes\":null}",
    ];
    let logs = [
        r#"20.15.240.64 - - [24/Nov/2026:10:15:32 +0000] "GET /docs/pricing?ref=x HTTP/1.1" 200 5120 "-" "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot""#,
        r#"2001:db8::1 - frank [10/Oct/2026:13:55:36 -0700] "POST /api HTTP/2.0" 503 - "https://www.google.com/" "Mozilla/5.0 \"quoted\" (Windows NT 10.0)""#,
    ];
    let mut seeds: Vec<Vec<u8>> = ndjson
        .iter()
        .map(|l| [b"\0".as_slice(), l.as_bytes()].concat())
        .collect();
    seeds.extend(
        logs.iter()
            .map(|l| [b"\x01".as_slice(), l.as_bytes()].concat()),
    );
    seeds.push([b"\x01".as_slice(), logs.join("\n").as_bytes()].concat());
    seeds
}

fn beacon_seeds() -> Vec<Vec<u8>> {
    let tag = sample_tag_beacon();
    let mut pageview = sample_tag_beacon();
    let event = pageview.tag.as_mut().expect("sample is a tag beacon");
    event.event_type = TagEventType::Pageview;
    (event.name, event.value, event.currency) = (None, None, None);
    event.props.clear();
    let server = Beacon {
        tag: None,
        user_agent: "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)".into(),
        hit: Some(ServerHit {
            ts: 1_764_000_000_000,
            method: "GET".into(),
            host: "example.com".into(),
            path: "/docs".into(),
            query: Some("utm_source=chatgpt.com".into()),
            status: 200,
            ip: Some("20.15.240.64".into()),
            referrer: None,
            bytes: Some(5120),
            response_ms: Some(12),
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
        }),
        ..sample_tag_beacon()
    };
    [tag, pageview, server]
        .iter()
        .map(|b| schemas::encode(b).expect("fixture encodes"))
        .collect()
}

/// Every kind of event onboarding decides, encoded with the current schema and also relabelled
/// with each earlier control schema's fingerprint, so resolution from old writers gets explored.
fn events_of<C: Decide>(view: &ControlView, command: C) -> Vec<ControlEvent> {
    view.decide("seed", 1_764_000_000_000, &command)
        .expect("the seed command is valid")
        .events
}

fn control_seeds() -> Vec<Vec<u8>> {
    let mut view = ControlView::new();
    let mut events: Vec<ControlEvent> = Vec::new();
    let mut decide = |command: &dyn Fn(&ControlView) -> Vec<ControlEvent>| {
        let decided = command(&view);
        for event in &decided {
            view.apply(event).expect("decided events apply");
        }
        events.extend(decided);
    };
    decide(&|v| {
        events_of(
            v,
            CreateOrganization {
                id: "org_AbCdEfGh12".into(),
                name: "Acme".into(),
                domain: "acme.com".into(),
                plan: Plan::Growth,
            },
        )
    });
    decide(&|v| {
        events_of(
            v,
            CreateProject {
                id: "prj_AbCdEfGh12".into(),
                organization_id: "org_AbCdEfGh12".into(),
                name: "Site".into(),
                domain: "acme.com".into(),
            },
        )
    });
    decide(&|v| {
        let property = v.properties().next().expect("the default property").id;
        events_of(
            v,
            CreateApiKey {
                id: "key_AbCdEfGh12".into(),
                property_id: property,
                name: "edge".into(),
                permissions: vec![Permission::Collect, Permission::Hits],
                secret_hash: schemas::control::ids::hash_secret("secret"),
            },
        )
    });
    decide(&|v| {
        events_of(
            v,
            CreateUser {
                id: "usr_AbCdEfGh12".into(),
                email: "ada@acme.com".into(),
                name: "Ada".into(),
            },
        )
    });
    decide(&|v| {
        events_of(
            v,
            SetMembership {
                organization_id: "org_AbCdEfGh12".into(),
                user_id: "usr_AbCdEfGh12".into(),
                role: Role::Admin,
                active: true,
            },
        )
    });
    decide(&|v| {
        events_of(
            v,
            CreateAnalystToken {
                id: "tok_AbCdEfGh12".into(),
                organization_id: "org_AbCdEfGh12".into(),
                user_id: "usr_AbCdEfGh12".into(),
                name: "notebook".into(),
                scope: TokenScope::default(),
                secret_hash: schemas::control::ids::hash_secret("token"),
            },
        )
    });
    decide(&|v| {
        events_of(
            v,
            SetAiSources {
                project_id: "prj_AbCdEfGh12".into(),
                enabled: vec!["ChatGPT".into(), "Perplexity".into()],
            },
        )
    });
    let history: Vec<[u8; 8]> = schemas::codec::HISTORY
        .iter()
        .filter(|json| json.contains("ControlEvent"))
        .map(|json| {
            let schema = apache_avro::Schema::parse_str(json).expect("bundled schema");
            schemas::codec::fingerprint_of(&schema)
        })
        .collect();
    let mut seeds = Vec::new();
    for event in &events {
        let current = schemas::encode(event).expect("event encodes");
        for fingerprint in &history {
            let mut old = current.clone();
            old[2..10].copy_from_slice(fingerprint);
            seeds.push(old);
        }
        seeds.push(current);
    }
    assert_ne!(ControlEvent::fingerprint(), [0; 8]);
    seeds
}

fn user_agent_seeds() -> Vec<Vec<u8>> {
    let mut uas: Vec<String> = [
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "curl/8.5.0",
        "",
    ]
    .map(String::from)
    .to_vec();
    // Every 40th crawler instance and browser test case: a spread of the reference sets.
    uas.extend(
        reference("crawlers/pattern_instances.tsv")
            .lines()
            .skip(1)
            .step_by(40)
            .filter_map(|l| l.split('\t').nth(1).map(str::to_owned)),
    );
    uas.extend(
        reference("browsers/test_ua.yaml")
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- user_agent_string: "))
            .step_by(40)
            .map(|s| s.trim_matches('\'').to_owned()),
    );
    uas.into_iter().map(String::into_bytes).collect()
}

/// `page URL \n referrer`, from the attributor's tests and the LLM referrer list.
fn referrer_seeds() -> Vec<Vec<u8>> {
    let mut pairs: Vec<String> = [
        "https://acme.com/pricing\nhttps://gemini.google.com/app/123",
        "https://acme.com/pricing\nhttps://www.google.com/",
        "https://acme.com/pricing\nhttps://www.google.co.uk/search?q=x",
        "https://acme.com/pricing\nhttps://chatgpt.com/",
        "https://acme.com/\nhttps://x.com/i/grok?conversation=1",
        "https://acme.com/\nhttps://x.com/someone/status/1",
        "https://acme.com/?utm_source=claude.ai",
        "https://acme.com/?utm_source=chatgpt.com&utm_medium=referral",
        "https://acme.com/a\nhttps://acme.com/b",
        "https://www.acme.com/a\nhttps://acme.com/",
        "https://acme.com/\nhttps://bsky.app/profile/x",
        "https://acme.com/\nhttps://blog.example.org/post",
        "https://acme.com/",
        "https://acme.com/\n",
    ]
    .map(String::from)
    .to_vec();
    pairs.extend(
        reference("referrers/llm-referrer.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .step_by(8)
            .map(|host| format!("https://acme.com/docs\nhttps://{host}/c/1")),
    );
    pairs.into_iter().map(String::into_bytes).collect()
}

libfuzzer_sys::fuzz_target!(
    init: {
        write_all();
        std::process::exit(0);
    },
    |_input: &[u8]| {}
);

fn write_all() {
    write("collect_envelope", collect_seeds());
    write("hits_ndjson_clf", hits_seeds());
    write("avro_beacon", beacon_seeds());
    write("avro_control", control_seeds());
    write("classify_user_agent", user_agent_seeds());
    write("attribute_referrer", referrer_seeds());
}
