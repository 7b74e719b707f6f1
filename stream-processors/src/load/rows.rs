//! ClickHouse rows, one struct per table of the migrations in `infra/clickhouse/migrations/`
//! (RowBinary: field order and types follow the table), and how each is built from an enriched
//! event: the enums become their text here, at the sink, and nowhere else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clickhouse::Row;
use schemas::session::SessionUpdate;
use schemas::vocab::{Channel, Verification, VerificationMethod, Vocabulary};
use serde::Serialize;

use crate::enrich::EnrichedEvent;
use crate::sessionize::Placement;

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct EventRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub received_at: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub organization_id: String,
    pub visitor_id: String,
    pub session_id: String,
    pub source: String,
    pub event_type: String,
    pub url: String,
    pub host: String,
    pub path: String,
    pub title: String,
    pub content_type: String,
    pub referrer: String,
    pub referrer_host: String,
    pub channel: String,
    pub ai_source: String,
    pub ai_matched_by: String,
    pub utm: HashMap<String, String>,
    pub agent_class: String,
    pub agent_name: String,
    pub agent_operator: String,
    pub verification: String,
    pub browser: String,
    pub browser_major: String,
    pub os: String,
    pub device: String,
    pub country: String,
    pub status: u16,
    pub name: String,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: String,
    pub classifier_version: String,
    pub retention_days: u16,
    // Added by migration 0007, so after the columns of 0002.
    pub verification_method: String,
    pub asn: u32,
    pub as_organization: String,
    pub datacenter: bool,
    pub automation: u8,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct AiReferralRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub visitor_id: String,
    pub session_id: String,
    pub ai_source: String,
    pub matched_by: String,
    pub url: String,
    pub path: String,
    pub content_type: String,
    pub referrer: String,
    pub country: String,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct CrawlerHitRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub agent_class: String,
    pub agent_name: String,
    pub agent_operator: String,
    pub verification: String,
    pub method: String,
    pub host: String,
    pub path: String,
    pub content_type: String,
    pub status: u16,
    pub bytes: u64,
    pub response_ms: u32,
    pub retention_days: u16,
    // Added by migration 0007.
    pub verification_method: String,
    pub robots: String,
    pub resource: String,
    pub asn: u32,
    pub as_organization: String,
    pub datacenter: bool,
    // Added by migration 0008.
    pub robots_checksum: String,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct ConversionRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub visitor_id: String,
    pub session_id: String,
    pub name: String,
    pub value: Option<f64>,
    pub currency: String,
    pub session_ai_source: String,
    pub last_touch_ai_source: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis::option")]
    pub last_touch_at: Option<DateTime<Utc>>,
    pub retention_days: u16,
}

/// The newest state of a session (infra/clickhouse/migrations/0003…).
#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct SessionRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub opened_at: DateTime<Utc>,
    pub session_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub organization_id: String,
    pub visitor_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub last_seen: DateTime<Utc>,
    pub version: u64,
    pub entry_url: String,
    pub exit_url: String,
    pub pageviews: u32,
    pub events: u32,
    pub duration_ms: u64,
    pub referrer: String,
    pub channel: String,
    pub ai_source: String,
    pub utm: HashMap<String, String>,
    pub conversions: u32,
    pub conversion_value: f64,
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl SessionRow {
    pub fn from_update(update: &SessionUpdate, processed_at: DateTime<Utc>) -> Self {
        Self {
            project_id: update.project_id.clone(),
            property_id: u64::try_from(update.property_id).unwrap_or_default(),
            opened_at: millis(update.opened_at),
            session_id: update.session_id.clone(),
            processed_at,
            organization_id: update.organization_id.clone(),
            visitor_id: update.visitor_id.clone(),
            started_at: millis(update.started_at),
            last_seen: millis(update.last_seen_at),
            version: u64::try_from(update.version).unwrap_or_default(),
            entry_url: update.entry_url.clone(),
            exit_url: update.exit_url.clone(),
            pageviews: u32::try_from(update.pageviews).unwrap_or_default(),
            events: u32::try_from(update.events).unwrap_or_default(),
            duration_ms: u64::try_from(update.last_seen_at - update.started_at).unwrap_or_default(),
            referrer: update.referrer.clone().unwrap_or_default(),
            channel: update.channel.clone(),
            ai_source: update.ai_source.clone().unwrap_or_default(),
            utm: update.utm.clone(),
            conversions: u32::try_from(update.conversions).unwrap_or_default(),
            conversion_value: update.conversion_value,
        }
    }
}

/// Empty text for "none", as the tables store it.
fn text<T: Vocabulary>(value: Option<T>) -> String {
    value.map_or("", T::as_str).to_owned()
}

