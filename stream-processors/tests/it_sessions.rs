//! Sessionizer state survives crashes exactly: one stream of beacons is processed once without
//! interruption and once by processors killed twice mid-stream (each restart restoring sessions
//! from its changelog on optiview.sessions.v1); both leave identical rows in ClickHouse.

mod common;

use std::time::Duration;

use common::{count, loader, produce, wait_for};
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::beacon::{Beacon, TagEventType};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, sample_tag_beacon};
use tokio::sync::watch;

const MIN: i64 = 60_000;

/// Five visitors over six hours of event time: one browses every 10 minutes all along (a single
/// long-running session that every kill lands inside); the others visit for 15 minutes of every
/// hour (a new session each time), arriving from ChatGPT when (visitor + hour) is even and from
/// Google otherwise, and convert at the end of each visit; a few events arrive out of order.
fn stream(tenant: &schemas::fixtures::Tenant) -> Vec<Beacon> {
    let now = chrono::Utc::now().timestamp_millis();
    let start = now - 6 * 60 * MIN - 10 * MIN;
    let mut out = Vec::new();
    for step in 0..72 {
        let minute = step * 5;
        for visitor in 0..5i64 {
            let long = visitor == 0;
            if !long && step % 12 >= 4 {
                continue; // away for 45 minutes: the next visit is a new session
            }
            if long && step % 2 == 1 {
                continue;
            }
            let mut b = sample_tag_beacon();
            b.event_id = format!("evt-{step}-{visitor}");
            b.project_id = tenant.project.clone();
            b.property_id = tenant.property;
            b.visitor_id = format!("visitor-{visitor}");
            b.received_at = now;
            let tag = b.tag.as_mut().unwrap();
            tag.client_ts = Some(start + minute * MIN + visitor * 1_000);
            tag.url = format!("https://acme.com/docs/{}", (step + visitor) % 9);
            tag.utm.clear();
            let arriving = !long && step % 12 == 0;
            let hour = step / 12;
            tag.referrer = arriving.then(|| {
                ["https://chatgpt.com/", "https://www.google.com/"][((visitor + hour) % 2) as usize]
                    .into()
            });
            let converts = !long && step % 12 == 3;
            tag.event_type = if converts {
                TagEventType::Conversion
            } else {
                TagEventType::Pageview
            };
            out.push(b);
        }
    }
    // Out of order by a few minutes: well within the allowed lateness.
    for i in (10..out.len() - 1).step_by(17) {
        out.swap(i, i + 1);
    }
    out
}

/// Every table the processors write, as comparable text: final rows without processing time.
async fn snapshot(client: &clickhouse::Client) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (table, order) in [
        ("events", "event_id"),
        ("sessions", "session_id"),
        ("conversions", "event_id"),
        ("ai_referrals", "event_id"),
    ] {
        let rows: Vec<String> = client
            .query(
                "SELECT formatRow('JSONEachRow', * EXCEPT (processed_at)) FROM ? FINAL ORDER BY ?",
            )
            .bind(clickhouse::sql::Identifier(table))
            .bind(clickhouse::sql::Identifier(order))
            .fetch_all()
            .await
            .unwrap();
        out.push((table.to_owned(), rows));
    }
    out
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn killing_the_processor_twice_changes_no_row() {
    let mut view = ControlView::new();
    let tenant = onboard(&mut view, "acme.com", Plan::Pro, vec![Permission::Collect]);
    let beacons = stream(&tenant);
    let n = beacons.len() as u64;
    // Both runs read the same input; each has its own changelog, group and database.
    let input = TestTopics::create(&[("beacons", 3), ("deadletter", 1), ("sessions", 3)]).await;
    let other = TestTopics::create(&[("unused", 1), ("deadletter", 1), ("sessions", 3)]).await;
    produce(&input, &beacons).await;

    let straight = TestDatabase::migrated().await;
    let (stop, stopped) = watch::channel(false);
    let run =
        tokio::spawn(loader(&input, straight.client(), &view, &random_name("g")).run(stopped));
    assert_eq!(wait_for(&straight.client(), "events", n).await, n);
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();

    let crashed = TestDatabase::migrated().await;
    let group = random_name("g");
    let mut killed = 0;
    for target in [n / 3, 2 * n / 3] {
        let mut processor = loader(&input, crashed.client(), &view, &group);
        processor.settings.deadletter_topic = other.name(1).to_owned();
        processor.settings.sessions_topic = other.name(2).to_owned();
        let (_keep, stopped) = watch::channel(false);
        let run = tokio::spawn(processor.run(stopped));
        while count(&crashed.client(), "events", false).await < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        run.abort(); // a crash: no flush, no commit of what is in flight
        assert!(run.await.unwrap_err().is_cancelled());
        killed += 1;
    }
    let mut processor = loader(&input, crashed.client(), &view, &group);
    processor.settings.deadletter_topic = other.name(1).to_owned();
    processor.settings.sessions_topic = other.name(2).to_owned();
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(processor.run(stopped));
    assert_eq!(wait_for(&crashed.client(), "events", n).await, n);
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    assert_eq!(killed, 2);

    let expected = snapshot(&straight.client()).await;
    let got = snapshot(&crashed.client()).await;
    for ((table, want), (_, have)) in expected.iter().zip(&got) {
        assert!(!want.is_empty(), "{table} has rows to compare");
        assert_eq!(have, want, "{table} differs after two crashes");
    }
    // One long session, and one per visitor and hour for the other four.
    assert_eq!(expected[1].1.len(), 1 + 4 * 6, "sessions");

    // Both attribution models, expected from how the stream was built: the session's own source
    // is ChatGPT when that hour's visit came from it; the last AI touch is ChatGPT from the
    // visitor's first AI-referred visit on (30-day lookback).
    let rows: Vec<(String, String, String, i64)> = crashed
        .client()
        .query(
            "SELECT visitor_id, session_ai_source, last_touch_ai_source, toInt64(ifNull(intDiv(dateDiff('minute', (SELECT min(ts) FROM events FINAL), ts), 60), -1))
             FROM conversions FINAL ORDER BY visitor_id, ts",
        )
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 4 * 6, "one conversion per visit");
    for (visitor, session_source, last_touch, hour) in rows {
        let v: i64 = visitor.trim_start_matches("visitor-").parse().unwrap();
        let from_ai = (v + hour) % 2 == 0;
        let touched = from_ai || hour >= 1;
        let name = |yes: bool| if yes { "ChatGPT" } else { "" };
        assert_eq!(
            (session_source.as_str(), last_touch.as_str()),
            (name(from_ai), name(touched)),
            "{visitor} in hour {hour}"
        );
    }
}
