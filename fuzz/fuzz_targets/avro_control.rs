//! Messages off the control topic: decode, round trip, fold into the view.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optiview_fuzz::avro;

fuzz_target!(|bytes: &[u8]| {
    avro::control(bytes);
});
