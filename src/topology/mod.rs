//! The validated, VMM-independent description of a guest NUMA topology.
//!
//! Front ends (QEMU argv in [`crate::front::qemu`], topology TOML in [`crate::front::file`])
//! produce a [`Topology`]; [`crate::machine`] lays it out on a machine profile's
//! real memory map and turns it into ACPI tables. Everything here is resolved:
//! CPU arch ids are computed, PCI bus numbers assigned, emission order fixed.

use crate::acpi::DeviceHandle;
use serde::{Deserialize, Serialize};

/// A machine profile whose guest memory map and table conventions vnuma knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineKind {
    /// x86 i440FX/PIIX4 (`pc`).
    Pc,
    /// x86 Q35/ICH9 (`q35`).
    Q35,
    /// arm64 `virt`.
    Virt,
}

impl MachineKind {
    /// Whether this is an x86 machine.
    pub fn is_x86(self) -> bool {
        matches!(self, MachineKind::Pc | MachineKind::Q35)
    }
    /// The machine's short name (`pc`, `q35`, `virt`).
    pub fn name(self) -> &'static str {
        match self {
            MachineKind::Pc => "pc",
            MachineKind::Q35 => "q35",
            MachineKind::Virt => "virt",
        }
    }
}

/// Guest memory sizes that shape the memory map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryConfig {
    /// Boot RAM in bytes (QEMU `-m` size). Equals the sum of node memory when there are nodes.
    pub ram_size: u64,
    /// Maximum memory (QEMU `maxmem`); a hotplug region exists when larger than RAM (x86),
    /// or when larger or `slots > 0` (arm).
    pub max_ram: Option<u64>,
    /// Memory hotplug slots (each adds 1 GiB to the device-memory region).
    pub slots: u64,
    /// x86: `max-ram-below-4g` machine property, if given.
    pub max_ram_below_4g: Option<u64>,
    /// x86: RAM above 4 GiB starts at 1 TiB (AMD vendor CPUs on large configs).
    pub above_4g_at_1tib: bool,
}

/// One possible CPU, in possible-CPU index order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    /// x86: APIC ID (type 0 below 255, x2APIC type 2 from 255). arm: ACPI processor UID.
    pub arch_id: u32,
    /// Proximity domain (node id) of the CPU.
    pub node: u32,
}

/// One NUMA node (proximity domain). Nodes are dense: `nodes[i]` is node i.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Boot memory of the node in bytes (0: memoryless).
    pub mem: u64,
    /// HMAT: the initiator node attached to this memory (`-numa node,initiator=`).
    pub initiator: Option<u32>,
}

/// A device-to-node affinity (SRAT Generic Initiator or Generic Port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affinity {
    /// Proximity domain.
    pub node: u32,
    /// The device (PCI segment/bus/devfn as the guest firmware numbers it, or ACPI HID/UID).
    pub handle: DeviceHandle,
    /// Where the affinity came from, for messages (e.g. the QEMU object id or the TOML key).
    #[serde(default)]
    pub label: String,
    /// The PCI device's own name (QEMU `id=`), for the guest view.
    #[serde(default)]
    pub device: String,
}

/// A memory range listed in the SRAT besides boot RAM (NVDIMM, SGX EPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemRange {
    /// Guest physical base.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
    /// Proximity domain.
    pub node: u32,
}

/// HMAT memory hierarchy of a latency/bandwidth entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hierarchy {
    /// Memory (flags 0).
    Memory,
    /// First-level memory-side cache.
    FirstLevel,
    /// Second-level cache.
    SecondLevel,
    /// Third-level cache.
    ThirdLevel,
}

impl Hierarchy {
    /// Every value with its name: QEMU's `-numa` spelling, which the topology
    /// file and the JSON (serde) use too.
    pub const NAMES: [(&'static str, Hierarchy); 4] = [
        ("memory", Hierarchy::Memory),
        ("first-level", Hierarchy::FirstLevel),
        ("second-level", Hierarchy::SecondLevel),
        ("third-level", Hierarchy::ThirdLevel),
    ];

    /// The name (see [`Hierarchy::NAMES`]).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }
}

/// HMAT data type of a latency/bandwidth entry (values 0..5 in table order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataType {
    /// Access latency (ns).
    AccessLatency,
    /// Read latency (ns).
    ReadLatency,
    /// Write latency (ns).
    WriteLatency,
    /// Access bandwidth (bytes/s).
    AccessBandwidth,
    /// Read bandwidth (bytes/s).
    ReadBandwidth,
    /// Write bandwidth (bytes/s).
    WriteBandwidth,
}

impl DataType {
    /// Every value with its name: QEMU's `-numa` spelling, which the topology
    /// file and the JSON (serde) use too.
    pub const NAMES: [(&'static str, DataType); 6] = [
        ("access-latency", DataType::AccessLatency),
        ("read-latency", DataType::ReadLatency),
        ("write-latency", DataType::WriteLatency),
        ("access-bandwidth", DataType::AccessBandwidth),
        ("read-bandwidth", DataType::ReadBandwidth),
        ("write-bandwidth", DataType::WriteBandwidth),
    ];

    /// The name (see [`DataType::NAMES`]).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }

    /// Whether the value is a latency (else a bandwidth).
    pub fn is_latency(self) -> bool {
        matches!(
            self,
            DataType::AccessLatency | DataType::ReadLatency | DataType::WriteLatency
        )
    }
}

/// One HMAT latency or bandwidth value between an initiator and a target node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HmatLb {
    /// Memory hierarchy.
    pub hierarchy: Hierarchy,
    /// Data type.
    pub data_type: DataType,
    /// Initiator node.
    pub initiator: u32,
    /// Target node.
    pub target: u32,
    /// Latency in nanoseconds or bandwidth in bytes per second.
    pub value: u64,
}

