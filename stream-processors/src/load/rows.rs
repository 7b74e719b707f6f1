//! ClickHouse rows, one struct per table of the migrations in `infra/clickhouse/migrations/`
//! (RowBinary: field order and types follow the table).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clickhouse::Row;
use schemas::session::SessionUpdate;
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

#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct ConversionRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub ts: DateTime<Utc>,
    pub event_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub visitor_id: String,
    pub session_id: String,
    pub name: String,
    pub value: Option<f64>,
    pub currency: String,
    pub session_ai_source: String,
    pub last_touch_ai_source: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis::option")]
    pub last_touch_at: Option<DateTime<Utc>>,
    pub retention_days: u16,
}

/// The newest state of a session (infra/clickhouse/migrations/0003…).
#[derive(Debug, Clone, PartialEq, Row, Serialize)]
pub struct SessionRow {
    pub project_id: String,
    pub property_id: u64,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub opened_at: DateTime<Utc>,
    pub session_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub processed_at: DateTime<Utc>,
    pub organization_id: String,
    pub visitor_id: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "clickhouse::serde::chrono::datetime64::millis")]
    pub last_seen: DateTime<Utc>,
    pub version: u64,
    pub entry_url: String,
    pub exit_url: String,
    pub pageviews: u32,
    pub events: u32,
    pub duration_ms: u64,
    pub referrer: String,
    pub channel: String,
    pub ai_source: String,
    pub utm: HashMap<String, String>,
    pub conversions: u32,
    pub conversion_value: f64,
}

fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl SessionRow {
    pub fn from_update(update: &SessionUpdate, processed_at: DateTime<Utc>) -> Self {
        Self {
            project_id: update.project_id.clone(),
            property_id: u64::try_from(update.property_id).unwrap_or_default(),
            opened_at: millis(update.opened_at),
            session_id: update.session_id.clone(),
            processed_at,
            organization_id: update.organization_id.clone(),
            visitor_id: update.visitor_id.clone(),
            started_at: millis(update.started_at),
            last_seen: millis(update.last_seen_at),
            version: u64::try_from(update.version).unwrap_or_default(),
            entry_url: update.entry_url.clone(),
            exit_url: update.exit_url.clone(),
            pageviews: u32::try_from(update.pageviews).unwrap_or_default(),
            events: u32::try_from(update.events).unwrap_or_default(),
            duration_ms: u64::try_from(update.last_seen_at - update.started_at).unwrap_or_default(),
            referrer: update.referrer.clone().unwrap_or_default(),
            channel: update.channel.clone(),
            ai_source: update.ai_source.clone().unwrap_or_default(),
            utm: update.utm.clone(),
            conversions: u32::try_from(update.conversions).unwrap_or_default(),
            conversion_value: update.conversion_value,
        }
    }
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
