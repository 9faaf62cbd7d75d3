//! `vnuma build`: a topology file → SRAT/SLIT/HMAT (by the same
//! [`crate::machine::tables::build_tables`] the QEMU front end uses) and the VMM
//! arguments that give a guest those tables: QEMU ≥ 9.0 native options, or, for
//! any x86 QEMU, the same VM without `-numa` plus `-acpitable file=…`.

use std::path::Path;

use crate::acpi::{DeviceHandle, SratEntry};
use crate::front::file::{PciDevice, TopologyFile};
use crate::linux::list_runs;
use crate::machine::LayoutError;
use crate::machine::cpu::SmpTopology;
use crate::machine::memory::MemoryMap;
use crate::machine::tables::{Tables, build_tables, check_hmat_lb_fits};
use crate::topology::{Affinity, MachineKind, Topology};

/// Why a topology file cannot be turned into tables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// `--order qemu` for a topology QEMU's native options cannot express
    /// (the items of [`native_gaps`]).
    #[error(
        "--order qemu: QEMU's native options cannot express this topology, so there is no QEMU order to follow:\n  {}",
        gaps.join("\n  ")
    )]
    NotNative {
        /// What the native options cannot express.
        gaps: Vec<String>,
    },
    /// The topology cannot be turned into tables (the message of the layout
    /// error, without its field).
    #[error("{file}: {}", error.message())]
    Tables {
        /// The topology file.
        file: String,
        /// What is wrong.
        error: LayoutError,
    },
    /// A printed command line would not mean what the topology says: an
    /// argument holds a line break or other control character (it would start a
    /// new option in the argument file), or reads back differently from the file.
    #[error(
        "{file}: {name}: the argument {arg:?} cannot be written as one line of an argument file"
    )]
    ArgsFile {
        /// The topology file.
        file: String,
        /// The argument file.
        name: String,
        /// The argument.
        arg: String,
    },
    /// QEMU would refuse the native command line (vnuma's QEMU front end, the one
    /// `vnuma qemu` uses, says so before anything is written).
    #[error("{file}: QEMU would refuse the native command line (qemu-native.args): {message}")]
    QemuRefuses {
        /// The topology file.
        file: String,
        /// QEMU's message.
        message: String,
    },
    /// The tables would not describe the VM's real RAM.
    #[error("{file}: {error}")]
    Ram {
        /// The topology file.
        file: String,
        /// What is wrong.
        error: LayoutError,
    },
}

/// Emission order of Generic Initiator / Generic Port entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Order {
    /// Ascending proximity domain: Linux node ids equal proximity domains.
    #[default]
    Canonical,
    /// The order QEMU 10 emits for the objects of the printed native command
    /// line (GLib hash order of their ids).
    Qemu,
}

/// The object id of the `k`-th generic initiator object on the native command line.
fn gi_id(k: usize) -> String {
    format!("gi{k}")
}

/// The object id of the `k`-th generic port object on the native command line.
fn gp_id(k: usize) -> String {
    format!("gp{k}")
}

/// The memory backend id of node `n`.
fn mem_id(n: usize) -> String {
    format!("m{n}")
}

/// Whether QEMU's `acpi-generic-initiator` can express `g`: a PCI device that the
/// printed command line creates (a `[[pci]]` with a driver).
fn gi_native(f: &TopologyFile, g: &Affinity) -> bool {
    matches!(g.handle, DeviceHandle::Pci(_)) && has_driver(f, &g.device, None)
}

/// Whether QEMU's `acpi-generic-port` can express `g`: a `pxb-cxl` host bridge
/// the printed command line creates.
fn gp_native(f: &TopologyFile, g: &Affinity) -> bool {
    matches!(g.handle, DeviceHandle::Acpi(_)) && has_driver(f, &g.device, Some("pxb-cxl"))
}

fn has_driver(f: &TopologyFile, id: &str, driver: Option<&str>) -> bool {
    !id.is_empty()
        && f.pci.iter().any(|d| {
            d.id == id
                && d.driver
                    .as_deref()
                    .is_some_and(|x| driver.is_none_or(|want| want == x))
        })
}

