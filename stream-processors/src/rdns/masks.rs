//! Operators' reverse-DNS masks, compiled: which host names may vouch for a claimed agent.

use std::collections::HashMap;

use regex::Regex;

/// The masks of every agent whose operator documents reverse DNS, by agent name
/// (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct Masks {
    by_agent: HashMap<String, Vec<Regex>>,
}

/// A mask in arcjet's syntax as an anchored, case-insensitive regex: `*` is zero or one
/// character, `@` any number of characters, everything else literal. Host names are ASCII, so
/// anything else in a mask is a mistake, not a pattern.
pub fn compile(mask: &str) -> Result<Regex, String> {
    if mask.is_empty() {
        return Err("an empty mask".into());
    }
    let mut pattern = String::from("(?i)^");
    for c in mask.chars() {
        match c {
            '*' => pattern.push_str(".?"),
            '@' => pattern.push_str(".*"),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' => {
                pattern.push_str(&regex::escape(&c.to_string()))
            }
            c => return Err(format!("{mask:?}: {c:?} is no host-name character")),
        }
    }
    pattern.push('$');
    Regex::new(&pattern).map_err(|e| format!("{mask:?}: {e}"))
}

impl Masks {
    /// The catalog's masks (`schemas::catalog::reverse_dns_masks`).
    pub fn shipped() -> Self {
        let mut masks = Self::default();
        for row in schemas::catalog::reverse_dns_masks() {
            for mask in row.masks {
                masks
                    .add(row.agent, mask)
                    .expect("the shipped masks compile (tested)");
            }
        }
        masks
    }

    pub fn add(&mut self, agent: &str, mask: &str) -> Result<(), String> {
        let regex = compile(mask)?;
        self.by_agent
            .entry(agent.to_ascii_lowercase())
            .or_default()
            .push(regex);
        Ok(())
    }

    /// Whether the agent's operator documents reverse DNS at all.
    pub fn covers(&self, agent: &str) -> bool {
        self.by_agent.contains_key(&agent.to_ascii_lowercase())
    }

    /// Whether `host` (a PTR name, with or without its final dot) is one the agent's operator
    /// names its crawlers with.
    pub fn matches(&self, agent: &str, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host);
        self.by_agent
            .get(&agent.to_ascii_lowercase())
            .is_some_and(|masks| masks.iter().any(|m| m.is_match(host)))
    }

    pub fn agents(&self) -> usize {
        self.by_agent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_are_at_most_one_character_and_at_signs_any_number() {
        let mut masks = Masks::default();
        masks
            .add("Googlebot", "crawl-***-***-***-***.googlebot.com")
            .unwrap();
        masks.add("bingbot", "@.search.msn.com").unwrap();
        masks.add("UptimeRobot", "ip.uptimerobot.com").unwrap();
        for host in [
            "crawl-66-249-66-1.googlebot.com",
            "crawl-66-249-66-1.googlebot.com.",
            "CRAWL-66-249-66-1.GoogleBot.com",
            "crawl-1-2-3-4.googlebot.com",
        ] {
            assert!(masks.matches("googlebot", host), "{host}");
        }
        for host in [
            "crawl-1000-2-3-4.googlebot.com",
            "crawl-66-249-66-1.googlebot.com.evil.example",
            "evil-crawl-66-249-66-1.googlebot.com",
            "crawl-66-249-66-1.googlebot.co",
            "googlebot.com",
        ] {
            assert!(!masks.matches("Googlebot", host), "{host}");
        }
        assert!(masks.matches("bingbot", "msnbot-157-55-39-1.search.msn.com"));
        assert!(masks.matches("bingbot", ".search.msn.com"));
        assert!(!masks.matches("bingbot", "search.msn.com.evil.example"));
        assert!(!masks.matches("bingbot", "evilsearch.msn.com"));
        assert!(masks.matches("UptimeRobot", "ip.uptimerobot.com"));
        assert!(
            !masks.matches("UptimeRobot", "ipXuptimerobot.com"),
            "dots are literal"
        );
        assert!(
            !masks.matches("Googlebot", "msnbot-1.search.msn.com"),
            "another operator's name vouches for nothing"
        );
        assert!(!masks.matches("AcmeBot", "crawl-1-2-3-4.googlebot.com"));
        assert!(masks.covers("GOOGLEBOT") && !masks.covers("AcmeBot"));
    }

    #[test]
    fn masks_with_other_characters_are_refused() {
        for bad in [
            "",
            "crawl-(.*).googlebot.com",
            "a b.example",
            "bücher.example",
        ] {
            assert!(compile(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_shipped_mask_compiles_and_names_the_operators_hosts() {
        let masks = Masks::shipped();
        assert_eq!(masks.agents(), schemas::catalog::reverse_dns_masks().len());
        for (agent, host) in [
            ("Googlebot", "crawl-66-249-66-1.googlebot.com"),
            ("Googlebot", "geo-crawl-35-247-243-240.geo.googlebot.com"),
            ("bingbot", "msnbot-40-77-167-1.search.msn.com"),
            ("Applebot", "17-58-101-179.applebot.apple.com"),
            ("yandex.com/bots", "5-255-253-1.spider.yandex.com"),
            ("Baiduspider", "baiduspider-220-181-108-1.crawl.baidu.com"),
        ] {
            assert!(masks.matches(agent, host), "{agent} {host}");
        }
    }
}
