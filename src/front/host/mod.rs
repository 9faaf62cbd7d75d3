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
        let i = self.nodes.iter().position(|n| n.node == to)?;
        self.nodes
            .iter()
            .find(|n| n.node == from)?
            .distances
            .get(i)
            .copied()
    }
}
