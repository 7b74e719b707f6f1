//! The tag's JSON envelope: ids once, then one event (`type` at the top) or a batch (`events`).
//!
//! ```json
//! {"key_id":"key_…","project_id":"prj_…","property_id":1,"visitor_id":"v…","session_id":"s…",
//!  "gpc":false,"events":[{"id":"e…","type":"pageview","ts":1764000000000,"url":"https://…",
//!  "referrer":"…","title":"…","screen":"1920x1080","language":"en","time_zone":"Europe/Berlin",
//!  "utm":{"utm_source":"chatgpt.com"},"name":"signup","props":{"plan":"pro"},"value":49,"currency":"EUR"}]}
//! ```

use std::collections::HashMap;

use schemas::beacon::TagEventType;
use serde_json::{Map, Value};

use super::limits::{bounded, http_url, identifier, required, Field};
use crate::error::EdgeError;

#[derive(Debug, Clone, PartialEq)]
pub struct CollectBatch {
    pub key_id: String,
    pub project_id: String,
    pub property_id: i64,
    pub visitor_id: String,
    pub session_id: Option<String>,
    /// Global Privacy Control or Do Not Track was on in the browser.
    pub privacy_signal: bool,
    pub events: Vec<IncomingEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// Client-made id, stable across the tag's retries, so duplicates can be dropped downstream.
    pub id: Option<String>,
    pub event_type: TagEventType,
    pub client_ts: Option<i64>,
    pub url: String,
    pub referrer: Option<String>,
    pub title: Option<String>,
    pub screen: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub utm: HashMap<String, String>,
    pub name: Option<String>,
    pub props: HashMap<String, String>,
    pub value: Option<f64>,
    pub currency: Option<String>,
}

const MAX_PROPS: usize = 25;

pub fn parse_collect(body: &[u8], max_events: usize) -> Result<CollectBatch, EdgeError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| EdgeError::malformed("body", format!("body is not valid JSON: {e}")))?;
    let Value::Object(root) = root else {
        return Err(EdgeError::malformed("body", "body must be a JSON object"));
    };
    let property_id = root
        .get("property_id")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            EdgeError::malformed("property_id", "property_id must be a positive integer")
        })?;
    let raw_events: Vec<&Map<String, Value>> = match root.get("events") {
        Some(Value::Array(items)) => {
            if items.len() > max_events {
                return Err(EdgeError::BatchTooLarge {
                    count: items.len(),
                    limit: max_events,
                });
            }
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_object().ok_or_else(|| {
                        EdgeError::malformed(format!("events[{i}]"), "each event must be an object")
                    })
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(EdgeError::malformed("events", "events must be an array")),
        None => vec![&root],
    };
    if raw_events.is_empty() {
        return Err(EdgeError::malformed("events", "events is empty"));
    }
    let batched = root.contains_key("events");
    let events = raw_events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            parse_event(
                e,
                &if batched {
                    format!("events[{i}].")
                } else {
                    String::new()
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CollectBatch {
        key_id: required("key_id", root.get("key_id"), 64)?,
        project_id: required("project_id", root.get("project_id"), 64)?,
        property_id,
        visitor_id: identifier("visitor_id", root.get("visitor_id"))?
            .ok_or_else(|| EdgeError::malformed("visitor_id", "visitor_id is required"))?,
        session_id: identifier("session_id", root.get("session_id"))?,
        privacy_signal: [root.get("gpc"), root.get("dnt")]
            .iter()
            .any(|v| v.and_then(Value::as_bool).unwrap_or(false)),
        events,
    })
}

fn parse_event(e: &Map<String, Value>, prefix: &str) -> Result<IncomingEvent, EdgeError> {
    let f = |name: &'static str| Field(prefix, name);
    let event_type = match e.get("type").and_then(Value::as_str) {
        Some("pageview") => TagEventType::Pageview,
        Some("click") => TagEventType::Click,
        Some("custom") => TagEventType::Custom,
        Some("conversion") => TagEventType::Conversion,
        _ => {
            return Err(EdgeError::malformed(
                f("type"),
                "type must be pageview, click, custom or conversion",
            ))
        }
    };
    let name = bounded(f("name"), e.get("name"), 100)?;
    if name.is_none() && matches!(event_type, TagEventType::Custom | TagEventType::Conversion) {
        return Err(EdgeError::malformed(
            f("name"),
            "custom events and conversions need a name",
        ));
    }
    let value = match e.get("value") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    EdgeError::malformed(f("value"), "value must be a non-negative number")
                })?,
        ),
    };
    let currency = bounded(f("currency"), e.get("currency"), 3)?.map(|c| c.to_ascii_uppercase());
    if currency
        .as_ref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(EdgeError::malformed(
            f("currency"),
            "currency must be a 3-letter ISO 4217 code",
        ));
    }
    let client_ts = match e.get("ts") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|t| *t > 0)
                .ok_or_else(|| EdgeError::malformed(f("ts"), "ts must be epoch milliseconds"))?,
        ),
    };
    Ok(IncomingEvent {
        id: identifier(f("id"), e.get("id"))?,
        event_type,
        client_ts,
        url: http_url(f("url"), e.get("url"))?
            .ok_or_else(|| EdgeError::malformed(f("url"), "url is required"))?,
        referrer: bounded(f("referrer"), e.get("referrer"), 2048)?,
        title: bounded(f("title"), e.get("title"), 512)?,
        screen: bounded(f("screen"), e.get("screen"), 32)?,
        language: bounded(f("language"), e.get("language"), 35)?,
        time_zone: bounded(f("time_zone"), e.get("time_zone"), 64)?,
        utm: utm_of(
            f("utm"),
            e.get("utm"),
            e.get("url").and_then(Value::as_str).unwrap_or(""),
        )?,
        name,
        props: string_map(f("props"), e.get("props"))?,
        value,
        currency,
    })
}

/// The event's utm map, or the `utm_*` parameters of its URL when the event carries none.
fn utm_of(
    field: Field<'_>,
    value: Option<&Value>,
    url: &str,
) -> Result<HashMap<String, String>, EdgeError> {
    let given = string_map(field, value)?;
    if !given.is_empty() {
        return Ok(given);
    }
    let query = url
        .split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    Ok(form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| k.starts_with("utm_") && k.len() <= 64 && !v.is_empty())
        .take(MAX_PROPS)
        .map(|(k, v)| (k.into_owned(), v.chars().take(512).collect()))
        .collect())
}

/// A flat object of at most 25 entries; scalar values become strings.
fn string_map(
    field: Field<'_>,
    value: Option<&Value>,
) -> Result<HashMap<String, String>, EdgeError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(HashMap::new());
    };
    let Value::Object(map) = value else {
        return Err(EdgeError::malformed(
            field.to_string(),
            format!("{field} must be an object"),
        ));
    };
    if map.len() > MAX_PROPS {
        return Err(EdgeError::malformed(
            field.to_string(),
            format!("{field} has more than {MAX_PROPS} entries"),
        ));
    }
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(EdgeError::malformed(
                        format!("{field}.{k}"),
                        "values must be strings, numbers or booleans",
                    ))
                }
            };
            if k.chars().count() > 64 || text.chars().count() > 512 {
                return Err(EdgeError::malformed(
                    format!("{field}.{k}"),
                    "keys are at most 64 and values 512 characters",
                ));
            }
            Ok((k.clone(), text))
        })
        .collect()
}
