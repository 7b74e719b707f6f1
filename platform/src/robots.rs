//! A site's robots.txt (RFC 9309), parsed once and asked, for an agent's product token and a
//! path, whether a rule of the group that applies allows it, disallows it, or nothing decides.
//!
//! The `robotstxt` crate (a port of Google's reference parser and matcher) reads the lines —
//! key typos, the byte-order mark, pattern escaping — and matches each pattern. Its matcher only
//! answers allowed or not, and cannot say whether a rule decided: a path no rule matches is
//! "allowed" exactly like one an `Allow` matches. So the groups and their rules are kept here,
//! from the parser's callbacks, and the matcher's own choice is applied to them: the groups that
//! name the agent (all of them, merged) else the `*` groups; among their rules that match, the
//! longest pattern wins and an `Allow` wins a tie. A differential test checks the allowed/
//! disallowed answers against the crate's own matcher.

use robotstxt::matcher::{LongestMatchRobotsMatchStrategy, RobotsMatchStrategy};
use robotstxt::RobotsParseHandler;
use schemas::vocab::RobotsVerdict;
use sha2::{Digest, Sha256};

/// RFC 9309 §2.5: a parser must read at least 500 KiB of a file; fetchers read this much by
/// default and ignore the rest.
pub const MAX_BYTES: usize = 500 * 1024;

/// The path every agent may always fetch (RFC 9309 §2.2.2: implicitly allowed).
pub const ROBOTS_PATH: &str = "/robots.txt";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Group {
    /// Lowercased product tokens the group names.
    agents: Vec<String>,
    /// The group names `*`.
    global: bool,
    rules: Vec<Rule>,
}

/// A parsed robots.txt. `RobotsTxt::default()` has no group: what a 4xx answer means (RFC 9309
/// §2.3.1.3, everything may be fetched, no rule decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RobotsTxt {
    groups: Vec<Group>,
}

/// Builds the groups from the parser's callbacks, grouping lines as the reference matcher does:
/// user-agent lines after any other line start a new group.
#[derive(Default)]
struct Collector {
    groups: Vec<Group>,
    /// A rule, sitemap or other line came after the current group's user-agent lines.
    seen_separator: bool,
}

impl Collector {
    fn rule(&mut self, allow: bool, pattern: &str) {
        self.seen_separator = true;
        // Rules before any user-agent line belong to no group.
        let Some(group) = self.groups.last_mut() else {
            return;
        };
        group.rules.push(Rule {
            allow,
            pattern: pattern.to_owned(),
        });
        // The reference matcher treats `Allow: /dir/index.htm(l)` as also allowing `/dir/`.
        if allow {
            if let Some(slash) = pattern.rfind('/') {
                if pattern[slash..].starts_with("/index.htm") {
                    group.rules.push(Rule {
                        allow,
                        pattern: format!("{}$", &pattern[..=slash]),
                    });
                }
            }
        }
    }
}

impl RobotsParseHandler for Collector {
    fn handle_robots_start(&mut self) {}
    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, user_agent: &str) {
        if self.seen_separator || self.groups.is_empty() {
            self.groups.push(Group::default());
            self.seen_separator = false;
        }
        let group = self.groups.last_mut().expect("pushed above");
        // As the reference matcher: `*` alone, or followed by whitespace, is the global group.
        if user_agent.starts_with('*')
            && (user_agent.len() == 1 || user_agent[1..].starts_with(char::is_whitespace))
        {
            group.global = true;
        } else {
            group
                .agents
                .push(product_token(user_agent).to_ascii_lowercase());
        }
    }

    fn handle_allow(&mut self, _line: u32, value: &str) {
        self.rule(true, value);
    }

    fn handle_disallow(&mut self, _line: u32, value: &str) {
        self.rule(false, value);
    }

    fn handle_sitemap(&mut self, _line: u32, _value: &str) {
        self.seen_separator = true;
    }

    fn handle_unknown_action(&mut self, _line: u32, _action: &str, _value: &str) {
        self.seen_separator = true;
    }
}

/// The part of an agent name robots.txt matches on: up to the first character outside
/// `[a-zA-Z_-]` (`GPTBot/1.2` → `GPTBot`).
pub fn product_token(agent: &str) -> &str {
    let end = agent
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'))
        .unwrap_or(agent.len());
    &agent[..end]
}

