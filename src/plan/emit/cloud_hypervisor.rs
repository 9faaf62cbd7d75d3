//! Cloud Hypervisor (v51) options for a planned guest.
//!
//! Syntax from Cloud Hypervisor's source (`vmm/src/config.rs` `NumaConfig::parse`,
//! `option_parser/src/lib.rs`, `docs/memory.md`, tag v51.0):
//! - `--cpus boot=N`, `--memory size=0` and one `--memory-zone id=memN,size=S` per
//!   node with memory (`S` with a `K`/`M`/`G` suffix, `host_numa_node=H` to bind it);
//! - `--numa guest_numa_id=I,cpus=[0-3],distances=[1@20,2@80],memory_zones=[mem0]`
//!   for CPU/memory nodes and `--numa guest_numa_id=I,device_id=gpu0,distances=[…]`
//!   for a GPU's node (`device_id` excludes `cpus` and `memory_zones`);
//! - `--device id=gpu0,path=/sys/bus/pci/devices/BDF,iommu=on`.
//!
//! `--numa`, `--memory-zone` and `--device` each take all their values after one
//! flag (clap `num_args(1..)` with the default `Set` action: a second `--numa`
//! is refused), as Cloud Hypervisor's integration tests pass them. Every node
//! lists its distance to every other node, so the SLIT is the plan's (Cloud
//! Hypervisor uses a node's own list first, and guesses only missing entries).
//! The SRAT lists the nodes by guest id (a `BTreeMap`), so the GPU nodes' Generic
//! Initiators come in ascending order on every start.

use crate::linux::format_list;
use crate::plan::GuestPlan;
use serde::Serialize;

/// The Cloud Hypervisor release whose syntax is written.
pub const MODELLED_RELEASE: &str = "v51";

/// Choices for [`emit_cloud_hypervisor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChOptions {
    /// Bind each memory zone to the host node its guest node stands for
    /// (`host_numa_node=`).
    pub bind_host_nodes: bool,
}

impl Default for ChOptions {
    fn default() -> Self {
        ChOptions {
            bind_host_nodes: true,
        }
    }
}

/// Emitted options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChCommand {
    /// The arguments after the program name (kernel, disks and the rest are the user's).
    pub args: Vec<String>,
    /// What the user should know.
    pub notes: Vec<String>,
}

impl ChCommand {
    /// The command as a shell line: one flag and its values per line, every
    /// value that holds a shell character single-quoted.
    pub fn shell(&self, program: &str) -> String {
        let mut out = crate::quote::shell(program);
        for a in &self.args {
            if a.starts_with("--") {
                out.push_str(" \\\n  ");
            } else {
                out.push(' ');
            }
            out.push_str(&crate::quote::shell(a));
        }
        out.push('\n');
        out
    }
}

/// Why a plan cannot be written as Cloud Hypervisor options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChError {
    /// The plan has no node.
    #[error("cloud-hypervisor emitter: the plan has no nodes")]
    NoNodes,
    /// A node id is not its index.
    #[error("cloud-hypervisor emitter: node {index} has id {node} (node ids must be 0, 1, …)")]
    NodeId {
        /// Index in the plan.
        index: usize,
        /// Its id.
        node: u32,
    },
    /// The distance matrix does not match the nodes.
    #[error("cloud-hypervisor emitter: the distance matrix is not {nodes}×{nodes}")]
    Distances {
        /// Number of nodes.
        nodes: usize,
    },
    /// A node that is a GPU's and also has CPUs or memory.
    #[error(
        "cloud-hypervisor emitter: node {node} of GPU {gpu} has CPUs or memory (device_id excludes cpus and memory_zones)"
    )]
    GpuNodeNotEmpty {
        /// The node.
        node: u32,
        /// The GPU id.
        gpu: String,
    },
    /// A node with neither CPUs, memory nor a GPU.
    #[error("cloud-hypervisor emitter: node {0} has no CPUs, no memory and no GPU")]
    EmptyNode(u32),
    /// A node tied to two GPUs.
    #[error("cloud-hypervisor emitter: node {0} is tied to two GPUs (one device_id per node)")]
    SharedNode(u32),
    /// A GPU names a node the plan does not have.
    #[error("cloud-hypervisor emitter: GPU {gpu} is tied to node {node}, which is not in the plan")]
    GpuNode {
        /// The GPU id.
        gpu: String,
        /// The node.
        node: u32,
    },
    /// A GPU id that Cloud Hypervisor's option grammar would split.
    #[error(
        "cloud-hypervisor emitter: GPU id `{0}` holds a character of the option grammar (`,` `=` `[` `]` `\"` `@`) or is empty"
    )]
    GpuId(String),
}

