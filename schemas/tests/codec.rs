//! Single-object encoding: round trips, schema evolution both ways, typed errors.

use std::collections::HashMap;

use apache_avro::Schema;
use schemas::beacon::{Beacon, SealedAddress, ServerHit};
use schemas::codec::{compile_once, Compiled};
use schemas::control::{ControlEvent, Entity, Organization, Plan};
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::edge_stats::EdgeStats;
use schemas::session::SessionUpdate;
use schemas::{encode, Contract, DecodeError, SchemaRegistry};
use serde::{Deserialize, Serialize};

fn tag_beacon() -> Beacon {
    schemas::fixtures::sample_tag_beacon()
}

fn server_beacon() -> Beacon {
    Beacon {
        tag: None,
        hit: Some(ServerHit {
            ts: 1_764_000_000_000,
            method: "GET".into(),
            host: "example.com".into(),
            path: "/docs".into(),
            query: None,
            status: 200,
            ip: None,
            referrer: None,
            bytes: Some(5120),
            response_ms: Some(12),
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: Some(SealedAddress {
                key_day: "2025-11-24".into(),
                nonce: vec![7; 24],
                ciphertext: vec![0, 1, 2, 255],
            }),
        }),
        ..tag_beacon()
    }
}

fn registry() -> SchemaRegistry {
    SchemaRegistry::builtin()
}

#[test]
fn beacons_round_trip_with_marker_and_fingerprint() {
    for beacon in [tag_beacon(), server_beacon()] {
        let bytes = encode(&beacon).unwrap();
        assert_eq!(&bytes[..2], &[0xC3, 0x01]);
        assert_eq!(&bytes[2..10], &Beacon::fingerprint());
        assert_eq!(registry().decode::<Beacon>(&bytes).unwrap(), beacon);
    }
}

#[test]
fn every_topic_contract_round_trips() {
    let r = registry();

    let session = SessionUpdate {
        session_id: "s".into(),
        organization_id: "org_AbCdEfGh12".into(),
        project_id: "prj_AbCdEfGh12".into(),
        property_id: 7,
        visitor_id: "v".into(),
        started_at: 1,
        last_seen_at: 5,
        pageviews: 3,
        events: 4,
        entry_url: "https://example.com/".into(),
        exit_url: "https://example.com/buy".into(),
        referrer_host: Some("chatgpt.com".into()),
        ai_source: Some("chatgpt".into()),
        agent_class: "human".into(),
        converted: true,
        conversions: 1,
        conversion_value: 10.0,
        closed: false,
        input_offset: 99,
        version: 4,
        opened_at: 1,
        referrer: Some("https://chatgpt.com/".into()),
        channel: "ai".into(),
        utm: HashMap::from([("utm_source".into(), "chatgpt.com".into())]),
        seen: vec![3_000_000_000, 17],
        last_ai_source: Some("ChatGPT".into()),
        last_ai_at: Some(1),
        watermark: 5,
    };
    assert_eq!(
        r.decode::<SessionUpdate>(&encode(&session).unwrap())
            .unwrap(),
        session
    );

    let dead = DeadLetter {
        at: 1,
        stage: "enrich".into(),
        source_topic: "optiview.beacons.v1".into(),
        source_partition: 3,
        source_offset: 17,
        reason: DeadLetterReason::Undecodable,
        detail: "bad marker".into(),
        original: vec![0, 1, 2, 255],
    };
    assert_eq!(
        r.decode::<DeadLetter>(&encode(&dead).unwrap()).unwrap(),
        dead
    );

    let stats = EdgeStats {
        instance_id: "edge-1".into(),
        minute: 60_000,
        requests: 10,
        events: 12,
        errors: HashMap::from([("4xx_auth".into(), 2)]),
        latency_bounds_ms: vec![1.0, 5.0],
        latency_counts: vec![4, 5, 1],
        properties: vec![schemas::edge_stats::PropertyEdgeStats {
            property_id: 7,
            requests: 8,
            events: 12,
            errors: HashMap::from([("4xx_client".into(), 1)]),
            latency_counts: vec![3, 4, 1],
        }],
    };
    assert_eq!(
        r.decode::<EdgeStats>(&encode(&stats).unwrap()).unwrap(),
        stats
    );

    let org = Organization {
        id: "org_AbCdEfGh12".into(),
        name: "Acme".into(),
        domain: "acme.com".into(),
        plan: Plan::Growth,
        created_at: 3,
    };
    let control = ControlEvent::new(
        "admin-cli",
        "organization.created",
        &["name"],
        3,
        Entity::Organization(&org),
    );
    assert_eq!(
        r.decode::<ControlEvent>(&encode(&control).unwrap())
            .unwrap(),
        control
    );
}

