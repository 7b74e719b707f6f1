//! Optiview stream processors: enrichment, sessionization and the ClickHouse sink.

pub mod enrich;
pub mod sessionize;
