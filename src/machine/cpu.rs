//! Possible-CPU lists: `-smp` topology resolution (QEMU 10 rules), x86 APIC ID
//! packing, arm `virt` topology ids, and CPU → node mapping.
//!
//! The same code serves the QEMU front end (which reproduces QEMU's error texts)
//! and the topology-file builder.

use crate::topology::MachineKind;

/// Why a CPU topology is refused (QEMU's `machine_parse_smp_config` text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmpError {
    /// A parameter is 0.
    #[error("Invalid CPU topology: CPU topology parameters must be greater than zero")]
    Zero,
    /// A level above 1 the machine does not have.
    #[error("{level} > 1 not supported by this machine's CPU topology")]
    Unsupported {
        /// The level (`dies`, `clusters`, …).
        level: &'static str,
    },
    /// The product of the levels is not maxcpus.
    #[error(
        "Invalid CPU topology: product of the hierarchy must match maxcpus: {hierarchy} != maxcpus ({maxcpus})"
    )]
    ProductMismatch {
        /// The levels as QEMU prints them.
        hierarchy: String,
        /// maxcpus.
        maxcpus: u64,
    },
    /// maxcpus below the CPU count.
    #[error(
        "Invalid CPU topology: maxcpus must be equal to or greater than smp: {hierarchy} == maxcpus ({maxcpus}) < smp_cpus ({cpus})"
    )]
    MaxBelowCpus {
        /// The levels as QEMU prints them.
        hierarchy: String,
        /// maxcpus.
        maxcpus: u64,
        /// The CPU count.
        cpus: u64,
    },
    /// More CPUs than the machine supports.
    #[error("Invalid SMP CPUs {maxcpus}. The max CPUs supported by machine '{machine}' is {max}")]
    TooMany {
        /// maxcpus.
        maxcpus: u64,
        /// The machine type name (`pc-q35-10.0`).
        machine: String,
        /// Its limit.
        max: u64,
    },
}

/// The zero and unsupported-level checks (QEMU's order).
fn check_levels(kind: MachineKind, c: &SmpConfig) -> Result<(), SmpError> {
    let all = [
        c.cpus, c.drawers, c.books, c.sockets, c.dies, c.clusters, c.modules, c.cores, c.threads,
        c.maxcpus,
    ];
    if all.contains(&Some(0)) {
        return Err(SmpError::Zero);
    }
    let x86 = kind.is_x86();
    let above_one = |v: Option<u64>| v.unwrap_or(0) > 1;
    let checks = [
        (!x86, c.modules, "modules"),
        (x86, c.clusters, "clusters"),
        (!x86, c.dies, "dies"),
        (true, c.books, "books"),
        (true, c.drawers, "drawers"),
    ];
    match checks
        .iter()
        .find(|(refused, v, _)| *refused && above_one(*v))
    {
        Some((_, _, level)) => Err(SmpError::Unsupported { level }),
        None => Ok(()),
    }
}

