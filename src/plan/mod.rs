//! The planner: from a host's real topology ([`crate::front::host::HostTopology`])
//! and the user's choices to a guest ([`GuestPlan`]) with stable GPU nodes, and
//! its emitters for QEMU, libvirt, Cloud Hypervisor and the topology file.
//!
//! Guest node id = proximity domain: CPU+memory nodes first (one per host node
//! local to the chosen GPUs, ascending host id), then per GPU (BDF order) one
//! memoryless node per host GPU node, ascending.
//!
//! [`plan`]'s rules:
//! - A GPU's local CPU node is its PCI `numa_node` when that node has CPUs, else
//!   the CPU node nearest (smallest host distance) to one of its nodes.
//! - vCPUs (default: every host CPU of the local nodes) and memory (default:
//!   half their `MemTotal`, rounded down to a whole GiB, at least 1 GiB) are
//!   split evenly over the CPU nodes, the remainder one by one to the first
//!   (memory in whole MiB).
//! - Guest distances are the host's between the nodes they stand for, diagonal
//!   10; a 255 is kept and reported ([`GuestPlan::warnings`]).
//! - Each GPU sits at device 0 function 0 (the guest NVIDIA driver ignores
//!   Generic Initiators of other functions) behind its own PCIe root port: q35
//!   `rp{i}` at slot 0x10+i of `pcie.0` (16 GPUs at most); virt behind its own
//!   `pxb-pcie` with `bus_nr` 32·(i+1) (7 GPUs at most). The guest address is
//!   the one `vnuma build` computes for the emitted topology (QEMU's PCI model,
//!   firmware bus numbers).
//! - `--hmat` is refused ([`PlanError::Hmat`]): the host front end reads no HMAT
//!   latency or bandwidth, and figures derived from SLIT distances would be
//!   invented; an HMAT can be added to the emitted topology file by hand.
//!
//! Emitters live in [`emit`]; [`json`] is the `--json` contract.

use crate::acpi::PciHandle;
use crate::front::host::{HostGpu, HostTopology};
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

/// The most NUMA nodes QEMU takes (`MAX_NODES`).
pub const MAX_NODES: usize = 128;

/// One mebibyte.
const MIB: u64 = 1 << 20;

/// One gibibyte.
const GIB: u64 = 1 << 30;

/// What the user chose for the guest (`vnuma plan` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// The GPUs to pass through (host BDFs; their host nodes come from the host front end).
    pub gpus: Vec<PciHandle>,
    /// vCPUs; default: every host CPU of the host nodes local to the GPUs.
    pub vcpus: Option<u32>,
    /// Guest RAM in bytes (a multiple of 1 MiB); default: half the `MemTotal` of
    /// those nodes, rounded down to a whole GiB, at least 1 GiB.
    pub memory: Option<u64>,
    /// Machine type (`q35` or `virt`; `pc` has no PCIe root ports and is refused).
    pub machine: MachineKind,
    /// Describe HMAT. Refused: vnuma reads no host HMAT figures, and invented
    /// latencies would be worse than none (see [`PlanError::Hmat`]).
    pub hmat: bool,
    /// The QEMU version whose GI hash order the native options follow.
    pub qemu_version: QemuVersion,
    /// Whether the printed QEMU command line has `-nodefaults` (QEMU 11.1's
    /// default monitor changes the GI order without it).
    pub nodefaults: bool,
    /// Emit `pci-testdev` in place of `vfio-pci,host=…` (try a plan without the GPU).
    pub stand_in: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            gpus: Vec::new(),
            vcpus: None,
            memory: None,
            machine: MachineKind::Q35,
            hmat: false,
            qemu_version: QemuVersion::default(),
            nodefaults: false,
            stand_in: false,
        }
    }
}

