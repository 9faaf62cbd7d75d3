//! Machine profiles (q35, pc, virt): guest memory maps, CPU ids, PCI bus
//! numbering, and the ACPI tables a [`crate::topology::Topology`] becomes.

pub mod cpu;
pub mod error;
pub mod guest;
pub mod memory;
pub mod pci;
pub mod tables;

pub use error::LayoutError;
