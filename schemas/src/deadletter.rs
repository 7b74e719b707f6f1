//! `optiview.deadletter.v1`: rejected records with a typed reason and the original bytes.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterReason {
    Undecodable,
    UnknownSchema,
    InvalidField,
    UnknownKey,
    UnknownProperty,
    TooLate,
    InsertRejected,
    Other,
    /// Decoded, but a field breaks the contract (an event without a URL, a bad URL).
    SchemaViolation,
    /// The event's own time is too far from when the edge received it.
    TimestampOutOfRange,
}

impl DeadLetterReason {
    /// The Avro symbol, for metric labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undecodable => "undecodable",
            Self::UnknownSchema => "unknown_schema",
            Self::InvalidField => "invalid_field",
            Self::UnknownKey => "unknown_key",
            Self::UnknownProperty => "unknown_property",
            Self::TooLate => "too_late",
            Self::InsertRejected => "insert_rejected",
            Self::Other => "other",
            Self::SchemaViolation => "schema_violation",
            Self::TimestampOutOfRange => "timestamp_out_of_range",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub at: i64,
    pub stage: String,
    pub source_topic: String,
    pub source_partition: i32,
    pub source_offset: i64,
    pub reason: DeadLetterReason,
    pub detail: String,
    #[serde(with = "crate::codec::avro_bytes")]
    pub original: Vec<u8>,
}

impl DeadLetter {
    /// The record key on the dead-letter topic: where the rejected record came from.
    pub fn key(&self) -> String {
        format!("{}:{}", self.source_topic, self.source_partition)
    }
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for DeadLetter {
    const SCHEMA_JSON: &'static str = include_str!("../avro/deadletter.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}
