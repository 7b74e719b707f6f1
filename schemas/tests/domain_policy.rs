//! Domain policy against the public suffix list's own test vectors (reference-data/domains).

use schemas::control::domain::{normalize, origin_allowed, registrable_domain, DomainError};

fn vectors() -> Vec<(Option<String>, Option<String>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference-data/domains/tests.txt"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let opt = |s: &str| (s != "null").then(|| s.to_owned());
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|l| {
            let mut parts = l.split_whitespace();
            (opt(parts.next().unwrap()), opt(parts.next().unwrap()))
        })
        .collect()
}

#[test]
fn registrable_domain_matches_every_psl_test_vector() {
    let cases = vectors();
    assert!(
        cases.len() > 60,
        "expected the full vector file, got {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for (input, expected) in &cases {
        let got = input.as_deref().and_then(registrable_domain);
        if &got != expected {
            failures.push(format!("{input:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn normalize_lowercases_and_strips_scheme_www_port_and_path() {
    let d = normalize("  https://WWW.Example.CO.UK:8443/pricing?x=1 ").unwrap();
    assert_eq!(d.host, "example.co.uk");
    assert_eq!(d.registrable, "example.co.uk");
    let d = normalize("Blog.Example.com.").unwrap();
    assert_eq!(
        (d.host.as_str(), d.registrable.as_str()),
        ("blog.example.com", "example.com")
    );
}

#[test]
fn normalize_rejects_what_is_not_a_public_domain() {
    assert_eq!(normalize(""), Err(DomainError::Empty));
    assert!(matches!(normalize("www."), Err(DomainError::Invalid(_))));
    assert_eq!(normalize("localhost"), Err(DomainError::Localhost));
    assert_eq!(
        normalize("http://localhost:3000"),
        Err(DomainError::Localhost)
    );
    assert_eq!(normalize("app.localhost"), Err(DomainError::Localhost));
    assert_eq!(normalize("192.168.1.10"), Err(DomainError::IpAddress));
    assert_eq!(normalize("http://[::1]:8080/"), Err(DomainError::IpAddress));
    assert!(matches!(
        normalize("exa mple.com"),
        Err(DomainError::Invalid(_))
    ));
    assert!(matches!(
        normalize("-bad.com"),
        Err(DomainError::Invalid(_))
    ));
    assert!(matches!(normalize("nodots"), Err(DomainError::Invalid(_))));
    assert!(matches!(
        normalize("under_score.com"),
        Err(DomainError::Invalid(_))
    ));
    assert_eq!(
        normalize("co.uk"),
        Err(DomainError::PublicSuffix("co.uk".into()))
    );
    assert_eq!(
        normalize("github.io"),
        Err(DomainError::PublicSuffix("github.io".into()))
    );
}

#[test]
fn origin_policy_allows_domain_and_www_and_subdomains_only_when_enabled() {
    assert!(origin_allowed("example.com", "example.com", false));
    assert!(origin_allowed("example.com", "WWW.example.com", false));
    assert!(!origin_allowed("example.com", "blog.example.com", false));
    assert!(origin_allowed("example.com", "blog.example.com", true));
    assert!(!origin_allowed("example.com", "evilexample.com", true));
    assert!(!origin_allowed("example.com", "example.com.evil.io", true));
    assert!(!origin_allowed("example.com", ".example.com", true));
}
