//! Crawler verification: a hit that claims an agent whose operator publishes IP ranges is
//! `verified` when its IP is inside them and `spoofed` when not; one whose operator documents
//! reverse DNS is judged by that too (`crate::rdns`), and [`decide`] says which method's verdict
//! stands; every other hit is `unverifiable`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use ipnet::IpNet;
use schemas::vocab::{Verification, VerificationMethod};

use crate::rdns::Outcome;

/// The verdict on a hit from what each method said (`None`: the method does not apply, or, for
/// reverse DNS, has not answered). A `verified` by either method stands, since each is the
/// operator's own word and ranges lists lag behind new crawler addresses; else a `spoofed` by
/// either; else nothing was decided. When both methods agree, published ranges are named: they
/// decided without a lookup.
pub fn decide(
    ranges: Option<Verification>,
    reverse_dns: Option<Outcome>,
) -> (Verification, Option<VerificationMethod>) {
    use VerificationMethod::{IpRanges, ReverseDns};
    match (ranges, reverse_dns) {
        (Some(Verification::Verified), _) => (Verification::Verified, Some(IpRanges)),
        (_, Some(Outcome::Verified)) => (Verification::Verified, Some(ReverseDns)),
        (Some(Verification::Spoofed), _) => (Verification::Spoofed, Some(IpRanges)),
        (_, Some(Outcome::Spoofed)) => (Verification::Spoofed, Some(ReverseDns)),
        _ => (Verification::Unverifiable, None),
    }
}

/// Published ranges per agent name (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct IpRanges {
    by_agent: HashMap<String, Vec<IpNet>>,
}

impl IpRanges {
    /// The copies the catalog ships (`schemas::catalog::ip_ranges`).
    pub fn shipped() -> Self {
        let mut ranges = Self::default();
        for range in schemas::catalog::ip_ranges() {
            ranges
                .add(range.agent, range.cidr)
                .expect("the shipped ranges parse (tested)");
        }
        ranges
    }

    /// `agent<TAB>cidr` lines after a header; `#` lines are comments.
    pub fn from_tsv(text: &str) -> Result<Self, String> {
        let mut ranges = Self::default();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .skip(1)
        {
            let (agent, cidr) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {line:?} is not agent<TAB>cidr"))?;
            ranges.add(agent, cidr)?;
        }
        Ok(ranges)
    }

    /// A vendor list as published: `{"prefixes": [{"ipv4Prefix": …} | {"ipv6Prefix": …}]}`.
    pub fn add_published_json(&mut self, agent: &str, json: &str) -> Result<(), String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let prefixes = value["prefixes"]
            .as_array()
            .ok_or("no \"prefixes\" array")?;
        for prefix in prefixes {
            let cidr = prefix["ipv4Prefix"]
                .as_str()
                .or_else(|| prefix["ipv6Prefix"].as_str())
                .ok_or("a prefix without ipv4Prefix or ipv6Prefix")?;
            self.add(agent, cidr)?;
        }
        Ok(())
    }

    fn add(&mut self, agent: &str, cidr: &str) -> Result<(), String> {
        let net: IpNet = cidr
            .trim()
            .parse()
            .map_err(|e| format!("{agent}: {cidr:?}: {e}"))?;
        self.by_agent
            .entry(agent.trim().to_ascii_lowercase())
            .or_default()
            .push(net);
        Ok(())
    }

    /// Agents' ranges taken from `fresher`, replacing theirs whole; other agents keep theirs.
    pub fn overlaid_with(&self, fresher: &IpRanges) -> IpRanges {
        let mut out = self.clone();
        for (agent, nets) in &fresher.by_agent {
            out.by_agent.insert(agent.clone(), nets.clone());
        }
        out
    }

    pub fn agents(&self) -> usize {
        self.by_agent.len()
    }

    pub fn networks(&self) -> usize {
        self.by_agent.values().map(Vec::len).sum()
    }

    pub fn publishes(&self, agent: &str) -> bool {
        self.by_agent.contains_key(&agent.to_ascii_lowercase())
    }

    pub fn verify(&self, agent: &str, ip: Option<IpAddr>) -> Verification {
        let (Some(nets), Some(ip)) = (self.by_agent.get(&agent.to_ascii_lowercase()), ip) else {
            return Verification::Unverifiable;
        };
        if nets.iter().any(|net| net.contains(&ip)) {
            Verification::Verified
        } else {
            Verification::Spoofed
        }
    }
}