/// The `X.Y` of a versioned machine type name (`pc-q35-6.1` → (6, 1)).
pub(crate) fn type_version(machine_type: &str) -> Option<(u32, u32)> {
    machine_type
        .rsplit('-')
        .next()
        .and_then(|v| v.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
}

/// Whether `-smp` fills missing values preferring sockets over cores
/// (`smp_props.prefer_sockets`: machine types before 6.2 — `pc-q35-6.1`,
/// `pc-i440fx-6.1`, `virt-6.1` and older).
pub fn prefers_sockets(machine_type: &str) -> bool {
    type_version(machine_type).is_some_and(|v| v < (6, 2))
}

/// The machine type's CPU limit (`MachineClass::max_cpus`): i440FX 255, `virt`
/// 512; q35 288 up to `pc-q35-8.0`, 1024 for 8.1 and 8.2, 4096 from 9.0 (live
/// QEMU 10.0.2 and 11.1.3: `-smp 1,maxcpus=5000` on each type).
pub fn machine_max_cpus(kind: MachineKind, machine_type: &str) -> u64 {
    match kind {
        MachineKind::Pc => 255,
        MachineKind::Virt => 512,
        MachineKind::Q35 => match type_version(machine_type) {
            Some(v) if v < (8, 1) => 288,
            Some(v) if v < (9, 0) => 1024,
            _ => 4096,
        },
    }
}

/// The machine type's CPU limit.
fn check_machine_max(kind: MachineKind, machine: &str, maxcpus: u64) -> Result<(), SmpError> {
    let max = machine_max_cpus(kind, machine);
    if maxcpus > max {
        return Err(SmpError::TooMany {
            maxcpus,
            machine: machine.to_string(),
            max,
        });
    }
    Ok(())
}

/// Why CPUs cannot be mapped to a node (QEMU's `machine_set_cpu_numa_node` text);
/// `E` is the `on_match` callback's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuMapError<E> {
    /// The selector gives an id the board's CPUs do not have.
    #[error("{id} is not supported")]
    Unsupported {
        /// The property (`die-id`, …).
        id: &'static str,
    },
    /// A matched CPU is already on another node.
    #[error("CPU is already assigned to node-id: {node}")]
    AlreadyAssigned {
        /// Its node.
        node: u32,
    },
    /// No CPU matches.
    #[error("no match found")]
    NoMatch,
    /// The callback refused a matched CPU.
    #[error("{0}")]
    Rejected(E),
}

/// `-smp` values as given (None: not given). Used by [`SmpTopology::resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmpConfig {
    /// `cpus` (boot CPUs).
    pub cpus: Option<u64>,
    /// `maxcpus`.
    pub maxcpus: Option<u64>,
    /// `drawers`.
    pub drawers: Option<u64>,
    /// `books`.
    pub books: Option<u64>,
    /// `sockets`.
    pub sockets: Option<u64>,
    /// `dies`.
    pub dies: Option<u64>,
    /// `clusters`.
    pub clusters: Option<u64>,
    /// `modules`.
    pub modules: Option<u64>,
    /// `cores`.
    pub cores: Option<u64>,
    /// `threads`.
    pub threads: Option<u64>,
}

/// A resolved CPU topology (every level ≥ 1, product = `max_cpus`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmpTopology {
    /// Boot CPUs (present at start).
    pub cpus: u32,
    /// Possible CPUs.
    pub max_cpus: u32,
    /// Drawers (s390 only; always 1 here).
    pub drawers: u32,
    /// Books (s390 only; always 1 here).
    pub books: u32,
    /// Sockets.
    pub sockets: u32,
    /// Dies per socket (x86).
    pub dies: u32,
    /// Clusters per die (arm).
    pub clusters: u32,
    /// Modules per cluster (x86).
    pub modules: u32,
    /// Cores per module.
    pub cores: u32,
    /// Threads per core.
    pub threads: u32,
}

impl SmpTopology {
    /// A single-socket topology with `n` cores (`-smp n` on current machine types).
    pub fn simple(n: u32) -> Self {
        SmpTopology {
            cpus: n,
            max_cpus: n,
            drawers: 1,
            books: 1,
            sockets: 1,
            dies: 1,
            clusters: 1,
            modules: 1,
            cores: n,
            threads: 1,
        }
    }

    /// Resolves `-smp` like QEMU 10's `machine_parse_smp_config` (machine types ≥ 6.2:
    /// cores are preferred over sockets; before 6.2 sockets, see [`prefers_sockets`]) on the newest machine type of `kind` in
    /// QEMU 10.0 (`pc-q35-10.0`, …). The error is QEMU's message text.
    pub fn resolve(kind: MachineKind, c: &SmpConfig) -> Result<SmpTopology, SmpError> {
        let machine = match kind {
            MachineKind::Q35 => "pc-q35-10.0",
            MachineKind::Pc => "pc-i440fx-10.0",
            MachineKind::Virt => "virt-10.0",
        };
        SmpTopology::resolve_on(kind, machine, c)
    }

