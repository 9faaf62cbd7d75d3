//! The planner: from a host's real topology ([`crate::front::host::HostTopology`])
//! and the user's choices to a guest ([`GuestPlan`]) with stable GPU nodes, and
//! its emitters for QEMU, libvirt, Cloud Hypervisor and the topology file.
//!
//! Guest node id = proximity domain: CPU+memory nodes first (one per host node
//! local to the chosen GPUs, ascending host id), then per GPU (BDF order) one
//! memoryless node per host GPU node, ascending.

use crate::acpi::PciHandle;
use crate::front::qemu::version::QemuVersion;
use crate::topology::MachineKind;
use serde::Serialize;

pub mod emit;
pub mod ids;

/// One guest NUMA node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestNode {
    /// Guest node id (= proximity domain).
    pub node: u32,
    /// The host node this guest node stands for.
    pub host_node: u32,
    /// Guest CPU indexes on this node.
    pub cpus: Vec<u32>,
    /// Memory in bytes (0: memoryless).
    pub memory: u64,
    /// The host BDF of the GPU tied to this node by a Generic Initiator, if any.
    pub generic_initiator: Option<PciHandle>,
}

/// One GPU passed through to the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestGpu {
    /// Host address (`vfio-pci,host=`).
    pub host_bdf: PciHandle,
    /// PCI vendor id on the host.
    pub vendor: u16,
    /// PCI device id on the host.
    pub device: u16,
    /// The guest device id (`gpu0`, …).
    pub id: String,
    /// The guest nodes tied to it, ascending.
    pub nodes: Vec<u32>,
    /// The guest address (device 0 function 0 behind its own root port).
    pub guest_bdf: PciHandle,
}

/// A planned guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestPlan {
    /// Machine type (`q35` or `virt`).
    pub machine: MachineKind,
    /// The QEMU version whose rules (GI hash order) the plan follows.
    pub qemu_version: QemuVersion,
    /// Guest nodes, index = node id.
    pub nodes: Vec<GuestNode>,
    /// Guest SLIT, N×N, index = node id.
    pub distances: Vec<Vec<u8>>,
    /// GPUs in host BDF order.
    pub gpus: Vec<GuestGpu>,
    /// Whether to describe HMAT.
    pub hmat: bool,
}
