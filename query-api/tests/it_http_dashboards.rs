//! The dashboards API against the real engine: a small traffic set whose every figure is known
//! from how it is built (10 sessions, AI referrals, conversions, crawler hits) is written to the
//! processors' tables; each endpoint must report those figures, the hourly rollups must agree
//! with raw events, filters narrow, another project's rows never count, and empty windows are
//! well-formed zeros.

mod common;

use chrono::{DateTime, Duration, DurationRound, Utc};
use common::{call, sign_in, start_with, user, writer, Reply};
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;
use schemas::control::Role;
use schemas::vocab::{AgentClass, Channel, EventSource, EventType, Verification, Vocabulary};
use serde_json::{json, Value};

fn ch_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

struct Rows(Vec<(&'static str, Value)>);

impl Rows {
    fn push(&mut self, table: &'static str, row: Value) {
        self.0.push((table, row));
    }

    async fn insert(self, client: &clickhouse::Client) {
        for table in [
            "events",
            "ai_referrals",
            "crawler_hits",
            "conversions",
            "sessions",
        ] {
            let lines: Vec<String> = self
                .0
                .iter()
                .filter(|(t, _)| *t == table)
                .map(|(_, r)| r.to_string())
                .collect();
            if lines.is_empty() {
                continue;
            }
            client
                .query(&format!(
                    "INSERT INTO {table} FORMAT JSONEachRow\n{}",
                    lines.join("\n")
                ))
                .execute()
                .await
                .unwrap();
        }
    }
}

/// Ten sessions of five visitors on `project`, starting at `t0`, as the processor writes them;
/// one visitor's events come from a datacenter network.
fn traffic(rows: &mut Rows, project: &str, property: i64, t0: DateTime<Utc>) {
    let ai = |i: usize| match i {
        1 | 2 => "ChatGPT",
        3 => "Claude",
        4 => "Copilot", // not enabled by default: counts as not AI-referred
        _ => "",
    };
    for i in 0..10usize {
        let start = t0 + Duration::minutes(5 * i as i64);
        let (visitor, session) = (format!("v{}", i % 5), format!("s{i}"));
        let country = if i % 2 == 0 { "DE" } else { "US" };
        let device = if i < 5 { "desktop" } else { "mobile" };
        let browser = if i % 3 == 0 { "Firefox" } else { "Chrome" };
        // v4 browses from a cloud network: a visitor, but not among the people.
        let datacenter = i % 5 == 4;
        let paths: &[&str] = if i == 0 {
            &["/"]
        } else {
            &["/", "/pricing", "/signup"]
        };
        for (n, path) in paths.iter().enumerate() {
            let ts = start + Duration::minutes(n as i64);
            let landing = n == 0;
            rows.push(
                "events",
                json!({
                    "project_id": project, "property_id": property, "ts": ch_time(ts),
                    "event_id": format!("{project}-{session}-{n}"), "visitor_id": visitor,
                    "session_id": session, "event_type": EventType::Pageview.as_str(),
                    "url": format!("https://acme.com{path}"), "path": path,
                    "title": format!("Page {path}"),
                    "ai_source": if landing { ai(i) } else { "" },
                    "channel": if landing && !ai(i).is_empty() { Channel::Ai } else { Channel::Direct }.as_str(),
                    "country": country, "device": device, "browser": browser, "os": "Linux",
                    "datacenter": datacenter, "retention_days": 90
                }),
            );
            if landing && !ai(i).is_empty() {
                rows.push(
                    "ai_referrals",
                    json!({
                        "project_id": project, "property_id": property, "ts": ch_time(ts),
                        "event_id": format!("{project}-{session}-{n}"), "visitor_id": visitor,
                        "session_id": session, "ai_source": ai(i), "path": path,
                        "url": format!("https://acme.com{path}"), "country": country, "device": device
                    }),
                );
            }
        }
        // Conversions: s1 (ChatGPT session), s3 (Claude session), s6 (direct, but its visitor
        // v1 came from ChatGPT in s1: last AI touch ChatGPT).
        let conversion = match i {
            1 => Some((10.0, "ChatGPT", "ChatGPT")),
            3 => Some((5.0, "Claude", "Claude")),
            6 => Some((7.0, "", "ChatGPT")),
            _ => None,
        };
        if let Some((value, session_source, last_touch)) = conversion {
            let ts = start + Duration::minutes(3);
            let id = format!("{project}-{session}-conv");
            rows.push(
                "events",
                json!({
                    "project_id": project, "property_id": property, "ts": ch_time(ts),
                    "event_id": id, "visitor_id": visitor, "session_id": session,
                    "event_type": EventType::Conversion.as_str(), "name": "purchase", "value": value,
                    "url": "https://acme.com/signup", "path": "/signup",
                    "country": country, "device": device, "browser": browser, "os": "Linux",
                    "datacenter": datacenter, "retention_days": 90
                }),
            );
            rows.push(
                "conversions",
                json!({
                    "project_id": project, "property_id": property, "ts": ch_time(ts),
                    "event_id": id, "visitor_id": visitor, "session_id": session,
                    "name": "purchase", "value": value, "session_ai_source": session_source,
                    "last_touch_ai_source": last_touch, "retention_days": 90
                }),
            );
        }
        let converted = u32::from(conversion.is_some());
        let pages = paths.len() as u32;
        rows.push(
            "sessions",
            json!({
                "project_id": project, "property_id": property, "opened_at": ch_time(start),
                "session_id": session, "visitor_id": visitor, "started_at": ch_time(start),
                "last_seen": ch_time(start + Duration::minutes(pages as i64 - 1 + 2 * converted as i64)),
                "version": 1, "entry_url": "https://acme.com/",
                "exit_url": format!("https://acme.com{}", paths[paths.len() - 1]),
                "pageviews": pages, "events": pages + converted,
                "duration_ms": (pages as u64 - 1) * 60_000, "ai_source": ai(i),
                "conversions": converted
            }),
        );
    }
    // Crawler hits: GPTBot reads /pricing 6 times, Claude-User fetches / twice (a 404).
    for (n, (agent, operator, class, path, status)) in [
        (
            "GPTBot",
            "OpenAI",
            AgentClass::AiTrainingCrawler,
            "/pricing",
            200,
        ),
        (
            "Claude-User",
            "Anthropic",
            AgentClass::AiAssistant,
            "/",
            404,
        ),
    ]
    .into_iter()
    .flat_map(|hit| std::iter::repeat_n(hit, if hit.0 == "GPTBot" { 6 } else { 2 }))
    .enumerate()
    {
        let ts = ch_time(t0 + Duration::minutes(n as i64 * 7));
        let id = format!("{project}-hit-{n}");
        // Claude-User's hits stand for ones whose address expired before the loader checked it.
        let verification = if agent == "Claude-User" {
            Verification::Unchecked
        } else {
            Verification::Verified
        }
        .as_str();
        rows.push(
            "events",
            json!({
                "project_id": project, "property_id": property, "ts": ts, "event_id": id,
                "source": EventSource::Server.as_str(), "event_type": EventType::Hit.as_str(),
                "url": format!("https://acme.com{path}"),
                "path": path, "agent_class": class.as_str(), "agent_name": agent,
                "agent_operator": operator, "verification": verification,
                "status": status,
                "retention_days": 90
            }),
        );
        rows.push(
            "crawler_hits",
            json!({
                "project_id": project, "property_id": property, "ts": ts, "event_id": id,
                "agent_class": class.as_str(), "agent_name": agent, "agent_operator": operator,
                "verification": verification, "path": path, "status": status,
                "retention_days": 90
            }),
        );
    }
}

fn breakdown(reply: &Reply, dimension: &str, value: &str) -> Value {
    reply.json["breakdowns"][dimension]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == value)
        .map(|r| r["events"].clone())
        .unwrap_or(Value::Null)
}

fn by_source<'a>(rows: &'a Value, source: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == source)
        .unwrap_or(&Value::Null)
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn every_dashboard_reports_the_traffic_it_was_given() {
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
    let t0 = (Utc::now() - Duration::days(3))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let mut rows = Rows(Vec::new());
    // The same traffic on both projects: any leak would double acme's figures.
    for (_, project, property) in &tenants {
        traffic(&mut rows, project, *property, t0);
    }
    rows.insert(&db.client()).await;
    let (owner, project, _) = &tenants[0];
    let from = (t0 - Duration::hours(1)).to_rfc3339();
    let to = (t0 + Duration::hours(3)).to_rfc3339();
    let get = |endpoint: &str, extra: &str| {
        format!(
            "/api/v1/projects/{project}/{endpoint}?from={}&to={}{extra}",
            urlencode(&from),
            urlencode(&to)
        )
    };

    // Events, from the rollups (whole UTC hours) and from raw events (a +05:30 zone): the same.
    let rolled = call(&api, owner, Verb::Get, &get("events", ""), None).await;
    assert_eq!(rolled.status, 200, "{}", rolled.json);
    assert_eq!(rolled.json["served_from"], "rollup");
    let raw = call(
        &api,
        owner,
        Verb::Get,
        &get("events", "&tz=Asia/Kolkata"),
        None,
    )
    .await;
    assert_eq!(raw.json["served_from"], "events", "{}", raw.json);
    // Kolkata's hours start at :30 UTC, so the same 4 UTC hours touch 5 of its hours.
    for (reply, buckets) in [(&rolled, 4), (&raw, 5)] {
        assert_eq!(
            reply.json["totals"],
            json!({
                "events": 39, "pageviews": 28, "visitors": 5, "sessions": 10,
                "human_visitors": 4, "datacenter_visitors": 1
            })
        );
        for (dimension, value, events) in [
            ("country", "DE", 14),
            ("country", "US", 17),
            ("country", "", 8),
            ("class", "human", 31),
            ("class", "ai_training_crawler", 6),
            ("ai_source", "ChatGPT", 2),
            ("ai_source", "Claude", 1),
            ("ai_source", "", 36),
            ("event", "purchase", 3),
            ("event", "hit", 8),
        ] {
            assert_eq!(
                breakdown(reply, dimension, value),
                json!(events),
                "{dimension}={value} in {}",
                reply.json["served_from"]
            );
        }
        assert_eq!(
            breakdown(reply, "ai_source", "Copilot"),
            Value::Null,
            "disabled sources are not shown"
        );
        let series = reply.json["series"].as_array().unwrap();
        assert_eq!(series.len(), buckets, "hourly buckets of a 4-hour window");
        let total: u64 = series.iter().map(|p| p["events"].as_u64().unwrap()).sum();
        assert_eq!(total, 39);
    }
    assert!(raw.json["series"][0]["t"]
        .as_str()
        .unwrap()
        .ends_with("+05:30"));

    // Filters narrow: the German sessions only.
    let de = call(&api, owner, Verb::Get, &get("events", "&country=DE"), None).await;
    assert_eq!(
        de.json["totals"],
        json!({
            "events": 14, "pageviews": 13, "visitors": 5, "sessions": 5,
            "human_visitors": 4, "datacenter_visitors": 1
        })
    );
    let chatgpt = call(
        &api,
        owner,
        Verb::Get,
        &get("events", "&ai_source=ChatGPT"),
        None,
    )
    .await;
    assert_eq!(chatgpt.json["totals"]["events"], 2);

    // Journeys.
    let journeys = call(&api, owner, Verb::Get, &get("journeys", "&limit=3"), None).await;
    assert_eq!(journeys.status, 200, "{}", journeys.json);
    let metrics = &journeys.json["metrics"];
    for (key, expected) in [
        ("sessions", 10.0),
        ("avg_duration_seconds", 108.0),
        ("pages_per_session", 2.8),
        ("bounce_rate", 0.1),
    ] {
        assert_eq!(num(&metrics[key]), expected, "{key}: {metrics}");
    }
    let top = &journeys.json["top_paths"][0];
    assert_eq!(
        (top["entry"].as_str(), top["exit"].as_str()),
        (Some("/"), Some("/signup"))
    );
    assert_eq!(
        (
            num(&top["sessions"]),
            num(&top["pages_per_session"]),
            num(&top["avg_duration_seconds"])
        ),
        (9.0, 3.0, 120.0)
    );
    let latest = journeys.json["sessions"].as_array().unwrap();
    assert_eq!(latest.len(), 3);
    assert_eq!(latest[0]["session_id"], "s9", "newest first");
    let steps: Vec<&str> = latest[0]["journey"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["/", "/pricing", "/signup"]);
    let de_sessions = call(
        &api,
        owner,
        Verb::Get,
        &get("journeys", "&country=DE"),
        None,
    )
    .await;
    assert_eq!(de_sessions.json["metrics"]["sessions"], 5);

    // Referrals: only enabled assistants.
    let referrals = call(&api, owner, Verb::Get, &get("referrals", ""), None).await;
    assert_eq!(referrals.status, 200, "{}", referrals.json);
    assert_eq!(
        by_source(&referrals.json["by_source"], "ChatGPT")["sessions"],
        2
    );
    assert_eq!(
        by_source(&referrals.json["by_source"], "Claude")["sessions"],
        1
    );
    assert_eq!(
        by_source(&referrals.json["by_source"], "Copilot"),
        &Value::Null
    );
    let stacked: u64 = referrals.json["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ChatGPT"].as_u64().unwrap())
        .sum();
    assert_eq!(stacked, 2);
    let engagement = &referrals.json["engagement"];
    assert_eq!(engagement[0]["visitors_from"], "ai");
    assert_eq!(engagement[0]["sessions"], 3);
    assert_eq!(num(&engagement[0]["conversion_rate"]), 0.6667);
    assert_eq!(engagement[1]["sessions"], 7);

    // Conversions under both models.
    let conversions = call(&api, owner, Verb::Get, &get("conversions", ""), None).await;
    assert_eq!(conversions.status, 200, "{}", conversions.json);
    assert_eq!(conversions.json["totals"]["conversions"], 3);
    assert_eq!(num(&conversions.json["totals"]["value"]), 22.0);
    let session_model = &conversions.json["by_model"]["session"];
    assert_eq!(by_source(session_model, "ChatGPT")["conversions"], 1);
    assert_eq!(by_source(session_model, "ChatGPT")["rate"], 0.5);
    assert_eq!(by_source(session_model, "")["conversions"], 1);
    let last_touch = &conversions.json["by_model"]["last_ai_touch"];
    assert_eq!(by_source(last_touch, "ChatGPT")["conversions"], 2);
    assert_eq!(num(&by_source(last_touch, "ChatGPT")["value"]), 17.0);

    // Crawlers and the crawl-to-referral ratio.
    let crawlers = call(&api, owner, Verb::Get, &get("crawlers", ""), None).await;
    assert_eq!(crawlers.status, 200, "{}", crawlers.json);
    assert_eq!(crawlers.json["served_from"], "rollup");
    assert_eq!(crawlers.json["totals"]["hits"], 8);
    assert_eq!(
        (
            &crawlers.json["totals"]["verified"],
            &crawlers.json["totals"]["unchecked"]
        ),
        (&json!(6), &json!(2))
    );
    let operators = crawlers.json["crawl_to_referral"]["by_operator"]
        .as_array()
        .unwrap();
    let openai = operators
        .iter()
        .find(|o| o["operator"] == "OpenAI")
        .unwrap();
    assert_eq!(
        (
            openai["crawler_hits"].clone(),
            openai["referral_visits"].clone(),
            openai["crawl_to_referral"].clone()
        ),
        (json!(6), json!(2), json!(3.0))
    );
    let anthropic = operators
        .iter()
        .find(|o| o["operator"] == "Anthropic")
        .unwrap();
    assert_eq!(anthropic["crawl_to_referral"], 2.0);
    let statuses = &crawlers.json["breakdowns"]["status"];
    assert_eq!(statuses[0], json!({ "value": "200", "hits": 6 }));
    assert_eq!(statuses[1], json!({ "value": "404", "hits": 2 }));
    assert_eq!(
        crawlers.json["crawl_to_referral"]["by_page"][0]["path"],
        "/pricing"
    );
    let raw_crawlers = call(
        &api,
        owner,
        Verb::Get,
        &get("crawlers", "&tz=Asia/Kathmandu"),
        None,
    )
    .await;
    assert_eq!(raw_crawlers.json["served_from"], "events");
    assert_eq!(raw_crawlers.json["breakdowns"], crawlers.json["breakdowns"]);

    // Content.
    let content = call(
        &api,
        owner,
        Verb::Get,
        &get("content", "&sort=ai_crawler_hits"),
        None,
    )
    .await;
    assert_eq!(content.status, 200, "{}", content.json);
    let pages = content.json["pages"].as_array().unwrap();
    assert_eq!(pages[0]["path"], "/pricing");
    assert_eq!(pages[0]["ai_crawler_hits"], 6);
    assert_eq!(pages[0]["views"], 9);
    assert_eq!(pages[0]["title"], "Page /pricing");
    let home = pages.iter().find(|p| p["path"] == "/").unwrap();
    assert_eq!(home["views"], 10);
    let bad_sort = call(
        &api,
        owner,
        Verb::Get,
        &get("content", "&sort=password"),
        None,
    )
    .await;
    assert_eq!(
        (bad_sort.status, bad_sort.json["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // An empty window: well-formed zeros on every dashboard.
    let empty_from = (t0 - Duration::days(2)).to_rfc3339();
    let empty_to = (t0 - Duration::days(1)).to_rfc3339();
    for endpoint in [
        "events",
        "content",
        "journeys",
        "referrals",
        "conversions",
        "crawlers",
    ] {
        let path = format!(
            "/api/v1/projects/{project}/{endpoint}?from={}&to={}",
            urlencode(&empty_from),
            urlencode(&empty_to)
        );
        let reply = call(&api, owner, Verb::Get, &path, None).await;
        assert_eq!(reply.status, 200, "{endpoint}: {}", reply.json);
        if let Some(series) = reply.json["series"].as_array() {
            assert_eq!(series.len(), 24, "{endpoint}");
            assert!(series.iter().all(|p| p
                .as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| k == "t" || v == 0)));
        }
    }
    let empty = call(
        &api,
        owner,
        Verb::Get,
        &format!(
            "/api/v1/projects/{project}/events?from={}&to={}",
            urlencode(&empty_from),
            urlencode(&empty_to)
        ),
        None,
    )
    .await;
    assert_eq!(empty.json["totals"]["events"], 0);
    assert_eq!(empty.json["breakdowns"]["country"], json!([]));

    // Bad parameters: a clear error, and another tenant's project is not found.
    for (query, code) in [
        ("?tz=Mars/Olympus", "invalid_request"),
        ("?interval=fortnight", "invalid_request"),
        ("?contry=DE", "invalid_request"),
        ("?limit=0", "invalid_request"),
        ("?property=999999", "not_found"),
    ] {
        let reply = call(
            &api,
            owner,
            Verb::Get,
            &format!("/api/v1/projects/{project}/events{query}"),
            None,
        )
        .await;
        assert_eq!(reply.json["error"], code, "{query}: {}", reply.json);
    }
    let (_, theirs, their_property) = &tenants[1];
    let other = call(
        &api,
        owner,
        Verb::Get,
        &format!("/api/v1/projects/{theirs}/events"),
        None,
    )
    .await;
    assert_eq!(other.status, 404);
    let their_property_on_mine = call(
        &api,
        owner,
        Verb::Get,
        &format!("/api/v1/projects/{project}/events?property={their_property}"),
        None,
    )
    .await;
    assert_eq!(their_property_on_mine.status, 404);
    api.handle.stop(true).await;
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
