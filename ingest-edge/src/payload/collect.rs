//! The tag's JSON envelope: ids once, then one event (`type` at the top) or a batch (`events`).
//!
//! ```json
//! {"key_id":"key_…","project_id":"prj_…","property_id":1,"visitor_id":"v…","session_id":"s…",
//!  "gpc":false,"events":[{"id":"e…","type":"pageview","ts":1764000000000,"url":"https://…",
//!  "referrer":"…","title":"…","screen":"1920x1080","language":"en","time_zone":"Europe/Berlin",
//!  "utm":{"utm_source":"chatgpt.com"},"name":"signup","props":{"plan":"pro"},"value":49,"currency":"EUR"}]}
//! ```

use std::collections::HashMap;

use schemas::beacon::{TagEvent, TagEventType};
use schemas::vocab::Vocabulary;
use std::borrow::Cow;

use serde::Deserialize;

use super::limits::{
    bounded, exceeds_chars, http_url, identifier, required, truncate_chars, Field,
};
use crate::error::EdgeError;

#[derive(Debug, Clone, PartialEq)]
pub struct CollectBatch {
    pub key_id: String,
    pub project_id: String,
    pub property_id: i64,
    /// Absent from a cookieless tag, which keeps no id: the route derives one
    /// (`routes::collect::identify`).
    pub visitor_id: Option<String>,
    pub session_id: Option<String>,
    /// Global Privacy Control or Do Not Track was on in the browser.
    pub privacy_signal: bool,
    pub events: Vec<IncomingEvent>,
}

/// One validated event: the tag's own event id (stable across its retries, so duplicates can be
/// dropped downstream) and the event as the beacon carries it (`session_id` is the envelope's).
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    pub id: Option<String>,
    pub event: TagEvent,
}

const MAX_PROPS: usize = 25;

/// The envelope as sent. Strings borrow from the body where JSON has no escapes; unknown fields
/// are ignored so newer tags keep working.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed")]
    key_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    project_id: Option<Cow<'a, str>>,
    #[serde(default)]
    property_id: Option<PropertyId>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    visitor_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    session_id: Option<Cow<'a, str>>,
    #[serde(default)]
    gpc: Option<bool>,
    #[serde(default)]
    dnt: Option<bool>,
    #[serde(borrow, default)]
    events: Option<Vec<RawEvent<'a>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PropertyId {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed")]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "type", deserialize_with = "borrowed")]
    event_type: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    referrer: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    title: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    screen: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    language: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    time_zone: Option<Cow<'a, str>>,
    #[serde(default)]
    utm: Option<HashMap<String, Scalar>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    props: Option<HashMap<String, Scalar>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    currency: Option<Cow<'a, str>>,
    #[serde(default)]
    automation: Option<i64>,
}

/// An optional string borrowed from the body unless it has escapes. serde borrows a `Cow` only as
/// a field of its own: inside an `Option` it always copied, twice per field with the copy the
/// checks make.
fn borrowed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'de>>::deserialize(d)?.map(|t| t.0))
}

/// Property values: strings, numbers and booleans, kept as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Deserializes the body. Path tracking costs on every field, so it runs only to explain a failure
/// (`events[0].ts`), on a second pass.
fn typed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, EdgeError> {
    serde_json::from_slice(body).map_err(|_| explain::<T>(body))
}

fn explain<'a, T: Deserialize<'a>>(body: &'a [u8]) -> EdgeError {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => EdgeError::malformed("body", "body could not be read"),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                EdgeError::malformed("body", format!("body is not valid JSON: {inner}"))
            } else if path == "." {
                EdgeError::malformed("body", "body must be a JSON object")
            } else {
                EdgeError::malformed(path.clone(), format!("{path}: {inner}"))
            }
        }
    }
}

