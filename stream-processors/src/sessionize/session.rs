//! One visitor's session and the event fields it is built from.

use std::collections::BTreeMap;

/// What the sessionizer needs of an enriched event.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub event_id: String,
    pub ts: i64,
    pub property_id: i64,
    pub visitor_id: String,
    pub event_type: String,
    pub url: String,
    pub path: String,
    pub referrer: Option<String>,
    pub channel: String,
    pub ai_source: Option<String>,
    pub utm: BTreeMap<String, String>,
}

/// One step of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub ts: i64,
    pub event_type: String,
    pub path: String,
    pub event_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub session_id: String,
    pub property_id: i64,
    pub visitor_id: String,
    pub started_at: i64,
    pub last_seen: i64,
    pub entry_url: String,
    pub exit_url: String,
    pub pageviews: u32,
    pub events: u32,
    pub conversions: u32,
    /// First touch: the earliest event's referrer, channel, AI source and utm.
    pub referrer: Option<String>,
    pub channel: String,
    pub ai_source: Option<String>,
    pub utm: BTreeMap<String, String>,
    pub journey: Vec<Step>,
    /// Bumped on every change; the newest version of a session wins downstream.
    pub version: u64,
}

impl Session {
    pub fn start(session_id: String, visit: &Visit) -> Self {
        let mut session = Self {
            session_id,
            property_id: visit.property_id,
            visitor_id: visit.visitor_id.clone(),
            started_at: visit.ts,
            last_seen: visit.ts,
            entry_url: visit.url.clone(),
            exit_url: visit.url.clone(),
            pageviews: 0,
            events: 0,
            conversions: 0,
            referrer: visit.referrer.clone(),
            channel: visit.channel.clone(),
            ai_source: visit.ai_source.clone(),
            utm: visit.utm.clone(),
            journey: Vec::new(),
            version: 0,
        };
        session.add(visit);
        session
    }

    pub fn duration_ms(&self) -> i64 {
        self.last_seen - self.started_at
    }

    /// Adds an event wherever it falls in time: earlier than the start makes it the entry and the
    /// first touch, later than the last makes it the exit.
    pub fn add(&mut self, visit: &Visit) {
        if self.journey.iter().any(|s| s.event_id == visit.event_id) {
            return; // a retried beacon
        }
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
            "conversion" => self.conversions += 1,
            _ => {}
        }
        let at = self.journey.partition_point(|s| s.ts <= visit.ts);
        self.journey.insert(
            at,
            Step {
                ts: visit.ts,
                event_type: visit.event_type.clone(),
                path: visit.path.clone(),
                event_id: visit.event_id.clone(),
            },
        );
        self.version += 1;
    }
}
