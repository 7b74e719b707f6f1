//! Magic-link tokens and sessions, held by the query-api process (its only instance writes the
//! control plane too). Only hashes of the secrets are kept, so a memory dump signs nobody in. A
//! restart signs everybody out, which is the safe direction.

use std::collections::HashMap;
use std::sync::Mutex;

use schemas::control::ids::hash_secret;

/// How long a magic link may be followed.
pub const LINK_TTL_MS: i64 = 15 * 60_000;
/// How long a session lasts without use, by default.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3_600_000;
/// How long a session lasts at most, however often it is used, by default.
pub const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3_600_000;

/// How long sessions last, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetimes {
    /// Without use: each use moves the end this far ahead (but never past `absolute_ms`).
    pub idle_ms: i64,
    /// From sign-in: a stolen cookie that is kept busy still stops working, and a user is asked
    /// to sign in again now and then.
    pub absolute_ms: i64,
}

impl Default for SessionLifetimes {
    fn default() -> Self {
        Self {
            idle_ms: SESSION_TTL_MS,
            absolute_ms: SESSION_LIFETIME_MS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Names the session in the user's list without being a credential (the cookie is).
    pub id: String,
    pub user_id: String,
    /// Cookie-authenticated writes must echo it in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When it ends unless used before; never after `ends_at`.
    pub expires_at: i64,
    /// When it ends however much it is used.
    pub ends_at: i64,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// The browser's user agent at sign-in, shortened: how the user tells devices apart.
    pub device: String,
}

/// The longest device text kept: a user agent is client-controlled and unbounded.
const DEVICE_CHARS: usize = 200;

struct Link {
    user_id: String,
    expires_at: i64,
}

#[derive(Default)]
pub struct AuthStore {
    links: Mutex<HashMap<String, Link>>,
    sessions: Mutex<HashMap<String, Session>>,
    lifetimes: SessionLifetimes,
}

fn random_token() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

impl AuthStore {
    pub fn new(lifetimes: SessionLifetimes) -> Self {
        Self {
            lifetimes,
            ..Self::default()
        }
    }

    pub fn lifetimes(&self) -> SessionLifetimes {
        self.lifetimes
    }

    /// A new single-use link token for `user_id`; only its hash is kept.
    pub fn issue_link(&self, user_id: &str, now_ms: i64) -> String {
        let token = random_token();
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links.retain(|_, l| l.expires_at > now_ms);
        links.insert(
            hash_secret(&token),
            Link {
                user_id: user_id.to_owned(),
                expires_at: now_ms + LINK_TTL_MS,
            },
        );
        token
    }

    /// Uses up a link: the user it signs in, if it exists and has not expired. A second use fails.
    pub fn redeem_link(&self, token: &str, now_ms: i64) -> Option<String> {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let link = links.remove(&hash_secret(token))?;
        (link.expires_at > now_ms).then_some(link.user_id)
    }

    /// Starts a session from the browser that sent `device` (its user agent); returns the
    /// cookie value.
    pub fn start_session(&self, user_id: &str, device: &str, now_ms: i64) -> (String, Session) {
        let token = random_token();
        let ends_at = now_ms + self.lifetimes.absolute_ms;
        let session = Session {
            id: random_token()[..16].to_owned(),
            user_id: user_id.to_owned(),
            csrf_token: random_token(),
            expires_at: (now_ms + self.lifetimes.idle_ms).min(ends_at),
            ends_at,
            started_at: now_ms,
            last_seen_at: now_ms,
            device: device
                .chars()
                .filter(|c| !c.is_control())
                .take(DEVICE_CHARS)
                .collect(),
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| s.expires_at > now_ms);
        sessions.insert(hash_secret(&token), session.clone());
        (token, session)
    }

    /// The live session behind a cookie value; using it extends it, up to its absolute end.
    pub fn session(&self, token: &str, now_ms: i64) -> Option<Session> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let key = hash_secret(token);
        let session = sessions.get_mut(&key)?;
        if session.expires_at <= now_ms || session.ends_at <= now_ms {
            sessions.remove(&key);
            return None;
        }
        session.expires_at = (now_ms + self.lifetimes.idle_ms).min(session.ends_at);
        session.last_seen_at = now_ms;
        Some(session.clone())
    }

    /// The user's live sessions, most recently used first.
    pub fn sessions_of(&self, user_id: &str, now_ms: i64) -> Vec<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let mut mine: Vec<Session> = sessions
            .values()
            .filter(|s| s.user_id == user_id && s.expires_at > now_ms && s.ends_at > now_ms)
            .cloned()
            .collect();
        mine.sort_by_key(|s| std::cmp::Reverse(s.last_seen_at));
        mine
    }

    /// Ends the user's session named `id`; false when the user has none by that id (another
    /// user's id included).
    pub fn end_session_by_id(&self, user_id: &str, id: &str) -> bool {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let before = sessions.len();
        sessions.retain(|_, s| !(s.user_id == user_id && s.id == id));
        sessions.len() < before
    }

