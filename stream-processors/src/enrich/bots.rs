//! Recognises automated clients: the AI agent catalog first (names and operators), then the
//! crawler-user-agents patterns, then a few generic markers of robots.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexSet};

use schemas::catalog::{AgentEntry, BotPattern};
use schemas::vocab::AgentClass;

/// A recognised robot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotMatch<'a> {
    pub class: AgentClass,
    pub name: &'a str,
    pub operator: Option<&'a str>,
    /// Index into the agent catalog when the match came from it.
    pub agent: Option<usize>,
}

pub struct BotMatcher {
    agents: Vec<AgentEntry>,
    /// Catalog tokens, case-insensitive; value = index into `agents`.
    agent_tokens: AhoCorasick,
    agent_of_token: Vec<usize>,
    literal_patterns: AhoCorasick,
    literal_meta: Vec<(String, AgentClass)>,
    regex_patterns: RegexSet,
    regexes: Vec<(Regex, AgentClass)>,
    generic: AhoCorasick,
}

const SHORT_PATTERN: usize = 6;

/// Words that only robots put in a user agent. `…bot` counts only as a product name with a version
/// (`SomethingBot/1.0`): phone models end in "bot" too.
const GENERIC_MARKERS: [&str; 8] = [
    "bot/",
    "bot)",
    "bot;",
    "crawler",
    "spider",
    "scraper",
    "headless",
    "http-client",
];

impl BotMatcher {
    pub fn new(agents: Vec<AgentEntry>, patterns: &[BotPattern]) -> anyhow::Result<Self> {
        let mut tokens = Vec::new();
        let mut agent_of_token = Vec::new();
        for (i, agent) in agents.iter().enumerate() {
            for token in &agent.tokens {
                tokens.push(token.clone());
                agent_of_token.push(i);
            }
        }
        let agent_tokens = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&tokens)?;

        let (mut literals, mut literal_meta, mut sources, mut regexes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for p in patterns {
            let class = class_of_tags(&p.tags);
            match as_literal(&p.pattern) {
                Some(text) => {
                    literal_meta.push((display_name(&text), class));
                    literals.push(text);
                }
                None => {
                    sources.push(p.pattern.clone());
                    regexes.push((Regex::new(&p.pattern)?, class));
                }
            }
        }
        Ok(Self {
            agents,
            agent_tokens,
            agent_of_token,
            literal_patterns: AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&literals)?,
            literal_meta,
            regex_patterns: RegexSet::new(&sources)?,
            regexes,
            generic: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(GENERIC_MARKERS)?,
        })
    }

    pub fn agents(&self) -> &[AgentEntry] {
        &self.agents
    }

    /// The robot `ua` belongs to; names borrow from the catalog or, for pattern matches, from `ua`.
    pub fn find<'s>(&'s self, ua: &'s str) -> Option<BotMatch<'s>> {
        self.catalog_match(ua)
            .map(|(m, _)| m)
            .or_else(|| self.pattern_match(ua))
    }

    /// A catalog agent whose token `ua` carries, and the token as `ua` spells it.
    pub fn catalog_match<'s>(&'s self, ua: &'s str) -> Option<(BotMatch<'s>, &'s str)> {
        let (i, spelled) = self.catalog_agent(ua)?;
        let agent = &self.agents[i];
        Some((
            BotMatch {
                class: agent.class,
                name: &agent.name,
                operator: Some(agent.operator.as_str()).filter(|o| !o.is_empty()),
                agent: Some(i),
            },
            spelled,
        ))
    }

    /// A crawler pattern or a generic robot word; no catalog agent.
    pub fn pattern_match<'s>(&'s self, ua: &'s str) -> Option<BotMatch<'s>> {
        // A short pattern turns up inside unrelated words by chance ("RED/" in "WIRED/", "008/" in
        // a build number, "Sonic" in "ViewSonic"), so one under 6 characters must start a word.
        let bytes = ua.as_bytes();
        let starts_word = |m: &aho_corasick::Match| {
            m.len() >= SHORT_PATTERN
                || m.start() == 0
                || !bytes[m.start()].is_ascii_alphanumeric()
                || !bytes[m.start() - 1].is_ascii_alphanumeric()
        };
        if let Some(m) = self
            .literal_patterns
            .find_overlapping_iter(ua)
            .find(starts_word)
        {
            let (name, class) = &self.literal_meta[m.pattern().as_usize()];
            return Some(generic(name, *class));
        }
        if let Some(i) = self.regex_patterns.matches(ua).iter().next() {
            let (regex, class) = &self.regexes[i];
            let name = regex.find(ua).map_or("bot", |m| {
                m.as_str().trim_matches(|c: char| !c.is_alphanumeric())
            });
            return Some(generic(name, *class));
        }
        if self.generic.is_match(ua) {
            return Some(generic("bot", AgentClass::OtherBot));
        }
        None
    }

    /// A catalog token present as a whole word: `GPTBot/1.1`, `(compatible; ClaudeBot/1.0)`.
    fn catalog_agent<'s>(&self, ua: &'s str) -> Option<(usize, &'s str)> {
        let bytes = ua.as_bytes();
        self.agent_tokens
            .find_iter(ua)
            .find(|m| {
                let before = m.start().checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(m.end()).copied();
                before.is_none_or(|b| !b.is_ascii_alphanumeric())
                    && after.is_none_or(|b| !b.is_ascii_alphanumeric())
            })
            .map(|m| (self.agent_of_token[m.pattern().as_usize()], &ua[m.range()]))
    }
}