/// Writes the plan as Cloud Hypervisor options.
pub fn emit_cloud_hypervisor(plan: &GuestPlan, opts: &ChOptions) -> Result<ChCommand, ChError> {
    let n = plan.nodes.len();
    if n == 0 {
        return Err(ChError::NoNodes);
    }
    if plan.distances.len() != n || plan.distances.iter().any(|r| r.len() != n) {
        return Err(ChError::Distances { nodes: n });
    }
    // node → GPU id
    let mut owner: Vec<Option<&str>> = vec![None; n];
    for g in &plan.gpus {
        if g.id.is_empty() || g.id.contains([',', '=', '[', ']', '"', '@']) {
            return Err(ChError::GpuId(g.id.clone()));
        }
        for &m in &g.nodes {
            let slot = owner.get_mut(m as usize).ok_or_else(|| ChError::GpuNode {
                gpu: g.id.clone(),
                node: m,
            })?;
            if slot.is_some() {
                return Err(ChError::SharedNode(m));
            }
            *slot = Some(&g.id);
        }
    }
    let vcpus = plan
        .nodes
        .iter()
        .flat_map(|x| x.cpus.iter())
        .map(|&c| u64::from(c) + 1)
        .max()
        .unwrap_or(0);
    let mut zones = Vec::new();
    let mut numa = Vec::new();
    for (index, (node, gpu)) in plan.nodes.iter().zip(&owner).enumerate() {
        if node.node as usize != index {
            return Err(ChError::NodeId {
                index,
                node: node.node,
            });
        }
        let row = plan.distances.get(index).map_or(&[][..], Vec::as_slice);
        let dist: Vec<String> = row
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != index)
            .map(|(j, d)| format!("{j}@{d}"))
            .collect();
        let mut v = format!("guest_numa_id={}", node.node);
        match gpu {
            Some(g) => {
                if !node.cpus.is_empty() || node.memory > 0 {
                    return Err(ChError::GpuNodeNotEmpty {
                        node: node.node,
                        gpu: (*g).to_string(),
                    });
                }
                v += &format!(",device_id={g}");
            }
            None => {
                if node.cpus.is_empty() && node.memory == 0 {
                    return Err(ChError::EmptyNode(node.node));
                }
                if !node.cpus.is_empty() {
                    v += &format!(",cpus=[{}]", format_list(&node.cpus));
                }
                if node.memory > 0 {
                    let id = format!("mem{}", node.node);
                    let mut z = format!("id={id},size={}", size(node.memory));
                    if opts.bind_host_nodes {
                        z += &format!(",host_numa_node={}", node.host_node);
                    }
                    zones.push(z);
                    v += &format!(",memory_zones=[{id}]");
                }
            }
        }
        if !dist.is_empty() {
            v += &format!(",distances=[{}]", dist.join(","));
        }
        numa.push(v);
    }
    let mut args = vec![
        "--cpus".to_string(),
        format!("boot={vcpus}"),
        "--memory".into(),
        "size=0".into(),
    ];
    if !zones.is_empty() {
        args.push("--memory-zone".into());
        args.extend(zones);
    }
    args.push("--numa".into());
    args.extend(numa);
    if !plan.gpus.is_empty() {
        args.push("--device".into());
        args.extend(plan.gpus.iter().map(|g| {
            format!(
                "id={},path=/sys/bus/pci/devices/{},iommu=on",
                g.id, g.host_bdf
            )
        }));
    }
    let mut notes = Vec::new();
    if !plan.gpus.is_empty() {
        notes.push(
            "Cloud Hypervisor puts each --device on its PCI segment's root bus at device 1 or \
             above (device 0 is its host bridge; pci/src/bus.rs), and NVIDIA's guest driver \
             ignores Generic Initiator entries for a GPU whose device/function is not 0 \
             (kernel-open/nvidia/nv-pci.c): the guest driver may not use the GPU nodes."
                .to_string(),
        );
        notes.push(
            "Cloud Hypervisor v51 writes the Generic Initiator's PCI handle as bus, bus, device, \
             device, function, function (vmm/src/acpi.rs, GenericInitiatorAffinity::from_pci_bdf), \
             not ACPI's bus then devfn byte: a guest that reads the ACPI layout may tie the nodes \
             to another device."
                .to_string(),
        );
    }
    if plan.hmat {
        notes.push("Cloud Hypervisor builds no HMAT: the plan's HMAT is not emitted.".to_string());
    }
    notes.extend(super::libvirt::distance_notes(plan));
    Ok(ChCommand { args, notes })
}

/// A size with the largest exact `G`/`M`/`K` suffix (Cloud Hypervisor's `ByteSized`).
fn size(bytes: u64) -> String {
    for (shift, suffix) in [(30, 'G'), (20, 'M'), (10, 'K')] {
        if bytes.is_multiple_of(1u64 << shift) {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_quotes() {
        assert_eq!(size(1 << 30), "1G");
        assert_eq!(size(3 << 20), "3M");
        assert_eq!(size(1536), "1536");
        assert_eq!(size(2048), "2K");
        assert_eq!(crate::quote::shell("cpus=[0-3]"), "'cpus=[0-3]'");
        assert_eq!(crate::quote::shell("a'b"), r"'a'\''b'");
        assert_eq!(crate::quote::shell("boot=4"), "boot=4");
        assert_eq!(crate::quote::shell(""), "''");
    }
}