/// Why no guest can be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// No GPU was chosen.
    #[error("no GPU chosen (--gpu BDF)")]
    NoGpu,
    /// A chosen BDF is not a GPU the host front end found.
    #[error(
        "{bdf}: not a GPU of this host (`vnuma plan` without --gpu lists them; --gpu BDF=NODES names any device)"
    )]
    UnknownGpu {
        /// The BDF given.
        bdf: PciHandle,
    },
    /// The same GPU was chosen twice.
    #[error("{bdf}: chosen twice")]
    DuplicateGpu {
        /// The BDF given.
        bdf: PciHandle,
    },
    /// No host nodes are known for a GPU.
    #[error("{bdf}: no NUMA nodes found for this GPU (give them: --gpu {bdf}=NODES)")]
    GpuWithoutNodes {
        /// The GPU.
        bdf: PciHandle,
    },
    /// A node the plan needs is not a host node.
    #[error("host node {node} (of {bdf}) does not exist")]
    UnknownNode {
        /// The GPU.
        bdf: PciHandle,
        /// The node.
        node: u32,
    },
    /// The host has no CPU node to put the vCPUs on.
    #[error("{bdf}: no host node with CPUs is near this GPU")]
    NoCpuNode {
        /// The GPU.
        bdf: PciHandle,
    },
    /// More guest nodes than QEMU takes.
    #[error("the guest would have {nodes} NUMA nodes; QEMU takes at most {MAX_NODES}")]
    TooManyNodes {
        /// Nodes the plan needs.
        nodes: usize,
    },
    /// More GPUs than the machine's PCI layout has room for.
    #[error("{gpus} GPUs: the {machine} layout has room for {max} (one root port each)")]
    TooManyGpus {
        /// GPUs chosen.
        gpus: usize,
        /// The most the layout takes.
        max: usize,
        /// The machine.
        machine: &'static str,
    },
    /// More vCPUs than the machine takes.
    #[error("{vcpus} vCPUs: QEMU's {machine} takes at most {max}")]
    TooManyVcpus {
        /// vCPUs asked for.
        vcpus: u32,
        /// The most the machine takes.
        max: u32,
        /// The machine.
        machine: &'static str,
    },
    /// Fewer vCPUs than CPU nodes.
    #[error("{vcpus} vCPUs for {nodes} CPU nodes: every CPU node needs at least one")]
    TooFewVcpus {
        /// vCPUs given.
        vcpus: u32,
        /// CPU nodes.
        nodes: usize,
    },
    /// The memory cannot be split in MiB over the CPU nodes.
    #[error(
        "memory {memory} bytes: must be a multiple of 1 MiB, at least 1 MiB per CPU node ({nodes})"
    )]
    BadMemory {
        /// Bytes given.
        memory: u64,
        /// CPU nodes.
        nodes: usize,
    },
    /// A host distance the guest SLIT needs is missing or invalid.
    #[error(
        "host distance {from} -> {to} is {value:?}: a SLIT needs 11..=255 between different nodes"
    )]
    BadDistance {
        /// Host node.
        from: u32,
        /// Host node.
        to: u32,
        /// The host value (None: missing).
        value: Option<u8>,
    },
    /// The machine type has no planner layout.
    #[error("machine {0}: the planner lays out q35 and virt only")]
    Machine(&'static str),
    /// `--hmat` without host HMAT figures.
    #[error(
        "--hmat: vnuma reads no host HMAT figures (latency, bandwidth), and figures derived from SLIT distances would be invented; plan without --hmat and add [hmat] to the emitted topology by hand"
    )]
    Hmat,
    /// The planned guest does not resolve as a topology file (QEMU's limits: vCPUs, memory).
    #[error("the planned guest is not one QEMU can run: {0}")]
    Topology(String),
}

/// Something to know about a plan (the plan stands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanWarning {
    /// The host gives 255 ("unreachable") between two nodes; kept in the guest SLIT.
    Unreachable {
        /// Guest node.
        from: u32,
        /// Guest node.
        to: u32,
        /// Host node `from` stands for.
        host_from: u32,
        /// Host node `to` stands for.
        host_to: u32,
    },
}

impl std::fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanWarning::Unreachable {
                from,
                to,
                host_from,
                host_to,
            } => write!(
                f,
                "distance {from} -> {to} is 255 (\"unreachable\", host nodes {host_from} -> {host_to}); kept as the host gives it (Linux treats it as a real distance)"
            ),
        }
    }
}

