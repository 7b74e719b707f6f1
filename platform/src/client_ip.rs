//! Who sent a request: the socket peer, unless the peer is a proxy we were told to trust, in
//! which case the address that proxy vouches for. Both public services key their per-client
//! limits (and the edge its `ip_hash`) on this, so it must not be something the client writes.
//!
//! A proxy that appends to `X-Forwarded-For` keeps whatever the client sent to the left of what
//! it adds; only the entries our own proxies appended can be believed. So the list is read from
//! the right, skipping hops inside `--trusted-proxies`, and the first hop outside them is the
//! client. With `--client-ip-header` (a CDN's `CF-Connecting-IP`, `True-Client-IP`) that single
//! value is read instead, still only when the peer is trusted. With no trusted proxy (the
//! default), every forwarding header is ignored and the socket peer is the client.
//!
//! The RFC 7239 `Forwarded` header is not read: the proxies in front of Optiview send
//! `X-Forwarded-For`, and believing a second, client-writable header would only widen the door.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};
use clap::Args;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Which proxies' forwarding headers are believed; the same flags in every public service.
#[derive(Debug, Clone, Default, Args)]
pub struct ClientIpArgs {
    /// Proxies (load balancer, CDN egress) whose forwarding headers are believed, as CIDRs or
    /// addresses, comma-separated (`10.0.0.0/8,fd00::/8`). Empty: nobody is trusted and the
    /// socket peer is the client, whatever the headers say.
    #[arg(
        long,
        env = "OPTIVIEW_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<IpNet>,
    /// A single-value header carrying the client address, set by a trusted proxy
    /// (`CF-Connecting-IP`, `True-Client-IP`); read instead of `X-Forwarded-For`, and only from a
    /// peer in --trusted-proxies.
    #[arg(long, env = "OPTIVIEW_CLIENT_IP_HEADER", value_parser = parse_single_value_header)]
    pub client_ip_header: Option<HeaderName>,
}

/// A CIDR, or a bare address meaning that one host.
fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not a CIDR (10.0.0.0/8) or an address"))
}

fn parse_single_value_header(text: &str) -> Result<HeaderName, String> {
    let name =
        HeaderName::try_from(text.trim()).map_err(|_| format!("{text:?} is not a header name"))?;
    if name == X_FORWARDED_FOR {
        // A list: reading it as one value would take the client-written leftmost entry back.
        return Err(
            "X-Forwarded-For is already read, from the right, when --trusted-proxies is set; \
             this flag names a single-value header such as CF-Connecting-IP"
                .into(),
        );
    }
    Ok(name)
}

impl ClientIpArgs {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// Whether `peer` is one of the trusted proxies, whose other headers (a country) may be
    /// believed too.
    pub fn trusts_peer(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusts(ip.to_canonical()))
    }

    /// The client of a request that came from `peer` with `headers`; none only without a peer
    /// (a request not from a socket).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer.map(|ip| ip.to_canonical())?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        match &self.client_ip_header {
            // Absent or unreadable, the trusted proxy vouches for no one: the request is its own.
            Some(name) => Some(single_value(headers, name).unwrap_or(peer)),
            None => Some(self.rightmost_untrusted(peer, headers)),
        }
    }

    /// Walks `X-Forwarded-For` from the right. Each trusted hop vouches for the entry to its
    /// left; an entry that does not parse was written by a trusted hop that is misbehaving or by
    /// a client right behind it, so nothing to its left can be believed and the request is
    /// attributed to the last trusted hop read (at worst the proxies share one bucket, never does
    /// a client choose its own). A list of trusted hops only ends at its leftmost one.
    fn rightmost_untrusted(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        // Repeated headers form one list, in order (RFC 9110 §5.3); a value that is not text is
        // one unreadable entry.
        let mut entries = Vec::new();
        for value in headers.get_all(X_FORWARDED_FOR) {
            match value.to_str() {
                Ok(text) => entries.extend(text.split(',').map(|e| Some(e.trim()))),
                Err(_) => entries.push(None),
            }
        }
        for entry in entries.into_iter().rev() {
            let Some(hop) = entry.and_then(parse_hop) else {
                return client;
            };
            if !self.trusts(hop) {
                return hop;
            }
            client = hop;
        }
        client
    }
}

