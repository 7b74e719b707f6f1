//! User agents: robot or human, consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::classify;

fuzz_target!(|ua: &[u8]| {
    classify::user_agent(ua);
});
