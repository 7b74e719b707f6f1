//! Per-minute request statistics, written to `optiview.edge-stats.v1` for alerting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use schemas::edge_stats::EdgeStats;

/// Latency bucket upper bounds; the last count is the overflow bucket.
pub const LATENCY_BOUNDS_MS: [f64; 11] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0,
];

#[derive(Debug, Default)]
struct Window {
    minute: i64,
    requests: i64,
    events: i64,
    errors: HashMap<String, i64>,
    latency_counts: Vec<i64>,
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
    pub fn record(&self, now_ms: i64, latency_ms: f64, error_class: Option<&str>) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if w.minute == 0 {
            w.minute = minute_of(now_ms);
        }
        w.requests += 1;
        if let Some(class) = error_class {
            *w.errors.entry(class.to_owned()).or_default() += 1;
        }
        if w.latency_counts.is_empty() {
            w.latency_counts = vec![0; LATENCY_BOUNDS_MS.len() + 1];
        }
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| latency_ms <= *b)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        w.latency_counts[bucket] += 1;
    }

    pub fn add_events(&self, count: usize) {
        self.window.lock().unwrap_or_else(|p| p.into_inner()).events += count as i64;
    }

    /// Closes the current window and returns it, or `None` when nothing happened.
    pub fn take(&self, now_ms: i64) -> Option<EdgeStats> {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        let done = std::mem::take(&mut *w);
        w.minute = minute_of(now_ms);
        (done.requests > 0).then(|| EdgeStats {
            instance_id: self.instance_id.clone(),
            minute: done.minute,
            requests: done.requests,
            events: done.events,
            errors: done.errors,
            latency_bounds_ms: LATENCY_BOUNDS_MS.to_vec(),
            latency_counts: done.latency_counts,
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
    fn a_window_counts_requests_errors_events_and_latency() {
        let stats = StatsCollector::new("edge-t".into());
        let t = 1_795_515_332_123;
        stats.record(t, 0.5, None);
        stats.record(t, 30.0, Some("4xx_auth"));
        stats.record(t, 9000.0, Some("5xx_broker"));
        stats.add_events(7);
        let window = stats.take(t + 60_000).unwrap();
        assert_eq!(window.minute, 1_795_515_300_000);
        assert_eq!((window.requests, window.events), (3, 7));
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
        assert_eq!(*window.latency_counts.last().unwrap(), 1, "overflow bucket");
        assert!(
            stats.take(t + 120_000).is_none(),
            "an idle minute writes nothing"
        );
    }
}