    /// Like [`SmpTopology::resolve`], on machine type `machine` (its CPU limit and
    /// its name in the error).
    pub fn resolve_on(
        kind: MachineKind,
        machine: &str,
        c: &SmpConfig,
    ) -> Result<SmpTopology, SmpError> {
        check_levels(kind, c)?;
        let x86 = kind.is_x86();
        let (dies_ok, clusters_ok, modules_ok) = (x86, !x86, x86);
        // QEMU keeps these values as unsigned int; values that do not fit are
        // rejected by the property visitor before this point.
        let get = |v: Option<u64>| v.unwrap_or(0);
        let modules = get(c.modules).max(1);
        let clusters = get(c.clusters).max(1);
        let dies = get(c.dies).max(1);
        let books = 1u64;
        let drawers = 1u64;
        let mut cpus = get(c.cpus);
        let mut maxcpus = get(c.maxcpus);
        let mut sockets = get(c.sockets);
        let mut cores = get(c.cores);
        let mut threads = get(c.threads);
        let div = |a: u64, b: u64| a.checked_div(b).unwrap_or(0);
        let mul = |v: &[u64]| v.iter().try_fold(1u64, |acc, x| acc.checked_mul(*x));
        if cpus == 0 && maxcpus == 0 {
            sockets = sockets.max(1);
            cores = cores.max(1);
            threads = threads.max(1);
        } else {
            if maxcpus == 0 {
                maxcpus = cpus;
            }
            if prefers_sockets(machine) {
                // Before 6.2: sockets first, then cores.
                if sockets == 0 {
                    cores = cores.max(1);
                    threads = threads.max(1);
                    let d = mul(&[drawers, books, dies, clusters, modules, cores, threads]);
                    sockets = d.map_or(0, |d| div(maxcpus, d));
                } else if cores == 0 {
                    threads = threads.max(1);
                    let d = mul(&[drawers, books, sockets, dies, clusters, modules, threads]);
                    cores = d.map_or(0, |d| div(maxcpus, d));
                }
            } else if cores == 0 {
                sockets = sockets.max(1);
                threads = threads.max(1);
                let d = mul(&[drawers, books, sockets, dies, clusters, modules, threads]);
                cores = d.map_or(0, |d| div(maxcpus, d));
            } else if sockets == 0 {
                threads = threads.max(1);
                let d = mul(&[drawers, books, dies, clusters, modules, cores, threads]);
                sockets = d.map_or(0, |d| div(maxcpus, d));
            }
            if threads == 0 {
                let d = mul(&[drawers, books, sockets, dies, clusters, modules, cores]);
                threads = d.map_or(0, |d| div(maxcpus, d));
            }
        }
        let total = mul(&[
            drawers, books, sockets, dies, clusters, modules, cores, threads,
        ]);
        if maxcpus == 0 {
            maxcpus = total.unwrap_or(u64::MAX);
        }
        if cpus == 0 {
            cpus = maxcpus;
        }
        let levels = [
            (true, "sockets", sockets),
            (dies_ok, "dies", dies),
            (clusters_ok, "clusters", clusters),
            (modules_ok, "modules", modules),
            (true, "cores", cores),
            (true, "threads", threads),
        ];
        let hierarchy = levels
            .iter()
            .filter(|(shown, _, _)| *shown)
            .map(|(_, name, v)| format!("{name} ({v})"))
            .collect::<Vec<_>>()
            .join(" * ");
        if total != Some(maxcpus) {
            return Err(SmpError::ProductMismatch { hierarchy, maxcpus });
        }
        if maxcpus < cpus {
            return Err(SmpError::MaxBelowCpus {
                hierarchy,
                maxcpus,
                cpus,
            });
        }
        check_machine_max(kind, machine, maxcpus)?;
        let u = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(SmpTopology {
            cpus: u(cpus),
            max_cpus: u(maxcpus),
            drawers: 1,
            books: 1,
            sockets: u(sockets),
            dies: u(dies),
            clusters: u(clusters),
            modules: u(modules),
            cores: u(cores),
            threads: u(threads),
        })
    }
}

/// Topology ids of one possible CPU. `None`: the board has no such property
/// (QEMU: `-numa cpu,<name>=` is then rejected with "`<name> is not supported`").
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuProps {
    /// `socket-id`.
    pub socket_id: Option<u32>,
    /// `die-id` (x86 with dies > 1).
    pub die_id: Option<u32>,
    /// `cluster-id` (arm virt).
    pub cluster_id: Option<u32>,
    /// `module-id` (x86 with modules > 1).
    pub module_id: Option<u32>,
    /// `core-id`.
    pub core_id: Option<u32>,
    /// `thread-id`.
    pub thread_id: Option<u32>,
}

