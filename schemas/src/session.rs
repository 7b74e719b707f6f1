//! `optiview.sessions.v1`: the sessionizer's changelog, one full session state per change,
//! with the visitor state a restore needs (last AI touch, applied input offset, watermark).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};
use crate::vocab::{Channel, Vocabulary};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUpdate {
    pub session_id: String,
    pub organization_id: String,
    pub project_id: String,
    pub property_id: i64,
    pub visitor_id: String,
    pub started_at: i64,
    pub last_seen_at: i64,
    pub pageviews: i32,
    pub events: i32,
    pub entry_url: String,
    pub exit_url: String,
    pub referrer_host: Option<String>,
    pub ai_source: Option<String>,
    pub agent_class: String,
    pub converted: bool,
    pub conversions: i32,
    pub conversion_value: f64,
    pub closed: bool,
    pub input_offset: i64,
    pub version: i32,
    #[serde(default)]
    pub opened_at: i64,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default = "direct")]
    pub channel: String,
    #[serde(default)]
    pub utm: HashMap<String, String>,
    #[serde(default)]
    pub seen: Vec<i64>,
    #[serde(default)]
    pub last_ai_source: Option<String>,
    #[serde(default)]
    pub last_ai_at: Option<i64>,
    #[serde(default)]
    pub watermark: i64,
}

fn direct() -> String {
    Channel::Direct.as_str().to_owned()
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for SessionUpdate {
    const SCHEMA_JSON: &'static str = include_str!("../avro/session.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}
