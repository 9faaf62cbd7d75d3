//! What a Linux guest makes of a topology's tables: its node numbering, the CPUs,
//! memory and devices of each node, the distance matrix, and warnings where the
//! guest will see something the user probably did not mean.
//!
//! Linux numbers nodes as [`crate::linux::linux_node_order`] says: in the order
//! proximity domains first appear in the SRAT, processor and Generic Initiator
//! structures first, then memory; disabled structures (QEMU's zero padding) are
//! skipped, and a Generic Port gets no node.

use serde::{Deserialize, Serialize};

use super::memory::Range;
use super::tables::Tables;
use crate::acpi::{DeviceHandle, SratEntry};
use crate::topology::{MachineKind, Topology};

/// One node as the guest sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestNode {
    /// The Linux node id.
    pub node: u32,
    /// The ACPI proximity domain (the QEMU/topology node id).
    pub proximity_domain: u32,
    /// CPU indices (possible-CPU order; Linux numbers present CPUs the same way).
    pub cpus: Vec<u32>,
    /// Boot memory in bytes.
    pub memory: u64,
    /// The SRAT memory ranges of the node (boot RAM, NVDIMM, hotplug region).
    pub ranges: Vec<GuestRange>,
    /// PCI devices tied to the node by Generic Initiator structures.
    pub generic_initiators: Vec<GuestDevice>,
    /// Whether Linux brings the node online at boot
    /// ([`crate::linux::online_at_boot`]): a node with no boot RAM, no CPU
    /// present at boot and no generic initiator (its memory only the hotplug
    /// region or NVDIMMs, its CPUs only hot-pluggable ones) has its id but no
    /// `/sys/devices/system/node/nodeN` and is not in `numactl -H`.
    #[serde(default = "yes")]
    pub online: bool,
}

fn yes() -> bool {
    true
}

/// A memory range of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestRange {
    /// The range.
    #[serde(flatten)]
    pub range: Range,
    /// `ram`, `nvdimm`, `hotplug` or `sgx-epc`.
    pub kind: String,
}

/// A device tied to a proximity domain by a Generic Initiator or Generic Port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestDevice {
    /// The device handle as text: `SSSS:BB:DD.F` or `HID/UID`.
    pub handle: String,
    /// The device's name (QEMU `id=`), if known.
    pub device: String,
    /// Where the affinity came from (e.g. the QEMU object id).
    pub label: String,
    /// Proximity domain of the structure.
    pub proximity_domain: u32,
}

/// The guest's view of the whole machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestView {
    /// Machine profile.
    pub machine: MachineKind,
    /// Tables the guest receives (`SRAT`, `SLIT`, `HMAT`).
    pub tables: Vec<String>,
    /// Linux nodes in node-id order.
    pub nodes: Vec<GuestNode>,
    /// Generic Ports (no Linux node of their own).
    pub generic_ports: Vec<GuestDevice>,
    /// Distances between Linux nodes (`distances[i][j]`, Linux ids); Linux uses
    /// 10 local / 20 remote when there is no SLIT.
    pub distances: Vec<Vec<u8>>,
    /// Whether `distances` came from a SLIT.
    pub slit: bool,
    /// `has_generic_initiator` after Linux fell back to one node: Linux keeps
    /// the node ids it gave the SRAT's Generic Initiator domains in that list,
    /// although only node 0 is online (measured: arm `virt`, EDK2 2022.11,
    /// Linux 6.12 shows `online` 0 and `has_generic_initiator` 2-3). Empty
    /// without a fallback (and then not serialized): the list is then the
    /// nodes with `generic_initiators`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback_has_generic_initiator: Vec<u32>,
    /// Things the guest will see that were probably not meant; each front end
    /// words them in its own terms (not serialized: the front end adds its text).
    #[serde(skip)]
    pub warnings: Vec<GuestWarning>,
}

