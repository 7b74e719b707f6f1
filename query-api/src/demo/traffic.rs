//! Synthetic traffic for the demo, as the tag and a partner's log forwarder would send it: people
//! arriving from AI assistants, search, social and directly, browsing a few pages, clicking and
//! converting; and crawlers reading pages, some from their operator's published ranges and some
//! spoofing a well-known agent from elsewhere. Deterministic for a seed and a clock.

use std::collections::HashMap;
use std::net::IpAddr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use schemas::beacon::TagEventType;
use schemas::catalog::IpRange;
use schemas::vocab::Vocabulary;
use serde_json::{json, Value};

/// (path, title, how likely an AI-referred visitor lands here, how likely anyone else does)
pub const PAGES: [(&str, &str, u32, u32); 8] = [
    ("/", "Example Co — analytics for the AI era", 10, 40),
    ("/pricing/", "Pricing — Example Co", 10, 15),
    ("/features/", "Features — Example Co", 10, 10),
    ("/docs/getting-started/", "Getting started — Docs", 25, 10),
    (
        "/blog/ai-visibility-guide/",
        "The AI visibility guide — Blog",
        30,
        10,
    ),
    (
        "/blog/llm-seo-checklist/",
        "An LLM SEO checklist — Blog",
        25,
        5,
    ),
    ("/customers/", "Customers — Example Co", 5, 5),
    ("/signup/", "Sign up — Example Co", 0, 5),
];

/// (label, referrer, utm_source on the landing URL, weight). AI assistants first.
const SOURCES: [(&str, Option<&str>, Option<&str>, u32); 11] = [
    ("chatgpt", Some("https://chatgpt.com/"), None, 12),
    ("chatgpt-utm", None, Some("chatgpt.com"), 6),
    (
        "perplexity",
        Some("https://www.perplexity.ai/search?q=ai+visibility"),
        None,
        8,
    ),
    ("claude", Some("https://claude.ai/"), None, 6),
    ("gemini", Some("https://gemini.google.com/app"), None, 5),
    ("copilot", Some("https://copilot.microsoft.com/"), None, 3),
    ("google", Some("https://www.google.com/"), None, 22),
    ("bing", Some("https://www.bing.com/"), None, 5),
    (
        "hn",
        Some("https://news.ycombinator.com/item?id=1"),
        None,
        5,
    ),
    ("linkedin", Some("https://www.linkedin.com/feed/"), None, 4),
    ("direct", None, None, 24),
];
const AI_LABELS: usize = 6;

const BROWSERS: [(&str, &str, &str); 7] = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "1920x1080", "en-US"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "1512x982", "en-GB"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "2560x1440", "de-DE"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "393x852", "en-US"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "412x915", "fr-FR"),
    ("Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "820x1180", "ja-JP"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "1366x768", "en-IN"),
];

/// (country, time zone, weight)
const COUNTRIES: [(&str, &str, u32); 10] = [
    ("US", "America/New_York", 30),
    ("GB", "Europe/London", 10),
    ("DE", "Europe/Berlin", 10),
    ("FR", "Europe/Paris", 7),
    ("IN", "Asia/Kolkata", 10),
    ("CA", "America/Toronto", 6),
    ("BR", "America/Sao_Paulo", 6),
    ("JP", "Asia/Tokyo", 6),
    ("AU", "Australia/Sydney", 5),
    ("NL", "Europe/Amsterdam", 10),
];

/// Address prefixes of cloud networks (AWS, DigitalOcean, Google Cloud in the installed ASN
/// database) that some demo people browse from: cloud browsers and VPN exits, which the overview
/// counts apart from human visitors. Every other demo visitor comes from 198.51.100.0/24, which
/// no database knows.
const CLOUD_PREFIXES: [&str; 3] = ["3.80.12", "159.203.40", "34.120.9"];
/// One person in this many browses from a cloud network.
const CLOUD_EVERY: usize = 12;

