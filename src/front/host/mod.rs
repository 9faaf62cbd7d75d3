//! The host front end: a host's NUMA nodes, PCI devices and GPUs, read from a
//! Linux `/sys` + `/proc` tree under a root (default `/`, fixture trees in tests).
//!
//! Everything is read through [`crate::input`]'s bounded readers; a missing,
//! unreadable (root-only) or malformed file gives a [`HostWarning`] naming the
//! path, never a panic.
//!
//! GPU nodes are found, in this order (the first source that names nodes wins):
//! the host SRAT's Generic Initiator entries ([`NodeSource::Srat`]), the NVIDIA
//! driver's `numa_status` ([`NodeSource::NumaStatus`]), the distance pattern of
//! CPU-less nodes ([`NodeSource::Distances`], a guess, with a warning); a
//! `--gpu BDF=NODES` override ([`NodeSource::User`]) replaces all of them.
//!
//! * SRAT: the GI entries whose PCI handle is the GPU's give its PXMs, mapped to
//!   node ids by Linux's first-appearance numbering ([`crate::linux`]); a PXM
//!   that maps to no existing node makes the SRAT untrusted for that GPU (warning).
//! * `numa_status`: the `Node:` it names, plus the following empty nodes (no CPU,
//!   no memory) with the same distances to every CPU node, up to
//!   [`GPU_NODES_MAX`] in all, stopping at a node another GPU names.
//! * Distances: CPU-less nodes not yet assigned (only the SRAT's placeholder
//!   memory nodes, when it has them) linked by their smallest mutual distance
//!   (all 255: consecutive nodes with the same CPU distances, 8 at most);
//!   groups holding no empty node are dropped (CXL/HBM memory nodes); the groups,
//!   by first node, go to the NVIDIA GPUs still without nodes in BDF order.
//!
//! GPUs are NVIDIA (0x10de) display/3D class devices, the devices the NVIDIA
//! driver lists under `/proc/driver/nvidia/gpus`, and the devices named in
//! [`HostOptions::gpus`]. [`HostTopology::text`] is the administrator's report.

use crate::acpi::PciHandle;
use serde::Serialize;

/// One host NUMA node (`/sys/devices/system/node/nodeN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostNode {
    /// Linux node id.
    pub node: u32,
    /// CPUs (`cpulist`).
    pub cpus: Vec<u32>,
    /// `MemTotal` of the node's `meminfo`, in bytes.
    pub memory: u64,
    /// The node's row of `distance`, aligned with [`HostTopology::nodes`].
    pub distances: Vec<u8>,
    /// Listed in `/sys/devices/system/node/has_cpu`.
    pub has_cpu: bool,
    /// Listed in `has_memory`.
    pub has_memory: bool,
    /// Listed in `has_generic_initiator`.
    pub has_generic_initiator: bool,
}

/// One host PCI device (`/sys/bus/pci/devices/BDF`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostPciDevice {
    /// Segment:bus:device.function.
    pub bdf: PciHandle,
    /// PCI vendor id.
    pub vendor: u16,
    /// PCI device id.
    pub device: u16,
    /// PCI class code (24 bits).
    pub class: u32,
    /// Bound driver (the `driver` link's name), if any.
    pub driver: Option<String>,
    /// `numa_node` (absent or -1: none).
    pub numa_node: Option<u32>,
    /// IOMMU group number, if any.
    pub iommu_group: Option<u32>,
}

/// How a GPU's host nodes were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeSource {
    /// The host SRAT's Generic Initiator entries (PXMs mapped to node ids).
    Srat,
    /// `/proc/driver/nvidia/gpus/BDF/numa_status` plus the empty nodes of its distance group.
    NumaStatus,
    /// The distance pattern of CPU-less nodes (a guess).
    Distances,
    /// Given by the user (`--gpu BDF=NODES`).
    User,
    /// No nodes found.
    None,
}

