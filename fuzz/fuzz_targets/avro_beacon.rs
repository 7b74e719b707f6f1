//! Messages off the beacons topic: decode, round trip, enrichment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::{avro, classify};

fuzz_target!(|bytes: &[u8]| {
    if let Some(beacon) = avro::beacon(bytes) {
        classify::enrich(&beacon);
    }
});