/// Moves the event's strings into the row: the hot path copies nothing it need not.
impl From<EnrichedEvent> for EventRow {
    fn from(e: EnrichedEvent) -> Self {
        let (channel, ai_source, ai_matched_by) = match e.attribution {
            Some(a) => (
                text::<Channel>(Some(a.channel)),
                a.ai_source.unwrap_or_default(),
                a.matched_by.unwrap_or_default().to_owned(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let ua = e.client;
        Self {
            project_id: e.project_id,
            property_id: e.property_id,
            ts: e.ts,
            event_id: e.event_id,
            received_at: e.received_at,
            processed_at: e.processed_at,
            organization_id: e.organization_id,
            visitor_id: e.visitor_id,
            session_id: e.session_id,
            source: e.source.as_str().to_owned(),
            event_type: e.event_type.as_str().to_owned(),
            url: e.url,
            host: e.host,
            path: e.path,
            title: e.title,
            content_type: e.content_type.as_str().to_owned(),
            referrer: e.referrer,
            referrer_host: e.referrer_host,
            channel,
            ai_source,
            ai_matched_by,
            utm: e.utm,
            agent_class: ua.class.as_str().to_owned(),
            agent_name: ua.agent.unwrap_or_default(),
            agent_operator: ua.operator.unwrap_or_default(),
            verification: text::<Verification>(e.verification),
            browser: ua.browser.unwrap_or_default(),
            browser_major: ua.browser_major.unwrap_or_default(),
            os: ua.os.unwrap_or_default(),
            device: ua.device.unwrap_or_default().to_owned(),
            country: e.country,
            status: e.status,
            name: e.name,
            props: e.props,
            value: e.value,
            currency: e.currency,
            classifier_version: e.classifier_version.to_owned(),
            retention_days: e.retention_days,
            verification_method: text::<VerificationMethod>(e.verification_method),
            asn: e.network.asn,
            as_organization: e.network.organization,
            datacenter: e.network.datacenter,
            automation: e.automation,
        }
    }
}

impl EventRow {
    /// A verdict decided after the row was built (reverse DNS answered while it waited).
    pub fn set_verification(
        &mut self,
        (verdict, method): (Verification, Option<VerificationMethod>),
    ) {
        self.verification = verdict.as_str().to_owned();
        self.verification_method = text(method);
    }
}

impl AiReferralRow {
    /// The referral a visit an AI assistant sent adds to `ai_referrals`.
    pub fn of(e: &EnrichedEvent) -> Option<Self> {
        let attribution = e.attribution.as_ref()?;
        let ai_source = attribution.ai_source.as_ref()?;
        Some(Self {
            project_id: e.project_id.clone(),
            property_id: e.property_id,
            ts: e.ts,
            event_id: e.event_id.clone(),
            processed_at: e.processed_at,
            visitor_id: e.visitor_id.clone(),
            session_id: e.session_id.clone(),
            ai_source: ai_source.clone(),
            matched_by: attribution.matched_by.unwrap_or_default().to_owned(),
            url: e.url.clone(),
            path: e.path.clone(),
            content_type: e.content_type.as_str().to_owned(),
            referrer: e.referrer.clone(),
            country: e.country.clone(),
            device: e.client.device.unwrap_or_default().to_owned(),
        })
    }
}

impl CrawlerHitRow {
    /// The row a robot's server hit adds to `crawler_hits`.
    pub fn of(e: &EnrichedEvent) -> Option<Self> {
        let crawl = e.crawl.as_ref()?;
        Some(Self {
            project_id: e.project_id.clone(),
            property_id: e.property_id,
            ts: e.ts,
            event_id: e.event_id.clone(),
            processed_at: e.processed_at,
            agent_class: e.client.class.as_str().to_owned(),
            agent_name: e.client.agent.clone().unwrap_or_default(),
            agent_operator: e.client.operator.clone().unwrap_or_default(),
            verification: text::<Verification>(e.verification),
            method: crawl.method.clone(),
            host: e.host.clone(),
            path: e.path.clone(),
            content_type: e.content_type.as_str().to_owned(),
            status: e.status,
            bytes: crawl.bytes,
            response_ms: crawl.response_ms,
            retention_days: e.retention_days,
            verification_method: text::<VerificationMethod>(e.verification_method),
            robots: crawl.robots.as_str().to_owned(),
            resource: crawl.resource.as_str().to_owned(),
            asn: e.network.asn,
            as_organization: e.network.organization.clone(),
            datacenter: e.network.datacenter,
            robots_checksum: crawl.robots_checksum.clone(),
        })
    }
}

impl CrawlerHitRow {
    /// As [`EventRow::set_verification`].
    pub fn set_verification(
        &mut self,
        (verdict, method): (Verification, Option<VerificationMethod>),
    ) {
        self.verification = verdict.as_str().to_owned();
        self.verification_method = text(method);
    }
}

impl ConversionRow {
    /// A conversion placed in its session, with both attribution models: the session's own AI
    /// source and the visitor's last AI touch within the lookback.
    pub fn of(e: &EnrichedEvent, placement: &Placement) -> Self {
        let touch = placement.last_ai_touch.as_ref();
        Self {
            project_id: e.project_id.clone(),
            property_id: e.property_id,
            ts: e.ts,
            event_id: e.event_id.clone(),
            processed_at: e.processed_at,
            visitor_id: e.visitor_id.clone(),
            session_id: e.session_id.clone(),
            name: e.name.clone(),
            value: e.value,
            currency: e.currency.clone(),
            session_ai_source: placement
                .session
                .ai_source
                .as_deref()
                .unwrap_or_default()
                .to_owned(),
            last_touch_ai_source: touch.map(|t| t.source.to_string()).unwrap_or_default(),
            last_touch_at: touch.and_then(|t| DateTime::from_timestamp_millis(t.at)),
            retention_days: e.retention_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::enricher::{Enricher, PropertyContext};
    use crate::enrich::page::ContentRules;
    use schemas::beacon::ServerHit;

    fn enrich(beacon: &schemas::beacon::Beacon) -> EnrichedEvent {
        let rules = ContentRules::default();
        let ctx = PropertyContext {
            organization_id: "org_1",
            retention_days: 180,
            content_rules: &rules,
        };
        Enricher::from_catalog()
            .unwrap()
            .enrich(beacon, &ctx, beacon.received_at)
            .unwrap()
    }

    #[test]
    fn a_referred_pageview_becomes_an_event_and_a_referral_in_the_tables_text() {
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        let tag = beacon.tag.as_mut().unwrap();
        tag.event_type = schemas::beacon::TagEventType::Pageview;
        tag.url = "https://acme.com/pricing?utm_source=chatgpt.com".into();
        tag.referrer = None;
        beacon.user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into();
        let event = enrich(&beacon);
        let referral = AiReferralRow::of(&event).unwrap();
        assert_eq!(CrawlerHitRow::of(&event), None);
        let row = EventRow::from(event);
        assert_eq!(
            (
                row.source.as_str(),
                row.event_type.as_str(),
                row.agent_class.as_str(),
                row.verification.as_str()
            ),
            ("tag", "pageview", "human", "")
        );
        assert_eq!(
            (
                row.channel.as_str(),
                row.ai_source.as_str(),
                row.ai_matched_by.as_str()
            ),
            ("ai", "ChatGPT", "url_marker")
        );
        assert_eq!(
            (row.content_type.as_str(), row.browser.as_str()),
            ("pricing", "Chrome")
        );
        assert_eq!(row.classifier_version, schemas::catalog::version());
        assert_eq!(
            (
                referral.ai_source.as_str(),
                referral.matched_by.as_str(),
                referral.event_id.as_str()
            ),
            ("ChatGPT", "url_marker", row.event_id.as_str())
        );
    }

    #[test]
    fn a_robots_server_hit_becomes_an_event_and_a_crawler_hit() {
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        beacon.tag = None;
        beacon.user_agent = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)".into();
        beacon.hit = Some(ServerHit {
            ts: beacon.received_at,
            method: "GET".into(),
            host: "acme.com".into(),
            path: "/docs/start".into(),
            query: None,
            status: 200,
            ip: Some("4.227.36.7".into()),
            referrer: Some("https://chatgpt.com/".into()),
            bytes: Some(1234),
            response_ms: Some(12),
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
        });
        let event = enrich(&beacon);
        assert_eq!(AiReferralRow::of(&event), None);
        let hit = CrawlerHitRow::of(&event).unwrap();
        assert_eq!(
            (
                hit.agent_class.as_str(),
                hit.agent_name.as_str(),
                hit.verification.as_str()
            ),
            ("ai_training_crawler", "GPTBot", "verified")
        );
        assert_eq!(
            (
                hit.method.as_str(),
                hit.path.as_str(),
                hit.content_type.as_str()
            ),
            ("GET", "/docs/start", "docs")
        );
        assert_eq!((hit.status, hit.bytes, hit.response_ms), (200, 1234, 12));
        let row = EventRow::from(event);
        assert_eq!(
            (
                row.source.as_str(),
                row.event_type.as_str(),
                row.channel.as_str()
            ),
            ("server", "hit", "")
        );
        assert_eq!(row.verification, "verified");
    }
}
