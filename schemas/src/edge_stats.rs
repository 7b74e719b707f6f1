//! `optiview.edge-stats.v1`: per-minute request statistics of one ingest-edge instance.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeStats {
    pub instance_id: String,
    pub minute: i64,
    pub requests: i64,
    pub events: i64,
    pub errors: HashMap<String, i64>,
    pub latency_bounds_ms: Vec<f64>,
    pub latency_counts: Vec<i64>,
    /// Requests rejected before their key resolved (unknown key, malformed body) count only in the
    /// instance totals above.
    #[serde(default)]
    pub properties: Vec<PropertyEdgeStats>,
}

/// One property's share of an instance's minute; latency buckets use the record's bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyEdgeStats {
    pub property_id: i64,
    pub requests: i64,
    pub events: i64,
    pub errors: HashMap<String, i64>,
    pub latency_counts: Vec<i64>,
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for EdgeStats {
    const SCHEMA_JSON: &'static str = include_str!("../avro/edge_stats.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}
