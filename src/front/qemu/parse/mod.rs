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
//! The phases live in one private module each, called in that order by
//! `parse_inner`: `options` (argv, by kind) → `machine` (type, properties,
//! `-smp`) and `objects` (`-object`) → `memory` (`-m`, backends, board RAM) →
//! `numa` (`-numa node/cpu/dist`) → `hmat` (`hmat-lb`, `hmat-cache`) → `devices`
//! (`-device`, PCI placement, GI/GP resolution) → `assemble` ([`Topology`]).
//! The argv pass keeps `-object`, `-device` and `-numa` options as their argument
//! text (the later phases parse them again when they need their properties) and
//! the object and device ids in `ids::IdSet`, so that memory stays a small
//! multiple of the command line's bytes (docs/PERFORMANCE.md).
//!
//! Machine types: `pc`, `q35`, `virt` and versioned names ≥ 6.2 (`pc-q35-10.0`,
//! `pc-i440fx-9.2`, `virt-10.0`); they are all treated with QEMU 10.0's rules.

mod assemble;
mod devices;
mod hmat;
mod ids;
mod machine;
mod memory;
mod numa;
mod objects;
mod options;
mod values;

use super::args::ArgList;
use super::error::QemuError;
use super::version::{Profile, QemuVersion};
use crate::machine::cpu::{CpuSlot, SmpTopology};
use crate::machine::pci::PciTree;
use crate::topology::{HmatCache, MachineKind, Topology};
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
    /// The number of further ignored options, beyond the first 1000 listed in
    /// [`Parsed::ignored`].
    pub ignored_more: usize,
    /// Warnings QEMU prints for this command line (exact text).
    pub warnings: Vec<QemuError>,
    /// The QEMU version whose rules were applied.
    pub qemu_version: QemuVersion,
}

/// Iteration order of a GLib hash table after inserting the `n` keys `key(0)`,
/// `key(1)`, … in order (QEMU's `/objects` and `/machine/peripheral`
/// containers), spec §4.6: the key numbers in iteration order.
fn hash_order_by<'k>(n: usize, key: impl Fn(usize) -> &'k str) -> Vec<usize> {
    super::glib_hash::iteration_order_by(n, key)
}

/// `MAX_NODES` as an index bound.
const NODE_SLOTS: usize = 128;

/// "No initiator" in [`NumaState::initiator`] (QEMU's `MAX_NODES`).
const NO_INITIATOR: u32 = 128;

/// A `u64` option value as an index (out-of-range values never index anything).
fn idx(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// The NUMA configuration as QEMU's `NodeInfo` array and HMAT state.
struct NumaState {
    present: Vec<bool>,
    mem: Vec<u64>,
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
    hmat_lb: BTreeMap<(crate::topology::Hierarchy, crate::topology::DataType), hmat::LbTable>,
    hmat_cache: BTreeMap<(u32, u8), HmatCache>,
}

impl NumaState {
    fn new() -> Self {
        let n = NODE_SLOTS;
        NumaState {
            present: vec![false; n],
            mem: vec![0; n],
            initiator: vec![NO_INITIATOR; n],
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

    /// Whether node `i` is declared.
    fn is_present(&self, i: usize) -> bool {
        self.present.get(i).copied().unwrap_or(false)
    }

    /// Whether node `i` holds a CPU (HMAT bookkeeping).
    fn node_has_cpu(&self, i: usize) -> bool {
        self.has_cpu.get(i).copied().unwrap_or(false)
    }

    /// Node `i`'s initiator (`NO_INITIATOR` when none).
    fn initiator_of(&self, i: usize) -> u32 {
        self.initiator.get(i).copied().unwrap_or(NO_INITIATOR)
    }

    /// The SLIT entry `s` → `d` as given (0: not given).
    fn dist(&self, s: usize, d: usize) -> u8 {
        self.distance
            .get(s)
            .and_then(|r| r.get(d))
            .copied()
            .unwrap_or(0)
    }
}

/// Sets `v[i]` when `i` is in range.
fn set_at<T>(v: &mut [T], i: usize, value: T) {
    if let Some(slot) = v.get_mut(i) {
        *slot = value;
    }
}

/// What the machine is: arch, kind and resolved type name.
struct MachineSel {
    arch: Arch,
    kind: MachineKind,
    machine_type: String,
}

/// Everything known after the machine, `-smp` and the objects are set up; the
/// board-init phases ([`numa`], [`memory`], [`devices`]) fill in the rest.
struct State<'w, 'a> {
    profile: &'static Profile,
    cmd: options::CmdLine<'a>,
    machine: MachineSel,
    ram: memory::Ram,
    numa: NumaState,
    props: machine::MachineProps,
    smp: SmpTopology,
    cpus: Vec<CpuSlot>,
    warnings: &'w mut Vec<QemuError>,
}

/// Parses a QEMU command line (the arguments after the program name).
///
/// `arch`: the QEMU binary the line is for; `None` infers it from `-machine`
/// (`virt*` → aarch64, otherwise x86_64; no `-machine` → x86_64 `pc`).
/// On success, everything QEMU would build into SRAT/SLIT/HMAT is in
/// [`Parsed::topology`]; on failure the error is the first one QEMU 10.0.2 prints.
pub fn parse(args: &(impl ArgList + ?Sized), arch: Option<Arch>) -> Result<Parsed, QemuError> {
    parse_full(args, arch).1
}

/// Like [`parse`], also returning the warnings QEMU prints before it succeeds or
/// fails (in order; on success they are also in [`Parsed::warnings`]). A front end
/// prints the warnings, then the error.
pub fn parse_full(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
) -> (Vec<QemuError>, Result<Parsed, QemuError>) {
    parse_versioned(args, arch, QemuVersion::V10_0)
}

/// Like [`parse_full`], with the rules of QEMU `version`
/// ([`super::version::Profile`]).
pub fn parse_versioned(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
    version: QemuVersion,
) -> (Vec<QemuError>, Result<Parsed, QemuError>) {
    let mut warnings = Vec::new();
    let r = parse_inner(args, arch, version.profile(), &mut warnings);
    (warnings, r)
}

/// The phases in QEMU's order (see the module documentation).
fn parse_inner(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
    profile: &'static Profile,
    warnings: &mut Vec<QemuError>,
) -> Result<Parsed, QemuError> {
    let mut cmd = options::collect(args, profile, warnings)?;
    let machine = machine::create(&cmd, arch, profile)?;
    let ram = memory::ram_options(&cmd.mem_opts)?;
    let mut numa = NumaState::new();
    objects::early_objects(&cmd.objects, &mut numa, profile, machine.arch)?;
    let props = machine::properties(&mut cmd, &machine, warnings)?;
    let smp = machine::smp(&cmd.smp_opts, &machine)?;
    let cpus = crate::machine::cpu::possible_cpus(machine.kind, &smp);
    warnings.extend(machine::deprecation(&machine, profile));
    memory::create_late_objects(&cmd.objects, profile)?;
    let mut st = State {
        profile,
        cmd,
        machine,
        ram,
        numa,
        props,
        smp,
        cpus,
        warnings,
    };
    numa::apply_options(&mut st)?;
    memory::board_ram(&mut st)?;
    numa::complete_configuration(&mut st)?;
    let devs = devices::plug_devices(&mut st)?;
    let affinities = devices::acpi_affinities(&st, &devs)?;
    machine::smbios_check(&st.machine, &st.props, &st.smp)?;
    assemble::assemble(st, devs, affinities)
}
