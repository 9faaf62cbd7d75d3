//! From a resolved [`Topology`] to exactly the SRAT, SLIT and HMAT that QEMU 10.0.2
//! builds for it (spec §2–§3 and §6), byte for byte once encoded.

use super::LayoutError;
use super::memory::MemoryMap;
use crate::acpi::srat::{FLAG_ENABLED, MEM_HOT_PLUGGABLE, MEM_NON_VOLATILE};
use crate::acpi::{GenericAffinity, Header, Hmat, HmatStructure, Locality, Slit, Srat, SratEntry};
use crate::topology::{
    Associativity, DataType, Hierarchy, HmatLb, MachineKind, Topology, WritePolicy,
};

/// The NUMA tables of a machine. A table is `None` when QEMU would not build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// The SRAT (present iff the topology has at least one node).
    pub srat: Option<Srat>,
    /// The SLIT (present iff there is an SRAT and a distance matrix).
    pub slit: Option<Slit>,
    /// The HMAT (present iff there is an SRAT and the HMAT is enabled).
    pub hmat: Option<Hmat>,
}

/// The file names [`Tables::files`] can give, in table order.
pub const TABLE_FILES: [&str; 3] = ["SRAT.dat", "SLIT.dat", "HMAT.dat"];

impl Tables {
    /// The encoded tables as `(file name, bytes)` pairs, in table order:
    /// `SRAT.dat`, `SLIT.dat`, `HMAT.dat` (only those present).
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut v = Vec::new();
        if let Some(t) = &self.srat {
            v.push(("SRAT.dat".to_string(), t.encode()));
        }
        if let Some(t) = &self.slit {
            v.push(("SLIT.dat".to_string(), t.encode()));
        }
        if let Some(t) = &self.hmat {
            v.push(("HMAT.dat".to_string(), t.encode()));
        }
        v
    }
}

/// ACPI "no initiator" value QEMU writes in an MPDA without a valid initiator (MAX_NODES).
pub const NO_INITIATOR: u32 = 128;

fn header(t: &Topology, sig: [u8; 4], revision: u8) -> Header {
    let mut h = Header::new(sig, revision);
    h.oem_id.0 = t.oem.oem_id;
    h.oem_table_id.0 = t.oem.oem_table_id;
    h.oem_revision = t.oem.oem_revision;
    h
}

fn check_node(t: &Topology, field: impl Into<String>, node: u32) -> Result<(), LayoutError> {
    if usize::try_from(node).is_ok_and(|n| n < t.nodes.len()) {
        Ok(())
    } else {
        Err(LayoutError::NoSuchNode {
            field: field.into(),
            node,
            nodes: t.nodes.len(),
        })
    }
}

fn mem_entry(node: u32, base: u64, length: u64, flags: u32) -> SratEntry {
    SratEntry::Memory {
        proximity_domain: node,
        base_address: base,
        length,
        flags,
        reserved1: 0,
        reserved2: 0,
        reserved3: 0,
    }
}

fn generic(node: u32, handle: &crate::acpi::DeviceHandle) -> GenericAffinity {
    GenericAffinity {
        proximity_domain: node,
        device_handle: handle.clone(),
        flags: FLAG_ENABLED,
        reserved1: 0,
        reserved2: 0,
    }
}

/// Checks every node reference of the topology.
fn validate(t: &Topology) -> Result<(), LayoutError> {
    for (i, c) in t.cpus.iter().enumerate() {
        check_node(t, format!("cpus[{i}].node"), c.node)?;
    }
    for (i, n) in t.nodes.iter().enumerate() {
        if let Some(init) = n.initiator {
            check_node(t, format!("nodes[{i}].initiator"), init)?;
        }
    }
    for (i, g) in t.generic_initiators.iter().enumerate() {
        check_node(t, label("generic_initiators", i, &g.label), g.node)?;
    }
    for (i, g) in t.generic_ports.iter().enumerate() {
        check_node(t, label("generic_ports", i, &g.label), g.node)?;
    }
    for (i, r) in t.nvdimms.iter().enumerate() {
        check_node(t, format!("nvdimms[{i}].node"), r.node)?;
    }
    for (i, r) in t.sgx_epc.iter().enumerate() {
        check_node(t, format!("sgx_epc[{i}].node"), r.node)?;
    }
    if let Some(d) = &t.distances {
        if d.len() != t.nodes.len() {
            return Err(LayoutError::invalid(
                "distances",
                format!("{} rows for {} nodes", d.len(), t.nodes.len()),
            ));
        }
        for (i, row) in d.iter().enumerate() {
            if row.len() != t.nodes.len() {
                return Err(LayoutError::invalid(
                    format!("distances[{i}]"),
                    format!("{} columns for {} nodes", row.len(), t.nodes.len()),
                ));
            }
        }
    }
    Ok(())
}

