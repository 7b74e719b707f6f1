//! `/v1/hits` bodies, NDJSON and combined log: parse, Avro round trip, enrichment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::{classify, edge};

fuzz_target!(|input: &[u8]| {
    for beacon in edge::hits(input).unwrap_or_default() {
        classify::enrich(&beacon);
    }
});