/// The beacon schema as it would look one version later: one more optional field.
fn beacon_v2_json() -> String {
    let mut schema: serde_json::Value = serde_json::from_str(Beacon::SCHEMA_JSON).unwrap();
    schema["fields"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "name": "consent", "type": ["null", "string"], "default": null
        }));
    schema.to_string()
}

/// A Rust reader built against v2.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct BeaconV2 {
    event_id: String,
    property_id: i64,
    visitor_id: String,
    consent: Option<String>,
}

static V2: std::sync::OnceLock<Compiled> = std::sync::OnceLock::new();
static V2_JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl Contract for BeaconV2 {
    const SCHEMA_JSON: &'static str = "";
    fn compiled() -> &'static Compiled {
        compile_once(&V2, V2_JSON.get_or_init(beacon_v2_json))
    }
}

/// A real v2 message: the v1 record's values plus the new field, encoded with the v2 schema.
fn encode_v2(beacon: &Beacon, consent: &str) -> Vec<u8> {
    use apache_avro::types::Value;
    let Value::Record(mut fields) = apache_avro::to_value(beacon).unwrap() else {
        panic!("record")
    };
    fields.push((
        "consent".into(),
        Value::Union(1, Box::new(Value::String(consent.into()))),
    ));
    let value = Value::Record(fields).resolve(BeaconV2::schema()).unwrap();
    let mut bytes = schemas::codec::MARKER.to_vec();
    bytes.extend_from_slice(&BeaconV2::fingerprint());
    bytes.extend(apache_avro::to_avro_datum(BeaconV2::schema(), value).unwrap());
    bytes
}

#[test]
fn v1_reader_decodes_v2_messages_with_an_added_optional_field() {
    let v2_bytes = encode_v2(&tag_beacon(), "granted");
    assert_ne!(
        &v2_bytes[2..10],
        &Beacon::fingerprint(),
        "v2 must have its own fingerprint"
    );

    let mut registry = registry();
    assert_eq!(
        registry.decode::<Beacon>(&v2_bytes),
        Err(DecodeError::UnknownFingerprint(hex::encode(
            &v2_bytes[2..10]
        ))),
        "an unregistered writer schema is a typed error"
    );
    registry.register(BeaconV2::schema().clone());
    assert_eq!(registry.decode::<Beacon>(&v2_bytes).unwrap(), tag_beacon());
}

#[test]
fn v2_reader_decodes_v1_messages_taking_the_default() {
    let v1_bytes = encode(&tag_beacon()).unwrap();
    let decoded: BeaconV2 = registry().decode(&v1_bytes).unwrap();
    assert_eq!(
        decoded,
        BeaconV2 {
            event_id: tag_beacon().event_id,
            property_id: 42,
            visitor_id: "v-123".into(),
            consent: None
        }
    );
}

#[test]
fn unknown_fingerprint_is_a_typed_error() {
    let mut bytes = encode(&tag_beacon()).unwrap();
    bytes[2..10].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        registry().decode::<Beacon>(&bytes),
        Err(DecodeError::UnknownFingerprint("0102030405060708".into()))
    );
}

#[test]
fn missing_marker_is_a_typed_error() {
    let mut bytes = encode(&tag_beacon()).unwrap();
    bytes[0] = b'{';
    assert_eq!(
        registry().decode::<Beacon>(&bytes),
        Err(DecodeError::NotSingleObject)
    );
    assert_eq!(
        registry().decode::<Beacon>(&[0xC3]),
        Err(DecodeError::NotSingleObject)
    );
}

#[test]
fn corrupt_or_truncated_datum_is_a_typed_error() {
    let bytes = encode(&tag_beacon()).unwrap();
    // Cut inside the tag's `value` double: apache-avro decodes a datum missing only some of its
    // last bytes (where the optional fields are null) without an error, so a cut there proves
    // nothing. Records reach the codec whole (Kafka checks each batch's CRC).
    let truncated = &bytes[..bytes.len() - 10];
    assert!(matches!(
        registry().decode::<Beacon>(truncated),
        Err(DecodeError::Corrupt(_))
    ));

    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"junk");
    assert!(matches!(
        registry().decode::<Beacon>(&trailing),
        Err(DecodeError::Corrupt(_))
    ));
}

