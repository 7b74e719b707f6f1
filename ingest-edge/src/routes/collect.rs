//! `POST /v1/collect` and `OPTIONS /v1/collect`: tag beacons from browsers.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use schemas::beacon::{Beacon, TagEvent};
use schemas::control::Permission;
use schemas::topics::visitor_key;
use serde_json::json;

use super::key_access;
use crate::body::{media_type, read_limited};
use crate::cookieless;
use crate::cors;
use crate::enrich::{client_ip, country, ip_hash, network_origin, new_id};
use crate::error::EdgeError;
use crate::payload::{parse_collect, truncate_chars, CollectBatch};
use crate::sink::{Record, SinkError};
use crate::state::AppState;

const ACCEPTED_TYPES: [&str; 2] = ["text/plain", "application/json"];

pub async fn preflight(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let origin = cors::request_origin(&req)
        .filter(|(_, host)| cors::any_property_allows(&state.control.view(), host));
    cors::preflight(origin.as_ref().map(|(o, _)| o.as_str()))
}

pub async fn collect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut allowed_origin = None;
    let result = accept(&req, payload, &state, &mut allowed_origin).await;
    let mut response = match result {
        Ok(response) => response,
        Err(error) => error.error_response(),
    };
    // CORS only once the origin was checked against the key's property.
    if let Some(origin) = allowed_origin {
        cors::add_headers(&mut response, &origin);
    }
    response
}

/// What the handler keeps from the view; the lock is not held across awaits.
struct Target {
    property_domain: String,
    allow_subdomains: bool,
    honor_privacy_signals: bool,
    cookieless: bool,
}

async fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    allowed_origin: &mut Option<String>,
) -> Result<HttpResponse, EdgeError> {
    let config = &state.config;
    let ip = client_ip(req, &config.client_ip);
    if let Some(ip) = ip {
        state.limits.check_ip(ip)?;
    }
    let media = media_type(req).unwrap_or_default();
    if !ACCEPTED_TYPES.contains(&media.as_str()) {
        return Err(EdgeError::UnsupportedType(if media.is_empty() {
            "(none)".into()
        } else {
            media
        }));
    }
    let body = read_limited(req, payload, config.beacon_body()).await?;
    let batch = parse_collect(&body, config.max_events)?;
    // The body may be a slice of the connection's read buffer: held across the broker's
    // acknowledgement it would keep that buffer from being reused (measured: Kafka path 0.9x ->
    // 0.5x of the bare producer), so it goes as soon as it is parsed.
    drop(body);
    let target = authorize(state, &batch)?;
    crate::stats::mark_property(req, batch.property_id);

    let (origin, origin_host) = cors::request_origin(req).ok_or(EdgeError::OriginNotAllowed)?;
    if !schemas::control::domain::origin_allowed(
        &target.property_domain,
        &origin_host,
        target.allow_subdomains,
    ) && !config.dev_origins.contains(&origin)
    {
        return Err(EdgeError::OriginNotAllowed);
    }
    *allowed_origin = Some(origin);
    state.limits.check_tag(&batch.key_id, ip)?;

    if target.honor_privacy_signals && batch.privacy_signal {
        return Ok(HttpResponse::Accepted().json(
            json!({ "accepted": 0, "dropped": batch.events.len(), "reason": "privacy_signal" }),
        ));
    }
    let received_at = chrono::Utc::now().timestamp_millis();
    let request_id = new_id();
    let origin = network_origin(
        &state.networks,
        ip,
        country(req, config.country_header.as_deref(), &config.client_ip),
    );
    let user_agent = truncate_chars(
        req.headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        1024,
    )
    .to_owned();
    let ids = identify(state, &target, &batch, ip, &user_agent)?;
    let key = visitor_key(batch.property_id, &ids.visitor_id);
    let count = batch.events.len();
    // One beacon whose per-event fields are replaced in turn: the request's fields are shared by
    // every event and need no copy each.
    let mut beacon = Beacon {
        event_id: String::new(),
        received_at,
        request_id,
        key_id: batch.key_id,
        project_id: batch.project_id,
        property_id: batch.property_id,
        visitor_id: ids.visitor_id,
        user_agent,
        ip_hash: ids.ip_hash,
        country: origin.country,
        asn: origin.asn,
        as_organization: origin.as_organization,
        tag: None,
        hit: None,
    };
    let mut records = Vec::with_capacity(count);
    // The session id moves from event to event instead of being copied for each.
    let mut session_id = ids.session_id;
    for incoming in batch.events {
        beacon.event_id = incoming.id.unwrap_or_else(new_id);
        beacon.tag = Some(TagEvent {
            session_id,
            ..incoming.event
        });
        records.push(encode_record(key.clone(), &beacon));
        session_id = beacon.tag.take().and_then(|tag| tag.session_id);
    }
    deliver(req, state, records).await?;
    // Written out rather than through serde_json::Value: this is the answer to every beacon.
    // `cookieless` tells a tag from a snippet older than the switch to drop what it stored.
    let body = if target.cookieless {
        format!(r#"{{"accepted":{count},"cookieless":true}}"#)
    } else {
        format!(r#"{{"accepted":{count}}}"#)
    };
    Ok(HttpResponse::Accepted()
        .content_type("application/json")
        .body(body))
}

/// Who sent the events, as the beacons record it.
struct Ids {
    visitor_id: String,
    session_id: Option<String>,
    ip_hash: String,
}

/// A cookieless property's visitor is derived here from today's salt, whatever the tag sent: a
/// stale snippet's stored ids would let days be linked. Sessions then come from the processors'
/// inactivity rule alone. A tag that sent no id is a cookieless snippet still on the pages of a
/// property switched back to cookies: it is counted the same way rather than refused.
fn identify(
    state: &AppState,
    target: &Target,
    batch: &CollectBatch,
    ip: Option<std::net::IpAddr>,
    user_agent: &str,
) -> Result<Ids, EdgeError> {
    let visitor_id = batch.visitor_id.as_ref().filter(|_| !target.cookieless);
    let Some(visitor_id) = visitor_id else {
        let salt = state.cookieless.current().map_err(|error| {
            tracing::error!(%error, "no cookieless salt; refusing the beacon rather than storing an id");
            EdgeError::Unavailable
        })?;
        return Ok(Ids {
            visitor_id: cookieless::visitor_id(&salt, ip, user_agent, batch.property_id),
            session_id: None,
            ip_hash: ip
                .map(|ip| cookieless::visitor::ip_hash(&salt, ip))
                .unwrap_or_default(),
        });
    };
    Ok(Ids {
        visitor_id: visitor_id.clone(),
        session_id: batch.session_id.clone(),
        ip_hash: ip
            .map(|ip| ip_hash(&state.config.ip_salt, ip))
            .unwrap_or_default(),
    })
}

/// Key → property checks, in the order that tells the caller the most precise error.
fn authorize(state: &AppState, batch: &CollectBatch) -> Result<Target, EdgeError> {
    let view = state.control.view();
    let ctx = view
        .key_context(&batch.key_id)
        .ok_or(EdgeError::UnknownKey)?;
    key_access::require(&ctx, Permission::Collect)?;
    if ctx.project.id != batch.project_id {
        return Err(EdgeError::KeyMismatch {
            field: "project_id",
        });
    }
    if ctx.property.id != batch.property_id {
        return Err(EdgeError::KeyMismatch {
            field: "property_id",
        });
    }
    Ok(Target {
        property_domain: ctx.property.domain.clone(),
        allow_subdomains: ctx.property.allow_subdomains,
        honor_privacy_signals: ctx.property.honor_privacy_signals,
        cookieless: ctx.property.cookieless,
    })
}

pub(crate) fn encode_record(key: String, beacon: &Beacon) -> Record {
    Record {
        key,
        payload: crate::avro::encode_beacon(beacon),
    }
}

/// Answers only after the sink confirmed every record durable.
pub(crate) async fn deliver(
    req: &HttpRequest,
    state: &AppState,
    records: Vec<Record>,
) -> Result<(), EdgeError> {
    let count = records.len();
    state.sink.send_batch(records).await.map_err(|e| match e {
        SinkError::Unavailable => EdgeError::Unavailable,
        SinkError::Overloaded => EdgeError::Overloaded,
    })?;
    crate::stats::mark_events(req, count);
    metrics::counter!(crate::telemetry::EVENTS_ACCEPTED).increment(count as u64);
    Ok(())
}