/// Something the guest will see that was probably not meant. The machine states
/// the facts; the front ends word them (their option names, their objects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestWarning {
    /// Linux node ids differ from the proximity domains.
    NodesRenumbered {
        /// `(proximity domain, Linux node)` of each node that moved, in Linux order.
        moved: Vec<(u32, u32)>,
        /// `(label, proximity domain)` of every generic initiator, in table order
        /// (the order that decides Linux's numbering).
        generic_initiators: Vec<(String, u32)>,
    },
    /// A proximity domain for which Linux creates no node.
    NoLinuxNode {
        /// The proximity domain.
        pxm: u32,
        /// Whether a generic port names it (and nothing else does).
        generic_port_only: bool,
    },
    /// A node Linux numbers but does not bring online at boot: no boot RAM
    /// (its only memory, if any, of these kinds: `hotplug`, `nvdimm`,
    /// `sgx-epc`), no CPU present at boot and no generic initiator
    /// ([`crate::linux::online_at_boot`]).
    OfflineNode {
        /// The Linux node id.
        node: u32,
        /// The proximity domain.
        pxm: u32,
        /// The kinds of its memory ranges, in table order.
        kinds: Vec<String>,
        /// Whether it has hot-pluggable CPUs (possible, not present at boot).
        hotplug_cpus: bool,
    },
    /// A generic initiator on a proximity domain that also has CPUs or memory:
    /// the guest sees no separate accelerator node.
    SharedInitiatorNode {
        /// The affinity's label.
        label: String,
        /// The device handle as text (`SSSS:BB:DD.F` or `HID/UID`).
        handle: String,
        /// The proximity domain.
        pxm: u32,
        /// Whether the domain has CPUs.
        cpus: bool,
        /// Whether the domain has memory.
        memory: bool,
    },
    /// No SRAT: the generic initiators and ports (their labels) are dropped.
    AffinitiesWithoutSrat {
        /// Labels of the dropped affinities.
        labels: Vec<String>,
        /// Why there is no SRAT.
        cause: NoSratCause,
    },
    /// arm `virt`: what the firmware makes of the tables.
    ArmVirtFirmware {
        /// Whether firmware (EDK2) is loaded: it reports its 64 MiB flash at
        /// 0x04000000 as memory the SRAT does not cover, and Linux falls back to
        /// one node; without firmware the kernel boots from the device tree.
        firmware: bool,
    },
    /// arm `virt` with an EDK2 build known to report its 64 MiB variable-store
    /// flash at 0x04000000 as RAM (EDK2 2022.11): the SRAT does not cover it, and
    /// Linux ("NUMA: no nodes coverage") falls back to one node; the view shows
    /// that node.
    ArmVirtEdk2Fallback {
        /// The firmware image, as the command line names it.
        firmware: String,
        /// The EDK2 version found in it (e.g. `2022.11`).
        edk2: String,
    },
}

/// The EDK2 version an image was built from, read from the build paths EDK2
/// leaves in its modules (`/edk2-2022.11/Build/ArmVirtQemu-AARCH64/…`, as Debian
/// builds it): the first `edk2-YYYY.MM/` in `image`.
pub fn edk2_build_version(image: &[u8]) -> Option<String> {
    const TAG: &[u8] = b"edk2-";
    let mut from = 0;
    while let Some(i) = image.get(from..)?.windows(TAG.len()).position(|w| w == TAG) {
        let at = from + i + TAG.len();
        let rest = image.get(at..at.saturating_add(8))?;
        let v = std::str::from_utf8(rest.get(..7)?).ok()?;
        let ok = v.bytes().enumerate().all(|(k, b)| {
            if k == 4 {
                b == b'.'
            } else {
                b.is_ascii_digit()
            }
        });
        if ok && rest.get(7) == Some(&b'/') {
            return Some(v.to_string());
        }
        from = at;
    }
    None
}

/// Whether EDK2 `version` (`YYYY.MM`) reports its variable-store flash on arm
/// `virt` as RAM: `Some(true)` for 2022.11 (Debian bookworm's qemu-efi-aarch64,
/// Linux 6.12 falls back to one node), `Some(false)` from 2025.02 on (trixie's,
/// no fallback), `None` for versions nobody measured.
pub fn edk2_reports_flash_as_ram(version: &str) -> Option<bool> {
    match version {
        "2022.11" => Some(true),
        v if v >= "2025.02" => Some(false),
        _ => None,
    }
}

/// Why a machine has no SRAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSratCause {
    /// The topology has no NUMA node (as far as the topology knows).
    NoNodes,
    /// The VMM's own objects, seen by the front end: no NUMA node.
    NoNodeObjects,
    /// ACPI is off.
    AcpiOff,
}

