//! [`discover`]: reading a host's nodes, PCI devices and GPU nodes under a root.

use super::{
    GpuChoice, HostError, HostGpu, HostNode, HostOptions, HostPciDevice, HostTopology, HostWarning,
    NVIDIA_VENDOR, NodeSource, function_key, same_function,
};
use crate::acpi::srat::{FLAG_ENABLED, MEM_HOT_PLUGGABLE};
use crate::acpi::{DeviceHandle, PciHandle, Srat, SratEntry};
use crate::input::{InputError, InputKind, MAX_LINUX_CPUS, MAX_LINUX_NODES};
use crate::linux::{format_list, is_enabled, linux_node_of, linux_node_order, linux_pxm};
use std::collections::{BTreeMap, BTreeSet};

/// A PCI function's identity (segment, bus, device, function).
type Key = (u16, u8, u8, u8);
use std::path::{Path, PathBuf};

/// Most nodes one GPU has (NVIDIA's firmware: 8 per GPU, one per MIG partition).
pub const GPU_NODES_MAX: usize = 8;

/// Most PCI devices read (a directory with more entries is cut, with a warning).
/// 65536 is far above any real host (a full PCI segment has 8192 functions per bus
/// range of 32 devices × 8 functions × 256 buses / 2^3).
pub const MAX_PCI_DEVICES: usize = 65536;

/// Most entries listed from one directory (`node/`, `gpus/`): bounds the work
/// on a tree holding junk.
const MAX_DIR_ENTRIES: usize = 1 << 20;

const NODE_DIR: &str = "sys/devices/system/node";
/// The CPU directory under the root.
const CPU_DIR: &str = "sys/devices/system/cpu";
const PCI_DIR: &str = "sys/bus/pci/devices";
const SRAT_PATH: &str = "sys/firmware/acpi/tables/SRAT";
const NVIDIA_GPUS_DIR: &str = "proc/driver/nvidia/gpus";

/// Reads files under the root and collects warnings.
struct Reader<'a> {
    fs: &'a dyn super::fs::HostFs,
    root: &'a Path,
    warnings: Vec<HostWarning>,
}

impl Reader<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn warn(&mut self, path: &Path, message: impl Into<String>) {
        self.warnings.push(HostWarning {
            path: path.display().to_string(),
            message: crate::input::cap_message(message.into()),
        });
    }

    fn warn_input(&mut self, path: &Path, e: &InputError) {
        let message = if e.is_not_found() {
            "missing".to_string()
        } else {
            // The error names the path itself; keep the reason only.
            let s = e.to_string();
            let prefix = format!("cannot read {}: ", path.display());
            s.strip_prefix(&prefix).map(str::to_string).unwrap_or(s)
        };
        self.warn(path, message);
    }

    /// A sysfs text file; `None` (and a warning) when it cannot be read.
    fn text(&mut self, path: &Path) -> Option<String> {
        match self.fs.read_text(path, InputKind::Sysfs) {
            Ok(t) => Some(t),
            Err(e) => {
                self.warn_input(path, &e);
                None
            }
        }
    }

    /// A sysfs text file that may be absent without a warning.
    fn optional_text(&mut self, path: &Path) -> Option<String> {
        match self.fs.read_text(path, InputKind::Sysfs) {
            Ok(t) => Some(t),
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                self.warn_input(path, &e);
                None
            }
        }
    }

    /// A list of Linux ids below `max`.
    fn id_list(&mut self, path: &Path, what: &'static str, max: u32) -> Option<Vec<u32>> {
        let text = self.text(path)?;
        match crate::verify::parse_id_list(path, text.trim(), what, max) {
            Ok(v) => Some(v),
            Err(e) => {
                self.warn(path, strip_path(&e.to_string(), path));
                None
            }
        }
    }

    /// The names in a directory (at most [`MAX_DIR_ENTRIES`]), sorted.
    fn dir_names(&mut self, path: &Path) -> Result<Vec<String>, std::io::Error> {
        let mut names = Vec::new();
        for entry in self.fs.read_dir(path, MAX_DIR_ENTRIES)? {
            if names.len() >= MAX_DIR_ENTRIES {
                self.warn(
                    path,
                    format!("more than {MAX_DIR_ENTRIES} entries; the rest ignored"),
                );
                break;
            }
            match entry {
                Ok(e) => match e.into_string() {
                    Ok(n) => names.push(n),
                    Err(n) => self.warn(&path.join(&n), "name is not UTF-8; ignored".to_string()),
                },
                Err(e) => self.warn(path, format!("cannot list: {e}")),
            }
        }
        names.sort();
        Ok(names)
    }

    /// The file name of the target of link `path` (`driver`, `iommu_group`), if it is one.
    fn link_name(&mut self, path: &Path) -> Option<String> {
        match self.fs.read_link(path) {
            Ok(t) => match t.file_name().and_then(|n| n.to_str()) {
                Some(n) => Some(n.to_string()),
                None => {
                    self.warn(path, "link target has no usable name");
                    None
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.warn(path, format!("not a readable link: {e}"));
                None
            }
        }
    }
}

/// A message without a leading "PATH: " (the warning names the path apart).
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