impl CpuProps {
    /// QEMU's `cpu_slot_to_string` form, e.g. `socket-id: 1, core-id: 0, thread-id: 0`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let named = [
            ("socket-id", self.socket_id),
            ("die-id", self.die_id),
            ("cluster-id", self.cluster_id),
            ("module-id", self.module_id),
            ("core-id", self.core_id),
            ("thread-id", self.thread_id),
        ];
        for (n, v) in named {
            if let Some(v) = v {
                parts.push(format!("{n}: {v}"));
            }
        }
        parts.join(", ")
    }
}

/// One possible CPU slot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuSlot {
    /// Index in the possible-CPU list (QEMU cpu-index).
    pub index: u32,
    /// x86: APIC ID. arm: the ACPI processor UID (= index).
    pub arch_id: u32,
    /// Topology ids.
    pub props: CpuProps,
    /// Node explicitly or by default mapping; `None` until mapped.
    pub node: Option<u32>,
}

/// Bits needed to number `count` items (`ceil(log2(count))`, 0 for 0 or 1).
fn width(count: u32) -> u32 {
    if count <= 1 {
        0
    } else {
        32 - (count - 1).leading_zeros()
    }
}

/// x86 APIC ID of CPU index `i` (QEMU `x86_apicid_from_cpu_idx`): fields packed
/// thread | core | module | die | socket, each `ceil(log2(count))` bits wide.
pub fn x86_apic_id(smp: &SmpTopology, i: u32) -> u64 {
    let t = smp.threads.max(1);
    let c = smp.cores.max(1);
    let m = smp.modules.max(1);
    let d = smp.dies.max(1);
    let thread = i % t;
    let core = (i / t) % c;
    let module = (i / t.saturating_mul(c)) % m;
    let die = (i / (t.saturating_mul(c).saturating_mul(m))) % d;
    let socket = i / (t.saturating_mul(c).saturating_mul(m).saturating_mul(d));
    let (wt, wc, wm, wd) = (width(t), width(c), width(m), width(d));
    let mut id = u64::from(socket);
    id = (id << wd) | u64::from(die);
    id = (id << wm) | u64::from(module);
    id = (id << wc) | u64::from(core);
    (id << wt) | u64::from(thread)
}

/// The possible-CPU list of a machine (QEMU `possible_cpu_arch_ids`), unmapped.
pub fn possible_cpus(kind: MachineKind, smp: &SmpTopology) -> Vec<CpuSlot> {
    let t = smp.threads.max(1);
    let c = smp.cores.max(1);
    let m = smp.modules.max(1);
    let d = smp.dies.max(1);
    let cl = smp.clusters.max(1);
    (0..smp.max_cpus)
        .map(|i| {
            if kind.is_x86() {
                let props = CpuProps {
                    socket_id: Some(i / (t.saturating_mul(c).saturating_mul(m).saturating_mul(d))),
                    die_id: (smp.dies > 1)
                        .then_some((i / (t.saturating_mul(c).saturating_mul(m))) % d),
                    cluster_id: None,
                    module_id: (smp.modules > 1).then_some((i / t.saturating_mul(c)) % m),
                    core_id: Some((i / t) % c),
                    thread_id: Some(i % t),
                };
                CpuSlot {
                    index: i,
                    arch_id: u32::try_from(x86_apic_id(smp, i)).unwrap_or(u32::MAX),
                    props,
                    node: None,
                }
            } else {
                let props = CpuProps {
                    socket_id: Some(i / (cl.saturating_mul(c).saturating_mul(t))),
                    die_id: None,
                    cluster_id: Some((i / c.saturating_mul(t)) % cl),
                    module_id: None,
                    core_id: Some((i / t) % c),
                    thread_id: Some(i % t),
                };
                CpuSlot {
                    index: i,
                    arch_id: i,
                    props,
                    node: None,
                }
            }
        })
        .collect()
}

