//! `optiview.events.v1`: classified, attributed, sessionized events.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::codec::{compile_once, Compiled, Contract};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Tag,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentClass {
    Human,
    AiCrawler,
    AiAssistant,
    SearchCrawler,
    OtherBot,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichedEvent {
    pub event_id: String,
    pub ts: i64,
    pub received_at: i64,
    pub organization_id: String,
    pub project_id: String,
    pub property_id: i64,
    pub visitor_id: String,
    pub session_id: String,
    pub source: EventSource,
    pub event_type: String,
    pub url: String,
    pub host: String,
    pub path: String,
    pub content_type: String,
    pub referrer: Option<String>,
    pub referrer_host: Option<String>,
    pub agent_class: AgentClass,
    pub agent_name: Option<String>,
    pub agent_operator: Option<String>,
    pub verified: bool,
    pub ai_source: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    pub country: Option<String>,
    pub status: Option<i32>,
    pub name: Option<String>,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: Option<String>,
    pub classifier_version: String,
}

static COMPILED: OnceLock<Compiled> = OnceLock::new();

impl Contract for EnrichedEvent {
    const SCHEMA_JSON: &'static str = include_str!("../avro/event.avsc");
    fn compiled() -> &'static Compiled {
        compile_once(&COMPILED, Self::SCHEMA_JSON)
    }
}