fn label(kind: &str, i: usize, label: &str) -> String {
    if label.is_empty() {
        format!("{kind}[{i}].node")
    } else {
        format!("{kind}[{i}] ({label}).node")
    }
}

/// Builds the tables QEMU 10.0.2 gives a guest with topology `t`.
///
/// No nodes: no tables at all (generic initiators/ports are then ignored, as QEMU does).
pub fn build_tables(t: &Topology) -> Result<Tables, LayoutError> {
    if t.nodes.is_empty() {
        return Ok(Tables {
            srat: None,
            slit: None,
            hmat: None,
        });
    }
    validate(t)?;
    let map = MemoryMap::for_topology(t)?;
    let srat = build_srat(t, &map)?;
    let slit = t.distances.as_ref().map(|d| {
        let mut s = Slit::new(d.clone());
        s.header = header(t, *b"SLIT", 1);
        s
    });
    let hmat = if t.hmat { Some(build_hmat(t)?) } else { None };
    Ok(Tables {
        srat: Some(srat),
        slit,
        hmat,
    })
}

fn last_node(t: &Topology) -> Result<u32, LayoutError> {
    u32::try_from(t.nodes.len().saturating_sub(1))
        .map_err(|_| LayoutError::invalid("nodes", "too many nodes"))
}

/// The SRAT (spec §2.3 for x86, §2.4 for arm `virt`).
pub fn build_srat(t: &Topology, map: &MemoryMap) -> Result<Srat, LayoutError> {
    let x86 = t.machine.is_x86();
    let mut srat = Srat::new(if x86 { 1 } else { 3 });
    srat.header = header(t, *b"SRAT", if x86 { 1 } else { 3 });
    let e = &mut srat.entries;
    for c in &t.cpus {
        e.push(match t.machine {
            MachineKind::Pc | MachineKind::Q35 => match u8::try_from(c.arch_id) {
                Ok(apic_id) if apic_id < 255 => SratEntry::LocalApic {
                    proximity_domain: c.node,
                    apic_id,
                    flags: FLAG_ENABLED,
                    sapic_eid: 0,
                    clock_domain: 0,
                },
                _ => SratEntry::X2apic {
                    proximity_domain: c.node,
                    x2apic_id: c.arch_id,
                    flags: FLAG_ENABLED,
                    clock_domain: 0,
                    reserved1: 0,
                    reserved2: 0,
                },
            },
            MachineKind::Virt => SratEntry::Gicc {
                proximity_domain: c.node,
                acpi_processor_uid: c.arch_id,
                flags: FLAG_ENABLED,
                clock_domain: 0,
            },
        });
    }
    let mem_start = e.len();
    for r in &map.node_ram {
        e.push(mem_entry(r.node, r.base, r.size, FLAG_ENABLED));
    }
    let gi = t
        .generic_initiators
        .iter()
        .map(|g| SratEntry::GenericInitiator(generic(g.node, &g.handle)));
    let gp = t
        .generic_ports
        .iter()
        .map(|g| SratEntry::GenericPort(generic(g.node, &g.handle)));
    let nvdimms = t
        .nvdimms
        .iter()
        .map(|r| mem_entry(r.node, r.base, r.size, FLAG_ENABLED | MEM_NON_VOLATILE));
    if x86 {
        e.extend(nvdimms);
        e.extend(
            t.sgx_epc
                .iter()
                .map(|r| mem_entry(r.node, r.base, r.size, FLAG_ENABLED)),
        );
        let want = t.nodes.len().saturating_add(2);
        while e.len() - mem_start < want {
            e.push(mem_entry(0, 0, 0, 0));
        }
        e.extend(gi);
        e.extend(gp);
    } else {
        e.extend(gi);
        e.extend(gp);
        e.extend(nvdimms);
    }
    if let Some(dm) = map.device_memory {
        e.push(mem_entry(
            last_node(t)?,
            dm.base,
            dm.size,
            FLAG_ENABLED | MEM_HOT_PLUGGABLE,
        ));
    }
    Ok(srat)
}

