//! The AI source catalog: versioned data files in `schemas/catalog/` (built by its `generate.py`
//! from `reference-data/`), embedded at build time and parsed here into plain rows, so every
//! crate reads the same data the same way. The processors compile the rows into matchers; the API
//! lists the sources a project can track.

mod agents;
mod hosting;
mod ip_ranges;
mod operators;
mod referrers;
mod reverse_dns;

pub use agents::{
    agents, bot_patterns, excluded_bot_patterns, nonbrowser_patterns, signature_agents, AgentEntry,
    BotPattern, ExcludedPattern, SignatureAgent,
};
pub use hosting::{hosting_networks, HostingNetworks};
pub use ip_ranges::{ip_ranges, IpRange};
pub use operators::{operators, OperatorEntry, OperatorKind};
pub use referrers::{ai_sources, channel_hosts, referrer_rules, ChannelHost, ReferrerRule};
pub use reverse_dns::{reverse_dns_masks, ReverseDnsMasks};

/// uap-core's regexes (user agent, OS and device parsers) in the structure of its `regexes.yaml`.
pub const UAP_REGEXES: &str = include_str!("../../catalog/uap-regexes.json");

/// The catalog's version, stamped on every classified row so a replay can tell what changed.
pub fn version() -> &'static str {
    agents::AI_AGENTS
        .lines()
        .find_map(|l| l.strip_prefix("# version: "))
        .unwrap_or("unknown")
}

/// The data rows of a catalog file, split on tabs: `#` lines are comments and the first other
/// line is the header.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').collect())
}

/// Column `i` of a row; missing trailing columns are empty.
fn col(row: &[&'static str], i: usize) -> &'static str {
    row.get(i).copied().unwrap_or("")
}

fn non_empty(text: &str) -> Option<String> {
    Some(text).filter(|t| !t.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_the_same_version() {
        let version = version();
        assert!(version.starts_with("20"), "{version}");
        for (file, text) in [
            ("ai_agents.tsv", agents::AI_AGENTS),
            ("bot_patterns.tsv", agents::BOT_PATTERNS),
            ("bot_patterns_excluded.tsv", agents::EXCLUDED_PATTERNS),
            ("ai_referrers.tsv", referrers::AI_REFERRERS),
            ("channel_hosts.tsv", referrers::CHANNEL_HOSTS),
            ("ip_ranges.tsv", ip_ranges::IP_RANGES),
            ("operators.tsv", operators::OPERATORS),
            ("signature_agents.tsv", agents::SIGNATURE_AGENTS),
            ("hosting_networks.tsv", hosting::HOSTING_NETWORKS),
        ] {
            assert_eq!(
                text.lines().next(),
                Some(format!("# version: {version}").as_str()),
                "{file}"
            );
        }
    }

    #[test]
    fn the_uap_regexes_are_json_with_the_three_parser_lists() {
        let value: serde_json::Value = serde_json::from_str(UAP_REGEXES).unwrap();
        for key in ["user_agent_parsers", "os_parsers", "device_parsers"] {
            assert!(
                value[key].as_array().is_some_and(|a| !a.is_empty()),
                "{key}"
            );
        }
    }
}