/// The topology with its GI/GP entries put in `order` (QEMU 10.0's for `qemu`).
pub fn ordered_topology(f: &TopologyFile, order: Order) -> Result<Topology, BuildError> {
    ordered_topology_for(f, order, crate::front::qemu::version::QemuVersion::V10_0)
}

/// [`ordered_topology`] with `--order qemu` following QEMU `version` (11.1: its
/// default monitor is a `/objects` child too, the native options having no
/// `-nodefaults`).
pub fn ordered_topology_for(
    f: &TopologyFile,
    order: Order,
    version: crate::front::qemu::version::QemuVersion,
) -> Result<Topology, BuildError> {
    let mut t = f.topology.clone();
    match order {
        Order::Canonical => {
            t.generic_initiators.sort_by_key(|a| a.node);
            t.generic_ports.sort_by_key(|a| a.node);
        }
        Order::Qemu => {
            let gaps = native_gaps(f);
            if !gaps.is_empty() {
                return Err(BuildError::NotNative { gaps });
            }
            // QOM /objects children hashed by id (spec §4.6): the early objects (GI,
            // then GP objects, in command-line order), then the late ones (memory
            // backends); each kind is emitted in that hash order.
            let (ngi, ngp) = (t.generic_initiators.len(), t.generic_ports.len());
            let mut keys: Vec<String> = (0..ngi).map(gi_id).collect();
            keys.extend((0..ngp).map(gp_id));
            keys.extend(
                t.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.mem > 0)
                    .map(|(i, _)| mem_id(i)),
            );
            keys.extend(version.profile().monitor_object_ids(0, false, false));
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let order = crate::front::qemu::glib_hash::iteration_order(&refs);
            let gis = std::mem::take(&mut t.generic_initiators);
            t.generic_initiators = order
                .iter()
                .filter(|&&i| i < ngi)
                .filter_map(|&i| gis.get(i).cloned())
                .collect();
            let gps = std::mem::take(&mut t.generic_ports);
            t.generic_ports = order
                .iter()
                .filter(|&&i| i >= ngi && i < ngi + ngp)
                .filter_map(|&i| gps.get(i - ngi).cloned())
                .collect();
        }
    }
    Ok(t)
}

/// Builds the planned tables for a topology file in the given order.
///
/// These are the tables QEMU builds for the topology, plus, on arm `virt` with
/// EDK2 firmware (`machine.firmware`, the default there), one more enabled SRAT
/// memory entry for EDK2's variable-store flash (`TopologyFile::firmware_flash`),
/// appended after QEMU's entries: EDK2 reports that bank as memory, and Linux
/// drops NUMA altogether when some memory has no node.
///
/// Refuses a topology whose tables would not describe the VM's real RAM (see
/// [`MemoryMap::check_describes_ram`]): the tables are laid out on the machine
/// profile's memory map and injected into a VM that has exactly that RAM.
pub fn plan_tables(f: &TopologyFile, order: Order) -> Result<Tables, BuildError> {
    plan_tables_for(f, order, crate::front::qemu::version::QemuVersion::V10_0)
}

/// [`plan_tables`] with `--order qemu` following QEMU `version`.
pub fn plan_tables_for(
    f: &TopologyFile,
    order: Order,
    version: crate::front::qemu::version::QemuVersion,
) -> Result<Tables, BuildError> {
    let t = ordered_topology_for(f, order, version)?;
    let mut tables = check_hmat_lb_fits(&t)
        .and_then(|()| build_tables(&t))
        .map_err(|error| BuildError::Tables {
            file: f.file.clone(),
            error,
        })?;
    MemoryMap::for_topology(&t)
        .and_then(|m| m.check_describes_ram(&t))
        .map_err(|error| BuildError::Ram {
            file: f.file.clone(),
            error,
        })?;
    if let (Some(r), Some(srat)) = (&f.firmware_flash, tables.srat.as_mut()) {
        srat.entries.push(SratEntry::Memory {
            proximity_domain: r.node,
            base_address: r.base,
            length: r.size,
            flags: 1, // enabled
            reserved1: 0,
            reserved2: 0,
            reserved3: 0,
        });
    }
    Ok(tables)
}