fn generic(name: &str, class: AgentClass) -> BotMatch<'_> {
    BotMatch {
        class,
        name,
        operator: None,
        agent: None,
    }
}

fn class_of_tags(tags: &[String]) -> AgentClass {
    if tags.iter().any(|t| t == "search-engine") {
        AgentClass::SearchEngineCrawler
    } else if tags.iter().any(|t| t == "social-preview") {
        AgentClass::LinkPreview
    } else if tags.iter().any(|t| t == "ai-crawler") {
        AgentClass::AiTrainingCrawler
    } else {
        AgentClass::OtherBot
    }
}

/// The text a regex matches when it is a plain string with escaped punctuation (`Googlebot\/`).
fn as_literal(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                if next.is_alphanumeric() {
                    return None;
                }
                out.push(next);
            }
            '.' | '[' | ']' | '(' | ')' | '{' | '}' | '*' | '+' | '?' | '^' | '$' | '|' => {
                return None
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn display_name(literal: &str) -> String {
    literal
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_patterns_become_literals_and_others_stay_regexes() {
        assert_eq!(as_literal(r"Googlebot\/").as_deref(), Some("Googlebot/"));
        assert_eq!(as_literal("bingbot").as_deref(), Some("bingbot"));
        assert_eq!(as_literal("[wW]get"), None);
        assert_eq!(as_literal(r"^Seekbot"), None);
        assert_eq!(as_literal(r"grub\.org").as_deref(), Some("grub.org"));
        assert_eq!(as_literal(r"\d+"), None);
    }

    fn matcher() -> BotMatcher {
        let agent = |name: &str, class| AgentEntry {
            name: name.into(),
            operator: "Op".into(),
            class,
            tokens: vec![name.into()],
            ip_ranges_url: None,
        };
        BotMatcher::new(
            vec![
                agent("GPTBot", AgentClass::AiTrainingCrawler),
                agent("Claude-User", AgentClass::AiAssistant),
            ],
            &[
                BotPattern {
                    pattern: r"Googlebot\/".into(),
                    tags: vec!["search-engine".into()],
                    source: "test",
                },
                BotPattern {
                    pattern: "[wW]get".into(),
                    tags: vec!["http-library".into()],
                    source: "test",
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn catalog_tokens_match_only_as_whole_words() {
        let m = matcher();
        let hit = m
            .find("Mozilla/5.0 (compatible; gptbot/1.2; +https://openai.com/gptbot)")
            .unwrap();
        assert_eq!(
            (hit.class, hit.name),
            (AgentClass::AiTrainingCrawler, "GPTBot")
        );
        assert_eq!(
            m.find("Claude-User/1.0").unwrap().class,
            AgentClass::AiAssistant
        );
        // Inside a longer word the token is something else.
        assert!(m.find("Mozilla/5.0 NotGPTBotAtAll").is_none());
    }

    #[test]
    fn crawler_patterns_and_generic_markers_are_bots() {
        let m = matcher();
        let g = m.find("Mozilla/5.0 (compatible; Googlebot/2.1)").unwrap();
        assert_eq!(
            (g.class, g.name),
            (AgentClass::SearchEngineCrawler, "Googlebot")
        );
        assert_eq!(m.find("Wget/1.21").unwrap().class, AgentClass::OtherBot);
        assert_eq!(m.find("AcmeBot/0.1").unwrap().class, AgentClass::OtherBot);
        assert!(m
            .find("Mozilla/5.0 (Linux; Android 12; CUBOT P40)")
            .is_none());
    }
}
