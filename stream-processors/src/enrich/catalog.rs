//! The versioned catalog files (`stream-processors/catalog/`), embedded at build time and parsed
//! into plain rows; the matchers compile these rows once at start.

use schemas::vocab::{AgentClass, Vocabulary};

const AI_AGENTS: &str = include_str!("../../catalog/ai_agents.tsv");
const BOT_PATTERNS: &str = include_str!("../../catalog/bot_patterns.tsv");
const AI_REFERRERS: &str = include_str!("../../catalog/ai_referrers.tsv");
const CHANNEL_HOSTS: &str = include_str!("../../catalog/channel_hosts.tsv");
pub const UAP_REGEXES: &str = include_str!("../../catalog/uap-regexes.json");

/// One known agent: its user-agent tokens and where its operator publishes IP ranges.
#[derive(Debug, Clone)]
pub struct AgentEntry {
    pub name: String,
    pub operator: String,
    pub class: AgentClass,
    pub tokens: Vec<String>,
    pub ip_ranges_url: Option<String>,
}

/// A crawler-user-agents pattern (a regex) and its tags (`search-engine`, `seo`, …).
#[derive(Debug, Clone)]
pub struct BotPattern {
    pub pattern: String,
    pub tags: Vec<String>,
}

/// How an AI assistant is recognised: its referrer host (optionally a path prefix), or a URL
/// parameter with a given value.
#[derive(Debug, Clone)]
pub enum ReferrerRule {
    Host {
        source: String,
        host: String,
        path_prefix: Option<String>,
    },
    Marker {
        source: String,
        param: String,
        value: String,
    },
}

/// A search engine or social network host; `{}` in `host` stands for any public suffix.
#[derive(Debug, Clone)]
pub struct ChannelHost {
    pub channel: String,
    pub name: String,
    pub host: String,
}

/// The catalogs' version, stamped on every classified row so a replay can tell what changed.
pub fn version() -> &'static str {
    AI_AGENTS
        .lines()
        .find_map(|l| l.strip_prefix("# version: "))
        .unwrap_or("unknown")
}

fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').collect())
}

fn col<'a>(row: &[&'a str], i: usize) -> &'a str {
    row.get(i).copied().unwrap_or("")
}

pub fn agents() -> Vec<AgentEntry> {
    rows(AI_AGENTS)
        .filter_map(|r| {
            Some(AgentEntry {
                name: col(&r, 0).to_owned(),
                operator: col(&r, 1).to_owned(),
                class: AgentClass::parse(col(&r, 2))?,
                tokens: col(&r, 3)
                    .split('|')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                ip_ranges_url: Some(col(&r, 4))
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned),
            })
        })
        .collect()
}

pub fn bot_patterns() -> Vec<BotPattern> {
    rows(BOT_PATTERNS)
        .map(|r| BotPattern {
            pattern: col(&r, 0).to_owned(),
            tags: col(&r, 1)
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

pub fn referrer_rules() -> Vec<ReferrerRule> {
    rows(AI_REFERRERS)
        .filter_map(|r| match col(&r, 0) {
            "host" => Some(ReferrerRule::Host {
                source: col(&r, 1).to_owned(),
                host: col(&r, 2).to_ascii_lowercase(),
                path_prefix: Some(col(&r, 3))
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            }),
            "marker" => Some(ReferrerRule::Marker {
                source: col(&r, 1).to_owned(),
                param: col(&r, 3).to_owned(),
                value: col(&r, 4).to_ascii_lowercase(),
            }),
            _ => None,
        })
        .collect()
}

pub fn channel_hosts() -> Vec<ChannelHost> {
    rows(CHANNEL_HOSTS)
        .map(|r| ChannelHost {
            channel: col(&r, 0).to_owned(),
            name: col(&r, 1).to_owned(),
            host: col(&r, 2).to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_row_parses() {
        let agent_rows = rows(AI_AGENTS).count();
        assert_eq!(
            agents().len(),
            agent_rows,
            "an agent row has an unknown class"
        );
        assert!(agents().iter().all(|a| !a.tokens.is_empty()));
        assert_eq!(bot_patterns().len(), rows(BOT_PATTERNS).count());
        assert_eq!(referrer_rules().len(), rows(AI_REFERRERS).count());
        assert!(version().starts_with("20"));
    }
}
