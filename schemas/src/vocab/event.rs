//! Where a stored event came from and what it records.

use serde::{Deserialize, Serialize};

use super::Vocabulary;
use crate::beacon::TagEventType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// tag.js in a browser.
    Tag,
    /// A server or CDN log line forwarded to `/v1/hits`.
    Server,
}

impl Vocabulary for EventSource {
    const ALL: &'static [Self] = &[EventSource::Tag, EventSource::Server];

    fn as_str(self) -> &'static str {
        match self {
            EventSource::Tag => "tag",
            EventSource::Server => "server",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Pageview,
    Click,
    Custom,
    Conversion,
    /// A server-side request (crawler or human), from forwarded logs.
    Hit,
}

impl Vocabulary for EventType {
    const ALL: &'static [Self] = &[
        EventType::Pageview,
        EventType::Click,
        EventType::Custom,
        EventType::Conversion,
        EventType::Hit,
    ];

    fn as_str(self) -> &'static str {
        match self {
            EventType::Pageview => "pageview",
            EventType::Click => "click",
            EventType::Custom => "custom",
            EventType::Conversion => "conversion",
            EventType::Hit => "hit",
        }
    }
}

impl From<TagEventType> for EventType {
    fn from(value: TagEventType) -> Self {
        match value {
            TagEventType::Pageview => EventType::Pageview,
            TagEventType::Click => EventType::Click,
            TagEventType::Custom => EventType::Custom,
            TagEventType::Conversion => EventType::Conversion,
        }
    }
}
