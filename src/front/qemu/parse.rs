//! QEMU command line → resolved [`Topology`], with QEMU 10.0.2's own validation.
//!
//! [`parse`] follows QEMU's processing order so that the *first* error QEMU would
//! report is the one returned, with QEMU's exact text ([`QemuError`]):
//!
//! 1. argv pass, in command-line order: option lookup (`-foo: invalid option`),
//!    QemuOpts syntax, `-m` value syntax, `-object` properties (QAPI: missing /
//!    wrongly typed / unknown properties, duplicate ids).
//! 2. machine creation: machine type, `-m` checks (maxmem/slots).
//! 3. early objects (everything but `memory-backend-*` …): GI/GP `node >= 128`.
//! 4. machine properties (`hmat`, `x-oem-id`, …) and `-smp`.
//! 5. late objects (memory backends).
//! 6. `-numa` options in command-line order (spec §5.2).
//! 7. board init: memory-backend checks, node ids dense, total memory, distances,
//!    CPU mapping (default / partial with QEMU's two warnings), HMAT initiators;
//!    then default devices (VGA, NIC) and `-device` in command-line order.
//! 8. ACPI table build (only with ≥ 1 node and ACPI on): every GI (node check,
//!    then device check), then every GP.
//!
//! vnuma extension (documented divergence): `-object acpi-generic-initiator` also
//! accepts the seed v5 syntax `host-nodes=2-9` (a uint16 list: ranges and repeated
//! keys) instead of `node=`; it expands to one GI per listed node in ascending node
//! order, all labelled with the object id. QEMU 10 itself rejects it
//! (`Parameter 'node' is missing`).
//!
//! Machine types: `pc`, `q35`, `virt` and versioned names ≥ 6.2 (`pc-q35-10.0`,
//! `pc-i440fx-9.2`, `virt-10.0`); they are all treated with QEMU 10.0's rules.

use super::error::QemuError;
use super::lexer::{self, CmdOption, Opts};
use crate::acpi::DeviceHandle;
use crate::acpi::srat::{AcpiHandle, PciHandle};
use crate::acpi::text::FixedAscii;
use crate::machine::LayoutError;
use crate::machine::cpu::{self, CpuSelector, CpuSlot, SmpConfig, SmpTopology};
use crate::machine::memory::{self as memmap, DimmPlacer, DimmRequest, MIB};
use crate::machine::pci::{self, DeviceKind, DeviceSpec, PciTree};
use crate::machine::tables::latency_base;
use crate::topology::{
    Affinity, Associativity, DataType, Hierarchy, HmatCache, HmatLb, MachineKind, MemRange,
    MemoryConfig, Node, Oem, Topology, WritePolicy,
};
use std::collections::BTreeMap;

/// QEMU's `MAX_NODES`.
pub const MAX_NODES: u64 = 128;

pub use super::Arch;

/// What the guest sees of one generic initiator (for the guest view).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GiInfo {
    /// The `-object` id.
    pub object_id: String,
    /// The `pci-dev=` value (device id or QOM path).
    pub pci_dev: String,
    /// Proximity domain.
    pub node: u32,
    /// Firmware-assigned PCI bus number of the device's bus.
    pub bus: u8,
    /// The device's devfn.
    pub devfn: u8,
}

/// What the guest sees of one generic port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GpInfo {
    /// The `-object` id.
    pub object_id: String,
    /// The `pci-bus=` value (the pxb-cxl bus).
    pub pci_bus: String,
    /// Proximity domain.
    pub node: u32,
    /// `_UID` = the pxb-cxl's `bus_nr`.
    pub uid: u32,
}

/// A `pc-dimm` or `nvdimm` with its assigned address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dimm {
    /// `id=`, if any.
    pub id: Option<String>,
    /// Whether it is an `nvdimm`.
    pub nvdimm: bool,
    /// Backend id.
    pub memdev: String,
    /// Node (`node=`, default 0).
    pub node: u32,
    /// Guest physical address (first fit in the device-memory region).
    pub addr: u64,
    /// Size (the backend's size).
    pub size: u64,
}

/// The result of [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The QEMU binary the command line targets.
    pub arch: Arch,
    /// The resolved machine type name (`pc-q35-10.0`).
    pub machine_type: String,
    /// The resolved topology, GIs/GPs and NVDIMMs in QEMU's emission order.
    pub topology: Topology,
    /// Whether ACPI is enabled (`-machine acpi=off`: no tables at all).
    pub acpi: bool,
    /// The resolved `-smp` topology.
    pub smp: SmpTopology,
    /// Every possible CPU with topology ids and node.
    pub cpu_slots: Vec<CpuSlot>,
    /// The PCI tree (default and user devices).
    pub pci: PciTree,
    /// Generic initiators, in emission order (index-aligned with `topology.generic_initiators`).
    pub generic_initiators: Vec<GiInfo>,
    /// Generic ports, in emission order (index-aligned with `topology.generic_ports`).
    pub generic_ports: Vec<GpInfo>,
    /// Memory DIMMs in creation order.
    pub dimms: Vec<Dimm>,
    /// Options that do not shape the NUMA tables (as typed, with argument).
    pub ignored: Vec<String>,
    /// Warnings QEMU prints for this command line (exact text).
    pub warnings: Vec<QemuError>,
}

/// Iteration order of a GLib hash table after inserting `keys` in order (QEMU's
/// `/objects` and `/machine/peripheral` containers), spec §4.6.
fn hash_order(keys: &[&str]) -> Vec<usize> {
    super::glib_hash::iteration_order(keys)
}

struct ObjectDef {
    opt: CmdOption,
    qom_type: String,
    id: String,
    props: Opts,
}

struct NumaState {
    present: Vec<bool>,
    mem: Vec<u64>,
    memdev_used: Vec<bool>,
    initiator: Vec<u32>,
    has_cpu: Vec<bool>,
    has_gi: Vec<bool>,
    lb_info: Vec<u8>,
    distance: Vec<Vec<u8>>,
    have_distance: bool,
    num_nodes: usize,
    max_nodeid: usize,
    have_memdevs: bool,
    have_mem: bool,
    hmat_lb: BTreeMap<(Hierarchy, DataType), LbTable>,
    hmat_cache: BTreeMap<(u32, u8), HmatCache>,
}

#[derive(Default)]
struct LbTable {
    base: u64,
    range_bitmap: u64,
    list: Vec<(u32, u32)>,
}

impl NumaState {
    fn new() -> Self {
        let n = usize::try_from(MAX_NODES).unwrap_or(128);
        NumaState {
            present: vec![false; n],
            mem: vec![0; n],
            memdev_used: vec![false; n],
            initiator: vec![128; n],
            has_cpu: vec![false; n],
            has_gi: vec![false; n],
            lb_info: vec![0; n],
            distance: vec![vec![0; n]; n],
            have_distance: false,
            num_nodes: 0,
            max_nodeid: 0,
            have_memdevs: false,
            have_mem: false,
            hmat_lb: BTreeMap::new(),
            hmat_cache: BTreeMap::new(),
        }
    }
}

