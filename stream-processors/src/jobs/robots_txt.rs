//! robots.txt refresh: fetches each active property's robots.txt, records every distinct version
//! in `robots_txt` and swaps it into the loader's enricher, which judges crawler hits by it.
//!
//! RFC 9309 §2.3.1: a 2xx answer is the file (its first 500 KiB), a 4xx means there is none and
//! anything may be fetched. A server error or an unreachable site defines nothing: the RFC lets
//! a crawler keep using its cached copy, so the last file known — in memory, else the newest
//! stored version — stays in force; with none, hits stay `unknown`, since nothing tells what the
//! crawler saw (treating them all as disallowed would report violations nobody can vouch for).
//! The crawler's own fetch may have failed differently from ours.
//!
//! Properties the control plane adds are fetched within seconds (`watch_new`), not at the next
//! scheduled run, so their first crawler hits are judged.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use clickhouse::{Client, Row};
use futures::future::BoxFuture;
use platform::control_follower::ControlHandle;
use platform::robots::append_capped;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::scheduler::{Job, Outcome};
use crate::enrich::robots::{RobotsFile, SharedRobots};

/// Where a property's robots.txt is fetched from: `{domain}` becomes the property's domain.
pub const DEFAULT_URL: &str = "https://{domain}/robots.txt";

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct VersionRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub fetched_at: DateTime<Utc>,
    pub url: String,
    pub status: u16,
    pub checksum: String,
    pub body: String,
}

/// What one property's fetch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// A file (or a 4xx) like the newest stored version.
    Unchanged,
    /// A new version, stored.
    Changed,
    /// Nothing usable came back; the last version known stays in force (`kept`), if any.
    Failed { why: String, kept: bool },
}

/// An active property to fetch for.
#[derive(Debug, Clone)]
struct Site {
    project_id: String,
    property_id: u64,
    domain: String,
}

#[derive(Clone)]
pub struct RobotsRefresh {
    control: ControlHandle,
    robots: SharedRobots,
    http: reqwest::Client,
    url: String,
    max_bytes: usize,
    allow_private: bool,
    /// Properties fetched at least once by this process, so `watch_new` leaves them to the
    /// schedule.
    attempted: Arc<Mutex<HashSet<u64>>>,
    /// One refresh at a time: two at once could both store the same new version.
    running: Arc<tokio::sync::Mutex<()>>,
}

impl RobotsRefresh {
    /// `url`: a template with `{domain}` ([`DEFAULT_URL`]); tests point it at a local server,
    /// which `allow_private` permits (off, only public addresses are fetched: a partner's domain
    /// must not make the loader reach its own network).
    pub fn new(
        control: ControlHandle,
        robots: SharedRobots,
        url: &str,
        timeout: Duration,
        max_bytes: usize,
        allow_private: bool,
    ) -> Self {
        Self {
            control,
            robots,
            // RFC 9309 §2.3.1.2: follow at least five consecutive redirects.
            http: super::public_fetch::client(
                timeout,
                5,
                concat!(
                    "Optiview-robots/",
                    env!("CARGO_PKG_VERSION"),
                    " (robots.txt compliance)"
                ),
                allow_private,
            ),
            url: url.to_owned(),
            max_bytes,
            allow_private,
            attempted: Arc::default(),
            running: Arc::default(),
        }
    }

    fn sites(&self) -> Vec<Site> {
        let view = self.control.view();
        view.properties()
            .filter(|p| p.active && !p.domain.is_empty())
            .filter_map(|p| {
                Some(Site {
                    project_id: p.project_id.clone(),
                    property_id: u64::try_from(p.id).ok()?,
                    domain: p.domain.clone(),
                })
            })
            .collect()
    }

