//! Where operators' forward-confirmed reverse DNS must point: the host-name masks per agent name
//! (`catalog/reverse_dns.tsv`, arcjet/well-known-bots' verification sources, built by
//! `catalog/reverse_dns.py`).

use super::{col, rows};

pub(super) const REVERSE_DNS: &str = include_str!("../../catalog/reverse_dns.tsv");

/// An agent's masks as written: `*` is zero or one character, `@` any number of characters,
/// everything else literal (arcjet's syntax). The reader compiles them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseDnsMasks {
    pub agent: &'static str,
    pub masks: Vec<&'static str>,
    /// The arcjet bot ids the row was built from (their example user agents name this agent).
    pub sources: Vec<&'static str>,
}

pub fn reverse_dns_masks() -> Vec<ReverseDnsMasks> {
    rows(REVERSE_DNS)
        .map(|r| ReverseDnsMasks {
            agent: col(&r, 0),
            masks: col(&r, 1).split_whitespace().collect(),
            sources: col(&r, 2).split(',').filter(|s| !s.is_empty()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_an_agent_its_masks_and_its_sources() {
        let rows = reverse_dns_masks();
        assert!(rows.len() >= 10, "{}", rows.len());
        assert!(rows
            .iter()
            .all(|r| !r.agent.is_empty() && !r.masks.is_empty() && !r.sources.is_empty()));
        let googlebot = rows.iter().find(|r| r.agent == "Googlebot").unwrap();
        assert!(googlebot
            .masks
            .contains(&"crawl-***-***-***-***.googlebot.com"));
        let agents: std::collections::HashSet<_> =
            rows.iter().map(|r| r.agent.to_ascii_lowercase()).collect();
        assert_eq!(agents.len(), rows.len(), "one row per agent");
    }
}