fn idx(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Machine properties we interpret.
#[derive(Default)]
struct MachineProps {
    hmat: bool,
    nvdimm: bool,
    cxl: bool,
    acpi: bool,
    max_ram_below_4g: Option<u64>,
    oem_id: Option<String>,
    oem_table_id: Option<String>,
    memory_backend: Option<String>,
}

fn is_late_object(t: &str) -> bool {
    t.starts_with("memory-backend-")
        || t.starts_with("pr-manager-")
        || matches!(
            t,
            "rng-egd"
                | "cryptodev-vhost-user"
                | "vhost-user-blk-server"
                | "filter-buffer"
                | "filter-dump"
                | "filter-mirror"
                | "filter-redirector"
                | "colo-compare"
                | "filter-rewriter"
                | "filter-replay"
        )
}

/// Known `-object` types and their QAPI members (in QAPI order; the first ones
/// listed after `!` are mandatory). Types not listed are accepted with any properties.
fn object_members(t: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const BACKEND: &[&str] = &[
        "dump",
        "host-nodes",
        "merge",
        "policy",
        "prealloc",
        "prealloc-threads",
        "prealloc-context",
        "share",
        "reserve",
        "size",
        "x-use-canonical-path-for-ramblock-id",
    ];
    Some(match t {
        "memory-backend-ram" => (&["size"], BACKEND),
        "memory-backend-memfd" => (&["size"], {
            const M: &[&str] = &[
                "dump",
                "host-nodes",
                "merge",
                "policy",
                "prealloc",
                "prealloc-threads",
                "prealloc-context",
                "share",
                "reserve",
                "size",
                "x-use-canonical-path-for-ramblock-id",
                "hugetlb",
                "hugetlbsize",
                "seal",
            ];
            M
        }),
        "memory-backend-file" => (&["mem-path"], {
            const F: &[&str] = &[
                "dump",
                "host-nodes",
                "merge",
                "policy",
                "prealloc",
                "prealloc-threads",
                "prealloc-context",
                "share",
                "reserve",
                "size",
                "x-use-canonical-path-for-ramblock-id",
                "align",
                "offset",
                "discard-data",
                "mem-path",
                "pmem",
                "readonly",
                "rom",
            ];
            F
        }),
        "acpi-generic-initiator" => (&["pci-dev", "node"], &["pci-dev", "node"]),
        "acpi-generic-port" => (&["pci-bus", "node"], &["pci-bus", "node"]),
        _ => return None,
    })
}

fn machine_kind_of(name: &str, arch: Arch) -> Option<(MachineKind, String)> {
    let versioned = |prefix: &str| -> Option<String> {
        let v = name.strip_prefix(prefix)?;
        let (a, b) = v.split_once('.')?;
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        ((a, b) >= (6, 2) && (a, b) <= (10, 0)).then(|| name.to_string())
    };
    match arch {
        Arch::X86_64 => match name {
            "pc" => Some((MachineKind::Pc, "pc-i440fx-10.0".into())),
            "q35" => Some((MachineKind::Q35, "pc-q35-10.0".into())),
            _ => versioned("pc-q35-")
                .map(|n| (MachineKind::Q35, n))
                .or_else(|| versioned("pc-i440fx-").map(|n| (MachineKind::Pc, n))),
        },
        Arch::Aarch64 => match name {
            "virt" => Some((MachineKind::Virt, "virt-10.0".into())),
            _ => versioned("virt-").map(|n| (MachineKind::Virt, n)),
        },
    }
}

/// CPU models without long mode (QEMU checks their address space differently).
fn is_32bit_cpu_model(model: &str) -> bool {
    [
        "qemu32", "kvm32", "486", "pentium", "pentium2", "pentium3", "coreduo", "athlon", "n270",
    ]
    .contains(&model.to_ascii_lowercase().as_str())
}

fn is_intel_cpu_model(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    [
        "skylake",
        "cascadelake",
        "icelake",
        "haswell",
        "broadwell",
        "sandybridge",
        "ivybridge",
        "nehalem",
        "westmere",
        "penryn",
        "conroe",
        "cooperlake",
        "snowridge",
        "sapphirerapids",
        "graniterapids",
        "sierraforest",
        "clearwaterforest",
        "denverton",
        "knightsmill",
        "core2duo",
        "coreduo",
        "pentium",
        "n270",
        "kvm64",
        "kvm32",
        "486",
        "qemu32",
    ]
    .iter()
    .any(|p| m.starts_with(p))
}

fn numa_uint(
    o: &CmdOption,
    opts: &Opts,
    key: &str,
    max: u64,
    ty: &str,
) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = lexer::parse_u64(v)
                .ok_or_else(|| o.error(format!("Parameter '{key}' expects a uint64 value")))?;
            if n > max {
                return Err(o.error(format!("Parameter '{key}' expects {ty}")));
            }
            Ok(Some(n))
        }
    }
}

/// An int64 `-numa cpu` property. Negative values can never match a slot or a
/// node, so they are kept as `u64::MAX`.
fn numa_int(o: &CmdOption, opts: &Opts, key: &str) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => {
            let bad = || o.error(format!("Parameter '{key}' expects an int64 value"));
            match v.strip_prefix('-') {
                Some(neg) => lexer::parse_u64(neg)
                    .filter(|n| *n <= 1u64 << 63)
                    .map(|_| Some(u64::MAX))
                    .ok_or_else(bad),
                None => lexer::parse_u64(v)
                    .filter(|n| *n <= 0x7FFF_FFFF_FFFF_FFFF)
                    .map(Some)
                    .ok_or_else(bad),
            }
        }
    }
}

fn numa_size(o: &CmdOption, opts: &Opts, key: &str) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => lexer::parse_size(v)
            .map(Some)
            .ok_or_else(|| o.error(format!("Parameter '{key}' expects a size value"))),
    }
}

fn required<T>(o: &CmdOption, v: Option<T>, key: &str) -> Result<T, QemuError> {
    v.ok_or_else(|| o.error(format!("Parameter '{key}' is missing")))
}

fn enum_val<T: Copy>(
    o: &CmdOption,
    opts: &Opts,
    key: &str,
    table: &[(&str, T)],
) -> Result<Option<T>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => lookup(table, v)
            .map(Some)
            .ok_or_else(|| o.error(format!("Parameter '{key}' does not accept value '{v}'"))),
    }
}

/// The value named `v` in a (name, value) table.
fn lookup<T: Copy>(table: &[(&str, T)], v: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == v).map(|(_, t)| *t)
}

/// Parses a uint16 list (`cpus=`/`host-nodes=` values: `N` or `A-B`, repeatable).
fn u16_list(o: &CmdOption, vals: &[&str], key: &str) -> Result<Vec<u64>, QemuError> {
    let mut out = Vec::new();
    let bad = || o.error(format!("Parameter '{key}' expects a uint64 value or range"));
    for v in vals {
        let (a, b) = match v.split_once('-') {
            Some((a, b)) => (
                lexer::parse_u64(a).ok_or_else(bad)?,
                lexer::parse_u64(b).ok_or_else(bad)?,
            ),
            None => {
                let a = lexer::parse_u64(v).ok_or_else(bad)?;
                (a, a)
            }
        };
        if b < a || b - a >= 65536 {
            return Err(bad());
        }
        for x in a..=b {
            if x > u64::from(u16::MAX) {
                return Err(o.error(format!("Parameter '{key}' expects uint16_t")));
            }
            out.push(x);
        }
    }
    Ok(out)
}

const HMAT_DISABLED: &str = "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with -machine hmat=on before using any of hmat specific options";

/// Parses a QEMU command line (the arguments after the program name).
///
/// `arch`: the QEMU binary the line is for; `None` infers it from `-machine`
/// (`virt*` → aarch64, otherwise x86_64; no `-machine` → x86_64 `pc`).
/// On success, everything QEMU would build into SRAT/SLIT/HMAT is in
/// [`Parsed::topology`]; on failure the error is the first one QEMU 10.0.2 prints.
pub fn parse(args: &[String], arch: Option<Arch>) -> Result<Parsed, QemuError> {
    parse_full(args, arch).1
}

/// Like [`parse`], also returning the warnings QEMU prints before it succeeds or
/// fails (in order; on success they are also in [`Parsed::warnings`]). A front end
/// prints the warnings, then the error.
pub fn parse_full(
    args: &[String],
    arch: Option<Arch>,
) -> (Vec<QemuError>, Result<Parsed, QemuError>) {
    let mut warnings = Vec::new();
    let r = parse_inner(args, arch, &mut warnings);
    (warnings, r)
}

