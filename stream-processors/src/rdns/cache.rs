//! Verdicts by (address, claimed agent), bounded in entries and each kept for its outcome's TTL:
//! an answer for long, the lack of one only until it is worth asking again.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use moka::sync::Cache;
use moka::Expiry;

use super::check::Outcome;

#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    pub entries: u64,
    pub verified_ttl: Duration,
    pub spoofed_ttl: Duration,
    /// How long a lookup DNS did not answer stays undecided before it is asked again.
    pub retry_after: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            entries: 100_000,
            verified_ttl: Duration::from_secs(6 * 3600),
            spoofed_ttl: Duration::from_secs(3600),
            retry_after: Duration::from_secs(60),
        }
    }
}

/// The claimed agent, lowercase: the same address can be a real Googlebot and a fake bingbot.
pub type Key = (IpAddr, String);

pub fn key(agent: &str, ip: IpAddr) -> Key {
    (ip, agent.to_ascii_lowercase())
}

struct Ttl(CacheSettings);

impl Ttl {
    fn of(&self, outcome: Outcome) -> Duration {
        match outcome {
            Outcome::Verified => self.0.verified_ttl,
            Outcome::Spoofed => self.0.spoofed_ttl,
            Outcome::Undecided => self.0.retry_after,
        }
    }
}

impl Expiry<Key, Outcome> for Ttl {
    fn expire_after_create(&self, _: &Key, outcome: &Outcome, _: Instant) -> Option<Duration> {
        Some(self.of(*outcome))
    }

    fn expire_after_update(
        &self,
        _: &Key,
        outcome: &Outcome,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.of(*outcome))
    }
}

#[derive(Clone)]
pub struct Verdicts(Cache<Key, Outcome>);

impl Verdicts {
    pub fn new(settings: CacheSettings) -> Self {
        Self(
            Cache::builder()
                .max_capacity(settings.entries)
                .expire_after(Ttl(settings))
                .build(),
        )
    }

    pub fn get(&self, key: &Key) -> Option<Outcome> {
        self.0.get(key)
    }

    pub fn insert(&self, key: Key, outcome: Outcome) {
        self.0.insert(key, outcome);
    }

    /// Entries held (after pending evictions ran), for tests and the gauge.
    pub fn len(&self) -> u64 {
        self.0.run_pending_tasks();
        self.0.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[test]
    fn verdicts_are_per_address_and_claimed_agent() {
        let cache = Verdicts::new(CacheSettings::default());
        cache.insert(key("Googlebot", ip(1)), Outcome::Verified);
        assert_eq!(cache.get(&key("googlebot", ip(1))), Some(Outcome::Verified));
        assert_eq!(cache.get(&key("bingbot", ip(1))), None);
        assert_eq!(cache.get(&key("Googlebot", ip(2))), None);
    }

    #[test]
    fn an_undecided_lookup_expires_long_before_an_answer() {
        let cache = Verdicts::new(CacheSettings {
            retry_after: Duration::from_millis(20),
            ..CacheSettings::default()
        });
        cache.insert(key("Googlebot", ip(1)), Outcome::Verified);
        cache.insert(key("Googlebot", ip(2)), Outcome::Spoofed);
        cache.insert(key("Googlebot", ip(3)), Outcome::Undecided);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(cache.get(&key("Googlebot", ip(1))), Some(Outcome::Verified));
        assert_eq!(cache.get(&key("Googlebot", ip(2))), Some(Outcome::Spoofed));
        assert_eq!(cache.get(&key("Googlebot", ip(3))), None, "asked again");
        // An answer replacing the undecided one takes the answer's lifetime.
        cache.insert(key("Googlebot", ip(3)), Outcome::Undecided);
        cache.insert(key("Googlebot", ip(3)), Outcome::Verified);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(cache.get(&key("Googlebot", ip(3))), Some(Outcome::Verified));
    }

    #[test]
    fn the_cache_holds_at_most_its_bound() {
        let cache = Verdicts::new(CacheSettings {
            entries: 50,
            ..CacheSettings::default()
        });
        for n in 0..=255u8 {
            cache.insert(key("Googlebot", ip(n)), Outcome::Verified);
        }
        assert!(cache.len() <= 50, "{}", cache.len());
    }
}
