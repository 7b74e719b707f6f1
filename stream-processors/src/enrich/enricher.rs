//! One beacon → its enriched event (with the crawl a robot's server hit adds). Pure but for
//! opening a server hit's sealed address with its day's key (held in memory once read): the
//! caller supplies the property's context and the processing time, which also decides whether
//! that key is still within the verification window.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use platform::raw_address::{AddressKeys, Opened};
use schemas::beacon::{Beacon, ServerHit};
use schemas::deadletter::DeadLetterReason;
use schemas::vocab::{AgentClass, EventSource, EventType, Verification, VerificationMethod};

use super::event::{Crawl, EnrichedEvent};
use super::network::HostingNetworks;
use super::page::{normalize_parsed, ContentRules};
use super::resource;
use super::robots::SharedRobots;
use super::ua_cache::UaCache;
use super::verify::{decide, IpRanges, SharedIpRanges};
use super::web_bot_auth::{DirectoryConfig, WebBotAuth};
use super::{Attributor, Classifier};
use crate::rdns::{Masks, Outcome, ReverseDns};

/// An event's own time may trail its receipt by this much (the tag's retry queue keeps beacons
/// across page loads) …
pub const MAX_EVENT_AGE_MS: i64 = 7 * 24 * 3_600_000;
/// … and lead it by this much (client clock skew).
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// What the control plane says about the beacon's property.
pub struct PropertyContext<'a> {
    pub organization_id: &'a str,
    pub retention_days: u16,
    pub content_rules: &'a ContentRules,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: DeadLetterReason,
    pub detail: String,
}

fn reject(reason: DeadLetterReason, detail: impl Into<String>) -> Rejection {
    Rejection {
        reason,
        detail: detail.into(),
    }
}

pub struct Enricher {
    pub classifier: Classifier,
    /// The classifier's answers for the user agents seen lately (`super::ua_cache`).
    pub user_agents: UaCache,
    pub attributor: Attributor,
    pub ip_ranges: SharedIpRanges,
    /// Which networks of origin are datacenters'.
    pub hosting: HostingNetworks,
    /// Each property's current robots.txt, which crawler hits are judged against.
    pub robots: SharedRobots,
    /// Open server hits' sealed addresses; without them every sealed address counts as gone.
    pub address_keys: Option<AddressKeys>,
    /// Checks server hits' message signatures against their signers' key directories.
    pub web_bot_auth: WebBotAuth,
    /// Verdicts of forward-confirmed reverse DNS; without it only published ranges verify.
    pub reverse_dns: Option<ReverseDns>,
    /// A replay's: the masks of claims only reverse DNS can decide, which it calls `unchecked`
    /// (it looks nothing up) for the verdict recorded the first time to stand.
    pub recorded_dns: Option<Masks>,
}

/// A server hit's client address, as far as it can still be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitAddress {
    /// The address, or `None` when the hit named none (or not a valid one).
    Known(Option<IpAddr>),
    /// It was sealed and its key is destroyed: nothing can say what it was.
    Expired,
}

impl HitAddress {
    fn of(hit: &ServerHit, event_id: &str, keys: Option<&AddressKeys>, now_ms: i64) -> Self {
        let parse = |text: &str| text.parse::<IpAddr>().ok();
        let Some(sealed) = &hit.sealed_ip else {
            // Written before addresses were sealed.
            return HitAddress::Known(hit.ip.as_deref().and_then(parse));
        };
        let Some(keys) = keys else {
            return HitAddress::Expired;
        };
        match keys.open_sealed(sealed, event_id, millis(now_ms)) {
            Ok(Opened::Address(text)) => HitAddress::Known(parse(&text)),
            Ok(Opened::KeyDestroyed) => {
                metrics::counter!(crate::telemetry::ADDRESSES_EXPIRED).increment(1);
                HitAddress::Expired
            }
            Ok(Opened::KeyMissing) => {
                // Within the window the key must exist: this is a deployment mistake, not age,
                // and every hit would quietly become unchecked without this warning.
                metrics::counter!(crate::telemetry::ADDRESSES_KEY_MISSING).increment(1);
                warn_key_missing(&sealed.key_day, keys);
                HitAddress::Expired
            }
            Ok(Opened::Unreadable) => {
                metrics::counter!(crate::telemetry::ADDRESSES_UNREADABLE).increment(1);
                HitAddress::Known(None)
            }
            Err(error) => {
                // A key that exists but cannot be read now may be readable on a replay: the hit
                // is not judged as if its address were gone for good.
                tracing::warn!(%error, key_day = %sealed.key_day, "address key unreadable");
                HitAddress::Known(None)
            }
        }
    }
}

