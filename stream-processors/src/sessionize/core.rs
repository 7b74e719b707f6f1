//! Sessions per property + visitor: a new one after 30 minutes of inactivity or 24 hours in all.
//! Late and out-of-order events within the allowed lateness land in the session they belong to.
//! Pure and deterministic: the same input in the same order gives the same output, so a restore
//! followed by a replay changes nothing.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::session::{Session, Visit};

#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    pub inactivity_ms: i64,
    pub max_duration_ms: i64,
    /// How far behind the newest event time an event may arrive and still be placed.
    pub lateness_ms: i64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            inactivity_ms: 30 * 60_000,
            max_duration_ms: 24 * 3_600_000,
            lateness_ms: 10 * 60_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The session's full state after this event.
    Updated {
        event_id: String,
        session: Box<Session>,
    },
    /// Older than the allowed lateness: not placed (a dead letter, `timestamp_out_of_range`).
    TooLate { event_id: String },
    /// Closed for good: no event within the lateness can reach it any more.
    Closed { session_id: String },
}

pub struct Sessionizer {
    config: SessionConfig,
    /// Open sessions per (property, visitor), ordered by start.
    open: HashMap<(i64, String), Vec<Session>>,
    watermark: i64,
    /// Watermark of the last sweep for closed sessions. Sweeping visits every open session, so it
    /// runs when the watermark enters a new minute of event time, not per event; minutes are fixed
    /// boundaries, so a restored processor sweeps where an uninterrupted one would.
    swept_at: i64,
}

const SWEEP_EVERY_MS: i64 = 60_000;

impl Sessionizer {
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            open: HashMap::new(),
            watermark: i64::MIN,
            swept_at: i64::MIN,
        }
    }

    /// Restores a session from its changelog record (on partition assignment), without output.
    pub fn restore(&mut self, session: Session) {
        self.watermark = self.watermark.max(session.last_seen);
        self.swept_at = self.watermark;
        let list = self
            .open
            .entry((session.property_id, session.visitor_id.clone()))
            .or_default();
        match list.iter_mut().find(|s| s.session_id == session.session_id) {
            Some(existing) if existing.version >= session.version => {}
            Some(existing) => *existing = session,
            None => list.push(session),
        }
        list.sort_by_key(|s| s.started_at);
    }

    pub fn open_sessions(&self) -> usize {
        self.open.values().map(Vec::len).sum()
    }

    pub fn apply(&mut self, visit: &Visit) -> Vec<Output> {
        if self.watermark != i64::MIN && visit.ts < self.watermark - self.config.lateness_ms {
            return vec![Output::TooLate {
                event_id: visit.event_id.clone(),
            }];
        }
        self.watermark = self.watermark.max(visit.ts);
        let config = self.config;
        let list = self
            .open
            .entry((visit.property_id, visit.visitor_id.clone()))
            .or_default();
        let fits = |s: &Session| {
            let start = s.started_at.min(visit.ts);
            let end = s.last_seen.max(visit.ts);
            visit.ts >= s.started_at - config.inactivity_ms
                && visit.ts <= s.last_seen + config.inactivity_ms
                && end - start <= config.max_duration_ms
        };
        let session = match list.iter().position(fits) {
            Some(i) => {
                list[i].add(visit);
                list[i].clone()
            }
            None => {
                let session = Session::start(session_id(visit), visit);
                let at = list.partition_point(|s| s.started_at <= visit.ts);
                list.insert(at, session.clone());
                session
            }
        };
        let mut out = vec![Output::Updated {
            event_id: visit.event_id.clone(),
            session: Box::new(session),
        }];
        if self.watermark.div_euclid(SWEEP_EVERY_MS) > self.swept_at.div_euclid(SWEEP_EVERY_MS) {
            self.swept_at = self.watermark;
            out.extend(self.close_expired());
        }
        out
    }

    /// Forgets sessions no event within the lateness can still reach.
    fn close_expired(&mut self) -> Vec<Output> {
        let horizon = self.watermark - self.config.lateness_ms - self.config.inactivity_ms;
        let mut closed = Vec::new();
        self.open.retain(|_, list| {
            list.retain(|s| {
                let keep = s.last_seen >= horizon;
                if !keep {
                    closed.push(Output::Closed {
                        session_id: s.session_id.clone(),
                    });
                }
                keep
            });
            !list.is_empty()
        });
        closed
    }
}