/// (published agent name, user agent, hits per page per day, share spoofed from elsewhere)
const CRAWLERS: [(&str, &str, u32, f64); 10] = [
    ("GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot", 3, 0.2),
    ("OAI-SearchBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot", 2, 0.0),
    ("ChatGPT-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", 2, 0.0),
    ("ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ClaudeBot/1.0; +claudebot@anthropic.com", 2, 0.3),
    ("PerplexityBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)", 2, 0.1),
    ("Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 3, 0.1),
    ("bingbot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", 1, 0.0),
    ("CCBot", "CCBot/2.0 (https://commoncrawl.org/faq/)", 1, 0.1),
    ("Bytespider", "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", 1, 0.0),
    ("Baiduspider", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", 1, 0.25),
];

/// Crawlers whose operator publishes no ranges but names its addresses in DNS: the local stack's
/// DNS server (`infra/demo-dns.py`) answers for these networks as the operator's would, so their
/// hits are verified by reverse DNS.
const REVERSE_DNS_ADDRESSES: [(&str, &str); 2] =
    [("Baiduspider", "180.76.15.7"), ("CCBot", "18.97.9.168")];

/// The files written for machines the demo crawlers read (once a day each), and who reads them.
const MACHINE_FILES: [(&str, &[&str]); 5] = [
    (
        "/robots.txt",
        &[
            "GPTBot",
            "OAI-SearchBot",
            "ClaudeBot",
            "PerplexityBot",
            "Googlebot",
            "bingbot",
            "CCBot",
            "Bytespider",
        ],
    ),
    (
        "/llms.txt",
        &["GPTBot", "OAI-SearchBot", "ClaudeBot", "PerplexityBot"],
    ),
    ("/llms-full.txt", &["ClaudeBot"]),
    ("/sitemap.xml", &["Googlebot", "bingbot", "GPTBot"]),
    (
        "/docs/getting-started.md",
        &["ChatGPT-User", "ClaudeBot", "PerplexityBot"],
    ),
];

/// Ids the envelopes carry.
#[derive(Debug, Clone)]
pub struct Target {
    pub key_id: String,
    pub project_id: String,
    pub property_id: i64,
    /// The site's host, e.g. `www.example.com`.
    pub host: String,
}

/// One browser session: what `/v1/collect` receives, and the headers a trusted proxy would add.
#[derive(Debug, Clone)]
pub struct Visit {
    pub ip: String,
    pub country: &'static str,
    pub user_agent: &'static str,
    pub envelope: Value,
}

#[derive(Debug, Clone, Default)]
pub struct Traffic {
    pub visits: Vec<Visit>,
    /// NDJSON objects for `/v1/hits`.
    pub hits: Vec<Value>,
}

impl Traffic {
    pub fn tag_events(&self) -> usize {
        self.visits
            .iter()
            .map(|v| v.envelope["events"].as_array().map_or(0, Vec::len))
            .sum()
    }
}

/// The index of an item drawn with probability proportional to its weight.
fn pick<T>(rng: &mut StdRng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    let mut ticket = rng.random_range(0..total.max(1));
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if ticket < w {
            return i;
        }
        ticket -= w;
    }
    items.len() - 1
}

/// A random moment of the last `span_ms`, busier in the (UTC) afternoon than at night.
fn moment(rng: &mut StdRng, now_ms: i64, span_ms: i64) -> i64 {
    loop {
        let t = now_ms - rng.random_range(0..span_ms);
        let hour = (t / 3_600_000).rem_euclid(24) as f64;
        let busy = 0.35 + 0.65 * (((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos() + 1.0) / 2.0;
        if rng.random::<f64>() < busy {
            return t;
        }
    }
}

/// `sessions` visits and the crawler hits of `days` days (at most 6, so every event is within
/// the pipeline's 7-day window for late events), ending at `now_ms`.
pub fn generate(
    target: &Target,
    now_ms: i64,
    days: u32,
    sessions: usize,
    seed: u64,
    published: &HashMap<String, IpAddr>,
) -> Traffic {
    let mut rng = StdRng::seed_from_u64(seed);
    let days = days.clamp(1, 6);
    let span_ms = i64::from(days) * 86_400_000;
    let site = format!("https://{}", target.host);
    // Returning visitors: fewer people than sessions.
    let people = (sessions * 2 / 3).max(1);
    let mut visits = Vec::with_capacity(sessions);
    for n in 0..sessions {
        let person = rng.random_range(0..people);
        let (user_agent, screen, language) = BROWSERS[person % BROWSERS.len()];
        let (country, time_zone, _) = COUNTRIES[pick(&mut rng, &COUNTRIES, |c| c.2)];
        let source_index = pick(&mut rng, &SOURCES, |s| s.3);
        let (_, referrer, utm_source, _) = SOURCES[source_index];
        let from_ai = source_index < AI_LABELS;
        let landing = PAGES[pick(&mut rng, &PAGES, |p| if from_ai { p.2 } else { p.3 })];
        let mut ts = moment(&mut rng, now_ms - 120_000, span_ms - 3_600_000);
        let depth = 1 + (0..4).take_while(|_| rng.random::<f64>() < 0.45).count();
        let mut path = vec![landing];
        while path.len() < depth {
            path.push(PAGES[rng.random_range(0..PAGES.len())]);
        }
        let converts = rng.random::<f64>() < if from_ai { 0.16 } else { 0.07 };
        if converts && path.last().map(|p| p.0) != Some("/signup/") {
            path.push(PAGES[PAGES.len() - 1]);
        }
        let session_id = format!("demo-s{seed}-{n:05}");
        let mut events = Vec::new();
        let mut previous: Option<String> = None;
        for (i, (page, title, _, _)) in path.iter().enumerate() {
            let mut url = format!("{site}{page}");
            let mut utm = json!({});
            if i == 0 {
                if let Some(source) = utm_source {
                    url.push_str(&format!("?utm_source={source}"));
                    utm = json!({ "utm_source": source });
                }
            }
            let page_referrer = match (i, &previous) {
                (0, _) => referrer.map(str::to_owned),
                (_, prior) => prior.clone(),
            };
            events.push(json!({
                "id": format!("{session_id}-{}", events.len()),
                "type": TagEventType::Pageview.as_str(),
                "ts": ts,
                "url": url,
                "referrer": page_referrer,
                "title": title,
                "screen": screen,
                "language": language,
                "time_zone": time_zone,
                "utm": utm,
            }));
            if rng.random::<f64>() < 0.25 {
                ts += rng.random_range(3_000..20_000);
                let (kind, text) = [
                    ("internal", "Get started"),
                    ("outbound", "GitHub"),
                    ("download", "Whitepaper (PDF)"),
                ][rng.random_range(0..3)];
                events.push(json!({
                    "id": format!("{session_id}-{}", events.len()),
                    "type": TagEventType::Click.as_str(), "ts": ts, "url": url,
                    "props": { "kind": kind, "text": text },
                }));
            }
            previous = Some(url);
            ts += rng.random_range(15_000..150_000);
        }
        if converts {
            let url = format!("{site}/signup/");
            events.push(json!({
                "id": format!("{session_id}-{}", events.len()),
                "type": TagEventType::Conversion.as_str(), "ts": ts, "url": url, "name": "signup",
            }));
            if rng.random::<f64>() < 0.35 {
                let value = [49.0, 99.0, 199.0][rng.random_range(0..3)];
                events.push(json!({
                    "id": format!("{session_id}-{}", events.len()),
                    "type": TagEventType::Conversion.as_str(), "ts": ts + 60_000, "url": url,
                    "name": "purchase", "value": value, "currency": "USD",
                }));
            }
        }
        // Keep the whole session in the past: late pages of a recent session are dropped.
        events.retain(|e| e["ts"].as_i64().is_some_and(|t| t < now_ms));
        visits.push(Visit {
            ip: if person % CLOUD_EVERY == CLOUD_EVERY - 1 {
                let prefix = CLOUD_PREFIXES[person / CLOUD_EVERY % CLOUD_PREFIXES.len()];
                format!("{prefix}.{}", person % 250 + 1)
            } else {
                format!("198.51.100.{}", person % 250 + 1)
            },
            country,
            user_agent,
            envelope: json!({
                "key_id": target.key_id,
                "project_id": target.project_id,
                "property_id": target.property_id,
                "visitor_id": format!("demo-v{seed}-{person:05}"),
                "session_id": session_id,
                "events": events,
            }),
        });
    }

    let mut hits = Vec::new();
    for (agent, user_agent, per_day, spoofed) in CRAWLERS {
        let files = MACHINE_FILES
            .iter()
            .filter(|(_, readers)| readers.contains(&agent))
            .map(|(file, _)| (*file, days));
        let pages = PAGES
            .iter()
            .map(|(page, _, ai_weight, _)| (*page, per_day * days * (1 + ai_weight / 15)));
        for (page, count) in pages.chain(files) {
            for _ in 0..count {
                let real = published.get(agent).copied().or_else(|| {
                    REVERSE_DNS_ADDRESSES
                        .iter()
                        .find(|(name, _)| *name == agent)
                        .and_then(|(_, ip)| ip.parse::<IpAddr>().ok())
                });
                let ip = match real {
                    Some(ip) if rng.random::<f64>() >= spoofed => ip.to_string(),
                    // Claims the agent from an address its operator never published.
                    _ => format!("203.0.113.{}", rng.random_range(1..255)),
                };
                hits.push(json!({
                    "ts": moment(&mut rng, now_ms - 60_000, span_ms - 3_600_000),
                    "method": "GET",
                    "host": target.host,
                    "path": page,
                    "status": if rng.random::<f64>() < 0.03 { 404 } else { 200 },
                    "ip": ip,
                    "user_agent": user_agent,
                    "bytes": rng.random_range(8_000..60_000),
                    "response_ms": rng.random_range(20..400),
                }));
            }
        }
    }
    // ChatGPT Agent browsing for its users: a browser's user agent from an address in no list,
    // vouched for by its signature; one request in ten signed by a key chatgpt.com never
    // published (spoofed).
    let agent_key = super::signed::demo_key("agent");
    let stranger = super::signed::demo_key("stranger");
    for (n, page) in [
        "/pricing/",
        "/features/",
        "/docs/getting-started/",
        "/customers/",
    ]
    .iter()
    .cycle()
    .take(days as usize * 6)
    .enumerate()
    {
        let ts = moment(&mut rng, now_ms - 60_000, span_ms - 3_600_000);
        let mut hit = json!({
            "ts": ts,
            "method": "GET",
            "host": target.host,
            "path": page,
            "status": 200,
            "ip": format!("192.0.2.{}", rng.random_range(1..255)),
            "user_agent": super::signed::USER_AGENT,
            "bytes": rng.random_range(8_000..60_000),
            "response_ms": rng.random_range(20..400),
        });
        let key = if n % 10 == 9 { &stranger } else { &agent_key };
        super::signed::sign(&mut hit, key, &target.host, page, ts, n as u64);
        hits.push(hit);
    }
    Traffic { visits, hits }
}

/// An address inside each agent's first published range (its first host; a /31 or /32's own
/// address), from the catalog's shipped ranges, so verified hits verify against the same data the
/// pipeline uses.
pub fn published_addresses(ranges: &[IpRange]) -> HashMap<String, IpAddr> {
    let mut out = HashMap::new();
    for IpRange { agent, cidr } in ranges {
        let Some((address, prefix)) = cidr.trim().split_once('/') else {
            continue;
        };
        let prefix: u8 = prefix.parse().unwrap_or(32);
        if let Ok(ip) = address.parse::<IpAddr>() {
            let ip = match ip {
                IpAddr::V4(v4) if prefix < 31 => IpAddr::V4((u32::from(v4) + 1).into()),
                other => other,
            };
            out.entry((*agent).to_owned()).or_insert(ip);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            key_id: "key_demo".into(),
            project_id: "prj_demo".into(),
            property_id: 1,
            host: "www.example.com".into(),
        }
    }

    #[test]
    fn the_same_seed_and_clock_give_the_same_traffic() {
        let ips = HashMap::new();
        let a = generate(&target(), 1_764_000_000_000, 3, 50, 7, &ips);
        let b = generate(&target(), 1_764_000_000_000, 3, 50, 7, &ips);
        let c = generate(&target(), 1_764_000_000_000, 3, 50, 8, &ips);
        let envelopes = |t: &Traffic| {
            t.visits
                .iter()
                .map(|v| v.envelope.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(envelopes(&a), envelopes(&b));
        assert_eq!(a.hits, b.hits);
        assert_ne!(envelopes(&a), envelopes(&c));
    }

    #[test]
    fn every_event_is_in_the_window_the_pipeline_accepts() {
        let now = 1_764_000_000_000;
        let traffic = generate(&target(), now, 30, 300, 1, &HashMap::new());
        let stamps = traffic
            .visits
            .iter()
            .flat_map(|v| v.envelope["events"].as_array().unwrap().clone())
            .map(|e| e["ts"].as_i64().unwrap())
            .chain(traffic.hits.iter().map(|h| h["ts"].as_i64().unwrap()));
        for ts in stamps {
            assert!(ts < now && ts > now - 7 * 86_400_000, "{ts}");
        }
        assert!(traffic
            .visits
            .iter()
            .all(|v| v.envelope["events"].as_array().unwrap().len() <= 100));
    }

    #[test]
    fn a_few_people_browse_from_cloud_networks() {
        let traffic = generate(&target(), 1_764_000_000_000, 3, 300, 2, &HashMap::new());
        let cloud = traffic
            .visits
            .iter()
            .filter(|v| {
                CLOUD_PREFIXES
                    .iter()
                    .any(|p| v.ip.starts_with(&format!("{p}.")))
            })
            .count();
        assert!(cloud > 0 && cloud < traffic.visits.len() / 5, "{cloud}");
        assert!(traffic
            .visits
            .iter()
            .all(|v| v.ip.parse::<IpAddr>().is_ok()));
    }

    #[test]
    fn the_mix_has_ai_referrals_conversions_and_spoofed_and_verified_crawlers() {
        let ips = published_addresses(&[
            IpRange {
                agent: "GPTBot",
                cidr: "4.227.36.0/25",
            },
            IpRange {
                agent: "ClaudeBot",
                cidr: "160.79.104.0/23",
            },
            IpRange {
                agent: "PerplexityBot",
                cidr: "107.20.236.150/32",
            },
        ]);
        assert_eq!(ips["GPTBot"].to_string(), "4.227.36.1");
        // A single-address range's address is its own, not the next one's.
        assert_eq!(ips["PerplexityBot"].to_string(), "107.20.236.150");
        let traffic = generate(&target(), 1_764_000_000_000, 6, 400, 3, &ips);
        let events: Vec<Value> = traffic
            .visits
            .iter()
            .flat_map(|v| v.envelope["events"].as_array().unwrap().clone())
            .collect();
        for host in [
            "chatgpt.com",
            "claude.ai",
            "perplexity.ai",
            "gemini.google.com",
            "copilot.microsoft.com",
        ] {
            assert!(
                events
                    .iter()
                    .any(|e| e["referrer"].as_str().is_some_and(|r| r.contains(host))),
                "no visit from {host}"
            );
        }
        assert!(events
            .iter()
            .any(|e| e["name"] == "purchase" && e["value"].as_f64().is_some()));
        let gpt: Vec<&Value> = traffic
            .hits
            .iter()
            .filter(|h| h["user_agent"].as_str().unwrap().contains("GPTBot"))
            .collect();
        assert!(gpt.iter().any(|h| h["ip"] == "4.227.36.1"));
        assert!(gpt
            .iter()
            .any(|h| h["ip"].as_str().unwrap().starts_with("203.0.113.")));
        // Baidu publishes no ranges: its real hits come from the network the stack's DNS server
        // names (infra/demo-dns.py), a quarter claim it from elsewhere.
        let baidu: Vec<&Value> = traffic
            .hits
            .iter()
            .filter(|h| h["user_agent"].as_str().unwrap().contains("Baiduspider"))
            .collect();
        assert!(baidu.iter().any(|h| h["ip"] == "180.76.15.7"));
        assert!(baidu
            .iter()
            .any(|h| h["ip"].as_str().unwrap().starts_with("203.0.113.")));
        let stack = include_str!("../../../infra/stack");
        assert!(
            stack.contains("180.76.15.0/24=baiduspider-"),
            "the stack's DNS zone moved"
        );
        // What agents read: the machine-written files as well as pages.
        for file in [
            "/robots.txt",
            "/llms.txt",
            "/sitemap.xml",
            "/docs/getting-started.md",
        ] {
            assert!(
                traffic.hits.iter().any(|h| h["path"] == file),
                "no crawler reads {file}"
            );
        }
    }
}
