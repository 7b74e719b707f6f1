//! One visitor's session, the visitor's state around it, and the event fields they are built from.
//! Journeys are not held here: every event row carries its session id, so a journey is a query
//! on `events`, and the state per active visitor stays a few hundred bytes.

use std::collections::BTreeMap;

/// What the sessionizer needs of an enriched tag event.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub event_id: String,
    pub ts: i64,
    pub property_id: i64,
    pub visitor_id: String,
    pub event_type: String,
    pub url: String,
    pub referrer: Option<String>,
    pub channel: String,
    pub ai_source: Option<String>,
    pub utm: BTreeMap<String, String>,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub session_id: String,
    /// Time of the event that opened the session. Unlike `started_at` (which a late event can move
    /// earlier) it never changes, so downstream tables partition and order by it.
    pub opened_at: i64,
    pub started_at: i64,
    pub last_seen: i64,
    pub entry_url: String,
    pub exit_url: String,
    pub pageviews: u32,
    pub events: u32,
    pub conversions: u32,
    pub conversion_value: f64,
    /// First touch: the earliest event's referrer, channel, AI source and utm.
    pub referrer: Option<String>,
    pub channel: String,
    pub ai_source: Option<String>,
    pub utm: BTreeMap<String, String>,
    /// Fingerprints of the events applied, so a retried beacon (same event id) counts once.
    pub seen: Vec<u32>,
    /// Bumped on every change; the newest version of a session wins downstream.
    pub version: u64,
}

/// The visitor's most recent visit that an AI assistant sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AiTouch {
    pub source: String,
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
    pub fn start(session_id: String, visit: &Visit) -> Self {
        let mut session = Self {
            session_id,
            opened_at: visit.ts,
            started_at: visit.ts,
            last_seen: visit.ts,
            entry_url: visit.url.clone(),
            exit_url: visit.url.clone(),
            pageviews: 0,
            events: 0,
            conversions: 0,
            conversion_value: 0.0,
            referrer: visit.referrer.clone(),
            channel: visit.channel.clone(),
            ai_source: visit.ai_source.clone(),
            utm: visit.utm.clone(),
            seen: Vec::new(),
            version: 0,
        };
        session.add(visit);
        session
    }

    pub fn duration_ms(&self) -> i64 {
        self.last_seen - self.started_at
    }

    /// Adds an event wherever it falls in time: earlier than the start makes it the entry and the
    /// first touch, later than the last makes it the exit. False for a retried beacon.
    pub fn add(&mut self, visit: &Visit) -> bool {
        let print = fingerprint(&visit.event_id);
        if self.seen.contains(&print) {
            return false;
        }
        self.seen.push(print);
        if visit.ts < self.started_at {
            self.started_at = visit.ts;
            self.entry_url = visit.url.clone();
            self.referrer = visit.referrer.clone();
            self.channel = visit.channel.clone();
            self.ai_source = visit.ai_source.clone();
            self.utm = visit.utm.clone();
        }
        if visit.ts >= self.last_seen {
            self.last_seen = visit.ts;
            self.exit_url = visit.url.clone();
        }
        self.events += 1;
        match visit.event_type.as_str() {
            "pageview" => self.pageviews += 1,
            "conversion" => {
                self.conversions += 1;
                self.conversion_value += visit.value.unwrap_or(0.0);
            }
            _ => {}
        }
        self.version += 1;
        true
    }
}