/// Deterministic from the event that opened the session, so a replay names it the same.
fn session_id(visit: &Visit) -> String {
    let digest = Sha256::new()
        .chain_update(visit.property_id.to_be_bytes())
        .chain_update(visit.visitor_id.as_bytes())
        .chain_update([0])
        .chain_update(visit.event_id.as_bytes())
        .finalize();
    format!("ses_{}", hex::encode(&digest[..10]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn visit(id: &str, visitor: &str, minute: i64, event_type: &str, path: &str) -> Visit {
        Visit {
            event_id: id.into(),
            ts: 1_700_000_000_000 + minute * MIN,
            property_id: 1,
            visitor_id: visitor.into(),
            event_type: event_type.into(),
            url: format!("https://acme.com{path}"),
            path: path.into(),
            referrer: None,
            channel: "direct".into(),
            ai_source: None,
            utm: Default::default(),
        }
    }

    fn session_of(out: &[Output]) -> &Session {
        match &out[0] {
            Output::Updated { session, .. } => session,
            other => panic!("expected an update, got {other:?}"),
        }
    }

    #[test]
    fn thirty_minutes_of_inactivity_starts_a_new_session() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let a = session_of(&s.apply(&visit("e1", "v", 0, "pageview", "/"))).clone();
        let b = session_of(&s.apply(&visit("e2", "v", 29, "pageview", "/pricing"))).clone();
        let c = session_of(&s.apply(&visit("e3", "v", 29 + 31, "pageview", "/docs"))).clone();
        assert_eq!(a.session_id, b.session_id);
        assert_ne!(b.session_id, c.session_id);
        assert_eq!(
            (b.entry_url.as_str(), b.exit_url.as_str()),
            ("https://acme.com/", "https://acme.com/pricing")
        );
        assert_eq!((b.pageviews, b.events, b.duration_ms()), (2, 2, 29 * MIN));
        // Another visitor at the same time has a session of their own.
        let other = session_of(&s.apply(&visit("e4", "w", 60, "pageview", "/"))).clone();
        assert_ne!(other.session_id, b.session_id);
    }

    #[test]
    fn a_session_ends_after_24_hours_even_when_active() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let first = session_of(&s.apply(&visit("e0", "v", 0, "pageview", "/")))
            .session_id
            .clone();
        let mut last = first.clone();
        for i in 1..=50 {
            last = session_of(&s.apply(&visit(&format!("e{i}"), "v", i * 29, "pageview", "/")))
                .session_id
                .clone();
        }
        // 50 × 29 min ≈ 24.2 h: the last events belong to a second session.
        assert_ne!(first, last);
    }

    #[test]
    fn late_and_out_of_order_events_land_in_their_session() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.apply(&visit("e2", "v", 10, "pageview", "/pricing"));
        // Arrives later but happened first: becomes the entry page and the first touch.
        let mut early = visit("e1", "v", 5, "pageview", "/landing");
        early.ai_source = Some("ChatGPT".into());
        early.channel = "ai".into();
        let session = session_of(&s.apply(&early)).clone();
        assert_eq!(session.entry_url, "https://acme.com/landing");
        assert_eq!(session.exit_url, "https://acme.com/pricing");
        assert_eq!(session.ai_source.as_deref(), Some("ChatGPT"));
        let order: Vec<&str> = session
            .journey
            .iter()
            .map(|j| j.event_id.as_str())
            .collect();
        assert_eq!(order, ["e1", "e2"]);
        // A retried beacon changes nothing.
        let again = session_of(&s.apply(&visit("e2", "v", 10, "pageview", "/pricing"))).clone();
        assert_eq!(again.events, 2);
        // Beyond the lateness it is refused.
        s.apply(&visit("e3", "v", 60, "pageview", "/"));
        assert_eq!(
            s.apply(&visit("e0", "v", 40, "pageview", "/")),
            vec![Output::TooLate {
                event_id: "e0".into()
            }]
        );
    }

    #[test]
    fn restoring_then_continuing_gives_the_same_output_as_never_stopping() {
        let events: Vec<Visit> = (0..12)
            .map(|i| {
                visit(
                    &format!("e{i}"),
                    if i % 3 == 0 { "a" } else { "b" },
                    i * 7,
                    "pageview",
                    "/",
                )
            })
            .collect();
        let mut straight = Sessionizer::new(SessionConfig::default());
        let expected: Vec<Output> = events.iter().flat_map(|e| straight.apply(e)).collect();

        let mut first = Sessionizer::new(SessionConfig::default());
        let mut got: Vec<Output> = events[..5].iter().flat_map(|e| first.apply(e)).collect();
        // What the changelog holds: the latest state of every session so far.
        let mut latest: HashMap<String, Session> = HashMap::new();
        for o in &got {
            if let Output::Updated { session, .. } = o {
                latest.insert(session.session_id.clone(), (**session).clone());
            }
        }
        let mut second = Sessionizer::new(SessionConfig::default());
        for session in latest.into_values() {
            second.restore(session);
        }
        got.extend(events[5..].iter().flat_map(|e| second.apply(e)));
        assert_eq!(got, expected);
    }

    #[test]
    fn quiet_sessions_are_closed_and_forgotten() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.apply(&visit("e1", "v", 0, "pageview", "/"));
        assert_eq!(s.open_sessions(), 1);
        let out = s.apply(&visit("e2", "w", 45, "pageview", "/"));
        assert!(out.iter().any(|o| matches!(o, Output::Closed { .. })));
        assert_eq!(s.open_sessions(), 1);
    }
}