impl GuestPlan {
    /// Warnings about the plan: every 255 distance (one per ordered pair).
    pub fn warnings(&self) -> Vec<PlanWarning> {
        let mut w = Vec::new();
        for (i, row) in self.distances.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if v == 255 && i != j {
                    let (Some(a), Some(b)) = (self.nodes.get(i), self.nodes.get(j)) else {
                        continue;
                    };
                    w.push(PlanWarning::Unreachable {
                        from: a.node,
                        to: b.node,
                        host_from: a.host_node,
                        host_to: b.host_node,
                    });
                }
            }
        }
        w
    }

    /// Guest nodes with CPUs and memory (the first nodes).
    pub fn cpu_nodes(&self) -> impl Iterator<Item = &GuestNode> {
        self.nodes.iter().filter(|n| n.generic_initiator.is_none())
    }

    /// vCPUs of the guest.
    pub fn vcpus(&self) -> u32 {
        let n: usize = self.nodes.iter().map(|n| n.cpus.len()).sum();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The CPU+memory guest node nearest to `gpu`'s nodes (lowest id on a tie):
    /// the node of its PCIe expander bridge on `virt`.
    pub fn gpu_cpu_node(&self, gpu: &GuestGpu) -> Option<u32> {
        self.cpu_nodes()
            .filter_map(|c| {
                let row = self.distances.get(usize::try_from(c.node).ok()?)?;
                let d = gpu
                    .nodes
                    .iter()
                    .filter_map(|&g| row.get(usize::try_from(g).ok()?).copied())
                    .min()?;
                Some((d, c.node))
            })
            .min()
            .map(|(_, n)| n)
    }

    /// Guest RAM in bytes.
    pub fn memory(&self) -> u64 {
        self.nodes.iter().map(|n| n.memory).sum()
    }
}

/// The host CPU node local to `gpu`: its PCI `numa_node` when that node has
/// CPUs, else the CPU node nearest (smallest distance) to any of its nodes,
/// the lowest id on a tie.
fn local_cpu_node(host: &HostTopology, gpu: &HostGpu) -> Option<u32> {
    let is_cpu = |id: u32| {
        host.nodes
            .iter()
            .any(|n| n.node == id && !n.cpus.is_empty())
    };
    if let Some(n) = gpu.device.numa_node
        && is_cpu(n)
    {
        return Some(n);
    }
    host.nodes
        .iter()
        .filter(|n| !n.cpus.is_empty())
        .filter_map(|c| {
            gpu.nodes
                .iter()
                .filter_map(|&g| host.distance(c.node, g))
                .min()
                .map(|d| (d, c.node))
        })
        .min()
        .map(|(_, n)| n)
}

/// `total` split over `parts`: `total / parts` each, the remainder one each to the first.
fn split(total: u64, parts: u64) -> Vec<u64> {
    let base = total.checked_div(parts).unwrap_or(0);
    let rem = total.checked_rem(parts).unwrap_or(0);
    (0..parts).map(|i| base + u64::from(i < rem)).collect()
}

