//! Sessions per property + visitor: a new one after 30 minutes of inactivity or 24 hours in all.
//! Late and out-of-order events within the allowed lateness land in the session they belong to.
//! One `Sessionizer` per input partition. Pure and deterministic: the same input in the same
//! order gives the same output, so a restore followed by a replay changes nothing.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use super::interner::Interner;
use super::session::{AiTouch, Session, SessionId, Visit, Visitor};

#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    pub inactivity_ms: i64,
    pub max_duration_ms: i64,
    /// How far behind the newest event time an event may arrive and still be placed.
    pub lateness_ms: i64,
    /// How far back a visitor's last AI touch is credited with a conversion.
    pub attribution_lookback_ms: i64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            inactivity_ms: 30 * 60_000,
            max_duration_ms: 24 * 3_600_000,
            lateness_ms: 10 * 60_000,
            attribution_lookback_ms: 30 * 24 * 3_600_000,
        }
    }
}

impl SessionConfig {
    pub fn with_lookback_days(days: u32) -> Self {
        Self {
            attribution_lookback_ms: i64::from(days) * 86_400_000,
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Placed(Box<Placement>),
    /// The restored state already holds this input record (it was applied before a restart).
    AlreadyApplied,
    /// Older than the allowed lateness: kept as an event, but not placed in a session.
    TooLate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The session's full state after the event.
    pub session: Session,
    /// False for a retried beacon, which the session already counted.
    pub changed: bool,
    /// The visitor's latest AI touch at or before the event and within the lookback: what a
    /// conversion is credited to.
    pub last_ai_touch: Option<AiTouch>,
    /// The visitor's latest AI touch whatever its time: what the changelog carries.
    pub visitor_ai_touch: Option<AiTouch>,
}

/// One session as the changelog holds it, with the visitor state that travels along.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub property_id: i64,
    pub visitor_id: String,
    pub session: Session,
    pub last_ai_touch: Option<AiTouch>,
    pub applied_offset: i64,
    pub watermark: i64,
}

/// A visitor, known by a 128-bit hash of property and visitor id: 16 bytes instead of a copy of
/// the id. Only ever in memory (a restore recomputes it), so the hasher need not be stable
/// across builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct VisitorKey(u64, u64);

fn visitor_key(property_id: i64, visitor_id: &str) -> VisitorKey {
    let half = |seed: u8| {
        let mut hasher = std::hash::DefaultHasher::new();
        seed.hash(&mut hasher);
        property_id.hash(&mut hasher);
        visitor_id.hash(&mut hasher);
        hasher.finish()
    };
    VisitorKey(half(1), half(2))
}

pub struct Sessionizer {
    config: SessionConfig,
    visitors: HashMap<VisitorKey, Visitor>,
    strings: Interner,
    watermark: i64,
    /// Watermark of the last sweep for closed sessions. Sweeping visits every visitor, so it runs
    /// when the watermark enters a new minute of event time, not per event.
    swept_at: i64,
}

const SWEEP_EVERY_MS: i64 = 60_000;

impl Sessionizer {
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            visitors: HashMap::new(),
            strings: Interner::default(),
            watermark: i64::MIN,
            swept_at: i64::MIN,
        }
    }

    /// The newest event time seen; travels in the changelog so a restore resumes with it.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Folds one changelog record into the state (on partition assignment), without output. The
    /// newest version of each session wins, whatever order the records come in.
    pub fn restore(&mut self, record: Restored) {
        self.watermark = self.watermark.max(record.watermark);
        let strings = &mut self.strings;
        let visitor = self
            .visitors
            .entry(visitor_key(record.property_id, &record.visitor_id))
            .or_insert_with(|| Visitor {
                // Not Default's 0: a record moved here by a partition rebuild has applied
                // nothing of this partition (-1), and offset 0 is then its first input.
                applied_offset: i64::MIN,
                ..Visitor::default()
            });
        visitor.applied_offset = visitor.applied_offset.max(record.applied_offset);
        if let Some(touch) = record.last_ai_touch {
            if visitor
                .last_ai_touch
                .as_ref()
                .is_none_or(|t| t.at < touch.at)
            {
                visitor.last_ai_touch = Some(AiTouch {
                    source: strings.intern(&touch.source),
                    at: touch.at,
                });
            }
        }
        let mut session = record.session;
        session.entry_url = strings.intern(&session.entry_url);
        session.exit_url = strings.intern(&session.exit_url);
        session.referrer = session.referrer.map(|r| strings.intern(&r));
        session.ai_source = session.ai_source.map(|a| strings.intern(&a));
        session.utm = strings.intern(&session.utm);
        let sessions = &mut visitor.sessions;
        match sessions.iter_mut().find(|s| s.id == session.id) {
            Some(existing) if existing.version >= session.version => {}
            Some(existing) => *existing = session,
            None => sessions.push(session),
        }
        sessions.sort_by_key(|s| s.started_at);
    }

    /// A changelog tombstone: the visitor's state moved to another partition (a partition
    /// rebuild) and nothing of it stays here.
    pub fn forget(&mut self, property_id: i64, visitor_id: &str) {
        self.visitors.remove(&visitor_key(property_id, visitor_id));
    }

    /// After the last restored record: forgets what an uninterrupted run would have forgotten.
    pub fn finish_restore(&mut self) {
        self.swept_at = self.watermark;
        self.sweep();
    }

    pub fn open_sessions(&self) -> usize {
        self.visitors.values().map(|v| v.sessions.len()).sum()
    }

    pub fn visitors(&self) -> usize {
        self.visitors.len()
    }

    /// Places the event read at `offset` of this partition.
    pub fn apply(&mut self, visit: &Visit<'_>, offset: i64) -> Applied {
        let key = visitor_key(visit.property_id, visit.visitor_id);
        if self
            .visitors
            .get(&key)
            .is_some_and(|v| offset <= v.applied_offset)
        {
            return Applied::AlreadyApplied;
        }
        if self.watermark != i64::MIN && visit.ts < self.watermark - self.config.lateness_ms {
            return Applied::TooLate;
        }
        self.watermark = self.watermark.max(visit.ts);
        let config = self.config;
        let strings = &mut self.strings;
        let visitor = self.visitors.entry(key).or_default();
        visitor.applied_offset = offset;
        if let Some(source) = visit.ai_source {
            if visitor
                .last_ai_touch
                .as_ref()
                .is_none_or(|t| t.at <= visit.ts)
            {
                visitor.last_ai_touch = Some(AiTouch {
                    source: strings.intern(source),
                    at: visit.ts,
                });
            }
        }
        let visitor_ai_touch = visitor.last_ai_touch.clone();
        let last_ai_touch = visitor_ai_touch
            .clone()
            .filter(|t| t.at <= visit.ts && visit.ts - t.at <= config.attribution_lookback_ms);
        let fits = |s: &Session| {
            let start = s.started_at.min(visit.ts);
            let end = s.last_seen.max(visit.ts);
            visit.ts >= s.started_at - config.inactivity_ms
                && visit.ts <= s.last_seen + config.inactivity_ms
                && end - start <= config.max_duration_ms
        };
        let sessions = &mut visitor.sessions;
        let (session, changed) = match sessions.iter().position(fits) {
            Some(i) => {
                let changed = sessions[i].add(visit, strings);
                (sessions[i].clone(), changed)
            }
            None => {
                let session = Session::start(session_id(visit), visit, strings);
                let at = sessions.partition_point(|s| s.started_at <= visit.ts);
                // Exactly: a Vec grows to 4 elements on its first push, 3 of them never used
                // by almost every visitor.
                sessions.reserve_exact(1);
                sessions.insert(at, session.clone());
                (session, true)
            }
        };
        if self.watermark.div_euclid(SWEEP_EVERY_MS) > self.swept_at.div_euclid(SWEEP_EVERY_MS) {
            self.swept_at = self.watermark;
            self.sweep();
        }
        Applied::Placed(Box::new(Placement {
            session,
            changed,
            last_ai_touch,
            visitor_ai_touch,
        }))
    }

    /// Forgets sessions no event within the lateness can still reach, and visitors with neither
    /// an open session nor an AI touch inside the lookback. Their last state is already in the
    /// changelog and in ClickHouse; closing emits nothing.
    fn sweep(&mut self) {
        let horizon = self
            .watermark
            .saturating_sub(self.config.lateness_ms + self.config.inactivity_ms);
        let touch_horizon = self
            .watermark
            .saturating_sub(self.config.attribution_lookback_ms);
        self.visitors.retain(|_, visitor| {
            visitor.sessions.retain(|s| s.last_seen >= horizon);
            !visitor.sessions.is_empty()
                || visitor
                    .last_ai_touch
                    .as_ref()
                    .is_some_and(|t| t.at >= touch_horizon)
        });
        self.strings.sweep();
    }
}

