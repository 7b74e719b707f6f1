//! Optiview's shared contracts: the Avro schemas and types of every topic, the control-plane
//! view, and the client settings and migrations every service uses the same way.

pub mod alerts;
pub mod beacon;
pub mod clickhouse_client;
pub mod clickhouse_migrations;
pub mod codec;
pub mod control;
pub mod deadletter;
pub mod edge_stats;
pub mod event;
pub mod kafka;
pub mod kafka_admin;
pub mod session;
pub mod slack;
pub mod test_support;
pub mod topics;

use apache_avro::Schema;

pub use codec::{encode, Contract, DecodeError, EncodeError, SchemaRegistry};

/// Every schema this build writes, for the registry and for tooling.
pub fn all_schemas() -> [&'static Schema; 6] {
    [
        beacon::Beacon::schema(),
        event::EnrichedEvent::schema(),
        session::SessionUpdate::schema(),
        deadletter::DeadLetter::schema(),
        edge_stats::EdgeStats::schema(),
        control::ControlEvent::schema(),
    ]
}
