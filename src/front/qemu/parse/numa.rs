//! NUMA: `-numa node`, `-numa dist`, `-numa cpu` in command-line order (the HMAT
//! options go to [`super::hmat`]), then QEMU's `numa_complete_configuration` and
//! `machine_numa_finish_cpu_init` at board init.

use super::super::error::QemuError;
use super::super::lexer::{CmdOption, Opts};
use super::values::{HMAT_DISABLED, numa_int, numa_size, numa_uint, required, u16_list};
use super::{MAX_NODES, NO_INITIATOR, NumaState, State, hmat, idx, set_at};
use crate::machine::cpu::{self, CpuMapError, CpuSelector, CpuSlot};
use crate::topology::MachineKind;

/// Applies every `-numa` option in command-line order.
pub(super) fn apply_options(st: &mut State<'_, '_>) -> Result<(), QemuError> {
    let numa_opts = std::mem::take(&mut st.cmd.numa_opts);
    let r = numa_opts
        .iter()
        .try_for_each(|n| match (n.dist(), n.full()) {
            (Some((src, dst, val)), _) => {
                set_distance(&mut st.numa, &n.opt(), src.into(), dst.into(), val.into())
            }
            (None, Some(opts)) => apply_option(st, &n.opt(), &opts),
            (None, None) => Ok(()),
        });
    st.cmd.numa_opts = numa_opts;
    r
}

/// One `-numa` option, by `type=`.
fn apply_option(st: &mut State<'_, '_>, o: &CmdOption, n: &Opts) -> Result<(), QemuError> {
    match required(o, n.get("type"), "type")? {
        "node" => numa_node(st, o, n),
        "dist" => numa_dist(&mut st.numa, o, n),
        "cpu" => numa_cpu(st, o, n),
        "hmat-lb" => hmat::lb_option(st, o, n),
        "hmat-cache" => hmat::cache_option(st, o, n),
        other => Err(o.error(format!("Parameter 'type' does not accept value '{other}'"))),
    }
}

/// `-numa node` (`parse_numa_node`).
fn numa_node(st: &mut State<'_, '_>, o: &CmdOption, n: &Opts) -> Result<(), QemuError> {
    let nodeid = numa_uint(o, n, "nodeid", 65535, "uint16_t")?;
    let cpus = u16_list(o, &n.get_all("cpus"), "cpus")?;
    let mem = numa_size(o, n, "mem")?;
    let memdev = n.get("memdev");
    let initiator = numa_uint(o, n, "initiator", 65535, "uint16_t")?;
    if let Some(k) = n.unknown_key(&["type", "nodeid", "cpus", "mem", "memdev", "initiator"]) {
        return Err(o.error(format!("Invalid parameter '{k}'")));
    }
    let nodenr = nodeid.unwrap_or(st.numa.num_nodes as u64);
    if nodenr >= MAX_NODES {
        return Err(o.error(format!("Max number of NUMA nodes reached: {nodenr}")));
    }
    let ni = idx(nodenr);
    if st.numa.is_present(ni) {
        return Err(o.error(format!("Duplicate NUMA nodeid: {nodenr}")));
    }
    set_at(&mut st.numa.initiator, ni, NO_INITIATOR);
    if let Some(init) = initiator {
        if !st.props.hmat {
            return Err(o.error(HMAT_DISABLED));
        }
        if init >= MAX_NODES {
            // QEMU warns and drops the rest of the option (the node stays undeclared).
            st.warnings.push(o.error(format!(
                "The initiator id {init} expects an integer between 0 and 127"
            )));
            return Ok(());
        }
        set_at(
            &mut st.numa.initiator,
            ni,
            u32::try_from(init).unwrap_or(NO_INITIATOR),
        );
    }
    for c in cpus {
        if c >= u64::from(st.smp.max_cpus) {
            return Err(o.error(format!(
                "CPU index ({c}) should be smaller than maxcpus ({})",
                st.smp.max_cpus
            )));
        }
        let Some(slot) = st.cpus.get(idx(c)) else {
            continue;
        };
        let sel = CpuSelector::of_slot(slot);
        set_cpu_node(&mut st.cpus, &mut st.numa, st.props.hmat, &sel, nodenr)
            .map_err(|e| o.error(e))?;
    }
    node_memory(st, o, ni, mem, memdev)?;
    set_at(&mut st.numa.present, ni, true);
    st.numa.max_nodeid = st.numa.max_nodeid.max(ni + 1);
    st.numa.num_nodes += 1;
    Ok(())
}