/// HMAT memory-side cache associativity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Associativity {
    /// None (0).
    None,
    /// Direct mapped (1).
    Direct,
    /// Complex cache indexing (2).
    Complex,
}

impl Associativity {
    /// Every value with its name: QEMU's `-numa` spelling, which the topology
    /// file and the JSON (serde) use too.
    pub const NAMES: [(&'static str, Associativity); 3] = [
        ("none", Associativity::None),
        ("direct", Associativity::Direct),
        ("complex", Associativity::Complex),
    ];

    /// The name (see [`Associativity::NAMES`]).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }
}

/// HMAT memory-side cache write policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WritePolicy {
    /// None (0).
    None,
    /// Write-back (1).
    WriteBack,
    /// Write-through (2).
    WriteThrough,
}

impl WritePolicy {
    /// Every value with its name: QEMU's `-numa` spelling, which the topology
    /// file and the JSON (serde) use too.
    pub const NAMES: [(&'static str, WritePolicy); 3] = [
        ("none", WritePolicy::None),
        ("write-back", WritePolicy::WriteBack),
        ("write-through", WritePolicy::WriteThrough),
    ];

    /// The name (see [`WritePolicy::NAMES`]).
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }
}

/// One memory-side cache level of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HmatCache {
    /// Memory node the cache fronts.
    pub node: u32,
    /// Cache size in bytes.
    pub size: u64,
    /// Cache level, 1..=3.
    pub level: u8,
    /// Associativity.
    pub associativity: Associativity,
    /// Write policy.
    pub policy: WritePolicy,
    /// Cache line size in bytes.
    pub line: u16,
    /// SMBIOS type-17 handles (QEMU emits none).
    #[serde(default)]
    pub smbios_handles: Vec<u16>,
}

/// OEM identification written into every table header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oem {
    /// OEM ID (6 bytes, NUL-padded).
    pub oem_id: [u8; 6],
    /// OEM Table ID (8 bytes, NUL-padded).
    pub oem_table_id: [u8; 8],
    /// OEM Revision.
    pub oem_revision: u32,
}

impl Default for Oem {
    fn default() -> Self {
        Oem {
            oem_id: *b"BOCHS ",
            oem_table_id: *b"BXPC    ",
            oem_revision: 1,
        }
    }
}

/// A complete, resolved guest NUMA topology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// Machine profile.
    pub machine: MachineKind,
    /// Memory sizes.
    pub memory: MemoryConfig,
    /// Every possible CPU in index order (x86: `maxcpus`), with its node.
    pub cpus: Vec<Cpu>,
    /// Nodes 0..N-1 (empty: no NUMA, no SRAT).
    pub nodes: Vec<Node>,
    /// Full distance matrix (`distances[i][j]`), when a SLIT is wanted.
    pub distances: Option<Vec<Vec<u8>>>,
    /// Generic initiators, in emission order.
    pub generic_initiators: Vec<Affinity>,
    /// Generic ports, in emission order.
    pub generic_ports: Vec<Affinity>,
    /// NVDIMM ranges (SRAT memory flags 5), in emission order.
    pub nvdimms: Vec<MemRange>,
    /// SGX EPC ranges (x86), in emission order.
    pub sgx_epc: Vec<MemRange>,
    /// Whether an HMAT is built.
    pub hmat: bool,
    /// HMAT latency/bandwidth values, in the order given.
    pub hmat_lb: Vec<HmatLb>,
    /// HMAT memory-side caches.
    pub hmat_caches: Vec<HmatCache>,
    /// Nodes that are HMAT initiators besides CPU nodes (QEMU: nodes with a generic
    /// initiator object, even one whose table entry is dropped).
    pub extra_initiators: Vec<u32>,
    /// OEM fields for the headers.
    pub oem: Oem,
}

impl Topology {
    /// Number of NUMA nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Nodes that have at least one CPU.
    pub fn cpu_nodes(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.cpus.iter().map(|c| c.node).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// HMAT initiator nodes: nodes with CPUs or generic initiators, ascending.
    pub fn initiator_nodes(&self) -> Vec<u32> {
        let mut v = self.cpu_nodes();
        v.extend(self.generic_initiators.iter().map(|g| g.node));
        v.extend(self.extra_initiators.iter().copied());
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name tables list every value once, with serde's (JSON) spelling.
    fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(names: &[(&str, T)]) {
        for (i, (n, v)) in names.iter().enumerate() {
            assert_eq!(serde_json::to_value(v).unwrap(), *n);
            assert!(names[..i].iter().all(|(_, w)| w != v), "{v:?} twice");
        }
    }

    #[test]
    fn names_match_serde() {
        check(&Hierarchy::NAMES);
        check(&DataType::NAMES);
        check(&Associativity::NAMES);
        check(&WritePolicy::NAMES);
        assert_eq!(DataType::ReadBandwidth.name(), "read-bandwidth");
        assert_eq!(WritePolicy::WriteThrough.name(), "write-through");
    }
}
