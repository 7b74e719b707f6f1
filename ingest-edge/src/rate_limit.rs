//! Per-key and per-client-IP token buckets (governor): a hot key or client cannot starve others.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::EdgeError;

pub struct RateLimits {
    per_key: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
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
    pub fn new(key_rps: u32, key_burst: u32, ip_rps: u32, ip_burst: u32) -> Self {
        Self {
            per_key: RateLimiter::keyed(quota(key_rps, key_burst)),
            per_ip: RateLimiter::keyed(quota(ip_rps, ip_burst)),
        }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EdgeError> {
        self.per_ip.check_key(&ip).map_err(limited)
    }

    pub fn check_key(&self, key_id: &str) -> Result<(), EdgeError> {
        self.per_key.check_key(&key_id.to_owned()).map_err(limited)
    }

    /// Forgets buckets that are full again, so memory follows the active clients only.
    pub fn shrink(&self) {
        self.per_key.retain_recent();
        self.per_ip.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_burst_is_limited_while_another_key_is_not() {
        let limits = RateLimits::new(1, 3, 1000, 1000);
        for _ in 0..3 {
            limits.check_key("key_hot").unwrap();
        }
        match limits.check_key("key_hot") {
            Err(EdgeError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("{other:?}"),
        }
        limits.check_key("key_calm").unwrap();
    }
}
