//! robots.txt compliance end to end: a real local HTTP server serves a property's robots.txt, in
//! two versions over time, then a server error and a 404; the refresh job stores each distinct
//! version in `robots_txt`; the real loader, consuming from the real broker, stores each crawler
//! hit with the verdict of the version in force when it was processed and that version's
//! checksum.

mod common;

use std::time::Duration;

use common::{loader, produce, wait_for};
use platform::test_support::webhook::WebhookReceiver;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::beacon::{Beacon, ServerHit};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon, Tenant};
use schemas::vocab::{RobotsVerdict, Vocabulary};
use sha2::{Digest, Sha256};
use stream_processors::jobs::robots_txt::RobotsRefresh;
use stream_processors::jobs::{Scheduled, Scheduler};
use tokio::sync::watch;

const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
const CLAUDEBOT: &str = "Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)";

/// GPTBot may not read /private/; everyone else is explicitly allowed /docs/.
const FIRST: &str = "User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /docs/\n";
/// Later the site lets GPTBot read everything and drops the star group.
const SECOND: &str = "User-agent: GPTBot\nAllow: /\n";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn hit(tenant: &Tenant, id: &str, user_agent: &str, path: &str) -> Beacon {
    let now = chrono::Utc::now().timestamp_millis();
    let mut b = sample_tag_beacon();
    b.tag = None;
    b.event_id = id.to_owned();
    b.project_id = tenant.project.clone();
    b.property_id = tenant.property;
    b.visitor_id = format!("bot-{id}");
    b.received_at = now;
    b.user_agent = user_agent.to_owned();
    b.hit = Some(ServerHit {
        ts: now,
        method: "GET".into(),
        host: "acme.com".into(),
        path: path.into(),
        query: None,
        status: 200,
        ip: Some("4.227.36.7".into()),
        referrer: None,
        bytes: Some(100),
        response_ms: Some(5),
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    });
    b
}

