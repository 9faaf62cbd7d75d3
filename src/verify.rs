//! `vnuma verify`: compare what a running Linux guest shows with the plan.
//!
//! Reads `ROOT/devices/system/node` (online, has_cpu, has_memory,
//! has_generic_initiator, each node's distance, cpulist and meminfo MemTotal) and
//! `ROOT/firmware/acpi/tables/{SRAT,SLIT,HMAT}`, and compares them with the
//! topology file and its planned tables. Linux's numbering of the SRAT's
//! proximity domains ([`crate::linux::linux_node_order`]) is applied, so any
//! entry order verifies.

use crate::acpi::SratEntry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::acpi::{Srat, Table};
use crate::front::file::TopologyFile;
use crate::linux::{format_list, linux_node_of, linux_node_order, parse_list};

/// What Linux shows for one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeView {
    /// `distance`: distances to each online node, ascending node id.
    pub distance: Vec<u32>,
    /// `cpulist`.
    pub cpus: Vec<u32>,
    /// `meminfo` MemTotal in KiB.
    pub mem_total_kib: Option<u64>,
}

/// The guest's view, as read from sysfs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestView {
    /// `online`.
    pub online: Vec<u32>,
    /// `has_cpu`.
    pub has_cpu: Vec<u32>,
    /// `has_memory`.
    pub has_memory: Vec<u32>,
    /// `has_generic_initiator` (absent on kernels without it).
    pub has_generic_initiator: Option<Vec<u32>>,
    /// Per online node.
    pub nodes: BTreeMap<u32, NodeView>,
    /// Tables found under `firmware/acpi/tables` (signature → bytes).
    pub tables: BTreeMap<String, Vec<u8>>,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

fn read_list(path: &Path) -> anyhow::Result<Vec<u32>> {
    parse_list(&read(path)?).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads the guest view under a sysfs root (normally `/sys`).
pub fn read_sysfs(root: &Path) -> anyhow::Result<GuestView> {
    let nd = root.join("devices/system/node");
    let mut v = GuestView {
        online: read_list(&nd.join("online"))?,
        has_cpu: read_list(&nd.join("has_cpu"))?,
        has_memory: read_list(&nd.join("has_memory"))?,
        ..Default::default()
    };
    let gi = nd.join("has_generic_initiator");
    if gi.exists() {
        v.has_generic_initiator = Some(read_list(&gi)?);
    }
    for &n in &v.online {
        let dir = nd.join(format!("node{n}"));
        let distance_path = dir.join("distance");
        let distance = read(&distance_path)?
            .split_whitespace()
            .map(|x| {
                x.parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("{}: bad distance \"{x}\"", distance_path.display())
                })
            })
            .collect::<anyhow::Result<Vec<u32>>>()?;
        let cpus = read_list(&dir.join("cpulist"))?;
        let meminfo = read(&dir.join("meminfo")).unwrap_or_default();
        let mem_total_kib = meminfo.lines().find_map(|l| {
            let (_, rest) = l.split_once("MemTotal:")?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        });
        v.nodes.insert(
            n,
            NodeView {
                distance,
                cpus,
                mem_total_kib,
            },
        );
    }
    let td = root.join("firmware/acpi/tables");
    for sig in ["SRAT", "SLIT", "HMAT"] {
        if let Ok(b) = std::fs::read(td.join(sig)) {
            v.tables.insert(sig.to_string(), b);
        }
    }
    Ok(v)
}

/// Options of a verification.
#[derive(Debug, Clone)]
pub struct Options {
    /// Allowed shortfall of a node's MemTotal below its planned memory, as a
    /// fraction (kernel reservations; memmap, kernel image, firmware areas).
    pub mem_fraction: f64,
    /// Allowed shortfall in bytes, whichever of the two is larger.
    pub mem_bytes: u64,
    /// Whether to compare the guest's SRAT/SLIT/HMAT with the planned ones.
    pub compare_tables: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mem_fraction: 0.15,
            mem_bytes: 96 << 20,
            compare_tables: true,
        }
    }
}

/// The outcome: agreement or a list of differences, plus a summary of the guest.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Differences, one readable line each (empty: the guest agrees).
    pub diffs: Vec<String>,
    /// What the guest shows (for the log).
    pub summary: Vec<String>,
}

impl Report {
    /// Whether the guest agrees with the plan.
    pub fn ok(&self) -> bool {
        self.diffs.is_empty()
    }
}

fn set_line(name: &str, v: &[u32]) -> String {
    format!("{name} {}", format_list(v))
}

