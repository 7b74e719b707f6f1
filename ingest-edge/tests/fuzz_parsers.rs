//! Bounded fuzzing of the collector's parsers on the stable toolchain: the committed corpus of
//! the `cargo fuzz` targets, mutated from fixed seeds, through the properties those targets check
//! (`fuzz/src/edge.rs`): an accepted body's beacons survive the Avro round trip, a rejected one
//! answers a 4xx with a machine-readable `error` code.

#[path = "../../fuzz/src/edge.rs"]
mod edge;

use schemas::mutate;

const MUTANTS: usize = 50_000;

/// Both outcomes were reached hundreds of times, so neither property was checked vacuously (most
/// mutants of a JSON envelope are rejected: about 1.5 % are still accepted).
fn assert_both(accepted: usize, rejected: usize) {
    assert!(
        accepted > MUTANTS / 200 && rejected > MUTANTS / 200,
        "accepted {accepted}, rejected {rejected}"
    );
}

#[test]
fn collect_bodies_round_trip_as_beacons_or_answer_a_4xx_code() {
    let (mut accepted, mut rejected) = (0, 0);
    let corpus = mutate::corpus("collect_envelope");
    mutate::run(&corpus, 18, MUTANTS, |body| match edge::collect(body) {
        Some(_) => accepted += 1,
        None => rejected += 1,
    });
    assert_both(accepted, rejected);
}

#[test]
fn hits_bodies_round_trip_as_beacons_or_answer_a_4xx_code() {
    let (mut accepted, mut rejected) = (0, 0);
    let corpus = mutate::corpus("hits_ndjson_clf");
    mutate::run(&corpus, 18, MUTANTS, |input| match edge::hits(input) {
        Some(_) => accepted += 1,
        None => rejected += 1,
    });
    assert_both(accepted, rejected);
}
