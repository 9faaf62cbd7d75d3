//! The machine: type (`-machine type=`), properties (`-machine k=v`), `-smp`.
//! Rules on values are [`crate::machine`]'s; this module words QEMU's messages.

use super::super::error::QemuError;
use super::super::lexer::{self, Opts};
use super::super::version::Profile;
use super::options::CmdLine;
use super::{Arch, MachineSel};
use crate::machine::cpu::{SmpConfig, SmpTopology};
use crate::machine::memory::{self as memmap, MaxRamBelow4g};
use crate::topology::MachineKind;

/// Machine properties we interpret.
#[derive(Default)]
pub(super) struct MachineProps {
    pub(super) hmat: bool,
    pub(super) nvdimm: bool,
    pub(super) cxl: bool,
    pub(super) acpi: bool,
    pub(super) max_ram_below_4g: Option<u64>,
    pub(super) oem_id: Option<String>,
    pub(super) oem_table_id: Option<String>,
    pub(super) memory_backend: Option<String>,
    /// `smbios-entry-point-type=` (x86: `32`, `64`, `auto`).
    pub(super) smbios_ep: Option<String>,
    /// The chipset functions `sata=`, `smbus=`, `usb=` (or `-usb`) turn on or off.
    pub(super) chipset: crate::machine::pci::Chipset,
}

/// Machine properties QEMU knows that do not shape the NUMA tables.
const IGNORED_PROPS: &[&str] = &[
    "accel",
    "kernel-irqchip",
    "nvdimm-persistence",
    "smm",
    "vmport",
    "pit",
    "hpet",
    "graphics",
    "dump-guest-core",
    "mem-merge",
    "suppress-vmdesc",
    "firmware",
    "pflash0",
    "pflash1",
    "i8042",
    "aux-ram-share",
    "fd-bootchk",
    "max-fw-size",
    "pic",
    "shim",
    "smp-cache",
    "x-south-bridge",
    "dtb-kaslr-seed",
    "msi",
    "virtio-mmio-transports",
    "x-change-vmfd-on-reset",
    "wdat",
    "smbios-entry-point-type",
    "default-bus-bypass-iommu",
    "bus-lock-ratelimit",
    "confidential-guest-support",
    "memory-encryption",
    "dt-compatible",
    "dumpdtb",
    "phandle-start",
    "append",
    "kernel",
    "initrd",
    "dtb",
    "boot",
    "smp",
    "gic-version",
    "its",
    "iommu",
    "secure",
    "virtualization",
    "highmem",
    "highmem-redists",
    "highmem-ecam",
    "highmem-mmio",
    "highmem-mmio-size",
    "compact-highmem",
    "ras",
    "mte",
    "x-oem-revision",
    "fdc",
    "sgx-epc",
    "cxl-fmw",
    "ipmi",
    "dtb-randomness",
    "acpi-pcihp",
    "x-remote",
    "oem-id",
    "oem-table-id",
    "hvf",
    "tcg",
    "kvm-type",
    "pcie-mmio-high",
];

/// The machine kind and resolved type name of `-machine type=`.
/// Only the versions QEMU has (`profile.machine_versions`), spelled as QEMU
/// spells them (`pc-q35-7.0`; live 10.0.2/11.1.3: `pc-q35-7.3`, `pc-q35-06.2`
/// are unsupported machine types).
fn machine_kind_of(name: &str, arch: Arch, profile: &Profile) -> Option<(MachineKind, String)> {
    let versioned = |prefix: &str| -> Option<String> {
        let v = name.strip_prefix(prefix)?;
        profile
            .machine_versions
            .iter()
            .any(|(a, b)| v == format!("{a}.{b}"))
            .then(|| name.to_string())
    };
    let (ma, mi) = profile.latest_machine();
    match arch {
        Arch::X86_64 => match name {
            "pc" => Some((MachineKind::Pc, format!("pc-i440fx-{ma}.{mi}"))),
            "q35" => Some((MachineKind::Q35, format!("pc-q35-{ma}.{mi}"))),
            _ => versioned("pc-q35-")
                .map(|n| (MachineKind::Q35, n))
                .or_else(|| versioned("pc-i440fx-").map(|n| (MachineKind::Pc, n))),
        },
        Arch::Aarch64 => match name {
            "virt" => Some((MachineKind::Virt, format!("virt-{ma}.{mi}"))),
            _ => versioned("virt-").map(|n| (MachineKind::Virt, n)),
        },
    }
}

