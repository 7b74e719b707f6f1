//! Crawler IP-range refresh: reads each configured source (a vendor's published JSON list for one
//! agent, or a `agent<TAB>cidr` file for several) from a file or an http(s) URL and swaps the
//! result into the loader's verifier. A source that fails or lists nothing leaves that agent's
//! ranges as they were: an empty list would turn every real crawler into a "spoofed" one.

use std::time::Duration;

use clickhouse::Client;
use futures::future::BoxFuture;

use super::scheduler::{Job, Outcome};
use crate::enrich::verify::{IpRanges, SharedIpRanges};

#[derive(Debug, Clone, PartialEq)]
pub struct RangeSource {
    /// Set for a vendor JSON list (which does not name its agent).
    pub agent: Option<String>,
    pub location: String,
}

impl std::str::FromStr for RangeSource {
    type Err = String;

    /// `AGENT=LOCATION` for a vendor JSON list, `LOCATION` for a TSV file.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty IP-range source".into());
        }
        let is_url = text.starts_with("http://") || text.starts_with("https://");
        match text.split_once('=') {
            Some((agent, location)) if !is_url || agent.chars().all(|c| c != '/' && c != ':') => {
                Ok(Self {
                    agent: Some(agent.trim().to_owned()),
                    location: location.trim().to_owned(),
                })
            }
            _ => Ok(Self {
                agent: None,
                location: text.to_owned(),
            }),
        }
    }
}

pub struct IpRangeRefresh {
    pub sources: Vec<RangeSource>,
    pub ranges: SharedIpRanges,
    pub http: reqwest::Client,
}

impl IpRangeRefresh {
    pub fn new(sources: Vec<RangeSource>, ranges: SharedIpRanges) -> Self {
        Self {
            sources,
            ranges,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a client without custom TLS settings builds"),
        }
    }

    async fn read(&self, location: &str) -> anyhow::Result<String> {
        if location.starts_with("http://") || location.starts_with("https://") {
            let response = self.http.get(location).send().await?.error_for_status()?;
            Ok(response.text().await?)
        } else {
            Ok(tokio::fs::read_to_string(location).await?)
        }
    }

    async fn load(&self, source: &RangeSource) -> anyhow::Result<IpRanges> {
        let text = self.read(&source.location).await?;
        let ranges = match &source.agent {
            Some(agent) => {
                let mut ranges = IpRanges::default();
                ranges
                    .add_published_json(agent, &text)
                    .map_err(anyhow::Error::msg)?;
                ranges
            }
            None => IpRanges::from_tsv(&text).map_err(anyhow::Error::msg)?,
        };
        if ranges.networks() == 0 {
            anyhow::bail!("lists no ranges");
        }
        Ok(ranges)
    }
}

impl Job for IpRangeRefresh {
    fn name(&self) -> &'static str {
        "crawler_ip_ranges"
    }

    fn run<'a>(&'a self, _: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
        Box::pin(async move {
            let mut merged = (*self.ranges.current()).clone();
            let mut failures = Vec::new();
            let mut loaded = 0;
            for source in &self.sources {
                match self.load(source).await {
                    Ok(fresh) => {
                        loaded += fresh.networks();
                        merged = merged.overlaid_with(&fresh);
                    }
                    Err(error) => failures.push(format!("{}: {error:#}", source.location)),
                }
            }
            let (agents, networks) = (merged.agents(), merged.networks());
            self.ranges.replace(merged);
            if !failures.is_empty() {
                anyhow::bail!(
                    "{} of {} sources failed, their agents keep their previous ranges: {}",
                    failures.len(),
                    self.sources.len(),
                    failures.join("; ")
                );
            }
            Ok(Outcome {
                rows: loaded as u64,
                parts: 0,
                message: format!(
                    "{} sources read, {loaded} ranges loaded; verifying {agents} agents against {networks} ranges",
                    self.sources.len()
                ),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_agent_equals_location_or_a_bare_tsv_location() {
        let json: RangeSource = "GPTBot=https://openai.com/gptbot.json".parse().unwrap();
        assert_eq!(json.agent.as_deref(), Some("GPTBot"));
        assert_eq!(json.location, "https://openai.com/gptbot.json");
        let tsv: RangeSource = "/etc/optiview/ranges.tsv".parse().unwrap();
        assert_eq!(tsv.agent, None);
        let url_with_query: RangeSource = "https://example.com/r.tsv?v=1".parse().unwrap();
        assert_eq!(url_with_query.agent, None);
        assert!("  ".parse::<RangeSource>().is_err());
    }
}
