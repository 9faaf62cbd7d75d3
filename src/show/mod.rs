//! `vnuma show`: a picture of a NUMA topology with GPU nodes, in a terminal
//! ([`text`]), as SVG ([`svg`]) or as JSON (the serde form of [`View`]).
//!
//! Everything starts from a [`View`], a source-independent model: the Linux
//! nodes (id, proximity domain, CPUs, memory, the devices tied to them by
//! Generic Initiator / Generic Port structures), the GPUs with their nodes, the
//! distance matrix and the HMAT figures. A source only has to fill one in:
//!
//! * [`View::from_tables`]: a decoded SRAT/SLIT/HMAT set, numbered as Linux
//!   numbers it ([`crate::linux::linux_node_order`]); this serves table files
//!   and directories ([`source::from_table_paths`]), topology files
//!   ([`source::from_topology_file`]), QEMU command lines
//!   ([`source::from_qemu_args`]) and libvirt logs ([`source::from_libvirt_log`]);
//! * any other source builds the same struct directly, then [`View::finish`]
//!   derives what follows from the nodes: a host read under a root
//!   ([`View::from_host`], [`host::from_host_root`]) and a planned guest
//!   ([`View::from_plan`], whose nodes name the host nodes they stand for).
//!
//! [`text::side_by_side`] lays two views out against each other (a guest and
//! the host nodes its nodes stand for).

pub mod blocks;
pub mod host;
pub mod source;
pub mod svg;
pub mod text;

use serde::Serialize;

use crate::acpi::hmat::{DATA_TYPE_NAMES, HIERARCHY_NAMES, data_type};
use crate::acpi::{DeviceHandle, Hmat, HmatStructure, Slit, Srat, SratEntry};
use crate::topology::Topology;

pub use source::ShowError;

/// The view of one machine: what `vnuma show` prints and draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    /// What the view shows (a file name, "QEMU command line", a host root).
    pub title: String,
    /// The kind of source: `topology`, `tables`, `qemu`, `libvirt-log`, …
    pub source: String,
    /// The ACPI tables the view was built from (`SRAT`, `SLIT`, `HMAT`).
    pub tables: Vec<String>,
    /// Linux nodes in node-id order.
    pub nodes: Vec<Node>,
    /// GPUs (devices with nodes of their own), each with its nodes.
    pub gpus: Vec<Gpu>,
    /// Generic Ports (no Linux node of their own).
    pub generic_ports: Vec<Device>,
    /// Distances between the nodes, `distances[i][j]` for `nodes[i]` and
    /// `nodes[j]` (Linux's 10/20 when there is no SLIT).
    pub distances: Vec<Vec<u8>>,
    /// Whether the distances came from a SLIT (or the source's own matrix).
    pub slit: bool,
    /// The runs of consecutive nodes whose distances are alike (see
    /// [`blocks::partition`]), as indexes into `nodes` (`[first, last]`).
    pub distance_groups: Vec<[usize; 2]>,
    /// HMAT latency and bandwidth figures.
    pub hmat: Vec<HmatFigures>,
    /// HMAT memory-side caches.
    pub caches: Vec<Cache>,
    /// Remarks on how the view was made (worded for a person).
    pub notes: Vec<String>,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// The Linux node id.
    pub node: u32,
    /// The ACPI proximity domain, where known.
    pub pxm: Option<u32>,
    /// CPU numbers (Linux's logical CPU numbers where the source knows them;
    /// from tables: processor structures numbered in SRAT order).
    pub cpus: Vec<u32>,
    /// Memory in bytes (boot RAM: enabled, not hot-pluggable, not non-volatile).
    pub memory: u64,
    /// Hot-pluggable memory ranges in bytes (placeholders included).
    pub hotplug: u64,
    /// Devices tied to the node (Generic Initiator, Generic Port).
    pub devices: Vec<Device>,
    /// Index into [`View::gpus`] of the GPU this node belongs to.
    pub gpu: Option<usize>,
    /// The host node this node stands for (a planned guest's nodes).
    pub host_node: Option<u32>,
}

/// A device tied to a proximity domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// `generic-initiator` or `generic-port`.
    pub kind: DeviceKind,
    /// The handle as text: `ssss:bb:dd.f` or `HID/UID`.
    pub handle: String,
    /// The device's name (QEMU `id=`, host driver), where known.
    pub name: Option<String>,
    /// The proximity domain of the structure.
    pub pxm: Option<u32>,
}

