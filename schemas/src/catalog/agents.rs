//! Known robots: the AI agent catalog (names, operators, classes, user-agent tokens, where the
//! operator publishes IP ranges) and the crawler-user-agents patterns.

use super::{col, non_empty, rows};
use crate::vocab::{AgentClass, Vocabulary};

pub(super) const AI_AGENTS: &str = include_str!("../../catalog/ai_agents.tsv");
pub(super) const BOT_PATTERNS: &str = include_str!("../../catalog/bot_patterns.tsv");
pub(super) const EXCLUDED_PATTERNS: &str = include_str!("../../catalog/bot_patterns_excluded.tsv");
pub(super) const NONBROWSER_PATTERNS: &str = include_str!("../../catalog/nonbrowser_patterns.tsv");
pub(super) const SIGNATURE_AGENTS: &str = include_str!("../../catalog/signature_agents.tsv");

/// One known agent: its user-agent tokens and where its operator publishes IP ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    pub name: String,
    pub operator: String,
    pub class: AgentClass,
    pub tokens: Vec<String>,
    pub ip_ranges_url: Option<String>,
}

/// A host whose Web Bot Auth key directory an operator documents, and the catalog agent whose
/// signed requests it vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureAgent {
    /// Lowercase host of the `Signature-Agent` origin.
    pub host: &'static str,
    /// An [`AgentEntry::name`].
    pub agent: &'static str,
}

/// A crawler-user-agents pattern (a regex) and its tags (`search-engine`, `seo`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotPattern {
    pub pattern: String,
    pub tags: Vec<String>,
    /// Which list it came from (`crawler-user-agents`, `arcjet`), so conformance can measure
    /// one list against the other.
    pub source: &'static str,
}

/// A crawler-user-agents pattern the catalog leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedPattern {
    pub pattern: &'static str,
    pub reason: &'static str,
}

fn list(text: &str, separator: char) -> Vec<String> {
    text.split(separator)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every agent whose class is one of the pipeline's (tested: all of them).
pub fn agents() -> Vec<AgentEntry> {
    rows(AI_AGENTS)
        .filter_map(|r| {
            Some(AgentEntry {
                name: col(&r, 0).to_owned(),
                operator: col(&r, 1).to_owned(),
                class: AgentClass::parse(col(&r, 2))?,
                tokens: list(col(&r, 3), '|'),
                ip_ranges_url: non_empty(col(&r, 4)),
            })
        })
        .collect()
}

pub fn signature_agents() -> Vec<SignatureAgent> {
    rows(SIGNATURE_AGENTS)
        .map(|r| SignatureAgent {
            host: col(&r, 0),
            agent: col(&r, 1),
        })
        .collect()
}

pub fn bot_patterns() -> Vec<BotPattern> {
    rows(BOT_PATTERNS)
        .map(|r| BotPattern {
            pattern: col(&r, 0).to_owned(),
            tags: list(col(&r, 1), ','),
            source: col(&r, 2),
        })
        .collect()
}

/// isbot's fragments (regexes, some with look-around, matched case-insensitively) of what a
/// browser's user agent never contains.
pub fn nonbrowser_patterns() -> Vec<&'static str> {
    rows(NONBROWSER_PATTERNS).map(|r| col(&r, 0)).collect()
}

pub fn excluded_bot_patterns() -> Vec<ExcludedPattern> {
    rows(EXCLUDED_PATTERNS)
        .map(|r| ExcludedPattern {
            pattern: col(&r, 0),
            reason: col(&r, 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_and_pattern_row_parses() {
        let agents = agents();
        assert_eq!(
            agents.len(),
            rows(AI_AGENTS).count(),
            "an agent row has an unknown class"
        );
        assert!(agents.iter().all(|a| !a.tokens.is_empty()));
        let gptbot = agents.iter().find(|a| a.name == "GPTBot").unwrap();
        assert_eq!(
            (gptbot.operator.as_str(), gptbot.class),
            ("OpenAI", AgentClass::AiTrainingCrawler)
        );
        assert!(gptbot.ip_ranges_url.is_some());
        assert_eq!(bot_patterns().len(), rows(BOT_PATTERNS).count());
        assert!(bot_patterns().len() > 1000);
        let excluded = excluded_bot_patterns();
        assert!(!excluded.is_empty());
        assert!(excluded
            .iter()
            .all(|e| !e.pattern.is_empty() && !e.reason.is_empty()));
    }

    #[test]
    fn every_signature_agent_is_a_catalog_agent() {
        let agents = agents();
        let signers = signature_agents();
        assert!(!signers.is_empty());
        for signer in &signers {
            assert_eq!(signer.host, signer.host.to_ascii_lowercase());
            assert!(
                agents.iter().any(|a| a.name == signer.agent),
                "{} names {:?}, which the agent catalog lacks",
                signer.host,
                signer.agent
            );
        }
        let chatgpt = signers.iter().find(|s| s.host == "chatgpt.com").unwrap();
        let agent = agents.iter().find(|a| a.name == chatgpt.agent).unwrap();
        assert_eq!(
            (agent.operator.as_str(), agent.class),
            ("OpenAI", AgentClass::AiAgent)
        );
    }

    /// The dashboards group by operator and map operators to assistants: prose from a source's
    /// description would split one organisation into several rows.
    #[test]
    fn every_operator_is_an_organisation_name_not_a_description() {
        for agent in agents() {
            let op = agent.operator.as_str();
            let prose = [",", "(", "http", " that ", " which ", " to ", "…"]
                .iter()
                .find(|mark| op.contains(**mark));
            assert!(
                prose.is_none() && !op.is_empty() && op.chars().count() <= 48,
                "{}: operator {op:?} reads as a description",
                agent.name
            );
        }
        let operator = |name: &str| {
            agents()
                .into_iter()
                .find(|a| a.name == name)
                .map(|a| a.operator)
        };
        assert_eq!(operator("Amzn-User").as_deref(), Some("Amazon"));
        assert_eq!(operator("Kimi-User").as_deref(), Some("Moonshot AI"));
    }
}
