//! What was stored, what was answered, and the verdict.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use schemas::deadletter::DeadLetter;

use crate::traffic::{Answer, Outcome};
use crate::watch::Progress;

/// The run's rows in `events`.
pub struct Stored {
    /// Distinct event ids, whatever merging has or has not done yet.
    pub ids: HashSet<String>,
    /// Rows before merging.
    pub raw_rows: u64,
    /// Rows after merging (`FINAL`), and the ids that still have more than one.
    pub merged_rows: u64,
    pub duplicated_ids: u64,
}

impl Stored {
    pub async fn query(client: &clickhouse::Client, run: &str) -> anyhow::Result<Self> {
        let ids: Vec<String> = client
            .query("SELECT DISTINCT event_id FROM events WHERE startsWith(event_id, ?)")
            .bind(run)
            .fetch_all()
            .await?;
        let raw_rows = client
            .query("SELECT count() FROM events WHERE startsWith(event_id, ?)")
            .bind(run)
            .fetch_one()
            .await?;
        let merged_rows = client
            .query("SELECT count() FROM events FINAL WHERE startsWith(event_id, ?)")
            .bind(run)
            .fetch_one()
            .await?;
        let duplicated_ids = client
            .query(
                "SELECT count() FROM (SELECT event_id FROM events FINAL \
                 WHERE startsWith(event_id, ?) GROUP BY event_id HAVING count() > 1)",
            )
            .bind(run)
            .fetch_one()
            .await?;
        Ok(Self {
            ids: ids.into_iter().collect(),
            raw_rows,
            merged_rows,
            duplicated_ids,
        })
    }
}

/// Every dead letter on the topic, counted by reason, and whether the poison record is one.
pub async fn dead_letters(brokers: &str) -> (BTreeMap<String, usize>, bool) {
    let letters = platform::test_support::read_topic::<DeadLetter>(
        brokers,
        schemas::topics::DEADLETTER,
        1,
        usize::MAX,
    )
    .await;
    let poison = letters.iter().any(|l| l.original == crate::faults::POISON);
    let mut by_reason = BTreeMap::new();
    for letter in letters {
        *by_reason
            .entry(letter.reason.as_str().to_owned())
            .or_default() += 1;
    }
    (by_reason, poison)
}

pub struct Summary<'a> {
    pub outcomes: &'a [Outcome],
    pub stored: &'a Stored,
    pub dead_letters: &'a BTreeMap<String, usize>,
    pub poison_dead_lettered: bool,
    pub progress: &'a Progress,
    pub caught_up: bool,
    pub catch_up: Duration,
    pub max_stall: Duration,
    /// (seconds into the run, seconds it took, fault)
    pub timeline: &'a [(f64, f64, String)],
    pub unexpected_exits: &'a [(String, Vec<String>)],
}

impl Summary<'_> {
    /// Prints the table; true when the run passed.
    pub fn print(&self) -> bool {
        let accepted: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.accepted).collect();
        let lost = accepted
            .iter()
            .filter(|o| !self.stored.ids.contains(&o.id))
            .count();
        let unanswered_stored = self
            .outcomes
            .iter()
            .filter(|o| !o.accepted && self.stored.ids.contains(&o.id))
            .count();
        let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
        for o in self.outcomes.iter().filter(|o| !o.accepted) {
            let key = match &o.last {
                Answer::Status(s) => s.to_string(),
                Answer::NoAnswer(why) => (*why).to_owned(),
            };
            *refusals.entry(key).or_default() += 1;
        }
        let refused_for_good = self
            .outcomes
            .iter()
            .filter(|o| matches!(o.last, Answer::Status(s) if (400..500).contains(&s) && s != 429))
            .count();
        let stall = self.progress.longest;

        println!("\nfaults (seconds into the run, how long the fault took):");
        for (at, took, label) in self.timeline {
            println!("  {at:7.1} s  {took:5.1} s  {label}");
        }
        for (name, exits) in self.unexpected_exits {
            if !exits.is_empty() {
                println!(
                    "  {name} exited by itself and was restarted: {}",
                    exits.join("; ")
                );
            }
        }
        let row = |what: &str, value: String| println!("  {what:<44} {value}");
        println!("\nresult:");
        row(
            "events sent (distinct ids)",
            self.outcomes.len().to_string(),
        );
        row("answered 2xx", accepted.len().to_string());
        row(
            "never answered 2xx (last answer)",
            format!(
                "{} {}",
                self.outcomes.len() - accepted.len(),
                describe(&refusals)
            ),
        );
        row("distinct events stored", self.stored.ids.len().to_string());
        row("lost (2xx, not stored)", lost.to_string());
        row(
            "duplicated after merge (FINAL)",
            format!(
                "{} ids ({} rows FINAL, {} before merging)",
                self.stored.duplicated_ids, self.stored.merged_rows, self.stored.raw_rows
            ),
        );
        row("stored without a 2xx", unanswered_stored.to_string());
        row("dead letters by reason", describe(self.dead_letters));
        row(
            "longest stall (input waiting, no progress)",
            format!(
                "{:.1} s, from {:.0} s, after \"{}\" (bound {} s)",
                stall.as_secs_f64(),
                self.progress.longest_began,
                self.progress.longest_after,
                self.max_stall.as_secs()
            ),
        );
        row(
            "catch-up after traffic stopped",
            if self.caught_up {
                format!("{:.1} s", self.catch_up.as_secs_f64())
            } else {
                format!("not within {:.0} s", self.catch_up.as_secs_f64())
            },
        );

        let mut failures = Vec::new();
        if accepted.is_empty() {
            failures.push("no event was answered 2xx".to_owned());
        }
        if lost > 0 {
            failures.push(format!("{lost} events answered 2xx are not stored"));
        }
        if self.stored.duplicated_ids > 0 {
            failures.push(format!(
                "{} events are stored more than once after merging",
                self.stored.duplicated_ids
            ));
        }
        if refused_for_good > 0 {
            failures.push(format!(
                "{refused_for_good} events refused with a 4xx (the run's requests are wrong)"
            ));
        }
        if !self.poison_dead_lettered {
            failures.push("the poison record was not dead-lettered".to_owned());
        }
        if stall > self.max_stall {
            failures.push(format!(
                "the loader stalled {:.1} s (bound {} s)",
                stall.as_secs_f64(),
                self.max_stall.as_secs()
            ));
        }
        if !self.caught_up {
            failures.push("the loader did not catch up".to_owned());
        }
        if failures.is_empty() {
            println!("\nchaos: passed");
        } else {
            println!("\nchaos: FAILED: {}", failures.join("; "));
        }
        failures.is_empty()
    }
}

fn describe(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    format!("({})", parts.join(", "))
}
