//! `vnuma verify`: compare what a running Linux guest shows with the plan.
//!
//! Reads `ROOT/devices/system/node` (online, has_cpu, has_memory,
//! has_generic_initiator, each node's distance, cpulist and meminfo MemTotal) and
//! `ROOT/firmware/acpi/tables/{SRAT,SLIT,HMAT}`, and compares them with the
//! topology file and its planned tables. Linux's numbering of the SRAT's
//! proximity domains ([`crate::linux::linux_node_order`]) is applied, so any
//! entry order verifies.
//!
//! Reading and parsing are apart: [`read_sysfs`] reads each file bounded by
//! [`crate::input`] (a sysfs file at most [`crate::input::MAX_SYSFS_BYTES`], a
//! table at most [`crate::input::MAX_TABLE_BYTES`], no FIFO or device), and the
//! text goes to [`parse_id_list`], [`parse_distance`] and [`parse_meminfo`], which
//! a fuzz target can call on any bytes. What cannot be read is never blamed on the
//! guest: a missing or malformed file is an error naming it, and a table that
//! exists but cannot be read (e.g. by a non-root user) is a difference saying so.

use crate::acpi::SratEntry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::acpi::{Srat, Table};
use crate::front::file::TopologyFile;
use crate::linux::{format_list, linux_node_of, linux_node_order};

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
    /// Tables that exist under `firmware/acpi/tables` but could not be read
    /// (signature → why, naming the path; e.g. permission denied to a non-root user).
    pub unreadable_tables: BTreeMap<String, String>,
}

/// Why a guest's sysfs tree cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A file cannot be read (no longer produced by [`read_sysfs`], whose reads
    /// give [`VerifyError::Input`]; kept for callers that match it).
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// A file cannot be read: missing, unreadable (the message says "need
    /// root?"), not a regular file, or larger than [`crate::input::MAX_SYSFS_BYTES`].
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// A node list (`online`, `cpulist` …) does not parse.
    #[error("{}: {message}", path.display())]
    List {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: crate::syntax::ListError,
    },
    /// A list names an id Linux cannot have (node ids below
    /// [`crate::input::MAX_LINUX_NODES`], CPU ids below [`crate::input::MAX_LINUX_CPUS`]).
    #[error("{}: {value} is not a possible Linux {what} id (they are below {max})", path.display())]
    IdTooLarge {
        /// The file.
        path: PathBuf,
        /// "node" or "CPU".
        what: &'static str,
        /// The id.
        value: u32,
        /// The bound.
        max: u32,
    },
    /// A `distance` file holds something that is not a number, or more numbers
    /// than Linux has nodes.
    #[error("{}: bad distance \"{value}\"", path.display())]
    Distance {
        /// The file.
        path: PathBuf,
        /// The word that is not a distance (cut to [`crate::input::MAX_ECHO_CHARS`]).
        value: String,
    },
    /// A node's `meminfo` has no readable `MemTotal` line.
    #[error("{}: {reason}", path.display())]
    Meminfo {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn read(path: &Path) -> Result<String, VerifyError> {
    Ok(crate::input::read_text(
        path,
        crate::input::InputKind::Sysfs,
    )?)
}

/// Parses a sysfs list of Linux ids below `max` (`online`, `has_cpu`: node ids
/// below [`crate::input::MAX_LINUX_NODES`]; `cpulist`: CPU ids below
/// [`crate::input::MAX_LINUX_CPUS`]). `path` names the file in errors.
pub fn parse_id_list(
    path: &Path,
    text: &str,
    what: &'static str,
    max: u32,
) -> Result<Vec<u32>, VerifyError> {
    let v = crate::syntax::parse_list(text, max as usize).map_err(|message| VerifyError::List {
        path: path.to_path_buf(),
        message,
    })?;
    if let Some(&value) = v.iter().find(|&&x| x >= max) {
        return Err(VerifyError::IdTooLarge {
            path: path.to_path_buf(),
            what,
            value,
            max,
        });
    }
    Ok(v)
}

fn read_node_list(path: &Path) -> Result<Vec<u32>, VerifyError> {
    parse_id_list(path, &read(path)?, "node", crate::input::MAX_LINUX_NODES)
}

/// Parses a node's `distance` file: at most [`crate::input::MAX_LINUX_NODES`]
/// decimal numbers. `path` names the file in errors.
pub fn parse_distance(path: &Path, text: &str) -> Result<Vec<u32>, VerifyError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > crate::input::MAX_LINUX_NODES as usize {
        return Err(VerifyError::Distance {
            path: path.to_path_buf(),
            value: format!(
                "{} numbers (Linux has at most {} nodes)",
                words.len(),
                crate::input::MAX_LINUX_NODES
            ),
        });
    }
    words
        .into_iter()
        .map(|x| {
            x.parse::<u32>().map_err(|_| VerifyError::Distance {
                path: path.to_path_buf(),
                value: crate::input::echo(x),
            })
        })
        .collect()
}

