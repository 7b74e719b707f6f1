//! Latency histograms as the edge writes them: upper bounds in ms, one more count than bounds
//! (the overflow bucket).

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    bounds: Vec<f64>,
    counts: Vec<i64>,
}

impl Histogram {
    /// Adds `counts` taken with `bounds`. Counts of a record with other bounds (an edge of another
    /// version) go to the first bucket of this histogram whose bound is at least theirs, so a
    /// quantile can only be overstated, never hidden.
    pub fn add(&mut self, bounds: &[f64], counts: &[i64]) {
        if self.counts.is_empty() {
            self.bounds = bounds.to_vec();
            self.counts = vec![0; bounds.len() + 1];
        }
        if bounds == self.bounds.as_slice() && counts.len() == self.counts.len() {
            for (mine, theirs) in self.counts.iter_mut().zip(counts) {
                *mine += theirs;
            }
            return;
        }
        for (i, count) in counts.iter().enumerate() {
            let upper = bounds.get(i).copied().unwrap_or(f64::INFINITY);
            let slot = self
                .bounds
                .iter()
                .position(|b| *b >= upper)
                .unwrap_or(self.bounds.len());
            self.counts[slot] += count;
        }
    }

    pub fn parts(&self) -> (&[f64], &[i64]) {
        (&self.bounds, &self.counts)
    }

    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }

    /// The `q` quantile in ms, interpolated linearly inside its bucket (as Prometheus'
    /// histogram_quantile does); the overflow bucket reports the last bound. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let mut below = 0i64;
        for (i, count) in self.counts.iter().enumerate() {
            if *count > 0 && (below + count) as f64 >= rank {
                let Some(upper) = self.bounds.get(i).copied() else {
                    return self.bounds.last().copied();
                };
                let lower = if i == 0 { 0.0 } else { self.bounds[i - 1] };
                let inside = (rank - below as f64) / *count as f64;
                return Some(lower + (upper - lower) * inside.clamp(0.0, 1.0));
            }
            below += count;
        }
        self.bounds.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: [f64; 4] = [50.0, 100.0, 200.0, 250.0];

    #[test]
    fn the_p95_lies_in_the_bucket_holding_the_95th_percent_of_requests() {
        let mut h = Histogram::default();
        // 94 fast requests, 6 between 200 and 250 ms: more than 5 % above 200 ms.
        h.add(&BOUNDS, &[94, 0, 0, 6, 0]);
        let p95 = h.quantile(0.95).unwrap();
        assert!(p95 > 200.0 && p95 <= 250.0, "{p95}");
        // 96 fast: the 95th percent is among the fast ones.
        let mut h = Histogram::default();
        h.add(&BOUNDS, &[96, 0, 0, 4, 0]);
        assert!(h.quantile(0.95).unwrap() <= 50.0);
    }

    #[test]
    fn merged_counts_add_up_and_foreign_bounds_round_up() {
        let mut h = Histogram::default();
        h.add(&BOUNDS, &[1, 1, 1, 1, 1]);
        h.add(&BOUNDS, &[1, 0, 0, 0, 0]);
        h.add(&[75.0, 5000.0], &[2, 0, 3]);
        assert_eq!(h.total(), 11);
        assert_eq!(h.counts, vec![2, 3, 1, 1, 4]);
        assert_eq!(Histogram::default().quantile(0.95), None);
        let mut overflow = Histogram::default();
        overflow.add(&BOUNDS, &[0, 0, 0, 0, 9]);
        assert_eq!(overflow.quantile(0.95), Some(250.0));
    }
}
