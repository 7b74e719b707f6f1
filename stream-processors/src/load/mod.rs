//! What the processors write to ClickHouse.

pub mod rows;
