//! Per-minute request statistics, written to `optiview.edge-stats.v1` for alerting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{HttpMessage, HttpRequest};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::edge_stats::{EdgeStats, PropertyEdgeStats};

/// Latency bucket upper bounds; the last count is the overflow bucket. 200 ms is the alerting
/// threshold's default, so "p95 above 200 ms" is read off a bucket edge rather than interpolated.
pub const LATENCY_BOUNDS_MS: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 5000.0,
];

/// What a handler learned about its request, read back by the observing middleware: the property
/// its key resolved to and how many events it made durable.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestScope {
    pub property_id: Option<i64>,
    pub events: usize,
}

pub fn mark_property(req: &HttpRequest, property_id: i64) {
    req.extensions_mut()
        .get_or_insert_with(RequestScope::default)
        .property_id = Some(property_id);
}

pub fn mark_events(req: &HttpRequest, events: usize) {
    req.extensions_mut()
        .get_or_insert_with(RequestScope::default)
        .events += events;
}

#[derive(Debug, Default)]
struct Counts {
    requests: i64,
    events: i64,
    errors: HashMap<String, i64>,
    latency_counts: Vec<i64>,
}

impl Counts {
    fn add(&mut self, bucket: usize, error_class: Option<&str>, events: usize) {
        self.requests += 1;
        self.events += events as i64;
        if let Some(class) = error_class {
            *self.errors.entry(class.to_owned()).or_default() += 1;
        }
        if self.latency_counts.is_empty() {
            self.latency_counts = vec![0; LATENCY_BOUNDS_MS.len() + 1];
        }
        self.latency_counts[bucket] += 1;
    }
}

#[derive(Debug, Default)]
struct Window {
    minute: i64,
    total: Counts,
    by_property: HashMap<i64, Counts>,
}

pub struct StatsCollector {
    instance_id: String,
    window: Mutex<Window>,
}

fn minute_of(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(60_000)
}

impl StatsCollector {
    pub fn new(instance_id: String) -> Self {
        Self {
            instance_id,
            window: Mutex::new(Window::default()),
        }
    }

    /// Counts one request; `error_class` is set for failures.
    pub fn record(
        &self,
        now_ms: i64,
        latency_ms: f64,
        error_class: Option<&str>,
        scope: RequestScope,
    ) {
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| latency_ms <= *b)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if w.minute == 0 {
            w.minute = minute_of(now_ms);
        }
        w.total.add(bucket, error_class, scope.events);
        if let Some(property_id) = scope.property_id {
            w.by_property
                .entry(property_id)
                .or_default()
                .add(bucket, error_class, scope.events);
        }
    }

    /// Closes the current window and returns it, or `None` when nothing happened.
    pub fn take(&self, now_ms: i64) -> Option<EdgeStats> {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let done = std::mem::take(&mut *w);
        w.minute = minute_of(now_ms);
        drop(w);
        if done.total.requests == 0 {
            return None;
        }
        let mut properties: Vec<PropertyEdgeStats> = done
            .by_property
            .into_iter()
            .map(|(property_id, c)| PropertyEdgeStats {
                property_id,
                requests: c.requests,
                events: c.events,
                errors: c.errors,
                latency_counts: c.latency_counts,
            })
            .collect();
        properties.sort_by_key(|p| p.property_id);
        Some(EdgeStats {
            instance_id: self.instance_id.clone(),
            minute: done.minute,
            requests: done.total.requests,
            events: done.total.events,
            errors: done.total.errors,
            latency_bounds_ms: LATENCY_BOUNDS_MS.to_vec(),
            latency_counts: done.total.latency_counts,
            properties,
        })
    }
}

/// Writes the finished window once a minute until the runtime stops.
pub async fn emit_every_minute(
    collector: std::sync::Arc<StatsCollector>,
    producer: FutureProducer,
    topic: String,
) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let until_next_minute = 60_000 - now.rem_euclid(60_000);
        tokio::time::sleep(Duration::from_millis(until_next_minute as u64)).await;
        if let Some(stats) = collector.take(chrono::Utc::now().timestamp_millis()) {
            emit(&producer, &topic, &stats).await;
        }
    }
}

pub async fn emit(producer: &FutureProducer, topic: &str, stats: &EdgeStats) {
    let payload = match schemas::encode(stats) {
        Ok(p) => p,
        Err(error) => return tracing::error!(%error, "edge stats did not encode"),
    };
    let record = FutureRecord::to(topic)
        .key(&stats.instance_id)
        .payload(&payload);
    if let Err((error, _)) = producer.send(record, Duration::from_secs(10)).await {
        tracing::warn!(%error, "edge stats record not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_requests_errors_events_and_latency_overall_and_per_property() {
        let stats = StatsCollector::new("edge-t".into());
        let t = 1_795_515_332_123;
        let property = |id, events| RequestScope {
            property_id: Some(id),
            events,
        };
        stats.record(t, 0.5, None, property(7, 4));
        stats.record(t, 30.0, Some("4xx_auth"), RequestScope::default());
        stats.record(t, 9000.0, Some("5xx_unavailable"), property(7, 0));
        stats.record(t, 210.0, None, property(9, 3));
        let window = stats.take(t + 60_000).unwrap();
        assert_eq!(window.minute, 1_795_515_300_000);
        assert_eq!((window.requests, window.events), (4, 7));
        assert_eq!(window.errors.get("4xx_auth"), Some(&1));
        assert_eq!(
            window.latency_counts.len(),
            window.latency_bounds_ms.len() + 1
        );
        assert_eq!(window.latency_counts[0], 1);
        assert_eq!(
            window.latency_counts[5], 1,
            "30 ms falls in the <= 50 ms bucket"
        );
        assert_eq!(
            window.latency_counts[8], 1,
            "210 ms falls in the <= 250 ms bucket"
        );
        assert_eq!(*window.latency_counts.last().unwrap(), 1, "overflow bucket");

        let ids: Vec<i64> = window.properties.iter().map(|p| p.property_id).collect();
        assert_eq!(ids, [7, 9], "the unresolved request belongs to no property");
        let seven = &window.properties[0];
        assert_eq!((seven.requests, seven.events), (2, 4));
        assert_eq!(seven.errors.get("5xx_unavailable"), Some(&1));
        assert_eq!(seven.errors.get("4xx_auth"), None);
        assert_eq!(seven.latency_counts.iter().sum::<i64>(), 2);
        assert!(
            stats.take(t + 120_000).is_none(),
            "an idle minute writes nothing"
        );
    }
}
