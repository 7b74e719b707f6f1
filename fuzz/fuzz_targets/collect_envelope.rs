//! `/v1/collect` bodies: parse, Avro round trip, enrichment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::{classify, edge};

fuzz_target!(|body: &[u8]| {
    for beacon in edge::collect(body).unwrap_or_default() {
        classify::enrich(&beacon);
    }
});