/// Compares a guest view with the plan. `planned` holds the planned tables
/// (signature → bytes); those present are compared with the guest's.
pub fn compare(
    f: &TopologyFile,
    planned: &BTreeMap<String, Vec<u8>>,
    guest: &GuestView,
    opts: &Options,
) -> Report {
    let mut r = Report::default();
    let t = &f.topology;

    // --- tables
    for sig in ["SRAT", "SLIT", "HMAT"] {
        if !opts.compare_tables {
            break;
        }
        match (planned.get(sig), guest.tables.get(sig)) {
            (Some(p), Some(g)) => diff_tables(sig, p, g, &mut r.diffs),
            (Some(_), None) => r
                .diffs
                .push(format!("{sig}: planned, but the guest has none")),
            (None, Some(_)) => r
                .diffs
                .push(format!("{sig}: the guest has one, none was planned")),
            (None, None) => {}
        }
    }

    // --- PXM -> Linux node
    let srat_bytes = guest.tables.get("SRAT").or_else(|| planned.get("SRAT"));
    let order: Vec<u32> = match srat_bytes.map(|b| Srat::decode(b)) {
        Some(Ok(s)) => linux_node_order(&s),
        _ => (0..u32::try_from(t.nodes.len()).unwrap_or(0)).collect(),
    };
    let to_linux = |pxm: u32| linux_node_of(&order, pxm);
    if order
        .iter()
        .enumerate()
        .any(|(i, &p)| usize::try_from(p).ok() != Some(i))
    {
        r.summary.push(format!(
            "linux node <- pxm: {}",
            order
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{i}<-{p}"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }

    // --- expected node picture (by PXM, then mapped)
    let node_count = u32::try_from(t.nodes.len()).unwrap_or(0);
    let present_nodes = f.present_cpu_nodes();
    let mut exp_cpu = BTreeSet::new();
    let mut exp_mem = BTreeSet::new();
    let mut exp_gi = BTreeSet::new();
    let mut exp_online = BTreeSet::new();
    let mut dont_care_online = BTreeSet::new();
    if node_count == 0 {
        exp_online.insert(0);
        exp_cpu.insert(0);
        exp_mem.insert(0);
    }
    for pxm in 0..node_count {
        let Some(l) = to_linux(pxm) else { continue };
        let node = t.nodes.get(pxm as usize);
        let has_mem = node.is_some_and(|n| n.mem > 0);
        let has_possible_cpu = t.cpus.iter().any(|c| c.node == pxm);
        let has_gi = t.generic_initiators.iter().any(|g| g.node == pxm);
        if present_nodes.contains(&pxm) {
            exp_cpu.insert(l);
        }
        if has_mem {
            exp_mem.insert(l);
        }
        if has_gi {
            exp_gi.insert(l);
        }
        if has_mem || has_possible_cpu || has_gi {
            exp_online.insert(l);
        } else {
            // e.g. a node whose only memory is the hotplug region
            dont_care_online.insert(l);
        }
    }
    let online_got: BTreeSet<u32> = guest.online.iter().copied().collect();
    let online_cmp: BTreeSet<u32> = online_got.difference(&dont_care_online).copied().collect();
    type Row<'a> = (&'a str, &'a BTreeSet<u32>, Option<BTreeSet<u32>>);
    let sets: [Row; 4] = [
        ("online", &exp_online, Some(online_cmp)),
        (
            "has_cpu",
            &exp_cpu,
            Some(guest.has_cpu.iter().copied().collect()),
        ),
        (
            "has_memory",
            &exp_mem,
            Some(guest.has_memory.iter().copied().collect()),
        ),
        (
            "has_generic_initiator",
            &exp_gi,
            guest
                .has_generic_initiator
                .as_ref()
                .map(|v| v.iter().copied().collect()),
        ),
    ];
    for (name, want, got) in sets {
        let want_v: Vec<u32> = want.iter().copied().collect();
        match got {
            Some(g) => {
                let got_v: Vec<u32> = g.iter().copied().collect();
                r.summary.push(set_line(name, &got_v));
                if got_v != want_v {
                    r.diffs.push(format!(
                        "{name}: expected {}, guest shows {}",
                        format_list(&want_v),
                        format_list(&got_v)
                    ));
                }
            }
            None if !want_v.is_empty() => r.diffs.push(format!(
                "{name}: expected {}, the guest kernel has no such file",
                format_list(&want_v)
            )),
            None => {}
        }
    }

    // --- arm virt + EDK2: memory no SRAT entry covers makes Linux drop NUMA
    if t.machine == crate::topology::MachineKind::Virt
        && exp_online.len() > 1
        && guest.online.len() == 1
        && !srat_covers(srat_bytes, crate::machine::memory::ARM_VIRT_FLASH1_BASE)
    {
        r.diffs.push(format!(
            "only one node online: the SRAT has no memory entry for EDK2's variable-store flash \
             [{:#x}, +64 MiB), so Linux dropped NUMA (machine.firmware = \"edk2\", the virt \
             default, plans that entry; QEMU's own SRAT lacks it)",
            crate::machine::memory::ARM_VIRT_FLASH1_BASE
        ));
    }

    // --- per node
    let from_linux = |l: u32| order.get(l as usize).copied();
    let online: Vec<u32> = guest.online.clone();
    for (&l, view) in &guest.nodes {
        let Some(pxm) = from_linux(l).or(if node_count == 0 { Some(0) } else { None }) else {
            continue;
        };
        // distance
        let want_dist: Vec<u32> = online
            .iter()
            .map(|&m| {
                let q = from_linux(m).unwrap_or(m);
                match &t.distances {
                    Some(d) => d
                        .get(pxm as usize)
                        .and_then(|row| row.get(q as usize))
                        .map_or(0, |&v| u32::from(v)),
                    None => {
                        if m == l {
                            10
                        } else {
                            20
                        }
                    }
                }
            })
            .collect();
        r.summary.push(format!(
            "node{l} (pxm {pxm}): distance {} cpulist {} MemTotal {} kB",
            view.distance
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            format_list(&view.cpus),
            view.mem_total_kib.map_or("?".into(), |m| m.to_string())
        ));
        if view.distance != want_dist {
            r.diffs.push(format!(
                "node{l} distance: expected {:?}, guest shows {:?}",
                want_dist, view.distance
            ));
        }
        // CPUs: Linux numbers present CPUs in MADT order = CPU index order.
        let want_cpus: Vec<u32> = if node_count == 0 {
            (0..f.smp.cpus).collect()
        } else {
            f.present_cpus_of(pxm)
        };
        if view.cpus != want_cpus {
            r.diffs.push(format!(
                "node{l} cpulist: expected {}, guest shows {}",
                format_list(&want_cpus),
                format_list(&view.cpus)
            ));
        }
        // Memory: within tolerance below the planned size.
        let planned = if node_count == 0 {
            t.memory.ram_size
        } else {
            t.nodes.get(pxm as usize).map_or(0, |n| n.mem)
        };
        if let Some(kib) = view.mem_total_kib {
            let got = kib.saturating_mul(1024);
            let slack = ((planned as f64 * opts.mem_fraction) as u64).max(opts.mem_bytes);
            let ok = if planned == 0 {
                got == 0
            } else {
                got <= planned && got + slack >= planned
            };
            if !ok {
                r.diffs.push(format!(
                    "node{l} MemTotal: expected {} kB (minus up to {} kB reserved), guest shows {kib} kB",
                    planned / 1024,
                    if planned == 0 { 0 } else { slack / 1024 }
                ));
            }
        }
    }
    r
}

/// Whether an SRAT (bytes) has an enabled memory entry containing `addr`.
fn srat_covers(srat: Option<&Vec<u8>>, addr: u64) -> bool {
    let Some(Ok(s)) = srat.map(|b| Srat::decode(b)) else {
        return false;
    };
    s.entries.iter().any(|e| {
        matches!(e, SratEntry::Memory { base_address, length, flags, .. }
            if flags & 1 != 0 && *base_address <= addr
                && addr - *base_address < *length)
    })
}

fn entry_lines(table: &Table) -> (String, Vec<String>) {
    let json = |v: &dyn erased::Json| v.json();
    let header = json(table.header());
    let lines = match table {
        Table::Srat(s) => {
            let mut v = vec![format!(
                "table_revision {} reserved {}",
                s.table_revision, s.reserved
            )];
            v.extend(s.entries.iter().map(|e| json(e)));
            v
        }
        Table::Slit(s) => s
            .distances
            .iter()
            .enumerate()
            .map(|(i, row)| format!("row {i}: {row:?}"))
            .collect(),
        Table::Hmat(h) => h.structures.iter().map(|e| json(e)).collect(),
        Table::Other(o) => vec![json(&o.body)],
        other => vec![json(other)],
    };
    (header, lines)
}

mod erased {
    /// Object-safe JSON rendering for diff lines.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|e| format!("<{e}>"))
        }
    }
}

/// Appends readable differences between a planned and a received table.
pub fn diff_tables(sig: &str, planned: &[u8], got: &[u8], diffs: &mut Vec<String>) {
    if planned == got {
        return;
    }
    let (p, g) = match (Table::decode(planned), Table::decode(got)) {
        (Ok(p), Ok(g)) => (p, g),
        (Err(e), _) => {
            diffs.push(format!("{sig}: the planned table does not decode: {e}"));
            return;
        }
        (_, Err(e)) => {
            diffs.push(format!("{sig}: the guest's table does not decode: {e}"));
            return;
        }
    };
    let (ph, pl) = entry_lines(&p);
    let (gh, gl) = entry_lines(&g);
    let mut h1 = p.header().clone();
    let mut h2 = g.header().clone();
    h1.checksum = 0;
    h2.checksum = 0;
    h1.length = 0;
    h2.length = 0;
    if h1 != h2 {
        diffs.push(format!("{sig} header: planned {ph}\n    guest   {gh}"));
    }
    let n = pl.len().max(gl.len());
    let mut shown = 0;
    for i in 0..n {
        let a = pl.get(i);
        let b = gl.get(i);
        if a != b {
            shown += 1;
            if shown <= 20 {
                diffs.push(format!(
                    "{sig} item {i}:\n    planned {}\n    guest   {}",
                    a.map_or("(none)", String::as_str),
                    b.map_or("(none)", String::as_str)
                ));
            }
        }
    }
    if shown > 20 {
        diffs.push(format!("{sig}: {} more differing items", shown - 20));
    }
    if shown == 0 && h1 == h2 {
        diffs.push(format!(
            "{sig}: bytes differ ({} vs {} bytes)",
            planned.len(),
            got.len()
        ));
    }
}