/// The QEMU `-smp` value of a resolved CPU topology, every level spelled out.
pub fn smp_arg(machine: MachineKind, smp: &SmpTopology) -> String {
    let mut s = format!("{}", smp.cpus);
    if smp.max_cpus != smp.cpus {
        s.push_str(&format!(",maxcpus={}", smp.max_cpus));
    }
    s.push_str(&format!(",sockets={}", smp.sockets));
    if machine.is_x86() {
        if smp.dies > 1 {
            s.push_str(&format!(",dies={}", smp.dies));
        }
        if smp.modules > 1 {
            s.push_str(&format!(",modules={}", smp.modules));
        }
    } else if smp.clusters > 1 {
        s.push_str(&format!(",clusters={}", smp.clusters));
    }
    s.push_str(&format!(",cores={},threads={}", smp.cores, smp.threads));
    s
}

/// A size as QEMU reads it, with the largest exact binary suffix (`512M`, `1G`).
pub fn qemu_size(v: u64) -> String {
    for (shift, suffix) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if v != 0 && v.is_multiple_of(1u64 << shift) {
            return format!("{}{suffix}", v >> shift);
        }
    }
    v.to_string()
}

fn machine_arg(f: &TopologyFile, native: bool) -> String {
    let t = &f.topology;
    let mut m = t.machine.name().to_string();
    if native && t.hmat {
        m.push_str(",hmat=on");
    }
    if f.pci.iter().any(|d| d.driver.as_deref() == Some("pxb-cxl")) {
        m.push_str(",cxl=on");
    }
    if let Some(b) = t.memory.max_ram_below_4g {
        m.push_str(&format!(",max-ram-below-4g={}", qemu_size(b)));
    }
    if native && t.oem != crate::topology::Oem::default() {
        let text = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .trim_end_matches(['\0'])
                .to_string()
        };
        m.push_str(&format!(
            ",x-oem-id={},x-oem-table-id={}",
            text(&t.oem.oem_id),
            text(&t.oem.oem_table_id)
        ));
    }
    m
}

fn common_args(f: &TopologyFile, native: bool) -> Vec<String> {
    let t = &f.topology;
    let mut a = vec![format!("-machine {}", machine_arg(f, native))];
    if t.machine == MachineKind::Virt {
        a.push("-cpu max".into());
    }
    a.push(format!("-smp {}", smp_arg(t.machine, &f.smp)));
    let mut m = qemu_size(t.memory.ram_size);
    if t.memory.slots > 0 {
        m.push_str(&format!(",slots={}", t.memory.slots));
    }
    if let Some(mm) = t.memory.max_ram {
        m.push_str(&format!(",maxmem={}", qemu_size(mm)));
    }
    a.push(format!("-m {m}"));
    a
}

fn device_args(pci: &[PciDevice]) -> Vec<String> {
    pci.iter()
        .filter_map(|d| d.qemu_arg().map(|v| format!("-device {v}")))
        .collect()
}

/// What the native QEMU command line cannot express.
pub fn native_gaps(f: &TopologyFile) -> Vec<String> {
    let mut gaps = Vec::new();
    let t = &f.topology;
    for g in &t.generic_initiators {
        if !gi_native(f, g) {
            let why = match &g.handle {
                DeviceHandle::Pci(_) if g.device.is_empty() => {
                    "a bare PCI address; QEMU's acpi-generic-initiator takes a PCI device it creates (a [[pci]] with a driver)"
                }
                DeviceHandle::Pci(_) => {
                    "its [[pci]] device has no driver, so the command line does not create it"
                }
                _ => "an ACPI device handle; QEMU's acpi-generic-initiator only takes a PCI device",
            };
            gaps.push(format!("{} (node {}): {why}", g.label, g.node));
        }
    }
    for g in &t.generic_ports {
        if !gp_native(f, g) {
            gaps.push(format!(
                "{} (node {}): QEMU's acpi-generic-port takes a pxb-cxl host bridge it creates (a [[pci]] with driver pxb-cxl)",
                g.label, g.node
            ));
        }
    }
    if t.oem.oem_revision != 1 {
        gaps.push("QEMU always writes OEM revision 1".into());
    }
    if let Some(r) = &f.firmware_flash {
        gaps.push(format!(
            "QEMU's SRAT does not cover EDK2's variable-store flash [{:#x}, {:#x}) (node {}): \
             Linux then falls back to one node",
            r.base,
            r.base.saturating_add(r.size),
            r.node
        ));
    }
    gaps
}

