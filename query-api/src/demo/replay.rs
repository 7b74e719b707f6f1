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

pub async fn send(
    edge_url: &str,
    origin: &str,
    key_secret: &str,
    traffic: &Traffic,
) -> anyhow::Result<Sent> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let collect = format!("{}/v1/collect", edge_url.trim_end_matches('/'));
    let mut sent = Sent::default();
    for visit in &traffic.visits {
        let events = visit.envelope["events"].as_array().map_or(0, Vec::len);
        if events == 0 {
            continue;
        }
        let headers = [
            ("Origin", origin.to_owned()),
            ("User-Agent", visit.user_agent.to_owned()),
            ("X-Forwarded-For", visit.ip.clone()),
            ("CF-IPCountry", visit.country.to_owned()),
        ];
        post(&client, &collect, &headers, "application/json", visit.envelope.to_string()).await?;
        sent.sessions += 1;
        sent.tag_events += events;
    }
    let hits_url = format!("{}/v1/hits", edge_url.trim_end_matches('/'));
    let auth = [("Authorization", format!("Bearer {key_secret}"))];
    for chunk in traffic.hits.chunks(HITS_PER_REQUEST) {
        let body: String = chunk.iter().map(|h: &Value| format!("{h}\n")).collect();
        post(&client, &hits_url, &auth, "application/x-ndjson", body).await?;
        sent.crawler_hits += chunk.len();
    }
    Ok(sent)
}

/// Rows of the property in `events` (tag events and crawler hits land there alike).
pub async fn stored(clickhouse: &clickhouse::Client, project_id: &str, property_id: i64) -> anyhow::Result<u64> {
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
        let count = stored(clickhouse, project_id, property_id).await.unwrap_or(0);
        if count >= expected || tokio::time::Instant::now() >= deadline {
            return Ok(count);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
