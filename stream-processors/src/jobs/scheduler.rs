//! Runs jobs on cron schedules (in UTC), one at a time, each once at start and then at every
//! fire time; records each run in `job_runs` with its next fire time, so /admin/health can show
//! it and the stall rule can tell a job that stopped succeeding.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clickhouse::{Client, Row};
use futures::future::BoxFuture;
use schemas::vocab::{JobStatus, Vocabulary};
use serde::Serialize;
use tokio::sync::watch;

use crate::telemetry::JOB_RUNS;

/// What a successful run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows: u64,
    pub parts: u64,
    pub message: String,
}

pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    /// An `Err` is a failed run; its text is the run's message.
    fn run<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>>;
}

pub struct Scheduled {
    pub job: Box<dyn Job>,
    pub schedule: cron::Schedule,
}

impl Scheduled {
    /// `expression`: seconds minutes hours day-of-month month day-of-week [year].
    pub fn new(job: Box<dyn Job>, expression: &str) -> Result<Self, String> {
        let schedule = cron::Schedule::from_str(expression)
            .map_err(|e| format!("schedule of {}: {expression:?}: {e}", job.name()))?;
        Ok(Self { job, schedule })
    }

    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&t).next()
    }
}

#[derive(Debug, Clone, Row, Serialize)]
pub struct JobRunRow {
    pub job: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub started: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub finished: DateTime<Utc>,
    pub status: String,
    pub rows_affected: u64,
    pub parts_affected: u64,
    pub message: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis::option")]
    pub next_run: Option<DateTime<Utc>>,
    pub instance: String,
}

pub struct Scheduler {
    pub client: Client,
    pub jobs: Vec<Scheduled>,
    /// Written beside each run (host or instance name).
    pub instance: String,
}

impl Scheduler {
    /// Runs one job now and records the run; returns the row written.
    pub async fn run_once(&self, scheduled: &Scheduled) -> JobRunRow {
        let name = scheduled.job.name();
        let started = Utc::now();
        let result = scheduled.job.run(&self.client).await;
        let finished = Utc::now();
        let (status, outcome) = match result {
            Ok(outcome) => (JobStatus::Success, outcome),
            Err(error) => (
                JobStatus::Failed,
                Outcome {
                    message: format!("{error:#}"),
                    ..Outcome::default()
                },
            ),
        };
        metrics::counter!(JOB_RUNS, "job" => name, "status" => status.as_str()).increment(1);
        if status == JobStatus::Failed {
            tracing::error!(job = name, message = %outcome.message, "scheduled job failed");
        } else {
            tracing::info!(job = name, rows = outcome.rows, parts = outcome.parts, message = %outcome.message, "scheduled job done");
        }
        let row = JobRunRow {
            job: name.to_owned(),
            started,
            finished,
            status: status.as_str().to_owned(),
            rows_affected: outcome.rows,
            parts_affected: outcome.parts,
            message: outcome.message,
            next_run: scheduled.next_after(finished),
            instance: self.instance.clone(),
        };
        if let Err(error) =
            crate::health::store::insert(&self.client, "job_runs", std::slice::from_ref(&row)).await
        {
            tracing::warn!(%error, job = name, "job run not recorded");
        }
        row
    }

    /// Every job once, then each at its fire times, until `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if self.jobs.is_empty() {
            return;
        }
        let mut next: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(self.jobs.len());
        for scheduled in &self.jobs {
            if *stop.borrow() {
                return;
            }
            next.push(self.run_once(scheduled).await.next_run);
        }
        loop {
            let Some((index, at)) = next
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (i, t)))
                .min_by_key(|(_, t)| *t)
            else {
                return;
            };
            let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            next[index] = self.run_once(&self.jobs[index]).await.next_run;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Job for Nothing {
        fn name(&self) -> &'static str {
            "nothing"
        }
        fn run<'a>(&'a self, _: &'a Client) -> BoxFuture<'a, anyhow::Result<Outcome>> {
            Box::pin(async { Ok(Outcome::default()) })
        }
    }

    #[test]
    fn schedules_are_cron_expressions_with_seconds_and_bad_ones_are_named() {
        let hourly = Scheduled::new(Box::new(Nothing), "0 15 * * * *").unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-24T10:20:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            hourly.next_after(t).unwrap().to_rfc3339(),
            "2026-11-24T11:15:00+00:00"
        );
        let error = Scheduled::new(Box::new(Nothing), "every hour")
            .err()
            .unwrap();
        assert!(error.contains("nothing"), "{error}");
    }
}