/// QEMU ≥ 9.0 native options, one option and its value per element.
pub fn qemu_native_args(f: &TopologyFile) -> Vec<String> {
    qemu_native_args_with(f, mem_id, gi_id)
}

/// [`qemu_native_args`] with the given object ids: `memdev(n)` names node
/// `n`'s memory backend, `gi(k)` the `k`-th generic initiator object (in
/// command-line order). The ids are written as given (no `,` in them).
pub fn qemu_native_args_with(
    f: &TopologyFile,
    memdev: impl Fn(usize) -> String,
    gi: impl Fn(usize) -> String,
) -> Vec<String> {
    let mem_id = &memdev;
    let gi_id = &gi;
    let t = &f.topology;
    let mut a = common_args(f, true);
    for (i, n) in t.nodes.iter().enumerate() {
        if n.mem > 0 {
            a.push(format!(
                "-object memory-backend-ram,id={},size={}",
                mem_id(i),
                qemu_size(n.mem)
            ));
        }
    }
    for (i, n) in t.nodes.iter().enumerate() {
        let mut s = format!("-numa node,nodeid={i}");
        let cpus: Vec<u32> = t
            .cpus
            .iter()
            .enumerate()
            .filter(|(_, c)| usize::try_from(c.node).is_ok_and(|x| x == i))
            .filter_map(|(k, _)| u32::try_from(k).ok())
            .collect();
        for r in list_runs(&cpus) {
            s.push_str(&format!(",cpus={r}"));
        }
        if n.mem > 0 {
            s.push_str(&format!(",memdev={}", mem_id(i)));
        }
        if let Some(init) = n.initiator {
            s.push_str(&format!(",initiator={init}"));
        }
        a.push(s);
    }
    a.extend(device_args(&f.pci));
    let gis = t.generic_initiators.iter().filter(|g| gi_native(f, g));
    for (k, g) in gis.enumerate() {
        a.push(format!(
            "-object acpi-generic-initiator,id={},pci-dev={},node={}",
            gi_id(k),
            g.device,
            g.node
        ));
    }
    let gps = t.generic_ports.iter().filter(|g| gp_native(f, g));
    for (k, g) in gps.enumerate() {
        a.push(format!(
            "-object acpi-generic-port,id={},pci-bus={},node={}",
            gp_id(k),
            g.device,
            g.node
        ));
    }
    if let Some(d) = &t.distances {
        for (i, row) in d.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let back = d.get(j).and_then(|r| r.get(i)).copied();
                // One direction per symmetric pair (QEMU fills the other).
                if i < j || (i > j && back != Some(v)) {
                    a.push(format!("-numa dist,src={i},dst={j},val={v}"));
                }
            }
        }
    }
    for l in &t.hmat_lb {
        let value = if l.data_type.is_latency() {
            format!("latency={}", l.value)
        } else {
            format!("bandwidth={}", qemu_size(l.value))
        };
        a.push(format!(
            "-numa hmat-lb,initiator={},target={},hierarchy={},data-type={},{value}",
            l.initiator,
            l.target,
            l.hierarchy.name(),
            l.data_type.name()
        ));
    }
    for c in &t.hmat_caches {
        a.push(format!(
            "-numa hmat-cache,node-id={},size={},level={},associativity={},policy={},line={}",
            c.node,
            qemu_size(c.size),
            c.level,
            c.associativity.name(),
            c.policy.name(),
            c.line
        ));
    }
    a
}

/// The VM without any `-numa` and without tables, for the Linux initrd table
/// upgrade (`vnuma initrd`): QEMU builds no SRAT of its own then (unless a
/// hotplug region makes it create one node, which the upgrade's higher OEM
/// revision replaces). Any machine.
pub fn qemu_plain_args(f: &TopologyFile) -> Vec<String> {
    let mut a = common_args(f, false);
    a.extend(device_args(&f.pci));
    a
}

