//! The crawlers dashboard's evidence and robots sections from migration 0011's facet rollups
//! against the real engine: crawler hits every 20 minutes over four days (varied methods,
//! resources, agents, networks and verdicts) plus a robots.txt file, written to the processors'
//! tables; a window of whole UTC hours that are not midnights (daily rows inside, hourly rows at
//! both edges) and a window with minute bounds (raw hits) must both report what the inserted
//! rows say, counted here in Rust.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use common::{call, sign_in, start_with, user, writer};
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;
use schemas::control::Role;
use schemas::vocab::{AgentClass, CrawlResource, RobotsVerdict, VerificationMethod, Vocabulary};
use serde_json::{json, Value};

fn ch_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// A `robots_txt` row; written as RowBinary, since the local gateway refuses escapes (the
/// body's newlines) in SQL text.
#[derive(clickhouse::Row, serde::Serialize)]
struct Version {
    project_id: String,
    property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    fetched_at: DateTime<Utc>,
    url: String,
    status: u16,
    checksum: String,
    body: String,
}

#[derive(Debug, Clone)]
struct Hit {
    ts: DateTime<Utc>,
    agent: &'static str,
    method: &'static str,
    resource: &'static str,
    organization: &'static str,
    datacenter: bool,
    robots: &'static str,
    path: String,
}

/// Counts per key, most first then by key, as the dashboard lists them (ties by key).
type Counts = BTreeMap<String, u64>;

#[derive(Debug, PartialEq)]
struct Expected {
    methods: Counts,
    resources: Counts,
    reads: Counts,
    datacenter_hits: u64,
    networks: Counts,
    verdicts: Counts,
    violations_at_the_time: Counts,
    violations_current: Counts,
}

/// The current robots.txt disallows `/private/` for everyone.
fn disallowed_now(path: &str) -> bool {
    path.starts_with("/private/")
}

fn expected(hits: &[Hit], from: DateTime<Utc>, to: DateTime<Utc>) -> Expected {
    let mut e = Expected {
        methods: Counts::new(),
        resources: Counts::new(),
        reads: Counts::new(),
        datacenter_hits: 0,
        networks: Counts::new(),
        verdicts: Counts::new(),
        violations_at_the_time: Counts::new(),
        violations_current: Counts::new(),
    };
    for h in hits.iter().filter(|h| h.ts >= from && h.ts < to) {
        *e.methods.entry(h.method.into()).or_default() += 1;
        *e.resources.entry(h.resource.into()).or_default() += 1;
        if h.resource != CrawlResource::Page.as_str() {
            *e.reads
                .entry(format!("{} {}", h.resource, h.agent))
                .or_default() += 1;
        }
        e.datacenter_hits += u64::from(h.datacenter);
        *e.networks
            .entry(format!("{} {}", h.organization, h.datacenter))
            .or_default() += 1;
        *e.verdicts.entry(h.robots.into()).or_default() += 1;
        if h.robots == RobotsVerdict::Disallowed.as_str() {
            *e.violations_at_the_time
                .entry(format!("{} {}", h.agent, h.path))
                .or_default() += 1;
        }
        if disallowed_now(&h.path) {
            *e.violations_current
                .entry(format!("{} {}", h.agent, h.path))
                .or_default() += 1;
        }
    }
    e
}

