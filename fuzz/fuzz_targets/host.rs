//! Host discovery (`vnuma::front::host::discover`) on a small tree whose files hold the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::host(data));
