//! The QEMU versions vnuma models, and every rule that differs between them.
//!
//! All per-version behaviour of the QEMU front end lives in one [`Profile`]; the
//! parser asks the profile and never tests the version itself. Measured
//! differences (QEMU 10.0.2 vs 11.1.3, tests/data/qemu-11.1/README.md):
//!
//! - **Monitors are QOM objects** in 11.1: each `-monitor`/`-qmp`/`-mon` (not
//!   `none`) and the default monitor (created unless `-nodefaults` or one of
//!   those options is given) is a child of `/objects` named `compat_monitorN`,
//!   created after the `-object`s (a `-object monitor-qmp` too: after the
//!   memory backends, whatever its place on the command line); they take part in the GLib hash order of
//!   `/objects` and so in the SRAT Generic Initiator order. 10.0 has none.
//! - `-object monitor-qmp` / `monitor-hmp` (what libvirt 12.9 writes) exist only
//!   in 11.1; 10.0 refuses them (`Parameter 'qom-type' does not accept value
//!   'monitor-qmp'`).
//! - **Machine types** go up to `pc-q35-11.1` / `virt-11.1` in 11.1 (`-machine
//!   help`); `pc`, `q35`, `virt` are the newest.
//! - **Deprecated machine types**: 10.0 deprecates types up to 7.0, 11.1 up to
//!   8.1 (a warning once the machine is set up).
//! - **x2APIC**: a boot CPU with APIC ID ≥ 255 on a CPU model without x2APIC
//!   aborts 10.0 (an extra "Unexpected error in apic_common_set_id()" line);
//!   11.1 reports the same error cleanly.
//! - **`-mon` is deprecated** in 11.1: a warning at the first `-mon`, printed
//!   while the command line is read.
//! - **JSON syntax errors** are worded differently and carry a position in 11.1
//!   ([`super::json`]).
//!
//! Everything else measured (420 command lines: rejection texts, SRAT/SLIT/HMAT
//! with `-nodefaults`) is identical.

use super::Arch;
use super::json::JsonDialect;

/// A QEMU version whose rules vnuma models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum QemuVersion {
    /// QEMU 10.0 (measured: 10.0.2).
    #[default]
    V10_0,
    /// QEMU 11.1 (measured: 11.1.3).
    V11_1,
}

impl QemuVersion {
    /// Every modelled version, oldest first.
    pub const ALL: [QemuVersion; 2] = [QemuVersion::V10_0, QemuVersion::V11_1];

    /// The newest modelled version.
    pub const NEWEST: QemuVersion = QemuVersion::V11_1;

    /// `"10.0"`, `"11.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            QemuVersion::V10_0 => "10.0",
            QemuVersion::V11_1 => "11.1",
        }
    }

    /// The rules of this version.
    pub fn profile(self) -> &'static Profile {
        match self {
            QemuVersion::V10_0 => &V10_0,
            QemuVersion::V11_1 => &V11_1,
        }
    }

    /// The modelled version a QEMU release (`major.minor[.patch]`) behaves like,
    /// or `None` when vnuma does not model that release line.
    pub fn of_release(release: &str) -> Option<QemuVersion> {
        let mut it = release.trim().split('.');
        let major = it.next()?;
        let minor = it.next()?;
        match (major, minor) {
            ("10", "0") => Some(QemuVersion::V10_0),
            ("11", "1") => Some(QemuVersion::V11_1),
            _ => None,
        }
    }
}

impl std::fmt::Display for QemuVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for QemuVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A version name vnuma does not model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown QEMU version `{0}` (modelled: 10.0, 11.1)")]
pub struct UnknownVersion(pub String);

