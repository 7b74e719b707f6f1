//! ingest-edge: the collector. Validates beacons against the control view and answers 2xx only
//! once the broker acknowledged them.

pub mod avro;
pub mod body;
pub mod clock;
pub mod config;
pub mod cookieless;
pub mod cors;
pub mod enrich;
pub mod error;
pub mod payload;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod sink;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod wiring;
