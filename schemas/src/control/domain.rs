//! Domain policy for organizations, projects and properties: what a partner may register.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("domain is empty")]
    Empty,
    #[error("localhost is not a public domain")]
    Localhost,
    #[error("an IP address is not a domain")]
    IpAddress,
    #[error("invalid domain: {0}")]
    Invalid(String),
    #[error("{0} is a public suffix, not a registrable domain")]
    PublicSuffix(String),
}

/// A normalized host name: lowercase, no scheme, port, path, trailing dot or leading `www.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub host: String,
    /// The registrable domain (eTLD+1) under the public suffix list.
    pub registrable: String,
}

/// Normalizes what a partner typed (`https://WWW.Example.com/path` → `example.com`).
pub fn normalize(input: &str) -> Result<Domain, DomainError> {
    let mut host = input.trim().to_ascii_lowercase();
    if let Some(rest) = host.split_once("://").map(|(_, r)| r.to_owned()) {
        host = rest;
    }
    if let Some(cut) = host.find(['/', '?', '#']) {
        host.truncate(cut);
    }
    if host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
        return Err(DomainError::IpAddress);
    }
    if let Some((name, port)) = host.rsplit_once(':') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            host = name.to_owned();
        }
    }
    let host = host.trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    if host.is_empty() {
        return Err(DomainError::Empty);
    }
    if host.parse::<IpAddr>().is_ok() {
        return Err(DomainError::IpAddress);
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(DomainError::Localhost);
    }
    validate_labels(host)?;
    let registrable =
        registrable_domain(host).ok_or_else(|| DomainError::PublicSuffix(host.to_owned()))?;
    Ok(Domain {
        host: host.to_owned(),
        registrable,
    })
}

/// LDH labels (letters, digits, hyphens; xn-- for IDNs), 1–63 bytes each, 253 in all.
fn validate_labels(host: &str) -> Result<(), DomainError> {
    let invalid = || DomainError::Invalid(host.to_owned());
    if host.len() > 253 || !host.contains('.') {
        return Err(invalid());
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(invalid());
        }
    }
    if host
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid());
    }
    Ok(())
}

/// The registrable domain (eTLD+1) of a host, or `None` when the host is itself a public suffix.
/// Follows the public suffix list's algorithm, including the implicit `*` rule for unlisted TLDs.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    if host.is_empty() || host.starts_with('.') {
        return None;
    }
    psl::domain_str(&host).map(str::to_owned)
}

/// True when `origin_host` may send events for a property registered on `domain`:
/// the domain itself, its `www.` variant, and other subdomains only when allowed.
pub fn origin_allowed(domain: &str, origin_host: &str, allow_subdomains: bool) -> bool {
    let origin_host = origin_host.to_ascii_lowercase();
    if origin_host == domain || origin_host.strip_prefix("www.") == Some(domain) {
        return true;
    }
    allow_subdomains
        && origin_host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.') && prefix.len() > 1)
}
