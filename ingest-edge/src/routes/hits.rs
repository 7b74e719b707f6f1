//! `POST /v1/hits`: server-side hits forwarded from a partner's edge, authenticated by the key's
//! secret. The hit's IP travels to the processors for crawler verification only sealed with the
//! day's address key (`platform::raw_address`), which is destroyed after the verification window;
//! beside it the beacon keeps the salted hash of its truncated form.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use schemas::beacon::{Beacon, SealedAddress};
use schemas::control::ids::hash_secret;
use schemas::control::Permission;
use schemas::topics::visitor_key;

use super::collect::{deliver, encode_record};
use super::key_access;
use crate::body::{for_each_chunk, media_type};
use crate::enrich::{client_ip, ip_hash, network_origin, new_id, server_visitor_id};
use crate::error::EdgeError;
use crate::payload::hits::{HitFormat, HitLines};
use crate::payload::IncomingHit;
use crate::sink::Record;
use crate::state::AppState;

struct Target {
    key_id: String,
    project_id: String,
    property_id: i64,
    domain: String,
}

fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Target, EdgeError> {
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(EdgeError::MissingSecret)?;
    let view = state.control.view();
    let ctx = view
        .key_context_by_secret_hash(&hash_secret(secret))
        .ok_or(EdgeError::UnknownKey)?;
    key_access::require(&ctx, Permission::Hits)?;
    Ok(Target {
        key_id: ctx.key.id.clone(),
        project_id: ctx.project.id.clone(),
        property_id: ctx.property.id,
        domain: ctx.property.domain.clone(),
    })
}

pub async fn hits(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, EdgeError> {
    let config = &state.config;
    if let Some(ip) = client_ip(&req, &config.client_ip) {
        state.limits.check_ip(ip)?;
    }
    let target = authenticate(&req, &state)?;
    crate::stats::mark_property(&req, target.property_id);
    let format = match media_type(&req).as_deref() {
        Some(
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/json",
        ) => HitFormat::NdJson,
        Some("text/plain") => HitFormat::CombinedLog,
        other => {
            return Err(EdgeError::UnsupportedType(
                other.unwrap_or("(none)").to_owned(),
            ))
        }
    };
    // Before the body: a batch of megabytes is not read only to be refused.
    state.limits.check_key(&target.key_id)?;

    let now = chrono::Utc::now();
    let mut batch = Batch {
        state: &state,
        now,
        // One beacon whose per-hit fields are replaced in turn: the request's are shared by
        // every line and need no copy each.
        beacon: Beacon {
            event_id: String::new(),
            received_at: now.timestamp_millis(),
            request_id: new_id(),
            key_id: target.key_id.clone(),
            project_id: target.project_id.clone(),
            property_id: target.property_id,
            visitor_id: String::new(),
            user_agent: String::new(),
            ip_hash: String::new(),
            country: None,
            asn: None,
            as_organization: None,
            tag: None,
            hit: None,
        },
        records: Vec::new(),
    };
    let mut accept = |incoming| batch.add(incoming);
    let mut lines = HitLines::new(format, &target.domain, config.max_hits_lines);
    // Each line is validated and encoded as it arrives; nothing is sent until the whole body was
    // read and every line was good, so a bad line or an oversized batch lands nothing.
    for_each_chunk(&req, payload, config.hits_body(), |piece| {
        lines.push(&piece, &mut accept)
    })
    .await?;
    let count = lines.finish(&mut accept)?;
    deliver(&req, &state, batch.records).await?;
    Ok(HttpResponse::Accepted()
        .content_type("application/json")
        .body(format!(r#"{{"accepted":{count}}}"#)))
}

/// The records of one request's hits, encoded as their lines are parsed.
struct Batch<'r> {
    state: &'r AppState,
    now: chrono::DateTime<chrono::Utc>,
    beacon: Beacon,
    records: Vec<Record>,
}

impl Batch<'_> {
    fn add(&mut self, incoming: IncomingHit) -> Result<(), EdgeError> {
        let state = self.state;
        let salt = &state.config.ip_salt;
        let (user_agent, mut hit) = (incoming.user_agent, incoming.hit);
        let visitor_id = server_visitor_id(salt, hit.ip.as_deref(), &user_agent);
        let address = hit.ip.as_deref().and_then(|ip| ip.parse().ok());
        // The partner's server forwards its client's address; no header of its speaks for
        // that client's country.
        let origin = network_origin(&state.networks, address, None);
        let event_id = new_id();
        hit.sealed_ip = seal(state, hit.ip.take(), &event_id, self.now)?;
        let key = visitor_key(self.beacon.property_id, &visitor_id);
        let beacon = &mut self.beacon;
        beacon.event_id = event_id;
        beacon.visitor_id = visitor_id;
        beacon.user_agent = user_agent;
        beacon.ip_hash = address.map(|ip| ip_hash(salt, ip)).unwrap_or_default();
        beacon.country = origin.country;
        beacon.asn = origin.asn;
        beacon.as_organization = origin.as_organization;
        beacon.hit = Some(hit);
        self.records.push(encode_record(key, beacon));
        Ok(())
    }
}

/// The address as the topic may carry it: sealed with today's key, or not at all.
fn seal(
    state: &AppState,
    address: Option<String>,
    event_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<SealedAddress>, EdgeError> {
    let (Some(address), Some(keys)) = (address, &state.address_keys) else {
        return Ok(None);
    };
    keys.seal(&address, event_id, now)
        .map(Some)
        .map_err(|error| {
            // The error names the key directory, never the address or a key.
            tracing::error!(%error, "no address key to seal with; refusing the hits");
            EdgeError::Unavailable
        })
}
