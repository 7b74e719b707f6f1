//! One beacon → the rows it becomes: the enriched event, and a crawler hit for robots' server hits.
//! Pure: the caller supplies the property's context and the processing time.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use schemas::beacon::Beacon;
use schemas::deadletter::DeadLetterReason;
use schemas::vocab::{AgentClass, EventSource, EventType, Verification, Vocabulary};

use super::page::{normalize_parsed, ContentRules};
use super::verify::{IpRanges, SharedIpRanges};
use super::{catalog, Attributor, Classifier};
use crate::load::rows::{CrawlerHitRow, EventRow};

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

#[derive(Debug, Clone, PartialEq)]
pub struct Enriched {
    pub event: EventRow,
    pub crawler_hit: Option<CrawlerHitRow>,
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
    pub attributor: Attributor,
    pub ip_ranges: SharedIpRanges,
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Enricher {
    pub fn from_catalog() -> anyhow::Result<Self> {
        Ok(Self {
            classifier: Classifier::from_catalog()?,
            attributor: Attributor::from_catalog(),
            ip_ranges: SharedIpRanges::new(IpRanges::shipped()),
        })
    }

    pub fn enrich(
        &self,
        beacon: &Beacon,
        property: &PropertyContext<'_>,
        processed_at_ms: i64,
    ) -> Result<Enriched, Rejection> {
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
        let ua = self.classifier.classify(&beacon.user_agent);
        let verification = match (&ua.agent, hit) {
            (Some(agent), Some(hit)) if ua.class.is_bot() => {
                let ip = hit.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok());
                self.ip_ranges.verify(agent, ip).as_str()
            }
            (_, _) if ua.class.is_bot() => Verification::Unverifiable.as_str(),
            _ => "",
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
        let tag = beacon.tag.as_ref();
        let event = EventRow {
            project_id: beacon.project_id.clone(),
            property_id: u64::try_from(beacon.property_id).unwrap_or_default(),
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
            }
            .as_str()
            .to_owned(),
            event_type: event_type.as_str().to_owned(),
            content_type: property
                .content_rules
                .classify(&page.path)
                .as_str()
                .to_owned(),
            url: page.url,
            host: page.host,
            path: page.path,
            title: tag.and_then(|t| t.title.clone()).unwrap_or_default(),
            referrer: referrer.clone().unwrap_or_default(),
            referrer_host,
            channel: attribution
                .as_ref()
                .map_or(String::new(), |a| a.channel.as_str().to_owned()),
            ai_source: attribution
                .as_ref()
                .and_then(|a| a.ai_source.clone())
                .unwrap_or_default(),
            ai_matched_by: attribution
                .as_ref()
                .and_then(|a| a.matched_by)
                .unwrap_or_default()
                .to_owned(),
            utm: page
                .tracking
                .into_iter()
                .filter(|(k, _)| k.starts_with("utm_"))
                .collect(),
            agent_class: ua.class.as_str().to_owned(),
            agent_name: ua.agent.unwrap_or_default(),
            agent_operator: ua.operator.unwrap_or_default(),
            verification: verification.to_owned(),
            browser: ua.browser.unwrap_or_default(),
            browser_major: ua.browser_major.unwrap_or_default(),
            os: ua.os.unwrap_or_default(),
            device: ua.device.unwrap_or_default().to_owned(),
            country: beacon.country.clone().unwrap_or_default(),
            status: hit.map_or(0, |h| u16::try_from(h.status).unwrap_or_default()),
            name: tag.and_then(|t| t.name.clone()).unwrap_or_default(),
            props: tag.map(|t| t.props.clone()).unwrap_or_default(),
            value: tag.and_then(|t| t.value),
            currency: tag.and_then(|t| t.currency.clone()).unwrap_or_default(),
            classifier_version: catalog::version().to_owned(),
            retention_days: property.retention_days,
        };
        let crawler_hit = hit.filter(|_| ua.class.is_bot()).map(|h| CrawlerHitRow {
            project_id: event.project_id.clone(),
            property_id: event.property_id,
            ts: event.ts,
            event_id: event.event_id.clone(),
            processed_at: event.processed_at,
            agent_class: event.agent_class.clone(),
            agent_name: event.agent_name.clone(),
            agent_operator: event.agent_operator.clone(),
            verification: event.verification.clone(),
            method: h.method.clone(),
            host: event.host.clone(),
            path: event.path.clone(),
            content_type: event.content_type.clone(),
            status: event.status,
            bytes: h
                .bytes
                .and_then(|b| u64::try_from(b).ok())
                .unwrap_or_default(),
            response_ms: h
                .response_ms
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or_default(),
            retention_days: event.retention_days,
        });
        Ok(Enriched { event, crawler_hit })
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
    use schemas::beacon::ServerHit;

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
        let out = enricher
            .enrich(&beacon, &context(&rules), beacon.received_at + 50)
            .unwrap();
        let e = &out.event;
        assert_eq!(
            (e.agent_class.as_str(), e.browser.as_str()),
            ("human", "Chrome")
        );
        assert_eq!(
            (e.ai_source.as_str(), e.channel.as_str()),
            ("ChatGPT", "ai")
        );
        assert_eq!(e.url, "https://acme.com/pricing");
        assert_eq!(
            e.utm.get("utm_source").map(String::as_str),
            Some("chatgpt.com")
        );
        assert_eq!(e.content_type, "pricing");
        assert_eq!(e.ts.timestamp_millis(), beacon.received_at - 2_000);
        assert_eq!(
            (e.retention_days, e.organization_id.as_str()),
            (180, "org_1")
        );
        assert!(out.crawler_hit.is_none());
        assert!(e.ai_referral().is_some());
    }

    #[test]
    fn robots_server_hits_become_verified_or_spoofed_crawler_hits() {
        let enricher = Enricher::from_catalog().unwrap();
        let rules = ContentRules::default();
        let ua = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
        let real = enricher
            .enrich(&server_hit(ua, "4.227.36.7"), &context(&rules), 0)
            .unwrap();
        let hit = real.crawler_hit.unwrap();
        assert_eq!(
            (hit.agent_name.as_str(), hit.verification.as_str()),
            ("GPTBot", "verified")
        );
        assert_eq!(
            (hit.path.as_str(), hit.status, hit.content_type.as_str()),
            ("/docs/start", 200, "docs")
        );
        let fake = enricher
            .enrich(&server_hit(ua, "203.0.113.5"), &context(&rules), 0)
            .unwrap();
        assert_eq!(fake.crawler_hit.unwrap().verification, "spoofed");
        // A robot's referrer is not a referral.
        assert_eq!(real.event.channel, "");
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
