//! The AI assistants a project can count as sources: the names of the referral catalog
//! (`schemas::catalog`, the same data attribution runs on), and the ones enabled by default.

use std::sync::LazyLock;

/// Enabled for a project that never chose.
pub const DEFAULT_ENABLED: [&str; 4] = ["ChatGPT", "Claude", "Perplexity", "Gemini"];

/// Parsed once per process: every listing and every name check reads it.
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(schemas::catalog::ai_sources);

/// Which assistant's referrals a crawler operator's hits lead to, for the crawl-to-referral
/// ratio. Operators are spelled as in the agent catalog, assistants as in the referral catalog
/// (the catalog test checks both).
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
        let operators: Vec<String> = schemas::catalog::agents()
            .into_iter()
            .map(|a| a.operator)
            .collect();
        for (operator, assistant) in OPERATOR_ASSISTANTS {
            assert!(operators.iter().any(|o| o == operator), "{operator}");
            assert_eq!(canonical(assistant), Some(assistant));
        }
    }
}
