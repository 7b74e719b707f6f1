//! The pipeline benchmarks' traffic: beacons as the collector writes them, for `pipeline_load`
//! (through a broker) and the `process` bench (in memory) alike.

use schemas::beacon::{Beacon, ServerHit, TagEventType};
use schemas::fixtures::sample_tag_beacon;

/// Browsers (modern `Mozilla/5.0` ones) and crawlers from the shared data.
fn user_agents() -> (Vec<String>, Vec<String>) {
    let (humans, bots) = crate::reference_user_agents();
    let humans = humans
        .into_iter()
        .filter(|ua| ua.starts_with("Mozilla/5.0"))
        .collect();
    (humans, bots)
}

/// A realistic mix: 80 % tag events (pageviews, clicks, some conversions) from browsers with
/// AI, search, social and direct referrers; 20 % server hits from crawlers.
pub fn workload(events: usize, visitors: usize, tenant: &schemas::fixtures::Tenant) -> Vec<Beacon> {
    let (humans, bots) = user_agents();
    let referrers = [
        Some("https://chatgpt.com/"),
        Some("https://www.perplexity.ai/search?q=x"),
        Some("https://www.google.com/"),
        Some("https://news.ycombinator.com/item?id=1"),
        None,
        None,
    ];
    let now = chrono::Utc::now().timestamp_millis();
    (0..events)
        .map(|i| {
            let mut b = sample_tag_beacon();
            b.event_id = format!("evt-{i:09}");
            b.project_id = tenant.project.clone();
            b.property_id = tenant.property;
            b.received_at = now;
            let ts = now - (events - i) as i64 * 10;
            if i % 5 == 4 {
                b.user_agent = bots[i % bots.len()].clone();
                b.visitor_id = format!("bot-{}", i % 97);
                b.tag = None;
                b.hit = Some(ServerHit {
                    ts,
                    method: "GET".into(),
                    host: "acme.com".into(),
                    path: format!("/docs/{}", i % 500),
                    query: None,
                    status: 200,
                    ip: Some("20.15.240.64".into()),
                    referrer: None,
                    bytes: Some(5120),
                    response_ms: Some(12),
                    signature: None,
                    signature_input: None,
                    signature_agent: None,
                    sealed_ip: None,
                });
            } else {
                b.user_agent = humans[i % humans.len()].clone();
                b.visitor_id = format!("visitor-{}", (i * 7919) % visitors);
                let tag = b.tag.as_mut().unwrap();
                tag.client_ts = Some(ts);
                tag.url = format!("https://acme.com/docs/{}?utm_campaign=c{}", i % 500, i % 3);
                tag.referrer = referrers[i % referrers.len()].map(str::to_owned);
                tag.utm.clear();
                tag.event_type = match i % 20 {
                    0 => TagEventType::Conversion,
                    1..=3 => TagEventType::Click,
                    _ => TagEventType::Pageview,
                };
            }
            b
        })
        .collect()
}
