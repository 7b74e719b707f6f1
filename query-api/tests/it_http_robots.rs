//! The crawlers dashboard's robots.txt compliance and hit evidence against the real engine:
//! crawler hits stored with the verdict they got when processed, two robots.txt versions of the
//! property (the one those verdicts came from, and a newer one), and the same rows for another
//! tenant with a stricter file. The answer lists violations under the file in force at the time
//! (the stored verdicts) and under the current file (judged again now), what agents read, how
//! hits were verified and their networks — and never the other tenant's rows or files.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{call, sign_in, start_with, user, writer};
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;
use schemas::control::Role;
use schemas::vocab::{AgentClass, CrawlResource, RobotsVerdict, VerificationMethod, Vocabulary};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// In force when the hits were processed: GPTBot may not read /pricing.
const THEN: &str = "User-agent: GPTBot\nDisallow: /pricing\n";
/// Today: GPTBot may read /pricing but not /docs/, ClaudeBot nothing.
const NOW: &str = "User-agent: GPTBot\nDisallow: /docs/\n\nUser-agent: ClaudeBot\nDisallow: /\n";
/// The other tenant's file forbids everyone everything.
const STRICT: &str = "User-agent: *\nDisallow: /\n";

fn ch_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn insert(client: &clickhouse::Client, table: &str, rows: &[Value]) {
    let lines: Vec<String> = rows.iter().map(Value::to_string).collect();
    client
        .query(&format!(
            "INSERT INTO {table} FORMAT JSONEachRow\n{}",
            lines.join("\n")
        ))
        .execute()
        .await
        .unwrap();
}

/// A `robots_txt` row; written as RowBinary, since the local gateway refuses escapes (the
/// bodies' newlines) in SQL text.
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

fn version(project: &str, property: i64, fetched_at: DateTime<Utc>, body: &str) -> Version {
    Version {
        project_id: project.to_owned(),
        property_id: property as u64,
        fetched_at,
        url: "https://acme.com/robots.txt".into(),
        status: 200,
        checksum: sha256(body),
        body: body.to_owned(),
    }
}

