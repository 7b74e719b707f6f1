//! Page URL and referrer: AI source and channel, consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::classify;

fuzz_target!(|input: &[u8]| {
    classify::referrer(input);
});
