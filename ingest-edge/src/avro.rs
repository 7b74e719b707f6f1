//! The beacon's Avro single-object encoding written by hand, field by field in `beacon.avsc`'s
//! order: apache-avro's serializer looks every field up by name and buffers every map entry in a
//! `Vec` of its own, which made encoding the largest cost per event after HTTP itself. The bytes
//! are the same as `schemas::encode`'s (tests below compare them for every shape of beacon), so
//! readers see no difference. The structs are destructured without `..`: a field added to the
//! contract does not compile here until it is written.

use std::collections::HashMap;

use schemas::beacon::{Beacon, SealedAddress, ServerHit, TagEvent, TagEventType};
use schemas::codec::{Contract, MARKER};

/// Beacons are ~300–600 B; one allocation of this size is enough for nearly all.
const TYPICAL_LEN: usize = 512;

/// `beacon` as `schemas::encode` writes it: marker, schema fingerprint, datum.
pub fn encode_beacon(beacon: &Beacon) -> Vec<u8> {
    let mut out = Vec::with_capacity(TYPICAL_LEN);
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&Beacon::fingerprint());
    write_beacon(&mut out, beacon);
    out
}

fn write_beacon(out: &mut Vec<u8>, beacon: &Beacon) {
    let Beacon {
        event_id,
        received_at,
        request_id,
        key_id,
        project_id,
        property_id,
        visitor_id,
        user_agent,
        ip_hash,
        country,
        asn,
        as_organization,
        tag,
        hit,
    } = beacon;
    string(out, event_id);
    long(out, *received_at);
    string(out, request_id);
    string(out, key_id);
    string(out, project_id);
    long(out, *property_id);
    string(out, visitor_id);
    string(out, user_agent);
    string(out, ip_hash);
    optional(out, country.as_deref(), string);
    optional(out, *asn, long);
    optional(out, as_organization.as_deref(), string);
    optional(out, tag.as_ref(), write_tag);
    optional(out, hit.as_ref(), write_hit);
}

fn write_tag(out: &mut Vec<u8>, tag: &TagEvent) {
    let TagEvent {
        event_type,
        client_ts,
        session_id,
        url,
        referrer,
        title,
        screen,
        language,
        time_zone,
        utm,
        name,
        props,
        value,
        currency,
        automation,
    } = tag;
    // The enum's symbols in the schema's order.
    long(
        out,
        match event_type {
            TagEventType::Pageview => 0,
            TagEventType::Click => 1,
            TagEventType::Custom => 2,
            TagEventType::Conversion => 3,
        },
    );
    optional(out, *client_ts, long);
    optional(out, session_id.as_deref(), string);
    string(out, url);
    optional(out, referrer.as_deref(), string);
    optional(out, title.as_deref(), string);
    optional(out, screen.as_deref(), string);
    optional(out, language.as_deref(), string);
    optional(out, time_zone.as_deref(), string);
    map(out, utm);
    optional(out, name.as_deref(), string);
    map(out, props);
    optional(out, *value, |out, v: f64| {
        out.extend_from_slice(&v.to_le_bytes())
    });
    optional(out, currency.as_deref(), string);
    optional(out, automation.map(i64::from), long);
}

fn write_hit(out: &mut Vec<u8>, hit: &ServerHit) {
    let ServerHit {
        ts,
        method,
        host,
        path,
        query,
        status,
        ip,
        referrer,
        bytes,
        response_ms,
        signature,
        signature_input,
        signature_agent,
        sealed_ip,
    } = hit;
    long(out, *ts);
    string(out, method);
    string(out, host);
    string(out, path);
    optional(out, query.as_deref(), string);
    long(out, i64::from(*status));
    optional(out, ip.as_deref(), string);
    optional(out, referrer.as_deref(), string);
    optional(out, *bytes, long);
    optional(out, response_ms.map(i64::from), long);
    optional(out, signature.as_deref(), string);
    optional(out, signature_input.as_deref(), string);
    optional(out, signature_agent.as_deref(), string);
    optional(out, sealed_ip.as_ref(), write_sealed);
}

fn write_sealed(out: &mut Vec<u8>, sealed: &SealedAddress) {
    let SealedAddress {
        key_day,
        nonce,
        ciphertext,
    } = sealed;
    string(out, key_day);
    bytes(out, nonce);
    bytes(out, ciphertext);
}

/// `["null", T]`: branch 0 for `None`, branch 1 then the value.
fn optional<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(2); // zig-zag 1
            write(out, v);
        }
    }
}

/// One block of every entry, then the empty block that ends the map (none at all when empty).
fn map(out: &mut Vec<u8>, entries: &HashMap<String, String>) {
    if !entries.is_empty() {
        long(out, entries.len() as i64);
        for (k, v) in entries {
            string(out, k);
            string(out, v);
        }
    }
    out.push(0);
}

fn string(out: &mut Vec<u8>, s: &str) {
    bytes(out, s.as_bytes());
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    long(out, b.len() as i64);
    out.extend_from_slice(b);
}

