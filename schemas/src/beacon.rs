//! `optiview.beacons.v1`: accepted raw hits, written by ingest-edge.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};
use crate::vocab::{EventType, Vocabulary};

/// One accepted hit. Exactly one of `tag` or `hit` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beacon {
    pub event_id: String,
    /// Milliseconds since the Unix epoch, at the edge.
    pub received_at: i64,
    pub request_id: String,
    pub key_id: String,
    pub project_id: String,
    pub property_id: i64,
    pub visitor_id: String,
    pub user_agent: String,
    pub ip_hash: String,
    pub country: Option<String>,
    /// The network of origin, when the edge's database knows the address.
    pub asn: Option<i64>,
    pub as_organization: Option<String>,
    pub tag: Option<TagEvent>,
    pub hit: Option<ServerHit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagEventType {
    Pageview,
    Click,
    Custom,
    Conversion,
}

/// The types tag.js sends, spelled as the stored [`EventType`]s they become.
impl Vocabulary for TagEventType {
    const ALL: &'static [Self] = &[
        TagEventType::Pageview,
        TagEventType::Click,
        TagEventType::Custom,
        TagEventType::Conversion,
    ];

    fn as_str(self) -> &'static str {
        EventType::from(self).as_str()
    }
}

/// An event sent by tag.js from a browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagEvent {
    pub event_type: TagEventType,
    pub client_ts: Option<i64>,
    pub session_id: Option<String>,
    pub url: String,
    pub referrer: Option<String>,
    pub title: Option<String>,
    pub screen: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub utm: HashMap<String, String>,
    pub name: Option<String>,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: Option<String>,
    /// [`automation`] bits the tag observed; `None` from tags older than the field.
    pub automation: Option<i32>,
}

/// The bits of [`TagEvent::automation`].
pub mod automation {
    /// `navigator.webdriver` was true: the browser is driven by WebDriver or CDP automation.
    pub const WEBDRIVER: i32 = 1;
    /// A headless browser's traits (a `HeadlessChrome` user agent, no window chrome).
    pub const HEADLESS: i32 = 2;
}

/// A request forwarded from a partner's edge or CDN log (crawlers that run no JavaScript).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerHit {
    pub ts: i64,
    pub method: String,
    pub host: String,
    pub path: String,
    pub query: Option<String>,
    pub status: i32,
    /// The client address in plain text. Only collectors older than `sealed_ip` wrote it;
    /// records they left on the topic are still read with it.
    pub ip: Option<String>,
    pub referrer: Option<String>,
    pub bytes: Option<i64>,
    pub response_ms: Option<i32>,
    /// Web Bot Auth: the request's `Signature`, `Signature-Input` and `Signature-Agent` headers
    /// as forwarded, verified by the processors against the signer's key directory.
    pub signature: Option<String>,
    pub signature_input: Option<String>,
    pub signature_agent: Option<String>,
    /// The client address as the collector writes it: sealed with a key that is destroyed once
    /// the crawler verification window has passed. Absent when the hit named no address.
    pub sealed_ip: Option<SealedAddress>,
}

/// A client address sealed with one UTC day's key (`platform::raw_address` seals and opens it).
/// Without that day's key the bytes say nothing: not the address, not which of two records share
/// one (the nonce is random per record).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedAddress {
    /// `YYYY-MM-DD`: the day whose key sealed it.
    pub key_day: String,
    #[serde(with = "crate::codec::avro_bytes")]
    pub nonce: Vec<u8>,
    #[serde(with = "crate::codec::avro_bytes")]
    pub ciphertext: Vec<u8>,
}

/// Lengths only: even sealed, an address is not something to print.
impl std::fmt::Debug for SealedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedAddress({}, {} nonce bytes, {} sealed bytes)",
            self.key_day,
            self.nonce.len(),
            self.ciphertext.len()
        )
    }
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for Beacon {
    const SCHEMA_JSON: &'static str = include_str!("../avro/beacon.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}
