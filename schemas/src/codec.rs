//! Avro single-object encoding (marker `C3 01`, 8-byte little-endian CRC-64-AVRO fingerprint of the
//! writer schema's canonical form, then the binary datum).
//!
//! Readers resolve the writer schema by fingerprint through a [`SchemaRegistry`], so a reader built
//! against version N decodes data written with version N+1 (and the reverse) by Avro schema
//! resolution, as long as the writer schema is registered.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use apache_avro::headers::HeaderBuilder;
use apache_avro::rabin::Rabin;
use apache_avro::types::Value;
use apache_avro::{GenericSingleObjectReader, Schema};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The two bytes that start every single-object encoded message.
pub const MARKER: [u8; 2] = [0xC3, 0x01];
const HEADER_LEN: usize = 10;

/// Longest string or bytes, and most items of an array or map block, a decoded datum may declare.
/// apache-avro checks declared lengths against a process-wide limit (512 Mi by default) and then
/// reserves room for that many items: a corrupt block count of a few bytes made it ask for tens
/// of GB and abort the process, and a consumer re-reading the message after restart crashed
/// again (found by the `avro_beacon` and `avro_control` fuzz targets). No genuine length comes
/// near a broker's default 1 MiB message limit; the collector accepts bodies of 256 KiB at most.
pub const MAX_DECODED_LEN: usize = 1024 * 1024;

/// A schema parsed once per process, with its fingerprint.
pub struct Compiled {
    pub schema: Schema,
    pub fingerprint: [u8; 8],
}

/// A Rust type bound to one `.avsc` contract.
pub trait Contract: Serialize + DeserializeOwned {
    /// The contract's JSON schema text (the `.avsc` file).
    const SCHEMA_JSON: &'static str;

    /// The parsed schema and its fingerprint; computed once per process.
    fn compiled() -> &'static Compiled;

    fn schema() -> &'static Schema {
        &Self::compiled().schema
    }

    /// The schema's fingerprint as written in the message header.
    fn fingerprint() -> [u8; 8] {
        Self::compiled().fingerprint
    }
}

/// Parses a contract's schema into its cell on first use.
pub fn compile_once(cell: &'static OnceLock<Compiled>, json: &str) -> &'static Compiled {
    cell.get_or_init(|| {
        let schema = Schema::parse_str(json).expect("bundled .avsc files are valid (tested)");
        let fingerprint = fingerprint_of(&schema);
        Compiled {
            schema,
            fingerprint,
        }
    })
}

/// CRC-64-AVRO (Rabin) fingerprint of the schema's parsing canonical form.
pub fn fingerprint_of(schema: &Schema) -> [u8; 8] {
    let bytes = schema.fingerprint::<Rabin>().bytes;
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[..8]);
    out
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("value does not fit its schema: {0}")]
    Schema(String),
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("message is not Avro single-object encoded (missing C3 01 marker)")]
    NotSingleObject,
    #[error("unknown schema fingerprint {0}")]
    UnknownFingerprint(String),
    #[error("corrupt datum: {0}")]
    Corrupt(String),
    #[error("datum does not match the reader type: {0}")]
    Mismatch(String),
}

/// Encodes `value` with its contract's schema as a single object. Serializes straight from serde
/// against the schema (no intermediate `Value`): this runs once per event on the hot path.
pub fn encode<T: Contract>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let compiled = T::compiled();
    // Beacons encode to ~400 B; one allocation of this size avoids a regrow per message.
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&compiled.fingerprint);
    apache_avro::write_avro_datum_ref(&compiled.schema, value, &mut out)
        .map_err(|e| EncodeError::Schema(e.to_string()))?;
    Ok(out)
}

/// apache-avro maps `bytes` to a serde byte buffer, not a sequence of u8.
pub(crate) mod avro_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// Earlier published versions of the contracts.
pub const HISTORY: [&str; 8] = [
    include_str!("../avro/history/control.1.avsc"),
    include_str!("../avro/history/control.2.avsc"),
    include_str!("../avro/history/control.3.avsc"),
    include_str!("../avro/history/session.1.avsc"),
    include_str!("../avro/history/deadletter.1.avsc"),
    include_str!("../avro/history/edge_stats.1.avsc"),
    include_str!("../avro/history/beacon.1.avsc"),
    include_str!("../avro/history/beacon.2.avsc"),
];

/// Writer schemas known to this process, by fingerprint.
#[derive(Clone, Default)]
pub struct SchemaRegistry {
    by_fingerprint: HashMap<[u8; 8], Arc<Writer>>,
}

/// A registered writer schema with its named types resolved once: apache-avro's plain
/// `from_avro_datum` resolves them again for every datum, which was a third of a beacon's decode.
struct Writer {
    /// `None` for a schema whose references do not resolve: its datums fail to decode as before.
    reader: Option<GenericSingleObjectReader>,
    schema: Schema,
}

/// The header this module writes (marker and fingerprint), which the reader checks again.
struct Header([u8; 8]);

impl HeaderBuilder for Header {
    fn build_header(&self) -> Vec<u8> {
        [&MARKER[..], &self.0[..]].concat()
    }
}

impl SchemaRegistry {
    /// Every schema this build writes, and every earlier version messages on the topics may
    /// still carry (`avro/history/`).
    pub fn builtin() -> Self {
        let mut registry = Self::default();
        for schema in crate::all_schemas() {
            registry.register(schema.clone());
        }
        for json in HISTORY {
            registry
                .register_json(json)
                .expect("bundled .avsc files are valid (tested)");
        }
        registry
    }

