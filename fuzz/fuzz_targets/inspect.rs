//! What `vnuma inspect` does with table files: decode, lint (the findings and the Linux
//! node numbering), the iasl-style text and the JSON view. A blob of several tables is
//! split at each header's Length, as a table directory would hold them.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::inspect(data));