/// A GPU (or any device the user names) and its host NUMA nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostGpu {
    /// The device.
    pub device: HostPciDevice,
    /// Its host NUMA nodes (ascending; empty when none were found).
    pub nodes: Vec<u32>,
    /// How [`HostGpu::nodes`] were found.
    pub source: NodeSource,
}

/// A problem met while reading the host (the read goes on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostWarning {
    /// The file or directory concerned (under the root, as given).
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// What the host front end found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostTopology {
    /// NUMA nodes in ascending id order.
    pub nodes: Vec<HostNode>,
    /// PCI devices in BDF order.
    pub pci: Vec<HostPciDevice>,
    /// GPUs (NVIDIA display/3D class devices, and the devices the user named) in BDF order.
    pub gpus: Vec<HostGpu>,
    /// Problems met, in reading order.
    pub warnings: Vec<HostWarning>,
}

impl HostTopology {
    /// The distance from node `from` to node `to` (Linux ids), if both exist.
    pub fn distance(&self, from: u32, to: u32) -> Option<u8> {
        let i = self.node_index(to)?;
        self.nodes
            .get(self.node_index(from)?)?
            .distances
            .get(i)
            .copied()
    }

    /// The index of node `node` in [`HostTopology::nodes`] (ascending ids: a
    /// binary search, with a linear search when they are not sorted).
    pub fn node_index(&self, node: u32) -> Option<usize> {
        self.nodes
            .binary_search_by_key(&node, |n| n.node)
            .ok()
            .filter(|&i| self.nodes.get(i).is_some_and(|n| n.node == node))
            .or_else(|| self.nodes.iter().position(|n| n.node == node))
    }
}

mod discover;
pub mod fs;
mod text;

pub use discover::{
    GPU_NODES_MAX, MAX_PCI_DEVICES, discover, discover_in, parse_cpumap, parse_hex_id,
    parse_numa_status,
};

/// A device the user names (`--gpu BDF[=NODES]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuChoice {
    /// The device's address.
    pub bdf: PciHandle,
    /// Its host nodes, when given (they override discovery: [`NodeSource::User`]).
    pub nodes: Option<Vec<u32>>,
}

/// Why a `--gpu BDF[=NODES]` value does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuChoiceError {
    /// The part before `=` is not `SSSS:BB:DD.F` (or `BB:DD.F`).
    #[error("\"{0}\" is not a PCI address SSSS:BB:DD.F")]
    BadAddress(String),
    /// The node list after `=` does not parse.
    #[error("bad node list \"{list}\": {error}")]
    BadNodes {
        /// The list (cut to [`crate::input::MAX_ECHO_CHARS`]).
        list: String,
        /// Why.
        error: crate::syntax::ListError,
    },
    /// A node id is not a possible Linux node id.
    #[error("node {0} is not a possible Linux node id (they are below {max})", max = crate::input::MAX_LINUX_NODES)]
    NodeTooLarge(u32),
    /// `BDF=` with nothing after it.
    #[error("empty node list after \"=\"")]
    EmptyNodes,
}

impl std::str::FromStr for GpuChoice {
    type Err = GpuChoiceError;

    /// Parses `BDF` or `BDF=NODES` (`0009:01:00.0=1-8`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (bdf, nodes) = match s.split_once('=') {
            Some((b, n)) => (b, Some(n)),
            None => (s, None),
        };
        let bdf = bdf.trim();
        let handle = PciHandle::parse(bdf)
            .ok_or_else(|| GpuChoiceError::BadAddress(crate::input::echo(bdf)))?;
        let nodes = match nodes {
            None => None,
            Some(n) => {
                let v = crate::syntax::parse_list(n, crate::input::MAX_LINUX_NODES as usize)
                    .map_err(|error| GpuChoiceError::BadNodes {
                        list: crate::input::echo(n),
                        error,
                    })?;
                if v.is_empty() {
                    return Err(GpuChoiceError::EmptyNodes);
                }
                if let Some(&bad) = v.iter().find(|&&x| x >= crate::input::MAX_LINUX_NODES) {
                    return Err(GpuChoiceError::NodeTooLarge(bad));
                }
                let mut v = v;
                v.sort_unstable();
                Some(v)
            }
        };
        Ok(GpuChoice { bdf: handle, nodes })
    }
}

