//! Optiview stream processors: enrichment, sessionization and the ClickHouse sink.

pub mod config;
pub mod enrich;
pub mod evaluate;
pub mod health;
pub mod jobs;
pub mod load;
pub mod ops;
pub mod rdns;
pub mod repartition;
pub mod replay;
pub mod sessionize;
pub mod telemetry;
pub mod wiring;
