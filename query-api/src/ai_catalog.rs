//! The AI assistants a project can count as sources: the names of stream-processors' referral
//! catalog (the same versioned data file attribution runs on), and the ones enabled by default.

use std::collections::BTreeSet;
use std::sync::LazyLock;

const REFERRERS: &str = include_str!("../../stream-processors/catalog/ai_referrers.tsv");

/// Enabled for a project that never chose.
pub const DEFAULT_ENABLED: [&str; 4] = ["ChatGPT", "Claude", "Perplexity", "Gemini"];

/// Parsed once per process: every listing and every name check reads it.
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let names: BTreeSet<&str> = REFERRERS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.starts_with("kind\t"))
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    names.into_iter().collect()
});

/// Which assistant's referrals a crawler operator's hits lead to, for the crawl-to-referral
/// ratio. Operators are spelled as in stream-processors' agent catalog, assistants as in its
/// referral catalog (the catalog test checks both).
pub const OPERATOR_ASSISTANTS: [(&str, &str); 8] = [
    ("OpenAI", "ChatGPT"),
    ("Anthropic", "Claude"),
    ("Perplexity", "Perplexity"),
    ("Google", "Gemini"),
    ("Microsoft", "Copilot"),
    ("Meta", "Meta AI"),
    ("DeepSeek", "DeepSeek"),
    ("Mistral", "Le Chat"),
];

/// Every source name attribution can produce, sorted.
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// The catalog spellings of the sources `project_id` tracks: its choice, else the defaults.
pub fn enabled_for(view: &schemas::control::ControlView, project_id: &str) -> Vec<&'static str> {
    match view.ai_sources(project_id) {
        Some(chosen) => chosen.enabled.iter().filter_map(|n| canonical(n)).collect(),
        None => DEFAULT_ENABLED
            .iter()
            .filter_map(|n| canonical(n))
            .collect(),
    }
}

/// The catalog's spelling of `name`, case-insensitively.
pub fn canonical(name: &str) -> Option<&'static str> {
    names()
        .iter()
        .copied()
        .find(|n| n.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_names_the_assistants_and_the_defaults_are_in_it() {
        let names = names();
        for expected in [
            "ChatGPT",
            "Claude",
            "Perplexity",
            "Gemini",
            "Copilot",
            "Grok",
            "DeepSeek",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for default in DEFAULT_ENABLED {
            assert_eq!(canonical(&default.to_lowercase()), Some(default));
        }
        assert_eq!(canonical("not an assistant"), None);
        assert_eq!(canonical("source"), None, "the file's header is not a name");
    }

    #[test]
    fn every_mapped_operator_and_assistant_is_in_the_catalogs() {
        let agents = include_str!("../../stream-processors/catalog/ai_agents.tsv");
        let operators: BTreeSet<&str> = agents
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split('\t').nth(1))
            .collect();
        for (operator, assistant) in OPERATOR_ASSISTANTS {
            assert!(operators.contains(operator), "{operator}");
            assert_eq!(canonical(assistant), Some(assistant));
        }
    }
}
