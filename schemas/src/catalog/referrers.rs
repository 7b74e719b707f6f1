//! How a visit's origin is recognised: AI assistants by referrer host (and path) or URL marker,
//! search engines and social networks by referrer host.

use std::collections::BTreeSet;

use super::{col, non_empty, rows};
use crate::vocab::{Channel, Vocabulary};

pub(super) const AI_REFERRERS: &str = include_str!("../../catalog/ai_referrers.tsv");
pub(super) const CHANNEL_HOSTS: &str = include_str!("../../catalog/channel_hosts.tsv");

/// How an AI assistant is recognised: its referrer host (optionally a path prefix), or a URL
/// parameter with a given value. Hosts and values are lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferrerRule {
    Host {
        source: String,
        host: String,
        path_prefix: Option<String>,
    },
    Marker {
        source: String,
        param: String,
        value: String,
    },
}

/// A search engine or social network host; `{}` in `host` stands for any public suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHost {
    pub channel: Channel,
    pub name: String,
    pub host: String,
}

pub fn referrer_rules() -> Vec<ReferrerRule> {
    rows(AI_REFERRERS)
        .filter_map(|r| match col(&r, 0) {
            "host" => Some(ReferrerRule::Host {
                source: col(&r, 1).to_owned(),
                host: col(&r, 2).to_ascii_lowercase(),
                path_prefix: non_empty(col(&r, 3)),
            }),
            "marker" => Some(ReferrerRule::Marker {
                source: col(&r, 1).to_owned(),
                param: col(&r, 3).to_owned(),
                value: col(&r, 4).to_ascii_lowercase(),
            }),
            _ => None,
        })
        .collect()
}

/// Every AI source name attribution can produce, sorted, each once.
pub fn ai_sources() -> Vec<&'static str> {
    let names: BTreeSet<&'static str> = rows(AI_REFERRERS)
        .map(|r| col(&r, 1).trim())
        .filter(|n| !n.is_empty())
        .collect();
    names.into_iter().collect()
}

/// Hosts whose channel is one of the pipeline's (tested: all of them).
pub fn channel_hosts() -> Vec<ChannelHost> {
    rows(CHANNEL_HOSTS)
        .filter_map(|r| {
            Some(ChannelHost {
                channel: Channel::parse(col(&r, 0))?,
                name: col(&r, 1).to_owned(),
                host: col(&r, 2).to_ascii_lowercase(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_referrer_and_channel_row_parses() {
        assert_eq!(referrer_rules().len(), rows(AI_REFERRERS).count());
        let hosts = channel_hosts();
        assert_eq!(
            hosts.len(),
            rows(CHANNEL_HOSTS).count(),
            "a host row has an unknown channel"
        );
        assert!(hosts.iter().all(|h| matches!(
            h.channel,
            Channel::Search | Channel::Social | Channel::Email
        )));
    }

    #[test]
    fn the_sources_are_the_assistants_names_without_the_header() {
        let sources = ai_sources();
        for name in [
            "ChatGPT",
            "Claude",
            "Perplexity",
            "Gemini",
            "Copilot",
            "Grok",
        ] {
            assert!(sources.contains(&name), "{name} missing from {sources:?}");
        }
        assert!(!sources.contains(&"source"), "the header is not a name");
        assert!(sources.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    }
}
