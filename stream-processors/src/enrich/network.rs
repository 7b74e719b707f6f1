//! The network a beacon came from, as the edge looked it up (`Beacon.asn`, `as_organization`),
//! and whether that network is a datacenter's: an AS the hosting catalog lists
//! (`schemas::catalog::hosting_networks`), or one whose organisation name says hosting.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

use super::event::Network;

pub struct HostingNetworks {
    asns: HashSet<u32>,
    words: AhoCorasick,
}

impl HostingNetworks {
    pub fn from_catalog() -> anyhow::Result<Self> {
        let catalog = schemas::catalog::hosting_networks();
        Ok(Self {
            asns: catalog.asns.iter().map(|(asn, _)| *asn).collect(),
            words: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(&catalog.organization_words)?,
        })
    }

    pub fn is_hosting(&self, asn: u32, organization: &str) -> bool {
        self.asns.contains(&asn) || self.words.is_match(organization)
    }

    /// The beacon's network; no AS number (the edge had no database, or the address is not in
    /// it) is no network, and so no datacenter.
    pub fn network(&self, asn: Option<i64>, organization: Option<&str>) -> Network {
        let Some(asn) = asn.and_then(|n| u32::try_from(n).ok()) else {
            return Network::default();
        };
        let organization = organization.unwrap_or("").trim();
        Network {
            asn,
            organization: organization.to_owned(),
            datacenter: self.is_hosting(asn, organization),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_numbers_and_hosting_names_are_datacenters_and_access_networks_are_not() {
        let hosting = HostingNetworks::from_catalog().unwrap();
        let aws = hosting.network(Some(16509), Some("Amazon.com, Inc."));
        assert_eq!(
            aws,
            Network {
                asn: 16509,
                organization: "Amazon.com, Inc.".into(),
                datacenter: true
            }
        );
        // An AS the list does not name, by its organisation's words.
        assert!(hosting.is_hosting(64500, "Example HOSTING, Inc."));
        assert!(hosting.is_hosting(64500, "Example Data Center LLC"));
        // Access networks, including ones whose names contain "host" or "cloud".
        for (asn, name) in [
            (7922, "Comcast Cable Communications, LLC"),
            (3320, "Deutsche Telekom AG"),
            (13335, "Cloudflare, Inc."),
            (64501, "Host Hotels and Resorts"),
        ] {
            assert!(!hosting.is_hosting(asn, name), "{name}");
        }
        assert_eq!(hosting.network(None, Some("Hosting")), Network::default());
        assert_eq!(hosting.network(Some(-1), None), Network::default());
        assert_eq!(
            hosting.network(Some(64501), None),
            Network {
                asn: 64501,
                organization: String::new(),
                datacenter: false
            }
        );
    }
}