/// Any x86 QEMU: the VM without `-numa`, plus `-acpitable file=DIR/…` for each
/// table file. `None` on arm (QEMU has no `-acpitable` there).
pub fn qemu_acpitable_args(f: &TopologyFile, dir: &Path, files: &[String]) -> Option<Vec<String>> {
    if !f.topology.machine.is_x86() {
        return None;
    }
    let mut a = qemu_plain_args(f);
    for name in files {
        // QEMU's option syntax: a `,` in a value is written `,,`.
        a.push(format!(
            "-acpitable file={}",
            crate::quote::qemu_value(&dir.join(name).display().to_string())
        ));
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh() -> TopologyFile {
        let p =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/grace-hopper.toml");
        crate::front::file::load(&p).unwrap()
    }

    #[test]
    fn native_args_match_the_bundled_command_line() {
        // The command line of HELPERS.md (written by hand there), as a set of options.
        let a = qemu_native_args(&gh());
        for want in [
            "-machine q35",
            "-m 1G",
            "-object memory-backend-ram,id=m0,size=512M",
            "-numa node,nodeid=0,cpus=0-1,memdev=m0",
            "-numa node,nodeid=1,cpus=2-3,memdev=m1",
            "-numa node,nodeid=9",
            "-device pcie-root-port,id=rp0,bus=pcie.0,addr=04.0,chassis=1",
            "-device pci-testdev,id=gpu0,bus=rp0,addr=00.0",
            "-object acpi-generic-initiator,id=gi0,pci-dev=gpu0,node=2",
            "-object acpi-generic-initiator,id=gi7,pci-dev=gpu0,node=9",
            "-numa dist,src=0,dst=1,val=20",
            "-numa dist,src=1,dst=9,val=80",
            "-numa dist,src=2,dst=9,val=20",
        ] {
            assert!(a.iter().any(|x| x == want), "missing {want}: {a:#?}");
        }
        assert!(!a.iter().any(|x| x.starts_with("-numa dist,src=9,dst=2")));
        assert_eq!(a.iter().filter(|x| x.starts_with("-numa dist")).count(), 45);
    }

    #[test]
    fn qemu_order_is_the_measured_hash_order() {
        // qemu-numa-spec.md §4.6 [verified]: ids gi0..gi7 with nodes 2..9 come out
        // as nodes 7,6,5,4,3,9,2,8.
        let t = ordered_topology(&gh(), Order::Qemu).unwrap();
        let nodes: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
        assert_eq!(nodes, [7, 6, 5, 4, 3, 9, 2, 8]);
        let t = ordered_topology(&gh(), Order::Canonical).unwrap();
        let nodes: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
        assert_eq!(nodes, (2..10).collect::<Vec<_>>());
    }

    #[test]
    fn virt_srat_covers_the_edk2_flash() {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/arm-virt.toml");
        let f = crate::front::file::load(&p).unwrap();
        let srat = plan_tables(&f, Order::Canonical)
            .unwrap()
            .srat
            .unwrap()
            .encode();
        // ACPI 6.5 §5.2.16.2 Memory Affinity Structure, written by hand:
        let want: [u8; 40] = [
            1,  // type 1: memory affinity
            40, // length
            0, 0, 0, 0, // proximity domain 0 (first node with memory)
            0, 0, // reserved
            0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, // base 0x0400_0000
            0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0, // length 64 MiB
            0, 0, 0, 0, // reserved
            1, 0, 0, 0, // flags: enabled (not hot-pluggable, not non-volatile)
            0, 0, 0, 0, 0, 0, 0, 0, // reserved
        ];
        assert_eq!(srat[srat.len() - 40..], want);
        // The same topology without EDK2: QEMU's SRAT, 40 bytes shorter.
        let mut g = f.clone();
        g.firmware_flash = None;
        let plain = plan_tables(&g, Order::Canonical)
            .unwrap()
            .srat
            .unwrap()
            .encode();
        assert_eq!(plain.len() + 40, srat.len());
        assert_eq!(plain[36..], srat[36..plain.len()]);
        assert!(native_gaps(&f).iter().any(|g| g.contains("0x4000000")));
    }

    #[test]
    fn sizes_for_qemu() {
        assert_eq!(qemu_size(512 << 20), "512M");
        assert_eq!(qemu_size(1 << 30), "1G");
        assert_eq!(qemu_size(1000), "1000");
    }

    #[test]
    fn tables_that_miss_real_ram_are_refused() {
        // Node 0 ends inside the 640 KiB-1 MiB hole: QEMU's SRAT walk moves node 1
        // to 1 MiB, so node 1's entry runs 256 KiB past the end of RAM (spec §2.3).
        let f = crate::front::file::parse_str(
            "[machine]\ntype = \"q35\"\n[cpus]\ncount = 2\n[[node]]\nmemory = \"768K\"\ncpus = 0\n\
             [[node]]\nmemory = \"255M\"\ncpus = 1\n",
            "t.toml",
        )
        .unwrap();
        let e = plan_tables(&f, Order::Canonical).unwrap_err().to_string();
        assert!(
            e.contains("nodes[1].mem") && e.contains("legacy hole"),
            "{e}"
        );
        // -m that QEMU rounds up to 8 KiB.
        let f = crate::front::file::parse_str(
            "[machine]\ntype = \"q35\"\n[[node]]\nmemory = 268439552\n",
            "t.toml",
        )
        .unwrap();
        let e = plan_tables(&f, Order::Canonical).unwrap_err().to_string();
        assert!(e.contains("not a multiple of 8 KiB"), "{e}");
        assert!(plan_tables(&gh(), Order::Canonical).is_ok());
    }
}

/// Everything `vnuma build` writes and prints for one topology file.
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// Files for the output directory: the tables, then `qemu-native.args`,
    /// `qemu-initrd.args` and (x86) `qemu-acpitable.args`, one option per line.
    pub files: Vec<(String, Vec<u8>)>,
    /// The QEMU program the command lines are for.
    pub program: &'static str,
    /// QEMU >= 9.0 native options.
    pub native: Vec<String>,
    /// What the native options cannot express (empty: nothing).
    pub gaps: Vec<String>,
    /// x86: the VM without `-numa` plus `-acpitable file=DIR/...` (None on arm).
    pub acpitable: Option<Vec<String>>,
    /// The VM without `-numa`, for the Linux initrd table upgrade.
    pub initrd: Vec<String>,
    /// What to know about the command lines (see [`BuildNotes`]).
    pub notes: BuildNotes,
}