/// HMAT memory-hierarchy value (locality structure flags bits 3:0).
pub fn hierarchy_value(h: Hierarchy) -> u8 {
    match h {
        Hierarchy::Memory => 0,
        Hierarchy::FirstLevel => 1,
        Hierarchy::SecondLevel => 2,
        Hierarchy::ThirdLevel => 3,
    }
}

/// HMAT data-type value (0..5).
pub fn data_type_value(d: DataType) -> u8 {
    use crate::acpi::hmat::data_type;
    match d {
        DataType::AccessLatency => data_type::ACCESS_LATENCY,
        DataType::ReadLatency => data_type::READ_LATENCY,
        DataType::WriteLatency => data_type::WRITE_LATENCY,
        DataType::AccessBandwidth => data_type::ACCESS_BANDWIDTH,
        DataType::ReadBandwidth => data_type::READ_BANDWIDTH,
        DataType::WriteBandwidth => data_type::WRITE_BANDWIDTH,
    }
}

const HIERARCHIES: [Hierarchy; 4] = [
    Hierarchy::Memory,
    Hierarchy::FirstLevel,
    Hierarchy::SecondLevel,
    Hierarchy::ThirdLevel,
];
const DATA_TYPES: [DataType; 6] = [
    DataType::AccessLatency,
    DataType::ReadLatency,
    DataType::WriteLatency,
    DataType::AccessBandwidth,
    DataType::ReadBandwidth,
    DataType::WriteBandwidth,
];

/// The largest power of ten dividing a latency value (QEMU's per-value latency
/// base; 1 for 0).
pub fn latency_base(v: u64) -> u64 {
    let mut b = 1u64;
    let mut x = v;
    while x != 0 && x.is_multiple_of(10) {
        x /= 10;
        b *= 10;
    }
    b
}

/// QEMU's base for one (hierarchy, data type) list, in ns or bytes/s.
///
/// Latency: the smallest "largest power of ten dividing a value" over the non-zero
/// values, `u64::MAX` when all are zero. Bandwidth: 2^(fewest trailing zero bits)
/// over the non-zero values, 1 when all are zero.
pub fn lb_base(data_type: DataType, values: &[u64]) -> u64 {
    let nonzero = values.iter().copied().filter(|&v| v != 0);
    if data_type.is_latency() {
        nonzero.map(latency_base).min().unwrap_or(u64::MAX)
    } else {
        nonzero
            .map(|v| v.trailing_zeros())
            .min()
            .map_or(1, |tz| 1u64 << tz)
    }
}

/// The Entry Base Unit QEMU writes for `base`: ps (`base·1000`) for latencies,
/// MB/s (`base / 1 MiB`) for bandwidths — both computed in 32 bits (wrapping), then
/// zero-extended to the 8-byte field.
pub fn entry_base_unit(data_type: DataType, base: u64) -> u64 {
    let v = if data_type.is_latency() {
        base.wrapping_mul(1000)
    } else {
        base / (1 << 20)
    };
    // Truncation to 32 bits is QEMU's behaviour (a `uint32_t` local).
    u64::from(
        v.to_le_bytes()
            .first_chunk::<4>()
            .map_or(0, |b| u32::from_le_bytes(*b)),
    )
}

/// A matrix entry: `value / base` truncated to 16 bits, as QEMU stores it.
pub fn lb_entry(value: u64, base: u64) -> u16 {
    let q = value.checked_div(base).unwrap_or(0);
    u16::from_le_bytes([q.to_le_bytes()[0], q.to_le_bytes()[1]])
}