/// CPU models without long mode (QEMU checks their address space differently).
pub(super) fn is_32bit_cpu_model(model: &str) -> bool {
    [
        "qemu32", "kvm32", "486", "pentium", "pentium2", "pentium3", "coreduo", "athlon", "n270",
    ]
    .contains(&model.to_ascii_lowercase().as_str())
}

/// Intel CPU models (QEMU's vendor: GenuineIntel).
pub(super) fn is_intel_cpu_model(model: &str) -> bool {
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

/// Machine creation: the arch (given, or from the type) and the machine type.
pub(super) fn create(
    cmd: &CmdLine,
    arch: Option<Arch>,
    profile: &Profile,
) -> Result<MachineSel, QemuError> {
    let (ma, mi) = profile.latest_machine();
    let mtype = last_pair(&cmd.machine_pairs, "type");
    let arch = arch.unwrap_or(match mtype {
        Some(t) if t.starts_with("virt") => Arch::Aarch64,
        _ => Arch::X86_64,
    });
    let (kind, machine_type) = match mtype {
        None => match arch {
            Arch::X86_64 => (MachineKind::Pc, format!("pc-i440fx-{ma}.{mi}")),
            Arch::Aarch64 => {
                return Err(QemuError::program(
                    "No machine specified, and there is no default\nUse -machine help to list supported machines",
                ));
            }
        },
        Some(t) => machine_kind_of(t, arch, profile).ok_or_else(|| {
            if profile.is_older_machine(arch, t) {
                let (fa, fi) = profile.machine_versions.first().copied().unwrap_or((6, 2));
                QemuError::unmodelled(format!(
                    "machine type '{t}' exists in QEMU {} but vnuma does not model it \
                     (its versioned types from {fa}.{fi} to {ma}.{mi} only)",
                    profile.version.as_str()
                ))
            } else {
                QemuError::program(format!(
                    "unsupported machine type: \"{t}\"\nUse -machine help to list supported machines"
                ))
            }
        })?,
    };
    Ok(MachineSel {
        arch,
        kind,
        machine_type,
    })
}

/// QEMU's warning for a deprecated machine type (printed after `-smp`, before
/// the memory backends are created and `-numa` is applied; live 10.0.2: `-machine pc-q35-7.0`, 11.1.3:
/// `-machine pc-q35-8.1`, also under `-qtest`).
pub(super) fn deprecation(machine: &MachineSel, profile: &Profile) -> Option<QemuError> {
    let version = machine_version(&machine.machine_type)?;
    (version <= profile.deprecated_through).then(|| {
        QemuError::program(format!(
            "warning: Machine type '{}' is deprecated: machines more than 3 years old are subject to deletion after 6 years",
            machine.machine_type
        ))
    })
}

/// The x86 SMBIOS check at machine done (after the ACPI generic initiators are
/// resolved): a 2.0 (32-bit) entry point, the default of q35 types up to 8.0 and
/// of `smbios-entry-point-type=32`, cannot describe more than 255 threads per
/// socket (live 10.0.2/11.1.3: `-machine pc-q35-8.0 -smp 1,maxcpus=256`; 8.1 and
/// newer, `=64` and `=auto` accept it).
pub(super) fn smbios_check(
    machine: &MachineSel,
    props: &MachineProps,
    smp: &SmpTopology,
) -> Result<(), QemuError> {
    if !machine.kind.is_x86() {
        return Ok(());
    }
    let ep32 = match props.smbios_ep.as_deref() {
        Some(v) => v == "32",
        None => machine_version(&machine.machine_type).is_some_and(|v| v < (8, 1)),
    };
    let per_socket = u64::from(smp.dies)
        * u64::from(smp.modules)
        * u64::from(smp.clusters)
        * u64::from(smp.cores)
        * u64::from(smp.threads);
    if ep32 && per_socket > 255 {
        return Err(QemuError::program(
            "SMBIOS 2.0 doesn't support number of processor cores/threads more than 255, use -machine smbios-entry-point-type=64 option to enable SMBIOS 3.0 support",
        ));
    }
    Ok(())
}

/// Whether an x86 CPU model has x2APIC under TCG (live 10.0.2: `-machine q35
/// -smp 256 -cpu MODEL` for every model of `-cpu help`: the Intel models from
/// SandyBridge on, `max`, `host`; not qemu64/kvm64, the 32-bit ones, Conroe …
/// Westmere, Opteron, EPYC, Dhyana).
pub(super) fn cpu_model_has_x2apic(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    [
        "sandybridge",
        "ivybridge",
        "haswell",
        "broadwell",
        "skylake",
        "cascadelake",
        "cooperlake",
        "icelake",
        "sapphirerapids",
        "graniterapids",
        "sierraforest",
        "clearwaterforest",
        "snowridge",
        "denverton",
        "knightsmill",
        "yongfeng",
    ]
    .iter()
    .any(|p| m.starts_with(p))
        || m == "max"
        || m == "host"
}

/// Board init realizes the boot CPUs: one with APIC ID ≥ 255 needs x2APIC in
/// the CPU model (live 10.0.2/11.1.3: `-machine q35 -smp 256`; `-cpu
/// qemu64,+x2apic` passes, `-cpu Skylake-Server,-x2apic` fails).
pub(super) fn x2apic_check(
    cmd: &CmdLine,
    machine: &MachineSel,
    cpus: &[crate::machine::cpu::CpuSlot],
    smp: &SmpTopology,
    profile: &Profile,
    warnings: &mut Vec<QemuError>,
) -> Result<(), QemuError> {
    if !machine.kind.is_x86() {
        return Ok(());
    }
    let x2apic = cmd
        .cpu_x2apic
        .unwrap_or_else(|| cmd.cpu_model.as_deref().is_some_and(cpu_model_has_x2apic));
    let boot = usize::try_from(smp.cpus).unwrap_or(usize::MAX);
    match cpus.iter().take(boot).find(|c| c.arch_id >= 255) {
        Some(c) if !x2apic => {
            warnings.extend(profile.x2apic_abort_line.map(QemuError::bare));
            Err(QemuError::program(format!(
                "APIC ID {} requires x2APIC feature in CPU\nTry x2apic=on in -cpu.",
                c.arch_id
            )))
        }
        _ => Ok(()),
    }
}

/// The `X.Y` of a versioned machine type name (`pc-q35-8.0` → (8, 0)).
pub(super) fn machine_version(machine_type: &str) -> Option<(u32, u32)> {
    let (a, b) = machine_type.rsplit('-').next()?.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The last value given for `key`.
fn last_pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(a, _)| a == key)
        .map(|(_, v)| v.as_str())
}

