//! The `vnuma qemu` pipeline as a library call: a QEMU command line → the tables
//! QEMU 10.0.2 builds for it → what the Linux guest makes of them.

use serde::Serialize;

use super::error::QemuError;
use super::lexer;
use super::parse::{Arch, Parsed, parse_full};
use crate::machine::LayoutError;
use crate::machine::guest::{
    GuestView, arm_firmware_warning, dropped_affinity_warning, guest_view,
};
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
pub fn affinity_object_ids(args: &[String]) -> Vec<String> {
    let Ok(opts) = lexer::split_args(args) else {
        return Vec::new();
    };
    opts.iter()
        .filter(|o| o.name == "object")
        .filter_map(|o| {
            let kv = lexer::parse_keyval(o.arg.as_deref()?, Some("qom-type")).ok()?;
            let t = kv.get("qom-type")?;
            (t == "acpi-generic-initiator" || t == "acpi-generic-port")
                .then(|| kv.get("id").unwrap_or("").to_string())
        })
        .collect()
}

/// Whether the command line loads firmware (`-bios`, `-pflash`, `-drive if=pflash`).
pub fn has_firmware(args: &[String]) -> bool {
    let Ok(opts) = lexer::split_args(args) else {
        return false;
    };
    opts.iter().any(|o| match o.name.as_str() {
        "bios" | "pflash" => true,
        "drive" => o
            .arg
            .as_deref()
            .is_some_and(|a| lexer::parse_opts(a, None).get("if") == Some("pflash")),
        _ => false,
    })
}

/// Parses `args` (the QEMU options after the program name), builds the tables and
/// the guest view. Returns the warnings QEMU prints (also on failure, printed
/// before the error) and the outcome.
pub fn qemu_report(
    args: &[String],
    arch: Option<Arch>,
) -> (Vec<QemuError>, Result<QemuReport, QemuReportError>) {
    let (warnings, parsed) = parse_full(args, arch);
    let parsed = match parsed {
        Ok(p) => p,
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
    let mut view = guest_view(&parsed.topology, &tables);
    if tables.srat.is_none() {
        let ids = affinity_object_ids(args);
        if let Some(w) = dropped_affinity_warning(&ids, parsed.acpi) {
            view.warnings.retain(|x| !x.contains("silently ignored"));
            view.warnings.push(w);
        }
    }
    if parsed.topology.machine == MachineKind::Virt && tables.srat.is_some() {
        view.warnings.push(arm_firmware_warning(has_firmware(args)));
    }
    (
        warnings,
        Ok(QemuReport {
            parsed,
            tables,
            view,
        }),
    )
}

fn layout(e: LayoutError) -> QemuReportError {
    QemuReportError::Layout(e.to_string())
}