/// How a device is tied to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// An SRAT Generic Initiator Affinity structure (a host's from its SRAT).
    GenericInitiator,
    /// An SRAT Generic Port Affinity structure.
    GenericPort,
    /// A host GPU's node found without the SRAT (the NVIDIA driver's
    /// `numa_status`, the distance pattern, or `--gpu BDF=NODES`).
    Gpu,
}

impl DeviceKind {
    /// The short tag the text and the picture show: `GI`, `GP` or `GPU`.
    pub fn tag(self) -> &'static str {
        match self {
            DeviceKind::GenericInitiator => "GI",
            DeviceKind::GenericPort => "GP",
            DeviceKind::Gpu => "GPU",
        }
    }
}

/// A GPU (or any accelerator) with nodes of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gpu {
    /// The device handle (`ssss:bb:dd.f`, or `HID/UID`).
    pub handle: String,
    /// The device's name, where known.
    pub name: Option<String>,
    /// Its Linux node ids, ascending.
    pub nodes: Vec<u32>,
    /// How its nodes were found, in words, where the source says (a host:
    /// `NVIDIA driver numa_status`, …; a plan: the host GPU it is).
    pub found_by: Option<String>,
}

impl Gpu {
    /// How the GPU is labelled: `name (handle)` or the handle.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if n != &self.handle => format!("{n} ({})", self.handle),
            _ => self.handle.clone(),
        }
    }
}

impl Device {
    /// How the device is labelled: its name, else its handle.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.handle)
    }
}

/// The figures of one HMAT locality structure, in Linux node ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HmatFigures {
    /// `access-latency`, `read-bandwidth`, …
    pub data_type: String,
    /// `memory`, `first-level`, … (which memory the figures are for).
    pub hierarchy: String,
    /// `ps` (latencies) or `MB/s` (bandwidths).
    pub unit: String,
    /// Initiator nodes (rows); `None` where a proximity domain has no node.
    pub initiators: Vec<Option<u32>>,
    /// Target nodes (columns).
    pub targets: Vec<Option<u32>>,
    /// `values[i][t]` in `unit`; `None`: no information (entry 0).
    pub values: Vec<Vec<Option<u64>>>,
}

/// An HMAT memory-side cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cache {
    /// The node of the memory it caches.
    pub node: Option<u32>,
    /// The proximity domain of that memory.
    pub pxm: u32,
    /// Cache size in bytes.
    pub size: u64,
    /// Cache level (1..3).
    pub level: u8,
}

impl View {
    /// A view from decoded tables, numbered as Linux numbers nodes. No SRAT:
    /// one node, as Linux sees it (a SLIT is then ignored, as Linux ignores it).
    pub fn from_tables(
        title: &str,
        source: &str,
        srat: Option<&Srat>,
        slit: Option<&Slit>,
        hmat: Option<&Hmat>,
    ) -> View {
        let mut v = View::empty(title, source);
        v.tables = [
            ("SRAT", srat.is_some()),
            ("SLIT", slit.is_some()),
            ("HMAT", hmat.is_some()),
        ]
        .iter()
        .filter(|(_, p)| *p)
        .map(|(n, _)| n.to_string())
        .collect();
        v.slit = slit.is_some();
        let order: Vec<u32> = match srat {
            Some(s) => crate::linux::linux_node_order(s),
            None => {
                v.notes.push(match slit {
                    Some(s) => format!(
                        "no SRAT: Linux sees one node and ignores the SLIT ({} localities)",
                        s.distances.len()
                    ),
                    None => "no SRAT: Linux sees one node".into(),
                });
                v.slit = false;
                vec![0]
            }
        };
        v.nodes = order
            .iter()
            .enumerate()
            .map(|(i, &pxm)| Node {
                node: u32::try_from(i).unwrap_or(u32::MAX),
                pxm: Some(pxm),
                cpus: Vec::new(),
                memory: 0,
                hotplug: 0,
                devices: Vec::new(),
                gpu: None,
                host_node: None,
            })
            .collect();
        let node_of = |pxm: u32| order.iter().position(|&p| p == pxm);
        if let Some(s) = srat {
            v.add_srat(s, &node_of);
        }
        let slit = if srat.is_some() { slit } else { None };
        v.distances = order
            .iter()
            .map(|&a| {
                order
                    .iter()
                    .map(|&b| {
                        slit.and_then(|s| {
                            s.distances
                                .get(usize::try_from(a).ok()?)?
                                .get(usize::try_from(b).ok()?)
                                .copied()
                        })
                        .unwrap_or(if a == b { 10 } else { 20 })
                    })
                    .collect()
            })
            .collect();
        if let Some(s) = slit
            && order
                .iter()
                .any(|&p| usize::try_from(p).map_or(true, |p| p >= s.distances.len()))
        {
            v.notes.push(format!(
                "the SLIT has {} localities, fewer than the proximity domains: the missing distances are Linux's 10/20",
                s.distances.len()
            ));
        }
        if let Some(h) = hmat {
            v.add_hmat(h, &node_of);
        }
        v.group_gpus_by_initiator();
        v.finish();
        v
    }