/// Sets the machine properties (the last value of each key, last key first, as
/// QEMU's keyval dict iterates), with QEMU's property checks.
pub(super) fn properties(
    cmd: &mut CmdLine,
    machine: &MachineSel,
    warnings: &mut Vec<QemuError>,
) -> Result<MachineProps, QemuError> {
    let mut mp = MachineProps {
        acpi: true,
        ..Default::default()
    };
    dashify(&mut cmd.machine_pairs)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut fmw_checked = false;
    let mut ignored = Vec::new();
    for (k, v) in cmd.machine_pairs.iter().rev() {
        if !seen.insert(k.as_str()) {
            continue;
        }
        if k.starts_with("cxl-fmw.") && machine.kind == MachineKind::Q35 {
            if !fmw_checked {
                check_cxl_fmw(&cmd.machine_pairs)?;
                fmw_checked = true;
            }
            ignored.push(format!("-machine {k}={v}"));
            continue;
        }
        if !set_property(&mut mp, machine, k, v, warnings)? {
            // `smp-cache` is a list property (`smp-cache.0.cache=l1d`, …).
            if !IGNORED_PROPS.contains(&k.as_str()) && !k.starts_with("smp-cache.") {
                return Err(QemuError::program(format!(
                    "Property '{}-machine.{k}' not found",
                    machine.machine_type
                )));
            }
            ignored.push(format!("-machine {k}={v}"));
        }
    }
    for t in ignored {
        cmd.ignore(|| t);
    }
    Ok(mp)
}

