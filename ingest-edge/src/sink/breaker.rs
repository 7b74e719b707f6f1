//! Fails fast while the broker is known to be down. Without it every request during an outage
//! waits the whole produce timeout before its 503, and the in-flight bound fills with requests
//! that cannot succeed. "Known down" takes two signals: the last batch went unacknowledged, and
//! the reachability probe (a metadata request every 2 s) fails. While open, one batch per
//! `trial_every` still goes through, so recovery is noticed even before the probe sees it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Send,
    /// Open, but this batch is the periodic trial.
    Trial,
    Refuse,
}

#[derive(Default)]
struct State {
    open: bool,
    /// Since the last acknowledged batch, whether one went unacknowledged.
    failed: bool,
    last_trial: Option<Instant>,
}

pub struct Breaker {
    trial_every: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(trial_every: Duration) -> Self {
        Self {
            trial_every,
            state: Mutex::default(),
        }
    }

    pub fn admit(&self, now: Instant, reachable: bool) -> Admit {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if reachable {
            state.open = false;
            return Admit::Send;
        }
        if !state.open {
            if !state.failed {
                return Admit::Send;
            }
            // Both signals now: every batch from here on would wait out its timeout.
            state.open = true;
            state.last_trial = Some(now);
            return Admit::Refuse;
        }
        let due = state
            .last_trial
            .is_none_or(|last| now.saturating_duration_since(last) >= self.trial_every);
        if due {
            state.last_trial = Some(now);
            Admit::Trial
        } else {
            Admit::Refuse
        }
    }

    /// After a batch: acknowledged closes the breaker; unacknowledged is remembered, and opens
    /// it once the probe fails too.
    pub fn record(&self, acknowledged: bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failed = !acknowledged;
        if acknowledged {
            state.open = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIAL: Duration = Duration::from_secs(1);

    #[test]
    fn a_failure_alone_or_an_unreachable_probe_alone_keeps_sending() {
        let t0 = Instant::now();
        let breaker = Breaker::new(TRIAL);
        // The probe lags at start-up: not reachable yet, nothing failed.
        assert_eq!(breaker.admit(t0, false), Admit::Send);
        // A batch timed out while the probe says reachable (a slow broker): still sending.
        breaker.record(false);
        assert_eq!(breaker.admit(t0, true), Admit::Send);
        breaker.record(true);
        assert_eq!(breaker.admit(t0, false), Admit::Send);
    }

    #[test]
    fn known_down_refuses_with_one_trial_per_period_until_acknowledged() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let breaker = Breaker::new(TRIAL);
        breaker.record(false);
        // The failure came first, the probe noticed at 10 ms: from then on, refused.
        assert_eq!(breaker.admit(at(10), false), Admit::Refuse);
        assert_eq!(breaker.admit(at(999), false), Admit::Refuse);
        assert_eq!(breaker.admit(at(1_010), false), Admit::Trial);
        assert_eq!(breaker.admit(at(1_011), false), Admit::Refuse);
        // The trial was acknowledged: the broker is back before the probe noticed.
        breaker.record(true);
        assert_eq!(breaker.admit(at(1_060), false), Admit::Send);
    }

    #[test]
    fn a_reachable_probe_closes_the_breaker() {
        let t0 = Instant::now();
        let breaker = Breaker::new(TRIAL);
        breaker.record(false);
        assert_eq!(breaker.admit(t0, false), Admit::Refuse);
        assert_eq!(breaker.admit(t0, true), Admit::Send);
        breaker.record(true);
        assert_eq!(
            breaker.admit(t0, false),
            Admit::Send,
            "closed until the next failure"
        );
    }
}
