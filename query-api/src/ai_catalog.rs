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
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    names.into_iter().collect()
});

/// Every source name attribution can produce, sorted.
pub fn names() -> &'static [&'static str] {
    &NAMES
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
    }
}
