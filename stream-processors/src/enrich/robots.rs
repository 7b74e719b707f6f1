//! The robots.txt each property has now, as the loader judges its crawler hits against it: the
//! refresh job (`jobs::robots_txt`) swaps a property's file in whole, the enricher asks it for a
//! hit's verdict and the version that gave it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use platform::robots::{checksum, readable, RobotsTxt};
use schemas::vocab::RobotsVerdict;

/// One version of a property's robots.txt, as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotsFile {
    /// The HTTP status answered: 2xx carries a file, 4xx means "no file, anything goes".
    pub status: u16,
    /// What the rules were read from (empty for a 4xx: an error page is no robots.txt).
    pub body: String,
    /// SHA-256 of `body`: names the version in stored hits.
    pub checksum: String,
    pub fetched_at: DateTime<Utc>,
    pub rules: RobotsTxt,
}

impl RobotsFile {
    /// The file an answer defines (RFC 9309 §2.3.1): a success's body (as much as was read), or
    /// no rules at all for a client error. `None` for anything else — a server error, or a
    /// status RFC 9309 gives no meaning: the caller keeps what it had.
    pub fn from_answer(status: u16, body: &[u8], fetched_at: DateTime<Utc>) -> Option<Self> {
        let body = match status {
            200..=299 => readable(body),
            400..=499 => String::new(),
            _ => return None,
        };
        Some(Self::stored(status, body, fetched_at))
    }

    /// A version as `robots_txt` holds it.
    pub fn stored(status: u16, body: String, fetched_at: DateTime<Utc>) -> Self {
        Self {
            status,
            checksum: checksum(body.as_bytes()),
            rules: RobotsTxt::parse(&body),
            body,
            fetched_at,
        }
    }

    /// The same rules as `other` (a new fetch of an unchanged file).
    pub fn same_version(&self, other: &RobotsFile) -> bool {
        self.status == other.status && self.checksum == other.checksum
    }
}

/// Property id → its current file. Cheap to clone; every clone sees the same files.
#[derive(Debug, Clone, Default)]
pub struct SharedRobots(Arc<RwLock<HashMap<u64, Arc<RobotsFile>>>>);

impl SharedRobots {
    pub fn get(&self, property_id: u64) -> Option<Arc<RobotsFile>> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&property_id)
            .cloned()
    }

    pub fn set(&self, property_id: u64, file: RobotsFile) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(property_id, Arc::new(file));
    }

    /// The verdict for a hit of `agent` on `path` of the property and the checksum of the
    /// version that gave it; unknown (and no checksum) while no file is known.
    pub fn verdict(
        &self,
        property_id: u64,
        agent: Option<&str>,
        path: &str,
    ) -> (RobotsVerdict, String) {
        match self.get(property_id) {
            Some(file) => (
                file.rules.verdict(agent.unwrap_or_default(), path),
                file.checksum.clone(),
            ),
            None => (RobotsVerdict::Unknown, String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_carries_rules_client_errors_allow_everything_server_errors_define_nothing() {
        let at = Utc::now();
        let ok = RobotsFile::from_answer(200, b"User-agent: *\nDisallow: /\n", at).unwrap();
        assert_eq!(ok.rules.verdict("GPTBot", "/x"), RobotsVerdict::Disallowed);
        let missing = RobotsFile::from_answer(404, b"<html>Not found</html>", at).unwrap();
        assert_eq!(missing.body, "");
        assert_eq!(missing.rules.verdict("GPTBot", "/x"), RobotsVerdict::NoRule);
        assert!(RobotsFile::from_answer(503, b"User-agent: *\nDisallow: /\n", at).is_none());
        assert!(RobotsFile::from_answer(304, b"", at).is_none());
        // Another 404 page is the same version; an empty 200 is not a 404.
        let again = RobotsFile::from_answer(404, b"<html>Gone</html>", at).unwrap();
        assert!(missing.same_version(&again));
        assert!(!missing.same_version(&RobotsFile::from_answer(200, b"", at).unwrap()));
    }

    #[test]
    fn hits_are_unknown_until_a_file_is_known_then_judged_by_it_and_named_by_its_checksum() {
        let robots = SharedRobots::default();
        assert_eq!(
            robots.verdict(7, Some("GPTBot"), "/x"),
            (RobotsVerdict::Unknown, String::new())
        );
        let file = RobotsFile::from_answer(200, b"User-agent: GPTBot\nDisallow: /x\n", Utc::now())
            .unwrap();
        let checksum = file.checksum.clone();
        robots.clone().set(7, file);
        assert_eq!(
            robots.verdict(7, Some("GPTBot"), "/x"),
            (RobotsVerdict::Disallowed, checksum.clone())
        );
        assert_eq!(
            robots.verdict(7, None, "/x"),
            (RobotsVerdict::NoRule, checksum)
        );
        assert_eq!(
            robots.verdict(8, Some("GPTBot"), "/x").0,
            RobotsVerdict::Unknown
        );
    }
}
