//! Forward-confirmed reverse DNS for agents whose operators document it, kept out of the
//! loader's hot path: the enricher only reads verdicts already cached; a miss becomes a lookup
//! that runs on its own task, bounded in number and time, and fills the cache when it ends.
//! Addresses never leave this module but as cache keys: no log line or metric label holds one.

pub mod cache;
pub mod check;
pub mod hickory;
pub mod masks;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use cache::CacheSettings;
pub use check::{DnsError, Outcome, Resolve};
pub use masks::Masks;

use cache::{key, Key, Verdicts};

use crate::telemetry;

#[derive(Debug, Clone, Copy)]
pub struct LookupSettings {
    /// The whole check (PTR, then A/AAAA) gives up after this long: undecided.
    pub timeout: Duration,
    /// Lookups running at once; a miss beyond them is not looked up this time.
    pub max_in_flight: usize,
    /// Server hits a loader holds back for a verdict at most; more are written at once with the
    /// other methods' verdict.
    pub max_waiting: usize,
    pub cache: CacheSettings,
}

impl Default for LookupSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
            max_in_flight: 256,
            max_waiting: 20_000,
            cache: CacheSettings::default(),
        }
    }
}

/// Shared by the enricher (reads) and the loader (starts lookups); clones share everything.
#[derive(Clone)]
pub struct ReverseDns {
    inner: Arc<Inner>,
}

struct Inner {
    masks: Masks,
    resolver: Arc<dyn Resolve>,
    verdicts: Verdicts,
    in_flight: Mutex<HashSet<Key>>,
    settings: LookupSettings,
}

/// What became of a request for a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Running (started now or before): its verdict will be cached.
    Running,
    /// Already answered: read it from the cache.
    Cached,
    /// Too many lookups are running; nothing will be cached for it.
    Refused,
}

impl ReverseDns {
    pub fn new(resolver: Arc<dyn Resolve>, masks: Masks, settings: LookupSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                masks,
                resolver,
                verdicts: Verdicts::new(settings.cache),
                in_flight: Mutex::new(HashSet::new()),
                settings,
            }),
        }
    }

    pub fn settings(&self) -> LookupSettings {
        self.inner.settings
    }

    /// Whether the agent's operator documents reverse DNS.
    pub fn covers(&self, agent: &str) -> bool {
        self.inner.masks.covers(agent)
    }

    /// The cached verdict on `agent` claimed from `ip`, if a lookup ended within its TTL.
    pub fn cached(&self, agent: &str, ip: IpAddr) -> Option<Outcome> {
        self.inner.verdicts.get(&key(agent, ip))
    }

    /// Whether a lookup for the claim is still running.
    pub fn running(&self, agent: &str, ip: IpAddr) -> bool {
        self.in_flight().contains(&key(agent, ip))
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<Key>> {
        self.inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a lookup of the claim on the current tokio runtime unless one runs or its verdict
    /// is cached. Never waits.
    pub fn request(&self, agent: &str, ip: IpAddr) -> Requested {
        let key = key(agent, ip);
        if self.inner.verdicts.get(&key).is_some() {
            return Requested::Cached;
        }
        {
            let mut running = self.in_flight();
            if running.contains(&key) {
                return Requested::Running;
            }
            if running.len() >= self.inner.settings.max_in_flight {
                metrics::counter!(telemetry::RDNS_LOOKUPS_REFUSED).increment(1);
                return Requested::Refused;
            }
            running.insert(key.clone());
        }
        let this = self.clone();
        let agent = agent.to_owned();
        tokio::spawn(async move {
            let inner = &this.inner;
            let outcome = tokio::time::timeout(
                inner.settings.timeout,
                check::forward_confirmed(&*inner.resolver, &inner.masks, &agent, ip),
            )
            .await
            .unwrap_or(Outcome::Undecided);
            metrics::counter!(telemetry::RDNS_LOOKUPS, "outcome" => outcome_label(outcome))
                .increment(1);
            // Cached before it stops counting as running: whoever sees it not running finds it.
            inner.verdicts.insert(key.clone(), outcome);
            this.in_flight().remove(&key);
        });
        Requested::Running
    }
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Verified => "verified",
        Outcome::Spoofed => "spoofed",
        Outcome::Undecided => "undecided",
    }
}

#[cfg(test)]
mod tests {
    use super::check::fake::Zone;
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn googlebot_zone() -> Zone {
        let mut zone = Zone::default();
        zone.ptr.insert(
            ip("66.249.66.1"),
            Ok(vec!["crawl-66-249-66-1.googlebot.com".into()]),
        );
        zone.forward.insert(
            "crawl-66-249-66-1.googlebot.com".into(),
            Ok(vec![ip("66.249.66.1")]),
        );
        zone
    }

    async fn settled(rdns: &ReverseDns, agent: &str, address: IpAddr) -> Option<Outcome> {
        while rdns.running(agent, address) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        rdns.cached(agent, address)
    }

    #[tokio::test]
    async fn a_lookup_fills_the_cache_and_is_asked_once() {
        let zone = Arc::new(googlebot_zone());
        let rdns = ReverseDns::new(zone.clone(), Masks::shipped(), LookupSettings::default());
        let address = ip("66.249.66.1");
        assert!(rdns.covers("Googlebot") && !rdns.covers("GPTBot"));
        assert_eq!(rdns.cached("Googlebot", address), None);
        assert_eq!(rdns.request("Googlebot", address), Requested::Running);
        assert_eq!(
            settled(&rdns, "Googlebot", address).await,
            Some(Outcome::Verified)
        );
        assert_eq!(rdns.request("Googlebot", address), Requested::Cached);
        assert_eq!(
            zone.queries.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "one PTR and one A query"
        );
        // Claimed as another operator's agent, the same address is a new question.
        assert_eq!(rdns.request("bingbot", address), Requested::Running);
        assert_eq!(
            settled(&rdns, "bingbot", address).await,
            Some(Outcome::Spoofed)
        );
    }

    /// A resolver that never answers.
    struct Silent;

    impl Resolve for Silent {
        fn ptr(&self, _: IpAddr) -> futures::future::BoxFuture<'_, Result<Vec<String>, DnsError>> {
            Box::pin(futures::future::pending())
        }

        fn addresses<'a>(
            &'a self,
            _: &'a str,
            _: bool,
        ) -> futures::future::BoxFuture<'a, Result<Vec<IpAddr>, DnsError>> {
            Box::pin(futures::future::pending())
        }
    }

    #[tokio::test]
    async fn lookups_are_bounded_in_number_and_time() {
        let rdns = ReverseDns::new(
            Arc::new(Silent),
            Masks::shipped(),
            LookupSettings {
                timeout: Duration::from_millis(200),
                max_in_flight: 2,
                ..LookupSettings::default()
            },
        );
        let (a, b, c) = (ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3"));
        assert_eq!(rdns.request("Googlebot", a), Requested::Running);
        assert_eq!(
            rdns.request("Googlebot", a),
            Requested::Running,
            "not twice"
        );
        assert_eq!(rdns.request("Googlebot", b), Requested::Running);
        assert_eq!(rdns.request("Googlebot", c), Requested::Refused);
        // The silent server's lookups end at their timeout, undecided.
        assert_eq!(
            settled(&rdns, "Googlebot", a).await,
            Some(Outcome::Undecided)
        );
        assert_eq!(
            settled(&rdns, "Googlebot", b).await,
            Some(Outcome::Undecided)
        );
        assert!(!rdns.running("Googlebot", c));
        assert_eq!(
            rdns.request("Googlebot", c),
            Requested::Running,
            "room again"
        );
    }
}