/// Reads the host under `root` (`/` for the running host): NUMA nodes, PCI
/// devices and each GPU's nodes (see the [module docs](super)).
///
/// Errors only when the root is not a Linux tree (no `sys/devices/system/node`)
/// or that directory cannot be listed, or when `opts` names a device or node the
/// host does not have; every other problem is a [`HostWarning`].
pub fn discover(root: &Path, opts: &HostOptions) -> Result<HostTopology, HostError> {
    discover_in(&super::fs::RealFs, root, opts)
}

/// [`discover`] over any [`super::fs::HostFs`] (an in-memory tree in tests and
/// fuzzing): the same reads, warnings and result.
pub fn discover_in(
    fs: &dyn super::fs::HostFs,
    root: &Path,
    opts: &HostOptions,
) -> Result<HostTopology, HostError> {
    let mut r = Reader {
        fs,
        root,
        warnings: Vec::new(),
    };
    let nodes = read_nodes(&mut r)?;
    let pci = read_pci(&mut r);
    let nvidia_listed = nvidia_listed(&mut r);
    let mut topo = HostTopology {
        nodes,
        pci,
        gpus: Vec::new(),
        warnings: Vec::new(),
    };
    let present: BTreeSet<Key> = topo.pci.iter().map(|d| function_key(d.bdf)).collect();
    for bdf in &nvidia_listed {
        if !present.contains(&function_key(*bdf)) {
            let p = r.path(NVIDIA_GPUS_DIR).join(bdf.to_string());
            r.warn(
                &p,
                "the NVIDIA driver lists a GPU that sys/bus/pci/devices does not have",
            );
        }
    }
    let listed: BTreeSet<Key> = nvidia_listed.iter().map(|b| function_key(*b)).collect();
    // A device the NVIDIA driver lists whose vendor file is missing is NVIDIA's.
    for d in &mut topo.pci {
        if d.vendor == 0 && listed.contains(&function_key(d.bdf)) {
            d.vendor = NVIDIA_VENDOR;
        }
    }
    let gpus = choose_gpus(&topo, &present, &listed, opts, root)?;
    let srat = read_srat(&mut r).map(|s| SratGpus::new(&s));
    assign_nodes(&mut r, &mut topo, gpus, srat.as_ref(), opts);
    topo.warnings = r.warnings;
    Ok(topo)
}

/// The nodes under `sys/devices/system/node`.
fn read_nodes(r: &mut Reader) -> Result<Vec<HostNode>, HostError> {
    let nd = r.path(NODE_DIR);
    if !r.fs.is_dir(&nd) && r.fs.is_dir(&r.path(CPU_DIR)) {
        return Ok(vec![one_node(r, &nd)]);
    }
    if !r.fs.is_dir(&nd) {
        return Err(HostError::NotLinux {
            path: nd,
            root: r.root.to_path_buf(),
        });
    }
    let names = r.dir_names(&nd).map_err(|error| HostError::Unreadable {
        path: nd.clone(),
        error,
    })?;
    let mut ids: Vec<u32> = Vec::new();
    for name in &names {
        let Some(num) = name.strip_prefix("node") else {
            continue;
        };
        match num.parse::<u32>() {
            Ok(n) if n < MAX_LINUX_NODES && num == n.to_string() => ids.push(n),
            _ => r.warn(
                &nd.join(name),
                format!(
                    "not a Linux node directory (node ids are below {MAX_LINUX_NODES}); ignored"
                ),
            ),
        }
    }
    ids.sort_unstable();
    if ids.is_empty() {
        r.warn(&nd, "no node directories (nodeN)");
    }
    let set = |r: &mut Reader, name: &str, instead: &str| -> Option<BTreeSet<u32>> {
        let p = nd.join(name);
        if !r.fs.exists(&p) {
            r.warn(&p, format!("missing; {instead}"));
            return None;
        }
        r.id_list(&p, "node", MAX_LINUX_NODES)
            .map(|v| v.into_iter().collect())
    };
    let has_cpu = set(r, "has_cpu", "nodes with a cpulist taken as CPU nodes");
    let has_memory = set(
        r,
        "has_memory",
        "nodes with MemTotal > 0 taken as memory nodes",
    );
    let has_gi = set(
        r,
        "has_generic_initiator",
        "no node marked (kernels before 5.10 do not have it)",
    );
    let mut nodes = Vec::with_capacity(ids.len());
    for &id in &ids {
        let dir = nd.join(format!("node{id}"));
        let cpus = read_cpus(r, &dir);
        let memory = read_memory(r, &dir);
        let distances = read_distances(r, &dir, ids.len());
        nodes.push(HostNode {
            node: id,
            has_cpu: has_cpu
                .as_ref()
                .map_or(!cpus.is_empty(), |s| s.contains(&id)),
            has_memory: has_memory.as_ref().map_or(memory > 0, |s| s.contains(&id)),
            has_generic_initiator: has_gi.as_ref().is_some_and(|s| s.contains(&id)),
            cpus,
            memory,
            distances,
        });
    }
    warn_shared_cpus(r, &nd, &nodes);
    Ok(nodes)
}

