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
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            error_rate: 0.01,
            p95_ms: 200.0,
            min_events: 500,
            stall_minutes: 90,
            dedup_minutes: 15,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
