//! ClickHouse rows, one struct per table of `infra/clickhouse/migrations/0002_analytics_tables.sql`
//! (RowBinary: field order and types follow the table).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clickhouse::Row;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct EventRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub received_at: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub organization_id: String,
    pub visitor_id: String,
    pub session_id: String,
    pub source: String,
    pub event_type: String,
    pub url: String,
    pub host: String,
    pub path: String,
    pub title: String,
    pub content_type: String,
    pub referrer: String,
    pub referrer_host: String,
    pub channel: String,
    pub ai_source: String,
    pub ai_matched_by: String,
    pub utm: HashMap<String, String>,
    pub agent_class: String,
    pub agent_name: String,
    pub agent_operator: String,
    pub verification: String,
    pub browser: String,
    pub browser_major: String,
    pub os: String,
    pub device: String,
    pub country: String,
    pub status: u16,
    pub name: String,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: String,
    pub classifier_version: String,
    pub retention_days: u16,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct AiReferralRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub visitor_id: String,
    pub session_id: String,
    pub ai_source: String,
    pub matched_by: String,
    pub url: String,
    pub path: String,
    pub content_type: String,
    pub referrer: String,
    pub country: String,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct CrawlerHitRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub agent_class: String,
    pub agent_name: String,
    pub agent_operator: String,
    pub verification: String,
    pub method: String,
    pub host: String,
    pub path: String,
    pub content_type: String,
    pub status: u16,
    pub bytes: u64,
    pub response_ms: u32,
    pub retention_days: u16,
}

impl EventRow {
    pub fn ai_referral(&self) -> Option<AiReferralRow> {
        (!self.ai_source.is_empty()).then(|| AiReferralRow {
            project_id: self.project_id.clone(),
            property_id: self.property_id,
            ts: self.ts,
            event_id: self.event_id.clone(),
            processed_at: self.processed_at,
            visitor_id: self.visitor_id.clone(),
            session_id: self.session_id.clone(),
            ai_source: self.ai_source.clone(),
            matched_by: self.ai_matched_by.clone(),
            url: self.url.clone(),
            path: self.path.clone(),
            content_type: self.content_type.clone(),
            referrer: self.referrer.clone(),
            country: self.country.clone(),
            device: self.device.clone(),
        })
    }
}
