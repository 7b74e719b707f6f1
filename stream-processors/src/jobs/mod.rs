//! Scheduled maintenance: a cron scheduler that records every run in `job_runs`, and the jobs —
//! the retention purge check and rollup maintenance (run by `health`), and the crawler IP-range
//! and robots.txt refreshes (run by each loader, whose enricher they update).

pub mod ip_ranges;
pub mod public_fetch;
pub mod retention;
pub mod robots_txt;
pub mod rollups;
pub mod scheduler;

pub use scheduler::{Job, Outcome, Scheduled, Scheduler};
