//! The health processor: sliding windows over the edges' statistics, the alert rules, Slack
//! notifications and consumer lag, written to ClickHouse for /admin/health.

pub mod alerter;
pub mod histogram;
pub mod notify;
pub mod processor;
pub mod rules;
pub mod service;
pub mod store;
pub mod window;