fn handle_text(h: &DeviceHandle) -> String {
    match h {
        DeviceHandle::Pci(p) => p.to_string(),
        DeviceHandle::Acpi(a) => format!("{}/{}", a.hid, a.uid),
        other => format!("handle type {}", other.handle_type()),
    }
}

fn mib(b: u64) -> String {
    if b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else {
        // One decimal, rounded down, from whole KiB (exact in integers).
        let tenths = (b >> 10).saturating_mul(10) / 1024;
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

/// The names of the tables the guest receives.
fn table_names(tables: &Tables) -> Vec<String> {
    [
        ("SRAT", tables.srat.is_some()),
        ("SLIT", tables.slit.is_some()),
        ("HMAT", tables.hmat.is_some()),
    ]
    .iter()
    .filter(|(_, present)| *present)
    .map(|(n, _)| n.to_string())
    .collect()
}

/// Computes the guest view of `t` given the tables built for it; the first
/// `present_cpus` of `t.cpus` are present at boot (QEMU's `-smp cpus=`), the
/// others hot-pluggable.
pub fn guest_view(t: &Topology, tables: &Tables, present_cpus: usize) -> GuestView {
    let names = table_names(tables);
    let Some(srat) = &tables.srat else {
        return view_without_srat(t, names);
    };
    let order = crate::linux::linux_node_order(srat);
    let linux = |pd: u32| order.iter().position(|&p| p == pd);
    let mut nodes: Vec<GuestNode> = order
        .iter()
        .enumerate()
        .map(|(i, &pd)| GuestNode {
            node: u32::try_from(i).unwrap_or(u32::MAX),
            proximity_domain: pd,
            cpus: Vec::new(),
            memory: 0,
            ranges: Vec::new(),
            generic_initiators: Vec::new(),
            online: true,
        })
        .collect();
    for (i, c) in t.cpus.iter().enumerate() {
        if let Some(n) = linux(c.node).and_then(|n| nodes.get_mut(n)) {
            n.cpus.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    add_memory_ranges(t, srat, &linux, &mut nodes);
    for g in &t.generic_initiators {
        if let Some(n) = linux(g.node).and_then(|n| nodes.get_mut(n)) {
            n.generic_initiators.push(guest_device(g));
        }
    }
    for n in &mut nodes {
        n.online = crate::linux::online_at_boot(
            n.ranges.iter().any(|r| r.kind == "ram"),
            n.cpus
                .iter()
                .any(|&c| usize::try_from(c).is_ok_and(|c| c < present_cpus)),
            !n.generic_initiators.is_empty(),
        );
    }
    let generic_ports: Vec<GuestDevice> = t.generic_ports.iter().map(guest_device).collect();
    let distances = linux_distances(&order, tables);
    let mut warnings = Vec::new();
    warnings.extend(renumbering_warning(t, &nodes));
    warnings.extend(nodeless_pxm_warnings(t, &linux));
    warnings.extend(
        nodes
            .iter()
            .filter(|n| !n.online)
            .map(|n| GuestWarning::OfflineNode {
                node: n.node,
                pxm: n.proximity_domain,
                kinds: n.ranges.iter().fold(Vec::new(), |mut k, r| {
                    if !k.contains(&r.kind) {
                        k.push(r.kind.clone());
                    }
                    k
                }),
                hotplug_cpus: !n.cpus.is_empty(),
            }),
    );
    warnings.extend(shared_initiator_warnings(t));
    GuestView {
        machine: t.machine,
        tables: names,
        nodes,
        generic_ports,
        distances,
        slit: tables.slit.is_some(),
        fallback_has_generic_initiator: Vec::new(),
        warnings,
    }
}

/// No SRAT: one node with everything; generic initiators and ports are dropped.
fn view_without_srat(t: &Topology, names: Vec<String>) -> GuestView {
    let mut warnings = Vec::new();
    if !t.generic_initiators.is_empty() || !t.generic_ports.is_empty() {
        let labels = t
            .generic_initiators
            .iter()
            .chain(&t.generic_ports)
            .map(|g| g.label.clone())
            .collect();
        warnings.push(GuestWarning::AffinitiesWithoutSrat {
            labels,
            cause: NoSratCause::NoNodes,
        });
    }
    let cpus: Vec<u32> = (0..u32::try_from(t.cpus.len()).unwrap_or(u32::MAX)).collect();
    GuestView {
        machine: t.machine,
        tables: names,
        nodes: vec![GuestNode {
            node: 0,
            proximity_domain: 0,
            cpus,
            memory: t.memory.ram_size,
            ranges: Vec::new(),
            generic_initiators: Vec::new(),
            online: true,
        }],
        generic_ports: Vec::new(),
        distances: vec![vec![10]],
        slit: false,
        fallback_has_generic_initiator: Vec::new(),
        warnings,
    }
}

/// The enabled SRAT memory ranges of each Linux node (boot RAM counts toward
/// the node's memory).
fn add_memory_ranges(
    t: &Topology,
    srat: &crate::acpi::Srat,
    linux: &impl Fn(u32) -> Option<usize>,
    nodes: &mut [GuestNode],
) {
    for e in &srat.entries {
        if let SratEntry::Memory {
            proximity_domain,
            base_address,
            length,
            flags,
            ..
        } = e
            && flags & 1 != 0
            && let Some(n) = linux(*proximity_domain).and_then(|n| nodes.get_mut(n))
        {
            let kind = if flags & 2 != 0 {
                "hotplug"
            } else if flags & 4 != 0 {
                "nvdimm"
            } else if t
                .sgx_epc
                .iter()
                .any(|r| r.base == *base_address && r.size == *length)
            {
                "sgx-epc"
            } else {
                n.memory = n.memory.saturating_add(*length);
                "ram"
            };
            n.ranges.push(GuestRange {
                range: Range {
                    base: *base_address,
                    size: *length,
                },
                kind: kind.to_string(),
            });
        }
    }
}

/// A device of a generic initiator or port.
fn guest_device(g: &crate::topology::Affinity) -> GuestDevice {
    GuestDevice {
        handle: handle_text(&g.handle),
        device: g.device.clone(),
        label: g.label.clone(),
        proximity_domain: g.node,
    }
}

/// Distances between Linux nodes: the SLIT's, or Linux's 10/20 without one.
fn linux_distances(order: &[u32], tables: &Tables) -> Vec<Vec<u8>> {
    order
        .iter()
        .map(|&a| {
            order
                .iter()
                .map(|&b| {
                    let from_slit = tables.slit.as_ref().and_then(|s| {
                        s.distances
                            .get(usize::try_from(a).ok()?)?
                            .get(usize::try_from(b).ok()?)
                            .copied()
                    });
                    from_slit.unwrap_or(if a == b { 10 } else { 20 })
                })
                .collect()
        })
        .collect()
}

/// The warning for Linux node ids that differ from proximity domains.
fn renumbering_warning(t: &Topology, nodes: &[GuestNode]) -> Option<GuestWarning> {
    let moved: Vec<(u32, u32)> = nodes
        .iter()
        .filter(|n| n.node != n.proximity_domain)
        .map(|n| (n.proximity_domain, n.node))
        .collect();
    if moved.is_empty() {
        return None;
    }
    let generic_initiators = t
        .generic_initiators
        .iter()
        .map(|g| (g.label.clone(), g.node))
        .collect();
    Some(GuestWarning::NodesRenumbered {
        moved,
        generic_initiators,
    })
}

/// Proximity domains Linux creates no node for.
fn nodeless_pxm_warnings(t: &Topology, linux: &impl Fn(u32) -> Option<usize>) -> Vec<GuestWarning> {
    (0..t.nodes.len())
        .map(|pd| u32::try_from(pd).unwrap_or(u32::MAX))
        .filter(|&pd| linux(pd).is_none())
        .map(|pxm| GuestWarning::NoLinuxNode {
            pxm,
            generic_port_only: t.generic_ports.iter().any(|g| g.node == pxm),
        })
        .collect()
}

/// Generic initiators on a proximity domain with CPUs or memory.
fn shared_initiator_warnings(t: &Topology) -> Vec<GuestWarning> {
    let mut out = Vec::new();
    for g in &t.generic_initiators {
        let cpus = t.cpus.iter().any(|c| c.node == g.node);
        let memory = usize::try_from(g.node)
            .ok()
            .and_then(|i| t.nodes.get(i))
            .is_some_and(|n| n.mem > 0);
        if cpus || memory {
            out.push(GuestWarning::SharedInitiatorNode {
                label: g.label.clone(),
                handle: handle_text(&g.handle),
                pxm: g.node,
                cpus,
                memory,
            });
        }
    }
    out
}

impl GuestView {
    /// The view after Linux's fallback to one node (arm `virt` with an EDK2 that
    /// reports its flash as RAM): node 0 with every CPU and the boot RAM, no
    /// generic initiators or ports, no distances from the SLIT; the other
    /// warnings no longer apply and are replaced by `warning`. The Linux ids the
    /// SRAT gave generic-initiator nodes stay listed in `has_generic_initiator`
    /// (Linux sets that state while it parses the SRAT and does not clear it when
    /// it falls back): they go to `fallback_has_generic_initiator`.
    pub fn fall_back_to_one_node(&mut self, t: &Topology, warning: GuestWarning) {
        self.fallback_has_generic_initiator = self
            .nodes
            .iter()
            .filter(|n| !n.generic_initiators.is_empty())
            .map(|n| n.node)
            .collect();
        self.nodes = vec![GuestNode {
            node: 0,
            proximity_domain: 0,
            cpus: (0..u32::try_from(t.cpus.len()).unwrap_or(u32::MAX)).collect(),
            memory: t.memory.ram_size,
            ranges: Vec::new(),
            generic_initiators: Vec::new(),
            online: true,
        }];
        self.generic_ports = Vec::new();
        self.distances = vec![vec![10]];
        self.slit = false;
        self.warnings = vec![warning];
    }

    /// A `numactl -H`-like text rendering. `verbose` adds memory ranges. The
    /// warnings are the front end's to word and print after it.
    pub fn render_text(&self, verbose: bool) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        // As `numactl -H` in the guest: the online nodes only.
        let online: Vec<u32> = self
            .nodes
            .iter()
            .filter(|n| n.online)
            .map(|n| n.node)
            .collect();
        let n = online.len();
        let _ = writeln!(
            s,
            "available: {n} node{} ({})",
            if n == 1 { "" } else { "s" },
            crate::linux::format_list(&online)
        );
        for node in self.nodes.iter().filter(|n| n.online) {
            let cpus: Vec<String> = node.cpus.iter().map(|c| c.to_string()).collect();
            let line = format!(
                "node {} (PXM {}) cpus: {}",
                node.node,
                node.proximity_domain,
                cpus.join(" ")
            );
            let _ = writeln!(s, "{}", line.trim_end());
            let _ = writeln!(s, "node {} size: {}", node.node, mib(node.memory));
            for g in &node.generic_initiators {
                let name = if g.device.is_empty() {
                    String::new()
                } else {
                    format!(" {}", g.device)
                };
                let _ = writeln!(
                    s,
                    "node {} generic initiator: {}{name} ({})",
                    node.node, g.handle, g.label
                );
            }
            if verbose {
                for r in &node.ranges {
                    let _ = writeln!(
                        s,
                        "node {} {}: {:#x}-{:#x}",
                        node.node,
                        r.kind,
                        r.range.base,
                        r.range.end().map_or(u64::MAX, |e| e.saturating_sub(1))
                    );
                }
            }
        }
        if !self.fallback_has_generic_initiator.is_empty() {
            let _ = writeln!(
                s,
                "has_generic_initiator: {} (kept from the SRAT after the fallback to one node; only node 0 is online)",
                crate::linux::format_list(&self.fallback_has_generic_initiator)
            );
        }
        for g in &self.generic_ports {
            let _ = writeln!(
                s,
                "generic port: {} {} ({}) on PXM {} (no Linux node)",
                g.handle, g.device, g.label, g.proximity_domain
            );
        }
        let _ = writeln!(
            s,
            "node distances{}:",
            if self.slit {
                ""
            } else {
                " (no SLIT: Linux defaults)"
            }
        );
        let _ = write!(s, "node ");
        for node in &online {
            let _ = write!(s, "{node:>4}");
        }
        let _ = writeln!(s);
        let is_online = |i: usize| {
            u32::try_from(i)
                .ok()
                .is_some_and(|i| online.binary_search(&i).is_ok())
        };
        for (i, row) in self.distances.iter().enumerate() {
            if !is_online(i) {
                continue;
            }
            let _ = write!(s, "{i:>3}: ");
            for (_, d) in row.iter().enumerate().filter(|(j, _)| is_online(*j)) {
                let _ = write!(s, "{d:>4}");
            }
            let _ = writeln!(s);
        }
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::acpi::PciHandle;
    use crate::machine::memory::MIB;
    use crate::machine::tables::build_tables;
    use crate::topology::{Affinity, Cpu, MemoryConfig, Node, Oem};

    /// The Grace Hopper example with QEMU's GI order (nodes 7,6,5,4,3,9,2,8).
    pub(crate) fn grace_hopper() -> Topology {
        let mut nodes = vec![
            Node {
                mem: 512 * MIB,
                initiator: None,
            },
            Node {
                mem: 512 * MIB,
                initiator: None,
            },
        ];
        nodes.extend((2..10).map(|_| Node::default()));
        Topology {
            machine: MachineKind::Q35,
            memory: MemoryConfig {
                ram_size: 1024 * MIB,
                max_ram: None,
                slots: 0,
                max_ram_below_4g: None,
                above_4g_at_1tib: false,
            },
            cpus: (0..4)
                .map(|i| Cpu {
                    arch_id: i,
                    node: i / 2,
                })
                .collect(),
            nodes,
            distances: None,
            generic_initiators: [7u32, 6, 5, 4, 3, 9, 2, 8]
                .iter()
                .map(|&n| Affinity {
                    node: n,
                    handle: DeviceHandle::Pci(PciHandle::new(0, 1, 0, 0)),
                    label: format!("gi{}", n - 2),
                    device: "gpu0".into(),
                })
                .collect(),
            generic_ports: vec![],
            nvdimms: vec![],
            sgx_epc: vec![],
            hmat: false,
            hmat_lb: vec![],
            hmat_caches: vec![],
            extra_initiators: vec![],
            oem: Oem::default(),
        }
    }

    #[test]
    fn gi_hash_order_renumbers_linux_nodes() {
        // live-peers: Linux numbers nodes by first appearance, so PXM 7 (first GI
        // entry) becomes Linux node 2.
        let t = grace_hopper();
        let tables = build_tables(&t).unwrap();
        let v = guest_view(&t, &tables, t.cpus.len());
        let pds: Vec<u32> = v.nodes.iter().map(|n| n.proximity_domain).collect();
        assert_eq!(pds, [0, 1, 7, 6, 5, 4, 3, 9, 2, 8]);
        assert_eq!(v.nodes[0].cpus, [0, 1]);
        assert_eq!(v.nodes[1].memory, 512 * MIB);
        assert_eq!(v.nodes[2].generic_initiators[0].label, "gi5");
        assert!(v.warnings.iter().any(
            |w| matches!(w, GuestWarning::NodesRenumbered { moved, .. } if moved.contains(&(7, 2)))
        ));
        // No SLIT: Linux defaults.
        assert_eq!(v.distances[0][..3], [10, 20, 20]);
        let text = v.render_text(false);
        assert!(text.contains("available: 10 nodes (0-9)"), "{text}");
    }

    #[test]
    fn memory_pass_comes_after_processors() {
        // Node 0 memory-only, node 1 with the CPU: the CPU pass names PXM 1 first.
        let mut t = grace_hopper();
        t.generic_initiators.clear();
        t.nodes.truncate(2);
        for c in &mut t.cpus {
            c.node = 1;
        }
        let tables = build_tables(&t).unwrap();
        let v = guest_view(&t, &tables, t.cpus.len());
        let pds: Vec<u32> = v.nodes.iter().map(|n| n.proximity_domain).collect();
        assert_eq!(pds, [1, 0]);
    }

    #[test]
    fn dropped_generic_initiators_warn() {
        let mut t = grace_hopper();
        t.nodes.clear();
        let tables = build_tables(&t).unwrap();
        let v = guest_view(&t, &tables, t.cpus.len());
        assert_eq!(v.nodes.len(), 1);
        assert!(
            matches!(
                v.warnings.first(),
                Some(GuestWarning::AffinitiesWithoutSrat {
                    cause: NoSratCause::NoNodes,
                    ..
                })
            ),
            "{:?}",
            v.warnings
        );
    }
}
