//! The guest sysfs parsers of `vnuma verify` (node lists, distance rows, meminfo).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::sysfs(data));