/// A node's `mem=` / `memdev=`.
fn node_memory(
    st: &mut State<'_, '_>,
    o: &CmdOption,
    ni: usize,
    mem: Option<u64>,
    memdev: Option<&str>,
) -> Result<(), QemuError> {
    let numa = &mut st.numa;
    numa.have_memdevs = numa.have_memdevs || memdev.is_some();
    numa.have_mem = numa.have_mem || mem.is_some();
    if (mem.is_some() && numa.have_memdevs) || (memdev.is_some() && numa.have_mem) {
        return Err(o.error(
            "numa configuration should use either mem= or memdev=,mixing both is not allowed",
        ));
    }
    if mem.is_some() {
        return Err(o.error(
            "Parameter -numa node,mem is not supported by this machine type\nUse -numa node,memdev instead",
        ));
    }
    if let Some(md) = memdev {
        let size = (st.cmd.objects)
            .backend_size(md)
            .ok_or_else(|| o.error(format!("memdev={md} is ambiguous")))?;
        set_at(&mut numa.mem, ni, size);
    }
    Ok(())
}

/// `-numa dist` (`parse_numa_distance`).
fn numa_dist(numa: &mut NumaState, o: &CmdOption, n: &Opts) -> Result<(), QemuError> {
    let src = numa_uint(o, n, "src", 65535, "uint16_t")?;
    let dst = numa_uint(o, n, "dst", 65535, "uint16_t")?;
    let val = numa_uint(o, n, "val", 255, "uint8_t")?;
    let src = required(o, src, "src")?;
    let dst = required(o, dst, "dst")?;
    let val = required(o, val, "val")?;
    if let Some(k) = n.unknown_key(&["type", "src", "dst", "val"]) {
        return Err(o.error(format!("Invalid parameter '{k}'")));
    }
    set_distance(numa, o, src, dst, val)
}

/// The checks and effect of a `-numa dist` whose values parsed.
fn set_distance(
    numa: &mut NumaState,
    o: &CmdOption,
    src: u64,
    dst: u64,
    val: u64,
) -> Result<(), QemuError> {
    if src >= MAX_NODES || dst >= MAX_NODES {
        let which = if src >= MAX_NODES { "src" } else { "dst" };
        return Err(o.error(format!(
            "Parameter '{which}' expects an integer between 0 and 127"
        )));
    }
    let (s, d) = (idx(src), idx(dst));
    if !numa.is_present(s) || !numa.is_present(d) {
        return Err(o.error(
            "Source/Destination NUMA node is missing. Please use '-numa node' option to declare it first.",
        ));
    }
    if val < 10 {
        return Err(o.error(format!(
            "NUMA distance ({val}) is invalid, it shouldn't be less than 10."
        )));
    }
    if src == dst && val != 10 {
        return Err(o.error(format!("Local distance of node {src} should be 10.")));
    }
    if let Some(row) = numa.distance.get_mut(s) {
        set_at(row, d, u8::try_from(val).unwrap_or(u8::MAX));
    }
    numa.have_distance = true;
    Ok(())
}

/// The `-numa cpu` topology-id keys, in QAPI order.
const CPU_ID_KEYS: [&str; 8] = [
    "drawer-id",
    "book-id",
    "socket-id",
    "die-id",
    "cluster-id",
    "module-id",
    "core-id",
    "thread-id",
];