    fn add_srat(&mut self, s: &Srat, node_of: &impl Fn(u32) -> Option<usize>) {
        let rev = s.header.revision;
        let mut cpu = 0u32;
        for e in &s.entries {
            if !crate::linux::is_enabled(e) {
                continue;
            }
            let pxm = crate::linux::linux_pxm(e, rev);
            let node = pxm.and_then(node_of).and_then(|i| self.nodes.get_mut(i));
            match e {
                e if crate::linux::is_processor(e) => {
                    if let Some(n) = node {
                        n.cpus.push(cpu);
                    }
                    cpu = cpu.saturating_add(1);
                }
                SratEntry::Memory { length, flags, .. } => {
                    if let Some(n) = node {
                        if flags & 2 != 0 {
                            n.hotplug = n.hotplug.saturating_add(*length);
                        } else if flags & 4 == 0 {
                            n.memory = n.memory.saturating_add(*length);
                        }
                    }
                }
                SratEntry::GenericInitiator(g) => {
                    let d = Device {
                        kind: DeviceKind::GenericInitiator,
                        handle: handle_text(&g.device_handle),
                        name: None,
                        pxm: Some(g.proximity_domain),
                    };
                    if let Some(n) = node {
                        n.devices.push(d);
                    }
                }
                SratEntry::GenericPort(g) => {
                    let d = Device {
                        kind: DeviceKind::GenericPort,
                        handle: handle_text(&g.device_handle),
                        name: None,
                        pxm: Some(g.proximity_domain),
                    };
                    match node {
                        Some(n) => n.devices.push(d),
                        None => self.generic_ports.push(d),
                    }
                }
                _ => {}
            }
        }
    }

    fn add_hmat(&mut self, h: &Hmat, node_of: &impl Fn(u32) -> Option<usize>) {
        let id = |pxm: u32| node_of(pxm).and_then(|i| u32::try_from(i).ok());
        for s in &h.structures {
            match s {
                HmatStructure::LocalityLatencyBandwidth(l) => {
                    let dt = l.data_type;
                    let name = |names: &[&str], i: u8| {
                        names
                            .get(usize::from(i))
                            .map_or_else(|| format!("type {i}"), |s| (*s).to_string())
                    };
                    self.hmat.push(HmatFigures {
                        data_type: name(&DATA_TYPE_NAMES, dt),
                        hierarchy: name(&HIERARCHY_NAMES, l.flags & 0xf),
                        unit: if data_type::is_latency(dt) {
                            "ps"
                        } else {
                            "MB/s"
                        }
                        .into(),
                        initiators: l.initiators.iter().map(|&p| id(p)).collect(),
                        targets: l.targets.iter().map(|&p| id(p)).collect(),
                        values: l
                            .entries
                            .iter()
                            .map(|row| {
                                row.iter()
                                    .map(|&e| {
                                        (e != 0)
                                            .then(|| u64::from(e).saturating_mul(l.entry_base_unit))
                                    })
                                    .collect()
                            })
                            .collect(),
                    });
                }
                HmatStructure::MemorySideCache {
                    memory_proximity_domain,
                    cache_size,
                    cache_attributes,
                    ..
                } => self.caches.push(Cache {
                    node: id(*memory_proximity_domain),
                    pxm: *memory_proximity_domain,
                    size: *cache_size,
                    level: u8::try_from((cache_attributes >> 4) & 0xf).unwrap_or(0),
                }),
                _ => {}
            }
        }
    }