fn reported(reply: &Value) -> Expected {
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let list = |v: &Value, key: &dyn Fn(&Value) -> String| -> Counts {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (key(r), n(&r["hits"])))
            .collect()
    };
    let ev = &reply["evidence"];
    let robots = &reply["robots"];
    let pair = |r: &Value| format!("{} {}", s(&r["agent"]), s(&r["path"]));
    Expected {
        methods: list(&ev["verification_methods"], &|r| s(&r["value"])),
        resources: list(&ev["resources"], &|r| s(&r["value"])),
        reads: list(&ev["reads"], &|r| {
            format!("{} {}", s(&r["resource"]), s(&r["agent"]))
        }),
        datacenter_hits: n(&ev["datacenter_hits"]),
        networks: list(&ev["networks"], &|r| {
            format!("{} {}", s(&r["organization"]), r["datacenter"])
        }),
        verdicts: list(&robots["verdicts"], &|r| s(&r["value"])),
        violations_at_the_time: list(&robots["violations_at_the_time"], &pair),
        violations_current: list(&robots["violations_current"], &pair),
    }
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn crawler_facet_rollups_answer_what_the_hits_say_inside_and_at_the_window_edges() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start_with(control.clone(), 10_000, db.client());
    let root = sign_in(&api, "root@optiview.dev").await;
    let body = json!({ "name": "Initech", "domain": "initech.com", "plan": "starter" });
    let org = call(&api, &root, Verb::Post, "/api/v1/organizations", Some(body)).await;
    let org = org.json["organization"]["id"].as_str().unwrap().to_owned();
    user(
        &control,
        "owner@initech.com",
        Some((&org, Role::Owner)),
        false,
    )
    .await;
    let owner = sign_in(&api, "owner@initech.com").await;
    let made = call(
        &api,
        &owner,
        Verb::Post,
        &format!("/api/v1/organizations/{org}/projects"),
        Some(json!({ "name": "Site", "domain": "initech.com" })),
    )
    .await;
    let project = made.json["project"]["id"].as_str().unwrap().to_owned();
    let property = made.json["property"]["id"].as_i64().unwrap();

    let now = Utc::now();
    let agents = ["GPTBot", "ClaudeBot", "PerplexityBot"];
    let methods = [
        VerificationMethod::IpRanges.as_str(),
        VerificationMethod::ReverseDns.as_str(),
        VerificationMethod::WebBotAuth.as_str(),
        "",
    ];
    let resources = [
        CrawlResource::Page,
        CrawlResource::Page,
        CrawlResource::RobotsTxt,
        CrawlResource::LlmsTxt,
        CrawlResource::Sitemap,
    ];
    let networks = [("OpenAI", true), ("Anthropic", true), ("", false)];
    let verdicts = [
        RobotsVerdict::Allowed,
        RobotsVerdict::Disallowed,
        RobotsVerdict::NoRule,
        RobotsVerdict::Unknown,
    ];
    let first = (now - Duration::days(5))
        .duration_trunc(Duration::hours(1))
        .unwrap()
        + Duration::minutes(7);
    let hits: Vec<Hit> = (0..(4 * 24 * 3))
        .map(|n: usize| {
            let (organization, datacenter) = networks[n % 3];
            Hit {
                ts: first + Duration::minutes(20 * n as i64),
                agent: agents[n % 3],
                method: methods[n % 4],
                resource: resources[n % 5].as_str(),
                organization,
                datacenter,
                robots: verdicts[n % 4].as_str(),
                path: if n.is_multiple_of(2) {
                    format!("/private/{}", n % 5)
                } else {
                    format!("/docs/{}", n % 7)
                },
            }
        })
        .collect();
    let lines: Vec<String> = hits
        .iter()
        .enumerate()
        .map(|(n, h)| {
            json!({
                "project_id": project, "property_id": property, "ts": ch_time(h.ts),
                "event_id": format!("{project}-{n}"),
                "agent_class": AgentClass::AiTrainingCrawler.as_str(),
                "agent_name": h.agent, "agent_operator": "Op", "path": h.path, "status": 200,
                "verification_method": h.method, "resource": h.resource, "robots": h.robots,
                "as_organization": h.organization, "datacenter": h.datacenter,
                "retention_days": 365
            })
            .to_string()
        })
        .collect();
    let client = db.client();
    client
        .query(&format!(
            "INSERT INTO crawler_hits FORMAT JSONEachRow\n{}",
            lines.join("\n")
        ))
        .execute()
        .await
        .unwrap();
    let mut writing = client.insert::<Version>("robots_txt").await.unwrap();
    writing
        .write(&Version {
            project_id: project.clone(),
            property_id: property as u64,
            fetched_at: now - Duration::days(6),
            url: "https://initech.com/robots.txt".into(),
            status: 200,
            checksum: "c".into(),
            body: "User-agent: *\nDisallow: /private/\n".into(),
        })
        .await
        .unwrap();
    writing.end().await.unwrap();

    let ask = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let api = &api;
        let owner = &owner;
        let enc = |t: DateTime<Utc>| t.to_rfc3339().replace('+', "%2B").replace(':', "%3A");
        let path = format!(
            "/api/v1/projects/{project}/crawlers?from={}&to={}&tz=UTC&interval=day&limit=200",
            enc(from),
            enc(to)
        );
        async move {
            let reply = call(api, owner, Verb::Get, &path, None).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.json);
            reply.json
        }
    };

    // Whole UTC hours, not midnights: daily rows for the interior days, hourly rows at the edges.
    let from = first.duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(13);
    let to = from + Duration::hours(24 * 2 + 7);
    let reply = ask(from, to).await;
    assert_eq!(reply["served_from"], "rollup");
    let want = expected(&hits, from, to);
    assert!(want.datacenter_hits > 50, "the window holds hits: {want:?}");
    assert_eq!(reported(&reply), want);

    // Minute bounds: raw hits, the same figures.
    let (from, to) = (from + Duration::minutes(10), to - Duration::minutes(25));
    let reply = ask(from, to).await;
    assert_eq!(reply["served_from"], "events");
    assert_eq!(reported(&reply), expected(&hits, from, to));

    // The interior days did come from the daily rollup.
    let days: u64 = client
        .query("SELECT count() FROM crawler_facets_daily WHERE project_id = ?")
        .bind(&project)
        .fetch_one()
        .await
        .unwrap();
    assert!(days > 0, "{days} daily rows");
    api.handle.stop(true).await;
}
