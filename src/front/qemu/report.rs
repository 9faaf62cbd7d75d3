//! The `vnuma qemu` pipeline as a library call: a QEMU command line → the tables
//! QEMU 10.0.2 builds for it → what the Linux guest makes of them.

use serde::Serialize;

use super::args::{ArgList, Replaced};
use super::error::{Prefix, QemuError};
use super::json::{self, Json, JsonDialect};
use super::lexer;
use super::parse::{Arch, Parsed, parse_versioned};
use super::version::QemuVersion;
use crate::machine::LayoutError;
use crate::machine::guest::{GuestView, GuestWarning, NoSratCause, guest_view};
use crate::machine::tables::{Tables, build_tables};
use crate::topology::MachineKind;

/// Everything `vnuma qemu` reports for an accepted command line.
#[derive(Debug, Clone)]
pub struct QemuReport {
    /// The parsed command line.
    pub parsed: Parsed,
    /// The tables QEMU builds (none with `acpi=off` or without NUMA nodes).
    pub tables: Tables,
    /// The guest's view.
    pub view: GuestView,
    /// Warnings about the command line itself (worded), after the view's.
    pub line_warnings: Vec<String>,
}

/// Why a command line gives no report.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
pub enum QemuReportError {
    /// QEMU rejects the command line (its exact message).
    #[error("{0}")]
    Qemu(QemuError),
    /// QEMU accepts it but vnuma cannot lay the topology out (a vnuma limitation).
    #[error("{0}")]
    Layout(String),
}

/// The ids of the `acpi-generic-initiator` / `acpi-generic-port` objects on a
/// command line, in command-line order.
pub fn affinity_object_ids(args: &(impl ArgList + ?Sized)) -> Vec<String> {
    lexer::valid_options(args)
        .filter(|o| o.name == "object")
        .filter_map(|o| {
            let arg = o.arg?;
            let (t, id) = if arg.starts_with('{') {
                let Ok(Json::Dict(d)) = json::parse(arg, JsonDialect::Qemu10) else {
                    return None;
                };
                let s = |k: &str| match d.iter().find(|(x, _)| x == k) {
                    Some((_, Json::Str(v))) => Some(v.clone()),
                    _ => None,
                };
                (s("qom-type")?, s("id").unwrap_or_default())
            } else {
                let kv = lexer::parse_keyval(arg, Some("qom-type")).ok()?;
                let t = kv.get("qom-type")?.to_string();
                (t, kv.get("id").unwrap_or("").to_string())
            };
            (t == "acpi-generic-initiator" || t == "acpi-generic-port").then_some(id)
        })
        .collect()
}

/// Whether the command line loads firmware (`-bios`, `-pflash`, `-drive if=pflash`,
/// `-machine pflash0=`).
pub fn has_firmware(args: &(impl ArgList + ?Sized)) -> bool {
    lexer::valid_options(args).any(|o| match o.name {
        "bios" | "pflash" => true,
        "machine" => o.arg.is_some_and(|a| {
            lexer::parse_keyval(a, Some("type")).is_ok_and(|kv| kv.has("pflash0"))
        }),
        "drive" => o
            .arg
            .is_some_and(|a| lexer::parse_opts(a, None).get("if") == Some("pflash")),
        _ => false,
    })
}

