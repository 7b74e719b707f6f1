//! Server hits whose verdict waits for reverse DNS, kept out of their batch so it is written on
//! time, and carried by a later batch once the lookup ended (or the wait did). Offsets commit
//! up to the first record still waiting, never past it: a crash re-reads it, and its rows are
//! written once, with the verdict known then. No correction rows: the rollups the tables feed
//! on insert would count a hit once per row.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::batch::{Batch, Held, Position};
use crate::rdns::{Requested, ReverseDns};
use crate::telemetry;

pub struct Waiting {
    dns: Option<ReverseDns>,
    held: BTreeMap<Position, (Held, Instant)>,
    max_held: usize,
    max_wait: Duration,
    /// Partition → one past the last offset of the batches written (since it was assigned).
    written_through: HashMap<i32, i64>,
    revoked: BTreeSet<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Only records whose lookup ended, or that waited their longest.
    Due,
    /// Everything: the member stops or rejoins.
    All,
}

impl Waiting {
    /// Holds at most `max_held` records, each at most `max_wait`.
    pub fn new(dns: Option<ReverseDns>, max_held: usize, max_wait: Duration) -> Self {
        Self {
            dns,
            held: BTreeMap::new(),
            max_held,
            max_wait,
            written_through: HashMap::new(),
            revoked: BTreeSet::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Takes the records `batch` held back and starts their lookups. Those that cannot wait (no
    /// room, lookups refused, no resolver) go back into the batch with the other methods'
    /// verdict, and one whose answer arrived meanwhile with that.
    pub fn admit(&mut self, batch: &mut Batch, now: Instant) {
        for held in batch.take_held() {
            let requested = match &self.dns {
                Some(dns) if self.held.len() < self.max_held => {
                    dns.request(&held.awaiting.agent, held.awaiting.ip)
                }
                _ => Requested::Refused,
            };
            match requested {
                Requested::Running => {
                    metrics::counter!(telemetry::RDNS_HELD).increment(1);
                    self.held.insert(held.at, (held, now));
                }
                Requested::Cached => self.release(batch, held, true),
                Requested::Refused => {
                    metrics::counter!(telemetry::RDNS_NOT_HELD).increment(1);
                    self.release(batch, held, false);
                }
            }
        }
        metrics::gauge!(telemetry::RDNS_WAITING).set(self.held.len() as f64);
    }

    /// A revoked partition's records leave with the next batch: its next owner re-reads them.
    pub fn revoke(&mut self, partition: i32) {
        self.revoked.insert(partition);
        self.written_through.remove(&partition);
    }

    /// Once a revoked partition's last batch is sealed: what this member wrote of it bounds no
    /// later commit (if it comes back, it is read again from its committed offset).
    pub fn forget(&mut self, partition: i32) {
        self.written_through.remove(&partition);
    }

    /// Moves into `batch` the records whose lookup ended (with its verdict) and, by `release`,
    /// those that waited too long, belong to a revoked partition, or all.
    pub fn release_due(&mut self, batch: &mut Batch, now: Instant, release: Release) {
        let due: Vec<Position> = self
            .held
            .iter()
            .filter(|(at, (held, since))| {
                release == Release::All
                    || self.revoked.contains(&at.partition)
                    || now.duration_since(*since) >= self.max_wait
                    || !self
                        .dns
                        .as_ref()
                        .is_some_and(|d| d.running(&held.awaiting.agent, held.awaiting.ip))
            })
            .map(|(at, _)| *at)
            .collect();
        for at in due {
            if let Some((held, _)) = self.held.remove(&at) {
                self.release(batch, held, true);
            }
        }
        self.revoked.clear();
        metrics::gauge!(telemetry::RDNS_WAITING).set(self.held.len() as f64);
    }

    /// Decides the record's verdict from the cache (when `ask` and it has one) and puts its rows
    /// in `batch`.
    fn release(&self, batch: &mut Batch, held: Held, ask: bool) {
        let outcome = self
            .dns
            .as_ref()
            .filter(|_| ask)
            .and_then(|d| d.cached(&held.awaiting.agent, held.awaiting.ip));
        let how = if outcome.is_some() {
            "answered"
        } else {
            "unanswered"
        };
        metrics::counter!(telemetry::RDNS_RELEASED, "how" => how).increment(1);
        let verdict = held.awaiting.decide(outcome);
        batch.release(held, verdict);
    }

    /// Once `batch` is durable: per partition it read or carried records of, the offset to
    /// commit — one past what was written, but not past a record still waiting.
    pub fn commit_offsets(&mut self, batch: &Batch) -> Vec<(i32, i64)> {
        let mut partitions = BTreeSet::new();
        for (partition, next) in batch.commit_offsets() {
            let through = self.written_through.entry(partition).or_insert(next);
            *through = (*through).max(next);
            partitions.insert(partition);
        }
        partitions.extend(batch.released().iter().map(|at| at.partition));
        partitions
            .into_iter()
            .filter_map(|partition| {
                let through = *self.written_through.get(&partition)?;
                let first_waiting = self
                    .held
                    .range(
                        Position {
                            partition,
                            offset: i64::MIN,
                        }..,
                    )
                    .next()
                    .filter(|(at, _)| at.partition == partition)
                    .map(|(at, _)| at.offset);
                Some((partition, first_waiting.map_or(through, |w| w.min(through))))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::sync::Arc;

    use futures::future::BoxFuture;
    use schemas::beacon::ServerHit;

    use super::*;
    use crate::enrich::enricher::{Enricher, PropertyContext};
    use crate::enrich::page::ContentRules;
    use crate::load::rows::{CrawlerHitRow, EventRow};
    use crate::rdns::check::fake::Zone;
    use crate::rdns::{DnsError, LookupSettings, Masks, Resolve};

    /// The zone's answers, except for one address whose PTR query never ends.
    struct Stuck(Zone, IpAddr);

    impl Resolve for Stuck {
        fn ptr(&self, ip: IpAddr) -> BoxFuture<'_, Result<Vec<String>, DnsError>> {
            if ip == self.1 {
                return Box::pin(futures::future::pending());
            }
            self.0.ptr(ip)
        }

        fn addresses<'a>(
            &'a self,
            host: &'a str,
            v6: bool,
        ) -> BoxFuture<'a, Result<Vec<IpAddr>, DnsError>> {
            self.0.addresses(host, v6)
        }
    }

    const ANSWERED: &str = "192.0.2.1";
    const UNANSWERED: &str = "192.0.2.2";

    fn dns() -> ReverseDns {
        let answered: IpAddr = ANSWERED.parse().unwrap();
        let mut zone = Zone::default();
        zone.ptr
            .insert(answered, Ok(vec!["crawl-192-0-2-1.googlebot.com".into()]));
        zone.forward
            .insert("crawl-192-0-2-1.googlebot.com".into(), Ok(vec![answered]));
        let resolver = Stuck(zone, UNANSWERED.parse().unwrap());
        // The unanswered lookup outlasts the test, not ended by its timeout.
        let settings = LookupSettings {
            timeout: Duration::from_secs(3600),
            ..LookupSettings::default()
        };
        ReverseDns::new(Arc::new(resolver), Masks::shipped(), settings)
    }

    fn at(offset: i64) -> Position {
        Position {
            partition: 0,
            offset,
        }
    }

    /// A Googlebot hit from `ip` read at `offset`, held back in `batch` as the processor does.
    fn hold(batch: &mut Batch, enricher: &Enricher, offset: i64, ip: &str) {
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        beacon.event_id = format!("hit-{offset}");
        beacon.tag = None;
        beacon.user_agent =
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into();
        beacon.hit = Some(ServerHit {
            ts: beacon.received_at,
            method: "GET".into(),
            host: "acme.com".into(),
            path: "/".into(),
            query: None,
            status: 200,
            ip: Some(ip.into()),
            referrer: None,
            bytes: None,
            response_ms: None,
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
        });
        let rules = ContentRules::default();
        let context = PropertyContext {
            organization_id: "org_1",
            retention_days: 90,
            content_rules: &rules,
        };
        let (event, awaiting) = enricher
            .enrich_awaiting(&beacon, &context, beacon.received_at)
            .unwrap();
        batch.saw(at(offset), b"record");
        batch.hold(Held {
            at: at(offset),
            original: b"record".to_vec(),
            crawler_hit: CrawlerHitRow::of(&event),
            event: EventRow::from(event),
            awaiting: awaiting.expect("outside the ranges, not cached: waits"),
        });
    }

    fn verdicts(batch: &Batch) -> Vec<(String, String, String)> {
        batch
            .crawler_hits
            .rows()
            .iter()
            .map(|r| {
                (
                    r.event_id.clone(),
                    r.verification.clone(),
                    r.verification_method.clone(),
                )
            })
            .collect()
    }

    async fn settle(dns: &ReverseDns, ip: &str) {
        let ip: IpAddr = ip.parse().unwrap();
        while dns.running("Googlebot", ip) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn commits_stop_at_the_first_hit_still_waiting_and_later_batches_carry_the_hits() {
        let dns = dns();
        let enricher = Enricher::from_catalog()
            .unwrap()
            .with_reverse_dns(dns.clone());
        let mut waiting = Waiting::new(Some(dns.clone()), 100, Duration::from_secs(60));
        let now = Instant::now();

        let mut first = Batch::default();
        first.saw(at(10), b"a human");
        hold(&mut first, &enricher, 11, ANSWERED);
        hold(&mut first, &enricher, 12, UNANSWERED);
        let plain_token = {
            let mut plain = Batch::default();
            for offset in 10..=12 {
                plain.saw(at(offset), b"r");
            }
            plain.dedup_token("beacons", "crawler_hits")
        };
        waiting.admit(&mut first, now);
        waiting.release_due(&mut first, now, Release::Due);
        assert_eq!((waiting.len(), verdicts(&first).len()), (2, 0));
        assert_ne!(
            first.dedup_token("beacons", "crawler_hits"),
            plain_token,
            "a batch that holds rows back is not the batch that did not"
        );
        assert_eq!(waiting.commit_offsets(&first), [(0, 11)]);

        settle(&dns, ANSWERED).await;
        let mut second = Batch::default();
        second.saw(at(13), b"a human");
        waiting.admit(&mut second, now);
        waiting.release_due(&mut second, now, Release::Due);
        assert_eq!(
            verdicts(&second),
            [("hit-11".into(), "verified".into(), "reverse_dns".into())]
        );
        assert_eq!(second.original(at(11)), Some(&b"record"[..]));
        assert_eq!(waiting.commit_offsets(&second), [(0, 12)], "12 still waits");

        // Idle, with nothing consumed: the unanswered hit leaves once it waited its longest,
        // with the published ranges' verdict.
        let mut idle = Batch::default();
        waiting.release_due(&mut idle, now + Duration::from_secs(30), Release::Due);
        assert!(idle.is_empty());
        waiting.release_due(&mut idle, now + Duration::from_secs(61), Release::Due);
        assert_eq!(
            verdicts(&idle),
            [("hit-12".into(), "spoofed".into(), "ip_ranges".into())]
        );
        assert!(!idle.is_empty() && waiting.is_empty());
        assert_eq!(waiting.commit_offsets(&idle), [(0, 14)]);
    }

    #[tokio::test]
    async fn hits_that_cannot_wait_go_with_their_own_batch() {
        let dns = dns();
        let enricher = Enricher::from_catalog()
            .unwrap()
            .with_reverse_dns(dns.clone());
        let now = Instant::now();
        let mut full = Waiting::new(Some(dns.clone()), 0, Duration::from_secs(60));
        let mut batch = Batch::default();
        hold(&mut batch, &enricher, 1, UNANSWERED);
        full.admit(&mut batch, now);
        assert_eq!(
            verdicts(&batch),
            [("hit-1".into(), "spoofed".into(), "ip_ranges".into())]
        );
        assert_eq!(full.commit_offsets(&batch), [(0, 2)]);

        // Stopping: everything leaves, answered or not.
        let mut stopping = Waiting::new(Some(dns.clone()), 10, Duration::from_secs(60));
        let mut batch = Batch::default();
        hold(&mut batch, &enricher, 5, UNANSWERED);
        stopping.admit(&mut batch, now);
        assert!(verdicts(&batch).is_empty());
        stopping.release_due(&mut batch, now, Release::All);
        assert_eq!(verdicts(&batch).len(), 1);
        assert_eq!(stopping.commit_offsets(&batch), [(0, 6)]);
    }
}