/// At most once a minute: a misconfigured loader meets the missing key on every server hit.
fn warn_key_missing(key_day: &str, keys: &AddressKeys) {
    static LAST_MINUTE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    let minute = chrono::Utc::now().timestamp() / 60;
    if LAST_MINUTE.swap(minute, std::sync::atomic::Ordering::Relaxed) != minute {
        tracing::warn!(
            key_day,
            key_dir = %keys.secrets().dir().display(),
            "the address key of a day within the verification window is not in the key directory: \
             is --address-key-dir the collector's? Hits are stored unchecked until it is"
        );
    }
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Enricher {
    pub fn from_catalog() -> anyhow::Result<Self> {
        let classifier = Classifier::from_catalog()?;
        let web_bot_auth = WebBotAuth::new(DirectoryConfig::default(), classifier.bots().agents())?;
        Ok(Self {
            classifier,
            user_agents: UaCache::default(),
            attributor: Attributor::from_catalog(),
            ip_ranges: SharedIpRanges::new(IpRanges::shipped()),
            hosting: HostingNetworks::from_catalog()?,
            robots: SharedRobots::default(),
            address_keys: None,
            web_bot_auth,
            reverse_dns: None,
            recorded_dns: None,
        })
    }

    /// Key directories fetched under `config` (timeouts, bounds, test origins).
    pub fn with_key_directories(mut self, config: DirectoryConfig) -> anyhow::Result<Self> {
        self.web_bot_auth = WebBotAuth::new(config, self.classifier.bots().agents())?;
        Ok(self)
    }

    /// For a replay: claims reverse DNS decided the first time keep that verdict (see
    /// `recorded_dns`).
    pub fn with_recorded_dns_verdicts(mut self) -> Self {
        self.recorded_dns = Some(Masks::shipped());
        self
    }

    pub fn with_reverse_dns(mut self, reverse_dns: ReverseDns) -> Self {
        self.reverse_dns = Some(reverse_dns);
        self
    }

    pub fn with_address_keys(mut self, keys: AddressKeys) -> Self {
        self.address_keys = Some(keys);
        self
    }

    pub fn enrich(
        &self,
        beacon: &Beacon,
        property: &PropertyContext<'_>,
        processed_at_ms: i64,
    ) -> Result<EnrichedEvent, Rejection> {
        self.enrich_awaiting(beacon, property, processed_at_ms)
            .map(|(event, _)| event)
    }

    /// [`Enricher::enrich`], and the reverse-DNS lookup the hit's verdict waits for when the
    /// cache had none: the event then carries what the other methods decided.
    pub fn enrich_awaiting(
        &self,
        beacon: &Beacon,
        property: &PropertyContext<'_>,
        processed_at_ms: i64,
    ) -> Result<(EnrichedEvent, Option<Awaiting>), Rejection> {
        let (ts, raw_url, referrer, event_type, hit) = match (&beacon.tag, &beacon.hit) {
            (Some(tag), None) => (
                event_time(tag.client_ts, beacon.received_at)?,
                tag.url.clone(),
                tag.referrer.clone(),
                EventType::from(tag.event_type),
                None,
            ),
            (None, Some(hit)) => {
                let query = hit.query.as_deref().filter(|q| !q.is_empty());
                let url = match query {
                    Some(q) => format!(
                        "https://{}{}?{}",
                        hit.host,
                        hit.path,
                        q.trim_start_matches('?')
                    ),
                    None => format!("https://{}{}", hit.host, hit.path),
                };
                (
                    event_time(Some(hit.ts), beacon.received_at)?,
                    url,
                    hit.referrer.clone(),
                    EventType::Hit,
                    Some(hit),
                )
            }
            _ => {
                return Err(reject(
                    DeadLetterReason::SchemaViolation,
                    "a beacon carries exactly one of tag and hit",
                ))
            }
        };
        // Parsed once: normalization, attribution and the referrer host all read them.
        let parsed_page = url::Url::parse(raw_url.trim()).ok();
        let parsed_referrer = referrer
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .and_then(|r| url::Url::parse(r).ok());
        let page = parsed_page
            .clone()
            .and_then(normalize_parsed)
            .ok_or_else(|| {
                reject(
                    DeadLetterReason::SchemaViolation,
                    format!("url {raw_url:?} is not an absolute http(s) URL"),
                )
            })?;
        let automation = beacon
            .tag
            .as_ref()
            .and_then(|t| t.automation)
            .and_then(|bits| u8::try_from(bits).ok())
            .unwrap_or_default();
        let mut ua = self
            .user_agents
            .classify(&self.classifier, &beacon.user_agent)
            .with_automation(automation);
        // A signature vouches for (or betrays) an agent before its address is looked at.
        let signed = hit
            .and_then(|h| self.web_bot_auth.check(h, &beacon.user_agent, ts))
            .and_then(|checked| checked.apply(&mut ua, self.classifier.bots().agents()));
        let (verification, verification_method, awaiting) = match (&ua.agent, hit) {
            (Some(agent), Some(hit)) if ua.class.is_bot() => {
                let (verdict, method, awaiting) =
                    self.verify_hit(agent, hit, &beacon.event_id, processed_at_ms);
                (Some(verdict), method, awaiting)
            }
            (_, _) if ua.class.is_bot() => (Some(Verification::Unverifiable), None, None),
            _ => (None, None, None),
        };
        // A signature's verdict stands: the hit waits for no lookup.
        let (verification, verification_method, awaiting) = match signed {
            Some(verdict) => (Some(verdict), Some(VerificationMethod::WebBotAuth), None),
            None => (verification, verification_method, awaiting),
        };
        // Referral attribution describes visitors; a robot's referrer is not a referral.
        let attribution = (ua.class == AgentClass::Human).then(|| {
            self.attributor
                .attribute_urls(parsed_page.as_ref(), parsed_referrer.as_ref())
        });
        let referrer_host = parsed_referrer
            .as_ref()
            .and_then(|r| r.host_str().map(str::to_owned))
            .unwrap_or_default();
        let property_id = u64::try_from(beacon.property_id).unwrap_or_default();
        let crawl = hit.filter(|_| ua.class.is_bot()).map(|h| {
            // The stored path (no query), so a later evaluation of the stored hits reads the
            // same input.
            let (robots, robots_checksum) =
                self.robots
                    .verdict(property_id, ua.agent.as_deref(), &page.path);
            Crawl {
                method: h.method.clone(),
                bytes: h
                    .bytes
                    .and_then(|b| u64::try_from(b).ok())
                    .unwrap_or_default(),
                response_ms: h
                    .response_ms
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or_default(),
                robots,
                robots_checksum,
                resource: resource::classify(&page.path),
            }
        });
        let tag = beacon.tag.as_ref();
        let event = EnrichedEvent {
            project_id: beacon.project_id.clone(),
            property_id,
            ts: millis(ts),
            event_id: beacon.event_id.clone(),
            received_at: millis(beacon.received_at),
            processed_at: millis(processed_at_ms),
            organization_id: property.organization_id.to_owned(),
            visitor_id: beacon.visitor_id.clone(),
            session_id: tag.and_then(|t| t.session_id.clone()).unwrap_or_default(),
            source: if hit.is_some() {
                EventSource::Server
            } else {
                EventSource::Tag
            },
            event_type,
            content_type: property.content_rules.classify(&page.path),
            url: page.url,
            host: page.host,
            path: page.path,
            title: tag.and_then(|t| t.title.clone()).unwrap_or_default(),
            referrer: referrer.unwrap_or_default(),
            referrer_host,
            attribution,
            utm: page
                .tracking
                .into_iter()
                .filter(|(k, _)| k.starts_with("utm_"))
                .collect(),
            client: ua,
            verification,
            verification_method,
            country: beacon.country.clone().unwrap_or_default(),
            network: self
                .hosting
                .network(beacon.asn, beacon.as_organization.as_deref()),
            automation,
            status: hit.map_or(0, |h| u16::try_from(h.status).unwrap_or_default()),
            name: tag.and_then(|t| t.name.clone()).unwrap_or_default(),
            props: tag.map(|t| t.props.clone()).unwrap_or_default(),
            value: tag.and_then(|t| t.value),
            currency: tag.and_then(|t| t.currency.clone()).unwrap_or_default(),
            classifier_version: schemas::catalog::version(),
            retention_days: property.retention_days,
            crawl,
        };
        Ok((event, awaiting))
    }

    /// A robot's server hit: published ranges decide at once; reverse DNS from its cache, or
    /// the lookup to wait for.
    fn verify_hit(
        &self,
        agent: &str,
        hit: &ServerHit,
        event_id: &str,
        processed_at_ms: i64,
    ) -> (Verification, Option<VerificationMethod>, Option<Awaiting>) {
        let ranges = self.ip_ranges.current();
        let dns = self.reverse_dns.as_ref().filter(|d| d.covers(agent));
        let recorded = self.recorded_dns.as_ref().is_some_and(|m| m.covers(agent));
        let ip = match HitAddress::of(hit, event_id, self.address_keys.as_ref(), processed_at_ms) {
            HitAddress::Known(Some(ip)) => ip,
            HitAddress::Known(None) => return (Verification::Unverifiable, None, None),
            // Something could have checked it, had the address lasted.
            HitAddress::Expired if ranges.publishes(agent) || dns.is_some() || recorded => {
                return (Verification::Unchecked, None, None)
            }
            // An operator that publishes nothing leaves nothing to check either way.
            HitAddress::Expired => return (Verification::Unverifiable, None, None),
        };
        let by_ranges = ranges
            .publishes(agent)
            .then(|| ranges.verify(agent, Some(ip)));
        if recorded && by_ranges != Some(Verification::Verified) {
            return (Verification::Unchecked, None, None);
        }
        let Some(dns) = dns.filter(|_| by_ranges != Some(Verification::Verified)) else {
            let (verdict, method) = decide(by_ranges, None);
            return (verdict, method, None);
        };
        let cached = dns.cached(agent, ip);
        let (verdict, method) = decide(by_ranges, cached);
        let awaiting = cached.is_none().then(|| Awaiting {
            agent: agent.to_owned(),
            ip,
            by_ranges,
        });
        (verdict, method, awaiting)
    }
}

/// A hit whose verdict waits for a reverse-DNS lookup: what the loader needs to start it and,
/// once it answered, to decide again. Its `Debug` leaves the address out (it would reach logs).
#[derive(Clone, PartialEq, Eq)]
pub struct Awaiting {
    pub agent: String,
    pub ip: IpAddr,
    /// What published ranges said (None: the operator publishes none).
    pub by_ranges: Option<Verification>,
}

impl std::fmt::Debug for Awaiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Awaiting")
            .field("agent", &self.agent)
            .field("ip", &"<withheld>")
            .field("by_ranges", &self.by_ranges)
            .finish()
    }
}

