//! One visitor's session, the visitor's state around it, and the event fields they are built from.
//! Journeys are not held here: every event row carries its session id, so a journey is a query
//! on `events`. State is kept small (goal: ≤ 300 B per active visitor) — strings that many
//! visitors share (pages, referrers, sources, utm sets) are interned, the session id is
//! 10 bytes, and the visitor is known by a hash of its id.

use std::fmt;
use std::sync::Arc;

use schemas::vocab::{Channel, EventType};

use super::interner::Interner;

/// What the sessionizer needs of an enriched tag event, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit<'a> {
    pub event_id: &'a str,
    pub ts: i64,
    pub property_id: i64,
    pub visitor_id: &'a str,
    pub event_type: EventType,
    pub url: &'a str,
    pub referrer: Option<&'a str>,
    /// None for a robot's tag event: a robot's referrer is not a referral.
    pub channel: Option<Channel>,
    pub ai_source: Option<&'a str>,
    /// utm parameters in canonical form (see `canonical_utm`).
    pub utm: &'a str,
    pub value: Option<f64>,
}

/// `key=value` pairs sorted by key and joined by `&`: one string per distinct utm set, interned.
pub fn canonical_utm<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&key.replace(['&', '='], "_"));
        out.push('=');
        out.push_str(&value.replace(['&', '='], "_"));
    }
    out
}

/// The pairs of a canonical utm string.
pub fn utm_pairs(canonical: &str) -> impl Iterator<Item = (&str, &str)> {
    canonical
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// `ses_` and 20 hex digits, kept as its 10 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub [u8; 10]);

impl SessionId {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.strip_prefix("ses_")?).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ses_{}", hex::encode(self.0))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    /// Time of the event that opened the session. Unlike `started_at` (which a late event can move
    /// earlier) it never changes, so downstream tables partition and order by it.
    pub opened_at: i64,
    pub started_at: i64,
    pub last_seen: i64,
    pub entry_url: Arc<str>,
    pub exit_url: Arc<str>,
    pub pageviews: u32,
    pub events: u32,
    pub conversions: u32,
    /// Bumped on every change; the newest version of a session wins downstream.
    pub version: u32,
    pub conversion_value: f64,
    /// First touch: the earliest event's referrer, channel, AI source and utm.
    pub referrer: Option<Arc<str>>,
    pub channel: Option<Channel>,
    pub ai_source: Option<Arc<str>>,
    pub utm: Arc<str>,
    /// Fingerprints of the events applied, so a retried beacon (same event id) counts once.
    pub seen: Box<[u32]>,
}

/// The visitor's most recent visit that an AI assistant sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AiTouch {
    pub source: Arc<str>,
    pub at: i64,
}

/// Everything kept per visitor of one input partition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visitor {
    /// Open sessions, ordered by start (more than one only when a late event opened an earlier one).
    pub sessions: Vec<Session>,
    pub last_ai_touch: Option<AiTouch>,
    /// Offset of the newest input record applied for this visitor: after a restore, input at or
    /// below it is already in the state and is skipped instead of applied twice.
    pub applied_offset: i64,
}

/// A stable 32-bit fingerprint of an event id (FNV-1a). Stable across processes, unlike std's
/// hasher, because fingerprints travel in the changelog.
pub fn fingerprint(event_id: &str) -> u32 {
    event_id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

impl Session {
    pub fn start(id: SessionId, visit: &Visit<'_>, strings: &mut Interner) -> Self {
        let url = strings.intern(visit.url);
        let mut session = Self {
            id,
            opened_at: visit.ts,
            started_at: visit.ts,
            last_seen: visit.ts,
            entry_url: url.clone(),
            exit_url: url,
            pageviews: 0,
            events: 0,
            conversions: 0,
            version: 0,
            conversion_value: 0.0,
            referrer: visit.referrer.map(|r| strings.intern(r)),
            channel: visit.channel,
            ai_source: visit.ai_source.map(|s| strings.intern(s)),
            utm: strings.intern(visit.utm),
            seen: Box::new([]),
        };
        session.add(visit, strings);
        session
    }

    pub fn duration_ms(&self) -> i64 {
        self.last_seen - self.started_at
    }

    /// Adds an event wherever it falls in time: earlier than the start makes it the entry and the
    /// first touch, later than the last makes it the exit. False for a retried beacon.
    pub fn add(&mut self, visit: &Visit<'_>, strings: &mut Interner) -> bool {
        let print = fingerprint(visit.event_id);
        if self.seen.contains(&print) {
            return false;
        }
        let mut seen = std::mem::take(&mut self.seen).into_vec();
        seen.push(print);
        self.seen = seen.into_boxed_slice();
        if visit.ts < self.started_at {
            self.started_at = visit.ts;
            self.entry_url = strings.intern(visit.url);
            self.referrer = visit.referrer.map(|r| strings.intern(r));
            self.channel = visit.channel;
            self.ai_source = visit.ai_source.map(|s| strings.intern(s));
            self.utm = strings.intern(visit.utm);
        }
        if visit.ts >= self.last_seen {
            self.last_seen = visit.ts;
            self.exit_url = strings.intern(visit.url);
        }
        self.events += 1;
        match visit.event_type {
            EventType::Pageview => self.pageviews += 1,
            EventType::Conversion => {
                self.conversions += 1;
                self.conversion_value += visit.value.unwrap_or(0.0);
            }
            _ => {}
        }
        self.version += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_print_and_parse_back() {
        let id = SessionId([0xab; 10]);
        assert_eq!(id.to_string(), format!("ses_{}", "ab".repeat(10)));
        assert_eq!(SessionId::parse(&id.to_string()), Some(id));
        assert_eq!(SessionId::parse("ses_abc"), None);
        assert_eq!(SessionId::parse("abababababababababab"), None);
    }

    #[test]
    fn utm_sets_have_one_canonical_form() {
        let a = canonical_utm([("utm_source", "chatgpt.com"), ("utm_campaign", "x")]);
        let b = canonical_utm([("utm_campaign", "x"), ("utm_source", "chatgpt.com")]);
        assert_eq!(a, b);
        assert_eq!(
            utm_pairs(&a).collect::<Vec<_>>(),
            [("utm_campaign", "x"), ("utm_source", "chatgpt.com")]
        );
        // Separators inside values cannot forge another pair.
        let tricky = canonical_utm([("utm_term", "a&utm_source=evil")]);
        assert_eq!(utm_pairs(&tricky).count(), 1);
        assert_eq!(utm_pairs("").count(), 0);
    }
}