/// QEMU's `keyval_dashify` on the `-machine` dict (`qemu_apply_legacy_machine_options`,
/// after the early objects, before any property is set): every `_` in a key
/// becomes `-` (libvirt 12.9 writes `kernel_irqchip=split` for an Intel IOMMU with
/// interrupt remapping; `max_ram_below_4g=1G` works the same), and a key given in
/// both spellings is refused: "Conflict between 'kernel_irqchip' and
/// 'kernel-irqchip'" (live QEMU 10.0.2 and 11.1.3). Keys are visited like
/// [`properties`] visits them (last key first).
fn dashify(pairs: &mut [(String, String)]) -> Result<(), QemuError> {
    if !pairs.iter().any(|(k, _)| k.contains('_')) {
        return Ok(());
    }
    let keys: std::collections::BTreeSet<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in pairs.iter().rev() {
        if !seen.insert(k.as_str()) || !k.contains('_') {
            continue;
        }
        let dashed = k.replace('_', "-");
        if keys.contains(dashed.as_str()) {
            return Err(QemuError::program(format!(
                "Conflict between '{k}' and '{dashed}'"
            )));
        }
    }
    for (k, _) in pairs.iter_mut() {
        if k.contains('_') {
            *k = k.replace('_', "-");
        }
    }
    Ok(())
}

/// The `cxl-fmw` list property (`cxl-fmw.N.targets.M=<pxb-cxl id>`,
/// `cxl-fmw.N.size=`, `cxl-fmw.N.interleave-granularity=`), checked like QEMU's
/// keyval list visitor (live QEMU 10.0.2 and 11.1.3: missing `targets`/`size`,
/// unexpected members, a non-numeric index; no option location). The CXL fixed
/// memory windows do not change SRAT/SLIT/HMAT (measured: the SRAT of a pxb-cxl
/// line is byte-identical with and without a 4 GiB window, both versions).
fn check_cxl_fmw(pairs: &[(String, String)]) -> Result<(), QemuError> {
    let mut windows: std::collections::BTreeMap<u64, (bool, bool)> = Default::default();
    for (k, v) in pairs {
        let Some(rest) = k.strip_prefix("cxl-fmw.") else {
            continue;
        };
        let (idx, member) = rest.split_once('.').unwrap_or((rest, ""));
        let Ok(n) = idx.parse::<u64>() else {
            return Err(QemuError::program(
                "Invalid parameter type for 'cxl-fmw', expected: array",
            ));
        };
        let w = windows.entry(n).or_default();
        let (m0, _) = member.split_once('.').unwrap_or((member, ""));
        match m0 {
            "targets" => w.0 = true,
            "size" | "interleave-granularity" => {
                if lexer::parse_size(v).is_none() {
                    return Err(QemuError::program(format!(
                        "Parameter 'cxl-fmw.{n}.{m0}' expects a size value"
                    )));
                }
                if m0 == "size" {
                    w.1 = true;
                }
            }
            _ => {
                return Err(QemuError::program(format!(
                    "Parameter 'cxl-fmw.{n}.{member}' is unexpected"
                )));
            }
        }
    }
    for (n, (targets, size)) in windows {
        if !targets {
            return Err(QemuError::program(format!(
                "Parameter 'cxl-fmw.{n}.targets' is missing"
            )));
        }
        if !size {
            return Err(QemuError::program(format!(
                "Parameter 'cxl-fmw.{n}.size' is missing"
            )));
        }
    }
    Ok(())
}

