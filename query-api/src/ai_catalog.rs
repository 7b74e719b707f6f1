//! The AI assistants a project can count as sources: the names of the referral catalog
//! (`schemas::catalog`, the same data attribution runs on), and the ones enabled by default.

use std::sync::LazyLock;

/// Enabled for a project that never chose.
pub const DEFAULT_ENABLED: [&str; 4] = ["ChatGPT", "Claude", "Perplexity", "Gemini"];

/// Parsed once per process: every listing and every name check reads it.
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(schemas::catalog::ai_sources);

/// Operator → the assistant its crawls lead to, from the operator catalog (parsed once).
static OPERATOR_ASSISTANTS: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    schemas::catalog::operators()
        .into_iter()
        .filter_map(|op| Some((op.name, op.assistant?)))
        .collect()
});

/// Which assistant's referrals a crawler operator's hits lead to, for the crawl-to-referral
/// ratio: operators spelled as the classifier names them, assistants as attribution does.
pub fn assistant_of(operator: &str) -> Option<&'static str> {
    OPERATOR_ASSISTANTS
        .iter()
        .find(|(op, _)| *op == operator)
        .map(|(_, a)| *a)
}

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
    fn the_big_operators_lead_to_their_assistants() {
        for (operator, assistant) in [
            ("OpenAI", "ChatGPT"),
            ("Anthropic", "Claude"),
            ("Perplexity", "Perplexity"),
            ("Google", "Gemini"),
            ("Microsoft", "Copilot"),
            ("Meta", "Meta AI"),
            ("Mistral", "Le Chat"),
        ] {
            assert_eq!(assistant_of(operator), Some(assistant), "{operator}");
            assert_eq!(canonical(assistant), Some(assistant));
        }
        assert_eq!(assistant_of("Common Crawl"), None);
    }
}