/// The board's default node for a CPU slot when no slot was mapped explicitly
/// (pc/q35 and virt: socket id modulo the node count).
pub fn default_node(slot: &CpuSlot, nodes: u32) -> u32 {
    match (slot.props.socket_id, nodes) {
        (Some(s), n) if n > 0 => s % n,
        _ => 0,
    }
}

/// A `-numa cpu` selector: the ids given (None: wildcard).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuSelector {
    /// `socket-id`.
    pub socket_id: Option<u64>,
    /// `die-id`.
    pub die_id: Option<u64>,
    /// `cluster-id`.
    pub cluster_id: Option<u64>,
    /// `module-id`.
    pub module_id: Option<u64>,
    /// `core-id`.
    pub core_id: Option<u64>,
    /// `thread-id`.
    pub thread_id: Option<u64>,
    /// `drawer-id` (ignored on pc/q35/virt).
    pub drawer_id: Option<u64>,
    /// `book-id` (ignored on pc/q35/virt).
    pub book_id: Option<u64>,
}

impl CpuSelector {
    /// The selector matching exactly `slot`.
    pub fn of_slot(slot: &CpuSlot) -> Self {
        let p = &slot.props;
        CpuSelector {
            socket_id: p.socket_id.map(u64::from),
            die_id: p.die_id.map(u64::from),
            cluster_id: p.cluster_id.map(u64::from),
            module_id: p.module_id.map(u64::from),
            core_id: p.core_id.map(u64::from),
            thread_id: p.thread_id.map(u64::from),
            drawer_id: None,
            book_id: None,
        }
    }

    /// The first id given that the board does not have (QEMU's check order,
    /// bottom-up: thread, core, module, cluster, die, socket), as its property
    /// name (QEMU: "`<name> is not supported`", [`CpuMapError::Unsupported`]).
    /// `drawer-id` and `book-id` are neither checked nor matched on pc, q35 and
    /// virt (live QEMU 10.0.2: `-numa cpu,node-id=0,die-id=0,module-id=0` →
    /// "module-id is not supported"; `book-id=1` maps every CPU).
    pub fn unsupported(&self, slot: &CpuSlot) -> Option<&'static str> {
        let p = &slot.props;
        let checks = [
            ("thread-id", self.thread_id.is_some(), p.thread_id.is_some()),
            ("core-id", self.core_id.is_some(), p.core_id.is_some()),
            ("module-id", self.module_id.is_some(), p.module_id.is_some()),
            (
                "cluster-id",
                self.cluster_id.is_some(),
                p.cluster_id.is_some(),
            ),
            ("die-id", self.die_id.is_some(), p.die_id.is_some()),
            ("socket-id", self.socket_id.is_some(), p.socket_id.is_some()),
        ];
        checks
            .iter()
            .find(|(_, given, has)| *given && !*has)
            .map(|(n, _, _)| *n)
    }

    /// Whether the slot matches every id given.
    pub fn matches(&self, slot: &CpuSlot) -> bool {
        let p = &slot.props;
        let eq = |want: Option<u64>, have: Option<u32>| match want {
            None => true,
            Some(w) => have.map(u64::from) == Some(w),
        };
        eq(self.socket_id, p.socket_id)
            && eq(self.die_id, p.die_id)
            && eq(self.cluster_id, p.cluster_id)
            && eq(self.module_id, p.module_id)
            && eq(self.core_id, p.core_id)
            && eq(self.thread_id, p.thread_id)
    }
}

/// Assigns `node` to every slot matching `sel` (QEMU `machine_set_cpu_numa_node`
/// without the HMAT part). Returns the indexes of matched slots, or QEMU's error text.
pub fn map_cpus(
    slots: &mut [CpuSlot],
    sel: &CpuSelector,
    node: u32,
) -> Result<Vec<u32>, CpuMapError<std::convert::Infallible>> {
    map_cpus_checked(slots, sel, node, |_| Ok(()))
}