#[test]
fn decoding_as_the_wrong_contract_fails_cleanly() {
    let bytes = encode(&tag_beacon()).unwrap();
    let result = registry().decode::<SessionUpdate>(&bytes);
    assert!(
        matches!(
            result,
            Err(DecodeError::Corrupt(_)) | Err(DecodeError::Mismatch(_))
        ),
        "{result:?}"
    );
}

#[test]
fn decode_json_shows_the_writer_fields() {
    let json = registry()
        .decode_json(&encode(&server_beacon()).unwrap())
        .unwrap();
    assert_eq!(json["hit"]["path"], "/docs");
    assert_eq!(json["hit"]["status"], 200);
    assert_eq!(json["tag"], serde_json::Value::Null);
    assert_eq!(json["property_id"], 42);
}

#[test]
fn every_bundled_schema_has_a_distinct_fingerprint() {
    let mut fps: Vec<[u8; 8]> = schemas::all_schemas()
        .iter()
        .map(|s| schemas::codec::fingerprint_of(s))
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), schemas::all_schemas().len());
}

#[test]
fn fingerprint_is_crc64_avro_little_endian() {
    // Vector from the Avro specification's reference implementation: fingerprint64("int").
    let int = Schema::parse_str("\"int\"").unwrap();
    assert_eq!(
        u64::from_le_bytes(schemas::codec::fingerprint_of(&int)),
        0x7275_d51a_3f39_5c8f
    );
}

#[test]
fn dead_letter_reason_names_are_their_avro_symbols() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../avro/deadletter.avsc")).unwrap();
    let symbols: Vec<String> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "reason")
        .map(|f| serde_json::from_value(f["type"]["symbols"].clone()).unwrap())
        .unwrap();
    for symbol in &symbols {
        let reason: DeadLetterReason =
            serde_json::from_value(serde_json::Value::String(symbol.clone())).unwrap();
        assert_eq!(reason.as_str(), symbol);
    }
    assert_eq!(symbols.len(), 10);
}

/// What an edge writing `edge_stats.1` serialized.
#[derive(Serialize)]
struct OldEdgeStats {
    instance_id: String,
    minute: i64,
    requests: i64,
    events: i64,
    errors: HashMap<String, i64>,
    latency_bounds_ms: Vec<f64>,
    latency_counts: Vec<i64>,
}

impl From<&EdgeStats> for OldEdgeStats {
    fn from(s: &EdgeStats) -> Self {
        Self {
            instance_id: s.instance_id.clone(),
            minute: s.minute,
            requests: s.requests,
            events: s.events,
            errors: s.errors.clone(),
            latency_bounds_ms: s.latency_bounds_ms.clone(),
            latency_counts: s.latency_counts.clone(),
        }
    }
}

/// Encodes `value` as a message written with an earlier version of its contract.
fn encode_with(old_json: &str, value: &impl Serialize) -> Vec<u8> {
    let old = Schema::parse_str(old_json).unwrap();
    let datum = apache_avro::to_value(value).unwrap().resolve(&old).unwrap();
    let mut bytes = vec![0xC3, 0x01];
    bytes.extend_from_slice(&schemas::codec::fingerprint_of(&old));
    bytes.extend(apache_avro::to_avro_datum(&old, datum).unwrap());
    bytes
}

