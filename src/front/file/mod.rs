//! The topology file (TOML) front end: a readable description of a guest NUMA
//! topology → a validated [`Topology`] plus what the VMM command line needs.
//!
//! The format is documented in `docs/topology.md`; `examples/*.toml` are worked
//! examples. Every error names the file, the line and column, and the key:
//! `gh.toml:12:10: node[2].memory: "12Q" is not a size (…)`.
//!
//! Resolution runs in phases over one state (`resolve::Resolver`), one module
//! per concern: the TOML is read into `raw` tables (values in `value`), then
//! the machine type, `nodes`, `memory` (and firmware), `cpus` (and HMAT
//! initiators), `pci` devices, `generic` initiators and ports, `distances`,
//! `hmat`, and finally the assembly of the [`TopologyFile`] in `resolve`.

mod cpus;
mod distances;
mod error;
mod generic;
mod hmat;
mod memory;
mod nodes;
mod pci;
mod raw;
mod resolve;
mod value;

use std::collections::BTreeSet;
use std::path::Path;

use crate::acpi::PciHandle;
use crate::machine::cpu::SmpTopology;
use crate::machine::pci::PciTree;
use crate::topology::{MemRange, Topology};

pub use error::{FileError, LoadError};
pub use value::{ValueError, parse_latency, parse_size};

/// Most NUMA nodes a file may declare (QEMU's MAX_NODES).
pub const MAX_NODES: u32 = 128;

/// A PCI device of the guest, as the file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevice {
    /// The device's id (QEMU `id=`), used by generic initiators and as a bus name.
    pub id: String,
    /// QEMU device type (`-device DRIVER`), when vnuma should emit the device.
    pub driver: Option<String>,
    /// The bus the device is plugged into, as given (`pcie.0`, a root port's id, …).
    pub bus: Option<String>,
    /// Slot and function on that bus, as given.
    pub addr: Option<(u8, u8)>,
    /// Extra `-device` properties, verbatim (`chassis=1`).
    pub props: Option<String>,
    /// The guest address given in the file (`bdf`), if any.
    pub bdf: Option<PciHandle>,
    /// The guest address as QEMU 10 and its firmware number it: computed by
    /// [`crate::machine::pci::PciTree`] for a device with a driver, `bdf` otherwise.
    pub address: PciHandle,
    /// Where the device sits on the printed command line (bus name, devfn), for a
    /// device with a driver.
    pub placed: Option<(String, u8)>,
}

impl PciDevice {
    /// The QEMU `-device` value (every device with a driver, with its bus and
    /// address spelled out so that QEMU's defaults cannot move it).
    pub fn qemu_arg(&self) -> Option<String> {
        let driver = self.driver.as_ref()?;
        let (bus, devfn) = self.placed.as_ref()?;
        let mut s = format!(
            "{driver},id={},bus={bus},addr={:02x}.{:x}",
            self.id,
            devfn >> 3,
            devfn & 7
        );
        if let Some(p) = &self.props {
            s.push(',');
            s.push_str(p);
        }
        Some(s)
    }
}

/// A parsed, validated topology file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyFile {
    /// File name, for messages.
    pub file: String,
    /// The resolved topology.
    pub topology: Topology,
    /// CPU topology (QEMU `-smp`, resolved by QEMU's rules).
    pub smp: SmpTopology,
    /// PCI devices in file order.
    pub pci: Vec<PciDevice>,
    /// The PCI tree of the printed QEMU command line: QEMU's default devices
    /// (VGA, NIC), then the file's devices with a driver.
    pub pci_tree: PciTree,
    /// Whether the file gave `[oem] revision` explicitly.
    pub oem_revision_given: bool,
    /// Guest firmware (`machine.firmware`).
    pub firmware: Firmware,
    /// arm `virt` with EDK2: the variable-store flash range EDK2 reports as memory,
    /// and its node (`machine.flash-node`). The SRAT gets one more enabled memory
    /// entry for it; without one Linux finds memory no node covers and falls back to
    /// a single node. `None` when there is no such range or no NUMA node.
    pub firmware_flash: Option<MemRange>,
}

/// The guest firmware, as far as it shapes the tables (`machine.firmware`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// x86 (SeaBIOS or OVMF): nothing to add to the tables.
    Default,
    /// EDK2 / AAVMF on arm `virt` (the default there): reports its variable-store
    /// flash bank at 0x0400_0000 (64 MiB) as memory.
    Edk2,
    /// No firmware that reports extra memory (`firmware = "none"`): the SRAT is
    /// exactly what QEMU builds.
    None,
}

impl TopologyFile {
    /// Nodes that have at least one CPU present at boot.
    pub fn present_cpu_nodes(&self) -> BTreeSet<u32> {
        self.topology
            .cpus
            .iter()
            .take(usize::try_from(self.smp.cpus).unwrap_or(usize::MAX))
            .map(|c| c.node)
            .collect()
    }

    /// CPU indexes present at boot on `node`.
    pub fn present_cpus_of(&self, node: u32) -> Vec<u32> {
        (0..self.smp.cpus)
            .filter(|&i| {
                self.topology
                    .cpus
                    .get(usize::try_from(i).unwrap_or(usize::MAX))
                    .is_some_and(|c| c.node == node)
            })
            .collect()
    }
}

/// Reads and parses a topology file (at most [`crate::input::MAX_TOPOLOGY_BYTES`],
/// a regular file).
pub fn load(path: &Path) -> Result<TopologyFile, LoadError> {
    let text = crate::input::read_text(path, crate::input::InputKind::Topology)?;
    Ok(parse_str(&text, &path.display().to_string())?)
}

/// Parses and validates a topology file's text; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<TopologyFile, FileError> {
    let ctx = error::Ctx { file, src: text };
    let raw = raw::parse_toml(&ctx, text)?;
    resolve::resolve(&ctx, &raw)
}

#[cfg(test)]
mod tests;
