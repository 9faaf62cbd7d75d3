//! The live QEMU as an oracle: `qemu-dump` runs the installed QEMU without booting a
//! guest (qtest + fw_cfg) and extracts the ACPI tables it really builds.

pub mod args;
pub mod dump;
mod qtest;
