//! Bounded fuzzing of the beacons and control decoders on the stable toolchain: the committed
//! corpus of the `cargo fuzz` targets, mutated from fixed seeds, through the properties those
//! targets check (`fuzz/src/avro.rs`): no panic, typed decoding agrees with the ops tool's, a
//! decoded value survives re-encoding, a control event folds exactly when it names an entity.

#[path = "../../fuzz/src/avro.rs"]
mod avro;

use schemas::mutate;

const MUTANTS: usize = 50_000;

/// Decoded inputs were common enough that the round-trip property was checked, not skipped.
fn assert_decoded(decoded: usize) {
    assert!(decoded > MUTANTS / 50, "only {decoded} inputs decoded");
}

#[test]
fn beacon_messages_decode_and_round_trip_or_are_typed_errors() {
    let mut decoded = 0;
    let corpus = mutate::corpus("avro_beacon");
    mutate::run(&corpus, 18, MUTANTS, |bytes| {
        decoded += usize::from(avro::beacon(bytes).is_some());
    });
    assert_decoded(decoded);
}

#[test]
fn control_messages_decode_round_trip_and_fold_or_are_typed_errors() {
    let mut decoded = 0;
    let corpus = mutate::corpus("avro_control");
    mutate::run(&corpus, 18, MUTANTS, |bytes| {
        decoded += usize::from(avro::control(bytes).is_some());
    });
    assert_decoded(decoded);
}