/// Warnings and notes that go with the printed command lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildNotes {
    /// Warnings about the `-acpitable` command line (before it).
    pub acpitable_warnings: Vec<String>,
    /// Notes about the `-acpitable` command line (after it).
    pub acpitable_notes: Vec<String>,
    /// On a target without `-acpitable`: what to use instead.
    pub no_acpitable: Option<String>,
    /// How the initrd-upgrade VM boots, when that matters (EDK2 on arm `virt`).
    pub initrd_boot: Option<String>,
}

/// The notes for the command lines of `f`.
pub fn build_notes(f: &TopologyFile) -> BuildNotes {
    let t = &f.topology;
    let mut n = BuildNotes::default();
    if t.machine.is_x86() {
        if t.memory.max_ram.is_some_and(|m| m > t.memory.ram_size) {
            n.acpitable_warnings.push(
                "maxmem > memory makes QEMU build its own SRAT, which Linux then uses".into(),
            );
        }
        if t.memory.above_4g_at_1tib {
            n.acpitable_notes.push(
                "RAM above 4 GiB starts at 1 TiB here, as with QEMU's default (AMD-vendor) CPU; an Intel -cpu moves it to 4 GiB and the tables no longer match".into(),
            );
        }
    } else {
        n.no_acpitable = Some(format!(
            "{}: no -acpitable on this target; use `vnuma initrd` (Linux initrd table upgrade)",
            t.machine.name()
        ));
    }
    if f.firmware_flash.is_some() {
        n.initrd_boot = Some("booted through EDK2 (AAVMF)".into());
    }
    n
}