impl std::str::FromStr for QemuVersion {
    type Err = UnknownVersion;
    fn from_str(s: &str) -> Result<QemuVersion, UnknownVersion> {
        QemuVersion::of_release(s).ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

/// The per-version rules of the QEMU front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The version these rules are for.
    pub version: QemuVersion,
    /// How `-object '{…}'` / `-device '{…}'` JSON is parsed and its errors worded.
    pub json: JsonDialect,
    /// Whether monitors are `/objects` children named `compat_monitorN` (and
    /// `-object monitor-qmp`/`monitor-hmp` exist).
    pub monitor_objects: bool,
    /// Every versioned machine type from 5.2 on, oldest first (`pc-q35-X.Y`,
    /// `pc-i440fx-X.Y`, `virt-X.Y` exist for the same X.Y; `-machine help` of
    /// 10.0.2 and 11.1.3): any other `X.Y` is an unsupported machine type. (11.1.3
    /// has no older ones; 10.0.2 has types down to 2.4, which vnuma does not model.)
    pub machine_versions: &'static [(u32, u32)],
    /// The versioned machine types this QEMU has before the modelled ones
    /// ([`Profile::machine_versions`]): `X.Y` for `pc-i440fx-`, `pc-q35-` and `virt-`
    /// (`-machine help` of 10.0.2: 2.4 … 5.1; 11.1.3 has none). QEMU accepts them;
    /// vnuma refuses them as not modelled (their compat rules, e.g. `-numa node,mem=`
    /// up to 5.0, are not), never as QEMU's "unsupported machine type".
    pub older_machine_versions: OlderMachines,
    /// The newest deprecated machine type version: QEMU warns `Machine type
    /// 'pc-q35-7.0' is deprecated: …` for it and every older one (`-machine help`:
    /// 10.0.2 marks 7.0 and older, 11.1.3 marks 8.1 and older).
    pub deprecated_through: (u32, u32),
    /// Whether `-mon` is deprecated: 11.1.3 warns "'-mon' is deprecated, use
    /// '-object' with 'monitor-hmp' or 'monitor-qmp' types instead" at the first
    /// `-mon` (located at it, once); 10.0.2 does not.
    pub mon_deprecated: bool,
    /// `-object` types this version adds to QEMU 10.0.2's QAPI `ObjectType` enum.
    pub added_object_types: &'static [&'static str],
    /// The line QEMU prints before "APIC ID … requires x2APIC feature in CPU"
    /// (10.0.2 aborts through `&error_abort`; 11.1.3 reports a plain error).
    pub x2apic_abort_line: Option<&'static str>,
    /// Whether arm `virt` accepts a cold-plugged `nvdimm` without the ACPI GED
    /// device (no firmware or `acpi=off`): QEMU 10.1 changed `virt_memory_pre_plug`
    /// to `!acpi_dev && !(is_nvdimm && !hotplugged)` (live: 11.1.3 accepts it,
    /// 10.0.2 refuses it, "memory hotplug is not enabled: missing acpi-ged
    /// device"; a `pc-dimm` is refused by both).
    pub virt_nvdimm_without_ged: bool,
    /// `-device help` of qemu-system-x86_64 (lines `name bus alias`, `-` for none).
    pub devices_x86_64: &'static str,
    /// `-device help` of qemu-system-aarch64 (same format).
    pub devices_aarch64: &'static str,
}

/// A `-device` type as the binary's `-device help` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceClass {
    /// The type name (an alias such as `virtio-net` resolved to `virtio-net-pci`).
    pub name: &'static str,
    /// Whether it plugs into a PCI bus (`bus PCI`).
    pub pci: bool,
}

/// Machine type versions 5.2 … 11.1 (QEMU 11.1.3's `-machine help`, all of
/// them); QEMU 10.0.2's `-machine help` lists the first [`MACHINES_10_0`] of them
/// (to 10.0) and older ones besides.
const MACHINES: [(u32, u32); 18] = [
    (5, 2),
    (6, 0),
    (6, 1),
    (6, 2),
    (7, 0),
    (7, 1),
    (7, 2),
    (8, 0),
    (8, 1),
    (8, 2),
    (9, 0),
    (9, 1),
    (9, 2),
    (10, 0),
    (10, 1),
    (10, 2),
    (11, 0),
    (11, 1),
];

/// Machine type versions older than the modelled ones, per board family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OlderMachines {
    /// `pc-i440fx-X.Y` and `pc-q35-X.Y`.
    pub x86: &'static [&'static str],
    /// Extra `pc-q35-X.Y` only (10.0.2 has `pc-q35-4.0.1`, no `pc-i440fx-4.0.1`).
    pub q35_only: &'static [&'static str],
    /// `virt-X.Y`.
    pub virt: &'static [&'static str],
}

/// QEMU 10.0.2's `-machine help` below the modelled 5.2: x86 types 2.4 … 5.1,
/// aarch64 `virt` 2.6 … 5.1.
const OLDER_10_0: OlderMachines = OlderMachines {
    x86: &[
        "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0",
        "4.1", "4.2", "5.0", "5.1",
    ],
    q35_only: &["4.0.1"],
    virt: &[
        "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0", "4.1", "4.2",
        "5.0", "5.1",
    ],
};

/// QEMU 11.1.3 has none below the modelled 5.2.
const OLDER_11_1: OlderMachines = OlderMachines {
    x86: &[],
    q35_only: &[],
    virt: &[],
};

/// How many of [`MACHINES`] QEMU 10.0 has (5.2 … 10.0).
const MACHINES_10_0: usize = 14;