    /// Status and at most `max_bytes` of the body; what follows is never read.
    async fn fetch(&self, url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let parsed = reqwest::Url::parse(url)?;
        super::public_fetch::check_url(&parsed, self.allow_private)?;
        let response = self.http.get(parsed).send().await?;
        let status = response.status().as_u16();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if append_capped(&mut body, &chunk, self.max_bytes) {
                break;
            }
        }
        Ok((status, body))
    }

    /// Fetches one property's file, stores it if it is a new version, and puts it in force.
    async fn refresh(&self, client: &Client, site: &Site) -> anyhow::Result<Refreshed> {
        self.attempted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(site.property_id);
        let url = self.url.replace("{domain}", &site.domain);
        let now = Utc::now();
        let file = match self.fetch(&url).await {
            Ok((status, body)) => RobotsFile::from_answer(status, &body, now)
                .ok_or_else(|| format!("answered {status}")),
            Err(error) => Err(format!("unreachable: {error:#}")),
        };
        let newest = newest_version(client, site).await?;
        let file = match file {
            Ok(file) => file,
            Err(why) => {
                let kept = self.robots.get(site.property_id).is_some() || {
                    // After a restart memory is empty: the newest stored version is the last good
                    // one.
                    match newest {
                        Some(row) => {
                            self.robots.set(
                                site.property_id,
                                RobotsFile::stored(row.status, row.body, row.fetched_at),
                            );
                            true
                        }
                        None => false,
                    }
                };
                return Ok(Refreshed::Failed { why, kept });
            }
        };
        let changed =
            newest.is_none_or(|row| row.status != file.status || row.checksum != file.checksum);
        let row = VersionRow {
            project_id: site.project_id.clone(),
            property_id: site.property_id,
            fetched_at: now,
            url,
            status: file.status,
            checksum: file.checksum.clone(),
            body: file.body.clone(),
        };
        // In force before it is visible in `robots_txt`: whoever sees the row (the demo waits for
        // it) can rely on hits from then on being judged by it.
        self.robots.set(site.property_id, file);
        if changed {
            crate::health::store::insert(client, "robots_txt", std::slice::from_ref(&row)).await?;
            return Ok(Refreshed::Changed);
        }
        Ok(Refreshed::Unchanged)
    }

    /// Every active property (`only_new`: only those this process never fetched).
    pub async fn refresh_all(&self, client: &Client, only_new: bool) -> anyhow::Result<Outcome> {
        let _running = self.running.lock().await;
        let mut sites = self.sites();
        if only_new {
            let attempted = self.attempted.lock().unwrap_or_else(|e| e.into_inner());
            sites.retain(|s| !attempted.contains(&s.property_id));
        }
        let (mut changed, mut failures) = (0u64, Vec::new());
        for site in &sites {
            match self.refresh(client, site).await? {
                Refreshed::Changed => changed += 1,
                Refreshed::Unchanged => {}
                Refreshed::Failed { why, kept } => failures.push(format!(
                    "property {} ({}): {why}, {}",
                    site.property_id,
                    site.domain,
                    if kept {
                        "its last file stays in force"
                    } else {
                        "its hits stay unknown"
                    }
                )),
            }
        }
        // One site down is that site's business; none reachable is more likely ours (network,
        // proxy, the URL setting), which the job's failure makes visible on /admin/health.
        if !failures.is_empty() && failures.len() == sites.len() {
            anyhow::bail!(
                "every robots.txt fetch failed ({}): {}",
                failures.len(),
                failures.join("; ")
            );
        }
        let failed = if failures.is_empty() {
            String::new()
        } else {
            format!("; {} failed: {}", failures.len(), failures.join("; "))
        };
        Ok(Outcome {
            rows: changed,
            parts: 0,
            message: format!(
                "{} robots.txt files fetched, {changed} new versions stored{failed}",
                sites.len() - failures.len()
            ),
        })
    }

    /// Every `period`, fetches the properties this process has not fetched yet, until `stop`.
    pub async fn watch_new(
        self,
        client: Client,
        period: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(period) => {}
            }
            if let Err(error) = self.refresh_all(&client, true).await {
                tracing::warn!(error = %format!("{error:#}"), "robots.txt of a new property");
            }
        }
    }
}

/// The newest stored version of the property's file.
async fn newest_version(
    client: &Client,
    site: &Site,
) -> clickhouse::error::Result<Option<VersionRow>> {
    client
        .query(
            "SELECT ?fields FROM robots_txt WHERE project_id = ? AND property_id = ? \
             ORDER BY fetched_at DESC LIMIT 1",
        )
        .bind(&site.project_id)
        .bind(site.property_id)
        .fetch_optional()
        .await
}

impl Job for RobotsRefresh {
    fn name(&self) -> &'static str {
        "robots_txt"
    }

    fn run<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
        Box::pin(self.refresh_all(client, false))
    }
}
