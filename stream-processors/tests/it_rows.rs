//! The row structs match the shipped tables: an enriched beacon inserts through RowBinary into
//! events, ai_referrals and crawler_hits, and reads back; the hourly rollups fill from it.

use platform::test_support::TestDatabase;
use schemas::beacon::ServerHit;
use schemas::fixtures::sample_tag_beacon;
use stream_processors::enrich::enricher::{Enricher, PropertyContext};
use stream_processors::enrich::page::ContentRules;
use stream_processors::load::rows::{AiReferralRow, CrawlerHitRow, EventRow};

mod common;

/// A fresh database with the shipped migrations applied.
/// A 90-day (Starter) property with default content rules.
fn context(rules: &ContentRules) -> PropertyContext<'_> {
    PropertyContext {
        organization_id: "org_1",
        retention_days: 90,
        content_rules: rules,
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn enriched_rows_insert_into_the_shipped_tables() {
    let db = TestDatabase::migrated().await;
    let enricher = Enricher::from_catalog().unwrap();
    let rules = ContentRules::default();
    let ctx = context(&rules);
    // Recent, so the 90-day TTL keeps them.
    let received = chrono::Utc::now().timestamp_millis();
    let mut visit = sample_tag_beacon();
    visit.received_at = received;
    visit.tag.as_mut().unwrap().referrer = Some("https://www.perplexity.ai/search?q=x".into());
    visit.tag.as_mut().unwrap().client_ts = None;
    let mut crawl = sample_tag_beacon();
    crawl.received_at = received;
    crawl.event_id = "evt-crawl".into();
    crawl.tag = None;
    crawl.user_agent = "Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)".into();
    crawl.hit = Some(ServerHit {
        ts: received,
        method: "GET".into(),
        host: "acme.com".into(),
        path: "/blog/launch".into(),
        query: None,
        status: 200,
        ip: Some("203.0.113.1".into()),
        referrer: None,
        bytes: Some(10),
        response_ms: Some(3),
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    });
    let a = enricher.enrich(&visit, &ctx, received + 10).unwrap();
    let b = enricher.enrich(&crawl, &ctx, received + 10).unwrap();
    let (referral, crawler_hit) = (AiReferralRow::of(&a), CrawlerHitRow::of(&b));
    let (a, b) = (EventRow::from(a), EventRow::from(b));

    let mut insert = db.client().insert::<EventRow>("events").await.unwrap();
    insert.write(&a).await.unwrap();
    insert.write(&b).await.unwrap();
    insert.end().await.unwrap();
    let mut insert = db
        .client()
        .insert::<AiReferralRow>("ai_referrals")
        .await
        .unwrap();
    insert.write(&referral.unwrap()).await.unwrap();
    insert.end().await.unwrap();
    let mut insert = db
        .client()
        .insert::<CrawlerHitRow>("crawler_hits")
        .await
        .unwrap();
    insert.write(&crawler_hit.unwrap()).await.unwrap();
    insert.end().await.unwrap();

    let events: Vec<(String, String, String, String)> = db
        .client()
        .query("SELECT event_id, agent_class, ai_source, content_type FROM events ORDER BY agent_class")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        events,
        vec![
            (
                "evt-crawl".into(),
                "ai_training_crawler".into(),
                "".into(),
                "article".into()
            ),
            (
                a.event_id.clone(),
                "human".into(),
                "Perplexity".into(),
                a.content_type.clone()
            ),
        ]
    );
    let referrals: Vec<String> = db
        .client()
        .query("SELECT ai_source FROM ai_referrals")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(referrals, ["Perplexity"]);
    let hits: Vec<(String, String)> = db
        .client()
        .query("SELECT agent_name, verification FROM crawler_hits")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(hits, [("ClaudeBot".to_owned(), "spoofed".to_owned())]);
    let rolled: Vec<(String, u64)> = db
        .client()
        .query("SELECT agent_name, countMerge(hits) FROM crawler_hourly GROUP BY agent_name")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(rolled, [("ClaudeBot".to_owned(), 1)]);
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_batch_written_twice_is_stored_once() {
    use stream_processors::load::batch::{Batch, Position};
    use stream_processors::load::sink::ClickHouseSink;
    let db = TestDatabase::migrated().await;
    let enricher = Enricher::from_catalog().unwrap();
    let rules = ContentRules::default();
    let ctx = context(&rules);
    let mut batch = Batch::default();
    for i in 0..20 {
        let mut b = sample_tag_beacon();
        b.event_id = format!("evt-{i}");
        b.received_at = chrono::Utc::now().timestamp_millis();
        b.tag.as_mut().unwrap().client_ts = None;
        let at = Position {
            partition: 0,
            offset: i,
        };
        batch.saw(at, b"beacon");
        let e = enricher.enrich(&b, &ctx, b.received_at).unwrap();
        batch.ai_referrals.extend(at, AiReferralRow::of(&e));
        batch.events.push(at, EventRow::from(e));
    }
    let sink = ClickHouseSink::new(db.client(), "beacons");
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    // The second write is what a retry after a lost answer sends.
    sink.write(&batch, &stopped).await.unwrap();
    sink.write(&batch, &stopped).await.unwrap();
    for table in ["events", "ai_referrals", "traffic_hourly"] {
        let rows: u64 = db
            .client()
            .query(if table == "traffic_hourly" {
                "SELECT countMerge(events) FROM ?"
            } else {
                "SELECT count() FROM ?"
            })
            .bind(clickhouse::sql::Identifier(table))
            .fetch_one()
            .await
            .unwrap();
        let want = if table == "ai_referrals" {
            batch.ai_referrals.len()
        } else {
            20
        };
        assert_eq!(rows, want as u64, "{table}");
    }
}
