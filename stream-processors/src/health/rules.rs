//! The alert rules and their thresholds: which conditions a window's figures meet.

use schemas::alerts::AlertRule;

use super::window::Figures;

/// Defaults are the runbook's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Error rate above this fraction …
    pub error_rate: f64,
    /// … or p95 latency above this many ms …
    pub p95_ms: f64,
    /// … alerts only when the window holds at least this many events.
    pub min_events: i64,
    /// A job whose last success is older than this many minutes has stalled.
    pub stall_minutes: i64,
    /// A rule fires at most once per scope within this many minutes.
    pub dedup_minutes: i64,
    /// A consumer group whose lag has not fallen, and has grown, for this many seconds.
    pub lag_growth_secs: i64,
    /// A consumer group without an active member for this many seconds (a restart or a
    /// rebalance empties it briefly).
    pub no_member_secs: i64,
    /// Crawl and spoofing surges: the window's hits at least this many times the trailing
    /// baseline's hits per window of the same length …
    pub surge_factor: f64,
    /// … and at least this many hits (a quiet site's 3 hits after 0 are no surge).
    pub surge_min_hits: u64,
    pub surge_window_minutes: i64,
    pub surge_baseline_hours: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            error_rate: 0.01,
            p95_ms: 200.0,
            min_events: 500,
            stall_minutes: 90,
            dedup_minutes: 15,
            lag_growth_secs: 300,
            no_member_secs: 120,
            surge_factor: 5.0,
            surge_min_hits: 100,
            surge_window_minutes: 60,
            surge_baseline_hours: 7 * 24,
        }
    }
}

/// One rule's verdict on one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub rule: AlertRule,
    pub breached: bool,
    pub value: f64,
    pub threshold: f64,
    /// The rule's other conditions, for the message.
    pub condition: String,
}

/// Error-rate and latency verdicts on a window's figures.
pub fn judge_window(figures: &Figures, t: &Thresholds) -> [Verdict; 2] {
    let enough = figures.events >= t.min_events;
    let condition = format!("and ≥ {} events", t.min_events);
    let error_rate = figures.error_rate();
    let p95 = figures.p95_ms();
    [
        Verdict {
            rule: AlertRule::ErrorRate,
            breached: enough && error_rate > t.error_rate,
            value: error_rate,
            threshold: t.error_rate,
            condition: condition.clone(),
        },
        Verdict {
            rule: AlertRule::LatencyP95,
            breached: enough && p95 > t.p95_ms,
            value: p95,
            threshold: t.p95_ms,
            condition,
        },
    ]
}

/// The stall verdict on a job whose last success (or, never having succeeded, first start) was
/// `age_minutes` ago.
pub fn judge_job(age_minutes: f64, t: &Thresholds) -> Verdict {
    Verdict {
        rule: AlertRule::CronStall,
        breached: age_minutes > t.stall_minutes as f64,
        value: age_minutes,
        threshold: t.stall_minutes as f64,
        condition: String::new(),
    }
}

/// A surge verdict: `window_hits` in the last window against `baseline_hits` over the trailing
/// baseline period (the windows before it). The value is the ratio to the baseline's mean per
/// window; a baseline with no hits counts as one hit per window, so a new crawler's first flood
/// still compares with something.
pub fn judge_surge(
    rule: AlertRule,
    window_hits: u64,
    baseline_hits: u64,
    t: &Thresholds,
) -> Verdict {
    let windows = (t.surge_baseline_hours * 60 / t.surge_window_minutes.max(1)).max(1) as f64;
    let per_window = (baseline_hits as f64 / windows).max(1.0);
    let ratio = window_hits as f64 / per_window;
    Verdict {
        rule,
        breached: window_hits >= t.surge_min_hits && ratio >= t.surge_factor,
        value: ratio,
        threshold: t.surge_factor,
        condition: format!(
            "({window_hits} hits in {} min; baseline {per_window:.1} per window over {} h; at least {} hits)",
            t.surge_window_minutes, t.surge_baseline_hours, t.surge_min_hits
        ),
    }
}

/// A group's lag over its samples: since when it has not fallen, and from what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagTrend {
    since_ms: i64,
    from: u64,
    last: u64,
}

impl LagTrend {
    pub fn start(lag: u64, at_ms: i64) -> Self {
        Self {
            since_ms: at_ms,
            from: lag,
            last: lag,
        }
    }

    /// Folds in a sample. A fall ends the run: a consumer working through a backlog, even
    /// slowly, is not growing it, and steady load keeps the lag jittering around a level.
    pub fn observe(&mut self, lag: u64, at_ms: i64) {
        if lag < self.last {
            *self = Self::start(lag, at_ms);
        } else {
            self.last = lag;
        }
    }
}

/// The lag verdict: breached when the lag has not fallen for longer than the threshold and is
/// higher than where that run began.
pub fn judge_lag(trend: &LagTrend, now_ms: i64, t: &Thresholds) -> Verdict {
    let growing_secs = (now_ms - trend.since_ms).max(0) as f64 / 1000.0;
    Verdict {
        rule: AlertRule::ConsumerLag,
        breached: growing_secs > t.lag_growth_secs as f64 && trend.last > trend.from,
        value: growing_secs,
        threshold: t.lag_growth_secs as f64,
        condition: format!("(lag {} records, up from {})", trend.last, trend.from),
    }
}