static V10_0: Profile = Profile {
    version: QemuVersion::V10_0,
    json: JsonDialect::Qemu10,
    monitor_objects: false,
    machine_versions: MACHINES.split_at(MACHINES_10_0).0,
    older_machine_versions: OLDER_10_0,
    deprecated_through: (7, 0),
    mon_deprecated: false,
    added_object_types: &[],
    x2apic_abort_line: Some(
        "Unexpected error in apic_common_set_id() at hw/intc/apic_common.c:447:",
    ),
    virt_nvdimm_without_ged: false,
    devices_x86_64: include_str!("data/devices-10.0-x86_64.txt"),
    devices_aarch64: include_str!("data/devices-10.0-aarch64.txt"),
};

static V11_1: Profile = Profile {
    version: QemuVersion::V11_1,
    json: JsonDialect::Qemu11,
    monitor_objects: true,
    machine_versions: &MACHINES,
    older_machine_versions: OLDER_11_1,
    deprecated_through: (8, 1),
    mon_deprecated: true,
    added_object_types: &["monitor-hmp", "monitor-qmp", "tdx-guest"],
    x2apic_abort_line: None,
    virt_nvdimm_without_ged: true,
    devices_x86_64: include_str!("data/devices-11.1-x86_64.txt"),
    devices_aarch64: include_str!("data/devices-11.1-aarch64.txt"),
};

/// The `-object` types that exist only where monitors are objects.
const MONITOR_TYPES: [&str; 2] = ["monitor-qmp", "monitor-hmp"];

/// QAPI's `ObjectType` enum of QEMU 10.0.2 (`query-qmp-schema`, the same for
/// qemu-system-x86_64 and -aarch64): every `qom-type` the `-object` visitor
/// accepts. Any other value is refused with "Parameter 'qom-type' does not
/// accept value …", before `id` is checked. QEMU 11.1.3 adds the monitors and
/// `tdx-guest` ([`Profile::added_object_types`]).
const OBJECT_TYPES: [&str; 49] = [
    "acpi-generic-initiator",
    "acpi-generic-port",
    "authz-list",
    "authz-listfile",
    "authz-pam",
    "authz-simple",
    "can-bus",
    "can-host-socketcan",
    "colo-compare",
    "cryptodev-backend",
    "cryptodev-backend-builtin",
    "cryptodev-backend-lkcf",
    "cryptodev-vhost-user",
    "dbus-vmstate",
    "filter-buffer",
    "filter-dump",
    "filter-mirror",
    "filter-redirector",
    "filter-replay",
    "filter-rewriter",
    "input-barrier",
    "input-linux",
    "iommufd",
    "iothread",
    "main-loop",
    "memory-backend-epc",
    "memory-backend-file",
    "memory-backend-memfd",
    "memory-backend-ram",
    "memory-backend-shm",
    "pef-guest",
    "pr-manager-helper",
    "qtest",
    "rng-builtin",
    "rng-egd",
    "rng-random",
    "secret",
    "secret_keyring",
    "sev-guest",
    "sev-snp-guest",
    "thread-context",
    "s390-pv-guest",
    "throttle-group",
    "tls-creds-anon",
    "tls-creds-psk",
    "tls-creds-x509",
    "tls-cipher-suites",
    "x-remote-object",
    "x-vfio-user-server",
];

impl Profile {
    /// Whether `-machine NAME` is a versioned type this QEMU has but vnuma does not
    /// model ([`Profile::older_machine_versions`]) for `arch`.
    pub fn is_older_machine(&self, arch: Arch, name: &str) -> bool {
        let o = &self.older_machine_versions;
        let has = |prefix: &str, list: &[&str]| {
            name.strip_prefix(prefix).is_some_and(|v| list.contains(&v))
        };
        match arch {
            Arch::X86_64 => {
                has("pc-i440fx-", o.x86) || has("pc-q35-", o.x86) || has("pc-q35-", o.q35_only)
            }
            Arch::Aarch64 => has("virt-", o.virt),
        }
    }

    /// The newest versioned machine type (`pc-q35-11.1`): also what `pc`, `q35`
    /// and `virt` resolve to. The last of [`Profile::machine_versions`].
    pub fn latest_machine(&self) -> (u32, u32) {
        self.machine_versions.last().copied().unwrap_or((6, 2))
    }