    /// Adds a writer schema (e.g. a newer version published by another service).
    pub fn register(&mut self, schema: Schema) -> [u8; 8] {
        let fp = fingerprint_of(&schema);
        let reader =
            GenericSingleObjectReader::new_with_header_builder(schema.clone(), Header(fp)).ok();
        self.by_fingerprint
            .insert(fp, Arc::new(Writer { reader, schema }));
        fp
    }

    /// Parses and registers a schema from its JSON text.
    pub fn register_json(&mut self, json: &str) -> Result<[u8; 8], apache_avro::Error> {
        Ok(self.register(Schema::parse_str(json)?))
    }

    fn writer_schema<'a>(&self, bytes: &'a [u8]) -> Result<(&Writer, &'a [u8]), DecodeError> {
        // Set before the first datum is read (the limit is fixed by its first use); every read
        // in this workspace goes through here.
        apache_avro::util::max_allocation_bytes(MAX_DECODED_LEN);
        if bytes.len() < HEADER_LEN || bytes[..2] != MARKER {
            return Err(DecodeError::NotSingleObject);
        }
        let mut fp = [0u8; 8];
        fp.copy_from_slice(&bytes[2..HEADER_LEN]);
        let schema = self
            .by_fingerprint
            .get(&fp)
            .ok_or_else(|| DecodeError::UnknownFingerprint(hex::encode(fp)))?;
        Ok((schema.as_ref(), &bytes[HEADER_LEN..]))
    }

    /// Decodes a single-object message into `T`, resolving the writer schema to `T`'s schema.
    pub fn decode<T: Contract>(&self, bytes: &[u8]) -> Result<T, DecodeError> {
        let (writer, mut datum) = self.writer_schema(bytes)?;
        // Resolution is only needed across versions; same-version reads skip it.
        let same_version = bytes[2..HEADER_LEN] == T::fingerprint();
        let reader_schema = (!same_version).then(T::schema);
        let value = writer
            .read(bytes, &mut datum)
            .and_then(|value| match reader_schema {
                Some(schema) => value.resolve(schema),
                None => Ok(value),
            })
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        if !datum.is_empty() {
            return Err(DecodeError::Corrupt(format!(
                "{} trailing bytes after the datum",
                datum.len()
            )));
        }
        apache_avro::from_value(&value).map_err(|e| DecodeError::Mismatch(e.to_string()))
    }

    /// Decodes a message with its own writer schema into JSON, for ops tooling.
    pub fn decode_json(&self, bytes: &[u8]) -> Result<serde_json::Value, DecodeError> {
        let (writer, mut datum) = self.writer_schema(bytes)?;
        let value = writer
            .read(bytes, &mut datum)
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        if !datum.is_empty() {
            return Err(DecodeError::Corrupt(format!(
                "{} trailing bytes after the datum",
                datum.len()
            )));
        }
        Ok(avro_to_json(value))
    }
}

impl Writer {
    /// The datum of `message` (whose header was checked), leaving in `datum` what follows it.
    fn read<'a>(&self, message: &'a [u8], datum: &mut &'a [u8]) -> apache_avro::AvroResult<Value> {
        match &self.reader {
            Some(reader) => {
                let mut rest = message;
                let value = reader.read_value(&mut rest)?;
                *datum = rest;
                Ok(value)
            }
            None => apache_avro::from_avro_datum(&self.schema, datum, None),
        }
    }
}

/// Avro value to plain JSON: unions collapse to their branch, enums to their symbol, bytes to hex.
fn avro_to_json(value: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Null => J::Null,
        Value::Boolean(b) => J::Bool(b),
        Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => J::from(i),
        Value::Long(i)
        | Value::TimestampMillis(i)
        | Value::TimestampMicros(i)
        | Value::TimestampNanos(i)
        | Value::LocalTimestampMillis(i)
        | Value::LocalTimestampMicros(i)
        | Value::LocalTimestampNanos(i)
        | Value::TimeMicros(i) => J::from(i),
        Value::Float(f) => J::from(f),
        Value::Double(f) => J::from(f),
        Value::Bytes(b) | Value::Fixed(_, b) => J::String(hex::encode(b)),
        Value::String(s) | Value::Enum(_, s) => J::String(s),
        Value::Uuid(u) => J::String(u.to_string()),
        Value::Union(_, inner) => avro_to_json(*inner),
        Value::Array(items) => J::Array(items.into_iter().map(avro_to_json).collect()),
        Value::Map(map) => J::Object(map.into_iter().map(|(k, v)| (k, avro_to_json(v))).collect()),
        Value::Record(fields) => J::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, avro_to_json(v)))
                .collect(),
        ),
        other => J::String(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::ControlEvent;

    /// Avro's zig-zag varint.
    fn long(n: i64) -> Vec<u8> {
        let mut z = ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::new();
        while z >= 0x80 {
            out.push((z as u8) | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
        out
    }

    #[test]
    fn a_corrupt_block_count_is_a_decode_error_not_a_huge_allocation() {
        // A control event's five leading fields, then its `changed` array declaring 400 million
        // strings (under apache-avro's own limit): the message ends there.
        let mut message = MARKER.to_vec();
        message.extend_from_slice(&ControlEvent::fingerprint());
        for field in ["e", "", "actor", "org_1", "create"] {
            if field.is_empty() {
                message.extend(long(1_764_000_000_000));
            } else {
                message.extend(long(field.len() as i64));
                message.extend_from_slice(field.as_bytes());
            }
        }
        message.extend(long(400_000_000));
        let registry = SchemaRegistry::builtin();
        for err in [
            registry.decode::<ControlEvent>(&message).unwrap_err(),
            registry.decode_json(&message).unwrap_err(),
        ] {
            match err {
                DecodeError::Corrupt(detail) => {
                    assert!(detail.contains("allocate"), "{detail}")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
