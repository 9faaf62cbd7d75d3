//! vnuma: virtual NUMA topologies with accelerators.
//!
//! Flow, in one direction:
//! [`front`] ends (QEMU argv, topology TOML, host sysfs) → [`machine`] (guest memory map,
//! CPU ids, PCI bus numbers) → [`topology::Topology`] → [`acpi`] tables → files, text,
//! JSON. [`lint`], [`report`] and [`verify`] read tables back.
//!
//! * [`acpi`]: the SRAT/SLIT/HMAT codec (the `vnuma-acpi` crate; spec-only).
//! * [`front`]: the front ends ([`front::qemu`], [`front::file`]); syntax only.
//! * [`topology`]: the resolved topology model.
//! * [`machine`]: machine profiles (q35, pc, virt): memory maps, CPU ids, bus numbering,
//!   and the tables a topology becomes.
//! * [`live`]: the live QEMU as an oracle (`qemu-dump`).
//! * [`input`]: limits on input and bounded readers.
//! * [`syntax`]: value syntax both front ends share (QEMU sizes, number lists).
//! * [`linux`]: how Linux reads an SRAT (PXMs and its node numbering).
//! * [`lint`]: findings about tables (what Linux will do with them).
//! * [`report`]: text and JSON views of tables.
//! * [`show`]: the picture of a topology (terminal, SVG, JSON) for `vnuma show`.
//!
//! The command-line layer (`vnuma`'s argument parsing) is private to the binary.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use vnuma_acpi as acpi;
pub mod build;
mod digits;
pub mod front;
pub mod fsutil;
pub mod initrd;
pub mod input;
pub mod lint;
pub mod linux;
pub mod live;
pub mod machine;
pub mod plan;
pub mod quote;
pub mod report;
pub mod show;
pub mod syntax;
pub mod topology;
pub mod verify;