/// Like [`map_cpus`], calling `on_match` after each matched slot was assigned (QEMU's
/// HMAT initiator check runs there); its error aborts the mapping.
pub fn map_cpus_checked<E>(
    slots: &mut [CpuSlot],
    sel: &CpuSelector,
    node: u32,
    mut on_match: impl FnMut(&CpuSlot) -> Result<(), E>,
) -> Result<Vec<u32>, CpuMapError<E>> {
    let mut matched = Vec::new();
    for slot in slots.iter_mut() {
        if let Some(id) = sel.unsupported(slot) {
            return Err(CpuMapError::Unsupported { id });
        }
        if !sel.matches(slot) {
            continue;
        }
        if let Some(n) = slot.node
            && n != node
        {
            return Err(CpuMapError::AlreadyAssigned { node: n });
        }
        slot.node = Some(node);
        matched.push(slot.index);
        on_match(slot).map_err(CpuMapError::Rejected)?;
    }
    if matched.is_empty() {
        return Err(CpuMapError::NoMatch);
    }
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smp(kind: MachineKind, c: SmpConfig) -> SmpTopology {
        SmpTopology::resolve(kind, &c).unwrap()
    }

    #[test]
    fn apic_ids_cphp() {
        // -smp 2,cores=3,sockets=2,maxcpus=6 → APIC IDs 0,1,2,4,5,6 (SRAT.cphp).
        let s = smp(
            MachineKind::Pc,
            SmpConfig {
                cpus: Some(2),
                cores: Some(3),
                sockets: Some(2),
                maxcpus: Some(6),
                ..Default::default()
            },
        );
        let ids: Vec<u32> = possible_cpus(MachineKind::Pc, &s)
            .iter()
            .map(|c| c.arch_id)
            .collect();
        assert_eq!(ids, vec![0, 1, 2, 4, 5, 6]);
    }

    #[test]
    fn prefer_cores() {
        let s = smp(
            MachineKind::Q35,
            SmpConfig {
                cpus: Some(4),
                sockets: Some(2),
                ..Default::default()
            },
        );
        assert_eq!((s.sockets, s.cores, s.threads), (2, 2, 1));
        let s = smp(
            MachineKind::Q35,
            SmpConfig {
                cpus: Some(1),
                maxcpus: Some(288),
                ..Default::default()
            },
        );
        assert_eq!((s.sockets, s.cores, s.max_cpus), (1, 288, 288));
    }

    #[test]
    fn prefer_sockets_before_6_2() {
        // Live QEMU 11.1.3, `-smp 6,dies=2` (q35, two nodes of CPUs 0-2 / 3-5):
        // pc-q35-6.1 and 5.2 give SRAT APIC IDs 0..5 (3 sockets of 2 dies of 1
        // core), pc-q35-6.2 gives 0,1,2,4,5,6 (1 socket, 2 dies of 3 cores).
        let c = SmpConfig {
            cpus: Some(6),
            dies: Some(2),
            ..Default::default()
        };
        for (machine, want) in [
            ("pc-q35-6.1", (3, 2, 1)),
            ("pc-q35-5.2", (3, 2, 1)),
            ("pc-q35-6.2", (1, 2, 3)),
        ] {
            let s = SmpTopology::resolve_on(MachineKind::Q35, machine, &c).unwrap();
            assert_eq!((s.sockets, s.dies, s.cores), want, "{machine}");
        }
        assert!(prefers_sockets("virt-6.1"));
        assert!(!prefers_sockets("virt"));
        assert!(!prefers_sockets("pc-i440fx-6.2"));
        // Sockets given, cores missing: cores fill the rest either way.
        let c = SmpConfig {
            cpus: Some(8),
            sockets: Some(2),
            ..Default::default()
        };
        let s = SmpTopology::resolve_on(MachineKind::Q35, "pc-q35-6.0", &c).unwrap();
        assert_eq!((s.sockets, s.cores, s.threads), (2, 4, 1));
    }

    #[test]
    fn smp_errors() {
        let e = SmpTopology::resolve(
            MachineKind::Q35,
            &SmpConfig {
                cpus: Some(4),
                sockets: Some(3),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * dies (1) * modules (1) * cores (1) * threads (1) != maxcpus (4)"
        );
    }
}