fn cache_attributes(total_levels: u32, c: &crate::topology::HmatCache) -> u32 {
    let assoc = match c.associativity {
        Associativity::None => 0u32,
        Associativity::Direct => 1,
        Associativity::Complex => 2,
    };
    let policy = match c.policy {
        WritePolicy::None => 0u32,
        WritePolicy::WriteBack => 1,
        WritePolicy::WriteThrough => 2,
    };
    (total_levels & 0xf)
        | (u32::from(c.level & 0xf) << 4)
        | (assoc << 8)
        | (policy << 12)
        | (u32::from(c.line) << 16)
}

/// The HMAT (spec §6).
pub fn build_hmat(t: &Topology) -> Result<Hmat, LayoutError> {
    let mut hmat = Hmat::new();
    hmat.header = header(t, *b"HMAT", 2);
    hmat.structures = mpda_structures(t)?;
    // QEMU lists initiators among the declared nodes only (a generic initiator
    // object may name a node that was never declared; QEMU rejects that elsewhere).
    let initiators: Vec<u32> = t
        .initiator_nodes()
        .into_iter()
        .filter(|&n| usize::try_from(n).is_ok_and(|n| n < t.nodes.len()))
        .collect();
    let n_targets = u32::try_from(t.nodes.len())
        .map_err(|_| LayoutError::invalid("nodes", "too many nodes"))?;
    check_hmat_lb(t, &initiators)?;
    let targets: Vec<u32> = (0..n_targets).collect();
    hmat.structures
        .extend(locality_structures(t, &initiators, &targets));
    check_hmat_caches(t)?;
    hmat.structures.extend(cache_structures(t, n_targets));
    Ok(hmat)
}

/// One Memory Proximity Domain Attributes structure per node with memory.
fn mpda_structures(t: &Topology) -> Result<Vec<HmatStructure>, LayoutError> {
    let cpu_nodes = t.cpu_nodes();
    let mut s = Vec::new();
    for (i, n) in t.nodes.iter().enumerate() {
        if n.mem == 0 {
            continue;
        }
        let node = u32::try_from(i).map_err(|_| LayoutError::invalid("nodes", "too many nodes"))?;
        let initiator = n
            .initiator
            .or_else(|| cpu_nodes.contains(&node).then_some(node));
        s.push(HmatStructure::MemoryProximityDomainAttributes {
            flags: if initiator.is_some() {
                crate::acpi::hmat::MPDA_INITIATOR_VALID
            } else {
                0
            },
            initiator_proximity_domain: initiator.unwrap_or(NO_INITIATOR),
            memory_proximity_domain: node,
            reserved0: 0,
            reserved1: 0,
            reserved2: 0,
            reserved3: 0,
            reserved4: 0,
        });
    }
    Ok(s)
}

/// Every `hmat_lb` names an initiator proximity domain and an existing target.
fn check_hmat_lb(t: &Topology, initiators: &[u32]) -> Result<(), LayoutError> {
    for (k, lb) in t.hmat_lb.iter().enumerate() {
        let field = format!("hmat_lb[{k}]");
        if !initiators.contains(&lb.initiator) {
            return Err(LayoutError::invalid(
                field,
                format!(
                    "initiator {} is not an initiator proximity domain (no CPU or generic initiator)",
                    lb.initiator
                ),
            ));
        }
        check_node(t, format!("{field}.target"), lb.target)?;
    }
    Ok(())
}

