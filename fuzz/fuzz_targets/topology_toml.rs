//! The topology file front end (`vnuma build`): arbitrary text never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::topology_toml(data));