/// Zig-zag variable-length `long` (`int` is written the same way).
fn long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemas::vocab::Vocabulary;
    use schemas::SchemaRegistry;

    fn assert_same(beacon: &Beacon) {
        let by_hand = encode_beacon(beacon);
        assert_eq!(
            by_hand,
            schemas::encode(beacon).unwrap(),
            "bytes differ for {beacon:?}"
        );
        let decoded: Beacon = SchemaRegistry::builtin().decode(&by_hand).unwrap();
        assert_eq!(&decoded, beacon);
    }

    fn text(n: usize) -> String {
        // Multi-byte characters and every length class of the varint (1, 2 and 3 bytes).
        "é🙂a".chars().cycle().take(n).collect()
    }

    fn full_tag() -> TagEvent {
        TagEvent {
            event_type: TagEventType::Conversion,
            client_ts: Some(1_795_515_332_000),
            session_id: Some("s-1".into()),
            url: "https://acme.com/docs?utm_source=chatgpt.com".into(),
            referrer: Some("https://chatgpt.com/".into()),
            title: Some(text(300)),
            screen: Some("1920x1080".into()),
            language: Some("de-DE".into()),
            time_zone: Some("Europe/Berlin".into()),
            utm: [("utm_source".to_owned(), "chatgpt.com".to_owned())].into(),
            name: Some("signup".into()),
            props: (0..25).map(|i| (format!("k{i}"), text(i * 20))).collect(),
            value: Some(49.95),
            currency: Some("EUR".into()),
            automation: Some(3),
        }
    }

    fn full_hit() -> ServerHit {
        ServerHit {
            ts: 1_795_515_332_000,
            method: "GET".into(),
            host: "acme.com".into(),
            path: "/docs/pricing".into(),
            query: Some("ref=x".into()),
            status: 404,
            ip: Some("203.0.113.7".into()),
            referrer: Some("https://chatgpt.com/".into()),
            bytes: Some(i64::MAX),
            response_ms: Some(i32::MAX),
            signature: Some(text(4096)),
            signature_input: Some("sig1=(\"@authority\")".into()),
            signature_agent: Some("\"https://chatgpt.com\"".into()),
            sealed_ip: Some(SealedAddress {
                key_day: "2026-11-24".into(),
                nonce: (0..24).collect(),
                ciphertext: (0..=255).collect(),
            }),
        }
    }

    #[test]
    fn the_sample_beacon_encodes_to_the_same_bytes() {
        assert_same(&schemas::fixtures::sample_tag_beacon());
    }

    #[test]
    fn every_field_set_and_every_field_empty_encode_to_the_same_bytes() {
        let mut beacon = schemas::fixtures::sample_tag_beacon();
        beacon.received_at = i64::MIN;
        beacon.property_id = i64::MAX;
        beacon.user_agent = text(1024);
        beacon.country = Some("DE".into());
        beacon.asn = Some(-64_500);
        beacon.as_organization = Some("Example Hosting".into());
        beacon.tag = Some(full_tag());
        assert_same(&beacon);

        let hit = Beacon {
            tag: None,
            hit: Some(full_hit()),
            ..beacon.clone()
        };
        assert_same(&hit);

        let bare = Beacon {
            event_id: String::new(),
            received_at: 0,
            request_id: String::new(),
            key_id: String::new(),
            project_id: String::new(),
            property_id: -1,
            visitor_id: String::new(),
            user_agent: String::new(),
            ip_hash: String::new(),
            country: None,
            asn: None,
            as_organization: None,
            tag: None,
            hit: None,
        };
        assert_same(&bare);
        let empty_tag = TagEvent {
            event_type: TagEventType::Pageview,
            client_ts: None,
            session_id: None,
            url: String::new(),
            referrer: None,
            title: None,
            screen: None,
            language: None,
            time_zone: None,
            utm: HashMap::new(),
            name: None,
            props: HashMap::new(),
            value: None,
            currency: None,
            automation: None,
        };
        assert_same(&Beacon {
            tag: Some(empty_tag),
            ..bare.clone()
        });
        let empty_hit = ServerHit {
            query: None,
            ip: None,
            referrer: None,
            bytes: None,
            response_ms: None,
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
            ..full_hit()
        };
        assert_same(&Beacon {
            hit: Some(empty_hit),
            ..bare
        });
    }

    #[test]
    fn each_event_type_and_boundary_numbers_encode_to_the_same_bytes() {
        for (event_type, n) in TagEventType::ALL.iter().zip([0i64, 63, 64, -65]) {
            let mut beacon = schemas::fixtures::sample_tag_beacon();
            let mut tag = full_tag();
            tag.event_type = *event_type;
            tag.client_ts = Some(n);
            tag.value = Some(-0.0);
            tag.automation = Some(i32::MIN);
            beacon.tag = Some(tag);
            beacon.received_at = n * 1_000_003;
            assert_same(&beacon);
        }
    }
}
