//! Optiview's shared contracts: the Avro schemas and types of every topic, the vocabulary every
//! crate shares (agent class, event source and type, verification, channel, job status, alert
//! rule), the control-plane events and view, and the AI source catalog. No I/O lives here: the
//! clients, the control follower and the service plumbing are in the `platform` crate.

pub mod alerts;
pub mod beacon;
pub mod catalog;
pub mod codec;
pub mod control;
pub mod deadletter;
pub mod edge_stats;
pub mod session;
pub mod topics;
pub mod vocab;

use apache_avro::Schema;

pub use codec::{encode, Contract, DecodeError, EncodeError, SchemaRegistry};

/// Every schema this build writes, for the registry and for tooling.
pub fn all_schemas() -> [&'static Schema; 5] {
    [
        beacon::Beacon::schema(),
        session::SessionUpdate::schema(),
        deadletter::DeadLetter::schema(),
        edge_stats::EdgeStats::schema(),
        control::ControlEvent::schema(),
    ]
}
#[cfg(feature = "fixtures")]
pub mod fixtures;
#[cfg(feature = "fixtures")]
pub mod mutate;
