//! The dashboard's files as the server sends them: every page path gets the HTML shell with a
//! strict content security policy, every embedded file is served with its type and revalidates,
//! and nothing in them is a secret.

mod common;

use common::{client, start_with_view};
use query_api::http::routes::ROUTES;
use query_api::http::web::Assets;
use regex::Regex;
use schemas::control::ControlView;

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

#[actix_rt::test]
async fn every_embedded_file_is_served_with_its_type_and_an_etag() {
    let api = start_with_view(ControlView::new());
    let mut served = 0;
    for name in Assets::iter() {
        if name == "index.html" || name.ends_with(".md") {
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
