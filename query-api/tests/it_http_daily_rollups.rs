//! The events dashboard's daily rollups against the real engine: traffic every 20 minutes over
//! five days around a DST change, and traffic straddling its own retention, are written to the
//! processors' tables; windows of whole local days in a whole-hour zone (America/New_York,
//! across the change) are answered from daily and hourly rows, in a half-hour zone
//! (Asia/Kolkata) from raw events; every figure must equal what the inserted rows say, counted
//! here in Rust.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, DurationRound, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use common::{call, sign_in, start_with, user, writer};
use platform::test_support::{TestDatabase, TestTopics};
use query_api::http::routes::Verb;
use schemas::control::Role;
use schemas::vocab::{AgentClass, EventSource, EventType, Vocabulary};
use serde_json::{json, Value};

fn ch_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// One inserted event, as the expectations count it.
#[derive(Debug, Clone)]
struct Event {
    ts: DateTime<Utc>,
    visitor: Option<String>,
    session: Option<String>,
    pageview: bool,
    country: &'static str,
    retention_days: u16,
}

/// What the dashboard should report for the events in `[from, to)`.
#[derive(Debug, PartialEq)]
struct Expected {
    events: u64,
    pageviews: u64,
    visitors: u64,
    sessions: u64,
    /// Events per bucket start (UTC).
    series: BTreeMap<DateTime<Utc>, u64>,
    /// Events per country.
    countries: BTreeMap<String, u64>,
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Counted from the rows: those in the window and within retention (an hour of rows is kept or
/// hidden whole: the rollups keep hours; the rows avoid the hour where it matters).
fn expected(
    rows: &[Event],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Expected {
    let inside: Vec<&Event> = rows
        .iter()
        .filter(|e| e.ts >= from && e.ts < to)
        .filter(|e| e.ts >= now - Duration::days(i64::from(e.retention_days)))
        .collect();
    let mut series = BTreeMap::new();
    let mut countries = BTreeMap::new();
    for e in &inside {
        let day = local_midnight(tz, e.ts.with_timezone(&tz).date_naive());
        *series.entry(day).or_insert(0) += 1;
        *countries.entry(e.country.to_owned()).or_insert(0) += 1;
    }
    let distinct = |f: fn(&Event) -> &Option<String>| {
        inside
            .iter()
            .filter_map(|e| f(e).clone())
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    Expected {
        events: inside.len() as u64,
        pageviews: inside.iter().filter(|e| e.pageview).count() as u64,
        visitors: distinct(|e| &e.visitor),
        sessions: distinct(|e| &e.session),
        series,
        countries,
    }
}

/// The same figures, read from a reply.
fn reported(reply: &Value) -> Expected {
    let totals = &reply["totals"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let series = reply["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| n(&p["events"]) > 0)
        .map(|p| {
            let t = DateTime::parse_from_rfc3339(p["t"].as_str().unwrap()).unwrap();
            (t.with_timezone(&Utc), n(&p["events"]))
        })
        .collect();
    let countries = reply["breakdowns"]["country"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["value"].as_str().unwrap().to_owned(), n(&r["events"])))
        .collect();
    Expected {
        events: n(&totals["events"]),
        pageviews: n(&totals["pageviews"]),
        visitors: n(&totals["visitors"]),
        sessions: n(&totals["sessions"]),
        series,
        countries,
    }
}

/// The last change of New York's offset at least three days before `now`.
fn last_dst_change(now: DateTime<Utc>) -> DateTime<Utc> {
    let offset = |t: DateTime<Utc>| {
        Tz::America__New_York
            .offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let mut t = (now - Duration::days(3))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    while offset(t) == offset(t - Duration::hours(1)) {
        t -= Duration::hours(1);
    }
    t
}

fn event_row(project: &str, property: i64, n: usize, e: &Event) -> Value {
    let (source, event_type, class) = if e.visitor.is_some() {
        (
            EventSource::Tag,
            if e.pageview {
                EventType::Pageview
            } else {
                EventType::Custom
            },
            AgentClass::Human,
        )
    } else {
        (
            EventSource::Server,
            EventType::Hit,
            AgentClass::AiTrainingCrawler,
        )
    };
    json!({
        "project_id": project, "property_id": property, "ts": ch_time(e.ts),
        "event_id": format!("{project}-{n}"),
        "visitor_id": e.visitor.clone().unwrap_or_default(),
        "session_id": e.session.clone().unwrap_or_default(),
        "source": source.as_str(), "event_type": event_type.as_str(),
        "name": if event_type == EventType::Custom { "signup" } else { "" },
        "agent_class": class.as_str(), "agent_name": if e.visitor.is_none() { "GPTBot" } else { "" },
        "url": "https://initech.com/", "path": "/", "country": e.country,
        "retention_days": e.retention_days
    })
}

#[actix_rt::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn daily_rollups_answer_what_the_rows_say_across_day_edges_and_dst() {
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
    let change = last_dst_change(now);
    let countries = ["DE", "US", "IN", ""];
    let mut rows = Vec::new();
    // Every 20 minutes from two and a half days before the change to two and a half after:
    // seven visitors in sessions of four events, every fifth event a crawler hit (no visitor).
    let first = change - Duration::hours(60) + Duration::minutes(7);
    for n in 0..(5 * 24 * 3) {
        let ts = first + Duration::minutes(20 * n as i64);
        let crawler = n % 5 == 4;
        rows.push(Event {
            ts,
            visitor: (!crawler).then(|| format!("v{}", n % 7)),
            session: (!crawler).then(|| format!("s{}", n / 4)),
            pageview: !crawler && n % 3 != 0,
            country: countries[n % 4],
            retention_days: 365,
        });
    }
    // Rows on a 3-day plan over the five days before `now`, none within two hours of the
    // retention edge (now − 3 days), so a second's drift between inserting and asking cannot move
    // one across it: the edge's day is partly expired, served by its retained hours.
    let edge = now - Duration::days(3);
    for n in 0..(5 * 24 * 2) {
        let ts = now - Duration::days(5) + Duration::minutes(30 * n as i64 + 11);
        if (ts - edge).num_minutes().abs() < 120 || ts >= now - Duration::hours(1) {
            continue;
        }
        rows.push(Event {
            ts,
            visitor: Some(format!("r{}", n % 11)),
            session: Some(format!("rs{}", n / 6)),
            pageview: true,
            country: "FR",
            retention_days: 3,
        });
    }
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(n, e)| event_row(&project, property, n, e).to_string())
        .collect();
    db.client()
        .query(&format!(
            "INSERT INTO events FORMAT JSONEachRow\n{}",
            lines.join("\n")
        ))
        .execute()
        .await
        .unwrap();

    let ask = |from: String, to: String, tz: &str| {
        let api = &api;
        let owner = &owner;
        let path = format!(
            "/api/v1/projects/{project}/events?from={}&to={}&tz={tz}&interval=day&limit=200",
            from.replace('+', "%2B").replace(':', "%3A"),
            to.replace('+', "%2B").replace(':', "%3A"),
        );
        async move {
            let reply = call(api, owner, Verb::Get, &path, None).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.json);
            reply.json
        }
    };
    let date = |t: DateTime<Utc>, tz: Tz| t.with_timezone(&tz).date_naive();

    // Whole New York days from the day before the change to the day after it (dates: local
    // midnights, the end date inclusive), then the same dates in Kolkata (+05:30: raw rows).
    let ny = Tz::America__New_York;
    let kolkata = Tz::Asia__Kolkata;
    for (tz, served_from) in [(ny, "rollup"), (kolkata, "events")] {
        let (start, end) = (
            date(change - Duration::days(1), tz),
            date(change + Duration::days(1), tz),
        );
        let reply = ask(start.to_string(), end.to_string(), tz.name()).await;
        assert_eq!(reply["served_from"], served_from, "{}", tz.name());
        let (from, to) = (
            local_midnight(tz, start),
            local_midnight(tz, end.succ_opt().unwrap()),
        );
        let want = expected(&rows, from, to, tz, now);
        assert!(want.events > 100, "the window holds traffic: {want:?}");
        assert_eq!(reported(&reply), want, "{} {start}..={end}", tz.name());
        if tz == ny {
            // Three local days across the change: one of them 25 or 23 hours long.
            let hours: Vec<i64> = reply["series"]
                .as_array()
                .unwrap()
                .windows(2)
                .map(|w| {
                    let t =
                        |p: &Value| DateTime::parse_from_rfc3339(p["t"].as_str().unwrap()).unwrap();
                    (t(&w[1]) - t(&w[0])).num_hours()
                })
                .collect();
            assert!(hours.iter().any(|h| *h != 24), "{hours:?}");
        }
    }

    // Whole UTC hours that are not midnights, in UTC: daily rows inside, hourly at both edges.
    let (from, to) = (
        (change - Duration::hours(41))
            .duration_trunc(Duration::hours(1))
            .unwrap(),
        (change + Duration::hours(43))
            .duration_trunc(Duration::hours(1))
            .unwrap(),
    );
    let reply = ask(from.to_rfc3339(), to.to_rfc3339(), "UTC").await;
    assert_eq!(reply["served_from"], "rollup");
    assert_eq!(reported(&reply), expected(&rows, from, to, Tz::UTC, now));

    // The week before now on the 3-day plan's rows: the day holding the retention edge is
    // answered by its retained hours, the days after it by daily rows, the days before by none.
    let from = (now - Duration::days(6))
        .duration_trunc(Duration::days(1))
        .unwrap();
    let to = now.duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1);
    let reply = ask(from.to_rfc3339(), to.to_rfc3339(), "Europe/Berlin").await;
    assert_eq!(reply["served_from"], "rollup");
    let want = expected(&rows, from, to, Tz::Europe__Berlin, now);
    assert!(want.countries.contains_key("FR"), "{want:?}");
    assert_eq!(reported(&reply), want);

    // The interior days did come from the daily rollup.
    let days: u64 = db
        .client()
        .query("SELECT count() FROM traffic_class_daily WHERE project_id = ?")
        .bind(&project)
        .fetch_one()
        .await
        .unwrap();
    assert!(days >= 5, "{days} daily rows");
    api.handle.stop(true).await;
}
