//! Turns verdicts into notifications: a rule fires at most once per scope within the
//! deduplication period, and a notified condition that clears sends one "resolved".

use std::collections::HashMap;

use schemas::alerts::{Alert, AlertRule, AlertState};

use super::rules::Verdict;

#[derive(Debug, Default, Clone, Copy)]
struct RuleState {
    breached: bool,
    /// The current breach has been announced (so its end is worth announcing too).
    announced: bool,
    last_fired_ms: Option<i64>,
}

#[derive(Debug)]
pub struct Alerter {
    dedup_ms: i64,
    states: HashMap<(AlertRule, String), RuleState>,
}

impl Alerter {
    pub fn new(dedup_minutes: i64) -> Self {
        Self {
            dedup_ms: dedup_minutes * 60_000,
            states: HashMap::new(),
        }
    }

    /// Remembers an alert fired before a restart, so it is not sent again within the period.
    /// Only the time: the restarted windows start empty, and judging "cleared" on them would
    /// announce a resolution that did not happen.
    pub fn remember_fired(&mut self, rule: AlertRule, scope: &str, at_ms: i64) {
        let state = self.states.entry((rule, scope.to_owned())).or_default();
        state.last_fired_ms = Some(state.last_fired_ms.map_or(at_ms, |t| t.max(at_ms)));
    }

    /// Scopes of `rule` currently breached: they need a verdict even when no data came in.
    pub fn breached_scopes(&self, rule: AlertRule) -> Vec<String> {
        self.states
            .iter()
            .filter(|((r, _), s)| *r == rule && s.breached)
            .map(|((_, scope), _)| scope.clone())
            .collect()
    }

    /// The notification `verdict` on `scope` at `at_ms` calls for, if any.
    pub fn observe(
        &mut self,
        scope: &str,
        verdict: &Verdict,
        window: &str,
        at_ms: i64,
    ) -> Option<Alert> {
        let state = self
            .states
            .entry((verdict.rule, scope.to_owned()))
            .or_default();
        let alert = |alert_state| Alert {
            rule: verdict.rule,
            scope: scope.to_owned(),
            state: alert_state,
            value: verdict.value,
            threshold: verdict.threshold,
            window: window.to_owned(),
            condition: verdict.condition.clone(),
            at_ms,
        };
        if verdict.breached {
            if !state.breached {
                state.announced = false;
            }
            state.breached = true;
            let due = state
                .last_fired_ms
                .is_none_or(|last| at_ms - last >= self.dedup_ms);
            if due {
                state.last_fired_ms = Some(at_ms);
                state.announced = true;
                return Some(alert(AlertState::Firing));
            }
            return None;
        }
        let was_announced = state.breached && state.announced;
        state.breached = false;
        state.announced = false;
        was_announced.then(|| alert(AlertState::Resolved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn verdict(breached: bool) -> Verdict {
        Verdict {
            rule: AlertRule::ErrorRate,
            breached,
            value: if breached { 0.02 } else { 0.0 },
            threshold: 0.01,
            condition: String::new(),
        }
    }

    fn states(alerter: &mut Alerter, steps: &[(i64, bool)]) -> Vec<(i64, AlertState)> {
        steps
            .iter()
            .filter_map(|(minute, breached)| {
                alerter
                    .observe("global", &verdict(*breached), "w", minute * MIN)
                    .map(|a| (*minute, a.state))
            })
            .collect()
    }

    #[test]
    fn a_lasting_breach_fires_once_per_fifteen_minutes_then_resolves_once() {
        let mut a = Alerter::new(15);
        let steps: Vec<(i64, bool)> = (0..=20)
            .map(|m| (m, true))
            .chain([(21, false), (22, false)])
            .collect();
        assert_eq!(
            states(&mut a, &steps),
            [
                (0, AlertState::Firing),
                (15, AlertState::Firing),
                (21, AlertState::Resolved)
            ]
        );
    }

    #[test]
    fn a_flapping_breach_inside_the_period_is_not_announced_nor_is_its_end() {
        let mut a = Alerter::new(15);
        let got = states(
            &mut a,
            &[(0, true), (2, false), (4, true), (6, false), (16, true)],
        );
        assert_eq!(
            got,
            [
                (0, AlertState::Firing),
                (2, AlertState::Resolved),
                (16, AlertState::Firing)
            ]
        );
    }

    #[test]
    fn scopes_and_rules_are_deduplicated_separately_and_restarts_remember() {
        let mut a = Alerter::new(15);
        assert!(a.observe("global", &verdict(true), "w", 0).is_some());
        assert!(a.observe("property:1", &verdict(true), "w", 0).is_some());
        let latency = Verdict {
            rule: AlertRule::LatencyP95,
            ..verdict(true)
        };
        assert!(a.observe("global", &latency, "w", 0).is_some());

        let mut restarted = Alerter::new(15);
        restarted.remember_fired(AlertRule::ErrorRate, "global", 0);
        assert!(
            restarted
                .observe("global", &verdict(false), "w", MIN)
                .is_none(),
            "no resolution announced from a window the restart left empty"
        );
        assert!(restarted
            .observe("global", &verdict(true), "w", 5 * MIN)
            .is_none());
        assert_eq!(
            restarted.breached_scopes(AlertRule::ErrorRate),
            ["global".to_owned()]
        );
        assert!(restarted
            .observe("global", &verdict(true), "w", 15 * MIN)
            .is_some());
    }
}