/// The ranges a running loader verifies against; the refresh job swaps in a new set whole, so a
/// hit is never judged against half an update.
#[derive(Debug, Clone)]
pub struct SharedIpRanges(Arc<RwLock<Arc<IpRanges>>>);

impl SharedIpRanges {
    pub fn new(ranges: IpRanges) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(ranges))))
    }

    pub fn current(&self) -> Arc<IpRanges> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, ranges: IpRanges) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ranges);
    }

    pub fn verify(&self, agent: &str, ip: Option<IpAddr>) -> Verification {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .verify(agent, ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_by_either_method_stands_then_a_spoofed_by_either() {
        use Verification::{Spoofed, Unverifiable, Verified};
        use VerificationMethod::{IpRanges, ReverseDns};
        let cases = [
            ((Some(Verified), None), (Verified, Some(IpRanges))),
            (
                (Some(Verified), Some(Outcome::Spoofed)),
                (Verified, Some(IpRanges)),
            ),
            (
                (Some(Verified), Some(Outcome::Verified)),
                (Verified, Some(IpRanges)),
            ),
            (
                (Some(Spoofed), Some(Outcome::Verified)),
                (Verified, Some(ReverseDns)),
            ),
            (
                (None, Some(Outcome::Verified)),
                (Verified, Some(ReverseDns)),
            ),
            (
                (Some(Spoofed), Some(Outcome::Undecided)),
                (Spoofed, Some(IpRanges)),
            ),
            (
                (Some(Spoofed), Some(Outcome::Spoofed)),
                (Spoofed, Some(IpRanges)),
            ),
            ((None, Some(Outcome::Spoofed)), (Spoofed, Some(ReverseDns))),
            ((None, Some(Outcome::Undecided)), (Unverifiable, None)),
            ((None, None), (Unverifiable, None)),
        ];
        for ((ranges, dns), want) in cases {
            assert_eq!(decide(ranges, dns), want, "{ranges:?} {dns:?}");
        }
    }

    #[test]
    fn claims_inside_published_ranges_are_verified_and_outside_spoofed() {
        let ranges = IpRanges::shipped();
        for agent in [
            "GPTBot",
            "ClaudeBot",
            "Claude-User",
            "PerplexityBot",
            "Googlebot",
            "bingbot",
        ] {
            assert!(ranges.publishes(agent), "{agent}");
        }
        // The first shipped GPTBot range is 4.227.36.0/25.
        let inside = "4.227.36.7".parse().ok();
        assert_eq!(ranges.verify("GPTBot", inside), Verification::Verified);
        assert_eq!(ranges.verify("gptbot", inside), Verification::Verified);
        assert_eq!(
            ranges.verify("GPTBot", "203.0.113.9".parse().ok()),
            Verification::Spoofed
        );
        assert_eq!(ranges.verify("GPTBot", None), Verification::Unverifiable);
        assert_eq!(ranges.verify("AcmeBot", inside), Verification::Unverifiable);
        // A claim under one agent's name is not verified by another agent's ranges.
        assert_eq!(ranges.verify("ClaudeBot", inside), Verification::Spoofed);
    }

    #[test]
    fn vendor_json_lists_load_both_families() {
        let mut ranges = IpRanges::default();
        ranges
            .add_published_json(
                "ExampleBot",
                r#"{"creationTime":"2026-11-01T00:00:00","prefixes":[{"ipv4Prefix":"198.51.100.0/24"},{"ipv6Prefix":"2001:db8::/32"}]}"#,
            )
            .unwrap();
        assert_eq!(
            ranges.verify("ExampleBot", "198.51.100.20".parse().ok()),
            Verification::Verified
        );
        assert_eq!(
            ranges.verify("ExampleBot", "2001:db8::1".parse().ok()),
            Verification::Verified
        );
        assert_eq!(
            ranges.verify("ExampleBot", "2001:db9::1".parse().ok()),
            Verification::Spoofed
        );
        assert!(ranges
            .add_published_json("X", r#"{"prefixes":[{"ipv4Prefix":"not a cidr"}]}"#)
            .is_err());
        assert!(IpRanges::from_tsv("agent\tcidr\nGPTBot").is_err());
    }
}
