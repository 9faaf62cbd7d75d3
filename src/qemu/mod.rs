//! QEMU front end: the option lexer, command line → [`crate::topology::Topology`]
//! with QEMU 10's own error text, and `qemu-dump` (the live QEMU as oracle).

pub mod error;
pub mod glib_hash;
pub mod lexer;
pub mod parse;
pub mod report;
