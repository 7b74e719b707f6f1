//! Hosting networks: the autonomous systems of clouds and hosters, and the words of an AS
//! organisation name that say hosting whatever its number. A visitor whose address is announced
//! from one is browsing from a datacenter (a cloud browser, a scraper, a VPN exit), not a home or
//! an office. Rules over networks only: never a user agent.

use super::{col, rows};

pub(super) const HOSTING_NETWORKS: &str = include_str!("../../catalog/hosting_networks.tsv");

/// The hosting rules, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostingNetworks {
    /// (AS number, the name the source gives it).
    pub asns: Vec<(u32, &'static str)>,
    /// Lower-case words matched as substrings of an AS organisation name.
    pub organization_words: Vec<&'static str>,
}

pub fn hosting_networks() -> HostingNetworks {
    let mut networks = HostingNetworks::default();
    for row in rows(HOSTING_NETWORKS) {
        match col(&row, 0) {
            "asn" => networks.asns.push((
                col(&row, 1)
                    .parse()
                    .expect("the shipped AS numbers parse (tested)"),
                col(&row, 2),
            )),
            "organization_word" => networks.organization_words.push(col(&row, 1)),
            other => panic!("hosting_networks.tsv: unknown kind {other:?}"),
        }
    }
    networks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_clouds_are_listed_and_access_networks_are_not() {
        let networks = hosting_networks();
        let listed = |asn: u32| networks.asns.iter().any(|(a, _)| *a == asn);
        // AWS, Azure, Google Cloud, DigitalOcean, OVH, Hetzner, Oracle, Alibaba.
        for asn in [
            16509, 14618, 8075, 396982, 14061, 16276, 24940, 31898, 37963,
        ] {
            assert!(listed(asn), "AS{asn}");
        }
        // Hurricane Electric's tunnels, satellite access, iCloud Private Relay.
        for asn in [6939, 18570, 36183] {
            assert!(!listed(asn), "AS{asn}");
        }
        assert!(networks.organization_words.contains(&"hosting"));
        assert!(networks
            .organization_words
            .iter()
            .all(|w| !w.is_empty() && *w == w.to_lowercase()));
    }
}