    /// An empty view, for a source that fills the nodes, GPUs and distances
    /// itself (then calls [`View::finish`]).
    pub fn empty(title: &str, source: &str) -> View {
        View {
            title: title.to_string(),
            source: source.to_string(),
            tables: Vec::new(),
            nodes: Vec::new(),
            gpus: Vec::new(),
            generic_ports: Vec::new(),
            distances: Vec::new(),
            slit: false,
            distance_groups: Vec::new(),
            hmat: Vec::new(),
            caches: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Groups the nodes tied to one device by Generic Initiator structures
    /// under that device (a GPU): one group per handle, in order of the
    /// group's first node; a node joins the group of its first GI.
    pub fn group_gpus_by_initiator(&mut self) {
        let mut gpus: Vec<Gpu> = Vec::new();
        for n in &self.nodes {
            let Some(d) = n
                .devices
                .iter()
                .find(|d| d.kind == DeviceKind::GenericInitiator)
            else {
                continue;
            };
            match gpus.iter_mut().find(|g| g.handle == d.handle) {
                Some(g) => g.nodes.push(n.node),
                None => gpus.push(Gpu {
                    handle: d.handle.clone(),
                    name: d.name.clone(),
                    nodes: vec![n.node],
                    found_by: None,
                }),
            }
        }
        self.gpus = gpus;
    }

    /// Derives what follows from the nodes, GPUs and distances: each node's
    /// `gpu`, GPU node lists sorted, the distance groups. Call after changing them.
    pub fn finish(&mut self) {
        for g in &mut self.gpus {
            g.nodes.sort_unstable();
            g.nodes.dedup();
        }
        for n in &mut self.nodes {
            n.gpu = self.gpus.iter().position(|g| g.nodes.contains(&n.node));
        }
        self.distance_groups = blocks::partition(&self.distances)
            .into_iter()
            .map(|(a, b)| [a, b])
            .collect();
    }

    /// Names the devices (and GPUs) whose handle `name` knows.
    pub fn name_devices(&mut self, name: impl Fn(&str) -> Option<String>) {
        for d in self
            .nodes
            .iter_mut()
            .flat_map(|n| n.devices.iter_mut())
            .chain(self.generic_ports.iter_mut())
        {
            if d.name.is_none() {
                d.name = name(&d.handle);
            }
        }
        for g in &mut self.gpus {
            if g.name.is_none() {
                g.name = name(&g.handle);
            }
        }
    }

    /// Names devices after a topology's affinities (their `device` names).
    pub fn name_devices_from(&mut self, t: &Topology) {
        self.name_devices(|h| {
            t.generic_initiators
                .iter()
                .chain(&t.generic_ports)
                .find(|a| !a.device.is_empty() && handle_text(&a.handle) == h)
                .map(|a| a.device.clone())
        });
    }

    /// The node at Linux id `id`.
    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.iter().find(|n| n.node == id)
    }

    /// The number of distinct CPUs of all nodes (a host with a NUMA bug may
    /// list one CPU in several nodes: it counts once).
    pub fn cpu_count(&self) -> usize {
        self.nodes
            .iter()
            .flat_map(|n| n.cpus.iter())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }

    /// The memory of all nodes, in bytes.
    pub fn memory_total(&self) -> u64 {
        self.nodes
            .iter()
            .fold(0u64, |a, n| a.saturating_add(n.memory))
    }

    /// The distance between nodes at indexes `i` and `j` of [`View::nodes`].
    pub fn distance(&self, i: usize, j: usize) -> Option<u8> {
        self.distances.get(i)?.get(j).copied()
    }

    /// A one-line summary: `34 nodes, 144 CPUs, 960 GiB, 4 GPUs; tables SRAT SLIT`.
    pub fn summary(&self) -> String {
        let n = self.nodes.len();
        let c = self.cpu_count();
        let g = self.gpus.len();
        let mut s = format!(
            "{n} node{}, {c} CPU{}, {} memory",
            plural(n),
            plural(c),
            size_text(self.memory_total())
        );
        if g > 0 {
            s.push_str(&format!(", {g} GPU{}", plural(g)));
        }
        if !self.tables.is_empty() {
            s.push_str(&format!("; tables {}", self.tables.join(" ")));
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A device handle as text: `ssss:bb:dd.f` (PCI) or `HID/UID` (ACPI).
pub fn handle_text(h: &DeviceHandle) -> String {
    match h {
        DeviceHandle::Pci(p) => p.to_string(),
        DeviceHandle::Acpi(a) => format!("{}/{}", a.hid, a.uid),
        other => format!("handle type {}", other.handle_type()),
    }
}

/// A byte size in the largest binary unit that keeps one decimal exact enough:
/// `480 GiB`, `512 MiB`, `1.5 GiB`, `0`.
pub fn size_text(b: u64) -> String {
    if b == 0 {
        return "0".into();
    }
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut unit = 0usize;
    let mut v = b;
    while v >= 1024 && unit + 1 < UNITS.len() {
        v /= 1024;
        unit += 1;
    }
    let name = UNITS.get(unit).copied().unwrap_or("B");
    let scale = 1u128 << (10 * unit);
    let tenths = u128::from(b) * 10 / scale;
    if tenths.is_multiple_of(10) {
        format!("{} {name}", tenths / 10)
    } else {
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    }
}

/// An HMAT figure in its unit: latencies in ns (ps below 1 ns or when not
/// whole), bandwidths in MB/s (GB/s when whole thousands).
pub fn figure_text(value: u64, unit: &str) -> String {
    match unit {
        "ps" if value.is_multiple_of(1000) => format!("{} ns", value / 1000),
        "ps" => format!("{value} ps"),
        "MB/s" if value >= 1000 && value.is_multiple_of(1000) => format!("{} GB/s", value / 1000),
        u => format!("{value} {u}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_text(0), "0");
        assert_eq!(size_text(512 << 20), "512 MiB");
        assert_eq!(size_text(480 << 30), "480 GiB");
        assert_eq!(size_text(3 << 29), "1.5 GiB");
        assert_eq!(figure_text(10_000, "ps"), "10 ns");
        assert_eq!(figure_text(1500, "ps"), "1500 ps");
        assert_eq!(figure_text(200_000, "MB/s"), "200 GB/s");
    }

    #[test]
    fn grace_hopper_from_tables() {
        let t = crate::machine::guest::tests::grace_hopper();
        let tables = crate::machine::tables::build_tables(&t).unwrap();
        let mut v = View::from_tables(
            "gh",
            "test",
            tables.srat.as_ref(),
            tables.slit.as_ref(),
            tables.hmat.as_ref(),
        );
        v.name_devices_from(&t);
        assert_eq!(v.nodes.len(), 10);
        assert_eq!(v.nodes[0].cpus, [0, 1]);
        assert_eq!(v.nodes[1].cpus, [2, 3]);
        assert_eq!(v.nodes[1].memory, 512 << 20);
        // QEMU's GI order: PXM 7 first → Linux node 2.
        assert_eq!(v.nodes[2].pxm, Some(7));
        assert_eq!(v.gpus.len(), 1);
        assert_eq!(v.gpus[0].nodes, (2..10).collect::<Vec<_>>());
        assert_eq!(v.gpus[0].name.as_deref(), Some("gpu0"));
        assert_eq!(v.gpus[0].handle, "0000:01:00.0");
        assert!(v.nodes[2..].iter().all(|n| n.gpu == Some(0)));
        // No SLIT: Linux's 10/20 everywhere, so all nodes are alike.
        assert!(!v.slit);
        assert_eq!(v.distance_groups, [[0, 9]]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any table set gives a view, a text (any width) and a well-formed SVG,
        /// without panicking.
        #[test]
        fn any_tables_render(
            entries in proptest::collection::vec((0u8..4, 0u32..300, 0u32..8, 0u64..(1 << 40), 0u8..4), 0..80),
            slit_n in 0usize..40,
            slit_v in proptest::collection::vec(0u8..=255, 1..64),
            width in 0usize..200,
        ) {
            use crate::acpi::{GenericAffinity, PciHandle};
            let mut srat = Srat::new(3);
            for (kind, pxm, flags, len, dev) in entries {
                srat.entries.push(match kind {
                    0 => SratEntry::Gicc { proximity_domain: pxm, acpi_processor_uid: 0, flags, clock_domain: 0 },
                    1 => SratEntry::Memory { proximity_domain: pxm, base_address: 0, length: len, flags, reserved1: 0, reserved2: 0, reserved3: 0 },
                    2 => SratEntry::GenericInitiator(GenericAffinity { proximity_domain: pxm, device_handle: DeviceHandle::Pci(PciHandle::new(0, dev, 0, 0)), flags, reserved1: 0, reserved2: 0 }),
                    _ => SratEntry::GenericPort(GenericAffinity { proximity_domain: pxm, device_handle: DeviceHandle::Pci(PciHandle::new(0, dev, 0, 0)), flags, reserved1: 0, reserved2: 0 }),
                });
            }
            let d: Vec<Vec<u8>> = (0..slit_n)
                .map(|i| (0..slit_n).map(|j| slit_v[(i * slit_n + j) % slit_v.len()]).collect())
                .collect();
            let slit = Slit::new(d);
            let v = View::from_tables("t", "test", Some(&srat), Some(&slit), None);
            let _ = text::render(&v, &text::TextOptions { color: true, width });
            let map: Vec<(u32, u32)> = v.nodes.iter().map(|n| (n.node, n.node / 2)).collect();
            let _ = text::side_by_side(&v, &v, &map, &text::TextOptions { color: false, width });
            let svg = svg::render(&v);
            proptest::prop_assert!(svg.ends_with("</svg>\n"));
            let _ = serde_json::to_string(&v).unwrap();
        }
    }
}
