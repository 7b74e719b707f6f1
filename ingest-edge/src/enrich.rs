//! What only the edge knows: receive time, request id, client IP in truncated and salted-hash
//! form, country from a trusted header, the network of origin from the installed databases.

use std::fmt::Write;
use std::net::IpAddr;

use actix_web::HttpRequest;
use platform::client_ip::ClientIpArgs;
use platform::ip_database::SharedNetworkDatabases;
use sha2::{Digest, Sha256};

/// IPv4 keeps its /24, IPv6 its /48: enough for coarse geography, not for one household.
pub fn truncate_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], 0, 0, 0, 0, 0])
        }
    }
}

/// A random (v4) id for requests and events that came without one. Encoded directly rather than
/// through `Display`: it runs for every event.
pub fn new_id() -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

/// Salted SHA-256 of the truncated address, 16 hex characters. The raw IP is never stored.
pub fn ip_hash(salt: &str, ip: IpAddr) -> String {
    let mut hasher = Sha256::new().chain_update(salt.as_bytes());
    // The address's text straight into the hash, without a `String` of it.
    let _ = write!(Hashing(&mut hasher), "{}", truncate_ip(ip));
    hex::encode(&hasher.finalize()[..8])
}

struct Hashing<'a>(&'a mut Sha256);

impl std::fmt::Write for Hashing<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// A stable pseudonymous visitor id for server hits: salted hash of IP and user agent.
pub fn server_visitor_id(salt: &str, ip: Option<&str>, user_agent: &str) -> String {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(ip.unwrap_or("").as_bytes())
        .chain_update([0])
        .chain_update(user_agent.as_bytes())
        .finalize();
    let mut hex = [0u8; 16];
    hex::encode_to_slice(&digest[..8], &mut hex).expect("16 hex digits for 8 bytes");
    let mut id = String::with_capacity(20);
    id.push_str("srv-");
    id.push_str(std::str::from_utf8(&hex).expect("hex digits"));
    id
}

/// The client's address: the socket peer, or whom a trusted proxy vouches for
/// (`platform::client_ip`). Never the leftmost `X-Forwarded-For` entry, which the client writes.
pub fn client_ip(req: &HttpRequest, trusted: &ClientIpArgs) -> Option<IpAddr> {
    trusted.client_ip(req.peer_addr().map(|a| a.ip()), req.headers())
}

/// Two-letter country code from a trusted proxy's header (e.g. CF-IPCountry), read only when the
/// peer is in --trusted-proxies (anyone can send the header); `XX`/`T1` mean unknown.
pub fn country(req: &HttpRequest, header: Option<&str>, trusted: &ClientIpArgs) -> Option<String> {
    let header = header?;
    if !trusted.trusts_peer(req.peer_addr().map(|a| a.ip())) {
        return None;
    }
    let value = req
        .headers()
        .get(header)?
        .to_str()
        .ok()?
        .trim()
        .to_ascii_uppercase();
    (value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()) && value != "XX")
        .then_some(value)
}

/// What a beacon says of where it came from; the address itself is not among it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkOrigin {
    pub country: Option<String>,
    pub asn: Option<i64>,
    pub as_organization: Option<String>,
}

/// `ip`'s autonomous system from the ASN database, and its country: `trusted_country` (a trusted
/// proxy's header) when there is one, else the country database's.
pub fn network_origin(
    networks: &SharedNetworkDatabases,
    ip: Option<IpAddr>,
    trusted_country: Option<String>,
) -> NetworkOrigin {
    let found = ip.map(|ip| networks.lookup(ip)).unwrap_or_default();
    let system = found.system;
    NetworkOrigin {
        country: trusted_country.or_else(|| found.country.map(str::to_owned)),
        asn: system.as_ref().map(|s| i64::from(s.number)),
        as_organization: system
            .filter(|s| !s.organization.is_empty())
            .map(|s| s.organization.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_distinct_v4_uuids() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).expect("a uuid");
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(a, parsed.hyphenated().to_string());
    }

    #[test]
    fn truncation_drops_the_host_part() {
        assert_eq!(
            truncate_ip("203.0.113.77".parse().unwrap()).to_string(),
            "203.0.113.0"
        );
        assert_eq!(
            truncate_ip("2001:db8:abcd:12::1".parse().unwrap()).to_string(),
            "2001:db8:abcd::"
        );
    }

    #[test]
    fn the_hash_is_salted_and_stable_within_a_slash_24() {
        let a = ip_hash("s1", "203.0.113.77".parse().unwrap());
        assert_eq!(a, ip_hash("s1", "203.0.113.5".parse().unwrap()));
        assert_ne!(a, ip_hash("s2", "203.0.113.77".parse().unwrap()));
        assert!(!a.contains("203"));
        assert_eq!(a.len(), 16);
        // The hash of the truncated address's text, as stored hashes were always made.
        let text = Sha256::new()
            .chain_update(b"s1")
            .chain_update(b"203.0.113.0")
            .finalize();
        assert_eq!(a, hex::encode(&text[..8]));
    }

    #[test]
    fn the_network_comes_from_the_databases_and_a_trusted_country_wins() {
        use platform::ip_database::{AsnDatabase, CountryDatabase, NetworkDatabases};
        use std::sync::Arc;
        let asn = "198.51.100.0,198.51.100.255,64500,Example Hosting\n\
                   203.0.113.0,203.0.113.255,64501,\n";
        let networks = SharedNetworkDatabases::new(NetworkDatabases {
            asn: Some(Arc::new(
                AsnDatabase::from_reader("asn", asn.as_bytes()).unwrap(),
            )),
            country: Some(Arc::new(
                CountryDatabase::from_reader("c", "198.51.100.0,198.51.100.255,DE\n".as_bytes())
                    .unwrap(),
            )),
        });
        let ip = "198.51.100.7".parse().ok();
        assert_eq!(
            network_origin(&networks, ip, None),
            NetworkOrigin {
                country: Some("DE".into()),
                asn: Some(64500),
                as_organization: Some("Example Hosting".into()),
            }
        );
        assert_eq!(
            network_origin(&networks, ip, Some("FR".into()))
                .country
                .as_deref(),
            Some("FR")
        );
        let unnamed = network_origin(&networks, "203.0.113.1".parse().ok(), None);
        assert_eq!(
            (unnamed.asn, unnamed.as_organization, unnamed.country),
            (Some(64501), None, None)
        );
        assert_eq!(
            network_origin(&networks, None, None),
            NetworkOrigin::default()
        );
        assert_eq!(
            network_origin(&SharedNetworkDatabases::default(), ip, None),
            NetworkOrigin::default()
        );
    }

    #[test]
    fn server_visitor_ids_differ_by_agent() {
        assert_ne!(
            server_visitor_id("s", Some("1.2.3.4"), "GPTBot"),
            server_visitor_id("s", Some("1.2.3.4"), "ClaudeBot")
        );
        assert_eq!(
            server_visitor_id("s", Some("1.2.3.4"), "GPTBot"),
            server_visitor_id("s", Some("1.2.3.4"), "GPTBot")
        );
        // The salted hash of address, a zero byte and agent, as stored ids were always made.
        let digest = Sha256::new().chain_update(b"s1.2.3.4\0GPTBot").finalize();
        assert_eq!(
            server_visitor_id("s", Some("1.2.3.4"), "GPTBot"),
            format!("srv-{}", hex::encode(&digest[..8]))
        );
    }
}