    /// The `-device` type `driver` names on `arch` (by name or alias), or `None`
    /// when QEMU refuses it: "'DRIVER' is not a valid device model name".
    pub fn device_class(&self, arch: Arch, driver: &str) -> Option<DeviceClass> {
        let list = match arch {
            Arch::X86_64 => self.devices_x86_64,
            Arch::Aarch64 => self.devices_aarch64,
        };
        let rows = list
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut it = l.split(' ');
                Some((it.next()?, it.next()?, it.next()?))
            });
        let mut by_alias = None;
        for (name, bus, alias) in rows {
            let class = DeviceClass {
                name,
                pci: bus == "PCI",
            };
            if name == driver {
                return Some(class);
            }
            if alias == driver {
                by_alias = Some(class);
            }
        }
        by_alias
    }

    /// Whether QEMU's `-object` accepts `qom_type` at all (QAPI's `ObjectType`
    /// enum of this version).
    pub fn has_object_type(&self, qom_type: &str) -> bool {
        OBJECT_TYPES.contains(&qom_type) || self.added_object_types.contains(&qom_type)
    }

    /// Whether QEMU's `-object` accepts `qom_type` in QAPI but this build has no
    /// such class, so creating it fails with "invalid object type: TYPE"
    /// (measured on every `ObjectType` with `-object TYPE,id=x`: Debian's QEMU
    /// 10.0.2 and 11.1.3 build neither `cryptodev-backend-lkcf`, `pef-guest` nor
    /// `s390-pv-guest` for x86_64 or aarch64; 11.1.3's aarch64 has no `tdx-guest`).
    pub fn is_unbuilt_object_type(&self, arch: super::Arch, qom_type: &str) -> bool {
        const UNBUILT: [&str; 3] = ["cryptodev-backend-lkcf", "pef-guest", "s390-pv-guest"];
        UNBUILT.contains(&qom_type)
            || (arch == super::Arch::Aarch64
                && qom_type == "tdx-guest"
                && self.added_object_types.contains(&qom_type))
    }

    /// Whether `-object` type `qom_type` is a monitor, created with the monitors
    /// after every other `-object` (measured: libvirt's `-object monitor-qmp` is
    /// inserted into `/objects` after the memory backends).
    pub fn is_monitor_object(&self, qom_type: &str) -> bool {
        self.monitor_objects && MONITOR_TYPES.contains(&qom_type)
    }

    /// The `/objects` ids of the monitors, in creation order (after every
    /// `-object`): `monitors` is the number of `-monitor`/`-qmp`/`-mon` options
    /// that create one, `monitor_option` whether any such option (also `none`)
    /// was given, which like `-nodefaults` suppresses the default monitor.
    pub fn monitor_object_ids(
        &self,
        monitors: usize,
        monitor_option: bool,
        nodefaults: bool,
    ) -> Vec<String> {
        if !self.monitor_objects {
            return Vec::new();
        }
        let n = if monitor_option || nodefaults {
            monitors
        } else {
            1
        };
        (0..n).map(|i| format!("compat_monitor{i}")).collect()
    }
}

/// How the version to model was chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// Given on the command line (`--qemu-version 11.1`).
    Given,
    /// `auto`: the QEMU found on PATH (its `--version` line).
    Detected(String),
    /// `auto`: no QEMU found on PATH, or one vnuma does not model (its
    /// `--version` line, if any): the newest modelled version.
    Fallback(Option<String>),
}

/// `auto`: the version of `program` (e.g. `qemu-system-x86_64`) on PATH if vnuma
/// models it, else the newest modelled version.
pub fn detect(program: &str) -> (QemuVersion, VersionSource) {
    let line = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_string())
        });
    let release = line.as_deref().and_then(|l| {
        l.strip_prefix("QEMU emulator version ")
            .and_then(|r| r.split_whitespace().next())
    });
    match (release.and_then(QemuVersion::of_release), line) {
        (Some(v), Some(l)) => (v, VersionSource::Detected(l)),
        (_, l) => (QemuVersion::NEWEST, VersionSource::Fallback(l)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases() {
        assert_eq!(QemuVersion::of_release("10.0.2"), Some(QemuVersion::V10_0));
        assert_eq!(QemuVersion::of_release("11.1.3"), Some(QemuVersion::V11_1));
        assert_eq!(QemuVersion::of_release("11.1"), Some(QemuVersion::V11_1));
        assert_eq!(QemuVersion::of_release("9.2.0"), None);
        assert!("12.0".parse::<QemuVersion>().is_err());
    }

    #[test]
    fn monitors() {
        let p = QemuVersion::V11_1.profile();
        assert_eq!(p.monitor_object_ids(0, false, false), ["compat_monitor0"]);
        assert!(p.monitor_object_ids(0, false, true).is_empty());
        assert!(p.monitor_object_ids(0, true, false).is_empty());
        assert_eq!(p.monitor_object_ids(2, true, true).len(), 2);
        assert!(
            QemuVersion::V10_0
                .profile()
                .monitor_object_ids(1, true, false)
                .is_empty()
        );
        assert!(!QemuVersion::V10_0.profile().has_object_type("monitor-qmp"));
        assert!(QemuVersion::V11_1.profile().has_object_type("monitor-qmp"));
    }
}
