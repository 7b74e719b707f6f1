//! The organisations behind robots: one clean name each, the domains they run and the product
//! names their agents carry (`operators.tsv`). A user agent that names one of the domains (a bot
//! page, a contact address) or starts its product token with one of the products is theirs.

use super::{col, rows};

pub(super) const OPERATORS: &str = include_str!("../../catalog/operators.tsv");

/// What an operator mainly is, which decides the class of an agent of theirs that no catalog
/// lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    /// An AI lab, model host or AI product: its unknown agents are AI agents.
    Ai,
    /// A search engine: its unknown agents keep the class their pattern gives.
    Search,
    Platform,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorEntry {
    pub name: &'static str,
    pub kind: OperatorKind,
    /// Registrable domains or hosts, lowercase.
    pub domains: Vec<&'static str>,
    /// Product names as the operator spells them (case matters: `ExaBot` is Exa's, `Exabot`
    /// Exalead's).
    pub products: Vec<&'static str>,
    /// The AI referral source (as `ai_referrers.tsv` names it) its visitors come from, when it
    /// runs one: what the crawl-to-referral ratio compares its crawls with.
    pub assistant: Option<&'static str>,
}

pub fn operators() -> Vec<OperatorEntry> {
    rows(OPERATORS)
        .map(|r| OperatorEntry {
            name: col(&r, 0),
            kind: match col(&r, 1) {
                "ai" => OperatorKind::Ai,
                "search" => OperatorKind::Search,
                _ => OperatorKind::Platform,
            },
            domains: col(&r, 2).split_whitespace().collect(),
            products: col(&r, 3).split_whitespace().collect(),
            assistant: Some(col(&r, 4)).filter(|a| !a.is_empty()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_has_a_domain_and_each_domain_one_operator() {
        let all = operators();
        assert!(all.len() > 60, "{}", all.len());
        let mut owner = std::collections::HashMap::new();
        for op in &all {
            assert!(!op.domains.is_empty(), "{} has no domain", op.name);
            for domain in &op.domains {
                assert_eq!(*domain, domain.to_ascii_lowercase(), "{}", op.name);
                if let Some(other) = owner.insert(*domain, op.name) {
                    panic!("{domain} belongs to {other} and {}", op.name);
                }
            }
        }
        let openai = all.iter().find(|o| o.name == "OpenAI").unwrap();
        assert_eq!(openai.kind, OperatorKind::Ai);
        assert!(openai.domains.contains(&"chatgpt.com"));
        assert_eq!(openai.assistant, Some("ChatGPT"));
        // Every assistant is a source attribution can produce.
        let sources = crate::catalog::ai_sources();
        for op in &all {
            if let Some(assistant) = op.assistant {
                assert!(sources.contains(&assistant), "{}: {assistant}", op.name);
            }
        }
    }
}