    pub fn end_session(&self, token: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(&hash_secret(token));
    }

    /// Forgets every link issued to `user_id` and not yet followed (a deactivated user's).
    pub fn forget_links_of(&self, user_id: &str) {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        links.retain(|_, l| l.user_id != user_id);
    }

    /// Ends every session of `user_id` ("sign out everywhere"); returns how many there were.
    pub fn end_sessions_of(&self, user_id: &str) -> usize {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let before = sessions.len();
        sessions.retain(|_, s| s.user_id != user_id);
        before - sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;

    #[test]
    fn a_link_works_once_and_only_within_fifteen_minutes() {
        let store = AuthStore::default();
        let token = store.issue_link("usr_1", NOW);
        assert_eq!(store.redeem_link(&token, NOW + 1), Some("usr_1".into()));
        assert_eq!(store.redeem_link(&token, NOW + 2), None, "single use");
        let late = store.issue_link("usr_1", NOW);
        assert_eq!(store.redeem_link(&late, NOW + LINK_TTL_MS), None, "expired");
        assert_eq!(store.redeem_link("guess", NOW), None);
    }

    #[test]
    fn forgetting_a_users_links_leaves_other_users_links() {
        let store = AuthStore::default();
        let first = store.issue_link("usr_1", NOW);
        let second = store.issue_link("usr_1", NOW);
        let other = store.issue_link("usr_2", NOW);
        store.forget_links_of("usr_1");
        assert_eq!(store.redeem_link(&first, NOW + 1), None);
        assert_eq!(store.redeem_link(&second, NOW + 1), None);
        assert_eq!(store.redeem_link(&other, NOW + 1), Some("usr_2".into()));
    }

    #[test]
    fn sessions_end_on_logout_and_after_idling() {
        let store = AuthStore::default();
        let (cookie, session) = store.start_session("usr_1", "UA", NOW);
        assert_eq!(
            store.session(&cookie, NOW + 1),
            Some(Session {
                expires_at: NOW + 1 + SESSION_TTL_MS,
                last_seen_at: NOW + 1,
                ..session
            })
        );
        store.end_session(&cookie);
        assert_eq!(store.session(&cookie, NOW + 2), None);
        let (idle, _) = store.start_session("usr_1", "UA", NOW);
        assert_eq!(store.session(&idle, NOW + SESSION_TTL_MS + 1), None);
    }

    #[test]
    fn a_session_used_all_the_time_still_ends_at_its_absolute_lifetime() {
        let store = AuthStore::new(SessionLifetimes {
            idle_ms: 10_000,
            absolute_ms: 25_000,
        });
        let (cookie, session) = store.start_session("usr_1", "UA", NOW);
        assert_eq!(session.ends_at, NOW + 25_000);
        for at in (0..25_000).step_by(5_000) {
            let live = store
                .session(&cookie, NOW + at)
                .expect("used within its idle time");
            assert!(live.expires_at <= NOW + 25_000, "never slides past the end");
        }
        assert_eq!(
            store.session(&cookie, NOW + 20_001).unwrap().expires_at,
            NOW + 25_000
        );
        assert_eq!(store.session(&cookie, NOW + 25_000), None);
        assert_eq!(store.session(&cookie, NOW + 1), None, "gone for good");
    }

    #[test]
    fn ending_a_users_sessions_leaves_other_users_signed_in() {
        let store = AuthStore::default();
        let (first, _) = store.start_session("usr_1", "UA", NOW);
        let (second, _) = store.start_session("usr_1", "UA", NOW);
        let (other, _) = store.start_session("usr_2", "UA", NOW);
        assert_eq!(store.end_sessions_of("usr_1"), 2);
        assert_eq!(store.session(&first, NOW + 1), None);
        assert_eq!(store.session(&second, NOW + 1), None);
        assert!(store.session(&other, NOW + 1).is_some());
    }

    #[test]
    fn a_user_lists_their_sessions_and_ends_one_by_id_but_not_someone_elses() {
        let store = AuthStore::default();
        let (laptop, _) = store.start_session("usr_1", "Firefox on Linux\u{7}", NOW);
        let (_, phone) = store.start_session("usr_1", &"Phone ".repeat(100), NOW + 1);
        let (_, theirs) = store.start_session("usr_2", "Other", NOW);
        store.session(&laptop, NOW + 5).unwrap();
        let listed = store.sessions_of("usr_1", NOW + 6);
        assert_eq!(listed.len(), 2);
        assert_eq!(
            listed[0].device, "Firefox on Linux",
            "used last, control characters gone"
        );
        assert_eq!(listed[0].last_seen_at, NOW + 5);
        assert_eq!(listed[1].device.chars().count(), DEVICE_CHARS);
        assert!(
            !store.end_session_by_id("usr_1", &theirs.id),
            "not hers to end"
        );
        assert_eq!(store.sessions_of("usr_2", NOW + 6).len(), 1);
        assert!(store.end_session_by_id("usr_1", &phone.id));
        assert_eq!(store.sessions_of("usr_1", NOW + 7).len(), 1);
    }
}
