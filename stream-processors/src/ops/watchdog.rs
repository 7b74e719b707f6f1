//! Notices a group consumer that makes no progress while its input waits: no partition assigned
//! (a broker that never completed the rebalance after a member died: seen for 7 minutes with the
//! local broker) or partitions assigned but nothing consumed. A member that is idle while the
//! group's committed offsets advance is fine: other members hold the partitions (more loaders
//! than partitions, or this one's partitions drained). Pure bookkeeping over what the loop
//! observes; the loop decides to rejoin with a fresh consumer, and exits when that does not help.

use std::time::{Duration, Instant};

use super::group_lag::GroupPosition;
use super::status::Status;

/// What the loop saw since its previous observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Partitions currently assigned to this member.
    pub assigned: usize,
    /// Whether any record was consumed (or a write completed) since the previous observation.
    pub progressed: bool,
    /// The group's position on its topic, if it could be measured.
    pub group: Option<GroupPosition>,
}

/// Why the consumer is not making progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stuck {
    Unassigned { backlog: u64 },
    Idle { assigned: usize, backlog: u64 },
}

impl std::fmt::Display for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unassigned { backlog } => write!(
                f,
                "no partition assigned while {backlog} records wait in the group's topic"
            ),
            Self::Idle { assigned, backlog } => write!(
                f,
                "{assigned} partition(s) assigned but nothing consumed while {backlog} records wait"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Progressing, or nothing to do.
    Fine,
    /// Not progressing with input waiting, for less than the bound so far.
    Waiting { since: Instant, why: Stuck },
    /// Not progressing with input waiting for longer than the bound.
    Stuck { for_: Duration, why: Stuck },
}

pub struct Watchdog {
    bound: Duration,
    since: Option<Instant>,
    /// The group's committed sum at the previous measured observation.
    committed: Option<i64>,
}

impl Watchdog {
    pub fn new(bound: Duration) -> Self {
        Self {
            bound,
            since: None,
            committed: None,
        }
    }

    pub fn bound(&self) -> Duration {
        self.bound
    }

    /// Starts the clock afresh (after a rejoin: the new member gets the whole bound).
    pub fn reset(&mut self) {
        self.since = None;
    }

    /// [`Self::observe`], reported on `status`: the reason while stuck past the bound (and
    /// returned then), cleared once progressing again.
    pub fn check(&mut self, now: Instant, seen: Observation, status: &Status) -> Option<Stuck> {
        match self.observe(now, seen) {
            Verdict::Fine => {
                status.set_stuck(None);
                None
            }
            Verdict::Waiting { .. } => None,
            Verdict::Stuck { for_, why } => {
                let reason = format!("{why} for {} s", for_.as_secs());
                tracing::warn!(%reason, "consumer not progressing");
                status.set_stuck(Some(reason));
                Some(why)
            }
        }
    }

    pub fn observe(&mut self, now: Instant, seen: Observation) -> Verdict {
        // An unmeasured backlog is not evidence of waiting input: the broker may simply be
        // down, which the write path and the broker alerts report.
        let group_advanced = match (seen.group, self.committed) {
            (Some(now), Some(before)) => now.committed != before,
            _ => false,
        };
        if let Some(group) = seen.group {
            self.committed = Some(group.committed);
        }
        let why = match seen.group.map(|g| g.lag) {
            Some(backlog) if backlog > 0 && !seen.progressed && !group_advanced => {
                if seen.assigned == 0 {
                    Some(Stuck::Unassigned { backlog })
                } else {
                    Some(Stuck::Idle {
                        assigned: seen.assigned,
                        backlog,
                    })
                }
            }
            _ => None,
        };
        let Some(why) = why else {
            self.since = None;
            return Verdict::Fine;
        };
        let since = *self.since.get_or_insert(now);
        let for_ = now.saturating_duration_since(since);
        if for_ > self.bound {
            Verdict::Stuck { for_, why }
        } else {
            Verdict::Waiting { since, why }
        }
    }
}

