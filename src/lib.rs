//! vnuma: virtual NUMA topologies with accelerators.
//!
//! Flow, in one direction:
//! front ends ([`qemu`] argv, [`topology::file`] TOML, host sysfs) → [`topology::Topology`]
//! → [`machine`] (guest memory map, CPU ids, PCI bus numbers) → [`acpi`] tables
//! → files, text, JSON. [`lint`] and [`report`] read tables back.
//!
//! * [`acpi`]: the SRAT/SLIT/HMAT codec (spec-only, no VMM knowledge).
//! * [`topology`]: the resolved topology model and the TOML front end.
//! * [`machine`]: machine profiles (q35, pc, virt): memory maps, CPU ids, bus numbering,
//!   and the tables a topology becomes.
//! * [`qemu`]: QEMU command-line front end and the live `qemu-dump` oracle.
//! * [`linux`]: how Linux reads an SRAT (PXMs and its node numbering).
//! * [`lint`]: findings about tables (what Linux will do with them).
//! * [`report`]: text and JSON views of tables.
//! * [`cli`]: the thin command-line layer.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use vnuma_acpi as acpi;
pub mod build;
pub mod cli;
pub mod fsutil;
pub mod initrd;
pub mod lint;
pub mod linux;
pub mod machine;
pub mod qemu;
pub mod report;
pub mod topology;
pub mod verify;
