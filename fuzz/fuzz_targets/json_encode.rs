//! The JSON form of `vnuma encode`: arbitrary JSON never panics; what is accepted encodes
//! into a table that decodes again.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::json_encode(data));
