//! The cookieless visitor id: an HMAC, keyed with the day's salt, of the full client address, the
//! user agent and the property. Stable for one browser on one network for one UTC day; with the
//! salt destroyed, nobody (the operator included) can recompute it or tie it to the next day's.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use platform::daily_secrets::DaySecret;
use sha2::Sha256;

use crate::enrich::truncate_ip;

/// Marks the id as edge-derived, so no one mistakes it for a tag's random one.
const PREFIX: &str = "cl-";

pub fn visitor_id(
    salt: &DaySecret,
    ip: Option<IpAddr>,
    user_agent: &str,
    property_id: i64,
) -> String {
    let address = ip.map(|ip| ip.to_string()).unwrap_or_default();
    let digest = keyed(salt)
        .chain_update(property_id.to_be_bytes())
        .chain_update(address.as_bytes())
        // A separator, so no address/agent pair can be shifted into another.
        .chain_update([0])
        .chain_update(user_agent.as_bytes())
        .finalize()
        .into_bytes();
    format!("{PREFIX}{}", hex::encode(&digest[..16]))
}

/// The truncated address's hash for a cookieless property, keyed with the day's salt instead of
/// the edge's lasting one: with the user agent beside it, a lasting hash would link the days the
/// visitor id no longer can.
pub fn ip_hash(salt: &DaySecret, ip: IpAddr) -> String {
    let digest = keyed(salt)
        .chain_update(b"ip\0")
        .chain_update(truncate_ip(ip).to_string().as_bytes())
        .finalize()
        .into_bytes();
    hex::encode(&digest[..8])
}

fn keyed(salt: &DaySecret) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(salt.bytes()).expect("HMAC takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use platform::daily_secrets::DailySecrets;

    fn salts() -> (tempfile::TempDir, DailySecrets) {
        let dir = tempfile::tempdir().unwrap();
        let store = DailySecrets::open(dir.path().join("s"), chrono::Duration::hours(48)).unwrap();
        (dir, store)
    }

    #[test]
    fn one_id_per_address_agent_property_and_day() {
        let (_dir, store) = salts();
        let day1 = store
            .current(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
            .unwrap();
        let day2 = store
            .current(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap())
            .unwrap();
        let ip: Option<IpAddr> = Some("203.0.113.77".parse().unwrap());
        let ua = "Mozilla/5.0 (X11; Linux x86_64)";
        let id = visitor_id(&day1, ip, ua, 1);
        assert_eq!(id, visitor_id(&day1, ip, ua, 1));
        assert!(id.starts_with("cl-") && id.len() == 35, "{id}");
        assert!(!id.contains("203"));
        assert_ne!(id, visitor_id(&day2, ip, ua, 1), "a new day, a new visitor");
        assert_ne!(id, visitor_id(&day1, ip, ua, 2), "per property");
        assert_ne!(id, visitor_id(&day1, ip, "curl/8", 1), "per agent");
        // The full address, not its /24: two households behind one /24 are two visitors.
        assert_ne!(
            id,
            visitor_id(&day1, Some("203.0.113.78".parse().unwrap()), ua, 1)
        );
    }

    #[test]
    fn the_address_hash_rotates_with_the_salt_and_keeps_the_slash_24() {
        let (_dir, store) = salts();
        let day1 = store
            .current(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
            .unwrap();
        let day2 = store
            .current(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap())
            .unwrap();
        let a: IpAddr = "203.0.113.77".parse().unwrap();
        let b: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(ip_hash(&day1, a), ip_hash(&day1, b));
        assert_ne!(ip_hash(&day1, a), ip_hash(&day2, a));
        assert_eq!(ip_hash(&day1, a).len(), 16);
    }
}