/// Every `hmat_lb` value can be written as QEMU writes it: QEMU picks one base
/// per (hierarchy, data type) list ([`lb_base`]), stores `value / base` in a
/// 16-bit entry and the base as a 32-bit Entry Base Unit, all silently wrapping.
/// A value whose entry would exceed 65534 (65535 means "unreachable"), a
/// latency base whose unit (base·1000 ps) passes 2^32−1, and a bandwidth base
/// under 1 MiB/s (unit 0) or whose unit (base / 1 MiB) passes 2^32−1 are
/// refused here: the front ends that model QEMU (`vnuma qemu`) keep the
/// wrapping, the topology file front end (`vnuma build`) calls this first.
pub fn check_hmat_lb_fits(t: &Topology) -> Result<(), LayoutError> {
    for h in HIERARCHIES {
        for d in DATA_TYPES {
            let list: Vec<(usize, &HmatLb)> = t
                .hmat_lb
                .iter()
                .enumerate()
                .filter(|(_, l)| l.hierarchy == h && l.data_type == d)
                .collect();
            let values: Vec<u64> = list.iter().map(|(_, l)| l.value).collect();
            if values.iter().all(|&v| v == 0) {
                continue;
            }
            let base = lb_base(d, &values);
            let (unit, unit_name) = if d.is_latency() {
                (u128::from(base) * 1000, "ps")
            } else {
                (u128::from(base) / (1 << 20), "MB/s")
            };
            let first = list
                .iter()
                .find(|(_, l)| l.value != 0)
                .map_or(0, |(k, _)| *k);
            let field = format!("hmat_lb[{first}].value");
            if unit == 0 {
                return Err(LayoutError::invalid(
                    field,
                    format!(
                        "{} bandwidths must be multiples of 1 MiB/s: QEMU's base for this list is {base} B/s, an Entry Base Unit of 0 MB/s",
                        d.name()
                    ),
                ));
            }
            if unit > u128::from(u32::MAX) {
                return Err(LayoutError::invalid(
                    field,
                    format!(
                        "{}: QEMU's base for this list ({base} {}) is an Entry Base Unit of {unit} {unit_name}, \
                         more than its 32-bit field holds (QEMU would write it wrapped)",
                        d.name(),
                        if d.is_latency() { "ns" } else { "B/s" }
                    ),
                ));
            }
            for (k, l) in &list {
                let q = l.value.checked_div(base).unwrap_or(0);
                if q >= 0xFFFF {
                    return Err(LayoutError::invalid(
                        format!("hmat_lb[{k}].value"),
                        format!(
                            "{} {} is {q} times the list's base {base} (the smallest unit QEMU picks for the {} values of this list); \
                             a 16-bit HMAT entry holds at most 65534 (QEMU would write it wrapped). \
                             Use values closer together or with common trailing zeros",
                            d.name(),
                            l.value,
                            values.len()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// One System Locality Latency and Bandwidth Information structure per
/// (hierarchy, data type) that has `hmat_lb` entries, in QEMU's order.
fn locality_structures(t: &Topology, initiators: &[u32], targets: &[u32]) -> Vec<HmatStructure> {
    let mut s = Vec::new();
    for h in HIERARCHIES {
        for d in DATA_TYPES {
            let list: Vec<&HmatLb> = t
                .hmat_lb
                .iter()
                .filter(|l| l.hierarchy == h && l.data_type == d)
                .collect();
            if list.is_empty() {
                continue;
            }
            let values: Vec<u64> = list.iter().map(|l| l.value).collect();
            let base = lb_base(d, &values);
            let mut entries = vec![vec![0u16; targets.len()]; initiators.len()];
            for l in &list {
                let row = initiators.iter().position(|&x| x == l.initiator);
                let col = usize::try_from(l.target).ok();
                if let (Some(r), Some(c)) = (row, col)
                    && let Some(cell) = entries.get_mut(r).and_then(|row| row.get_mut(c))
                {
                    *cell = lb_entry(l.value, base);
                }
            }
            s.push(HmatStructure::LocalityLatencyBandwidth(Locality {
                flags: hierarchy_value(h),
                data_type: data_type_value(d),
                min_transfer_size: 0,
                entry_base_unit: entry_base_unit(d, base),
                initiators: initiators.to_vec(),
                targets: targets.to_vec(),
                entries,
                reserved0: 0,
                reserved1: 0,
                reserved2: 0,
                trailing: Default::default(),
            }));
        }
    }
    s
}

/// Every `hmat_caches` entry names an existing node, a level 1..=3, and no
/// (node, level) twice (QEMU's messages).
fn check_hmat_caches(t: &Topology) -> Result<(), LayoutError> {
    for (k, c) in t.hmat_caches.iter().enumerate() {
        let field = format!("hmat_caches[{k}]");
        check_node(t, format!("{field}.node"), c.node)?;
        if !(1..=3).contains(&c.level) {
            return Err(LayoutError::invalid(
                format!("{field}.level"),
                format!(
                    "Invalid level={}, it should be larger than 0 and less than or equal to 3",
                    c.level
                ),
            ));
        }
        if t.hmat_caches
            .iter()
            .take(k)
            .any(|o| o.node == c.node && o.level == c.level)
        {
            return Err(LayoutError::invalid(
                field,
                format!(
                    "Duplicate configuration of the side cache for node-id={} and level={}",
                    c.node, c.level
                ),
            ));
        }
    }
    Ok(())
}

/// The Memory Side Cache Information structures, by node, then level.
fn cache_structures(t: &Topology, n_targets: u32) -> Vec<HmatStructure> {
    let mut s = Vec::new();
    for node in 0..n_targets {
        let mut caches: Vec<&crate::topology::HmatCache> =
            t.hmat_caches.iter().filter(|c| c.node == node).collect();
        caches.sort_by_key(|c| c.level);
        let total = u32::try_from(caches.len()).unwrap_or(0);
        for c in caches {
            s.push(HmatStructure::MemorySideCache {
                memory_proximity_domain: node,
                cache_size: c.size,
                cache_attributes: cache_attributes(total, c),
                address_mode: 0,
                smbios_handles: c.smbios_handles.clone(),
                reserved0: 0,
                reserved1: 0,
                trailing: Default::default(),
            });
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::HmatCache;

    #[test]
    fn latency_base_unit_wraps_in_32_bits() {
        // All-zero latencies: base stays u64::MAX → unit (u64::MAX·1000) mod 2^32 = 0xFFFF_FC18.
        let b = lb_base(DataType::AccessLatency, &[0, 0]);
        assert_eq!(entry_base_unit(DataType::AccessLatency, b), 0xFFFF_FC18);
        assert_eq!(lb_entry(0, b), 0);
        // Base 10^7 ns → 10^10 ps mod 2^32 = 1410065408.
        let b = lb_base(DataType::AccessLatency, &[10_000_000, 20_000_000]);
        assert_eq!(b, 10_000_000);
        assert_eq!(entry_base_unit(DataType::AccessLatency, b), 1_410_065_408);
    }

    #[test]
    fn latency_entries_truncate_to_16_bits() {
        // 650000 entered, then 1: base 1 → entries 650000 mod 65536 = 60176, and 1.
        let b = lb_base(DataType::AccessLatency, &[650_000, 1]);
        assert_eq!(b, 1);
        assert_eq!(lb_entry(650_000, b), 60_176);
        assert_eq!(lb_entry(1, b), 1);
    }

    #[test]
    fn generic_x_bases() {
        // acpihmat-generic-x: latencies 10..500 → base 10 ns → unit 10000 ps;
        // bandwidths 100M..800M → base 4 MiB → unit 4 MB/s, 100M → 25.
        let b = lb_base(DataType::AccessLatency, &[10, 100, 200, 500, 50, 20, 80]);
        assert_eq!(entry_base_unit(DataType::AccessLatency, b), 10_000);
        let m = 1 << 20;
        let bw = [800 * m, 200 * m, 400 * m, 100 * m];
        let b = lb_base(DataType::AccessBandwidth, &bw);
        assert_eq!(entry_base_unit(DataType::AccessBandwidth, b), 4);
        assert_eq!(lb_entry(100 * m, b), 25);
        // All-zero bandwidths: base 1, unit 0.
        let b = lb_base(DataType::ReadBandwidth, &[0]);
        assert_eq!((b, entry_base_unit(DataType::ReadBandwidth, b)), (1, 0));
    }

    #[test]
    fn cache_attribute_packing() {
        // size=10K,level=1,associativity=direct,policy=write-back,line=8 → 0x0008_1111.
        let c = HmatCache {
            node: 0,
            size: 10 * 1024,
            level: 1,
            associativity: Associativity::Direct,
            policy: WritePolicy::WriteBack,
            line: 8,
            smbios_handles: vec![],
        };
        assert_eq!(cache_attributes(1, &c), 0x0008_1111);
    }
}