/// The firmware images the command line names: `-bios FILE`, `-pflash FILE`,
/// `-drive if=pflash,file=FILE`, and `-machine pflash0=NODE` followed through the
/// `-blockdev` nodes (keyval or JSON, `file` references) to a `filename`.
pub fn firmware_files(args: &(impl ArgList + ?Sized)) -> Vec<String> {
    // node-name → (filename, file).
    let mut nodes: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    for o in lexer::valid_options(args).filter(|o| o.name == "blockdev") {
        let Some(a) = o.arg else { continue };
        let field = |k: &str| -> Option<String> {
            if a.starts_with('{') {
                match super::json::parse(a, super::json::JsonDialect::Qemu11).ok()? {
                    super::json::Json::Dict(d) => d.into_iter().find_map(|(key, v)| match v {
                        super::json::Json::Str(s) if key == k => Some(s),
                        _ => None,
                    }),
                    _ => None,
                }
            } else {
                lexer::parse_opts(a, None).get(k).map(str::to_string)
            }
        };
        if let Some(n) = field("node-name") {
            nodes.push((n, field("filename"), field("file")));
        }
    }
    let mut out = Vec::new();
    for o in lexer::valid_options(args) {
        let Some(a) = o.arg else { continue };
        match o.name {
            "bios" | "pflash" => out.push(a.to_string()),
            "drive" => {
                let kv = lexer::parse_opts(a, None);
                if kv.get("if") == Some("pflash")
                    && let Some(f) = kv.get("file")
                {
                    out.push(f.to_string());
                }
            }
            "machine" => {
                let Ok(kv) = lexer::parse_keyval(a, Some("type")) else {
                    continue;
                };
                let mut node = kv.get("pflash0").map(str::to_string);
                for _ in 0..8 {
                    let Some(n) = node.take() else { break };
                    let Some((_, filename, file)) = nodes.iter().find(|x| x.0 == n) else {
                        break;
                    };
                    match filename {
                        Some(f) => {
                            out.push(f.clone());
                            break;
                        }
                        None => node.clone_from(file),
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Firmware images larger than this are not searched for an EDK2 version.
const FIRMWARE_MAX: u64 = 256 << 20;

/// The first firmware image of the command line recognised as an EDK2 build that
/// reports its variable-store flash as RAM (see
/// [`crate::machine::guest::edk2_reports_flash_as_ram`]), with that EDK2 version.
/// Images that cannot be read here, or carry no known version, give `None`.
pub fn edk2_flash_as_ram(args: &(impl ArgList + ?Sized)) -> Option<(String, String)> {
    match edk2_firmware(args) {
        Some((f, v, Some(true))) => Some((f, v)),
        _ => None,
    }
}

/// The first firmware image of the command line that carries an EDK2 version:
/// the file, the version, and whether that EDK2 reports its flash as RAM
/// ([`crate::machine::guest::edk2_reports_flash_as_ram`]; `None`: not known).
pub fn edk2_firmware(args: &(impl ArgList + ?Sized)) -> Option<(String, String, Option<bool>)> {
    firmware_files(args).into_iter().find_map(|f| {
        let meta = std::fs::metadata(&f).ok()?;
        if !meta.is_file() || meta.len() > FIRMWARE_MAX {
            return None;
        }
        let image = std::fs::read(&f).ok()?;
        let v = crate::machine::guest::edk2_build_version(&image)?;
        let ram = crate::machine::guest::edk2_reports_flash_as_ram(&v);
        Some((f, v, ram))
    })
}

/// Parses `args` (the QEMU options after the program name), builds the tables and
/// the guest view. Returns the warnings QEMU prints (also on failure, printed
/// before the error) and the outcome.
pub fn qemu_report(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
) -> (Vec<QemuError>, Result<QemuReport, QemuReportError>) {
    qemu_report_versioned(args, arch, QemuVersion::V10_0)
}

/// Like [`qemu_report`], with the rules of QEMU `version`.
pub fn qemu_report_versioned(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
    version: QemuVersion,
) -> (Vec<QemuError>, Result<QemuReport, QemuReportError>) {
    let (warnings, parsed) = parse_versioned(args, arch, version);
    let parsed = match parsed {
        Ok(p) => p,
        // A command line QEMU accepts but vnuma does not model: vnuma's limitation.
        Err(e) if e.prefix == Prefix::Unmodelled => {
            return (warnings, Err(QemuReportError::Layout(e.message)));
        }
        Err(e) => return (warnings, Err(QemuReportError::Qemu(e))),
    };
    let tables = if parsed.acpi {
        match build_tables(&parsed.topology) {
            Ok(t) => t,
            Err(e) => return (warnings, Err(layout(e))),
        }
    } else {
        Tables {
            srat: None,
            slit: None,
            hmat: None,
        }
    };
    let mut view = guest_view(
        &parsed.topology,
        &tables,
        usize::try_from(parsed.smp.cpus).unwrap_or(usize::MAX),
    );
    if tables.srat.is_none() {
        let ids = affinity_object_ids(args);
        if !ids.is_empty() {
            // QEMU's objects, as the command line names them, replace the
            // topology's labels.
            view.warnings
                .retain(|w| !matches!(w, GuestWarning::AffinitiesWithoutSrat { .. }));
            view.warnings.push(GuestWarning::AffinitiesWithoutSrat {
                labels: ids,
                cause: if parsed.acpi {
                    NoSratCause::NoNodeObjects
                } else {
                    NoSratCause::AcpiOff
                },
            });
        }
    }
    if parsed.topology.machine == MachineKind::Virt && tables.srat.is_some() {
        match edk2_firmware(args) {
            Some((firmware, edk2, Some(true))) => view.fall_back_to_one_node(
                &parsed.topology,
                GuestWarning::ArmVirtEdk2Fallback { firmware, edk2 },
            ),
            // An EDK2 known not to report its flash as RAM (2025.02 and later,
            // measured in Linux 6.12 guests): every node is kept, nothing to say.
            Some((_, _, Some(false))) => {}
            _ => view.warnings.push(GuestWarning::ArmVirtFirmware {
                firmware: has_firmware(args),
            }),
        }
    }
    let line_warnings = counter_id_warning(args, arch, version, &parsed)
        .into_iter()
        .chain(passthrough_devfn_warnings(&parsed))
        .collect();
    (
        warnings,
        Ok(QemuReport {
            parsed,
            tables,
            view,
            line_warnings,
        }),
    )
}

/// A passed-through device (`vfio-pci`) tied to nodes by generic initiators but
/// not at device 0 function 0: NVIDIA's guest driver (open-gpu-kernel-modules,
/// `nv-pci.c`, `find_gpu_numa_nodes_in_srat`) refuses the GI entries of a GPU
/// whose device/function is not 0, so such a GPU gets no memory nodes.
fn passthrough_devfn_warnings(parsed: &Parsed) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for g in &parsed.generic_initiators {
        if g.devfn == 0 || seen.contains(&g.pci_dev.as_str()) {
            continue;
        }
        seen.push(&g.pci_dev);
        let vfio = parsed
            .pci
            .find_device(&g.pci_dev)
            .and_then(|i| parsed.pci.devices.get(i))
            .is_some_and(|d| d.driver == "vfio-pci");
        if vfio {
            out.push(format!(
                "generic initiator device '{}' (vfio-pci) is at {:02x}:{:02x}.{:x}, not at device 0 function 0: \
                 if it is an NVIDIA GPU, the guest's NVIDIA driver ignores its generic initiator entries \
                 (\"non-zero device function is not supported\") and the GPU gets no memory nodes; put it at \
                 addr=00.0 behind its own pcie-root-port",
                g.pci_dev,
                g.bus,
                g.devfn >> 3,
                g.devfn & 7
            ));
        }
    }
    out
}

/// The number `N` of a GI id `gi<N>` as libvirt numbers them, if it is one.
fn libvirt_gi_number(id: &str) -> Option<u64> {
    let n = id.strip_prefix("gi")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0')))
        .then(|| n.parse().ok())
        .flatten()
}

/// `args` with every GI id `gi<N>` renumbered `gi<N+k>` (keyval and JSON
/// forms); the other arguments are borrowed (a long line is not copied).
fn shift_gi_ids<L: ArgList + ?Sized>(args: &L, k: u64) -> Replaced<'_, L> {
    let mut replaced = Vec::new();
    let mut prev_object = false;
    for (i, a) in args.words().enumerate() {
        let is_gi = prev_object && a.contains("acpi-generic-initiator");
        prev_object = a == "-object" || a == "--object";
        if !is_gi {
            continue;
        }
        let shifted = if a.starts_with('{') {
            shift_after(a, "\"id\":\"gi", k)
        } else {
            shift_after(a, "id=gi", k)
        };
        replaced.push((i, shifted));
    }
    Replaced {
        base: args,
        replaced,
    }
}

/// Replaces the number right after the first `marker` by itself + `k`.
fn shift_after(s: &str, marker: &str, k: u64) -> String {
    let Some(pos) = s.find(marker) else {
        return s.to_string();
    };
    let start = pos + marker.len();
    let tail = s.get(start..).unwrap_or_default();
    let len = tail.bytes().take_while(u8::is_ascii_digit).count();
    match tail.get(..len).and_then(|d| d.parse::<u64>().ok()) {
        Some(n) => format!(
            "{}{}{}",
            s.get(..start).unwrap_or_default(),
            n.saturating_add(k),
            tail.get(len..).unwrap_or_default()
        ),
        None => s.to_string(),
    }
}

/// libvirt numbers GI objects `gi0`, `gi1`, … from a daemon-wide counter (and
/// writes them in JSON syntax, which is how its lines are recognised), so the
/// next start of the same domain has other ids, and QEMU, which emits the GIs in
/// the hash order of the ids, another SRAT order. When every GI id is such a
/// number and the order for the next counter value (ids shifted by the number of
/// GIs, what libvirt gives the next conversion) differs, the warning names both.
fn counter_id_warning(
    args: &(impl ArgList + ?Sized),
    arch: Option<Arch>,
    version: QemuVersion,
    parsed: &Parsed,
) -> Option<String> {
    let gis = &parsed.generic_initiators;
    // libvirt (12.9) writes its GI objects in JSON syntax; hand-typed ids are
    // the user's own and stay put.
    let json_gi = args.words().zip(args.words().skip(1)).any(|(o, v)| {
        (o == "-object" || o == "--object")
            && v.starts_with('{')
            && v.contains("acpi-generic-initiator")
    });
    if !json_gi
        || gis.len() < 2
        || !gis
            .iter()
            .all(|g| libvirt_gi_number(&g.object_id).is_some())
    {
        return None;
    }
    let k = u64::try_from(gis.len()).unwrap_or(u64::MAX);
    let (_, next) = parse_versioned(&shift_gi_ids(args, k), arch, version);
    let next = next.ok()?;
    let nodes = |p: &Parsed| -> Vec<u32> { p.generic_initiators.iter().map(|g| g.node).collect() };
    let (now, then) = (nodes(parsed), nodes(&next));
    if now == then {
        return None;
    }
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let first = gis
        .iter()
        .filter_map(|g| libvirt_gi_number(&g.object_id))
        .min()
        .unwrap_or(0);
    Some(format!(
        "the generic initiator ids (gi{first}…) look numbered by libvirt's daemon-wide counter: \
         QEMU emits generic initiators in the hash order of their ids, so this line gives SRAT \
         order {} but the same domain started with the next ids (gi{}…) gives {}, and the guest's \
         node ids for these nodes change from start to start; pin them by giving the objects \
         fixed ids (<qemu:commandline> -object acpi-generic-initiator instead of <acpi nodeset>) \
         or by giving the guest a canonical SRAT (vnuma build --order canonical, then \
         -acpitable or the initrd table upgrade)",
        list(&now),
        first.saturating_add(k),
        list(&then)
    ))
}

fn layout(e: LayoutError) -> QemuReportError {
    QemuReportError::Layout(e.to_string())
}

impl QemuReport {
    /// The guest view's warnings in QEMU's terms ([`qemu_warning_text`]), then
    /// [`QemuReport::line_warnings`].
    pub fn warnings(&self) -> Vec<String> {
        (self.view.warnings.iter().map(qemu_warning_text))
            .chain(self.line_warnings.iter().cloned())
            .collect()
    }

    /// The guest view as text ([`GuestView::render_text`]), then one
    /// `warning: …` line per warning.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut s = self.view.render_text(verbose);
        for w in self.warnings() {
            s.push_str("warning: ");
            s.push_str(&w);
            s.push('\n');
        }
        s
    }

    /// The guest view as JSON, with the worded warnings under `warnings`.
    pub fn json_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut v = serde_json::to_value(&self.view)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("warnings".into(), serde_json::json!(self.warnings()));
            obj.insert(
                "qemu_version".into(),
                serde_json::json!(self.parsed.qemu_version),
            );
        }
        Ok(v)
    }
}

/// A guest warning worded for a QEMU command line (its options and objects).
pub fn qemu_warning_text(w: &GuestWarning) -> String {
    match w {
        GuestWarning::NodesRenumbered {
            moved,
            generic_initiators,
        } => renumbered_text(moved, generic_initiators),
        GuestWarning::NoLinuxNode {
            pxm,
            generic_port_only: true,
        } => format!("PXM {pxm} holds only a generic port: Linux creates no node for it"),
        GuestWarning::NoLinuxNode { pxm, .. } => {
            format!("PXM {pxm} has no CPU, memory or generic initiator: Linux creates no node for it")
        }
        GuestWarning::OfflineNode {
            node,
            pxm,
            kinds,
            hotplug_cpus,
        } => {
            let mut what: Vec<&str> = kinds
                .iter()
                .map(|k| match k.as_str() {
                    "hotplug" => "the memory hotplug region (-m …,slots=,maxmem=)",
                    "nvdimm" => "NVDIMMs",
                    "sgx-epc" => "SGX EPC",
                    other => other,
                })
                .collect();
            if *hotplug_cpus {
                what.push("CPUs past -smp cpus= (hot-pluggable)");
            }
            let what = if what.is_empty() {
                String::new()
            } else {
                format!(", only {}", what.join(" and "))
            };
            format!(
                "PXM {pxm} has no boot memory, no CPU present at boot and no generic initiator{what}: Linux numbers it node {node} but does not bring it online at boot (no /sys/devices/system/node/node{node}, not in numactl -H) until memory or a CPU is plugged into it"
            )
        }
        GuestWarning::SharedInitiatorNode {
            label,
            handle,
            pxm,
            cpus,
            memory,
        } => {
            let what = match (cpus, memory) {
                (true, true) => "CPUs and memory",
                (true, false) => "CPUs",
                _ => "memory",
            };
            format!(
                "generic initiator {label} puts device {handle} on PXM {pxm}, which also has {what}: the guest does not see a separate accelerator node"
            )
        }
        GuestWarning::AffinitiesWithoutSrat { labels, cause } => {
            let why = match cause {
                NoSratCause::NoNodes => "no NUMA nodes (-numa node), so no SRAT",
                NoSratCause::NoNodeObjects => {
                    "there are no NUMA nodes (-numa node), so QEMU builds no SRAT"
                }
                NoSratCause::AcpiOff => "ACPI is off (-machine acpi=off), so QEMU builds no tables",
            };
            format!(
                "{why}: the generic initiator/port objects ({}) are silently ignored",
                labels.join(", ")
            )
        }
        GuestWarning::ArmVirtFirmware { firmware: true } => "arm virt with firmware whose EDK2 version vnuma cannot read here: an EDK2 before 2025.02 (e.g. Debian bookworm's 2022.11) reports its 64 MiB flash at 0x04000000 as memory, the SRAT does not cover it, and Linux then falls back to a single node (\"NUMA: no nodes coverage\"); EDK2 2025.02 and later do not. With an older EDK2, give the guest an SRAT with a memory entry for that range (e.g. through the initrd table upgrade with a higher OEM revision) to keep the topology".to_string(),
        GuestWarning::ArmVirtEdk2Fallback { firmware, edk2 } => format!("arm virt with EDK2 {edk2} ({firmware}): this EDK2 reports its 64 MiB flash at 0x04000000 as memory, the SRAT does not cover it, and Linux falls back to a single node (\"NUMA: no nodes coverage\"), as shown; use EDK2 2025.02 or later, or give the guest an SRAT with a memory entry for that range (e.g. through the initrd table upgrade with a higher OEM revision) to keep the topology"),
        GuestWarning::ArmVirtFirmware { firmware: false } => "arm virt without firmware (-bios or pflash): the guest kernel boots from QEMU's device tree and does not read these ACPI tables".to_string(),
    }
}

/// The renumbering warning: which PXMs moved, and why.
fn renumbered_text(moved: &[(u32, u32)], generic_initiators: &[(String, u32)]) -> String {
    let moved: Vec<String> = moved
        .iter()
        .map(|(pxm, node)| format!("PXM {pxm} is Linux node {node}"))
        .collect();
    let why = if generic_initiators.len() > 1 {
        let gi_order: Vec<String> = generic_initiators
            .iter()
            .map(|(label, node)| format!("{label}→{node}"))
            .collect();
        format!(
            " (Linux numbers nodes in order of first appearance in the SRAT, CPUs and generic initiators first; QEMU emits generic initiators in its internal hash order: {})",
            gi_order.join(", ")
        )
    } else {
        " (Linux numbers nodes in order of first appearance in the SRAT: CPU and generic-initiator entries first, then memory)".to_string()
    };
    format!(
        "guest node ids differ from proximity domains: {}{why}",
        moved.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::machine::guest::tests::grace_hopper;

    #[test]
    fn gi_hash_order_renumbering_is_worded() {
        let t = grace_hopper();
        let tables = crate::machine::tables::build_tables(&t).unwrap();
        let v = guest_view(&t, &tables, t.cpus.len());
        let texts: Vec<String> = v.warnings.iter().map(qemu_warning_text).collect();
        assert!(
            texts.iter().any(|w| w.contains("PXM 7 is Linux node 2")),
            "{texts:?}"
        );
    }

    #[test]
    fn dropped_generic_initiators_are_worded() {
        let mut t = grace_hopper();
        t.nodes.clear();
        let tables = crate::machine::tables::build_tables(&t).unwrap();
        let v = guest_view(&t, &tables, t.cpus.len());
        let texts: Vec<String> = v.warnings.iter().map(qemu_warning_text).collect();
        assert!(
            texts
                .first()
                .is_some_and(|w| w.contains("silently ignored")),
            "{texts:?}"
        );
    }
}
