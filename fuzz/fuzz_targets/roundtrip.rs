//! decode → encode → decode gives the same table, and re-encoding is byte-stable.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::roundtrip(data));