impl Awaiting {
    /// The verdict once reverse DNS said `outcome` (None: it never did).
    pub fn decide(&self, outcome: Option<Outcome>) -> (Verification, Option<VerificationMethod>) {
        decide(self.by_ranges, outcome)
    }
}

/// The event's own time when it has one within bounds of its receipt, else the receipt time.
fn event_time(own: Option<i64>, received_at: i64) -> Result<i64, Rejection> {
    let Some(ts) = own else {
        return Ok(received_at);
    };
    if ts < received_at - MAX_EVENT_AGE_MS || ts > received_at + MAX_CLOCK_SKEW_MS {
        return Err(reject(
            DeadLetterReason::TimestampOutOfRange,
            format!(
                "event time {ts} is outside [received - 7 d, received + 5 min] of {received_at}"
            ),
        ));
    }
    Ok(ts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::Network;
    use schemas::beacon::ServerHit;
    use schemas::vocab::Channel;
    use schemas::vocab::ContentType;
    use schemas::vocab::{CrawlResource, RobotsVerdict};

    fn context(rules: &ContentRules) -> PropertyContext<'_> {
        PropertyContext {
            organization_id: "org_1",
            retention_days: 180,
            content_rules: rules,
        }
    }

    fn server_hit(ua: &str, ip: &str) -> Beacon {
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        beacon.tag = None;
        beacon.user_agent = ua.into();
        beacon.hit = Some(ServerHit {
            ts: beacon.received_at - 1_000,
            method: "GET".into(),
            host: "acme.com".into(),
            path: "/docs/start".into(),
            query: Some("utm_source=x".into()),
            status: 200,
            ip: Some(ip.into()),
            referrer: None,
            bytes: Some(1234),
            response_ms: Some(12),
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
        });
        beacon
    }

    #[test]
    fn a_human_pageview_from_an_assistant_is_attributed_and_stamped() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        let tag = beacon.tag.as_mut().unwrap();
        tag.url = "https://acme.com/pricing?utm_source=chatgpt.com#plans".into();
        tag.referrer = None;
        tag.client_ts = Some(beacon.received_at - 2_000);
        beacon.user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into();
        let e = enricher
            .enrich(&beacon, &context(&rules), beacon.received_at + 50)
            .unwrap();
        assert_eq!(
            (e.agent_class(), e.client.browser.as_deref()),
            (AgentClass::Human, Some("Chrome"))
        );
        assert_eq!(
            (e.ai_source(), e.channel()),
            (Some("ChatGPT"), Some(Channel::Ai))
        );
        assert_eq!(
            (e.source, e.event_type),
            (EventSource::Tag, EventType::Conversion)
        );
        assert_eq!(e.url, "https://acme.com/pricing");
        assert_eq!(
            e.utm.get("utm_source").map(String::as_str),
            Some("chatgpt.com")
        );
        assert_eq!(e.content_type, ContentType::Pricing);
        assert_eq!(e.ts.timestamp_millis(), beacon.received_at - 2_000);
        assert_eq!(
            (e.retention_days, e.organization_id.as_str()),
            (180, "org_1")
        );
        assert_eq!((e.crawl.as_ref(), e.verification), (None, None));
    }

    #[test]
    fn a_browser_the_tag_saw_driven_is_a_robot_not_a_visitor() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        let tag = beacon.tag.as_mut().unwrap();
        tag.referrer = Some("https://chatgpt.com/".into());
        tag.automation = Some(schemas::beacon::automation::WEBDRIVER);
        let e = enricher
            .enrich(&beacon, &context(&rules), beacon.received_at)
            .unwrap();
        assert_eq!(e.agent_class(), AgentClass::OtherBot);
        assert_eq!(
            e.client.agent.as_deref(),
            Some("WebDriver-controlled browser")
        );
        assert_eq!(e.automation, 1);
        // A robot's referrer is no referral.
        assert_eq!(e.ai_source(), None);
        beacon.tag.as_mut().unwrap().automation = None;
        let person = enricher
            .enrich(&beacon, &context(&rules), beacon.received_at)
            .unwrap();
        assert_eq!(person.agent_class(), AgentClass::Human);
    }

    #[test]
    fn robots_server_hits_become_verified_or_spoofed_crawler_hits() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let ua = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let real = enricher
            .enrich(&server_hit(ua, "4.227.36.7"), &context(&rules), 0)
            .unwrap();
        assert_eq!(
            (real.client.agent.as_deref(), real.verification),
            (Some("GPTBot"), Some(Verification::Verified))
        );
        assert_eq!(
            (real.path.as_str(), real.status, real.content_type),
            ("/docs/start", 200, ContentType::Docs)
        );
        assert_eq!(
            (real.source, real.event_type),
            (EventSource::Server, EventType::Hit)
        );
        assert_eq!(
            real.crawl,
            Some(Crawl {
                method: "GET".into(),
                bytes: 1234,
                response_ms: 12,
                robots: RobotsVerdict::Unknown,
                robots_checksum: String::new(),
                resource: CrawlResource::Page,
            })
        );
        let fake = enricher
            .enrich(&server_hit(ua, "203.0.113.5"), &context(&rules), 0)
            .unwrap();
        assert_eq!(fake.verification, Some(Verification::Spoofed));
        assert_eq!(
            (real.verification_method, fake.verification_method),
            (
                Some(VerificationMethod::IpRanges),
                Some(VerificationMethod::IpRanges)
            )
        );
        // A robot's referrer is not a referral.
        assert_eq!(real.attribution, None);
    }

    #[test]
    fn a_signed_agentic_browser_is_verified_by_its_signature_from_any_address() {
        use crate::enrich::web_bot_auth::tests::{directory_of, key, keyid, signed, CHROME};
        let enricher = Enricher::from_catalog().unwrap();
        let openai = key(1);
        enricher.web_bot_auth.directories().unwrap().preload(
            "https://chatgpt.com",
            directory_of(&[&openai]),
            std::time::Duration::from_secs(60),
        );
        let rules = ContentRules::default();
        let mut beacon = server_hit(CHROME, "203.0.113.5");
        let hit = beacon.hit.take().unwrap();
        let created = hit.ts.div_euclid(1000);
        beacon.hit = Some(signed(
            hit,
            &openai,
            &keyid(&openai),
            "https://chatgpt.com",
            created,
        ));
        let e = enricher
            .enrich(&beacon, &context(&rules), beacon.received_at)
            .unwrap();
        assert_eq!(
            (
                e.agent_class(),
                e.client.agent.as_deref(),
                e.client.operator.as_deref()
            ),
            (AgentClass::AiAgent, Some("ChatGPT Agent"), Some("OpenAI"))
        );
        assert_eq!(
            (e.verification, e.verification_method),
            (
                Some(Verification::Verified),
                Some(VerificationMethod::WebBotAuth)
            )
        );
        assert!(e.crawl.is_some(), "an agent's hit is a crawler hit");
        // Unsigned, the same browser is a person, and nothing is verified.
        let person = enricher
            .enrich(
                &server_hit(CHROME, "203.0.113.5"),
                &context(&rules),
                beacon.received_at,
            )
            .unwrap();
        assert_eq!(
            (
                person.agent_class(),
                person.verification,
                person.verification_method
            ),
            (AgentClass::Human, None, None)
        );
    }

    #[test]
    fn crawler_hits_get_the_verdict_of_the_propertys_current_robots_txt_and_their_resource() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let gptbot = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let hit = |ua: &str, path: &str| {
            let mut beacon = server_hit(ua, "4.227.36.7");
            beacon.hit.as_mut().unwrap().path = path.into();
            let property = u64::try_from(beacon.property_id).unwrap();
            let crawl = enricher
                .enrich(&beacon, &context(&rules), 0)
                .unwrap()
                .crawl
                .unwrap();
            (property, crawl)
        };
        let (property, before) = hit(gptbot, "/docs/start");
        assert_eq!(before.robots, RobotsVerdict::Unknown);
        let file = super::super::robots::RobotsFile::from_answer(
            200,
            b"User-agent: GPTBot\nDisallow: /docs/\n\nUser-agent: *\nAllow: /docs/\n",
            Utc::now(),
        )
        .unwrap();
        let checksum = file.checksum.clone();
        enricher.robots.set(property, file);
        let (_, judged) = hit(gptbot, "/docs/start");
        assert_eq!(
            (judged.robots, judged.robots_checksum.as_str()),
            (RobotsVerdict::Disallowed, checksum.as_str())
        );
        assert_eq!(
            hit(googlebot, "/docs/start").1.robots,
            RobotsVerdict::Allowed
        );
        assert_eq!(hit(googlebot, "/pricing").1.robots, RobotsVerdict::NoRule);
        let robots_txt = hit(gptbot, "/robots.txt").1;
        assert_eq!(
            (robots_txt.robots, robots_txt.resource),
            (RobotsVerdict::Allowed, CrawlResource::RobotsTxt)
        );
        assert_eq!(hit(gptbot, "/llms.txt").1.resource, CrawlResource::LlmsTxt);
        assert_eq!(
            hit(gptbot, "/docs/start.md").1.resource,
            CrawlResource::Markdown
        );
    }

    #[test]
    fn a_sealed_address_is_verified_while_its_key_exists_and_unchecked_once_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let keys = AddressKeys::open(dir.path(), chrono::Duration::hours(72)).unwrap();
        let enricher = Enricher::from_catalog()
            .unwrap()
            .with_address_keys(keys.clone());
        let rules = ContentRules::default();
        let ua = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let mut beacon = server_hit(ua, "unused");
        let received = beacon.received_at;
        let hit = beacon.hit.as_mut().unwrap();
        hit.ip = None;
        hit.sealed_ip = Some(
            keys.seal("4.227.36.7", &beacon.event_id, millis(received))
                .unwrap(),
        );
        let verify = |enricher: &Enricher, at: i64| {
            enricher
                .enrich(&beacon, &context(&rules), at)
                .unwrap()
                .verification
        };
        assert_eq!(
            verify(&enricher, received + 1_000),
            Some(Verification::Verified)
        );
        let window_over = received + 73 * 3_600_000;
        assert_eq!(
            verify(&enricher, window_over),
            Some(Verification::Unchecked)
        );
        assert!(
            keys.secrets().days().unwrap().is_empty(),
            "and the key is gone"
        );
        assert_eq!(
            verify(&Enricher::from_catalog().unwrap(), received + 1_000),
            Some(Verification::Unchecked),
            "without the keys a sealed address is as good as gone"
        );
    }

    #[tokio::test]
    async fn a_claim_its_operators_dns_vouches_for_is_verified_once_the_lookup_ended() {
        use crate::rdns::check::fake::Zone;
        use crate::rdns::{LookupSettings, Masks, ReverseDns};
        use schemas::vocab::VerificationMethod::{IpRanges as Ranges, ReverseDns as Dns};
        use std::sync::Arc;
        let address: IpAddr = "192.0.2.10".parse().unwrap();
        let mut zone = Zone::default();
        zone.ptr
            .insert(address, Ok(vec!["crawl-192-0-2-10.googlebot.com".into()]));
        zone.forward
            .insert("crawl-192-0-2-10.googlebot.com".into(), Ok(vec![address]));
        let dns = ReverseDns::new(Arc::new(zone), Masks::shipped(), LookupSettings::default());
        let enricher = Enricher::from_catalog()
            .unwrap()
            .with_reverse_dns(dns.clone());
        let rules = ContentRules::default();
        let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let enrich = |ip: &str| {
            let (e, awaiting) = enricher
                .enrich_awaiting(&server_hit(googlebot, ip), &context(&rules), 0)
                .unwrap();
            ((e.verification, e.verification_method), awaiting)
        };
        // Outside the published ranges, before DNS answered: the ranges' word, and a lookup.
        let (verdict, awaiting) = enrich("192.0.2.10");
        assert_eq!(verdict, (Some(Verification::Spoofed), Some(Ranges)));
        let awaiting = awaiting.expect("waits for reverse DNS");
        assert_eq!(awaiting.agent, "Googlebot");
        assert!(
            !format!("{awaiting:?}").contains("192.0.2"),
            "no address in logs"
        );
        dns.request(&awaiting.agent, awaiting.ip);
        while dns.running(&awaiting.agent, awaiting.ip) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(
            awaiting.decide(dns.cached(&awaiting.agent, awaiting.ip)),
            (Verification::Verified, Some(Dns))
        );
        assert_eq!(
            enrich("192.0.2.10"),
            ((Some(Verification::Verified), Some(Dns)), None),
            "from the cache, at once"
        );
        // Inside them nothing is looked up; an agent without masks is never looked up.
        assert_eq!(
            enrich("66.249.66.1"),
            ((Some(Verification::Verified), Some(Ranges)), None)
        );
        // A replay asks nobody: what only DNS decides is left for the recorded verdict.
        let replaying = Enricher::from_catalog()
            .unwrap()
            .with_recorded_dns_verdicts();
        let replayed = |ip: &str| {
            let (e, awaiting) = replaying
                .enrich_awaiting(&server_hit(googlebot, ip), &context(&rules), 0)
                .unwrap();
            (e.verification, e.verification_method, awaiting)
        };
        assert_eq!(
            replayed("192.0.2.10"),
            (Some(Verification::Unchecked), None, None)
        );
        assert_eq!(
            replayed("66.249.66.1"),
            (Some(Verification::Verified), Some(Ranges), None)
        );
        let gptbot = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let (e, awaiting) = enricher
            .enrich_awaiting(&server_hit(gptbot, "192.0.2.10"), &context(&rules), 0)
            .unwrap();
        assert_eq!(
            (e.verification, e.verification_method, awaiting),
            (Some(Verification::Spoofed), Some(Ranges), None)
        );
    }

    #[test]
    fn the_network_of_origin_is_carried_and_flagged_datacenter_for_visits_and_crawls() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let mut visit = schemas::fixtures::sample_tag_beacon();
        visit.asn = Some(14061);
        visit.as_organization = Some("DigitalOcean, LLC".into());
        let e = enricher
            .enrich(&visit, &context(&rules), visit.received_at)
            .unwrap();
        assert_eq!(
            e.network,
            Network {
                asn: 14061,
                organization: "DigitalOcean, LLC".into(),
                datacenter: true
            }
        );
        visit.asn = Some(64501);
        visit.as_organization = Some("Example Broadband".into());
        let home = enricher
            .enrich(&visit, &context(&rules), visit.received_at)
            .unwrap();
        assert_eq!((home.network.asn, home.network.datacenter), (64501, false));
        let ua = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let mut crawl = server_hit(ua, "4.227.36.7");
        crawl.asn = Some(8075);
        crawl.as_organization = Some("Microsoft Corporation".into());
        let c = enricher.enrich(&crawl, &context(&rules), 0).unwrap();
        assert!(c.crawl.is_some());
        assert_eq!((c.network.asn, c.network.datacenter), (8075, true));
        let unknown = enricher
            .enrich(&server_hit(ua, "4.227.36.7"), &context(&rules), 0)
            .unwrap();
        assert_eq!(unknown.network, Network::default());
    }

    #[test]
    fn broken_beacons_are_rejected_with_a_typed_reason() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let mut old = schemas::fixtures::sample_tag_beacon();
        old.tag.as_mut().unwrap().client_ts = Some(old.received_at - 8 * 24 * 3_600_000);
        let err = enricher.enrich(&old, &context(&rules), 0).unwrap_err();
        assert_eq!(err.reason, DeadLetterReason::TimestampOutOfRange);
        let mut bad_url = schemas::fixtures::sample_tag_beacon();
        bad_url.tag.as_mut().unwrap().url = "javascript:alert(1)".into();
        assert_eq!(
            enricher
                .enrich(&bad_url, &context(&rules), 0)
                .unwrap_err()
                .reason,
            DeadLetterReason::SchemaViolation
        );
        let mut both = server_hit("curl/8", "1.2.3.4");
        both.tag = schemas::fixtures::sample_tag_beacon().tag;
        assert_eq!(
            enricher
                .enrich(&both, &context(&rules), 0)
                .unwrap_err()
                .reason,
            DeadLetterReason::SchemaViolation
        );
    }
}