/// Options of [`discover`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostOptions {
    /// Devices the user names (`--gpu`), in the order given.
    pub gpus: Vec<GpuChoice>,
}

/// Why a host cannot be read at all (everything less is a [`HostWarning`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The root holds no `sys/devices/system/node`: not a Linux `/sys` tree (or a
    /// kernel without NUMA support).
    #[error("{}: no such directory; is {} the root of a Linux /sys + /proc tree?", path.display(), root.display())]
    NotLinux {
        /// The directory looked for.
        path: std::path::PathBuf,
        /// The root given.
        root: std::path::PathBuf,
    },
    /// A directory that must be listed cannot be.
    #[error("cannot list {}: {error}", path.display())]
    Unreadable {
        /// The directory.
        path: std::path::PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The user named a device that is not under `sys/bus/pci/devices`.
    #[error("--gpu {bdf}: no such PCI device under {}", path.display())]
    UnknownDevice {
        /// The address given.
        bdf: PciHandle,
        /// The directory looked in.
        path: std::path::PathBuf,
    },
    /// The user gave a node the host does not have.
    #[error(
        "--gpu {bdf}={}: the host has no node {node}",
        crate::linux::format_list(nodes)
    )]
    UnknownNode {
        /// The device.
        bdf: PciHandle,
        /// The nodes given.
        nodes: Vec<u32>,
        /// The first node that does not exist.
        node: u32,
    },
}

impl HostTopology {
    /// The node with Linux id `node`.
    pub fn node(&self, node: u32) -> Option<&HostNode> {
        self.nodes.get(self.node_index(node)?)
    }

    /// The PCI device at `bdf`.
    pub fn pci_device(&self, bdf: PciHandle) -> Option<&HostPciDevice> {
        let key = function_key(bdf);
        match self.pci.binary_search_by_key(&key, |d| function_key(d.bdf)) {
            Ok(i) => self.pci.get(i),
            Err(_) => self.pci.iter().find(|d| same_function(d.bdf, bdf)),
        }
    }

    /// The GPU at `bdf`.
    pub fn gpu(&self, bdf: PciHandle) -> Option<&HostGpu> {
        self.gpus.iter().find(|g| same_function(g.device.bdf, bdf))
    }

    /// The distance matrix (`N×N`, rows in [`HostTopology::nodes`] order), or
    /// `None` when a node's row is missing or has the wrong length.
    pub fn distance_matrix(&self) -> Option<Vec<Vec<u8>>> {
        let n = self.nodes.len();
        self.nodes
            .iter()
            .map(|x| (x.distances.len() == n).then(|| x.distances.clone()))
            .collect()
    }
}

impl HostNode {
    /// Whether the node has CPUs (`has_cpu` or a non-empty cpulist).
    pub fn is_cpu_node(&self) -> bool {
        self.has_cpu || !self.cpus.is_empty()
    }

    /// Whether the node has neither CPUs nor memory.
    pub fn is_empty(&self) -> bool {
        !self.is_cpu_node() && !self.has_memory && self.memory == 0
    }
}

impl HostPciDevice {
    /// Whether this is an NVIDIA (0x10de) display/3D class (0x03xxxx) device.
    pub fn is_nvidia_gpu(&self) -> bool {
        self.vendor == NVIDIA_VENDOR && self.class >> 16 == 0x03
    }
}

/// NVIDIA's PCI vendor id.
pub const NVIDIA_VENDOR: u16 = 0x10de;

/// Segment, bus, device and function equal (the reserved bytes of a handle ignored).
pub fn same_function(a: PciHandle, b: PciHandle) -> bool {
    function_key(a) == function_key(b)
}

/// Segment, bus, device, function: a handle's identity without its reserved bytes.
pub(crate) fn function_key(h: PciHandle) -> (u16, u8, u8, u8) {
    (h.segment, h.bus, h.device, h.function)
}
