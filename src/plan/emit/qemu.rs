//! `--emit qemu` (QEMU ≥ 9 native options) and `--emit qemu-legacy` (QEMU < 9:
//! the tables built and injected with `-acpitable`, or the Linux initrd route).
//!
//! The native options come from [`crate::build::qemu_native_args_with`] on the
//! plan's topology file, with memory backends named `ram-nodeN` (as libvirt
//! names them) and Generic Initiator ids chosen by [`crate::plan::ids::stable_ids`]
//! so that QEMU (of the plan's version, with or without `-nodefaults`) emits the
//! SRAT GI entries in ascending proximity domain: guest node id = PXM on every
//! boot. The emitted line is checked with vnuma's own model of that QEMU
//! ([`crate::front::qemu::report::qemu_report_versioned`]) before it is returned.

use std::path::Path;

use crate::acpi::{Srat, SratEntry};
use crate::build::{Order, build_output_for, qemu_native_args_with};
use crate::front::qemu::Arch;
use crate::front::qemu::report::{QemuReportError, qemu_report_versioned};
use crate::front::qemu::version::QemuVersion;
use crate::plan::GuestPlan;
use crate::plan::emit::topology::topology_file;
use crate::plan::emit::{EmitError, EmitOptions};
use crate::plan::ids::{Key, stable_ids};

/// A QEMU command line: the program and its arguments (argv, unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuCommand {
    /// `qemu-system-x86_64` or `qemu-system-aarch64`.
    pub program: &'static str,
    /// The arguments, one argv element each (`-numa`, `node,nodeid=0,…`).
    pub args: Vec<String>,
}

impl QemuCommand {
    /// The command for a shell: program and arguments, each quoted where a POSIX
    /// shell would otherwise split or expand it, one option per line.
    pub fn shell(&self) -> String {
        let mut s = String::from(self.program);
        let mut it = self.args.iter().peekable();
        while let Some(a) = it.next() {
            s.push_str(" \\\n    ");
            s.push_str(&shell_quote(a));
            if a.starts_with('-')
                && let Some(v) = it.next_if(|v| !v.starts_with('-'))
            {
                s.push(' ');
                s.push_str(&shell_quote(v));
            }
        }
        s
    }

    /// The arguments as `vnuma build`'s argument files hold them: one option and
    /// its value per line.
    pub fn args_file(&self) -> String {
        let mut s = String::new();
        let mut it = self.args.iter().peekable();
        while let Some(a) = it.next() {
            s.push_str(a);
            if a.starts_with('-')
                && let Some(v) = it.next_if(|v| !v.starts_with('-'))
            {
                s.push(' ');
                s.push_str(v);
            }
            s.push('\n');
        }
        s
    }
}