/// Sets one interpreted property; `false` when `k` is not one.
fn set_property(
    mp: &mut MachineProps,
    machine: &MachineSel,
    k: &str,
    v: &str,
    warnings: &mut Vec<QemuError>,
) -> Result<bool, QemuError> {
    let boolp = |v: &str| {
        lexer::parse_bool(v)
            .ok_or_else(|| QemuError::program(format!("Parameter '{k}' expects 'on' or 'off'")))
    };
    let kind = machine.kind;
    match k {
        "type" => {}
        "sata" if kind.is_x86() => mp.chipset.sata = boolp(v)?,
        "smbus" if kind.is_x86() => mp.chipset.smbus = boolp(v)?,
        "usb" => mp.chipset.usb = boolp(v)?,
        "hmat" => mp.hmat = boolp(v)?,
        "nvdimm" => mp.nvdimm = boolp(v)?,
        "cxl" if kind.is_x86() => mp.cxl = boolp(v)?,
        "acpi" => {
            mp.acpi = match v {
                "auto" => true,
                _ => lexer::parse_bool(v).ok_or_else(|| {
                    QemuError::program(format!("Parameter '{k}' does not accept value '{v}'"))
                })?,
            }
        }
        "max-ram-below-4g" if kind.is_x86() => {
            mp.max_ram_below_4g = Some(max_ram_below_4g(k, v, warnings)?);
        }
        "smbios-entry-point-type" if kind.is_x86() => {
            if !matches!(v, "32" | "64" | "auto") {
                return Err(QemuError::program(format!(
                    "Parameter '{k}' does not accept value '{v}'"
                )));
            }
            mp.smbios_ep = Some(v.to_string());
        }
        "x-oem-id" => mp.oem_id = Some(oem_text(k, v, 6)?),
        "x-oem-table-id" => mp.oem_table_id = Some(oem_text(k, v, 8)?),
        "memory-backend" => mp.memory_backend = Some(v.to_string()),
        _ => return Ok(false),
    }
    Ok(true)
}

/// `max-ram-below-4g`: x86_machine_set_max_ram_below_4g, at property-set time
/// (before NUMA), by [`memmap::check_max_ram_below_4g`]'s rule.
fn max_ram_below_4g(k: &str, v: &str, warnings: &mut Vec<QemuError>) -> Result<u64, QemuError> {
    let size = lexer::parse_size(v)
        .ok_or_else(|| QemuError::program(format!("Parameter '{k}' expects a size value")))?;
    match memmap::check_max_ram_below_4g(size) {
        MaxRamBelow4g::Ok => {}
        MaxRamBelow4g::Above4G => {
            return Err(QemuError::program(format!(
                "Machine option 'max-ram-below-4g={size}' expects size less than or equal to 4G"
            )));
        }
        MaxRamBelow4g::Below1M => warnings.push(QemuError::program(format!(
            "warning: Only {size} bytes of RAM below the 4GiB boundary,BIOS may not work with less than 1MiB"
        ))),
    }
    Ok(size)
}

/// `x-oem-id` / `x-oem-table-id`: at most `max` bytes.
fn oem_text(k: &str, v: &str, max: usize) -> Result<String, QemuError> {
    if v.len() > max {
        return Err(QemuError::program(format!(
            "User specified {k} value is bigger than {max} bytes in size"
        )));
    }
    Ok(v.to_string())
}

/// `-smp`: the values, then [`SmpTopology::resolve`] (QEMU's rules and messages).
pub(super) fn smp(smp_opts: &Opts, machine: &MachineSel) -> Result<SmpTopology, QemuError> {
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
    SmpTopology::resolve_on(machine.kind, &machine.machine_type, &sc)
        .map_err(|e| QemuError::program(e.to_string()))
}
