//! Front ends: each knows one input syntax and nothing of table bytes. Each turns its
//! input into a description that [`crate::machine`] resolves into a
//! [`crate::topology::Topology`].
//!
//! * [`qemu`]: a QEMU command line (QEMU's option syntax and its exact error text).
//! * [`file`](mod@file): the declarative topology file (TOML) of `vnuma build`.

pub mod file;
pub mod host;
pub mod qemu;