/// `body` as text: invalid UTF-8 (a multi-byte character cut at the size limit, a file in
/// another encoding) is replaced, as such lines match nothing useful either way.
pub fn readable(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// Appends what of `chunk` fits in `max` bytes; true once `body` is full (stop reading).
pub fn append_capped(body: &mut Vec<u8>, chunk: &[u8], max: usize) -> bool {
    let room = max.saturating_sub(body.len());
    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    body.len() >= max
}

/// The hex SHA-256 of a version's body: what names the version in force.
pub fn checksum(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

impl RobotsTxt {
    /// Reads `text` (its size is the fetcher's to bound); anything that is not a directive is
    /// skipped.
    pub fn parse(text: &str) -> Self {
        let mut collector = Collector::default();
        robotstxt::parse_robotstxt(text, &mut collector);
        Self {
            groups: collector.groups,
        }
    }

    /// The verdict for `agent` (a product token or a name that starts with one; empty for an
    /// unnamed robot, which only the `*` groups address) fetching `path` (percent-encoded, from
    /// the `/`, with the query if any).
    pub fn verdict(&self, agent: &str, path: &str) -> RobotsVerdict {
        if path == ROBOTS_PATH {
            return RobotsVerdict::Allowed;
        }
        let token = product_token(agent).to_ascii_lowercase();
        let named = |g: &&Group| !token.is_empty() && g.agents.contains(&token);
        let mut groups: Vec<&Group> = self.groups.iter().filter(named).collect();
        if groups.is_empty() {
            groups = self.groups.iter().filter(|g| g.global).collect();
        }
        // (pattern length, allow) of the best match: longer wins, Allow wins a tie.
        let mut best: Option<(usize, bool)> = None;
        for rule in groups.iter().flat_map(|g| &g.rules) {
            if !LongestMatchRobotsMatchStrategy::matches(path, &rule.pattern) {
                continue;
            }
            let candidate = (rule.pattern.len(), rule.allow);
            if best.is_none_or(|b| candidate > b) {
                best = Some(candidate);
            }
        }
        match best {
            None => RobotsVerdict::NoRule,
            // An empty `Disallow:` matches everything and forbids nothing (RFC 9309 §2.2.2).
            Some((0, false)) => RobotsVerdict::Allowed,
            Some((_, true)) => RobotsVerdict::Allowed,
            Some((_, false)) => RobotsVerdict::Disallowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RobotsVerdict::{Allowed, Disallowed, NoRule};

    const SITE: &str = "\
User-agent: *
Disallow: /private/
Allow: /private/press/

User-agent: GPTBot
User-agent: CCBot
Disallow: /
Allow: /blog/

User-agent: ClaudeBot
Disallow:

User-agent: PerplexityBot
Crawl-delay: 5

User-agent: gptbot
Disallow: /blog/drafts/

Sitemap: https://example.com/sitemap.xml
";

    #[test]
    fn the_group_naming_the_agent_decides_and_others_fall_back_to_the_star_group() {
        let robots = RobotsTxt::parse(SITE);
        // Named groups, merged: GPTBot's two groups are one.
        assert_eq!(robots.verdict("GPTBot", "/pricing"), Disallowed);
        assert_eq!(robots.verdict("GPTBot", "/blog/post"), Allowed);
        assert_eq!(robots.verdict("GPTBot", "/blog/drafts/x"), Disallowed);
        assert_eq!(robots.verdict("CCBot", "/"), Disallowed);
        // Matching is case-insensitive and on the product token only.
        assert_eq!(robots.verdict("gptbot/1.2", "/pricing"), Disallowed);
        // The star group for everyone else.
        assert_eq!(robots.verdict("Googlebot", "/private/x"), Disallowed);
        assert_eq!(robots.verdict("Googlebot", "/private/press/kit"), Allowed);
        assert_eq!(robots.verdict("Googlebot", "/pricing"), NoRule);
        assert_eq!(robots.verdict("", "/private/x"), Disallowed);
    }

    #[test]
    fn a_named_group_without_a_matching_rule_is_no_rule_even_when_the_star_group_has_one() {
        let robots = RobotsTxt::parse(SITE);
        // PerplexityBot's group has no rule: the star group does not apply to it.
        assert_eq!(robots.verdict("PerplexityBot", "/private/x"), NoRule);
        // An empty Disallow allows everything, and says so.
        assert_eq!(robots.verdict("ClaudeBot", "/private/x"), Allowed);
    }

    #[test]
    fn the_longest_pattern_wins_and_allow_wins_a_tie() {
        let robots =
            RobotsTxt::parse("User-agent: *\nDisallow: /a\nAllow: /a\nDisallow: /*.pdf$\n");
        assert_eq!(robots.verdict("x", "/a/b"), Allowed);
        assert_eq!(robots.verdict("x", "/a/b.pdf"), Disallowed);
        assert_eq!(robots.verdict("x", "/a/b.pdf?x=1"), Allowed);
    }

    #[test]
    fn robots_txt_itself_is_always_allowed_and_no_file_has_no_rule() {
        let robots = RobotsTxt::parse("User-agent: *\nDisallow: /\n");
        assert_eq!(robots.verdict("GPTBot", "/robots.txt"), Allowed);
        assert_eq!(robots.verdict("GPTBot", "/llms.txt"), Disallowed);
        assert_eq!(RobotsTxt::default().verdict("GPTBot", "/x"), NoRule);
        assert_eq!(
            RobotsTxt::parse("not a robots file\n<html>").verdict("a", "/"),
            NoRule
        );
    }

    #[test]
    fn a_file_is_read_up_to_the_limit_and_what_follows_is_ignored() {
        let mut text = "User-agent: *\nAllow: /early\n".to_owned();
        // Comments, so wherever the limit cuts a line it leaves no rule behind.
        while text.len() < MAX_BYTES {
            text.push_str("# filler\n");
        }
        text.push_str("Disallow: /late\n");
        let mut body = Vec::new();
        let mut full = false;
        for chunk in text.as_bytes().chunks(4096) {
            full = append_capped(&mut body, chunk, MAX_BYTES);
            if full {
                break;
            }
        }
        assert!(full);
        assert_eq!(body.len(), MAX_BYTES);
        let read = RobotsTxt::parse(&readable(&body));
        assert_eq!(read.verdict("a", "/early"), Allowed);
        assert_eq!(read.verdict("a", "/late"), NoRule);
        assert_eq!(RobotsTxt::parse(&text).verdict("a", "/late"), Disallowed);
        // A character cut in two at the limit does not make the text unreadable.
        assert_eq!(readable("é".as_bytes().get(..1).unwrap()), "\u{fffd}");
    }

    #[test]
    fn allowed_and_disallowed_agree_with_the_crates_own_matcher() {
        let files = [
            SITE,
            "User-agent: *\nDisallow: /\nAllow: /$\n",
            "user-agent: FooBot\ndisalow: /typo\n\nuser-agent: *\ndisallow: /x/*/y\n",
            "User-agent: *\nAllow: /folder/index.html\nDisallow: /folder/\n",
            "\u{feff}User-agent: BarBot\nDisallow: /%E2%82%AC\nDisallow: /€/raw\n",
            "Disallow: /orphan\nUser-agent: *\nDisallow: /fish*.php\n",
        ];
        let agents = [
            "GPTBot",
            "CCBot",
            "ClaudeBot",
            "FooBot",
            "BarBot",
            "Other",
            "PerplexityBot",
        ];
        let paths = [
            "/",
            "/pricing",
            "/blog/",
            "/blog/drafts/a",
            "/private/",
            "/private/press/",
            "/typo",
            "/x/a/y",
            "/x/y",
            "/folder/",
            "/folder/index.html",
            "/folder/a",
            "/%E2%82%AC",
            "/%E2%82%AC/raw",
            "/orphan",
            "/fish.php",
            "/fishheads/catfish.php?x",
        ];
        for file in files {
            let robots = RobotsTxt::parse(file);
            for agent in agents {
                for path in paths {
                    let ours = robots.verdict(agent, path) != Disallowed;
                    let theirs = robotstxt::DefaultMatcher::default().one_agent_allowed_by_robots(
                        file,
                        agent,
                        &format!("https://example.com{path}"),
                    );
                    assert_eq!(ours, theirs, "{agent} {path} under\n{file}");
                }
            }
        }
    }

    #[test]
    fn tokens_stop_at_the_first_character_outside_letters_dash_underscore() {
        assert_eq!(product_token("GPTBot/1.2"), "GPTBot");
        assert_eq!(product_token("Google-Extended"), "Google-Extended");
        assert_eq!(product_token("Applebot Extended"), "Applebot");
        assert_eq!(checksum(b"").len(), 64);
    }
}