/// Plans the guest for the chosen GPUs (see the module documentation for the
/// layout). Defaults: vCPUs = the host CPUs of the CPU nodes local to the GPUs;
/// memory = half their `MemTotal`, rounded down to a whole GiB, at least 1 GiB.
pub fn plan(host: &HostTopology, opts: &PlanOptions) -> Result<GuestPlan, PlanError> {
    // Root ports at slots 0x10..0x1f (q35) / pxb bus_nr 32..224 (virt); QEMU
    // 10.0/11.1's max_cpus of the machine.
    let (max_gpus, max_vcpus) = match opts.machine {
        MachineKind::Q35 => (16, 4096),
        MachineKind::Virt => (7, 512),
        MachineKind::Pc => return Err(PlanError::Machine("pc")),
    };
    if opts.hmat {
        return Err(PlanError::Hmat);
    }
    if opts.gpus.is_empty() {
        return Err(PlanError::NoGpu);
    }
    let mut chosen: Vec<&HostGpu> = Vec::new();
    for bdf in &opts.gpus {
        let g = host
            .gpus
            .iter()
            .find(|g| g.device.bdf == *bdf)
            .ok_or(PlanError::UnknownGpu { bdf: *bdf })?;
        if chosen.iter().any(|c| c.device.bdf == *bdf) {
            return Err(PlanError::DuplicateGpu { bdf: *bdf });
        }
        if g.nodes.is_empty() {
            return Err(PlanError::GpuWithoutNodes { bdf: *bdf });
        }
        if let Some(&node) = g
            .nodes
            .iter()
            .find(|&&n| !host.nodes.iter().any(|h| h.node == n))
        {
            return Err(PlanError::UnknownNode { bdf: *bdf, node });
        }
        chosen.push(g);
    }
    chosen.sort_by_key(|g| g.device.bdf);
    if chosen.len() > max_gpus {
        return Err(PlanError::TooManyGpus {
            gpus: chosen.len(),
            max: max_gpus,
            machine: opts.machine.name(),
        });
    }
    let mut local: Vec<u32> = Vec::new();
    for g in &chosen {
        let n = local_cpu_node(host, g).ok_or(PlanError::NoCpuNode { bdf: g.device.bdf })?;
        if !local.contains(&n) {
            local.push(n);
        }
    }
    local.sort_unstable();
    let gpu_nodes: Vec<Vec<u32>> = chosen
        .iter()
        .map(|g| {
            let mut v = g.nodes.clone();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let total = local.len() + gpu_nodes.iter().map(Vec::len).sum::<usize>();
    if total > MAX_NODES {
        return Err(PlanError::TooManyNodes { nodes: total });
    }
    let host_local = || host.nodes.iter().filter(|n| local.contains(&n.node));
    let vcpus = match opts.vcpus {
        Some(v) => v,
        None => {
            let n: usize = host_local().map(|n| n.cpus.len()).sum();
            u32::try_from(n).unwrap_or(u32::MAX)
        }
    };
    if vcpus > max_vcpus {
        return Err(PlanError::TooManyVcpus {
            vcpus,
            max: max_vcpus,
            machine: opts.machine.name(),
        });
    }
    let nlocal = local.len();
    if usize::try_from(vcpus).is_ok_and(|v| v < nlocal) {
        return Err(PlanError::TooFewVcpus {
            vcpus,
            nodes: nlocal,
        });
    }
    let memory = match opts.memory {
        Some(m) => m,
        None => {
            let half = host_local().map(|n| n.memory).sum::<u64>() / 2;
            (half / GIB * GIB).max(GIB)
        }
    };
    let nl = u64::try_from(nlocal).unwrap_or(u64::MAX);
    if !memory.is_multiple_of(MIB) || memory / MIB < nl {
        return Err(PlanError::BadMemory {
            memory,
            nodes: nlocal,
        });
    }
    let mem_split = split(memory / MIB, nl);
    let cpu_split = split(u64::from(vcpus), nl);
    let mut nodes = Vec::with_capacity(total);
    let mut next_cpu: u32 = 0;
    for ((&h, &m), &c) in local.iter().zip(&mem_split).zip(&cpu_split) {
        let c = u32::try_from(c).unwrap_or(0);
        nodes.push(GuestNode {
            node: u32::try_from(nodes.len()).unwrap_or(u32::MAX),
            host_node: h,
            cpus: (next_cpu..next_cpu.saturating_add(c)).collect(),
            memory: m * MIB,
            generic_initiator: None,
        });
        next_cpu = next_cpu.saturating_add(c);
    }
    let mut gpus = Vec::with_capacity(chosen.len());
    for (i, (g, hn)) in chosen.iter().zip(&gpu_nodes).enumerate() {
        let mut ids = Vec::with_capacity(hn.len());
        for &h in hn {
            let id = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            ids.push(id);
            nodes.push(GuestNode {
                node: id,
                host_node: h,
                cpus: Vec::new(),
                memory: 0,
                generic_initiator: Some(g.device.bdf),
            });
        }
        gpus.push(GuestGpu {
            host_bdf: g.device.bdf,
            vendor: g.device.vendor,
            device: g.device.device,
            id: format!("gpu{i}"),
            nodes: ids,
            guest_bdf: PciHandle::new(0, 0, 0, 0),
        });
    }
    let mut distances = Vec::with_capacity(total);
    for a in &nodes {
        let mut row = Vec::with_capacity(total);
        for b in &nodes {
            if a.node == b.node {
                row.push(10);
                continue;
            }
            match host.distance(a.host_node, b.host_node) {
                Some(v) if v > 10 => row.push(v),
                value => {
                    return Err(PlanError::BadDistance {
                        from: a.host_node,
                        to: b.host_node,
                        value,
                    });
                }
            }
        }
        distances.push(row);
    }
    let mut p = GuestPlan {
        machine: opts.machine,
        qemu_version: opts.qemu_version,
        nodes,
        distances,
        gpus,
        hmat: false,
    };
    // Guest addresses as `vnuma build` computes them (QEMU's PCI model, firmware bus numbers).
    let f = emit::topology::topology_file(&p, &emit::EmitOptions::default())
        .map_err(|e| PlanError::Topology(e.to_string()))?;
    for g in &mut p.gpus {
        if let Some(d) = f.pci.iter().find(|d| d.id == g.id) {
            g.guest_bdf = d.address;
        }
    }
    Ok(p)
}

/// A CPU list in Linux's list format (`"0-71"`, `""` for none).
fn cpu_list(cpus: &[u32]) -> String {
    crate::linux::list_runs(cpus).join(",")
}

/// The `--json` document of `vnuma plan` (a contract: these keys stay):
/// `{"host": {"nodes": [{"node", "cpus", "memory"}], "distances", "gpus":
/// [{"bdf", "vendor", "device", "driver", "numa_node", "nodes", "source"}]},
/// "guest": {"nodes": [{"node", "host_node", "cpus", "memory",
/// "generic_initiator"}], "distances"}}`; `guest` only with a plan. `cpus` is a
/// Linux CPU list string, `memory` bytes, `vendor`/`device` `"0x10de"` strings,
/// `generic_initiator` the host BDF or null.
pub fn json(host: &HostTopology, plan: Option<&GuestPlan>) -> serde_json::Value {
    use serde_json::json;
    let nodes: Vec<_> = host
        .nodes
        .iter()
        .map(|n| json!({"node": n.node, "cpus": cpu_list(&n.cpus), "memory": n.memory}))
        .collect();
    let distances: Vec<_> = host.nodes.iter().map(|n| n.distances.clone()).collect();
    let gpus: Vec<_> = host
        .gpus
        .iter()
        .map(|g| {
            json!({
                "bdf": g.device.bdf.to_string(),
                "vendor": format!("{:#06x}", g.device.vendor),
                "device": format!("{:#06x}", g.device.device),
                "driver": g.device.driver,
                "numa_node": g.device.numa_node,
                "nodes": g.nodes,
                "source": g.source,
            })
        })
        .collect();
    let mut doc = json!({"host": {"nodes": nodes, "distances": distances, "gpus": gpus}});
    if let (Some(p), Some(obj)) = (plan, doc.as_object_mut()) {
        let nodes: Vec<_> = p
            .nodes
            .iter()
            .map(|n| {
                json!({
                    "node": n.node,
                    "host_node": n.host_node,
                    "cpus": cpu_list(&n.cpus),
                    "memory": n.memory,
                    "generic_initiator": n.generic_initiator.map(|b| b.to_string()),
                })
            })
            .collect();
        obj.insert(
            "guest".into(),
            json!({"nodes": nodes, "distances": p.distances}),
        );
    }
    doc
}

impl GuestPlan {
    /// The guest as text: each node with the host node it stands for, its CPUs,
    /// memory and GPU, the GPUs' guest addresses, the distances and warnings.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "guest: {}, {} vCPUs, {} MiB, {} NUMA nodes (node id = proximity domain)",
            self.machine.name(),
            self.vcpus(),
            self.memory() >> 20,
            self.nodes.len()
        );
        for n in &self.nodes {
            let what = match &n.generic_initiator {
                Some(b) => format!("GPU {b} (generic initiator)"),
                None => format!("cpus {}", cpu_list(&n.cpus)),
            };
            let _ = writeln!(
                s,
                "  node {:>3} = host node {:>3}: {what}, {} MiB",
                n.node,
                n.host_node,
                n.memory >> 20
            );
        }
        for g in &self.gpus {
            let _ = writeln!(
                s,
                "  {} {} -> guest {} (device 0 function 0), nodes {}",
                g.id,
                g.host_bdf,
                g.guest_bdf,
                cpu_list(&g.nodes)
            );
        }
        let _ = writeln!(s, "distances:");
        let _ = write!(s, "node");
        for n in &self.nodes {
            let _ = write!(s, " {:>3}", n.node);
        }
        s.push('\n');
        for (n, row) in self.nodes.iter().zip(&self.distances) {
            let _ = write!(s, "{:>3}:", n.node);
            for v in row {
                let _ = write!(s, " {v:>3}");
            }
            s.push('\n');
        }
        let w = self.warnings();
        if w.len() > 2 {
            let pairs: Vec<String> = w
                .iter()
                .take(8)
                .map(|PlanWarning::Unreachable { from, to, .. }| format!("{from}->{to}"))
                .collect();
            let _ = writeln!(
                s,
                "warning: {} distances are 255 (\"unreachable\"), kept as the host gives them: {}{}",
                w.len(),
                pairs.join(", "),
                if w.len() > 8 { ", …" } else { "" }
            );
        } else {
            for w in w {
                let _ = writeln!(s, "warning: {w}");
            }
        }
        s
    }
}