/// The membership verdict: a watched group has had nobody consuming for it since
/// `memberless_since` (None: it has members).
pub fn judge_members(memberless_since: Option<i64>, now_ms: i64, t: &Thresholds) -> Verdict {
    let secs = memberless_since.map_or(0.0, |since| (now_ms - since).max(0) as f64 / 1000.0);
    Verdict {
        rule: AlertRule::NoConsumer,
        breached: secs > t.no_member_secs as f64,
        value: 0.0,
        threshold: 1.0,
        condition: if memberless_since.is_some() {
            format!("for {secs:.0} s")
        } else {
            String::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surge_is_a_multiple_of_the_baseline_above_a_floor() {
        let t = Thresholds::default();
        // 168 baseline windows of 20 hits each: 600 in the window is 30×.
        let surge = judge_surge(AlertRule::CrawlSurge, 600, 168 * 20, &t);
        assert!(surge.breached);
        assert!((surge.value - 30.0).abs() < 1e-9, "{}", surge.value);
        // 4× is within the factor.
        assert!(!judge_surge(AlertRule::CrawlSurge, 80 * 4, 168 * 80, &t).breached);
        // A flood with no history compares with one hit per window …
        assert!(judge_surge(AlertRule::SpoofedSurge, 150, 0, &t).breached);
        // … but a handful of hits is under the floor whatever the ratio.
        assert!(!judge_surge(AlertRule::SpoofedSurge, 99, 0, &t).breached);
    }

    fn figures(events: i64, errors: i64, latency_ms: f64) -> Figures {
        let mut f = Figures {
            requests: events,
            events,
            errors,
            ..Figures::default()
        };
        let bounds = [100.0, 200.0, 250.0];
        let slot = bounds.iter().position(|b| latency_ms <= *b).unwrap_or(3);
        let mut counts = [0; 4];
        counts[slot] = events;
        f.latency.add(&bounds, &counts);
        f
    }

    #[test]
    fn error_rate_needs_both_the_rate_and_the_volume() {
        let t = Thresholds::default();
        let [rate, _] = judge_window(&figures(600, 12, 10.0), &t);
        assert!(rate.breached, "2 % of 600");
        let [rate, _] = judge_window(&figures(400, 20, 10.0), &t);
        assert!(!rate.breached, "5 % of 400 is under the volume floor");
        let [rate, _] = judge_window(&figures(600, 6, 10.0), &t);
        assert!(!rate.breached, "exactly 1 % is not above 1 %");
    }

    #[test]
    fn latency_fires_above_200_ms_p95_with_enough_volume() {
        let t = Thresholds::default();
        let [_, p95] = judge_window(&figures(600, 0, 250.0), &t);
        assert!(p95.breached && p95.value > 200.0, "{p95:?}");
        let [_, p95] = judge_window(&figures(600, 0, 150.0), &t);
        assert!(!p95.breached, "{p95:?}");
        let [_, p95] = judge_window(&figures(499, 0, 250.0), &t);
        assert!(!p95.breached);
    }

    #[test]
    fn a_job_stalls_after_ninety_minutes_and_thresholds_are_configurable() {
        let t = Thresholds::default();
        assert!(judge_job(91.0, &t).breached);
        assert!(!judge_job(89.0, &t).breached);
        let strict = Thresholds {
            stall_minutes: 30,
            ..t
        };
        assert!(judge_job(31.0, &strict).breached);
    }

    const SEC: i64 = 1000;

    #[test]
    fn lag_that_keeps_growing_past_the_threshold_alerts() {
        let t = Thresholds::default();
        let mut trend = LagTrend::start(100, 0);
        for (i, lag) in [150, 150, 400, 900].into_iter().enumerate() {
            trend.observe(lag, (i as i64 + 1) * 60 * SEC);
        }
        assert!(!judge_lag(&trend, 240 * SEC, &t).breached, "4 minutes");
        trend.observe(1_300, 301 * SEC);
        let verdict = judge_lag(&trend, 301 * SEC, &t);
        assert!(verdict.breached, "{verdict:?}");
        assert_eq!(verdict.condition, "(lag 1300 records, up from 100)");
    }

    #[test]
    fn a_falling_or_flat_lag_does_not_alert() {
        let t = Thresholds::default();
        let mut trend = LagTrend::start(5_000, 0);
        // Worked off slowly: every fall restarts the run.
        for minute in 1..=10 {
            trend.observe(5_000 - minute * 100, minute as i64 * 60 * SEC);
        }
        assert!(!judge_lag(&trend, 600 * SEC, &t).breached);
        // Flat at a level for a long time: not growing (an idle group is judge_members' job).
        let mut flat = LagTrend::start(300, 0);
        flat.observe(300, 900 * SEC);
        assert!(!judge_lag(&flat, 900 * SEC, &t).breached);
    }

    #[test]
    fn a_group_without_members_for_longer_than_the_threshold_is_breached() {
        let t = Thresholds::default();
        assert!(!judge_members(None, 1_000 * SEC, &t).breached);
        assert!(
            !judge_members(Some(0), 120 * SEC, &t).breached,
            "a restart's gap"
        );
        let verdict = judge_members(Some(0), 121 * SEC, &t);
        assert!(verdict.breached);
        assert_eq!(verdict.condition, "for 121 s");
    }
}