/// Deterministic from the event that opened the session, so a replay names it the same.
fn session_id(visit: &Visit<'_>) -> SessionId {
    let digest = Sha256::new()
        .chain_update(visit.property_id.to_be_bytes())
        .chain_update(visit.visitor_id.as_bytes())
        .chain_update([0])
        .chain_update(visit.event_id.as_bytes())
        .finalize();
    let mut id = [0u8; 10];
    id.copy_from_slice(&digest[..10]);
    SessionId(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemas::vocab::{Channel, EventType};

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MIN;

    fn leak(text: String) -> &'static str {
        text.leak()
    }

    fn visit(
        id: &str,
        visitor: &'static str,
        minute: i64,
        event_type: EventType,
        path: &str,
    ) -> Visit<'static> {
        Visit {
            event_id: leak(id.to_owned()),
            ts: 1_700_000_000_000 + minute * MIN,
            property_id: 1,
            visitor_id: visitor,
            event_type,
            url: leak(format!("https://acme.com{path}")),
            referrer: None,
            channel: Some(Channel::Direct),
            ai_source: None,
            utm: "",
            value: None,
        }
    }

    fn from_ai(mut v: Visit<'static>, source: &'static str) -> Visit<'static> {
        v.ai_source = Some(source);
        v.channel = Some(Channel::Ai);
        v
    }

    /// Applies events at consecutive offsets starting from `first_offset`.
    fn run(s: &mut Sessionizer, events: &[Visit<'_>], first_offset: i64) -> Vec<Applied> {
        events
            .iter()
            .enumerate()
            .map(|(i, e)| s.apply(e, first_offset + i as i64))
            .collect()
    }

    fn placed(applied: Applied) -> Placement {
        match applied {
            Applied::Placed(p) => *p,
            other => panic!("expected a placement, got {other:?}"),
        }
    }

    /// The state `visitor` has in `s`, as a changelog record moved to another partition by a
    /// partition rebuild (nothing of the new partition applied).
    fn moved(s: &Sessionizer, visitor: &str, session: Session) -> Restored {
        Restored {
            property_id: 1,
            visitor_id: visitor.to_owned(),
            session,
            last_ai_touch: s.visitors[&visitor_key(1, visitor)].last_ai_touch.clone(),
            applied_offset: -1,
            watermark: s.watermark(),
        }
    }

    #[test]
    fn a_visitor_moved_to_a_new_partition_continues_its_session_from_offset_zero() {
        let mut old = Sessionizer::new(SessionConfig::default());
        let first = placed(old.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 40)).session;
        let mut new = Sessionizer::new(SessionConfig::default());
        new.restore(moved(&old, "v", first.clone()));
        new.finish_restore();
        // The new partition's first record is at offset 0, below the old partition's 40.
        let next = placed(new.apply(&visit("e2", "v", 5, EventType::Pageview, "/docs"), 0));
        assert!(next.changed);
        assert_eq!(next.session.id, first.id);
        assert_eq!(next.session.pageviews, 2);
    }

    #[test]
    fn a_tombstone_forgets_the_visitor_and_a_later_record_brings_it_back() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let first = placed(s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 0)).session;
        let mut restored = Sessionizer::new(SessionConfig::default());
        restored.restore(moved(&s, "v", first.clone()));
        restored.forget(1, "v");
        assert_eq!(restored.visitors(), 0);
        restored.restore(moved(&s, "v", first));
        restored.finish_restore();
        assert_eq!(restored.visitors(), 1);
    }

    #[test]
    fn thirty_minutes_of_inactivity_starts_a_new_session() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let a = placed(s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 0)).session;
        let b = placed(s.apply(&visit("e2", "v", 29, EventType::Pageview, "/pricing"), 1)).session;
        let c =
            placed(s.apply(&visit("e3", "v", 29 + 31, EventType::Pageview, "/docs"), 2)).session;
        assert_eq!(a.id, b.id);
        assert_ne!(b.id, c.id);
        assert_eq!(
            (&*b.entry_url, &*b.exit_url),
            ("https://acme.com/", "https://acme.com/pricing")
        );
        assert_eq!((b.pageviews, b.events, b.duration_ms()), (2, 2, 29 * MIN));
        // Another visitor at the same time has a session of their own.
        let other = placed(s.apply(&visit("e4", "w", 60, EventType::Pageview, "/"), 3)).session;
        assert_ne!(other.id, b.id);
    }

    #[test]
    fn a_session_ends_after_24_hours_even_when_active() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let first = placed(s.apply(&visit("e0", "v", 0, EventType::Pageview, "/"), 0))
            .session
            .id;
        let mut last = first;
        for i in 1..=50 {
            let v = visit(&format!("e{i}"), "v", i * 29, EventType::Pageview, "/");
            last = placed(s.apply(&v, i)).session.id;
        }
        // 50 × 29 min ≈ 24.2 h: the last events belong to a second session.
        assert_ne!(first, last);
    }

    #[test]
    fn late_and_out_of_order_events_land_in_their_session() {
        let mut s = Sessionizer::new(SessionConfig::default());
        let opened =
            placed(s.apply(&visit("e2", "v", 10, EventType::Pageview, "/pricing"), 0)).session;
        // Arrives later but happened first: becomes the entry page and the first touch.
        let early = from_ai(
            visit("e1", "v", 5, EventType::Pageview, "/landing"),
            "ChatGPT",
        );
        let session = placed(s.apply(&early, 1)).session;
        assert_eq!(session.id, opened.id);
        assert_eq!(&*session.entry_url, "https://acme.com/landing");
        assert_eq!(&*session.exit_url, "https://acme.com/pricing");
        assert_eq!(session.ai_source.as_deref(), Some("ChatGPT"));
        assert_eq!(session.started_at, early.ts);
        assert_eq!(
            session.opened_at, opened.opened_at,
            "opening time never moves"
        );
        // A retried beacon changes nothing.
        let again = placed(s.apply(&visit("e2", "v", 10, EventType::Pageview, "/pricing"), 2));
        assert!(!again.changed);
        assert_eq!(again.session.events, 2);
        // Beyond the lateness it is refused.
        s.apply(&visit("e3", "v", 60, EventType::Pageview, "/"), 3);
        assert_eq!(
            s.apply(&visit("e0", "v", 40, EventType::Pageview, "/"), 4),
            Applied::TooLate
        );
    }

    #[test]
    fn conversions_see_the_last_ai_touch_within_the_lookback() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.apply(
            &from_ai(visit("e1", "v", 0, EventType::Pageview, "/"), "Perplexity"),
            0,
        );
        // Days later, in a session that came from search, the visitor converts.
        let mut buy = visit("e2", "v", 3 * DAY / MIN, EventType::Conversion, "/thanks");
        buy.value = Some(49.0);
        let p = placed(s.apply(&buy, 1));
        assert_eq!(p.session.ai_source, None, "the session itself was not AI");
        assert_eq!(
            p.last_ai_touch.as_ref().map(|t| &*t.source),
            Some("Perplexity")
        );
        assert_eq!(
            (p.session.conversions, p.session.conversion_value),
            (1, 49.0)
        );
        // After the lookback the touch no longer counts.
        let late = visit("e3", "v", 40 * DAY / MIN, EventType::Conversion, "/thanks");
        assert_eq!(placed(s.apply(&late, 2)).last_ai_touch, None);
    }

    #[test]
    fn input_the_restored_state_already_holds_is_skipped() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 7);
        assert_eq!(
            s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 7),
            Applied::AlreadyApplied
        );
        assert!(
            matches!(
                s.apply(&visit("e2", "w", 0, EventType::Pageview, "/"), 5),
                Applied::Placed(_)
            ),
            "the offset is tracked per visitor"
        );
    }

    #[test]
    fn restoring_then_continuing_gives_the_same_output_as_never_stopping() {
        let events: Vec<Visit> = (0..40)
            .map(|i| {
                let v = visit(
                    &format!("e{i}"),
                    ["a", "b", "c"][i as usize % 3],
                    i * 7,
                    if i % 5 == 4 {
                        EventType::Conversion
                    } else {
                        EventType::Pageview
                    },
                    "/",
                );
                if i % 6 == 0 {
                    from_ai(v, "Claude")
                } else {
                    v
                }
            })
            .collect();
        let mut straight = Sessionizer::new(SessionConfig::default());
        let expected = run(&mut straight, &events, 0);

        // Stops after 17 events; the changelog holds the newest state of every session so far,
        // including a batch (events 12..17) whose offsets were never committed.
        let mut first = Sessionizer::new(SessionConfig::default());
        let mut got = run(&mut first, &events[..17], 0);
        let mut changelog = Vec::new();
        for (offset, applied) in got.iter().enumerate() {
            if let Applied::Placed(p) = applied {
                changelog.push(Restored {
                    property_id: 1,
                    visitor_id: events[offset].visitor_id.to_owned(),
                    session: p.session.clone(),
                    last_ai_touch: first.visitors[&visitor_key(1, events[offset].visitor_id)]
                        .last_ai_touch
                        .clone(),
                    applied_offset: offset as i64,
                    watermark: first.watermark(),
                });
            }
        }
        changelog.reverse(); // order of records does not matter
        let mut second = Sessionizer::new(SessionConfig::default());
        for record in changelog {
            second.restore(record);
        }
        second.finish_restore();
        // Resumes from the last committed offset (12): the replayed five are recognised.
        let replayed = run(&mut second, &events[12..17], 12);
        assert!(replayed.iter().all(|a| *a == Applied::AlreadyApplied));
        got.extend(run(&mut second, &events[17..], 17));
        assert_eq!(got, expected);
    }

    #[test]
    fn restoring_an_empty_changelog_gives_an_empty_sessionizer() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.finish_restore();
        assert_eq!(s.visitors(), 0);
        assert!(matches!(
            s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 0),
            Applied::Placed(_)
        ));
    }

    #[test]
    fn quiet_sessions_and_visitors_are_forgotten() {
        let mut s = Sessionizer::new(SessionConfig::default());
        s.apply(&visit("e1", "v", 0, EventType::Pageview, "/"), 0);
        s.apply(
            &from_ai(visit("e2", "a", 0, EventType::Pageview, "/"), "Gemini"),
            1,
        );
        assert_eq!((s.open_sessions(), s.visitors()), (2, 2));
        s.apply(&visit("e3", "w", 45, EventType::Pageview, "/"), 2);
        // v is gone; a keeps its AI touch for the lookback without an open session.
        assert_eq!((s.open_sessions(), s.visitors()), (1, 2));
        s.apply(
            &visit("e4", "w", 31 * DAY / MIN, EventType::Pageview, "/"),
            3,
        );
        assert_eq!((s.open_sessions(), s.visitors()), (1, 1));
    }
}
