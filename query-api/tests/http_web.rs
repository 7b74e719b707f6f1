//! The dashboard's files as the server sends them: every page path gets the HTML shell with a
//! strict content security policy, every embedded file is served with its type and revalidates,
//! nothing in them is a secret, and no script spells a value the server renders from its enums.

mod common;

use common::{client, send, start_with_view};
use query_api::http::analytics::content::ContentSort;
use query_api::http::analytics::referrals::Audience;
use query_api::http::analytics::window::Interval;
use query_api::http::routes::ROUTES;
use query_api::http::web::Assets;
use regex::Regex;
use schemas::alerts::{AlertRule, AlertState};
use schemas::control::{ControlView, Permission, Plan, PropertyKind, Role, TokenScope};
use schemas::vocab::{
    AgentClass, Channel, EventSource, EventType, JobStatus, RobotsVerdict, Verification,
    VerificationMethod, Vocabulary,
};

#[actix_rt::test]
async fn every_page_path_serves_the_shell_with_a_content_security_policy() {
    let api = start_with_view(ControlView::new());
    let pages: Vec<_> = ROUTES
        .iter()
        .filter(|s| s.page && !s.path.contains('{'))
        .collect();
    assert!(pages.len() >= 15, "every dashboard page is routed");
    let tags = Regex::new(r"<script[^>]*>").unwrap();
    for spec in pages {
        let mut response = client()
            .get(format!("{}{}", api.base, spec.path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", spec.path);
        let headers = response.headers();
        assert!(headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let csp = headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        let body = response.body().await.unwrap();
        let html = std::str::from_utf8(&body).unwrap();
        assert!(
            html.contains(r#"<script type="module" src="/assets/app.js">"#),
            "{}",
            spec.path
        );
        // No inline script: the policy would block it, and none is needed.
        assert!(tags.find_iter(html).count() >= 2);
        for tag in tags.find_iter(html) {
            assert!(
                tag.as_str().contains(" src=\"/assets/"),
                "{}: {}",
                spec.path,
                tag.as_str()
            );
        }
    }
    api.handle.stop(true).await;
}

/// Every source a content security policy allows, checked to be this origin's: scripts from
/// `'self'` only, no host, scheme or wildcard anywhere, inline styles the only inline anything.
fn assert_own_origin_policy(path: &str, csp: &str) {
    let mut directives = std::collections::BTreeMap::new();
    for directive in csp.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap();
        directives.insert(name, words.collect::<Vec<_>>());
    }
    assert_eq!(directives["script-src"], ["'self'"], "{path}: {csp}");
    assert_eq!(directives["default-src"], ["'self'"], "{path}: {csp}");
    assert_eq!(directives["connect-src"], ["'self'"], "{path}: {csp}");
    assert_eq!(directives["frame-ancestors"], ["'none'"], "{path}: {csp}");
    for (name, sources) in &directives {
        for source in sources {
            let allowed = match *source {
                "'self'" | "'none'" => true,
                "'unsafe-inline'" => *name == "style-src",
                "data:" => *name == "img-src",
                _ => false,
            };
            assert!(allowed, "{path}: {name} allows {source}: {csp}");
        }
    }
}

/// Every script and stylesheet `html` loads comes from this origin, and no script is inline.
fn assert_loads_only_own_files(path: &str, html: &str) {
    let scripts = Regex::new(r"(?s)<script\b([^>]*)>(.*?)</script>").unwrap();
    let links = Regex::new(r"<link\b[^>]*>").unwrap();
    let source = Regex::new(r#"\b(?:src|href)\s*=\s*["']?([^"'\s>]*)"#).unwrap();
    let own = |address: &str| address.starts_with('/') && !address.starts_with("//");
    let mut loaded = 0;
    for script in scripts.captures_iter(html) {
        assert!(script[2].trim().is_empty(), "{path}: inline script");
        let src = source
            .captures(&script[1])
            .unwrap_or_else(|| panic!("{path}: script without src: {}", &script[0]));
        assert!(own(&src[1]), "{path}: script from {}", &src[1]);
        loaded += 1;
    }
    assert!(loaded >= 1, "{path}: no script");
    for link in links.find_iter(html) {
        if let Some(href) = source.captures(link.as_str()) {
            assert!(
                own(&href[1]) || href[1].starts_with("data:"),
                "{path}: {} from {}",
                link.as_str(),
                &href[1]
            );
        }
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{path}: names another origin"
    );
}

#[actix_rt::test]
async fn the_api_reference_and_every_page_load_nothing_from_another_origin() {
    let api = start_with_view(ControlView::new());
    let mut paths: Vec<_> = ROUTES
        .iter()
        .filter(|s| s.page && !s.path.contains('{'))
        .map(|s| s.path)
        .collect();
    paths.push("/api/docs");
    for path in paths {
        let mut response = client()
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert!(header("content-type").starts_with("text/html"), "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_own_origin_policy(path, &header("content-security-policy"));
        let body = response.body().await.unwrap();
        assert_loads_only_own_files(path, std::str::from_utf8(&body).unwrap());
    }
    // The reference's renderer is served here, and the page hands it the document's address.
    let mut docs = client()
        .get(format!("{}/api/docs", api.base))
        .send()
        .await
        .unwrap();
    let html = String::from_utf8(docs.body().await.unwrap().to_vec()).unwrap();
    assert!(html.contains(r#"data-url="/api/openapi.json""#), "{html}");
    let bundle = Regex::new(r#"<script[^>]* src="(/assets/vendor/[^"]+)""#).unwrap();
    let src = bundle.captures(&html).expect("the vendored renderer")[1].to_owned();
    let script = client()
        .get(format!("{}{src}", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200, "{src}");
    assert!(script
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("javascript"));
    let document = send(client().get(format!("{}/api/openapi.json", api.base)), None).await;
    assert_eq!(document.status, 200);
    // The page itself is not an asset: it is served only with its policy.
    let bare = client()
        .get(format!("{}/assets/docs.html", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 404);
    // The checks catch what they look for.
    let caught = |html: &'static str| {
        std::panic::catch_unwind(|| assert_loads_only_own_files("planted", html)).is_err()
    };
    assert!(caught(
        r#"<script src="https://cdn.example/x.js"></script>"#
    ));
    assert!(caught(r#"<script src="//cdn.example/x.js"></script>"#));
    assert!(caught(
        r#"<script src="/a.js"></script><script>alert(1)</script>"#
    ));
    assert!(caught(
        r#"<script src="/a.js"></script><link rel="stylesheet" href="https://x/y.css">"#
    ));
    assert!(!caught(r#"<script defer src="/assets/a.js"></script>"#));
    let lax = |csp: &'static str| {
        std::panic::catch_unwind(|| assert_own_origin_policy("planted", csp)).is_err()
    };
    assert!(lax("default-src 'self'; script-src 'self' https://cdn.example; connect-src 'self'; frame-ancestors 'none'"));
    assert!(lax("default-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; img-src *"));
    assert!(lax("default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"));
    api.handle.stop(true).await;
}

#[actix_rt::test]
async fn every_embedded_file_is_served_with_its_type_and_an_etag() {
    let api = start_with_view(ControlView::new());
    let mut served = 0;
    for name in Assets::iter() {
        if name.ends_with(".html") || name.ends_with(".md") {
            let reply = client()
                .get(format!("{}/assets/{name}", api.base))
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 404, "{name} is not an asset");
            continue;
        }
        let response = client()
            .get(format!("{}/assets/{name}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let kind = response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let expected = match name.rsplit('.').next().unwrap() {
            "js" => "javascript",
            "css" => "text/css",
            _ => "",
        };
        assert!(kind.contains(expected), "{name}: {kind}");
        let etag = response
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let again = client()
            .get(format!("{}/assets/{name}", api.base))
            .insert_header(("If-None-Match", etag.as_str()))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{name} revalidates");
        served += 1;
    }
    assert!(served >= 20, "only {served} assets");
    let missing = common::send(client().get(format!("{}/assets/nope.js", api.base)), None).await;
    assert_eq!(
        (missing.status, missing.json["error"].as_str()),
        (404, Some("not_found"))
    );
    api.handle.stop(true).await;
}

#[test]
fn the_built_assets_carry_no_secret_or_token() {
    // The project's own secret formats (API key secrets, analyst tokens, sign-in and session
    // tokens are random strings of this shape), private keys, and common cloud credentials.
    let patterns = [
        Regex::new(r"ov[st]_[A-Za-z0-9]{20,}").unwrap(),
        Regex::new(r"-----BEGIN [A-Z ]*PRIVATE KEY-----").unwrap(),
        Regex::new(r"AKIA[0-9A-Z]{16}").unwrap(),
        Regex::new(r"xox[abprs]-[A-Za-z0-9-]{10,}").unwrap(),
        Regex::new(r"https://hooks\.slack\.com/services/").unwrap(),
        Regex::new(r#"(?i)(secret|password|token|api_key)\s*[:=]\s*["'][A-Za-z0-9_\-]{16,}["']"#)
            .unwrap(),
    ];
    let mut scanned = 0;
    for name in Assets::iter() {
        let file = Assets::get(&name).unwrap();
        let text = String::from_utf8_lossy(&file.data);
        for pattern in &patterns {
            assert!(
                pattern.find(&text).is_none(),
                "{name} matches {pattern}: {:?}",
                pattern.find(&text).map(|m| m.as_str())
            );
        }
        scanned += 1;
    }
    assert!(scanned >= 20);
    // The scanner finds what it looks for.
    let planted = format!("const k = \"{}\";", schemas::control::ids::new_secret());
    assert!(patterns.iter().any(|p| p.is_match(&planted)));
    let planted = format!(
        "fetch(x, {{token: '{}'}})",
        schemas::control::ids::new_analyst_token()
    );
    assert!(patterns.iter().any(|p| p.is_match(&planted)));
}

/// A string literal of a script: its text, and whether it names a DOM event
/// (`addEventListener("click", …)`), which is the browser's word, not the server's.
#[derive(Debug)]
struct Literal {
    text: String,
    dom_event: bool,
}

/// Every string literal of `script`, comments skipped: quoted strings, template literals without
/// placeholders, and the literals inside a template's `${…}`.
fn literals(script: &str, out: &mut Vec<Literal>) {
    let b = script.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'/', Some(b'/')) => {
                i = script[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            (b'/', Some(b'*')) => {
                i = script[i..].find("*/").map_or(b.len(), |n| i + n + 2);
            }
            (quote @ (b'"' | b'\''), _) => {
                let start = i + 1;
                i = start;
                while i < b.len() && b[i] != quote {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let dom_event = script[..start - 1]
                    .trim_end()
                    .ends_with("addEventListener(");
                out.push(Literal {
                    text: script[start..i.min(b.len())].to_owned(),
                    dom_event,
                });
                i += 1;
            }
            (b'`', _) => {
                let start = i + 1;
                i = start;
                let mut placeholders = false;
                while i < b.len() && b[i] != b'`' {
                    if b[i] == b'\\' {
                        i += 2;
                    } else if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                        placeholders = true;
                        let open = i + 2;
                        let mut depth = 1;
                        i = open;
                        while i < b.len() && depth > 0 {
                            match b[i] {
                                b'{' => depth += 1,
                                b'}' => depth -= 1,
                                _ => {}
                            }
                            i += 1;
                        }
                        literals(&script[open..i.saturating_sub(1).max(open)], out);
                    } else {
                        i += 1;
                    }
                }
                if !placeholders {
                    out.push(Literal {
                        text: script[start..i.min(b.len())].to_owned(),
                        dom_event: false,
                    });
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

fn texts<T: Vocabulary>() -> Vec<(&'static str, &'static str)> {
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap();
    T::ALL.iter().map(|v| (name, v.as_str())).collect()
}

/// Every value the server renders from an enum (the pipeline's, the control plane's, the
/// dashboards' query and answers), as `(enum, text)`.
fn rendered_values() -> Vec<(&'static str, &'static str)> {
    [
        texts::<AgentClass>(),
        texts::<Channel>(),
        texts::<EventSource>(),
        texts::<EventType>(),
        texts::<JobStatus>(),
        texts::<Verification>(),
        texts::<VerificationMethod>(),
        texts::<RobotsVerdict>(),
        texts::<AlertRule>(),
        texts::<AlertState>(),
        texts::<Plan>(),
        texts::<Role>(),
        texts::<PropertyKind>(),
        texts::<Permission>(),
        texts::<TokenScope>(),
        texts::<ContentSort>(),
        texts::<Interval>(),
        texts::<Audience>(),
    ]
    .concat()
}

/// Words of the page's own that happen to equal a rendered value: (script or `*` for any,
/// literal, why).
const OWN_WORDS: [(&str, &str, &str); 2] = [
    (
        "filters.js",
        "custom",
        "the time-window picker's own `range=custom`, kept in shared addresses; not an event type",
    ),
    (
        "*",
        "email",
        "HTML's input type and the forms' field name for an e-mail address; not the e-mail channel",
    ),
];

/// `(enum, text)` of each literal of `script` that spells a rendered value.
fn spelled<'v>(
    name: &str,
    script: &str,
    values: &'v [(&'static str, &'static str)],
    own_used: &mut [bool],
) -> Vec<&'v (&'static str, &'static str)> {
    let mut found = Vec::new();
    let mut all = Vec::new();
    literals(script, &mut all);
    for literal in all.iter().filter(|l| !l.dom_event) {
        if let Some(own) = OWN_WORDS
            .iter()
            .position(|(file, word, _)| (*file == name || *file == "*") && *word == literal.text)
        {
            own_used[own] = true;
            continue;
        }
        found.extend(values.iter().filter(|(_, text)| *text == literal.text));
    }
    found
}

#[test]
fn no_script_spells_a_value_the_server_renders() {
    let values = rendered_values();
    assert!(values.len() > 40, "{values:?}");
    let mut own_used = [false; OWN_WORDS.len()];
    let mut spellings = Vec::new();
    let mut scanned = 0;
    for name in Assets::iter().filter(|n| n.ends_with(".js") && !n.starts_with("vendor/")) {
        let file = Assets::get(&name).unwrap();
        let script = String::from_utf8(file.data.into_owned()).unwrap();
        for (kind, text) in spelled(&name, &script, &values, &mut own_used) {
            spellings.push(format!("{name}: \"{text}\" ({kind})"));
        }
        scanned += 1;
    }
    assert!(scanned >= 15, "only {scanned} scripts");
    assert!(
        spellings.is_empty(),
        "the web app spells values the server renders; take them from its answers \
         (/api/v1/vocabulary, /api/v1/me, the dashboards' fields):\n{}",
        spellings.join("\n")
    );
    for (used, (file, word, _)) in own_used.iter().zip(OWN_WORDS) {
        assert!(
            used,
            "{file} no longer says \"{word}\": drop it from OWN_WORDS"
        );
    }
    // The scanner finds what it looks for, inside templates too, and leaves DOM events alone.
    let planted = format!(
        "const p = [[\"{}\", \"Starter\"]]; // it's\nx = `${{ok ? '{}' : y}}`;\nb.addEventListener(\"{}\", f);",
        Plan::Starter.as_str(),
        ContentSort::LastSeen.as_str(),
        EventType::Click.as_str(),
    );
    let found = spelled("planted.js", &planted, &values, &mut own_used);
    assert_eq!(
        found,
        [&("Plan", "starter"), &("ContentSort", "last_seen")],
        "{planted}"
    );
}

#[actix_rt::test]
async fn the_choices_the_forms_offer_come_from_the_enums_defaults_first() {
    let api = start_with_view(ControlView::new());
    let reply = send(
        client().get(format!("{}/api/v1/vocabulary", api.base)),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "public: {}", reply.json);
    let values = |list: &str| -> Vec<String> {
        let items = reply.json[list].as_array().unwrap();
        assert!(
            items
                .iter()
                .all(|c| c["label"].as_str().is_some_and(|l| !l.is_empty())),
            "{list}: every choice has a label"
        );
        items
            .iter()
            .map(|c| c["value"].as_str().unwrap().to_owned())
            .collect()
    };
    fn all<T: Vocabulary>() -> Vec<String> {
        T::ALL.iter().map(|v| v.as_str().to_owned()).collect()
    }
    assert_eq!(values("plans"), all::<Plan>());
    assert_eq!(values("roles"), all::<Role>());
    assert_eq!(values("property_kinds"), all::<PropertyKind>());
    assert_eq!(values("content_sorts"), all::<ContentSort>());
    // The forms' defaults, as they were before the server listed them.
    assert_eq!(values("plans")[0], Plan::Starter.as_str());
    assert_eq!(values("roles")[0], Role::Owner.as_str());
    assert_eq!(values("property_kinds")[0], PropertyKind::Website.as_str());
    assert_eq!(values("content_sorts")[0], ContentSort::Views.as_str());
    api.handle.stop(true).await;
}