fn single_value(headers: &HeaderMap, name: &HeaderName) -> Option<IpAddr> {
    let mut values = headers.get_all(name);
    let value = values.next()?;
    if values.next().is_some() {
        // Two copies: one of them did not come from the proxy.
        return None;
    }
    parse_hop(value.to_str().ok()?.trim())
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .or_else(|_| text.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ClientIpArgs,
    }

    fn args(flags: &[&str]) -> ClientIpArgs {
        Cli::try_parse_from(std::iter::once("svc").chain(flags.iter().copied()))
            .unwrap_or_else(|e| panic!("{flags:?}: {e}"))
            .args
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn client(config: &ClientIpArgs, peer: &str, pairs: &[(&'static str, &str)]) -> String {
        config
            .client_ip(Some(ip(peer)), &headers(pairs))
            .unwrap()
            .to_string()
    }

    const LB: &[&str] = &["--trusted-proxies", "10.0.0.0/8,fd00::/8"];

    #[test]
    fn by_default_every_forwarding_header_is_ignored() {
        let config = args(&[]);
        assert!(config.trusted_proxies.is_empty());
        assert!(!config.trusts_peer(Some(ip("127.0.0.1"))));
        assert_eq!(
            client(
                &config,
                "198.51.100.7",
                &[
                    ("x-forwarded-for", "203.0.113.9"),
                    ("cf-connecting-ip", "1.1.1.1")
                ]
            ),
            "198.51.100.7"
        );
        assert_eq!(config.client_ip(None, &HeaderMap::new()), None);
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let config = args(LB);
        assert!(config.trusts_peer(Some(ip("::ffff:10.0.0.2"))));
        assert!(!config.trusts_peer(Some(ip("198.51.100.7"))));
        assert!(!config.trusts_peer(None));
        assert_eq!(
            client(&config, "198.51.100.7", &[("x-forwarded-for", "10.1.1.1")]),
            "198.51.100.7"
        );
    }

    #[test]
    fn behind_the_proxy_the_hop_it_appended_wins_over_anything_the_client_wrote() {
        let config = args(LB);
        for claimed in [
            "",
            "1.2.3.4, ",
            "1.2.3.4, 5.6.7.8, ",
            "garbage, ",
            "10.9.9.9, ",
        ] {
            assert_eq!(
                client(
                    &config,
                    "10.0.0.2",
                    &[("x-forwarded-for", &format!("{claimed}203.0.113.9"))]
                ),
                "203.0.113.9",
                "{claimed:?}"
            );
        }
    }

    #[test]
    fn several_trusted_hops_are_skipped() {
        let config = args(LB);
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[(
                    "x-forwarded-for",
                    "6.6.6.6, 203.0.113.9, 10.0.0.5, 10.0.0.3"
                )]
            ),
            "203.0.113.9"
        );
        // Repeated headers are one list.
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[
                    ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
                    ("x-forwarded-for", "10.0.0.5")
                ]
            ),
            "203.0.113.9"
        );
        // Only trusted hops: the request comes from inside, its leftmost hop.
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[("x-forwarded-for", "10.0.0.7, 10.0.0.5")]
            ),
            "10.0.0.7"
        );
        // No header: the proxy itself.
        assert_eq!(client(&config, "10.0.0.2", &[]), "10.0.0.2");
    }

    #[test]
    fn ipv6_and_ports_and_mapped_addresses() {
        let config = args(LB);
        assert_eq!(
            client(
                &config,
                "fd00::2",
                &[("x-forwarded-for", "1.2.3.4, 2001:db8::9, fd00::5")]
            ),
            "2001:db8::9"
        );
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[("x-forwarded-for", "[2001:db8::9]:443, 10.0.0.4:8080")]
            ),
            "2001:db8::9"
        );
        // A dual-stack socket reports IPv4 peers as mapped IPv6; they are the same proxy.
        assert_eq!(
            client(
                &config,
                "::ffff:10.0.0.2",
                &[("x-forwarded-for", "203.0.113.9")]
            ),
            "203.0.113.9"
        );
        assert_eq!(client(&config, "::ffff:198.51.100.7", &[]), "198.51.100.7");
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_trusted_hop() {
        let config = args(LB);
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[("x-forwarded-for", "203.0.113.9, not-an-ip, 10.0.0.5")]
            ),
            "10.0.0.5"
        );
        assert_eq!(
            client(&config, "10.0.0.2", &[("x-forwarded-for", "203.0.113.9,,")]),
            "10.0.0.2"
        );
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_bytes(b"203.0.113.9, \xff").unwrap(),
        );
        assert_eq!(
            config.client_ip(Some(ip("10.0.0.2")), &map),
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn a_single_value_header_is_read_only_from_a_trusted_peer() {
        let config = args(&[
            "--trusted-proxies",
            "10.0.0.0/8",
            "--client-ip-header",
            "CF-Connecting-IP",
        ]);
        let sent = [
            ("cf-connecting-ip", "203.0.113.9"),
            ("x-forwarded-for", "6.6.6.6"),
        ];
        assert_eq!(client(&config, "10.0.0.2", &sent), "203.0.113.9");
        assert_eq!(client(&config, "198.51.100.7", &sent), "198.51.100.7");
        assert_eq!(
            client(&config, "10.0.0.2", &[("x-forwarded-for", "6.6.6.6")]),
            "10.0.0.2",
            "the configured header is the only source"
        );
        assert_eq!(
            client(&config, "10.0.0.2", &[("cf-connecting-ip", "nope")]),
            "10.0.0.2"
        );
        assert_eq!(
            client(
                &config,
                "10.0.0.2",
                &[
                    ("cf-connecting-ip", "1.1.1.1"),
                    ("cf-connecting-ip", "2.2.2.2")
                ]
            ),
            "10.0.0.2"
        );
    }

    #[test]
    fn flags_take_cidrs_and_addresses_and_refuse_what_cannot_work() {
        let config = args(&["--trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1"]);
        assert_eq!(
            config
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["10.0.0.0/8", "192.0.2.1/32", "::1/128"]
        );
        for bad in [
            &["--trusted-proxies", "10.0.0.0/33"][..],
            &["--trusted-proxies", "lb.internal"],
            &["--client-ip-header", "X-Forwarded-For"],
            &["--client-ip-header", "bad header"],
        ] {
            assert!(
                Cli::try_parse_from(std::iter::once("svc").chain(bad.iter().copied())).is_err(),
                "{bad:?}"
            );
        }
    }
}