/// A host whose kernel has no NUMA support (no `sys/devices/system/node`; hwloc's
/// `2arm-2c`, `2i386-2c-nohugepage`, `20s390-2g6s4c`): as `numactl -H` shows it,
/// one node 0 with every CPU (`cpu/online`, else the `cpuN` directories) and
/// `MemTotal` of `proc/meminfo`.
fn one_node(r: &mut Reader, nd: &Path) -> HostNode {
    r.warn(
        nd,
        "missing (a kernel without NUMA support): one node 0 with every CPU and the memory of proc/meminfo",
    );
    let cpu_dir = r.path(CPU_DIR);
    let online = cpu_dir.join("online");
    let mut cpus = if r.fs.exists(&online) {
        r.id_list(&online, "CPU", MAX_LINUX_CPUS)
            .unwrap_or_default()
    } else {
        let names = r.dir_names(&cpu_dir).unwrap_or_default();
        names
            .iter()
            .filter_map(|n| n.strip_prefix("cpu"))
            .filter_map(|n| n.parse::<u32>().ok().filter(|c| n == c.to_string()))
            .filter(|&c| c < MAX_LINUX_CPUS)
            .collect()
    };
    cpus.sort_unstable();
    cpus.dedup();
    let memory = read_memory(r, &r.path("proc"));
    HostNode {
        node: 0,
        has_cpu: !cpus.is_empty(),
        has_memory: memory > 0,
        has_generic_initiator: false,
        cpus,
        memory,
        distances: vec![10],
    }
}

/// A CPU belongs to one node; a tree that lists one in several nodes (hwloc's
/// `8em64t-2s2ca2c-buggynuma`: every node's cpumap is `ff`) gets one warning.
fn warn_shared_cpus(r: &mut Reader, nd: &Path, nodes: &[HostNode]) {
    let mut owners: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for n in nodes {
        for &c in &n.cpus {
            owners.entry(c).or_default().push(n.node);
        }
    }
    let shared: Vec<(u32, Vec<u32>)> = owners.into_iter().filter(|(_, n)| n.len() > 1).collect();
    if let Some((cpu, in_nodes)) = shared.first() {
        r.warn(
            nd,
            format!(
                "{} CPU(s) are listed in more than one node (CPU {cpu} in nodes {}): a firmware or kernel NUMA bug; each node keeps the CPUs its files list",
                shared.len(),
                crate::linux::format_list(in_nodes)
            ),
        );
    }
}

/// A node's CPUs: `cpulist`, else `cpumap` (older trees), else none.
fn read_cpus(r: &mut Reader, dir: &Path) -> Vec<u32> {
    let list = dir.join("cpulist");
    match r.fs.read_text(&list, InputKind::Sysfs) {
        Ok(t) => match crate::verify::parse_id_list(&list, &t, "CPU", MAX_LINUX_CPUS) {
            Ok(mut v) => {
                v.sort_unstable();
                v
            }
            Err(e) => {
                r.warn(&list, strip_path(&e.to_string(), &list));
                Vec::new()
            }
        },
        Err(e) if e.is_not_found() => {
            let map = dir.join("cpumap");
            match r.fs.read_text(&map, InputKind::Sysfs) {
                Ok(t) => match parse_cpumap(&t) {
                    Some(v) => v,
                    None => {
                        r.warn(
                            &map,
                            format!("\"{}\" is not a CPU mask", crate::input::echo(t.trim())),
                        );
                        Vec::new()
                    }
                },
                Err(e2) => {
                    r.warn_input(&list, &e);
                    if !e2.is_not_found() {
                        r.warn_input(&map, &e2);
                    }
                    Vec::new()
                }
            }
        }
        Err(e) => {
            r.warn_input(&list, &e);
            Vec::new()
        }
    }
}

/// Parses a sysfs CPU mask (`cpumap`: comma-separated 32-bit hex words, most
/// significant first) into CPU ids below [`MAX_LINUX_CPUS`]; `None` when it is
/// not a mask or names a larger CPU.
pub fn parse_cpumap(text: &str) -> Option<Vec<u32>> {
    let words: Vec<&str> = text.trim().split(',').collect();
    if words.len() > (MAX_LINUX_CPUS / 32) as usize + 1 {
        return None;
    }
    let mut cpus = Vec::new();
    for (i, w) in words.iter().rev().enumerate() {
        if w.is_empty() || w.len() > 8 {
            return None;
        }
        let v = u32::from_str_radix(w, 16).ok()?;
        let base = u32::try_from(i).ok()?.checked_mul(32)?;
        for bit in 0..32u32 {
            if v & (1 << bit) != 0 {
                let cpu = base.checked_add(bit)?;
                if cpu >= MAX_LINUX_CPUS {
                    return None;
                }
                cpus.push(cpu);
            }
        }
    }
    cpus.sort_unstable();
    Some(cpus)
}

