//! Sends demo traffic through the collector exactly as the tag and a log forwarder would, then
//! waits until the processors have written it, so the dashboards have data when `up` returns.

use std::time::Duration;

use serde_json::Value;

use super::traffic::Traffic;

const HITS_PER_REQUEST: usize = 100;

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Sent {
    pub sessions: usize,
    pub tag_events: usize,
    pub crawler_hits: usize,
}

/// POSTs with a few retries: a 429 or 503 from the collector is a reason to wait, not to fail.
async fn post(
    client: &awc::Client,
    url: &str,
    headers: &[(&str, String)],
    content_type: &str,
    body: String,
) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=8 {
        let mut request = client
            .post(url)
            .insert_header(("Content-Type", content_type));
        for (name, value) in headers {
            request = request.insert_header((*name, value.as_str()));
        }
        match request.send_body(body.clone()).await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(mut response) if attempt < 8 && matches!(response.status().as_u16(), 429 | 503) => {
                let _ = response.body().await;
            }
            Ok(mut response) => {
                let text = response.body().await.unwrap_or_default();
                anyhow::bail!(
                    "the collector answered {} to {url}: {}",
                    response.status(),
                    String::from_utf8_lossy(&text)
                );
            }
            Err(error) if attempt < 8 => tracing::warn!(%error, "collector unreachable; retrying"),
            Err(error) => anyhow::bail!("the collector at {url} is unreachable: {error}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    unreachable!("the last attempt returns")
}

/// Everything in event-time order, one tag event per request as the tag sends them, crawler
/// hits batched as a forwarder would: the sessionizer places events by event time and drops
/// those far behind what it has already seen.
pub async fn send(
    edge_url: &str,
    origin: &str,
    key_secret: &str,
    traffic: &Traffic,
) -> anyhow::Result<Sent> {
    enum Item<'a> {
        Tag(usize, &'a Value),
        Hit(&'a Value),
    }
    let mut timeline: Vec<(i64, Item)> = Vec::new();
    for (i, visit) in traffic.visits.iter().enumerate() {
        for event in visit.envelope["events"].as_array().into_iter().flatten() {
            timeline.push((event["ts"].as_i64().unwrap_or(0), Item::Tag(i, event)));
        }
    }
    for hit in &traffic.hits {
        timeline.push((hit["ts"].as_i64().unwrap_or(0), Item::Hit(hit)));
    }
    timeline.sort_by_key(|(ts, _)| *ts);

    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let base = edge_url.trim_end_matches('/');
    let collect = format!("{base}/v1/collect");
    let hits_url = format!("{base}/v1/hits");
    let auth = [("Authorization", format!("Bearer {key_secret}"))];
    let mut sent = Sent::default();
    let mut sessions = std::collections::HashSet::new();
    let mut pending_hits: Vec<&Value> = Vec::new();
    let mut items = timeline.into_iter().peekable();
    while let Some((_, item)) = items.next() {
        match item {
            Item::Hit(hit) => {
                pending_hits.push(hit);
                let next_is_hit = matches!(items.peek(), Some((_, Item::Hit(_))));
                if pending_hits.len() == HITS_PER_REQUEST || !next_is_hit {
                    let body: String = pending_hits.iter().map(|h| format!("{h}\n")).collect();
                    post(&client, &hits_url, &auth, "application/x-ndjson", body).await?;
                    sent.crawler_hits += pending_hits.len();
                    pending_hits.clear();
                }
            }
            Item::Tag(i, event) => {
                let visit = &traffic.visits[i];
                let mut envelope = visit.envelope.clone();
                envelope["events"] = Value::Array(vec![event.clone()]);
                let headers = [
                    ("Origin", origin.to_owned()),
                    ("User-Agent", visit.user_agent.to_owned()),
                    ("X-Forwarded-For", visit.ip.clone()),
                    ("CF-IPCountry", visit.country.to_owned()),
                ];
                post(
                    &client,
                    &collect,
                    &headers,
                    "application/json",
                    envelope.to_string(),
                )
                .await?;
                sessions.insert(i);
                sent.tag_events += 1;
            }
        }
    }
    sent.sessions = sessions.len();
    Ok(sent)
}

/// Rows of the property in `events` (tag events and crawler hits land there alike).
pub async fn stored(
    clickhouse: &clickhouse::Client,
    project_id: &str,
    property_id: i64,
) -> anyhow::Result<u64> {
    Ok(clickhouse
        .query("SELECT count() FROM events WHERE project_id = ? AND property_id = ?")
        .bind(project_id)
        .bind(u64::try_from(property_id).unwrap_or_default())
        .fetch_one()
        .await?)
}

/// Waits until at least `expected` rows are stored, or `limit` passes.
pub async fn wait_stored(
    clickhouse: &clickhouse::Client,
    project_id: &str,
    property_id: i64,
    expected: u64,
    limit: Duration,
) -> anyhow::Result<u64> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let count = stored(clickhouse, project_id, property_id)
            .await
            .unwrap_or(0);
        if count >= expected || tokio::time::Instant::now() >= deadline {
            return Ok(count);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the loader stored a robots.txt version of the property (true), or `limit` passes.
pub async fn wait_robots(
    clickhouse: &clickhouse::Client,
    project_id: &str,
    property_id: i64,
    limit: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let versions: u64 = clickhouse
            .query("SELECT count() FROM robots_txt WHERE project_id = ? AND property_id = ?")
            .bind(project_id)
            .bind(u64::try_from(property_id).unwrap_or_default())
            .fetch_one()
            .await
            .unwrap_or(0);
        if versions > 0 {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