/// The same three requests, under ids starting with `phase`.
fn requests(tenant: &Tenant, phase: &str) -> Vec<Beacon> {
    vec![
        hit(
            tenant,
            &format!("{phase}-gpt-private"),
            GPTBOT,
            "/private/a",
        ),
        hit(tenant, &format!("{phase}-gpt-docs"), GPTBOT, "/docs/start"),
        hit(
            tenant,
            &format!("{phase}-claude-docs"),
            CLAUDEBOT,
            "/docs/start",
        ),
    ]
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct Judged {
    event_id: String,
    robots: String,
    robots_checksum: String,
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct Version {
    status: u16,
    checksum: String,
    body: String,
}

/// Sends the phase's requests and waits until the loader stored them.
async fn phase(
    db: &TestDatabase,
    topics: &TestTopics,
    tenant: &Tenant,
    name: &str,
    stored: &mut u64,
) {
    let beacons = requests(tenant, name);
    produce(topics, &beacons).await;
    *stored += beacons.len() as u64;
    assert_eq!(
        wait_for(&db.client(), "crawler_hits", *stored).await,
        *stored,
        "{name}"
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn each_crawler_hit_is_judged_by_the_robots_txt_in_force_and_every_version_is_stored() {
    let topics = TestTopics::create(&[("beacons", 1), ("deadletter", 1), ("sessions", 1)]).await;
    let db = TestDatabase::migrated().await;
    let mut view = ControlView::new();
    let tenant = onboard(
        &mut view,
        "acme.com",
        Plan::Growth,
        vec![Permission::Collect],
    );
    let site = WebhookReceiver::start().await;
    site.reply_with(FIRST);

    let processor = loader(&topics, db.client(), &view, &random_name("robots"));
    let refresh = RobotsRefresh::new(
        processor.control.clone(),
        processor.enricher.robots.clone(),
        &site.url,
        Duration::from_secs(5),
        platform::robots::MAX_BYTES,
        true,
    );
    let jobs = Scheduler {
        client: db.client(),
        jobs: vec![Scheduled::new(Box::new(refresh), "0 0 * * * *").unwrap()],
        instance: "test".into(),
    };
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(processor.run(stopped));
    let mut stored = 0;

    // No file fetched yet: nothing to judge by.
    phase(&db, &topics, &tenant, "a", &mut stored).await;
    let run = jobs.run_once(&jobs.jobs[0]).await;
    assert_eq!(
        (run.status.as_str(), run.rows_affected),
        ("success", 1),
        "{}",
        run.message
    );
    phase(&db, &topics, &tenant, "b", &mut stored).await;
    // The same file again is no new version.
    let run = jobs.run_once(&jobs.jobs[0]).await;
    assert_eq!(run.rows_affected, 0, "{}", run.message);
    site.reply_with(SECOND);
    let run = jobs.run_once(&jobs.jobs[0]).await;
    assert_eq!(run.rows_affected, 1, "{}", run.message);
    phase(&db, &topics, &tenant, "c", &mut stored).await;
    // A server error defines nothing: the second version stays in force.
    site.answer_next(&[503]);
    let run = jobs.run_once(&jobs.jobs[0]).await;
    assert_eq!(run.status, "failed", "{}", run.message);
    assert!(run.message.contains("503"), "{}", run.message);
    phase(&db, &topics, &tenant, "d", &mut stored).await;
    // A 404: the site has no robots.txt any more, so no rule decides anything.
    site.answer_next(&[404]);
    let run = jobs.run_once(&jobs.jobs[0]).await;
    assert_eq!(run.rows_affected, 1, "{}", run.message);
    phase(&db, &topics, &tenant, "e", &mut stored).await;
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();

    let versions: Vec<Version> = db
        .client()
        .query("SELECT ?fields FROM robots_txt WHERE project_id = ? AND property_id = ? ORDER BY fetched_at")
        .bind(&tenant.project)
        .bind(tenant.property as u64)
        .fetch_all()
        .await
        .unwrap();
    let summary: Vec<(u16, &str, &str)> = versions
        .iter()
        .map(|v| (v.status, v.checksum.as_str(), v.body.as_str()))
        .collect();
    let (first, second, none) = (sha256(FIRST), sha256(SECOND), sha256(""));
    assert_eq!(
        summary,
        [
            (200, first.as_str(), FIRST),
            (200, second.as_str(), SECOND),
            (404, none.as_str(), "")
        ]
    );

    let judged: Vec<Judged> = db
        .client()
        .query("SELECT ?fields FROM crawler_hits FINAL ORDER BY event_id")
        .fetch_all()
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> = judged
        .iter()
        .map(|j| {
            (
                j.event_id.as_str(),
                j.robots.as_str(),
                j.robots_checksum.as_str(),
            )
        })
        .collect();
    use RobotsVerdict::{Allowed, Disallowed, NoRule, Unknown};
    let want = [
        ("a-claude-docs", Unknown, ""),
        ("a-gpt-docs", Unknown, ""),
        ("a-gpt-private", Unknown, ""),
        // GPTBot's own group decides for it (and has no rule for /docs/); ClaudeBot falls under
        // the star group.
        ("b-claude-docs", Allowed, first.as_str()),
        ("b-gpt-docs", NoRule, first.as_str()),
        ("b-gpt-private", Disallowed, first.as_str()),
        ("c-claude-docs", NoRule, second.as_str()),
        ("c-gpt-docs", Allowed, second.as_str()),
        ("c-gpt-private", Allowed, second.as_str()),
        ("d-claude-docs", NoRule, second.as_str()),
        ("d-gpt-docs", Allowed, second.as_str()),
        ("d-gpt-private", Allowed, second.as_str()),
        ("e-claude-docs", NoRule, none.as_str()),
        ("e-gpt-docs", NoRule, none.as_str()),
        ("e-gpt-private", NoRule, none.as_str()),
    ]
    .map(|(id, verdict, checksum)| (id, verdict.as_str(), checksum));
    assert_eq!(got, want);
}