/// `-numa cpu` (`set_numa_options` → `machine_set_cpu_numa_node`).
fn numa_cpu(st: &mut State<'_, '_>, o: &CmdOption, n: &Opts) -> Result<(), QemuError> {
    let node_id = numa_int(o, n, "node-id")?;
    let mut sel = CpuSelector::default();
    let fields: [&mut Option<u64>; 8] = [
        &mut sel.drawer_id,
        &mut sel.book_id,
        &mut sel.socket_id,
        &mut sel.die_id,
        &mut sel.cluster_id,
        &mut sel.module_id,
        &mut sel.core_id,
        &mut sel.thread_id,
    ];
    for (k, slot) in CPU_ID_KEYS.iter().zip(fields) {
        *slot = numa_int(o, n, k)?;
    }
    let known: Vec<&str> = ["type", "node-id"].into_iter().chain(CPU_ID_KEYS).collect();
    if let Some(k) = n.unknown_key(&known) {
        return Err(o.error(format!("Invalid parameter '{k}'")));
    }
    let Some(node_id) = node_id else {
        return Err(o.error("Missing mandatory node-id property"));
    };
    if node_id >= MAX_NODES || !st.numa.is_present(idx(node_id)) {
        return Err(o.error(format!(
            "Invalid node-id={node_id}, NUMA node must be defined with -numa node,nodeid=ID before it's used with -numa cpu,node-id=ID"
        )));
    }
    set_cpu_node(&mut st.cpus, &mut st.numa, st.props.hmat, &sel, node_id).map_err(|e| o.error(e))
}