pub fn parse_collect(body: &[u8], max_events: usize) -> Result<CollectBatch, EdgeError> {
    let root: RawEnvelope<'_> = typed(body)?;
    let property_id = match &root.property_id {
        Some(PropertyId::Number(n)) => Some(*n),
        Some(PropertyId::Text(s)) => s.parse().ok(),
        None => None,
    }
    .filter(|id| *id > 0)
    .ok_or_else(|| EdgeError::malformed("property_id", "property_id must be a positive integer"))?;
    let (raw_events, lists) = match root.events {
        Some(events) => {
            if events.len() > max_events {
                return Err(EdgeError::BatchTooLarge {
                    count: events.len(),
                    limit: max_events,
                });
            }
            let lists = (0..events.len()).map(|i| Some(("events", i))).collect();
            (events, lists)
        }
        // One event: its fields sit beside the envelope's (a second, rare pass).
        None => (vec![typed::<RawEvent<'_>>(body)?], vec![None]),
    };
    if raw_events.is_empty() {
        return Err(EdgeError::malformed("events", "events is empty"));
    }
    let events = raw_events
        .into_iter()
        .zip(lists)
        .map(|(e, list)| parse_event(e, list))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CollectBatch {
        key_id: required("key_id", root.key_id.as_deref(), 64)?,
        project_id: required("project_id", root.project_id.as_deref(), 64)?,
        property_id,
        visitor_id: identifier("visitor_id", root.visitor_id.as_deref())?,
        session_id: identifier("session_id", root.session_id.as_deref())?,
        privacy_signal: root.gpc.unwrap_or(false) || root.dnt.unwrap_or(false),
        events,
    })
}

/// "type must be pageview, click, custom or conversion", from the vocabulary.
fn type_must_be() -> String {
    let names: Vec<&str> = TagEventType::ALL.iter().map(|t| t.as_str()).collect();
    let (last, rest) = names.split_last().expect("tag event types exist");
    format!("type must be {} or {last}", rest.join(", "))
}

fn parse_event(e: RawEvent<'_>, list: Option<(&str, usize)>) -> Result<IncomingEvent, EdgeError> {
    let f = |name: &'static str| Field { list, name };
    let Some(event_type) = e.event_type.as_deref().and_then(TagEventType::parse) else {
        return Err(EdgeError::malformed(f("type"), type_must_be()));
    };
    let name = bounded(f("name"), e.name.as_deref(), 100)?;
    if name.is_none() && matches!(event_type, TagEventType::Custom | TagEventType::Conversion) {
        return Err(EdgeError::malformed(
            f("name"),
            "custom events and conversions need a name",
        ));
    }
    if e.value.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err(EdgeError::malformed(
            f("value"),
            "value must be a non-negative number",
        ));
    }
    let currency =
        bounded(f("currency"), e.currency.as_deref(), 3)?.map(|c| c.to_ascii_uppercase());
    if currency
        .as_ref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(EdgeError::malformed(
            f("currency"),
            "currency must be a 3-letter ISO 4217 code",
        ));
    }
    let automation = match e.automation {
        None => None,
        Some(bits @ 0..=255) => Some(bits as i32),
        Some(_) => {
            return Err(EdgeError::malformed(
                f("automation"),
                "automation must be a bit set from 0 to 255",
            ))
        }
    };
    if e.ts.is_some_and(|t| t <= 0) {
        return Err(EdgeError::malformed(
            f("ts"),
            "ts must be epoch milliseconds",
        ));
    }
    let url = http_url(f("url"), e.url.as_deref())?
        .ok_or_else(|| EdgeError::malformed(f("url"), "url is required"))?;
    Ok(IncomingEvent {
        id: identifier(f("id"), e.id.as_deref())?,
        event: TagEvent {
            event_type,
            client_ts: e.ts,
            session_id: None,
            utm: utm_of(f("utm"), e.utm, &url)?,
            url,
            referrer: bounded(f("referrer"), e.referrer.as_deref(), 2048)?,
            title: bounded(f("title"), e.title.as_deref(), 512)?,
            screen: bounded(f("screen"), e.screen.as_deref(), 32)?,
            language: bounded(f("language"), e.language.as_deref(), 35)?,
            time_zone: bounded(f("time_zone"), e.time_zone.as_deref(), 64)?,
            name,
            props: string_map(f("props"), e.props)?,
            value: e.value,
            currency,
            automation,
        },
    })
}

/// The event's utm map, or the `utm_*` parameters of its URL when the event carries none.
fn utm_of(
    field: Field<'_>,
    given: Option<HashMap<String, Scalar>>,
    url: &str,
) -> Result<HashMap<String, String>, EdgeError> {
    let given = string_map(field, given)?;
    if !given.is_empty() {
        return Ok(given);
    }
    let query = url
        .split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    Ok(form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| k.starts_with("utm_") && k.len() <= 64 && !v.is_empty())
        .take(MAX_PROPS)
        .map(|(k, v)| (k.into_owned(), truncate_chars(&v, 512).to_owned()))
        .collect())
}

/// At most 25 entries; keys up to 64 and values up to 512 characters.
fn string_map(
    field: Field<'_>,
    map: Option<HashMap<String, Scalar>>,
) -> Result<HashMap<String, String>, EdgeError> {
    let Some(map) = map else {
        return Ok(HashMap::new());
    };
    if map.len() > MAX_PROPS {
        return Err(EdgeError::malformed(
            field.to_string(),
            format!("{field} has more than {MAX_PROPS} entries"),
        ));
    }
    map.into_iter()
        .map(|(k, v)| {
            let text = v.into_text();
            if exceeds_chars(&k, 64) || exceeds_chars(&text, 512) {
                return Err(EdgeError::malformed(
                    format!("{field}.{k}"),
                    "keys are at most 64 and values 512 characters",
                ));
            }
            Ok((k, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tag.js is the other side of this contract, in another language: every type it sends must
    /// be one the collector accepts.
    #[test]
    fn every_event_type_tag_js_sends_is_a_tag_event_type() {
        let tag = include_str!("../../tag/tag.js");
        let sent: Vec<&str> = tag
            .split("type: \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(sent.len() >= 4, "found {sent:?}");
        for name in sent {
            assert!(TagEventType::parse(name).is_some(), "tag.js sends {name}");
        }
    }

    #[test]
    fn automation_bits_are_kept_and_out_of_range_ones_refused() {
        let body = |bits: &str| {
            format!(
                r#"{{"key_id":"key_a","project_id":"prj_a","property_id":1,"visitor_id":"v","events":[{{"type":"pageview","url":"https://a.com/","automation":{bits}}}]}}"#
            )
        };
        let batch = parse_collect(body("3").as_bytes(), 10).unwrap();
        assert_eq!(batch.events[0].event.automation, Some(3));
        let err = parse_collect(body("256").as_bytes(), 10).err().unwrap();
        assert!(format!("{err:?}").contains("automation"), "{err:?}");
        // tag.js sets the same bits the contract names.
        let tag = include_str!("../../tag/tag.js");
        assert!(tag.contains("nav.webdriver ? 1 : 0"));
        assert_eq!(schemas::beacon::automation::WEBDRIVER, 1);
        assert_eq!(schemas::beacon::automation::HEADLESS, 2);
    }

    #[test]
    fn the_type_error_lists_every_accepted_type() {
        assert_eq!(
            type_must_be(),
            "type must be pageview, click, custom or conversion"
        );
    }
}
