//! Scheduled maintenance: a cron scheduler that records every run in `job_runs`, and the jobs —
//! the retention purge check and rollup maintenance (run by `health`), and the crawler IP-range
//! refresh (run by each loader, whose verifier it updates).

pub mod ip_ranges;
pub mod retention;
pub mod rollups;
pub mod scheduler;

pub use scheduler::{Job, Outcome, Scheduled, Scheduler};
