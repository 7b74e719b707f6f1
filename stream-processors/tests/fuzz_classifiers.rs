//! Bounded fuzzing of the classifiers on the stable toolchain: the committed corpus of the
//! `cargo fuzz` targets, mutated from fixed seeds, through the properties those targets check
//! (`fuzz/src/classify.rs`): no panic, robots without browsers and humans without agents, an AI
//! source exactly when the channel is AI, and any decodable beacon enriched or rejected.

#[path = "../../fuzz/src/classify.rs"]
mod classify;

use std::collections::HashSet;

use schemas::beacon::Beacon;
use schemas::mutate;
use schemas::SchemaRegistry;

// Debug builds run the uap regexes at about 1 ms a user agent; the attributor takes 10 µs.
const USER_AGENTS: usize = 10_000;
const REFERRALS: usize = 100_000;
const BEACONS: usize = 20_000;

#[test]
fn user_agents_classify_consistently() {
    let mut classes = HashSet::new();
    let corpus = mutate::corpus("classify_user_agent");
    mutate::run(&corpus, 18, USER_AGENTS, |ua| {
        classes.insert(classify::user_agent(ua));
    });
    // Humans and several kinds of robot were reached, so both halves of the property ran.
    assert!(classes.len() >= 4, "classes reached: {classes:?}");
}

#[test]
fn page_and_referrer_pairs_attribute_consistently() {
    let mut channels = HashSet::new();
    let corpus = mutate::corpus("attribute_referrer");
    mutate::run(&corpus, 18, REFERRALS, |input| {
        channels.insert(classify::referrer(input).channel);
    });
    assert!(channels.len() >= 4, "channels reached: {channels:?}");
}

#[test]
fn decodable_beacons_enrich_or_are_rejected_with_a_reason() {
    let registry = SchemaRegistry::builtin();
    let (mut enriched, mut rejected) = (0, 0);
    let corpus = mutate::corpus("avro_beacon");
    mutate::run(&corpus, 18, BEACONS, |bytes| {
        if let Ok(beacon) = registry.decode::<Beacon>(bytes) {
            if classify::enrich(&beacon) {
                enriched += 1;
            } else {
                rejected += 1;
            }
        }
    });
    assert!(
        enriched > 100 && rejected > 100,
        "enriched {enriched}, rejected {rejected}"
    );
}
