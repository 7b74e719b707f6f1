//! Sliding windows over the edges' per-minute records, globally and per property. Records of
//! several edge instances for the same minute add up; the window ending at minute `m` covers
//! `m - (minutes - 1) ..= m`.

use std::collections::{BTreeMap, HashMap};

use schemas::edge_stats::EdgeStats;

use super::histogram::Histogram;

pub const MINUTE_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Property(i64),
}

impl Scope {
    pub fn label(self) -> String {
        match self {
            Scope::Global => "global".into(),
            Scope::Property(id) => format!("property:{id}"),
        }
    }

    pub fn property_id(self) -> u64 {
        match self {
            Scope::Global => 0,
            Scope::Property(id) => id.max(0) as u64,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub requests: i64,
    pub events: i64,
    pub errors: i64,
    pub latency: Histogram,
}

impl Figures {
    fn add(&mut self, requests: i64, events: i64, errors: i64, bounds: &[f64], counts: &[i64]) {
        self.requests += requests;
        self.events += events;
        self.errors += errors;
        self.latency.add(bounds, counts);
    }

    fn merge(&mut self, other: &Figures) {
        self.requests += other.requests;
        self.events += other.events;
        self.errors += other.errors;
        // Every minute's histogram was built from edge bounds; merging re-adds its buckets.
        if other.latency.total() > 0 {
            let (bounds, counts) = other.latency.parts();
            self.latency.add(bounds, counts);
        }
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    pub fn p95_ms(&self) -> f64 {
        self.latency.quantile(0.95).unwrap_or(0.0)
    }
}

#[derive(Debug)]
pub struct SlidingWindows {
    minutes: i64,
    by_minute: BTreeMap<i64, HashMap<Scope, Figures>>,
}

impl SlidingWindows {
    pub fn new(minutes: u32) -> Self {
        Self {
            minutes: i64::from(minutes.max(1)),
            by_minute: BTreeMap::new(),
        }
    }

    pub fn span_ms(&self) -> i64 {
        self.minutes * MINUTE_MS
    }

    /// Adds one edge record; returns false (and keeps nothing) when it is older than any window
    /// ending at or after `newest_minute` could hold.
    pub fn add(&mut self, record: &EdgeStats, newest_minute: i64) -> bool {
        let minute = record.minute - record.minute.rem_euclid(MINUTE_MS);
        if minute <= newest_minute - self.span_ms() {
            return false;
        }
        let scopes = self.by_minute.entry(minute).or_default();
        let bounds = &record.latency_bounds_ms;
        scopes.entry(Scope::Global).or_default().add(
            record.requests,
            record.events,
            record.errors.values().sum(),
            bounds,
            &record.latency_counts,
        );
        for p in &record.properties {
            scopes
                .entry(Scope::Property(p.property_id))
                .or_default()
                .add(
                    p.requests,
                    p.events,
                    p.errors.values().sum(),
                    bounds,
                    &p.latency_counts,
                );
        }
        true
    }

    /// Every scope with data in the window ending at `end_minute`, with its figures.
    pub fn window(&self, end_minute: i64) -> BTreeMap<Scope, Figures> {
        let mut out: BTreeMap<Scope, Figures> = BTreeMap::new();
        for (_, scopes) in self
            .by_minute
            .range(end_minute - self.span_ms() + 1..=end_minute)
        {
            for (scope, figures) in scopes {
                out.entry(*scope).or_default().merge(figures);
            }
        }
        out
    }

    /// Forgets minutes no window ending at or after `newest_minute` needs.
    pub fn prune(&mut self, newest_minute: i64) {
        let keep_from = newest_minute - self.span_ms() + 1;
        self.by_minute = self.by_minute.split_off(&keep_from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemas::edge_stats::PropertyEdgeStats;
    use std::collections::HashMap;

    fn record(minute: i64, requests: i64, errors: i64, property: Option<i64>) -> EdgeStats {
        let errors_map = HashMap::from([("5xx_unavailable".to_owned(), errors)]);
        EdgeStats {
            instance_id: "e".into(),
            minute: minute * MINUTE_MS,
            requests,
            events: requests,
            errors: errors_map.clone(),
            latency_bounds_ms: vec![100.0],
            latency_counts: vec![requests, 0],
            properties: property
                .map(|id| PropertyEdgeStats {
                    property_id: id,
                    requests,
                    events: requests,
                    errors: errors_map,
                    latency_counts: vec![requests, 0],
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn a_window_sums_its_five_minutes_across_instances_and_scopes() {
        let mut w = SlidingWindows::new(5);
        for minute in 0..7 {
            w.add(&record(minute, 100, 1, Some(9)), minute * MINUTE_MS);
        }
        w.add(&record(6, 50, 5, None), 6 * MINUTE_MS);
        let window = w.window(6 * MINUTE_MS);
        let global = &window[&Scope::Global];
        assert_eq!((global.requests, global.errors), (550, 10), "minutes 2..=6");
        let property = &window[&Scope::Property(9)];
        assert_eq!((property.requests, property.errors), (500, 5));
        assert_eq!(property.latency.total(), 500);
        assert!((global.error_rate() - 10.0 / 550.0).abs() < 1e-12);
    }

    #[test]
    fn records_too_old_for_any_window_are_refused_and_pruned_minutes_are_gone() {
        let mut w = SlidingWindows::new(5);
        assert!(!w.add(&record(0, 10, 0, None), 5 * MINUTE_MS));
        assert!(w.add(&record(1, 10, 0, None), 5 * MINUTE_MS));
        w.prune(6 * MINUTE_MS);
        assert!(w.window(6 * MINUTE_MS).is_empty());
    }
}