#[test]
fn messages_written_with_every_earlier_contract_version_still_decode() {
    use schemas::control::{Entity, User};
    let user = User {
        id: "usr_AbCdEfGh12".into(),
        email: "ada@acme.com".into(),
        name: "Ada".into(),
        created_at: 1,
        platform_admin: true,
        deactivated_at: Some(5),
        last_sign_in_at: Some(7),
    };
    let control = ControlEvent::new("test", "user.created", &["id"], 1, Entity::User(&user));
    // Written before users could be deactivated or their sign-ins recorded: active, pending.
    let old = encode_with(schemas::codec::HISTORY[2], &control);
    let decoded: ControlEvent = registry().decode(&old).unwrap();
    match decoded.entity() {
        Some(Entity::User(u)) => {
            assert!(u.platform_admin);
            assert!(u.is_active() && u.is_pending(), "{u:?}");
        }
        other => panic!("{other:?}"),
    }
    let old = encode_with(schemas::codec::HISTORY[0], &control);
    let decoded: ControlEvent = registry().decode(&old).unwrap();
    match decoded.entity() {
        Some(Entity::User(u)) => {
            assert_eq!(u.email, "ada@acme.com");
            assert!(
                !u.platform_admin,
                "the field's default: the old writer had no such flag"
            );
        }
        other => panic!("{other:?}"),
    }
    let stats = EdgeStats {
        instance_id: "edge-1".into(),
        minute: 60_000,
        requests: 3,
        events: 3,
        errors: HashMap::new(),
        latency_bounds_ms: vec![1.0],
        latency_counts: vec![2, 1],
        properties: vec![],
    };
    let old = encode_with(schemas::codec::HISTORY[5], &OldEdgeStats::from(&stats));
    let decoded: EdgeStats = registry().decode(&old).unwrap();
    assert_eq!(
        decoded, stats,
        "a record of an edge without the per-property breakdown reads as having none"
    );

    // A collector from before sealed addresses wrote the address in plain text.
    let mut plain = server_beacon();
    let hit = plain.hit.as_mut().unwrap();
    hit.sealed_ip = None;
    hit.ip = Some("20.15.240.64".into());
    let old = encode_with(schemas::codec::HISTORY[6], &plain);
    let decoded: Beacon = registry().decode(&old).unwrap();
    assert_eq!(
        decoded, plain,
        "an old server hit reads with its plain address, unsealed"
    );

    // A property written before cookieless mode existed keeps its cookies.
    let property = schemas::control::Property {
        id: 7,
        project_id: "prj_AbCdEfGh12".into(),
        domain: "acme.com".into(),
        kind: schemas::control::PropertyKind::Website,
        active: true,
        allow_subdomains: false,
        honor_privacy_signals: true,
        cookieless: true,
    };
    let control = ControlEvent::new(
        "test",
        "property.created",
        &["id"],
        1,
        Entity::Property(&property),
    );
    let old = encode_with(schemas::codec::HISTORY[2], &control);
    let decoded: ControlEvent = registry().decode(&old).unwrap();
    match decoded.entity() {
        Some(Entity::Property(p)) => {
            assert!(p.honor_privacy_signals);
            assert!(
                !p.cookieless,
                "the field's default: the old writer had no such flag"
            );
        }
        other => panic!("{other:?}"),
    }

    // Every history file parses and differs from the current versions.
    let current: Vec<[u8; 8]> = schemas::all_schemas()
        .iter()
        .map(|s| schemas::codec::fingerprint_of(s))
        .collect();
    for json in schemas::codec::HISTORY {
        let fp = schemas::codec::fingerprint_of(&Schema::parse_str(json).unwrap());
        assert!(
            !current.contains(&fp),
            "a history file equals a current contract"
        );
    }
}

/// apache-avro writes an enum variant by its index: every variant must come back as itself.
#[test]
fn every_enum_variant_survives_the_wire() {
    use schemas::control::{AnalystToken, Entity, Membership, Role, TokenScope};
    for role in [Role::Owner, Role::Admin, Role::Member] {
        let membership = Membership {
            organization_id: "org_AbCdEfGh12".into(),
            user_id: "usr_AbCdEfGh12".into(),
            role,
            active: true,
        };
        let event = ControlEvent::new(
            "t",
            "membership.set",
            &["role"],
            1,
            Entity::Membership(&membership),
        );
        let back: ControlEvent = registry().decode(&encode(&event).unwrap()).unwrap();
        assert_eq!(back.membership.unwrap().role, role);
    }
    assert!(
        Role::Owner > Role::Admin && Role::Admin > Role::Member,
        "ordered by power"
    );
    for scope in [TokenScope::Read, TokenScope::ReadWrite] {
        let token = AnalystToken {
            id: "tok_AbCdEfGh12".into(),
            organization_id: "org_AbCdEfGh12".into(),
            user_id: "usr_AbCdEfGh12".into(),
            name: "n".into(),
            scope,
            secret_hash: "0".repeat(64),
            revoked: false,
            created_at: 1,
        };
        let event = ControlEvent::new(
            "t",
            "analyst_token.created",
            &["scope"],
            1,
            Entity::AnalystToken(&token),
        );
        let back: ControlEvent = registry().decode(&encode(&event).unwrap()).unwrap();
        assert_eq!(back.analyst_token.unwrap().scope, scope);
    }
    for reason in [
        DeadLetterReason::Undecodable,
        DeadLetterReason::UnknownProperty,
        DeadLetterReason::SchemaViolation,
        DeadLetterReason::TimestampOutOfRange,
    ] {
        let letter = DeadLetter {
            at: 1,
            stage: "s".into(),
            source_topic: "t".into(),
            source_partition: 0,
            source_offset: 0,
            reason,
            detail: String::new(),
            original: vec![],
        };
        let back: DeadLetter = registry().decode(&encode(&letter).unwrap()).unwrap();
        assert_eq!(back.reason, reason);
    }
}
