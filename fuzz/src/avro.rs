//! The Avro decoders of the beacons and control topics under fuzzing: whatever bytes arrive, the
//! decoders answer a value or a typed error, and a value they answer survives a round trip.
//!
//! Shared by the libFuzzer targets and `schemas/tests/fuzz_decoders.rs` (included by path).

use std::sync::LazyLock;

use schemas::beacon::Beacon;
use schemas::control::{ControlEvent, ControlView};
use schemas::{Contract, SchemaRegistry};

static REGISTRY: LazyLock<SchemaRegistry> = LazyLock::new(SchemaRegistry::builtin);

/// A message off `optiview.beacons.v1`: the beacon it decodes to, if any.
pub fn beacon(bytes: &[u8]) -> Option<Beacon> {
    let beacon = decode::<Beacon>(bytes)?;
    let again = decode::<Beacon>(&encode(&beacon)).expect("a re-encoded beacon decodes");
    assert_eq!(
        comparable(&again),
        comparable(&beacon),
        "the beacon changed in the round trip"
    );
    Some(beacon)
}

/// A message off `optiview.control.v1`: the event it decodes to, if any, after the view folded it.
pub fn control(bytes: &[u8]) -> Option<ControlEvent> {
    let event = decode::<ControlEvent>(bytes)?;
    let again = decode::<ControlEvent>(&encode(&event)).expect("a re-encoded event decodes");
    assert_eq!(again, event, "the control event changed in the round trip");
    // The follower folds whatever the topic carries; a malformed event is an error, not a panic.
    let folded = ControlView::new().apply(&event);
    assert_eq!(
        folded.is_ok(),
        event.entity().is_some(),
        "an event folds exactly when it carries an entity"
    );
    Some(event)
}

/// Typed decoding, checked against the ops tool's untyped decoding of the same bytes: both read
/// the datum with the writer schema, so the typed one cannot succeed where the untyped one fails.
fn decode<T: Contract>(bytes: &[u8]) -> Option<T> {
    let typed = REGISTRY.decode::<T>(bytes);
    let untyped = REGISTRY.decode_json(bytes);
    if let (Ok(_), Err(e)) = (&typed, &untyped) {
        panic!("the typed decoder read a datum the JSON decoder rejects: {e}");
    }
    typed.ok()
}

fn encode<T: Contract>(value: &T) -> Vec<u8> {
    schemas::encode(value).expect("a decoded value encodes with its own schema")
}

/// NaN is not equal to itself; its bits are. The beacon with its value's bits set aside.
fn comparable(beacon: &Beacon) -> (Beacon, Option<u64>) {
    let mut copy = beacon.clone();
    let bits = copy
        .tag
        .as_mut()
        .and_then(|t| t.value.take())
        .map(f64::to_bits);
    (copy, bits)
}
