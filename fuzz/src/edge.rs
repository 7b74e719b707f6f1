//! The collector's parsers under fuzzing: every accepted body becomes beacons that survive the
//! Avro round trip; every rejected body is a 4xx whose JSON names a machine-readable `error`.
//!
//! Shared by the libFuzzer targets and `ingest-edge/tests/fuzz_parsers.rs` (included by path),
//! so the nightly run and the stable test check the same properties.

use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::ResponseError;
use ingest_edge::error::EdgeError;
use ingest_edge::payload::hits::HitFormat;
use ingest_edge::payload::{parse_collect, parse_hits, CollectBatch, IncomingHit};
use schemas::beacon::{Beacon, TagEvent};
use schemas::SchemaRegistry;

/// The collector's default batch limit (`--max-events`): large enough that the fuzzer reaches
/// the per-event checks, small enough that `batch_too_large` is reachable too.
pub const MAX_EVENTS: usize = 50;
/// Within the processors' accepted window of the fixtures' event times, so enrichment gets past
/// its clock check for most generated events.
pub const RECEIVED_AT: i64 = 1_795_515_332_000;
const SALT: &str = "fuzz-salt";
const USER_AGENT: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

static REGISTRY: LazyLock<SchemaRegistry> = LazyLock::new(SchemaRegistry::builtin);

/// `/v1/collect`: the beacons an accepted body produces, `None` when it was rejected.
pub fn collect(body: &[u8]) -> Option<Vec<Beacon>> {
    match parse_collect(body, MAX_EVENTS) {
        Ok(batch) => Some(round_trip_all(collect_beacons(batch))),
        Err(e) => {
            rejected(&e);
            None
        }
    }
}

/// `/v1/hits`: the first byte picks the format (its low bit: NDJSON or combined log), the rest
/// is the body, so one corpus covers both.
pub fn hits(input: &[u8]) -> Option<Vec<Beacon>> {
    let (format, body) = match input.split_first() {
        Some((b, body)) if b & 1 == 0 => (HitFormat::NdJson, body),
        Some((_, body)) => (HitFormat::CombinedLog, body),
        None => (HitFormat::NdJson, input),
    };
    match parse_hits(body, format, "acme.com", MAX_EVENTS) {
        Ok(parsed) => Some(round_trip_all(parsed.into_iter().map(hit_beacon).collect())),
        Err(e) => {
            rejected(&e);
            None
        }
    }
}

/// The beacons `routes::collect` builds: one per event, the envelope's fields shared. Ids and
/// times are fixed here so a failure reproduces.
fn collect_beacons(batch: CollectBatch) -> Vec<Beacon> {
    let shared = Beacon {
        event_id: String::new(),
        received_at: RECEIVED_AT,
        request_id: "fuzz-request".into(),
        key_id: batch.key_id,
        project_id: batch.project_id,
        property_id: batch.property_id,
        // A cookieless tag sends none; the edge's derived id needs the day's salt.
        visitor_id: batch.visitor_id.unwrap_or_else(|| "cl-fuzz".into()),
        user_agent: USER_AGENT.into(),
        ip_hash: String::new(),
        country: None,
        asn: None,
        as_organization: None,
        tag: None,
        hit: None,
    };
    batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, incoming)| Beacon {
            event_id: incoming.id.unwrap_or_else(|| format!("fuzz-event-{i}")),
            tag: Some(TagEvent {
                session_id: batch.session_id.clone(),
                ..incoming.event
            }),
            ..shared.clone()
        })
        .collect()
}

/// The beacon `routes::hits` builds around one hit.
fn hit_beacon(IncomingHit { user_agent, hit }: IncomingHit) -> Beacon {
    let visitor_id = ingest_edge::enrich::server_visitor_id(SALT, hit.ip.as_deref(), &user_agent);
    let ip_hash = hit
        .ip
        .as_deref()
        .and_then(|ip| ip.parse().ok())
        .map(|ip| ingest_edge::enrich::ip_hash(SALT, ip))
        .unwrap_or_default();
    Beacon {
        event_id: "fuzz-event".into(),
        received_at: RECEIVED_AT,
        request_id: "fuzz-request".into(),
        key_id: "key_fuzz".into(),
        project_id: "prj_fuzz".into(),
        property_id: 1,
        visitor_id,
        user_agent,
        ip_hash,
        country: None,
        asn: None,
        as_organization: None,
        tag: None,
        hit: Some(hit),
    }
}

/// What the edge writes, the processors must read back unchanged.
fn round_trip_all(beacons: Vec<Beacon>) -> Vec<Beacon> {
    for beacon in &beacons {
        let bytes = schemas::encode(beacon)
            .unwrap_or_else(|e| panic!("an accepted beacon does not encode: {e}\n{beacon:?}"));
        let decoded: Beacon = REGISTRY
            .decode(&bytes)
            .unwrap_or_else(|e| panic!("an accepted beacon does not decode: {e}\n{beacon:?}"));
        assert_eq!(
            &decoded, beacon,
            "the beacon changed in the Avro round trip"
        );
    }
    beacons
}

/// The client is at fault (4xx), and the body says how in a code a program can branch on.
fn rejected(error: &EdgeError) {
    let status = error.status_code();
    assert!(
        status.is_client_error(),
        "{error:?} answers {status}, not a 4xx"
    );
    let body = error
        .error_response()
        .into_body()
        .try_into_bytes()
        .unwrap_or_else(|_| panic!("{error:?} answers a streamed body"));
    let json: serde_json::Value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{error:?} answers non-JSON ({e})"));
    let code = json["error"].as_str().unwrap_or_default();
    assert_eq!(code, error.code(), "the body's error code: {json}");
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "error code {code:?} is not machine-readable"
    );
    if let EdgeError::Malformed { .. } = error {
        let field = json["field"].as_str().unwrap_or_default();
        assert!(!field.is_empty(), "a malformed body names no field: {json}");
    }
}
