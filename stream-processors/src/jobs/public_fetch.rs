//! An HTTP client for fetching from addresses partners control (their robots.txt): it connects
//! only to public addresses, so a property whose domain resolves to (or redirects to) the
//! loader's own network — the metadata service, a database, localhost — cannot make the loader
//! reach it. Off only for local servers (tests, the local stack).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), documentation, multicast or unspecified, in either family.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Resolves names to their public addresses only; a name with none fails to resolve.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// A literal address in a URL skips the resolver: it must be public itself.
fn literal_is_allowed(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        _ => true,
    }
}

/// Checks a URL before fetching it (with `allow_private` off).
pub fn check_url(url: &reqwest::Url, allow_private: bool) -> anyhow::Result<()> {
    if !allow_private && !literal_is_allowed(url) {
        anyhow::bail!("{url} is not a public address");
    }
    Ok(())
}

/// A client that follows at most `redirects` redirects (RFC 9309 asks for five), each to a
/// public address unless `allow_private`.
pub fn client(
    timeout: Duration,
    redirects: usize,
    user_agent: &str,
    allow_private: bool,
) -> reqwest::Client {
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= redirects {
            attempt.error("too many redirects")
        } else if !allow_private && !literal_is_allowed(attempt.url()) {
            attempt.error("redirected to an address that is not public")
        } else {
            attempt.follow()
        }
    });
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(policy)
        .user_agent(user_agent);
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(std::sync::Arc::new(PublicOnly))
    };
    builder
        .build()
        .expect("a client without custom TLS settings builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_name_or_literal_of_the_loaders_own_network_is_refused() {
        let url = reqwest::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(check_url(&url, false).is_err());
        assert!(check_url(&url, true).is_ok());
        // localhost resolves only to loopback: no public address to connect to.
        let client = client(Duration::from_secs(2), 5, "test", false);
        let error = client
            .get("http://localhost:9/robots.txt")
            .send()
            .await
            .unwrap_err();
        assert!(
            format!("{error:?}").contains("no public address"),
            "{error:?}"
        );
    }
}