/// `v` quoted for a POSIX shell (as is when it holds only safe characters).
pub fn shell_quote(v: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.,:=/+@%".contains(c);
    if !v.is_empty() && v.chars().all(safe) {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// `-opt value` elements (as `vnuma build` makes them) → argv.
fn argv(elements: &[String]) -> Vec<String> {
    let mut v = Vec::with_capacity(elements.len() * 2);
    for e in elements {
        match e.split_once(' ') {
            Some((o, val)) => {
                v.push(o.to_string());
                v.push(val.to_string());
            }
            None => v.push(e.clone()),
        }
    }
    v
}

fn program(plan: &GuestPlan) -> (&'static str, Arch) {
    if plan.machine.is_x86() {
        ("qemu-system-x86_64", Arch::X86_64)
    } else {
        ("qemu-system-aarch64", Arch::Aarch64)
    }
}

/// The memory backend id of guest node `n`.
pub fn memdev_id(n: usize) -> String {
    format!("ram-node{n}")
}

/// The GI object ids for the plan's GI nodes (ascending node, one per node),
/// whose GLib hash order in QEMU `version`'s `/objects` (with or without
/// `-nodefaults`) is ascending: ids `giN` where that works, else `giN-K`.
pub fn gi_ids(
    plan: &GuestPlan,
    version: QemuVersion,
    nodefaults: bool,
) -> Result<Vec<String>, EmitError> {
    let gi_nodes: Vec<u32> = plan.gpus.iter().flat_map(|g| g.nodes.clone()).collect();
    // /objects insertion order: GI objects (command-line order), memory backends, monitors.
    let mut keys: Vec<Key> = (0..gi_nodes.len()).map(Key::Chosen).collect();
    keys.extend(
        plan.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.memory > 0)
            .map(|(i, _)| Key::Fixed(memdev_id(i))),
    );
    keys.extend(
        version
            .profile()
            .monitor_object_ids(0, false, nodefaults)
            .into_iter()
            .map(Key::Fixed),
    );
    let name = |r: usize, k: usize| {
        let n = gi_nodes.get(r).copied().unwrap_or(0);
        if k == 0 {
            format!("gi{n}")
        } else {
            format!("gi{n}-{k}")
        }
    };
    stable_ids(&keys, name).ok_or_else(|| EmitError::NoStableIds {
        version: version.to_string(),
    })
}

/// The PXMs of the SRAT's GI entries, in table order.
pub fn gi_order(srat: &Srat) -> Vec<u32> {
    srat.entries
        .iter()
        .filter_map(|e| match e {
            SratEntry::GenericInitiator(g) => Some(g.proximity_domain),
            _ => None,
        })
        .collect()
}

/// QEMU ≥ 9 native options for the plan (its QEMU version, `-nodefaults` as
/// `opts` says), checked with vnuma's model of that QEMU: accepted, and the GI
/// entries in ascending PXM order.
pub fn emit_qemu(plan: &GuestPlan, opts: &EmitOptions) -> Result<QemuCommand, EmitError> {
    let f = topology_file(plan, opts)?;
    let ids = gi_ids(plan, plan.qemu_version, opts.nodefaults)?;
    let elements =
        qemu_native_args_with(&f, memdev_id, |k| ids.get(k).cloned().unwrap_or_default());
    let mut args = Vec::new();
    if opts.nodefaults {
        args.push("-nodefaults".to_string());
    }
    args.extend(argv(&elements));
    let (program, arch) = program(plan);
    let version = plan.qemu_version;
    match qemu_report_versioned(&args, Some(arch), version).1 {
        Err(QemuReportError::Qemu(e)) => Err(EmitError::QemuRefuses {
            version: version.to_string(),
            message: e.render(program),
        }),
        Err(QemuReportError::Layout(message)) => Err(EmitError::QemuRefuses {
            version: version.to_string(),
            message,
        }),
        Ok(r) => {
            let order = r.tables.srat.as_ref().map(gi_order).unwrap_or_default();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            if order != sorted {
                return Err(EmitError::Unstable {
                    version: version.to_string(),
                    order,
                });
            }
            Ok(QemuCommand { program, args })
        }
    }
}

/// What `--emit qemu-legacy` writes and prints.
#[derive(Debug, Clone)]
pub struct LegacyOutput {
    /// Files for the output directory (`vnuma build`'s set: the tables, in
    /// ascending GI order, and the argument files).
    pub files: Vec<(String, Vec<u8>)>,
    /// x86: the VM without `-numa` plus `-acpitable file=DIR/…` (`None` on arm).
    pub acpitable: Option<QemuCommand>,
    /// The VM without `-numa`, for the Linux initrd table upgrade (`vnuma initrd`).
    pub initrd: QemuCommand,
    /// What to know about the command lines.
    pub notes: Vec<String>,
}

/// QEMU < 9 (no Generic Initiator objects): the plan's tables (canonical order:
/// guest node id = PXM) and the command lines that inject them, for the table
/// files in `dir`.
pub fn emit_qemu_legacy(
    plan: &GuestPlan,
    opts: &EmitOptions,
    dir: &Path,
) -> Result<LegacyOutput, EmitError> {
    let f = topology_file(plan, opts)?;
    let out = build_output_for(&f, Order::Canonical, plan.qemu_version, dir)?;
    let (program, _) = program(plan);
    let with_defaults = |elements: &[String]| {
        let mut args = Vec::new();
        if opts.nodefaults {
            args.push("-nodefaults".to_string());
        }
        args.extend(argv(elements));
        QemuCommand { program, args }
    };
    let mut notes = Vec::new();
    notes.extend(out.notes.acpitable_warnings.iter().cloned());
    notes.extend(out.notes.acpitable_notes.iter().cloned());
    if let Some(n) = &out.notes.no_acpitable {
        notes.push(n.clone());
    }
    notes.push(format!(
        "initrd route (x86 and arm64): `vnuma initrd` writes kernel/firmware/acpi/*.aml from the topology \
         (`vnuma plan --emit topology`); prepend it to the initramfs and boot the VM without -numa \
         ({}/qemu-initrd.args){}",
        dir.display(),
        out.notes
            .initrd_boot
            .as_ref()
            .map_or(String::new(), |b| format!(", {b}"))
    ));
    Ok(LegacyOutput {
        files: out.files.clone(),
        acpitable: out.acpitable.as_deref().map(with_defaults),
        initrd: with_defaults(&out.initrd),
        notes,
    })
}
