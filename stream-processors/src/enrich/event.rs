//! What enrichment makes of one beacon: a typed event that says nothing about storage. The loader
//! turns it into ClickHouse rows (`load::rows`), where the enums become their text.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemas::vocab::{
    AgentClass, Channel, CrawlResource, EventSource, EventType, RobotsVerdict, Verification,
    VerificationMethod,
};

use super::referral::Attribution;
use super::user_agent::UaClass;
use schemas::vocab::ContentType;

#[derive(Debug, Clone, PartialEq)]
pub struct EnrichedEvent {
    pub project_id: String,
    pub property_id: u64,
    /// The event's own time when within bounds of its receipt, else the receipt time.
    pub ts: DateTime<Utc>,
    pub event_id: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: DateTime<Utc>,
    pub organization_id: String,
    pub visitor_id: String,
    /// Empty until the sessionizer places the event (tag events only).
    pub session_id: String,
    pub source: EventSource,
    pub event_type: EventType,
    /// Normalized: lowercase host, no fragment, tracking parameters moved to `utm`.
    pub url: String,
    pub host: String,
    pub path: String,
    pub title: String,
    pub content_type: ContentType,
    /// As sent; empty when there was none.
    pub referrer: String,
    pub referrer_host: String,
    /// Where a visitor came from. None for robots: a robot's referrer is not a referral.
    pub attribution: Option<Attribution>,
    pub utm: HashMap<String, String>,
    /// Class, agent and operator (robots) or browser, OS and device (humans).
    pub client: UaClass,
    /// Robots only: whether the claimed agent's operator vouches for the address.
    pub verification: Option<Verification>,
    /// How `verification` was decided; `None` when nothing could be checked.
    pub verification_method: Option<VerificationMethod>,
    pub country: String,
    /// The network the client address belongs to.
    pub network: Network,
    /// The tag's [`schemas::beacon::automation`] bits; 0 for server hits.
    pub automation: u8,
    /// HTTP status of a server hit; 0 for tag events.
    pub status: u16,
    pub name: String,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: String,
    /// The catalog version the classification came from.
    pub classifier_version: &'static str,
    pub retention_days: u16,
    /// Robots' server hits only: what the crawl itself looked like.
    pub crawl: Option<Crawl>,
}

/// The request a robot made, beside what every event records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crawl {
    pub method: String,
    pub bytes: u64,
    pub response_ms: u32,
    /// The property's robots.txt verdict for this agent and path, when the hit was processed.
    pub robots: RobotsVerdict,
    /// SHA-256 of the robots.txt version that gave `robots` (empty while none was known).
    pub robots_checksum: String,
    /// A file written for machines (robots.txt, llms.txt, a sitemap, …) or a page.
    pub resource: CrawlResource,
}

/// The autonomous system a client address belongs to (0 and empty when unknown), and whether it
/// is a hosting network: a browser from a datacenter is rarely a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    pub asn: u32,
    pub organization: String,
    pub datacenter: bool,
}

impl EnrichedEvent {
    pub fn agent_class(&self) -> AgentClass {
        self.client.class
    }

    pub fn channel(&self) -> Option<Channel> {
        self.attribution.as_ref().map(|a| a.channel)
    }

    /// The AI assistant that sent the visit, when one did.
    pub fn ai_source(&self) -> Option<&str> {
        self.attribution.as_ref()?.ai_source.as_deref()
    }

    /// How the AI source was recognised (`referrer_host`, `url_marker`, …).
    pub fn ai_matched_by(&self) -> Option<&'static str> {
        self.attribution.as_ref()?.matched_by
    }
}