/// Maps the CPUs `sel` matches to `node`; with HMAT, QEMU's initiator check and
/// bookkeeping run for each matched CPU. Returns QEMU's error text.
fn set_cpu_node(
    slots: &mut [CpuSlot],
    numa: &mut NumaState,
    hmat: bool,
    sel: &CpuSelector,
    node: u64,
) -> Result<(), String> {
    let node32 = u32::try_from(node).map_err(|_| CpuMapError::<String>::NoMatch.to_string())?;
    let ni = idx(node);
    cpu::map_cpus_checked(slots, sel, node32, |_| {
        if hmat {
            let init = numa.initiator_of(ni);
            if init < NO_INITIATOR && u64::from(init) != node {
                return Err(format!(
                    "The initiator of CPU NUMA node {node} should be itself (got {init})"
                ));
            }
            set_at(&mut numa.has_cpu, ni, true);
            set_at(&mut numa.initiator, ni, node32);
        }
        Ok(())
    })
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// `numa_complete_configuration` and `machine_numa_finish_cpu_init`.
pub(super) fn complete_configuration(st: &mut State<'_, '_>) -> Result<(), QemuError> {
    let ram_size = st.ram.ram_size;
    let numa = &mut st.numa;
    if numa.num_nodes == 0 && (st.ram.slots > 0 || st.ram.max_ram > ram_size) {
        // Memory hotplug needs a node: QEMU creates node 0 with all the RAM.
        set_at(&mut numa.initiator, 0, NO_INITIATOR);
        set_at(&mut numa.present, 0, true);
        numa.num_nodes = 1;
        numa.max_nodeid = 1;
        set_at(&mut numa.mem, 0, ram_size);
    }
    if let Some(i) = (0..numa.max_nodeid).rev().find(|&i| !numa.is_present(i)) {
        return Err(QemuError::program(format!("numa: Node ID missing: {i}")));
    }
    let nn = numa.num_nodes;
    if nn == 0 {
        return Ok(());
    }
    let total: u64 = (numa.mem.iter().take(nn)).fold(0u64, |a, b| a.wrapping_add(*b));
    if total != ram_size {
        return Err(QemuError::program(format!(
            "total memory for NUMA nodes (0x{total:x}) should equal RAM size (0x{ram_size:x})"
        )));
    }
    if numa.have_memdevs && st.props.memory_backend.is_some() {
        return Err(QemuError::program(
            "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive",
        ));
    }
    if numa.have_distance {
        validate_distance(numa)?;
        complete_distances(numa);
    }
    let unmapped = map_remaining_cpus(st)?;
    if st.props.hmat {
        check_initiators(&st.numa)?;
    }
    if !unmapped.is_empty() {
        st.warnings.push(QemuError::program(format!(
            "warning: CPU(s) not present in any NUMA nodes: {}",
            unmapped.join(", ")
        )));
        st.warnings.push(QemuError::program(
            "warning: All CPU(s) up to maxcpus should be described in NUMA config, ability to start up with partial NUMA mappings is obsoleted and will be removed in future",
        ));
    }
    if st.machine.kind == MachineKind::Virt && nn > 1 {
        cluster_boundary_warnings(&st.cpus, st.warnings);
    }
    Ok(())
}

/// Fills the missing SLIT entries: local 10, else the reverse direction.
fn complete_distances(numa: &mut NumaState) {
    let nn = numa.num_nodes;
    for s in 0..nn {
        for d in 0..nn {
            if numa.dist(s, d) == 0 {
                let v = if s == d { 10 } else { numa.dist(d, s) };
                if let Some(row) = numa.distance.get_mut(s) {
                    set_at(row, d, v);
                }
            }
        }
    }
}

/// Maps every CPU no `-numa` option placed: QEMU's default mapping when none
/// was placed, else node 0 (listed for the partial-mapping warning).
fn map_remaining_cpus(st: &mut State<'_, '_>) -> Result<Vec<String>, QemuError> {
    let default_mapping = st.cpus.iter().all(|s| s.node.is_none());
    let node_count = u32::try_from(st.numa.num_nodes).unwrap_or(1);
    let mut unmapped = Vec::new();
    for i in 0..st.cpus.len() {
        let Some(slot) = st.cpus.get(i).filter(|s| s.node.is_none()) else {
            continue;
        };
        let node = if default_mapping {
            cpu::default_node(slot, node_count)
        } else {
            unmapped.push(format!("CPU {i} [{}]", slot.props.describe()));
            0
        };
        let sel = CpuSelector::of_slot(slot);
        set_cpu_node(
            &mut st.cpus,
            &mut st.numa,
            st.props.hmat,
            &sel,
            u64::from(node),
        )
        .map_err(QemuError::program)?;
    }
    Ok(unmapped)
}

/// Every node's HMAT initiator must exist and hold a CPU.
fn check_initiators(numa: &NumaState) -> Result<(), QemuError> {
    for i in 0..numa.num_nodes {
        let init = numa.initiator_of(i);
        if init == NO_INITIATOR {
            continue;
        }
        let ii = idx(u64::from(init));
        if !numa.is_present(ii) {
            return Err(QemuError::program(format!(
                "NUMA node {init} is missing, use '-numa node' option to declare it first"
            )));
        }
        if !numa.node_has_cpu(ii) {
            return Err(QemuError::program(format!(
                "The initiator of NUMA node {i} is invalid"
            )));
        }
    }
    Ok(())
}

/// `validate_cpu_cluster_to_numa_boundary` (arm virt): CPUs of one cluster on
/// different nodes.
fn cluster_boundary_warnings(cpus: &[CpuSlot], warnings: &mut Vec<QemuError>) {
    for (i, a) in cpus.iter().enumerate() {
        for (j, b) in cpus.iter().enumerate().skip(i + 1) {
            if let (Some(sa), Some(ca), Some(na), Some(sb), Some(cb), Some(nb)) = (
                a.props.socket_id,
                a.props.cluster_id,
                a.node,
                b.props.socket_id,
                b.props.cluster_id,
                b.node,
            ) && sa == sb
                && ca == cb
                && na != nb
            {
                warnings.push(QemuError::program(format!(
                    "warning: CPU-{i} and CPU-{j} in socket-{sa}-cluster-{ca} have been associated with node-{na} and node-{nb} respectively. It can cause OSes like Linux to misbehave"
                )));
            }
        }
    }
}

/// `validate_numa_distance`: every pair given at least one way; asymmetric
/// tables complete.
fn validate_distance(numa: &NumaState) -> Result<(), QemuError> {
    let n = numa.num_nodes;
    let mut asym = false;
    for s in 0..n {
        for t in s..n {
            let (st, ts) = (numa.dist(s, t), numa.dist(t, s));
            if st == 0 && ts == 0 && s != t {
                return Err(QemuError::program(format!(
                    "The distance between node {s} and {t} is missing, at least one distance value between each nodes should be provided."
                )));
            }
            asym |= st != 0 && ts != 0 && st != ts;
        }
    }
    let missing = (0..n).any(|s| (0..n).any(|t| s != t && numa.dist(s, t) == 0));
    if asym && missing {
        return Err(QemuError::program(
            "At least one asymmetrical pair of distances is given, please provide distances for both directions of all node pairs.",
        ));
    }
    Ok(())
}