/// The planned tables of `f` as `(signature, bytes)` pairs (`SRAT`, `SLIT`,
/// `HMAT`, those the topology has), in table order.
pub fn table_set(f: &TopologyFile, order: Order) -> Result<Vec<(String, Vec<u8>)>, BuildError> {
    Ok(plan_tables(f, order)?
        .files()
        .into_iter()
        .map(|(n, b)| (n.trim_end_matches(".dat").to_string(), b))
        .collect())
}

/// The files `vnuma build` manages in its output directory; one that a new run
/// does not produce is removed, so the directory never mixes two runs.
pub const MANAGED_FILES: [&str; 6] = [
    "SRAT.dat",
    "SLIT.dat",
    "HMAT.dat",
    "qemu-native.args",
    "qemu-acpitable.args",
    "qemu-initrd.args",
];

/// Plans the tables and the VMM command lines for `f`; `dir` is where the table
/// files will be (the `-acpitable file=` paths point there).
pub fn build_output(f: &TopologyFile, order: Order, dir: &Path) -> Result<BuildOutput, BuildError> {
    build_output_for(
        f,
        order,
        crate::front::qemu::version::QemuVersion::V10_0,
        dir,
    )
}

/// [`build_output`] with `--order qemu` following QEMU `version`.
pub fn build_output_for(
    f: &TopologyFile,
    order: Order,
    version: crate::front::qemu::version::QemuVersion,
    dir: &Path,
) -> Result<BuildOutput, BuildError> {
    let mut files = plan_tables_for(f, order, version)?.files();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let native = qemu_native_args(f);
    let initrd = qemu_plain_args(f);
    let acpitable = qemu_acpitable_args(f, dir, &names);
    check_args_file(f, "qemu-native.args", &native)?;
    check_args_file(f, "qemu-initrd.args", &initrd)?;
    if let Some(a) = &acpitable {
        check_args_file(f, "qemu-acpitable.args", a)?;
    }
    check_native_accepted(f, &native)?;
    let lines = |a: &[String]| (a.join("\n") + "\n").into_bytes();
    files.push(("qemu-native.args".into(), lines(&native)));
    files.push(("qemu-initrd.args".into(), lines(&initrd)));
    if let Some(a) = &acpitable {
        files.push(("qemu-acpitable.args".into(), lines(a)));
    }
    Ok(BuildOutput {
        files,
        program: crate::front::qemu::Arch::of_kind(f.topology.machine).program(),
        native,
        gaps: native_gaps(f),
        acpitable,
        initrd,
        notes: build_notes(f),
    })
}

/// Each argument is one line that [`crate::live::dump::parse_args_file`] reads
/// back as the option and value meant.
fn check_args_file(f: &TopologyFile, name: &str, args: &[String]) -> Result<(), BuildError> {
    for a in args {
        let want: Vec<String> = match a.split_once(' ') {
            Some((o, v)) => vec![o.to_string(), v.to_string()],
            None => vec![a.clone()],
        };
        if a.chars().any(char::is_control) || crate::live::dump::parse_args_file(a) != want {
            return Err(BuildError::ArgsFile {
                file: f.file.clone(),
                name: name.to_string(),
                arg: a.clone(),
            });
        }
    }
    Ok(())
}

/// Runs the native command line through vnuma's QEMU front end (the model of
/// QEMU 10's option parsing and machine code): a topology whose native
/// options QEMU would refuse is refused before anything is written.
fn check_native_accepted(f: &TopologyFile, native: &[String]) -> Result<(), BuildError> {
    use crate::front::qemu::parse::Arch;
    use crate::front::qemu::report::{QemuReportError, qemu_report};
    let arch = Arch::of_kind(f.topology.machine);
    let program = arch.program();
    let argv = crate::live::dump::parse_args_file(&native.join("\n"));
    match qemu_report(&argv, Some(arch)).1 {
        Err(QemuReportError::Qemu(e)) => Err(BuildError::QemuRefuses {
            file: f.file.clone(),
            message: e.render(program),
        }),
        _ => Ok(()),
    }
}
