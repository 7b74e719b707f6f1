//! Token buckets (governor): a hot key or client cannot starve others. Server hits are limited
//! per key; tag beacons per key and client address, since their key id is public and a bucket
//! shared by all its visitors would be one abuser's to empty; every request per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::EdgeError;

pub struct RateLimits {
    per_key: DefaultKeyedRateLimiter<String>,
    tag_per_key_and_ip: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// Requests per second and burst of each bucket.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    pub key_rps: u32,
    pub key_burst: u32,
    pub tag_rps: u32,
    pub tag_burst: u32,
    pub ip_rps: u32,
    pub ip_burst: u32,
}

fn quota(rps: u32, burst: u32) -> Quota {
    let rps = NonZeroU32::new(rps).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rps).allow_burst(NonZeroU32::new(burst).unwrap_or(rps))
}

fn limited(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> EdgeError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    EdgeError::RateLimited {
        retry_after_secs: wait.as_secs() + 1,
    }
}

impl RateLimits {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            per_key: RateLimiter::keyed(quota(settings.key_rps, settings.key_burst)),
            tag_per_key_and_ip: RateLimiter::keyed(quota(settings.tag_rps, settings.tag_burst)),
            per_ip: RateLimiter::keyed(quota(settings.ip_rps, settings.ip_burst)),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EdgeError> {
        self.per_ip.check_key(&ip).map_err(limited)
    }

    /// Server hits, authenticated by the key's secret.
    pub fn check_key(&self, key_id: &str) -> Result<(), EdgeError> {
        self.per_key.check_key(&key_id.to_owned()).map_err(limited)
    }

    /// Tag beacons of one key from one client address.
    pub fn check_tag(&self, key_id: &str, ip: Option<IpAddr>) -> Result<(), EdgeError> {
        self.tag_per_key_and_ip
            .check_key(&(key_id.to_owned(), ip))
            .map_err(limited)
    }

    /// Forgets buckets that are full again, so memory follows the active clients only.
    pub fn shrink(&self) {
        self.per_key.retain_recent();
        self.tag_per_key_and_ip.retain_recent();
        self.per_ip.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LimitSettings {
        LimitSettings {
            key_rps: 1000,
            key_burst: 1000,
            tag_rps: 1000,
            tag_burst: 1000,
            ip_rps: 1000,
            ip_burst: 1000,
        }
    }

    #[test]
    fn a_key_over_its_burst_is_limited_while_another_key_is_not() {
        let limits = RateLimits::new(LimitSettings {
            key_rps: 1,
            key_burst: 3,
            ..settings()
        });
        for _ in 0..3 {
            limits.check_key("key_hot").unwrap();
        }
        match limits.check_key("key_hot") {
            Err(EdgeError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("{other:?}"),
        }
        limits.check_key("key_calm").unwrap();
    }

    #[test]
    fn tag_beacons_are_limited_per_key_and_address_apart_from_server_hits() {
        let limits = RateLimits::new(LimitSettings {
            key_rps: 1,
            key_burst: 1,
            tag_rps: 1,
            tag_burst: 2,
            ..settings()
        });
        let abuser = Some("203.0.113.9".parse().unwrap());
        let visitor = Some("198.51.100.7".parse().unwrap());
        for _ in 0..2 {
            limits.check_tag("key_a", abuser).unwrap();
        }
        assert!(limits.check_tag("key_a", abuser).is_err());
        limits.check_tag("key_a", visitor).unwrap();
        limits.check_tag("key_b", abuser).unwrap();
        limits.check_key("key_a").unwrap();
    }
}