/// A node's `MemTotal` in bytes (0 and a warning when unreadable).
fn read_memory(r: &mut Reader, dir: &Path) -> u64 {
    let p = dir.join("meminfo");
    let Some(t) = r.text(&p) else {
        return 0;
    };
    match crate::verify::parse_meminfo(&p, &t) {
        Ok(kib) => match kib.checked_mul(1024) {
            Some(b) => b,
            None => {
                r.warn(&p, format!("MemTotal {kib} kB is too large"));
                0
            }
        },
        Err(e) => {
            r.warn(&p, strip_path(&e.to_string(), &p));
            0
        }
    }
}

/// A node's `distance` row; empty (and a warning) when unreadable, malformed or
/// not one number per node.
fn read_distances(r: &mut Reader, dir: &Path, count: usize) -> Vec<u8> {
    let p = dir.join("distance");
    let Some(t) = r.text(&p) else {
        return Vec::new();
    };
    let row = match crate::verify::parse_distance(&p, &t) {
        Ok(v) => v,
        Err(e) => {
            r.warn(&p, strip_path(&e.to_string(), &p));
            return Vec::new();
        }
    };
    if row.len() != count {
        r.warn(
            &p,
            format!(
                "{} distances for {count} nodes; the row is ignored",
                row.len()
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::with_capacity(row.len());
    for d in row {
        match u8::try_from(d) {
            Ok(d) => out.push(d),
            Err(_) => {
                r.warn(&p, format!("distance {d} is above 255; the row is ignored"));
                return Vec::new();
            }
        }
    }
    out
}

/// Parses a sysfs hex id (`0x10de`); `None` when it is not one.
pub fn parse_hex_id(text: &str) -> Option<u32> {
    let t = text.trim();
    let h = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"))?;
    if h.is_empty() || h.len() > 8 {
        return None;
    }
    u32::from_str_radix(h, 16).ok()
}

/// The PCI devices under `sys/bus/pci/devices`, in BDF order.
fn read_pci(r: &mut Reader) -> Vec<HostPciDevice> {
    let pd = r.path(PCI_DIR);
    let names = match r.dir_names(&pd) {
        Ok(n) => n,
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                "missing: no PCI devices read".to_string()
            } else {
                format!("cannot list: {e}")
            };
            r.warn(&pd, message);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for name in names {
        if out.len() >= MAX_PCI_DEVICES {
            r.warn(
                &pd,
                format!("more than {MAX_PCI_DEVICES} devices; the rest ignored"),
            );
            break;
        }
        let dir = pd.join(&name);
        let Some(bdf) = PciHandle::parse(&name).filter(|_| name.matches(':').count() == 2) else {
            r.warn(&dir, "not a PCI address SSSS:BB:DD.F; ignored");
            continue;
        };
        let hex = |r: &mut Reader, file: &str, bits: u32| -> u32 {
            let p = dir.join(file);
            let Some(t) = r.text(&p) else {
                return 0;
            };
            match parse_hex_id(&t).filter(|&v| u64::from(v) < 1u64 << bits) {
                Some(v) => v,
                None => {
                    r.warn(
                        &p,
                        format!(
                            "\"{}\" is not a {bits}-bit hex id",
                            crate::input::echo(t.trim())
                        ),
                    );
                    0
                }
            }
        };
        let vendor = u16::try_from(hex(r, "vendor", 16)).unwrap_or(0);
        let device = u16::try_from(hex(r, "device", 16)).unwrap_or(0);
        let class = hex(r, "class", 24);
        let numa_node = read_numa_node(r, &dir.join("numa_node"));
        let driver = r.link_name(&dir.join("driver"));
        let iommu_path = dir.join("iommu_group");
        let iommu_group = r
            .link_name(&iommu_path)
            .and_then(|n| match n.parse::<u32>() {
                Ok(g) => Some(g),
                Err(_) => {
                    r.warn(
                        &iommu_path,
                        format!(
                            "\"{}\" is not an IOMMU group number",
                            crate::input::echo(&n)
                        ),
                    );
                    None
                }
            });
        out.push(HostPciDevice {
            bdf,
            vendor,
            device,
            class,
            driver,
            numa_node,
            iommu_group,
        });
    }
    out.sort_by_key(|d| d.bdf);
    out
}

/// A device's `numa_node` (-1 or absent: none).
fn read_numa_node(r: &mut Reader, p: &Path) -> Option<u32> {
    let t = r.optional_text(p)?;
    match t.trim().parse::<i64>() {
        Ok(-1) => None,
        Ok(n) if (0..i64::from(MAX_LINUX_NODES)).contains(&n) => u32::try_from(n).ok(),
        _ => {
            r.warn(
                p,
                format!(
                    "\"{}\" is not -1 or a node id below {MAX_LINUX_NODES}",
                    crate::input::echo(t.trim())
                ),
            );
            None
        }
    }
}

/// The GPUs the NVIDIA driver lists under `proc/driver/nvidia/gpus`.
fn nvidia_listed(r: &mut Reader) -> Vec<PciHandle> {
    let gd = r.path(NVIDIA_GPUS_DIR);
    let names = match r.dir_names(&gd) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            r.warn(&gd, format!("cannot list: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for name in names {
        match PciHandle::parse(&name) {
            Some(h) => out.push(h),
            None => r.warn(&gd.join(&name), "not a PCI address; ignored"),
        }
    }
    out
}

/// The GPUs: NVIDIA display/3D devices, those the NVIDIA driver lists, and those
/// the user names, in BDF order.
fn choose_gpus(
    topo: &HostTopology,
    present: &BTreeSet<Key>,
    listed: &BTreeSet<Key>,
    opts: &HostOptions,
    root: &Path,
) -> Result<Vec<HostPciDevice>, HostError> {
    let named: BTreeSet<Key> = opts.gpus.iter().map(|c| function_key(c.bdf)).collect();
    for c in &opts.gpus {
        if !present.contains(&function_key(c.bdf)) {
            return Err(HostError::UnknownDevice {
                bdf: c.bdf,
                path: root.join(PCI_DIR),
            });
        }
        if let Some(nodes) = &c.nodes
            && let Some(&node) = nodes.iter().find(|&&n| topo.node(n).is_none())
        {
            return Err(HostError::UnknownNode {
                bdf: c.bdf,
                nodes: nodes.clone(),
                node,
            });
        }
    }
    Ok(topo
        .pci
        .iter()
        .filter(|d| {
            let k = function_key(d.bdf);
            d.is_nvidia_gpu() || listed.contains(&k) || named.contains(&k)
        })
        .cloned()
        .collect())
}

/// The host SRAT, if present and readable.
fn read_srat(r: &mut Reader) -> Option<Srat> {
    let p = r.path(SRAT_PATH);
    match r.fs.read_bytes(&p, InputKind::Table) {
        Ok(b) => match Srat::decode(&b) {
            Ok(s) => Some(s),
            Err(e) => {
                r.warn(&p, format!("not a valid SRAT: {e}"));
                None
            }
        },
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            r.warn_input(&p, &e);
            None
        }
    }
}

/// What the host SRAT says about GPUs: Linux's node numbering of its
/// proximity domains and each PCI function's Generic Initiator PXMs.
struct SratGpus {
    order: Vec<u32>,
    gi: BTreeMap<Key, Vec<u32>>,
    /// Linux nodes of the placeholder memory entries (enabled, hot-pluggable, no
    /// range: NVIDIA's firmware writes one per GPU proximity domain).
    placeholders: BTreeSet<u32>,
}

impl SratGpus {
    fn new(srat: &Srat) -> Self {
        let rev = srat.header.revision;
        let mut gi: BTreeMap<Key, Vec<u32>> = BTreeMap::new();
        for e in &srat.entries {
            if let SratEntry::GenericInitiator(g) = e
                && let DeviceHandle::Pci(h) = &g.device_handle
                && is_enabled(e)
                && let Some(pxm) = linux_pxm(e, rev)
            {
                let v = gi.entry(function_key(*h)).or_default();
                if !v.contains(&pxm) && v.len() < MAX_LINUX_NODES as usize {
                    v.push(pxm);
                }
            }
        }
        let order = linux_node_order(srat);
        let placeholders = srat
            .entries
            .iter()
            .filter(|e| {
                matches!(e, SratEntry::Memory { length: 0, flags, .. }
                    if flags & (FLAG_ENABLED | MEM_HOT_PLUGGABLE) == FLAG_ENABLED | MEM_HOT_PLUGGABLE)
            })
            .filter_map(|e| linux_node_of(&order, linux_pxm(e, srat.header.revision)?))
            .collect();
        SratGpus {
            order,
            gi,
            placeholders,
        }
    }
}

/// The GPU's nodes from the SRAT's Generic Initiator entries (ascending), or
/// `None` when the SRAT names none for it.
fn srat_nodes(
    r: &mut Reader,
    topo: &HostTopology,
    srat: &SratGpus,
    bdf: PciHandle,
) -> Option<Vec<u32>> {
    let pxms = srat.gi.get(&function_key(bdf))?;
    let p = r.path(SRAT_PATH);
    let mut nodes = Vec::new();
    for pxm in pxms {
        match linux_node_of(&srat.order, *pxm) {
            Some(n) if topo.node(n).is_some() => nodes.push(n),
            Some(n) => {
                r.warn(
                    &p,
                    format!(
                        "{bdf}: proximity domain {pxm} maps to node {n}, which the host does not \
                         have; SRAT ignored for this GPU"
                    ),
                );
                return None;
            }
            None => {
                r.warn(
                    &p,
                    format!(
                        "{bdf}: proximity domain {pxm} gets no Linux node; SRAT ignored for this GPU"
                    ),
                );
                return None;
            }
        }
    }
    nodes.sort_unstable();
    nodes.dedup();
    Some(nodes)
}

/// Parses a `numa_status` file: the node of its `Node:` line (`None` for -1).
pub fn parse_numa_status(text: &str) -> Result<Option<u32>, String> {
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("Node:"))
        .ok_or_else(|| "no \"Node:\" line".to_string())?;
    let v = line.trim();
    match v.parse::<i64>() {
        Ok(-1) => Ok(None),
        Ok(n) if (0..i64::from(MAX_LINUX_NODES)).contains(&n) => Ok(u32::try_from(n).ok()),
        _ => Err(format!(
            "Node \"{}\" is not -1 or a node id below {MAX_LINUX_NODES}",
            crate::input::echo(v)
        )),
    }
}

/// The node `numa_status` names for the GPU, if it has the file.
fn numa_status_node(r: &mut Reader, topo: &HostTopology, bdf: PciHandle) -> Option<u32> {
    let dir = r.path(NVIDIA_GPUS_DIR).join(bdf.to_string());
    if !r.fs.is_dir(&dir) {
        return None;
    }
    let p = dir.join("numa_status");
    let t = r.text(&p)?;
    match parse_numa_status(&t) {
        Ok(Some(n)) if topo.node(n).is_some() => Some(n),
        Ok(Some(n)) => {
            r.warn(&p, format!("names node {n}, which the host does not have"));
            None
        }
        Ok(None) => None,
        Err(m) => {
            r.warn(&p, m);
            None
        }
    }
}

/// The distances from `n` to every CPU node (its place seen from the CPUs).
fn cpu_signature(topo: &HostTopology, n: u32) -> Option<Vec<u8>> {
    topo.nodes
        .iter()
        .filter(|c| c.is_cpu_node())
        .map(|c| topo.distance(n, c.node))
        .collect()
}

/// `first` plus the following empty nodes of its distance group (same distances
/// to every CPU node), at most [`GPU_NODES_MAX`] in all, none in `taken`.
fn numa_status_group(topo: &HostTopology, first: u32, taken: &BTreeSet<u32>) -> Vec<u32> {
    let mut out = vec![first];
    let (Some(sig), Some(at)) = (cpu_signature(topo, first), topo.node_index(first)) else {
        return out;
    };
    for n in topo.nodes.iter().skip(at + 1) {
        if out.len() >= GPU_NODES_MAX
            || !n.is_empty()
            || taken.contains(&n.node)
            || cpu_signature(topo, n.node).as_ref() != Some(&sig)
        {
            break;
        }
        out.push(n.node);
    }
    out
}

/// Groups of CPU-less nodes (not in `taken`; only those in `only` when given)
/// by mutual distance, ascending by first node: nodes whose mutual distance is
/// the smallest between any two of them are one group; when every such distance
/// is 255, consecutive nodes with the same distances to the CPU nodes, at most
/// [`GPU_NODES_MAX`] per group. Groups without an empty node (CXL or HBM memory
/// nodes, not a GPU's) are left out.
fn distance_groups(
    topo: &HostTopology,
    taken: &BTreeSet<u32>,
    only: Option<&BTreeSet<u32>>,
) -> Vec<Vec<u32>> {
    let cand: Vec<u32> = topo
        .nodes
        .iter()
        .filter(|n| {
            !n.is_cpu_node() && !taken.contains(&n.node) && only.is_none_or(|o| o.contains(&n.node))
        })
        .map(|n| n.node)
        .collect();
    let d = |a: u32, b: u32| match (topo.distance(a, b), topo.distance(b, a)) {
        (Some(x), Some(y)) if x == y => Some(x),
        _ => None,
    };
    let min = cand
        .iter()
        .flat_map(|&a| cand.iter().filter(move |&&b| b != a).map(move |&b| (a, b)))
        .filter_map(|(a, b)| d(a, b))
        .filter(|&x| x < 255)
        .min();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    match min {
        Some(m) => {
            // Connected components of the "distance m" relation.
            let mut left: Vec<u32> = cand.clone();
            while let Some(&start) = left.first() {
                let mut group = vec![start];
                left.retain(|&x| x != start);
                let mut i = 0;
                while let Some(&a) = group.get(i) {
                    let (linked, rest): (Vec<u32>, Vec<u32>) =
                        left.iter().partition(|&&b| d(a, b) == Some(m));
                    group.extend(linked);
                    left = rest;
                    i += 1;
                }
                group.sort_unstable();
                groups.push(group);
            }
        }
        None => {
            let mut cur: Vec<u32> = Vec::new();
            let mut cur_sig: Option<Vec<u8>> = None;
            for &n in &cand {
                let sig = cpu_signature(topo, n);
                let prev = cur.last().copied();
                let consecutive = prev.is_some_and(|p| {
                    topo.nodes
                        .iter()
                        .position(|x| x.node == p)
                        .and_then(|i| topo.nodes.get(i + 1))
                        .is_some_and(|x| x.node == n)
                });
                if cur.is_empty() || (consecutive && sig == cur_sig && cur.len() < GPU_NODES_MAX) {
                    cur.push(n);
                    cur_sig = sig;
                } else {
                    groups.push(std::mem::take(&mut cur));
                    cur.push(n);
                    cur_sig = sig;
                }
            }
            if !cur.is_empty() {
                groups.push(cur);
            }
        }
    }
    groups.retain(|g| {
        g.iter()
            .any(|&n| topo.node(n).is_some_and(|x| x.is_empty()))
    });
    groups.sort_by_key(|g| g.first().copied());
    groups
}

/// Finds each GPU's nodes, in the order of the [module docs](super).
fn assign_nodes(
    r: &mut Reader,
    topo: &mut HostTopology,
    gpus: Vec<HostPciDevice>,
    srat: Option<&SratGpus>,
    opts: &HostOptions,
) {
    let mut out: Vec<HostGpu> = Vec::with_capacity(gpus.len());
    for device in gpus {
        let bdf = device.bdf;
        let user: Option<&GpuChoice> = opts
            .gpus
            .iter()
            .find(|c| same_function(c.bdf, bdf) && c.nodes.is_some());
        let (nodes, source) = if let Some(nodes) = user.and_then(|c| c.nodes.clone()) {
            (nodes, NodeSource::User)
        } else if let Some(nodes) = srat.and_then(|s| srat_nodes(r, topo, s, bdf)) {
            (nodes, NodeSource::Srat)
        } else {
            (Vec::new(), NodeSource::None)
        };
        out.push(HostGpu {
            device,
            nodes,
            source,
        });
    }
    // numa_status: first the named nodes (so no group eats another GPU's node).
    let named: Vec<Option<u32>> = out
        .iter()
        .map(|g| numa_status_node(r, topo, g.device.bdf))
        .collect();
    let mut taken: BTreeSet<u32> = out.iter().flat_map(|g| g.nodes.iter().copied()).collect();
    taken.extend(named.iter().flatten().copied());
    for (g, n) in out.iter_mut().zip(&named) {
        let Some(first) = *n else { continue };
        let group = numa_status_group(topo, first, &taken);
        match g.source {
            NodeSource::None => {
                taken.extend(group.iter().copied());
                g.nodes = group;
                g.source = NodeSource::NumaStatus;
            }
            NodeSource::Srat if !g.nodes.contains(&first) => {
                let p = r
                    .path(NVIDIA_GPUS_DIR)
                    .join(g.device.bdf.to_string())
                    .join("numa_status");
                r.warn(
                    &p,
                    format!(
                        "names node {first}, but the SRAT gives {} nodes {}; the SRAT is kept",
                        g.device.bdf,
                        format_list(&g.nodes)
                    ),
                );
            }
            _ => {}
        }
    }
    // Distance pattern for NVIDIA GPUs still without nodes.
    let pending: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, g)| g.source == NodeSource::None && g.device.vendor == NVIDIA_VENDOR)
        .map(|(i, _)| i)
        .collect();
    if !pending.is_empty() {
        let only = srat.map(|s| &s.placeholders).filter(|p| !p.is_empty());
        let groups = distance_groups(topo, &taken, only);
        let nd = r.path(NODE_DIR);
        if groups.len() != pending.len() {
            r.warn(
                &nd,
                format!(
                    "{} groups of CPU-less nodes by distance for {} GPUs without SRAT or \
                     numa_status nodes",
                    groups.len(),
                    pending.len()
                ),
            );
        }
        for (i, group) in pending.iter().zip(groups) {
            if let Some(g) = out.get_mut(*i) {
                r.warn(
                    &nd,
                    format!(
                        "{}: nodes {} guessed from the distance pattern (no SRAT Generic \
                         Initiator, no numa_status); check them or give --gpu {}=NODES",
                        g.device.bdf,
                        format_list(&group),
                        g.device.bdf
                    ),
                );
                g.nodes = group;
                g.source = NodeSource::Distances;
            }
        }
    }
    for g in &out {
        if g.source == NodeSource::None && g.device.vendor == NVIDIA_VENDOR {
            let p = r.path(PCI_DIR).join(g.device.bdf.to_string());
            r.warn(&p, "no NUMA nodes found for this GPU; give --gpu BDF=NODES");
        }
    }
    topo.gpus = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u32, cpus: u32, memory: u64, distances: Vec<u8>) -> HostNode {
        HostNode {
            node: id,
            cpus: (0..cpus).map(|c| id * 100 + c).collect(),
            memory,
            distances,
            has_cpu: cpus > 0,
            has_memory: memory > 0,
            has_generic_initiator: false,
        }
    }

    /// `cpus` CPU nodes, then `gpus` GPUs of 8 nodes each; distances from `d`.
    fn topo(cpus: u32, gpus: u32, d: impl Fn(u32, u32) -> u8) -> HostTopology {
        let n = cpus + 8 * gpus;
        HostTopology {
            nodes: (0..n)
                .map(|i| {
                    node(
                        i,
                        if i < cpus { 4 } else { 0 },
                        u64::from(i < cpus),
                        (0..n).map(|j| if i == j { 10 } else { d(i, j) }).collect(),
                    )
                })
                .collect(),
            pci: Vec::new(),
            gpus: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn groups_by_smallest_mutual_distance() {
        // Two GPUs: 11 within, 40 between, 80 to the CPU.
        let t = topo(1, 2, |i, j| match (i, j) {
            (0, _) | (_, 0) => 80,
            _ if (i - 1) / 8 == (j - 1) / 8 => 11,
            _ => 40,
        });
        let g = distance_groups(&t, &BTreeSet::new(), None);
        assert_eq!(g, [(1..=8).collect::<Vec<_>>(), (9..=16).collect()]);
        // Nodes taken elsewhere are left out.
        let taken: BTreeSet<u32> = (1..=8).collect();
        assert_eq!(
            distance_groups(&t, &taken, None),
            [(9..=16).collect::<Vec<_>>()]
        );
        // Only the SRAT's placeholder nodes, when it has them.
        let only: BTreeSet<u32> = (9..=16).collect();
        assert_eq!(
            distance_groups(&t, &BTreeSet::new(), Some(&only)),
            [(9..=16).collect::<Vec<_>>()]
        );
    }

    #[test]
    fn all_255_groups_by_cpu_distances_in_eights() {
        // Two GPUs on two sockets, all GPU<->GPU distances 255.
        let t = topo(2, 2, |i, j| match (i.min(j), i.max(j)) {
            (0, 1) => 40,
            (c, g) if c < 2 => {
                if (g - 2) / 8 == c {
                    80
                } else {
                    120
                }
            }
            _ => 255,
        });
        let g = distance_groups(&t, &BTreeSet::new(), None);
        assert_eq!(g, [(2..=9).collect::<Vec<_>>(), (10..=17).collect()]);
        // Same socket: still cut at 8 nodes.
        let t = topo(1, 2, |i, j| if i.min(j) == 0 { 80 } else { 255 });
        let g = distance_groups(&t, &BTreeSet::new(), None);
        assert_eq!(g, [(1..=8).collect::<Vec<_>>(), (9..=16).collect()]);
    }

    #[test]
    fn memory_only_nodes_are_no_gpu_group() {
        // A CPU-less node with memory (CXL, HBM) alone is not a GPU's group.
        let mut t = topo(1, 1, |i, j| if i.min(j) == 0 { 80 } else { 11 });
        t.nodes.push(node(9, 0, 1 << 30, Vec::new()));
        for (i, n) in t.nodes.iter_mut().enumerate() {
            n.distances = (0..10u32)
                .map(|j| match (i as u32, j) {
                    (a, b) if a == b => 10,
                    (9, _) | (_, 9) => 30,
                    (0, _) | (_, 0) => 80,
                    _ => 11,
                })
                .collect();
        }
        assert_eq!(
            distance_groups(&t, &BTreeSet::new(), None),
            [(1..=8).collect::<Vec<_>>()]
        );
    }

    #[test]
    fn numa_status_group_stops_at_nodes_in_use() {
        let mut t = topo(1, 2, |i, j| if i.min(j) == 0 { 80 } else { 11 });
        assert_eq!(
            numa_status_group(&t, 1, &BTreeSet::new()),
            (1..=8).collect::<Vec<_>>()
        );
        // A node with memory ends the group; so does a node another GPU names.
        t.nodes[4].memory = 1;
        t.nodes[4].has_memory = true;
        assert_eq!(numa_status_group(&t, 1, &BTreeSet::new()), [1, 2, 3]);
        assert_eq!(numa_status_group(&t, 1, &[1, 3].into()), [1, 2]);
        // Unknown node: itself only.
        assert_eq!(numa_status_group(&t, 99, &BTreeSet::new()), [99]);
    }

    #[test]
    fn grouping_is_fast_on_the_largest_input() {
        // 1024 CPU-less nodes (Linux's limit) with varied distances.
        let n = MAX_LINUX_NODES;
        let t = HostTopology {
            nodes: (0..n)
                .map(|i| {
                    node(
                        i,
                        u32::from(i == 0),
                        0,
                        (0..n)
                            .map(|j| {
                                if i == j {
                                    10
                                } else {
                                    11 + ((i ^ j) % 200) as u8
                                }
                            })
                            .collect(),
                    )
                })
                .collect(),
            pci: Vec::new(),
            gpus: Vec::new(),
            warnings: Vec::new(),
        };
        let start = std::time::Instant::now();
        let g = distance_groups(&t, &BTreeSet::new(), None);
        assert!(!g.is_empty());
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    #[test]
    fn cpumaps() {
        assert_eq!(parse_cpumap("0000,00000000,00000003\n"), Some(vec![0, 1]));
        assert_eq!(parse_cpumap("80000000,00000000"), Some(vec![63]));
        assert_eq!(parse_cpumap(""), None);
        assert_eq!(parse_cpumap("1,,0"), None);
        assert_eq!(parse_cpumap(&"ffffffff,".repeat(300)), None);
    }

    #[test]
    fn numa_status_lines() {
        assert_eq!(parse_numa_status("Node: 1\nStatus: online\n"), Ok(Some(1)));
        assert_eq!(parse_numa_status("Node: -1\n"), Ok(None));
        assert!(parse_numa_status("Status: online\n").is_err());
        assert!(parse_numa_status("Node: 1024\n").is_err());
        assert!(parse_numa_status("Node: x\n").is_err());
    }

    #[test]
    fn gpu_choices() {
        let c: GpuChoice = "0008:01:00.0=2-9".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.nodes, Some((2..=9).collect()));
        assert!(matches!(
            "0008:01:00.0=1024".parse::<GpuChoice>(),
            Err(super::super::GpuChoiceError::NodeTooLarge(1024))
                | Err(super::super::GpuChoiceError::BadNodes { .. })
        ));
        assert!(matches!(
            "nope".parse::<GpuChoice>(),
            Err(super::super::GpuChoiceError::BadAddress(_))
        ));
    }
}
