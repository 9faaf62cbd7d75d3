//! The QEMU command-line front end: arguments are the input split at NUL or newline bytes
//! (both option syntaxes, as `--args-file` would give them). Never a panic; an accepted
//! command line becomes tables.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::qemu_args(data));
