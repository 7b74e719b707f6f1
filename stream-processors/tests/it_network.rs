//! The network of origin from beacon to rows: what the edge looked up (`Beacon.asn`,
//! `as_organization`, `country`) lands in `events` and `crawler_hits` through the loader's sink,
//! with `datacenter` set for hosting networks, and `traffic_hourly` counts datacenter visitors
//! apart (migration 0009).

use platform::test_support::TestDatabase;
use schemas::beacon::{Beacon, ServerHit};
use schemas::fixtures::sample_tag_beacon;
use schemas::vocab::Vocabulary;
use stream_processors::enrich::enricher::{Enricher, PropertyContext};
use stream_processors::enrich::page::ContentRules;
use stream_processors::load::batch::{Batch, Position};
use stream_processors::load::rows::{CrawlerHitRow, EventRow};
use stream_processors::load::sink::ClickHouseSink;

fn visit(id: &str, visitor: &str, asn: i64, organization: &str, country: &str) -> Beacon {
    let mut b = sample_tag_beacon();
    b.event_id = id.into();
    b.visitor_id = visitor.into();
    b.received_at = chrono::Utc::now().timestamp_millis();
    b.tag.as_mut().unwrap().client_ts = None;
    b.asn = Some(asn);
    b.as_organization = Some(organization.into());
    b.country = Some(country.into());
    b
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn the_network_of_origin_and_the_datacenter_flag_reach_events_and_crawler_hits() {
    let db = TestDatabase::migrated().await;
    let enricher = Enricher::from_catalog().unwrap();
    let rules = ContentRules::default();
    let ctx = PropertyContext {
        organization_id: "org_1",
        retention_days: 90,
        content_rules: &rules,
    };
    let cloud = visit("evt-cloud", "v-cloud", 14061, "DigitalOcean, LLC", "NL");
    let home = visit("evt-home", "v-home", 64501, "Example Broadband", "DE");
    let mut crawl = visit("evt-crawl", "", 8075, "Microsoft Corporation", "US");
    crawl.tag = None;
    crawl.user_agent = "Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)".into();
    crawl.hit = Some(ServerHit {
        ts: crawl.received_at,
        method: "GET".into(),
        host: "acme.com".into(),
        path: "/docs".into(),
        query: None,
        status: 200,
        ip: None,
        referrer: None,
        bytes: None,
        response_ms: None,
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    });
    let mut batch = Batch::default();
    for (offset, beacon) in [&cloud, &home, &crawl].into_iter().enumerate() {
        let at = Position {
            partition: 0,
            offset: offset as i64,
        };
        batch.saw(at, b"beacon");
        let e = enricher.enrich(beacon, &ctx, beacon.received_at).unwrap();
        batch.crawler_hits.extend(at, CrawlerHitRow::of(&e));
        batch.events.push(at, EventRow::from(e));
    }
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    ClickHouseSink::new(db.client(), "beacons")
        .write(&batch, &stopped)
        .await
        .unwrap();

    let events: Vec<(String, String, u32, String, bool)> = db
        .client()
        .query("SELECT event_id, country, asn, as_organization, datacenter FROM events ORDER BY event_id")
        .fetch_all()
        .await
        .unwrap();
    let row = |id: &str, country: &str, asn: u32, org: &str, datacenter: bool| {
        (
            id.to_owned(),
            country.to_owned(),
            asn,
            org.to_owned(),
            datacenter,
        )
    };
    assert_eq!(
        events,
        [
            row("evt-cloud", "NL", 14061, "DigitalOcean, LLC", true),
            row("evt-crawl", "US", 8075, "Microsoft Corporation", true),
            row("evt-home", "DE", 64501, "Example Broadband", false),
        ]
    );
    let hits: Vec<(u32, String, bool)> = db
        .client()
        .query("SELECT asn, as_organization, datacenter FROM crawler_hits")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(hits, [(8075, "Microsoft Corporation".to_owned(), true)]);
    let (all, datacenter, elsewhere): (u64, u64, u64) = db
        .client()
        .query(
            "SELECT toUInt64(uniqMerge(visitors)), toUInt64(uniqMerge(datacenter_visitors)), \
             toUInt64(uniqMerge(non_datacenter_visitors)) FROM traffic_hourly WHERE agent_class = ?",
        )
        .bind(schemas::vocab::AgentClass::Human.as_str())
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((all, datacenter, elsewhere), (2, 1, 1));
}