/// Parses a node's `meminfo`: its `MemTotal` in KiB. A missing line or a value
/// that is not a number of kB (negative, garbage) is an error naming `path`.
pub fn parse_meminfo(path: &Path, text: &str) -> Result<u64, VerifyError> {
    let err = |reason: String| VerifyError::Meminfo {
        path: path.to_path_buf(),
        reason,
    };
    let rest = text
        .lines()
        .find_map(|l| l.split_once("MemTotal:").map(|(_, r)| r))
        .ok_or_else(|| err("no MemTotal line".into()))?;
    let value = rest.trim();
    let number = value.strip_suffix("kB").unwrap_or(value).trim();
    number.parse::<u64>().map_err(|_| {
        err(format!(
            "MemTotal \"{}\" is not a number of kB",
            crate::input::echo(value)
        ))
    })
}

/// Reads the guest view under a sysfs root (normally `/sys`). Every file is read
/// bounded ([`crate::input`]); the text is parsed by [`parse_id_list`],
/// [`parse_distance`] and [`parse_meminfo`]. A table under
/// `firmware/acpi/tables` that exists but cannot be read is recorded in
/// [`GuestView::unreadable_tables`] (the comparison then fails naming it).
pub fn read_sysfs(root: &Path) -> Result<GuestView, VerifyError> {
    let nd = root.join("devices/system/node");
    let mut v = GuestView {
        online: read_node_list(&nd.join("online"))?,
        has_cpu: read_node_list(&nd.join("has_cpu"))?,
        has_memory: read_node_list(&nd.join("has_memory"))?,
        ..Default::default()
    };
    match read_node_list(&nd.join("has_generic_initiator")) {
        Ok(l) => v.has_generic_initiator = Some(l),
        Err(VerifyError::Input(e)) if e.is_not_found() => {}
        Err(e) => return Err(e),
    }
    for &n in &v.online {
        let dir = nd.join(format!("node{n}"));
        let path = dir.join("distance");
        let distance = parse_distance(&path, &read(&path)?)?;
        let path = dir.join("cpulist");
        let cpus = parse_id_list(&path, &read(&path)?, "CPU", crate::input::MAX_LINUX_CPUS)?;
        let path = dir.join("meminfo");
        let mem_total_kib = Some(parse_meminfo(&path, &read(&path)?)?);
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
        match crate::input::read_bounded(&td.join(sig), crate::input::InputKind::Table) {
            Ok(b) => {
                v.tables.insert(sig.to_string(), b);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                v.unreadable_tables.insert(sig.to_string(), e.to_string());
            }
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
///
/// The checks, in order: the tables ([`check_tables`]), the node sets
/// (`online`, `has_cpu`, `has_memory`, `has_generic_initiator`), the arm `virt`
/// EDK2 flash, then each node's distances, CPUs and memory.
pub fn compare(
    f: &TopologyFile,
    planned: &BTreeMap<String, Vec<u8>>,
    guest: &GuestView,
    opts: &Options,
) -> Report {
    let mut r = Report::default();
    if opts.compare_tables {
        check_tables(planned, guest, &mut r.diffs);
    }
    let srat_bytes = guest.tables.get("SRAT").or_else(|| planned.get("SRAT"));
    let plan = Plan::new(f, srat_bytes);
    if let Some(line) = plan.order_line() {
        r.summary.push(line);
    }
    let expected = plan.expected_sets();
    check_node_sets(&expected, guest, &mut r);
    check_edk2_flash(&plan, &expected, guest, srat_bytes, &mut r.diffs);
    for (&l, view) in &guest.nodes {
        let Some(pxm) = plan.pxm_of(l) else {
            continue;
        };
        r.summary.push(node_line(l, pxm, view));
        check_distances(&plan, l, pxm, view, &guest.online, &mut r.diffs);
        check_cpus(&plan, l, pxm, view, &mut r.diffs);
        check_memory(&plan, l, pxm, view, opts, &mut r.diffs);
    }
    r
}

/// Compares the planned SRAT, SLIT and HMAT with the guest's (see [`diff_tables`]).
pub fn check_tables(
    planned: &BTreeMap<String, Vec<u8>>,
    guest: &GuestView,
    diffs: &mut Vec<String>,
) {
    for sig in ["SRAT", "SLIT", "HMAT"] {
        if let Some(why) = guest.unreadable_tables.get(sig) {
            // Never blame the guest for what vnuma could not read.
            diffs.push(format!("{sig}: {why}"));
            continue;
        }
        match (planned.get(sig), guest.tables.get(sig)) {
            (Some(p), Some(g)) => diff_tables(sig, p, g, diffs),
            (Some(_), None) => diffs.push(format!("{sig}: planned, but the guest has none")),
            (None, Some(_)) => diffs.push(format!("{sig}: the guest has one, none was planned")),
            (None, None) => {}
        }
    }
}

/// The plan as the guest should see it: the topology and Linux's numbering of
/// its proximity domains.
struct Plan<'a> {
    f: &'a TopologyFile,
    /// Linux node → proximity domain.
    order: Vec<u32>,
    /// Number of nodes in the topology.
    node_count: u32,
}

/// The node sets the guest should show (Linux node ids).
struct ExpectedSets {
    online: BTreeSet<u32>,
    cpu: BTreeSet<u32>,
    mem: BTreeSet<u32>,
    gi: BTreeSet<u32>,
    /// Nodes that may or may not be online (e.g. a node whose only memory is
    /// the hotplug region, or whose only CPUs are hot-pluggable: offline at
    /// boot, online once something is plugged in).
    dont_care_online: BTreeSet<u32>,
}

impl<'a> Plan<'a> {
    fn new(f: &'a TopologyFile, srat: Option<&Vec<u8>>) -> Self {
        let t = &f.topology;
        let order: Vec<u32> = match srat.map(|b| Srat::decode(b)) {
            Some(Ok(s)) => linux_node_order(&s),
            _ => (0..u32::try_from(t.nodes.len()).unwrap_or(0)).collect(),
        };
        Plan {
            f,
            order,
            node_count: u32::try_from(t.nodes.len()).unwrap_or(0),
        }
    }

    /// The summary line of a numbering other than the identity.
    fn order_line(&self) -> Option<String> {
        let identity = self
            .order
            .iter()
            .enumerate()
            .all(|(i, &p)| usize::try_from(p).ok() == Some(i));
        (!identity).then(|| {
            format!(
                "linux node <- pxm: {}",
                self.order
                    .iter()
                    .enumerate()
                    .map(|(i, p)| format!("{i}<-{p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
    }

    fn pxm_to_linux(&self, pxm: u32) -> Option<u32> {
        linux_node_of(&self.order, pxm)
    }

    fn linux_to_pxm(&self, l: u32) -> Option<u32> {
        self.order.get(l as usize).copied()
    }

    /// The proximity domain of Linux node `l` (node 0 when the topology has no nodes).
    fn pxm_of(&self, l: u32) -> Option<u32> {
        self.linux_to_pxm(l)
            .or(if self.node_count == 0 { Some(0) } else { None })
    }

    fn expected_sets(&self) -> ExpectedSets {
        let t = &self.f.topology;
        let present_nodes = self.f.present_cpu_nodes();
        let mut e = ExpectedSets {
            online: BTreeSet::new(),
            cpu: BTreeSet::new(),
            mem: BTreeSet::new(),
            gi: BTreeSet::new(),
            dont_care_online: BTreeSet::new(),
        };
        if self.node_count == 0 {
            e.online.insert(0);
            e.cpu.insert(0);
            e.mem.insert(0);
        }
        for pxm in 0..self.node_count {
            let Some(l) = self.pxm_to_linux(pxm) else {
                continue;
            };
            let has_mem = t.nodes.get(pxm as usize).is_some_and(|n| n.mem > 0);
            let has_present_cpu = present_nodes.contains(&pxm);
            let has_gi = t.generic_initiators.iter().any(|g| g.node == pxm);
            if has_present_cpu {
                e.cpu.insert(l);
            }
            if has_mem {
                e.mem.insert(l);
            }
            if has_gi {
                e.gi.insert(l);
            }
            // Offline at boot, online once memory or a CPU is plugged in.
            if crate::linux::online_at_boot(has_mem, has_present_cpu, has_gi) {
                e.online.insert(l);
            } else {
                e.dont_care_online.insert(l);
            }
        }
        e
    }
}

/// Compares `online`, `has_cpu`, `has_memory` and `has_generic_initiator`.
fn check_node_sets(e: &ExpectedSets, guest: &GuestView, r: &mut Report) {
    let online_got: BTreeSet<u32> = guest.online.iter().copied().collect();
    let online_cmp: BTreeSet<u32> = online_got
        .difference(&e.dont_care_online)
        .copied()
        .collect();
    type Row<'a> = (&'a str, &'a BTreeSet<u32>, Option<BTreeSet<u32>>);
    let sets: [Row; 4] = [
        ("online", &e.online, Some(online_cmp)),
        (
            "has_cpu",
            &e.cpu,
            Some(guest.has_cpu.iter().copied().collect()),
        ),
        (
            "has_memory",
            &e.mem,
            Some(guest.has_memory.iter().copied().collect()),
        ),
        (
            "has_generic_initiator",
            &e.gi,
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
}

/// arm `virt` + EDK2: memory no SRAT entry covers makes Linux drop NUMA.
fn check_edk2_flash(
    plan: &Plan<'_>,
    e: &ExpectedSets,
    guest: &GuestView,
    srat: Option<&Vec<u8>>,
    diffs: &mut Vec<String>,
) {
    let flash = crate::machine::memory::ARM_VIRT_FLASH1_BASE;
    if plan.f.topology.machine == crate::topology::MachineKind::Virt
        && e.online.len() > 1
        && guest.online.len() == 1
        && !srat_covers(srat, flash)
    {
        diffs.push(format!(
            "only one node online: the SRAT has no memory entry for EDK2's variable-store flash \
             [{flash:#x}, +64 MiB), so Linux dropped NUMA (machine.firmware = \"edk2\", the virt \
             default, plans that entry; QEMU's own SRAT lacks it)"
        ));
    }
}

/// The summary line of one node.
fn node_line(l: u32, pxm: u32, view: &NodeView) -> String {
    format!(
        "node{l} (pxm {pxm}): distance {} cpulist {} MemTotal {} kB",
        view.distance
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        format_list(&view.cpus),
        view.mem_total_kib.map_or("?".into(), |m| m.to_string())
    )
}

/// Node `l`'s `distance` row against the planned distances (10/20 without any).
fn check_distances(
    plan: &Plan<'_>,
    l: u32,
    pxm: u32,
    view: &NodeView,
    online: &[u32],
    diffs: &mut Vec<String>,
) {
    let want_dist: Vec<u32> = online
        .iter()
        .map(|&m| {
            let q = plan.linux_to_pxm(m).unwrap_or(m);
            match &plan.f.topology.distances {
                Some(d) => d
                    .get(pxm as usize)
                    .and_then(|row| row.get(q as usize))
                    .map_or(0, |&v| u32::from(v)),
                None if m == l => 10,
                None => 20,
            }
        })
        .collect();
    if view.distance != want_dist {
        diffs.push(format!(
            "node{l} distance: expected {:?}, guest shows {:?}",
            want_dist, view.distance
        ));
    }
}

/// Node `l`'s `cpulist`: Linux numbers present CPUs in MADT order = CPU index order.
fn check_cpus(plan: &Plan<'_>, l: u32, pxm: u32, view: &NodeView, diffs: &mut Vec<String>) {
    let want_cpus: Vec<u32> = if plan.node_count == 0 {
        (0..plan.f.smp.cpus).collect()
    } else {
        plan.f.present_cpus_of(pxm)
    };
    if view.cpus != want_cpus {
        diffs.push(format!(
            "node{l} cpulist: expected {}, guest shows {}",
            format_list(&want_cpus),
            format_list(&view.cpus)
        ));
    }
}

/// Node `l`'s MemTotal: within tolerance below the planned size.
fn check_memory(
    plan: &Plan<'_>,
    l: u32,
    pxm: u32,
    view: &NodeView,
    opts: &Options,
    diffs: &mut Vec<String>,
) {
    let t = &plan.f.topology;
    let planned = if plan.node_count == 0 {
        t.memory.ram_size
    } else {
        t.nodes.get(pxm as usize).map_or(0, |n| n.mem)
    };
    let Some(kib) = view.mem_total_kib else {
        return;
    };
    let got = kib.saturating_mul(1024);
    let slack = ((planned as f64 * opts.mem_fraction) as u64).max(opts.mem_bytes);
    let ok = if planned == 0 {
        got == 0
    } else {
        got <= planned && got.saturating_add(slack) >= planned
    };
    if !ok {
        diffs.push(format!(
            "node{l} MemTotal: expected {} kB (minus up to {} kB reserved), guest shows {kib} kB",
            planned / 1024,
            if planned == 0 { 0 } else { slack / 1024 }
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_memory_tolerance_is_no_panic() {
        // A tolerance past u64 (`--mem-tolerance 1e30`) once overflowed `got + slack`.
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let f = crate::front::file::load(&root.join("examples/grace-hopper.toml")).unwrap();
        let guest = read_sysfs(&root.join("tests/fixtures/verify/gh-qemu-native")).unwrap();
        for mem_fraction in [1e30, f64::INFINITY, f64::NAN, -1.0, 0.0] {
            let opts = Options {
                mem_fraction,
                compare_tables: false,
                ..Options::default()
            };
            let r = compare(&f, &BTreeMap::new(), &guest, &opts);
            if mem_fraction >= 1.0 {
                // Everything up to the planned size is within tolerance.
                assert!(!r.diffs.iter().any(|d| d.contains("MemTotal")), "{r:?}");
            }
        }
    }
}