fn pairs(list: &Value) -> Vec<(String, String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["agent"].as_str().unwrap().to_owned(),
                v["path"].as_str().unwrap().to_owned(),
                v["hits"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn hits_of(list: &Value, value: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == value)
        .and_then(|r| r["hits"].as_u64())
        .unwrap_or(0)
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn violations_are_listed_under_the_file_then_in_force_and_under_the_current_file() {
    let topics = TestTopics::create(&[("control", 1)]).await;
    let db = TestDatabase::migrated().await;
    let control = std::sync::Arc::new(writer(&topics).await);
    user(&control, "root@optiview.dev", None, true).await;
    let api = start_with(control.clone(), 10_000, db.client());
    let root = sign_in(&api, "root@optiview.dev").await;
    let mut tenants = Vec::new();
    for (name, domain) in [("Acme", "acme.com"), ("Globex", "globex.com")] {
        let body = json!({ "name": name, "domain": domain, "plan": "starter" });
        let org = call(&api, &root, Verb::Post, "/api/v1/organizations", Some(body)).await;
        let org = org.json["organization"]["id"].as_str().unwrap().to_owned();
        let email = format!("owner@{domain}");
        user(&control, &email, Some((&org, Role::Owner)), false).await;
        let owner = sign_in(&api, &email).await;
        let body = json!({ "name": "Site", "domain": domain });
        let made = call(
            &api,
            &owner,
            Verb::Post,
            &format!("/api/v1/organizations/{org}/projects"),
            Some(body),
        )
        .await;
        let project = made.json["project"]["id"].as_str().unwrap().to_owned();
        let property = made.json["property"]["id"].as_i64().unwrap();
        tenants.push((owner, project, property));
    }
    let t0 = Utc::now() - Duration::hours(6);
    let mut hits = Vec::new();
    let mut files = Vec::new();
    for (n, (_, project, property)) in tenants.iter().enumerate() {
        let own = if n == 0 { THEN } else { STRICT };
        files.push(version(project, *property, t0 - Duration::days(2), own));
        if n == 0 {
            files.push(version(project, *property, t0 + Duration::hours(1), NOW));
        }
        // (agent, path, verdict when processed, resource, method, datacenter network, count)
        let crawls = [
            (
                "GPTBot",
                "/pricing",
                RobotsVerdict::Disallowed,
                CrawlResource::Page,
                VerificationMethod::IpRanges,
                "",
                3,
            ),
            (
                "GPTBot",
                "/docs/a",
                RobotsVerdict::NoRule,
                CrawlResource::Page,
                VerificationMethod::IpRanges,
                "",
                2,
            ),
            (
                "ClaudeBot",
                "/llms.txt",
                RobotsVerdict::Unknown,
                CrawlResource::LlmsTxt,
                VerificationMethod::ReverseDns,
                "Amazon.com, Inc.",
                1,
            ),
        ];
        for (agent, path, verdict, resource, method, network, count) in crawls {
            for i in 0..count {
                hits.push(json!({
                    "project_id": project, "property_id": property,
                    "ts": ch_time(t0 + Duration::minutes(i)),
                    "event_id": format!("{project}-{agent}-{path}-{i}"),
                    "agent_class": AgentClass::AiTrainingCrawler.as_str(), "agent_name": agent,
                    "agent_operator": "Op", "verification": "verified", "path": path, "status": 200,
                    "retention_days": 90, "robots": verdict.as_str(), "resource": resource.as_str(),
                    "verification_method": method.as_str(), "as_organization": network,
                    "datacenter": !network.is_empty(),
                    "robots_checksum": if verdict == RobotsVerdict::Unknown { String::new() } else { sha256(own) },
                }));
            }
        }
    }
    let mut writing = db.client().insert::<Version>("robots_txt").await.unwrap();
    for file in &files {
        writing.write(file).await.unwrap();
    }
    writing.end().await.unwrap();
    insert(&db.client(), "crawler_hits", &hits).await;

    let (owner, project, property) = &tenants[0];
    let path = format!(
        "/api/v1/projects/{project}/crawlers?from={}&to={}",
        (t0 - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (t0 + Duration::hours(2)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let reply = call(&api, owner, Verb::Get, &path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let robots = &reply.json["robots"];
    // The stored verdicts: only GPTBot on /pricing broke the file of its time.
    assert_eq!(
        pairs(&robots["violations_at_the_time"]),
        [("GPTBot".to_owned(), "/pricing".to_owned(), 3)]
    );
    for (verdict, hits) in [
        (RobotsVerdict::Disallowed, 3),
        (RobotsVerdict::NoRule, 2),
        (RobotsVerdict::Unknown, 1),
    ] {
        assert_eq!(
            hits_of(&robots["verdicts"], verdict.as_str()),
            hits,
            "{verdict:?}"
        );
    }
    // Today's file: /pricing is allowed now, /docs/ and everything for ClaudeBot are not — and
    // the other tenant's stricter file judged none of this tenant's hits.
    assert_eq!(
        pairs(&robots["violations_current"]),
        [
            ("GPTBot".to_owned(), "/docs/a".to_owned(), 2),
            ("ClaudeBot".to_owned(), "/llms.txt".to_owned(), 1),
        ]
    );
    assert_eq!(robots["truncated"], false);
    let current = robots["current_files"].as_array().unwrap();
    assert_eq!(current.len(), 1, "{current:?}");
    assert_eq!(current[0]["property_id"], *property);
    assert_eq!(current[0]["checksum"], sha256(NOW));
    assert_eq!(current[0]["status"], 200);

    let evidence = &reply.json["evidence"];
    assert_eq!(
        hits_of(&evidence["resources"], CrawlResource::Page.as_str()),
        5
    );
    assert_eq!(
        hits_of(&evidence["resources"], CrawlResource::LlmsTxt.as_str()),
        1
    );
    assert_eq!(
        evidence["reads"],
        json!([{ "resource": CrawlResource::LlmsTxt.as_str(), "agent": "ClaudeBot", "hits": 1 }])
    );
    assert_eq!(
        hits_of(
            &evidence["verification_methods"],
            VerificationMethod::IpRanges.as_str()
        ),
        5
    );
    assert_eq!(
        hits_of(
            &evidence["verification_methods"],
            VerificationMethod::ReverseDns.as_str()
        ),
        1
    );
    assert_eq!(evidence["datacenter_hits"], 1);
    assert_eq!(
        evidence["networks"],
        json!([
            { "organization": "", "datacenter": false, "hits": 5 },
            { "organization": "Amazon.com, Inc.", "datacenter": true, "hits": 1 },
        ])
    );

    // The other tenant's answer: its own strict file judges all six of its hits.
    let (other_owner, other_project, _) = &tenants[1];
    let other = call(
        &api,
        other_owner,
        Verb::Get,
        &path.replace(project.as_str(), other_project),
        None,
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.json);
    let total: u64 = pairs(&other.json["robots"]["violations_current"])
        .iter()
        .map(|(_, _, hits)| hits)
        .sum();
    assert_eq!(total, 6);
    // And this tenant cannot read the other's.
    let refused = call(
        &api,
        owner,
        Verb::Get,
        &path.replace(project.as_str(), other_project),
        None,
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.json);
}
