//! Plan retention against the real engine: the shipped migrations, rows with old timestamps for
//! every plan and data type, TTL forced with OPTIMIZE … FINAL; exactly the expired rows are gone.
//! Row ages sit at least a week from the boundary: with ttl_only_drop_parts a row leaves with the
//! last row of its (retention class, week) partition (see the migration's header).

mod common;

use platform::test_support::TestDatabase;
use schemas::vocab::{sql_literal as lit, AgentClass, Channel, EventSource, EventType};

/// (retention days of the plan, age of a row in days).
fn ages(retention: u32) -> [u32; 2] {
    [retention - 20, retention + 20]
}

/// Runs `sql` with the row's id, age and, when the table stamps it, the plan's retention.
async fn insert(db: &TestDatabase, sql: &str, id: &str, age_days: u32, retention: Option<u32>) {
    let mut query = db.client().query(sql).bind(id).bind(age_days);
    if let Some(retention) = retention {
        query = query.bind(retention);
    }
    query
        .execute()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn left(db: &TestDatabase, table: &str) -> Vec<String> {
    db.client()
        .query("OPTIMIZE TABLE ? FINAL")
        .bind(clickhouse::sql::Identifier(table))
        .execute()
        .await
        .unwrap();
    common::stored_ids(&db.client(), table).await
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn each_plan_and_data_type_keeps_exactly_its_retention() {
    let db = TestDatabase::migrated().await;
    let ts = "now64(3) - toIntervalDay(?)";
    let per_plan = [
        ("events", format!("INSERT INTO events (project_id, property_id, event_id, ts, retention_days) VALUES ('prj_a', 1, ?, {ts}, ?)")),
        ("crawler_hits", format!("INSERT INTO crawler_hits (project_id, property_id, event_id, ts, agent_class, retention_days) VALUES ('prj_a', 1, ?, {ts}, {class}, ?)", class = lit(AgentClass::AiTrainingCrawler))),
        ("conversions", format!("INSERT INTO conversions (project_id, property_id, event_id, ts, name, retention_days) VALUES ('prj_a', 1, ?, {ts}, 'signup', ?)")),
    ];
    let mut expected: Vec<(&str, Vec<String>)> = Vec::new();
    for (table, sql) in &per_plan {
        let mut kept = Vec::new();
        // Starter, Growth, Pro.
        for retention in [90, 180, 365] {
            for age in ages(retention) {
                let id = format!("{table}-{retention}-{age}");
                insert(&db, sql, &id, age, Some(retention)).await;
                if age < retention {
                    kept.push(id);
                }
            }
        }
        kept.sort();
        expected.push((table, kept));
    }
    // Fixed retention whatever the plan: AI referrals 365 days, sessions 90 days.
    for (table, retention, sql) in [
        ("ai_referrals", 365, format!("INSERT INTO ai_referrals (project_id, property_id, event_id, ts, ai_source) VALUES ('prj_a', 1, ?, {ts}, 'ChatGPT')")),
        ("sessions", 90, format!("INSERT INTO sessions (project_id, property_id, session_id, opened_at) VALUES ('prj_a', 1, ?, {ts})")),
    ] {
        let mut kept = Vec::new();
        for age in ages(retention) {
            let id = format!("{table}-{age}");
            insert(&db, &sql, &id, age, None).await;
            if age < retention {
                kept.push(id);
            }
        }
        expected.push((table, kept));
    }
    for (table, kept) in expected {
        assert_eq!(left(&db, table).await, kept, "{table}");
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_hourly_rollup_counts_what_the_events_table_holds() {
    let db = TestDatabase::migrated().await;
    db.client()
        .query(&format!(
            "INSERT INTO events (project_id, property_id, event_id, ts, visitor_id, session_id, event_type, agent_class, channel, ai_source, retention_days) VALUES
             ('prj_a', 1, 'e1', '2026-11-24 10:05:00', 'v1', 's1', {pageview}, {human}, {ai}, 'ChatGPT', 90),
             ('prj_a', 1, 'e2', '2026-11-24 10:45:00', 'v1', 's1', {click}, {human}, {ai}, 'ChatGPT', 90),
             ('prj_a', 1, 'e3', '2026-11-24 10:50:00', 'v2', 's2', {pageview}, {human}, {direct}, '', 90),
             ('prj_b', 2, 'e4', '2026-11-24 10:55:00', 'v3', 's3', {pageview}, {human}, {ai}, 'ChatGPT', 90)",
            pageview = lit(EventType::Pageview),
            click = lit(EventType::Click),
            human = lit(AgentClass::Human),
            ai = lit(Channel::Ai),
            direct = lit(Channel::Direct),
        ))
        .execute()
        .await
        .unwrap();
    let rows: Vec<(String, u64, u64, u64)> = db
        .client()
        .query(
            "SELECT ai_source, countMerge(events), countIfMerge(pageviews), uniqMerge(visitors)
             FROM traffic_hourly WHERE project_id = ? GROUP BY ai_source ORDER BY ai_source",
        )
        .bind("prj_a")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![("".to_owned(), 1, 1, 1), ("ChatGPT".to_owned(), 2, 1, 1)]
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn pages_gather_views_titles_ai_crawler_hits_and_referrals() {
    let db = TestDatabase::migrated().await;
    // Two batches, as two loader flushes would insert them.
    let (tag, server) = (lit(EventSource::Tag), lit(EventSource::Server));
    let (pageview, click, hit) = (
        lit(EventType::Pageview),
        lit(EventType::Click),
        lit(EventType::Hit),
    );
    let (human, trainer, search) = (
        lit(AgentClass::Human),
        lit(AgentClass::AiTrainingCrawler),
        lit(AgentClass::SearchEngineCrawler),
    );
    for batch in [
        format!("INSERT INTO events (project_id, property_id, event_id, ts, source, event_type, url, path, title, content_type, agent_class, ai_source, retention_days) VALUES
         ('prj_a', 1, 'e1', '2026-11-20 10:00:00', {tag}, {pageview}, 'https://acme.com/docs', '/docs', 'Docs', 'docs', {human}, 'ChatGPT', 90),
         ('prj_a', 1, 'e2', '2026-11-21 10:00:00', {server}, {hit}, 'https://acme.com/docs', '/docs', '', 'docs', {trainer}, '', 90)"),
        format!("INSERT INTO events (project_id, property_id, event_id, ts, source, event_type, url, path, title, content_type, agent_class, ai_source, retention_days) VALUES
         ('prj_a', 1, 'e3', '2026-11-22 10:00:00', {tag}, {pageview}, 'https://acme.com/docs', '/docs', 'Docs v2', 'docs', {human}, '', 90),
         ('prj_a', 1, 'e4', '2026-11-23 10:00:00', {server}, {hit}, 'https://acme.com/docs', '/docs', '', 'docs', {search}, '', 90),
         ('prj_a', 1, 'e5', '2026-11-23 11:00:00', {tag}, {click}, 'https://acme.com/docs', '/docs', '', 'docs', {human}, '', 90)"),
    ] {
        db.client().query(&batch).execute().await.unwrap();
    }
    let page: (String, String, String, String, u64, u64, u64) = db
        .client()
        .query(
            "SELECT url, argMaxIfMerge(title), toString(min(first_seen)), toString(max(last_seen)),
                    sum(views), sum(ai_crawler_hits), sum(ai_referrals)
             FROM pages WHERE project_id = ? GROUP BY url",
        )
        .bind("prj_a")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        page,
        (
            "https://acme.com/docs".to_owned(),
            // The latest non-empty title: crawler hits and clicks carry none.
            "Docs v2".to_owned(),
            "2026-11-20 10:00:00.000".to_owned(),
            "2026-11-23 11:00:00.000".to_owned(),
            2, // pageviews only
            1, // AI crawlers only, not search engines
            1,
        )
    );
}