/// How often to observe: several times within the bound, at most every 5 s.
pub fn check_period(bound: Duration) -> Duration {
    (bound / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
}

/// Counts rejoins that did not help. A member that made progress before it got stuck starts the
/// count afresh: it was healed once, and this is a new incident.
pub struct Rejoins {
    allowed: u32,
    fruitless: u32,
}

impl Rejoins {
    pub fn new(allowed: u32) -> Self {
        Self {
            allowed,
            fruitless: 0,
        }
    }

    /// After a stuck member: the attempt number to rejoin with, or None when `allowed` rejoins
    /// in a row did not help and the process should exit for its supervisor to restart it.
    pub fn next(&mut self, member_progressed: bool) -> Option<u32> {
        self.fruitless = if member_progressed {
            1
        } else {
            self.fruitless + 1
        };
        (self.fruitless <= self.allowed).then_some(self.fruitless)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(30);

    /// The group's committed sum stays at 100 unless a test says otherwise.
    fn seen(assigned: usize, progressed: bool, backlog: Option<u64>) -> Observation {
        seen_at(assigned, progressed, backlog, 100)
    }

    fn seen_at(
        assigned: usize,
        progressed: bool,
        backlog: Option<u64>,
        committed: i64,
    ) -> Observation {
        Observation {
            assigned,
            progressed,
            group: backlog.map(|lag| GroupPosition { lag, committed }),
        }
    }

    #[test]
    fn unassigned_with_waiting_input_is_stuck_only_after_the_bound() {
        let t0 = Instant::now();
        let mut dog = Watchdog::new(BOUND);
        let at = |s| t0 + Duration::from_secs(s);
        assert!(matches!(
            dog.observe(at(0), seen(0, false, Some(40))),
            Verdict::Waiting {
                why: Stuck::Unassigned { backlog: 40 },
                ..
            }
        ));
        assert!(matches!(
            dog.observe(at(30), seen(0, false, Some(40))),
            Verdict::Waiting { .. }
        ));
        match dog.observe(at(31), seen(0, false, Some(41))) {
            Verdict::Stuck { for_, why } => {
                assert_eq!(for_, Duration::from_secs(31));
                assert_eq!(why, Stuck::Unassigned { backlog: 41 });
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn progress_or_an_empty_topic_resets_the_clock() {
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        let mut dog = Watchdog::new(BOUND);
        dog.observe(at(0), seen(3, false, Some(10)));
        assert_eq!(dog.observe(at(20), seen(3, true, Some(10))), Verdict::Fine);
        // The clock restarted at 25: 25 + 30 is not yet over the bound.
        dog.observe(at(25), seen(3, false, Some(10)));
        assert!(matches!(
            dog.observe(at(55), seen(3, false, Some(10))),
            Verdict::Waiting { .. }
        ));
        assert_eq!(dog.observe(at(56), seen(0, false, Some(0))), Verdict::Fine);
        assert!(matches!(
            dog.observe(at(100), seen(0, false, Some(5))),
            Verdict::Waiting { .. }
        ));
    }

    #[test]
    fn assigned_but_idle_is_reported_as_such() {
        let t0 = Instant::now();
        let mut dog = Watchdog::new(BOUND);
        dog.observe(t0, seen(2, false, Some(7)));
        assert_eq!(
            dog.observe(t0 + Duration::from_secs(40), seen(2, false, Some(7))),
            Verdict::Stuck {
                for_: Duration::from_secs(40),
                why: Stuck::Idle {
                    assigned: 2,
                    backlog: 7
                }
            }
        );
    }

    #[test]
    fn an_unmeasured_backlog_never_counts_as_stuck() {
        let t0 = Instant::now();
        let mut dog = Watchdog::new(BOUND);
        for s in [0, 60, 120] {
            assert_eq!(
                dog.observe(t0 + Duration::from_secs(s), seen(0, false, None)),
                Verdict::Fine
            );
        }
    }

    #[test]
    fn an_idle_member_of_a_group_that_advances_is_fine() {
        // More members than partitions: this one holds none while the others consume.
        let t0 = Instant::now();
        let mut dog = Watchdog::new(BOUND);
        // The first sample has nothing to compare with.
        dog.observe(t0, seen_at(0, false, Some(50), 100));
        for (s, committed) in [(20, 140), (40, 190), (60, 230)] {
            assert_eq!(
                dog.observe(
                    t0 + Duration::from_secs(s),
                    seen_at(0, false, Some(50), committed)
                ),
                Verdict::Fine,
                "at {s} s"
            );
        }
        // The group stops advancing: now the clock runs.
        assert!(matches!(
            dog.observe(
                t0 + Duration::from_secs(80),
                seen_at(0, false, Some(50), 230)
            ),
            Verdict::Waiting { .. }
        ));
    }

    #[test]
    fn rejoins_give_up_after_the_allowed_fruitless_ones_and_progress_starts_afresh() {
        let mut rejoins = Rejoins::new(2);
        assert_eq!(rejoins.next(false), Some(1));
        assert_eq!(rejoins.next(false), Some(2));
        assert_eq!(rejoins.next(false), None);
        let mut rejoins = Rejoins::new(2);
        rejoins.next(false).unwrap();
        rejoins.next(false).unwrap();
        // The last member consumed before it got stuck: a new incident.
        assert_eq!(rejoins.next(true), Some(1));
        assert_eq!(Rejoins::new(0).next(false), None);
    }

    #[test]
    fn the_check_period_fits_several_times_in_the_bound() {
        assert_eq!(
            check_period(Duration::from_secs(30)),
            Duration::from_secs(5)
        );
        assert_eq!(
            check_period(Duration::from_secs(6)),
            Duration::from_millis(1500)
        );
        assert_eq!(
            check_period(Duration::from_millis(10)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn check_reports_the_reason_on_the_status_until_progress() {
        let t0 = Instant::now();
        let status = Status::default();
        let mut dog = Watchdog::new(BOUND);
        assert_eq!(dog.check(t0, seen(0, false, Some(3)), &status), None);
        assert_eq!(status.stuck(), None, "waiting is not yet stuck");
        let why = dog.check(
            t0 + Duration::from_secs(31),
            seen(0, false, Some(3)),
            &status,
        );
        assert_eq!(why, Some(Stuck::Unassigned { backlog: 3 }));
        assert_eq!(
            status.stuck().as_deref(),
            Some("no partition assigned while 3 records wait in the group's topic for 31 s")
        );
        dog.check(
            t0 + Duration::from_secs(32),
            seen(1, true, Some(0)),
            &status,
        );
        assert_eq!(status.stuck(), None);
    }

    #[test]
    fn reset_gives_a_new_member_the_whole_bound() {
        let t0 = Instant::now();
        let mut dog = Watchdog::new(BOUND);
        dog.observe(t0, seen(0, false, Some(1)));
        dog.reset();
        assert!(matches!(
            dog.observe(t0 + Duration::from_secs(40), seen(0, false, Some(1))),
            Verdict::Waiting { .. }
        ));
    }
}
