//! Every decoder on arbitrary bytes: no panic, and an error's offset lies inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::table_decode(data));
