//! Shipped copies of the crawler IP ranges operators publish, for verification until the refresh
//! job downloads fresh lists.

use super::{col, rows};

pub(super) const IP_RANGES: &str = include_str!("../../catalog/ip_ranges.tsv");

/// One published network of an agent, as written (`4.227.36.0/25`); the reader parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    pub agent: &'static str,
    pub cidr: &'static str,
}

pub fn ip_ranges() -> Vec<IpRange> {
    rows(IP_RANGES)
        .map(|r| IpRange {
            agent: col(&r, 0),
            cidr: col(&r, 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_names_its_agent_and_a_network() {
        let ranges = ip_ranges();
        assert!(ranges.len() > 100);
        assert!(ranges
            .iter()
            .all(|r| !r.agent.is_empty() && r.cidr.contains('/')));
        assert_eq!(
            ranges.first(),
            Some(&IpRange {
                agent: "GPTBot",
                cidr: "4.227.36.0/25"
            })
        );
    }
}
