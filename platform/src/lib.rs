//! Platform plumbing the three services share: Kafka and ClickHouse settings and clients, the
//! control-topic follower, the migrations runner, robots.txt rules, the IP-to-network databases,
//! the Slack client, logging, metrics and the probe endpoints. The contracts these carry are in the
//! `schemas` crate.

pub mod clickhouse;
pub mod client_ip;
pub mod config;
pub mod control_follower;
pub mod daily_secrets;
pub mod ip_database;
pub mod kafka;
pub mod probes;
pub mod raw_address;
pub mod retry;
pub mod robots;
pub mod slack;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod test_support;