fn parse_inner(
    args: &[String],
    arch: Option<Arch>,
    warnings: &mut Vec<QemuError>,
) -> Result<Parsed, QemuError> {
    let opts = lexer::split_args(args)?;
    let mut ignored: Vec<String> = Vec::new();

    // ---- pass 1: option syntax, in command-line order ----
    let mut machine_pairs: Vec<(String, String)> = Vec::new();
    let mut mem_opts = Opts::default();
    let mut mem_opt_loc: Option<CmdOption> = None;
    let mut smp_opts = Opts::default();
    let mut numa_opts: Vec<(CmdOption, Opts)> = Vec::new();
    let mut objects: Vec<ObjectDef> = Vec::new();
    let mut devices: Vec<(CmdOption, Opts)> = Vec::new();
    let mut cpu_model: Option<String> = None;
    let mut cpu_vendor: Option<String> = None;
    let mut cpu_phys_bits: Option<String> = None;
    // Firmware loaded (`-bios`, `-pflash`, `-drive if=pflash`): virt creates its
    // ACPI GED (memory hotplug) only then.
    let mut firmware = false;
    let mut nodefaults = false;
    let mut vga_none = false;
    let mut default_nic = true;
    let warn = |w: &mut Vec<QemuError>, o: &CmdOption, opts: &Opts| {
        for t in &opts.warnings {
            w.push(o.error(t.clone()));
        }
    };
    for o in &opts {
        let arg = o.arg.clone().unwrap_or_default();
        match o.name.as_str() {
            "machine" => {
                let kv = lexer::parse_keyval(&arg, Some("type")).map_err(|e| o.error(e))?;
                machine_pairs.extend(kv.pairs);
            }
            "m" => {
                let m = lexer::parse_opts(&arg, Some("size"));
                warn(warnings, o, &m);
                if let Some(k) = m.unknown_key(&["size", "slots", "maxmem"]) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                for (k, v) in &m.pairs {
                    match k.as_str() {
                        "size" if lexer::parse_size_with(v, MIB).is_none() => {
                            return Err(o.error(
                                "Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.",
                            ));
                        }
                        "maxmem" if lexer::parse_size(v).is_none() => {
                            return Err(o.error(
                                "Parameter 'maxmem' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.",
                            ));
                        }
                        "slots" if lexer::parse_u64(v).is_none() => {
                            return Err(o.error("Parameter 'slots' expects a number"));
                        }
                        _ => {}
                    }
                }
                mem_opts.pairs.extend(m.pairs);
                mem_opt_loc = Some(o.clone());
            }
            "smp" => {
                let s = lexer::parse_opts(&arg, Some("cpus"));
                warn(warnings, o, &s);
                const SMP_KEYS: &[&str] = &[
                    "cpus", "maxcpus", "drawers", "books", "sockets", "dies", "clusters",
                    "modules", "cores", "threads",
                ];
                if let Some(k) = s.unknown_key(SMP_KEYS) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                smp_opts.pairs.extend(s.pairs);
            }
            "numa" => {
                let n = lexer::parse_opts(&arg, Some("type"));
                warn(warnings, o, &n);
                numa_opts.push((o.clone(), n));
            }
            "object" => {
                let p = lexer::parse_opts(&arg, Some("qom-type"));
                warn(warnings, o, &p);
                let qom_type = required(o, p.get("qom-type").map(str::to_string), "qom-type")?;
                let id = required(o, p.get("id").map(str::to_string), "id")?;
                if let Some((mandatory, members)) = object_members(&qom_type) {
                    let gi_v5 = qom_type == "acpi-generic-initiator"
                        && !p.has("node")
                        && p.has("host-nodes");
                    for m in mandatory {
                        if gi_v5 && *m == "node" {
                            continue;
                        }
                        if !p.has(m) {
                            return Err(o.error(format!("Parameter '{m}' is missing")));
                        }
                    }
                    for m in members {
                        let Some(v) = p.get(m) else { continue };
                        match *m {
                            "size" | "align" | "offset" | "hugetlbsize"
                                if lexer::parse_size(v).is_none() =>
                            {
                                return Err(
                                    o.error(format!("Parameter '{m}' expects a size value"))
                                );
                            }
                            "node" => {
                                let n = lexer::parse_u64(v).ok_or_else(|| {
                                    o.error(format!("Parameter '{m}' expects a uint64 value"))
                                })?;
                                if n > u64::from(u32::MAX) {
                                    return Err(
                                        o.error(format!("Parameter '{m}' expects uint32_t"))
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                    let extra: Vec<&str> = if gi_v5 { vec!["host-nodes"] } else { vec![] };
                    if let Some(k) = p.pairs.iter().map(|(k, _)| k.as_str()).find(|k| {
                        *k != "qom-type" && *k != "id" && !members.contains(k) && !extra.contains(k)
                    }) {
                        return Err(o.error(format!("Invalid parameter '{k}'")));
                    }
                    if gi_v5 {
                        let hv = p.get_all("host-nodes");
                        u16_list(o, &hv, "host-nodes")?;
                    }
                }
                if objects.iter().any(|x| x.id == id) {
                    return Err(o.error(format!("Duplicate ID '{id}' for object")));
                }
                objects.push(ObjectDef {
                    opt: o.clone(),
                    qom_type,
                    id,
                    props: p,
                });
            }
            "device" => {
                let d = lexer::parse_opts(&arg, Some("driver"));
                warn(warnings, o, &d);
                if d.get("driver").is_some_and(pci::is_vga) {
                    vga_none = true;
                }
                devices.push((o.clone(), d));
            }
            "cpu" => {
                let mut parts = arg.split(',');
                cpu_model = parts.next().map(str::to_string);
                for p in parts {
                    if let Some(v) = p.strip_prefix("vendor=") {
                        cpu_vendor = Some(v.to_string());
                    }
                    if let Some(v) = p.strip_prefix("phys-bits=") {
                        cpu_phys_bits = Some(v.to_string());
                    }
                }
            }
            "nodefaults" => nodefaults = true,
            "bios" | "pflash" => {
                firmware = true;
                ignored.push(o.location());
            }
            "drive"
                if o.arg
                    .as_deref()
                    .is_some_and(|a| lexer::parse_opts(a, None).get("if") == Some("pflash")) =>
            {
                firmware = true;
                ignored.push(o.location());
            }
            "vga" => {
                if arg == "none" {
                    vga_none = true;
                }
                ignored.push(o.location());
            }
            "net" | "netdev" | "nic" => {
                default_nic = false;
                ignored.push(o.location());
            }
            _ => ignored.push(o.location()),
        }
    }

    // ---- machine creation ----
    let machine_get = |k: &str| -> Option<String> {
        machine_pairs
            .iter()
            .rev()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
    };
    let mtype = machine_get("type");
    let arch = match arch {
        Some(a) => a,
        None => match &mtype {
            Some(t) if t.starts_with("virt") => Arch::Aarch64,
            _ => Arch::X86_64,
        },
    };
    let (kind, machine_type) = match &mtype {
        None => match arch {
            Arch::X86_64 => (MachineKind::Pc, "pc-i440fx-10.0".to_string()),
            Arch::Aarch64 => {
                return Err(QemuError::program(
                    "No machine specified, and there is no default\nUse -machine help to list supported machines",
                ));
            }
        },
        Some(t) => machine_kind_of(t, arch).ok_or_else(|| {
            QemuError::program(format!(
                "unsupported machine type: \"{t}\"\nUse -machine help to list supported machines"
            ))
        })?,
    };

    // -m
    let mut ram_size = match mem_opts.get("size") {
        Some(v) if v.starts_with("0x") || v.starts_with("0X") => {
            return Err(QemuError::program("Parameter 'memory.size' expects size"));
        }
        Some(v) => lexer::parse_size_with(v, MIB).unwrap_or(128 * MIB),
        None => 128 * MIB,
    };
    if ram_size == 0 {
        ram_size = 128 * MIB;
    }
    ram_size = ram_size
        .checked_add(8191)
        .map(|v| v & !8191)
        .ok_or_else(|| QemuError::program("ram size too large"))?;
    let slots = mem_opts
        .get("slots")
        .and_then(lexer::parse_u64)
        .unwrap_or(0);
    let maxmem = mem_opts.get("maxmem").and_then(lexer::parse_size);
    match maxmem {
        Some(mx) if ram_size > mx => {
            return Err(QemuError::program(format!(
                "invalid value of maxmem: maximum memory size (0x{mx:x}) must be at least the initial memory size (0x{ram_size:x})"
            )));
        }
        Some(mx) if slots > 0 && ram_size == mx => {
            return Err(QemuError::program(format!(
                "invalid value of maxmem: memory slots were specified but maximum memory size (0x{mx:x}) is equal to the initial memory size (0x{ram_size:x})"
            )));
        }
        None if slots > 0 => {
            return Err(QemuError::program("slots specified but no max-size"));
        }
        _ => {}
    }
    let _ = mem_opt_loc;
    let mut max_ram = maxmem.unwrap_or(ram_size);

    // ---- early objects ----
    let mut numa = NumaState::new();
    let mut gi_defs: Vec<(String, String, Vec<u32>)> = Vec::new();
    let mut gp_defs: Vec<(String, String, u32)> = Vec::new();
    let ordered: Vec<&ObjectDef> = objects
        .iter()
        .filter(|o| o.qom_type == "thread-context")
        .chain(
            objects
                .iter()
                .filter(|o| o.qom_type != "thread-context" && !is_late_object(&o.qom_type)),
        )
        .collect();
    for ob in &ordered {
        match ob.qom_type.as_str() {
            "acpi-generic-initiator" => {
                let dev = ob.props.get("pci-dev").unwrap_or_default().to_string();
                let nodes: Vec<u32> = if let Some(n) = ob.props.get("node") {
                    let n = lexer::parse_u64(n).unwrap_or(0);
                    if n >= MAX_NODES {
                        return Err(QemuError::bare(
                            "acpi-generic-initiator: Invalid NUMA node specified",
                        ));
                    }
                    vec![u32::try_from(n).unwrap_or(0)]
                } else {
                    // vnuma: seed v5 syntax host-nodes=<list>
                    let hv = ob.props.get_all("host-nodes");
                    let mut l = u16_list(&ob.opt, &hv, "host-nodes")?;
                    l.sort_unstable();
                    l.dedup();
                    if let Some(bad) = l.iter().find(|n| **n >= MAX_NODES) {
                        return Err(ob.opt.error(format!("Invalid host-nodes value: {bad}")));
                    }
                    l.iter().filter_map(|n| u32::try_from(*n).ok()).collect()
                };
                for n in &nodes {
                    if let Some(h) = numa.has_gi.get_mut(idx(u64::from(*n))) {
                        *h = true;
                    }
                }
                gi_defs.push((ob.id.clone(), dev, nodes));
            }
            "acpi-generic-port" => {
                let bus = ob.props.get("pci-bus").unwrap_or_default().to_string();
                let n = ob.props.get("node").and_then(lexer::parse_u64).unwrap_or(0);
                if n >= MAX_NODES {
                    return Err(QemuError::bare(
                        "acpi-generic-initiator: Invalid NUMA node specified",
                    ));
                }
                gp_defs.push((ob.id.clone(), bus, u32::try_from(n).unwrap_or(0)));
            }
            _ => {}
        }
    }

    // ---- machine properties ----
    let mut mp = MachineProps {
        acpi: true,
        ..Default::default()
    };
    let class = match kind {
        MachineKind::Q35 | MachineKind::Pc => format!("{machine_type}-machine"),
        MachineKind::Virt => format!("{machine_type}-machine"),
    };
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in machine_pairs.iter().rev() {
        if !seen.insert(k.clone()) {
            continue;
        }
        let boolp = |v: &str| {
            lexer::parse_bool(v)
                .ok_or_else(|| QemuError::program(format!("Parameter '{k}' expects 'on' or 'off'")))
        };
        match k.as_str() {
            "type" => {}
            "hmat" => mp.hmat = boolp(v)?,
            "nvdimm" => mp.nvdimm = boolp(v)?,
            "cxl" if kind == MachineKind::Q35 || kind == MachineKind::Pc => mp.cxl = boolp(v)?,
            "acpi" => {
                mp.acpi = match v.as_str() {
                    "auto" => true,
                    _ => lexer::parse_bool(v).ok_or_else(|| {
                        QemuError::program(format!("Parameter '{k}' does not accept value '{v}'"))
                    })?,
                }
            }
            "max-ram-below-4g" if kind.is_x86() => {
                let size = lexer::parse_size(v).ok_or_else(|| {
                    QemuError::program(format!("Parameter '{k}' expects a size value"))
                })?;
                // x86_machine_set_max_ram_below_4g, at property-set time (before NUMA).
                if size > 4 * 1024 * MIB {
                    return Err(QemuError::program(format!(
                        "Machine option 'max-ram-below-4g={size}' expects size less than or equal to 4G"
                    )));
                }
                if size < MIB {
                    warnings.push(QemuError::program(format!(
                        "warning: Only {size} bytes of RAM below the 4GiB boundary,BIOS may not work with less than 1MiB"
                    )));
                }
                mp.max_ram_below_4g = Some(size);
            }
            "x-oem-id" => {
                if v.len() > 6 {
                    return Err(QemuError::program(
                        "User specified x-oem-id value is bigger than 6 bytes in size",
                    ));
                }
                mp.oem_id = Some(v.clone());
            }
            "x-oem-table-id" => {
                if v.len() > 8 {
                    return Err(QemuError::program(
                        "User specified x-oem-table-id value is bigger than 8 bytes in size",
                    ));
                }
                mp.oem_table_id = Some(v.clone());
            }
            "memory-backend" => mp.memory_backend = Some(v.clone()),
            "accel"
            | "kernel-irqchip"
            | "nvdimm-persistence"
            | "smm"
            | "vmport"
            | "pit"
            | "hpet"
            | "usb"
            | "graphics"
            | "dump-guest-core"
            | "mem-merge"
            | "suppress-vmdesc"
            | "firmware"
            | "pflash0"
            | "pflash1"
            | "sata"
            | "i8042"
            | "smbios-entry-point-type"
            | "default-bus-bypass-iommu"
            | "bus-lock-ratelimit"
            | "confidential-guest-support"
            | "memory-encryption"
            | "dt-compatible"
            | "dumpdtb"
            | "phandle-start"
            | "append"
            | "kernel"
            | "initrd"
            | "dtb"
            | "boot"
            | "smp"
            | "gic-version"
            | "its"
            | "iommu"
            | "secure"
            | "virtualization"
            | "highmem"
            | "highmem-redists"
            | "highmem-ecam"
            | "highmem-mmio"
            | "highmem-mmio-size"
            | "compact-highmem"
            | "ras"
            | "mte"
            | "x-oem-revision"
            | "fdc"
            | "sgx-epc"
            | "cxl-fmw"
            | "ipmi"
            | "dtb-randomness"
            | "acpi-pcihp"
            | "x-remote"
            | "oem-id"
            | "oem-table-id"
            | "hvf"
            | "tcg"
            | "kvm-type"
            | "pcie-mmio-high" => {
                ignored.push(format!("-machine {k}={v}"));
            }
            _ => {
                return Err(QemuError::program(format!(
                    "Property '{class}.{k}' not found"
                )));
            }
        }
    }

    // -smp
    let mut sc = SmpConfig::default();
    for (k, v) in &smp_opts.pairs {
        let n = lexer::parse_u64(v)
            .ok_or_else(|| QemuError::program(format!("Parameter 'smp.{k}' expects integer")))?;
        let slot = match k.as_str() {
            "cpus" => &mut sc.cpus,
            "maxcpus" => &mut sc.maxcpus,
            "drawers" => &mut sc.drawers,
            "books" => &mut sc.books,
            "sockets" => &mut sc.sockets,
            "dies" => &mut sc.dies,
            "clusters" => &mut sc.clusters,
            "modules" => &mut sc.modules,
            "cores" => &mut sc.cores,
            _ => &mut sc.threads,
        };
        *slot = Some(n);
    }
    let smp = SmpTopology::resolve(kind, &sc).map_err(QemuError::program)?;
    let mut slots_cpu = cpu::possible_cpus(kind, &smp);

    // ---- late objects (memory backends) ----
    let mut backends: BTreeMap<String, u64> = BTreeMap::new();
    for ob in objects.iter().filter(|o| is_late_object(&o.qom_type)) {
        if ob.qom_type.starts_with("memory-backend-") {
            let size = ob
                .props
                .get("size")
                .and_then(lexer::parse_size)
                .unwrap_or(0);
            if size == 0 && ob.qom_type != "memory-backend-file" {
                return Err(QemuError::program(format!(
                    "property 'size' of {} doesn't take value '0'",
                    ob.qom_type
                )));
            }
            backends.insert(ob.id.clone(), size);
        }
    }

    // ---- -numa ----
    for (o, n) in &numa_opts {
        let ty = required(o, n.get("type"), "type")?;
        match ty {
            "node" => {
                let nodeid = numa_uint(o, n, "nodeid", 65535, "uint16_t")?;
                let cpus_raw = n.get_all("cpus");
                let cpus = u16_list(o, &cpus_raw, "cpus")?;
                let mem = numa_size(o, n, "mem")?;
                let memdev = n.get("memdev");
                let initiator = numa_uint(o, n, "initiator", 65535, "uint16_t")?;
                if let Some(k) =
                    n.unknown_key(&["type", "nodeid", "cpus", "mem", "memdev", "initiator"])
                {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                let nodenr = nodeid.unwrap_or(numa.num_nodes as u64);
                if nodenr >= MAX_NODES {
                    return Err(o.error(format!("Max number of NUMA nodes reached: {nodenr}")));
                }
                let ni = idx(nodenr);
                if numa.present[ni] {
                    return Err(o.error(format!("Duplicate NUMA nodeid: {nodenr}")));
                }
                numa.initiator[ni] = 128;
                if let Some(init) = initiator {
                    if !mp.hmat {
                        return Err(o.error(HMAT_DISABLED));
                    }
                    if init >= MAX_NODES {
                        warnings.push(o.error(format!(
                            "The initiator id {init} expects an integer between 0 and 127"
                        )));
                        continue;
                    }
                    numa.initiator[ni] = u32::try_from(init).unwrap_or(128);
                }
                for c in cpus {
                    if c >= u64::from(smp.max_cpus) {
                        return Err(o.error(format!(
                            "CPU index ({c}) should be smaller than maxcpus ({})",
                            smp.max_cpus
                        )));
                    }
                    let slot = &slots_cpu[idx(c)];
                    let sel = CpuSelector::of_slot(slot);
                    set_cpu_node(&mut slots_cpu, &mut numa, mp.hmat, &sel, nodenr)
                        .map_err(|e| o.error(e))?;
                }
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
                    let size = backends
                        .get(md)
                        .copied()
                        .ok_or_else(|| o.error(format!("memdev={md} is ambiguous")))?;
                    numa.mem[ni] = size;
                    numa.memdev_used[ni] = true;
                }
                numa.present[ni] = true;
                numa.max_nodeid = numa.max_nodeid.max(ni + 1);
                numa.num_nodes += 1;
            }
            "dist" => {
                let src = numa_uint(o, n, "src", 65535, "uint16_t")?;
                let dst = numa_uint(o, n, "dst", 65535, "uint16_t")?;
                let val = numa_uint(o, n, "val", 255, "uint8_t")?;
                let src = required(o, src, "src")?;
                let dst = required(o, dst, "dst")?;
                let val = required(o, val, "val")?;
                if let Some(k) = n.unknown_key(&["type", "src", "dst", "val"]) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                if src >= MAX_NODES || dst >= MAX_NODES {
                    let which = if src >= MAX_NODES { "src" } else { "dst" };
                    return Err(o.error(format!(
                        "Parameter '{which}' expects an integer between 0 and 127"
                    )));
                }
                let (s, d) = (idx(src), idx(dst));
                if !numa.present[s] || !numa.present[d] {
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
                numa.distance[s][d] = u8::try_from(val).unwrap_or(u8::MAX);
                numa.have_distance = true;
            }
            "cpu" => {
                let node_id = numa_int(o, n, "node-id")?;
                let mut sel = CpuSelector::default();
                let fields: [(&str, &mut Option<u64>); 8] = [
                    ("drawer-id", &mut sel.drawer_id),
                    ("book-id", &mut sel.book_id),
                    ("socket-id", &mut sel.socket_id),
                    ("die-id", &mut sel.die_id),
                    ("cluster-id", &mut sel.cluster_id),
                    ("module-id", &mut sel.module_id),
                    ("core-id", &mut sel.core_id),
                    ("thread-id", &mut sel.thread_id),
                ];
                for (k, slot) in fields {
                    *slot = numa_int(o, n, k)?;
                }
                if let Some(k) = n.unknown_key(&[
                    "type",
                    "node-id",
                    "drawer-id",
                    "book-id",
                    "socket-id",
                    "die-id",
                    "cluster-id",
                    "module-id",
                    "core-id",
                    "thread-id",
                ]) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                let Some(node_id) = node_id else {
                    return Err(o.error("Missing mandatory node-id property"));
                };
                if node_id >= MAX_NODES || !numa.present[idx(node_id)] {
                    return Err(o.error(format!(
                        "Invalid node-id={node_id}, NUMA node must be defined with -numa node,nodeid=ID before it's used with -numa cpu,node-id=ID"
                    )));
                }
                set_cpu_node(&mut slots_cpu, &mut numa, mp.hmat, &sel, node_id)
                    .map_err(|e| o.error(e))?;
            }
            "hmat-lb" => {
                let initiator = numa_uint(o, n, "initiator", 65535, "uint16_t")?;
                let target = numa_uint(o, n, "target", 65535, "uint16_t")?;
                let hierarchy = enum_val(o, n, "hierarchy", &Hierarchy::NAMES)?;
                let data_type = enum_val(o, n, "data-type", &DataType::NAMES)?;
                let latency = numa_uint(o, n, "latency", u64::MAX, "uint64_t")?;
                let bandwidth = numa_size(o, n, "bandwidth")?;
                let initiator = required(o, initiator, "initiator")?;
                let target = required(o, target, "target")?;
                let hierarchy = required(o, hierarchy, "hierarchy")?;
                let data_type = required(o, data_type, "data-type")?;
                if let Some(k) = n.unknown_key(&[
                    "type",
                    "initiator",
                    "target",
                    "hierarchy",
                    "data-type",
                    "latency",
                    "bandwidth",
                ]) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                if !mp.hmat {
                    return Err(o.error(HMAT_DISABLED));
                }
                hmat_lb(
                    &mut numa, initiator, target, hierarchy, data_type, latency, bandwidth,
                )
                .map_err(|e| o.error(e))?;
            }
            "hmat-cache" => {
                let node_id = numa_uint(o, n, "node-id", u64::from(u32::MAX), "uint32_t")?;
                let size = numa_size(o, n, "size")?;
                let level = numa_uint(o, n, "level", 255, "uint8_t")?;
                let assoc = enum_val(o, n, "associativity", &Associativity::NAMES)?;
                let policy = enum_val(o, n, "policy", &WritePolicy::NAMES)?;
                let line = numa_uint(o, n, "line", 65535, "uint16_t")?;
                let node_id = required(o, node_id, "node-id")?;
                let size = required(o, size, "size")?;
                let level = required(o, level, "level")?;
                let assoc = required(o, assoc, "associativity")?;
                let policy = required(o, policy, "policy")?;
                let line = required(o, line, "line")?;
                if let Some(k) = n.unknown_key(&[
                    "type",
                    "node-id",
                    "size",
                    "level",
                    "associativity",
                    "policy",
                    "line",
                ]) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                if !mp.hmat {
                    return Err(o.error(HMAT_DISABLED));
                }
                hmat_cache(&mut numa, node_id, size, level, assoc, policy, line)
                    .map_err(|e| o.error(e))?;
            }
            other => {
                return Err(o.error(format!("Parameter 'type' does not accept value '{other}'")));
            }
        }
    }

    // ---- board init ----
    let default_ram_id = match kind {
        MachineKind::Virt => "mach-virt.ram",
        _ => "pc.ram",
    };
    if let Some(mb) = &mp.memory_backend {
        let size = backends
            .get(mb)
            .copied()
            .ok_or_else(|| QemuError::program(format!("Device '{mb}' not found")))?;
        if size != ram_size && mem_opts.get("size").is_some() {
            return Err(QemuError::program(
                "Machine memory size does not match the size of the memory backend",
            ));
        }
        ram_size = size;
        if maxmem.is_none() {
            max_ram = ram_size;
        }
    } else if !numa.have_memdevs && objects.iter().any(|o| o.id == default_ram_id) {
        return Err(QemuError::program(format!(
            "object's id '{default_ram_id}' is reserved for the default RAM backend, it can't be used for any other purposes\nChange the object's 'id' to something else or disable automatic creation of the default RAM backend by setting 'memory-backend={default_ram_id}' with '-machine'."
        )));
    }
    // numa_complete_configuration
    let auto_numa = numa.num_nodes == 0 && (slots > 0 || max_ram > ram_size);
    if auto_numa {
        numa.initiator[0] = 128;
        numa.present[0] = true;
        numa.num_nodes = 1;
        numa.max_nodeid = 1;
        numa.mem[0] = ram_size;
    }
    for i in (0..numa.max_nodeid).rev() {
        if !numa.present[i] {
            return Err(QemuError::program(format!("numa: Node ID missing: {i}")));
        }
    }
    let nn = numa.num_nodes;
    if nn > 0 {
        let total: u64 = numa.mem[..nn].iter().fold(0u64, |a, b| a.wrapping_add(*b));
        if total != ram_size {
            return Err(QemuError::program(format!(
                "total memory for NUMA nodes (0x{total:x}) should equal RAM size (0x{ram_size:x})"
            )));
        }
        if numa.have_memdevs && mp.memory_backend.is_some() {
            return Err(QemuError::program(
                "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive",
            ));
        }
        if numa.have_distance {
            validate_distance(&numa)?;
            for s in 0..nn {
                for d in 0..nn {
                    if numa.distance[s][d] == 0 {
                        numa.distance[s][d] = if s == d { 10 } else { numa.distance[d][s] };
                    }
                }
            }
        }
        // machine_numa_finish_cpu_init
        let default_mapping = slots_cpu.iter().all(|s| s.node.is_none());
        let mut unmapped = Vec::new();
        let node_count = u32::try_from(nn).unwrap_or(1);
        for i in 0..slots_cpu.len() {
            if slots_cpu[i].node.is_some() {
                continue;
            }
            let node = if default_mapping {
                cpu::default_node(&slots_cpu[i], node_count)
            } else {
                unmapped.push(format!("CPU {i} [{}]", slots_cpu[i].props.describe()));
                0
            };
            let sel = CpuSelector::of_slot(&slots_cpu[i]);
            set_cpu_node(&mut slots_cpu, &mut numa, mp.hmat, &sel, u64::from(node))
                .map_err(QemuError::program)?;
        }
        if mp.hmat {
            for i in 0..nn {
                let init = numa.initiator[i];
                if init == 128 {
                    continue;
                }
                let ii = idx(u64::from(init));
                if !numa.present.get(ii).copied().unwrap_or(false) {
                    return Err(QemuError::program(format!(
                        "NUMA node {init} is missing, use '-numa node' option to declare it first"
                    )));
                }
                if !numa.has_cpu[ii] {
                    return Err(QemuError::program(format!(
                        "The initiator of NUMA node {i} is invalid"
                    )));
                }
            }
        }
        if !unmapped.is_empty() {
            warnings.push(QemuError::program(format!(
                "warning: CPU(s) not present in any NUMA nodes: {}",
                unmapped.join(", ")
            )));
            warnings.push(QemuError::program(
                "warning: All CPU(s) up to maxcpus should be described in NUMA config, ability to start up with partial NUMA mappings is obsoleted and will be removed in future",
            ));
        }
        // validate_cpu_cluster_to_numa_boundary (arm virt): CPUs of one cluster
        // on different nodes.
        if kind == MachineKind::Virt && nn > 1 && slots_cpu.len() > 1 {
            for (i, a) in slots_cpu.iter().enumerate() {
                for (j, b) in slots_cpu.iter().enumerate().skip(i + 1) {
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
    }

    // devices
    let mut pci = PciTree::new(kind);
    if !nodefaults {
        for spec in pci::default_devices(kind, !vga_none, default_nic) {
            pci.add(&spec).map_err(QemuError::program)?;
        }
    }
    // The memory map (machine::memory): QEMU decides on the AMD 1 TiB relocation
    // before it lays out device memory, at machine init, before any -device.
    let cpu_vendor_amd = match &cpu_vendor {
        Some(v) => v == "AuthenticAMD",
        None => !cpu_model.as_deref().is_some_and(is_intel_cpu_model),
    };
    let layout_err = |e: LayoutError| QemuError::program(e.message());
    // pc_init1 / pc_q35_init: the RAM split's performance warnings.
    const GIB: u64 = 1 << 30;
    match kind {
        MachineKind::Pc => {
            let mrb = mp
                .max_ram_below_4g
                .filter(|&m| m != 0)
                .unwrap_or(0xe000_0000);
            if ram_size >= mrb && mrb.min(0xc000_0000) & (GIB - 1) != 0 {
                warnings.push(QemuError::program(format!(
                    "warning: Large machine and max_ram_below_4g ({mrb}) not a multiple of 1G; possible bad performance."
                )));
            }
        }
        MachineKind::Q35 => {
            let lowmem: u64 = if ram_size >= 0xb000_0000 {
                0x8000_0000
            } else {
                0xb000_0000
            };
            let mrb = mp.max_ram_below_4g.filter(|&m| m != 0).unwrap_or(4 * GIB);
            if lowmem > mrb && ram_size.saturating_sub(mrb) > mrb && mrb & (GIB - 1) != 0 {
                warnings.push(QemuError::program(format!(
                    "warning: There is possibly poor performance as the ram size  (0x{ram_size:x}) is more then twice the size of max-ram-below-4g ({mrb}) and max-ram-below-4g is not a multiple of 1G."
                )));
            }
        }
        MachineKind::Virt => {}
    }
    let mut memory = MemoryConfig {
        ram_size,
        max_ram: maxmem,
        slots,
        max_ram_below_4g: mp.max_ram_below_4g,
        above_4g_at_1tib: false,
    };
    memory.above_4g_at_1tib = kind.is_x86()
        && cpu_vendor_amd
        && memmap::x86_amd_above_1tib(kind, &memory, &[], mp.cxl).map_err(layout_err)?;
    if kind.is_x86() && !cpu_model.as_deref().is_some_and(is_32bit_cpu_model) {
        // pc_memory_init: RAM, device memory and the 64-bit PCI hole must fit
        // in phys-bits (TCG's default: 40).
        let phys_bits = match cpu_phys_bits.as_deref() {
            None => 40,
            Some(v) => match v.parse::<u32>() {
                Ok(b) if (32..=52).contains(&b) => b,
                _ => {
                    return Err(QemuError::program(format!(
                        "Property 'phys-bits' doesn't take value '{v}' (vnuma: 32 to 52 supported)"
                    )));
                }
            },
        };
        let limit = (1u64 << phys_bits) - 1;
        let used = memmap::x86_max_used_gpa(kind, &memory, &[], mp.cxl).map_err(layout_err)?;
        if limit < used {
            return Err(QemuError::program(format!(
                "Address space limit {limit:#x} < {used:#x} phys-bits too low ({phys_bits})"
            )));
        }
    }
    let mut dimm_placer = memmap::device_memory(kind, &memory, &[])
        .map_err(layout_err)?
        .filter(|_| slots > 0)
        .map(|r| DimmPlacer::new(r, memmap::device_memory_capacity(&memory)));
    let mut dimms: Vec<Dimm> = Vec::new();
    let mut device_ids: Vec<String> = Vec::new();
    let mut has_pxb_cxl = false;
    for (o, d) in &devices {
        let driver = d.get("driver").unwrap_or_default().to_string();
        let id = d.get("id").map(str::to_string);
        if let Some(i) = &id {
            if device_ids.contains(i) {
                return Err(o.error(format!("Duplicate ID '{i}' for device")));
            }
            device_ids.push(i.clone());
        }
        match driver.as_str() {
            "pc-dimm" | "nvdimm" => {
                let nv = driver == "nvdimm";
                if kind == MachineKind::Virt && !(firmware && mp.acpi) {
                    // virt_memory_pre_plug: no acpi-ged without firmware and ACPI.
                    return Err(o.error("memory hotplug is not enabled: missing acpi-ged device"));
                }
                if nv && !mp.nvdimm {
                    return Err(o.error("nvdimm is not enabled: missing 'nvdimm' in '-M'"));
                }
                let Some(placer) = dimm_placer.as_mut() else {
                    return Err(
                        o.error("no slots where allocated, please specify the 'slots' option")
                    );
                };
                // pc_dimm_get_free_slot: pc-dimms and NVDIMMs share the slots.
                if u64::try_from(dimms.len()).unwrap_or(u64::MAX) >= slots {
                    return Err(o.error("no free slots available"));
                }
                let Some(md) = d.get("memdev") else {
                    return Err(o.error("'memdev' property must be set"));
                };
                let size = backends.get(md).copied().ok_or_else(|| {
                    o.error(format!(
                        "Property '{driver}.memdev' can't find value '{md}'"
                    ))
                })?;
                let node = d.get("node").and_then(lexer::parse_u64).unwrap_or(0);
                let nnodes = u64::try_from(numa.num_nodes).unwrap_or(0);
                if (nnodes > 0 && node >= nnodes) || (nnodes == 0 && node != 0) {
                    return Err(o.error(format!(
                        "'DIMM property node has value {node}' which exceeds the number of numa nodes: {}",
                        nnodes.max(1)
                    )));
                }
                // QEMU aligns to the backend's region alignment: 2 MiB for
                // anonymous RAM on Linux hosts.
                let addr = placer
                    .place(&DimmRequest {
                        id: id.clone().unwrap_or_default(),
                        size,
                        addr: None,
                        align: 2 * MIB,
                    })
                    .map_err(|e| o.error(e.message()))?;
                dimms.push(Dimm {
                    id: id.clone(),
                    nvdimm: nv,
                    memdev: md.to_string(),
                    node: u32::try_from(node).unwrap_or(0),
                    addr,
                    size,
                });
            }
            "" => return Err(o.error("Parameter 'driver' is missing")),
            _ if pci::is_pci_driver(&driver) => {
                if driver == "pxb-cxl" {
                    if !pci::pxb_cxl_allowed(kind) {
                        return Err(o.error("pxb-cxl devices cannot reside on a PCI bus"));
                    }
                    has_pxb_cxl = true;
                }
                let devfn = match d.get("addr") {
                    Some(a) => Some(pci::parse_devfn(a).ok_or_else(|| {
                        o.error(format!("Property '{driver}.addr' doesn't take value '{a}'"))
                    })?),
                    None => None,
                };
                let multifunction = match d.get("multifunction") {
                    Some(v) => lexer::parse_bool(v).ok_or_else(|| {
                        o.error("Parameter 'multifunction' expects 'on' or 'off'")
                    })?,
                    None => false,
                };
                let bus_nr = match d.get("bus_nr") {
                    Some(v) => lexer::parse_u64(v)
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or_else(|| {
                            o.error(format!(
                                "Property '{driver}.bus_nr' doesn't take value '{v}'"
                            ))
                        })?,
                    None => 0,
                };
                let bus_reserve = match d.get("bus-reserve") {
                    Some(v) => Some(
                        lexer::parse_u64(v)
                            .and_then(|n| u32::try_from(n).ok())
                            .ok_or_else(|| {
                                o.error(format!(
                                    "Property '{driver}.bus-reserve' doesn't take value '{v}'"
                                ))
                            })?,
                    ),
                    None => None,
                };
                pci.add(&DeviceSpec {
                    driver: driver.clone(),
                    id: id.clone(),
                    bus: d.get("bus").map(str::to_string),
                    devfn,
                    multifunction,
                    bus_nr,
                    bus_reserve,
                })
                .map_err(|e| o.error(e))?;
            }
            _ => ignored.push(o.location()),
        }
    }
    if has_pxb_cxl && !mp.cxl {
        return Err(QemuError::program("CXL host bridges present, but cxl=off"));
    }

    // ---- ACPI table build: GI then GP ----
    let bus_numbers = pci.try_bus_numbers().map_err(QemuError::program)?;
    let mut gi_out: Vec<GiInfo> = Vec::new();
    let mut gp_out: Vec<GpInfo> = Vec::new();
    let build = mp.acpi && nn > 0;
    // /objects insertion order (spec §4.6)
    let mut keys: Vec<&str> = ordered.iter().map(|o| o.id.as_str()).collect();
    keys.extend(
        objects
            .iter()
            .filter(|o| is_late_object(&o.qom_type))
            .map(|o| o.id.as_str()),
    );
    if !numa.have_memdevs && mp.memory_backend.is_none() {
        keys.push(default_ram_id);
    }
    let order = hash_order(&keys);
    let ordered_ids: Vec<&str> = order.iter().filter_map(|i| keys.get(*i).copied()).collect();
    if build {
        for oid in &ordered_ids {
            let Some((_, dev, nodes)) = gi_defs.iter().find(|g| g.0 == *oid) else {
                continue;
            };
            for node in nodes {
                if idx(u64::from(*node)) >= nn {
                    return Err(QemuError::bare(format!(
                        "acpi-generic-initiator: Specified node {node} is invalid."
                    )));
                }
                let d = resolve_pci_device(&pci, dev).ok_or_else(|| {
                    QemuError::bare(
                        "acpi-generic-initiator: Specified device must be a PCI device.",
                    )
                })?;
                let pd = &pci.devices[d];
                gi_out.push(GiInfo {
                    object_id: oid.to_string(),
                    pci_dev: dev.clone(),
                    node: *node,
                    bus: bus_numbers.get(pd.bus).copied().unwrap_or(0),
                    devfn: pd.devfn,
                });
            }
        }
        for oid in &ordered_ids {
            let Some((_, bus, node)) = gp_defs.iter().find(|g| g.0 == *oid) else {
                continue;
            };
            if idx(u64::from(*node)) >= nn {
                return Err(QemuError::bare(format!(
                    "acpi-generic-port: node {node} is invalid."
                )));
            }
            let b = resolve_cxl_bus(&pci, bus).ok_or_else(|| {
                QemuError::bare("acpi-generic-port: device must be a CXL host bridge.")
            })?;
            gp_out.push(GpInfo {
                object_id: oid.to_string(),
                pci_bus: bus.clone(),
                node: *node,
                uid: u32::from(pci.buses[b].fixed_number.unwrap_or(0)),
            });
        }
    }

    // ---- assemble ----
    let nodes: Vec<Node> = (0..nn)
        .map(|i| Node {
            mem: numa.mem[i],
            initiator: (numa.initiator[i] != 128 && !numa.has_cpu[i]).then_some(numa.initiator[i]),
        })
        .collect();
    let distances = (nn > 0 && numa.have_distance)
        .then(|| (0..nn).map(|s| numa.distance[s][..nn].to_vec()).collect());
    let cpus = if nn > 0 {
        slots_cpu
            .iter()
            .map(|s| crate::topology::Cpu {
                arch_id: s.arch_id,
                node: s.node.unwrap_or(0),
            })
            .collect()
    } else {
        slots_cpu
            .iter()
            .map(|s| crate::topology::Cpu {
                arch_id: s.arch_id,
                node: 0,
            })
            .collect()
    };
    let mut oem = Oem::default();
    if let Some(id) = &mp.oem_id {
        oem.oem_id = FixedAscii::<6>::from_text(id).map_or(oem.oem_id, |f| f.0);
    }
    if let Some(id) = &mp.oem_table_id {
        oem.oem_table_id = FixedAscii::<8>::from_text(id).map_or(oem.oem_table_id, |f| f.0);
    }
    let mut hmat_lb_out = Vec::new();
    hmat_lb_out.extend(numa_lb_values(&numa_opts));
    let hmat_caches: Vec<HmatCache> = {
        let mut v: Vec<HmatCache> = numa.hmat_cache.values().cloned().collect();
        v.sort_by_key(|c| (c.node, c.level));
        v
    };
    // QEMU lists NVDIMMs by walking /machine/peripheral, a GLib hash table keyed by
    // the ids of ALL user devices (inserted in -device order), then the anonymous ones.
    let nvdimm_list: Vec<&Dimm> = {
        let keys: Vec<&str> = device_ids.iter().map(String::as_str).collect();
        let mut out: Vec<&Dimm> = hash_order(&keys)
            .iter()
            .filter_map(|&i| {
                let id = keys.get(i)?;
                dimms
                    .iter()
                    .find(|d| d.nvdimm && d.id.as_deref() == Some(*id))
            })
            .collect();
        out.extend(dimms.iter().filter(|d| d.nvdimm && d.id.is_none()));
        out
    };
    let gi_nodes_extra: Vec<u32> = (0..nn)
        .filter(|i| numa.has_gi[*i])
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let topology = Topology {
        machine: kind,
        memory,
        cpus,
        nodes,
        distances,
        generic_initiators: gi_out
            .iter()
            .map(|g| Affinity {
                node: g.node,
                handle: DeviceHandle::Pci(PciHandle::new(0, g.bus, g.devfn >> 3, g.devfn & 7)),
                label: g.object_id.clone(),
                device: g.pci_dev.clone(),
            })
            .collect(),
        generic_ports: gp_out
            .iter()
            .map(|g| Affinity {
                node: g.node,
                handle: DeviceHandle::Acpi(AcpiHandle {
                    hid: FixedAscii(*b"ACPI0016"),
                    uid: g.uid,
                    reserved: 0,
                }),
                label: g.object_id.clone(),
                device: g.pci_bus.clone(),
            })
            .collect(),
        nvdimms: if mp.nvdimm {
            nvdimm_list
                .iter()
                .map(|d| MemRange {
                    base: d.addr,
                    size: d.size,
                    node: d.node,
                })
                .collect()
        } else {
            Vec::new()
        },
        sgx_epc: Vec::new(),
        hmat: mp.hmat && nn > 0,
        hmat_lb: hmat_lb_out,
        hmat_caches,
        extra_initiators: gi_nodes_extra,
        oem,
    };
    Ok(Parsed {
        arch,
        machine_type,
        topology,
        acpi: mp.acpi,
        smp,
        cpu_slots: slots_cpu,
        pci,
        generic_initiators: gi_out,
        generic_ports: gp_out,
        dimms,
        ignored,
        warnings: warnings.clone(),
    })
}

/// The accepted `hmat-lb` values in command-line order (re-read from the options,
/// which all passed validation when this runs).
fn numa_lb_values(numa_opts: &[(CmdOption, Opts)]) -> Vec<HmatLb> {
    let mut out = Vec::new();
    for (_, n) in numa_opts {
        if n.get("type") != Some("hmat-lb") {
            continue;
        }
        let h = n
            .get("hierarchy")
            .and_then(|v| lookup(&Hierarchy::NAMES, v))
            .unwrap_or(Hierarchy::ThirdLevel);
        let t = n
            .get("data-type")
            .and_then(|v| lookup(&DataType::NAMES, v))
            .unwrap_or(DataType::WriteBandwidth);
        let value = if t.is_latency() {
            n.get("latency").and_then(lexer::parse_u64)
        } else {
            n.get("bandwidth").and_then(lexer::parse_size)
        };
        let g = |k: &str| {
            n.get(k)
                .and_then(lexer::parse_u64)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        out.push(HmatLb {
            hierarchy: h,
            data_type: t,
            initiator: g("initiator"),
            target: g("target"),
            value: value.unwrap_or(0),
        });
    }
    out
}

/// Resolves a GI `pci-dev=` value: a device id, or `/machine/peripheral/<id>`.
fn resolve_pci_device(pci: &PciTree, s: &str) -> Option<usize> {
    let id = s.strip_prefix("/machine/peripheral/").unwrap_or(s);
    pci.find_device(id)
}

/// Resolves a GP `pci-bus=` value to a pxb-cxl root bus.
fn resolve_cxl_bus(pci: &PciTree, s: &str) -> Option<usize> {
    let b = pci.find_bus(s)?;
    let bus = pci.buses.get(b)?;
    (bus.cxl
        && matches!(
            bus.parent.and_then(|p| pci.devices.get(p)).map(|d| &d.kind),
            Some(DeviceKind::ExtraRoot { .. })
        ))
    .then_some(b)
}

fn set_cpu_node(
    slots: &mut [CpuSlot],
    numa: &mut NumaState,
    hmat: bool,
    sel: &CpuSelector,
    node: u64,
) -> Result<(), String> {
    let node32 = u32::try_from(node).map_err(|_| "no match found".to_string())?;
    let ni = idx(node);
    let matched = cpu::map_cpus_checked(slots, sel, node32, |_| {
        if hmat {
            let init = numa.initiator.get(ni).copied().unwrap_or(128);
            if init < 128 && u64::from(init) != node {
                return Err(format!(
                    "The initiator of CPU NUMA node {node} should be itself (got {init})"
                ));
            }
            if let Some(h) = numa.has_cpu.get_mut(ni) {
                *h = true;
            }
            if let Some(i) = numa.initiator.get_mut(ni) {
                *i = node32;
            }
        }
        Ok(())
    })?;
    let _ = matched;
    Ok(())
}

#[allow(clippy::needless_range_loop)]
fn validate_distance(numa: &NumaState) -> Result<(), QemuError> {
    let n = numa.num_nodes;
    let d = &numa.distance;
    let mut asym = false;
    for s in 0..n {
        for t in s..n {
            if d[s][t] == 0 && d[t][s] == 0 && s != t {
                return Err(QemuError::program(format!(
                    "The distance between node {s} and {t} is missing, at least one distance value between each nodes should be provided."
                )));
            }
            if d[s][t] != 0 && d[t][s] != 0 && d[s][t] != d[t][s] {
                asym = true;
            }
        }
    }
    if asym {
        for s in 0..n {
            for t in 0..n {
                if s != t && d[s][t] == 0 {
                    return Err(QemuError::program(
                        "At least one asymmetrical pair of distances is given, please provide distances for both directions of all node pairs.",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn hmat_lb(
    numa: &mut NumaState,
    initiator: u64,
    target: u64,
    h: Hierarchy,
    t: DataType,
    latency: Option<u64>,
    bandwidth: Option<u64>,
) -> Result<(), String> {
    let nn = u64::try_from(numa.num_nodes).unwrap_or(0);
    if initiator > nn {
        return Err(format!(
            "Invalid initiator={initiator}, it should be less than {nn}"
        ));
    }
    if target > nn {
        return Err(format!(
            "Invalid target={target}, it should be less than {nn}"
        ));
    }
    let (ii, ti) = (idx(initiator), idx(target));
    if !numa.has_cpu[ii] && !numa.has_gi[ii] {
        return Err(format!(
            "Invalid initiator={initiator}, it isn't an initiator proximity domain"
        ));
    }
    if !numa.present[ti] {
        return Err(format!(
            "The target={target} should point to an existing node"
        ));
    }
    let tab = numa.hmat_lb.entry((h, t)).or_default();
    let (i32_, t32) = (
        u32::try_from(initiator).unwrap_or(0),
        u32::try_from(target).unwrap_or(0),
    );
    if t.is_latency() {
        let Some(lat) = latency else {
            return Err("Missing 'latency' option".into());
        };
        if bandwidth.is_some() {
            return Err("Invalid option 'bandwidth' since the data type is latency".into());
        }
        if tab.list.contains(&(i32_, t32)) {
            return Err(format!(
                "Duplicate configuration of the latency for initiator={initiator} and target={target}"
            ));
        }
        if tab.base == 0 {
            tab.base = u64::MAX;
        }
        if lat != 0 {
            let temp_base = tab.base.min(latency_base(lat));
            let max_entry = (lat / tab.base).max(tab.range_bitmap);
            if max_entry >= u64::from(u16::MAX) {
                return Err(format!(
                    "Latency {lat} between initiator={initiator} and target={target} should not differ from previously entered min or max values on more than 65534"
                ));
            }
            tab.range_bitmap = max_entry;
            tab.base = temp_base;
            numa.lb_info[ti] |= 1;
        }
    } else {
        let Some(bw) = bandwidth else {
            return Err("Missing 'bandwidth' option".into());
        };
        if latency.is_some() {
            return Err("Invalid option 'latency' since the data type is bandwidth".into());
        }
        if bw % MIB != 0 {
            return Err(format!(
                "Bandwidth {bw} between initiator={initiator} and target={target} should be 1MB aligned"
            ));
        }
        if tab.list.contains(&(i32_, t32)) {
            return Err(format!(
                "Duplicate configuration of the bandwidth for initiator={initiator} and target={target}"
            ));
        }
        if tab.base == 0 {
            tab.base = 1;
        }
        if bw != 0 {
            let bitmap = tab.range_bitmap | bw;
            let first = bitmap.trailing_zeros();
            let temp_base = 1u64 << first;
            let max_entry = bw / temp_base;
            let last = 64 - bitmap.leading_zeros();
            if last - first > 16 || max_entry >= u64::from(u16::MAX) {
                return Err(format!(
                    "Bandwidth {bw} between initiator={initiator} and target={target} should not differ from previously entered values on more than 65534"
                ));
            }
            tab.range_bitmap = bitmap;
            tab.base = temp_base;
            numa.lb_info[ti] |= 2;
        }
    }
    tab.list.push((i32_, t32));
    Ok(())
}

fn hmat_cache(
    numa: &mut NumaState,
    node_id: u64,
    size: u64,
    level: u64,
    associativity: Associativity,
    policy: WritePolicy,
    line: u64,
) -> Result<(), String> {
    let nn = u64::try_from(numa.num_nodes).unwrap_or(0);
    if node_id >= nn {
        return Err(format!(
            "Invalid node-id={node_id}, it should be less than {nn}"
        ));
    }
    if numa.lb_info[idx(node_id)] != 3 {
        return Err(format!(
            "The latency and bandwidth information of node-id={node_id} should be provided before memory side cache attributes"
        ));
    }
    if !(1..=3).contains(&level) {
        return Err(format!(
            "Invalid level={level}, it should be larger than 0 and less than or equal to 3"
        ));
    }
    let node = u32::try_from(node_id).unwrap_or(0);
    let lvl = u8::try_from(level).unwrap_or(0);
    if numa.hmat_cache.contains_key(&(node, lvl)) {
        return Err(format!(
            "Duplicate configuration of the side cache for node-id={node_id} and level={level}"
        ));
    }
    if lvl > 1 {
        let Some(prev) = numa.hmat_cache.get(&(node, lvl - 1)) else {
            return Err(format!("Cache level={} shall be defined first", lvl - 1));
        };
        if size <= prev.size {
            return Err(format!(
                "Invalid size={size}, the size of level={level} should be larger than the size({}) of level={}",
                prev.size,
                lvl - 1
            ));
        }
    }
    if lvl < 3
        && let Some(next) = numa.hmat_cache.get(&(node, lvl + 1))
        && size >= next.size
    {
        return Err(format!(
            "Invalid size={size}, the size of level={level} should be less than the size({}) of level={}",
            next.size,
            lvl + 1
        ));
    }
    numa.hmat_cache.insert(
        (node, lvl),
        HmatCache {
            node,
            size,
            level: lvl,
            associativity,
            policy,
            line: u16::try_from(line).unwrap_or(0),
            smbios_handles: Vec::new(),
        },
    );
    Ok(())
}
