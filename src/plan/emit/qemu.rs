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
            s.push_str(&crate::quote::shell(a));
            if a.starts_with('-')
                && let Some(v) = it.next_if(|v| !v.starts_with('-'))
            {
                s.push(' ');
                s.push_str(&crate::quote::shell(v));
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
    let arch = Arch::of_kind(plan.machine);
    (arch.program(), arch)
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

/// What to know about the native command line of `plan`, in words.
pub fn native_notes(plan: &GuestPlan, opts: &EmitOptions) -> Vec<String> {
    let mut n = Vec::new();
    if opts.stand_in {
        n.push("pci-testdev stands in for each GPU (--stand-in): the guest sees the planned nodes without the GPU".into());
    } else {
        n.push("each GPU must be bound to vfio-pci (Grace: nvgrace-gpu-vfio-pci) on the host; add your disks, network and firmware".into());
    }
    if plan.machine == crate::topology::MachineKind::Virt {
        n.push("virt: boot through EDK2 (-bios or pflash) for ACPI; EDK2 older than 2025.02 reports its variable-store flash as RAM and Linux then falls back to one node (use the initrd route: --emit topology, `vnuma initrd`)".into());
    }
    n
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::qemu::parse::parse_versioned;
    use crate::plan::{GuestGpu, GuestNode};
    use crate::topology::MachineKind;

    /// A plan with `cpu_nodes` CPU nodes and `gpus` GPUs of 8 nodes each.
    fn plan(cpu_nodes: u32, gpus: u32, machine: MachineKind, version: QemuVersion) -> GuestPlan {
        let mut nodes: Vec<GuestNode> = (0..cpu_nodes)
            .map(|i| GuestNode {
                node: i,
                host_node: i,
                cpus: vec![2 * i, 2 * i + 1],
                memory: 512 << 20,
                generic_initiator: None,
            })
            .collect();
        let mut gs = Vec::new();
        for g in 0..gpus {
            let host_bdf = PciHandleExt::bdf(0x8 + g);
            let ids: Vec<u32> = (0..8).map(|k| cpu_nodes + 8 * g + k).collect();
            for &id in &ids {
                nodes.push(GuestNode {
                    node: id,
                    host_node: id,
                    cpus: vec![],
                    memory: 0,
                    generic_initiator: Some(host_bdf),
                });
            }
            gs.push(GuestGpu {
                host_bdf,
                vendor: 0x10de,
                device: 0x2941,
                id: format!("gpu{g}"),
                nodes: ids,
                guest_bdf: crate::acpi::PciHandle::new(0, 0, 0, 0),
            });
        }
        let n = nodes.len();
        let distances = (0..n)
            .map(|i| (0..n).map(|j| if i == j { 10 } else { 20 }).collect())
            .collect();
        GuestPlan {
            machine,
            qemu_version: version,
            nodes,
            distances,
            gpus: gs,
            hmat: false,
        }
    }

    struct PciHandleExt;
    impl PciHandleExt {
        fn bdf(seg: u32) -> crate::acpi::PciHandle {
            crate::acpi::PciHandle::new(u16::try_from(seg).unwrap(), 1, 0, 0)
        }
    }

    /// The GI PXM order vnuma's QEMU front end predicts for `args`.
    fn predicted(args: &[String], arch: Arch, version: QemuVersion) -> Vec<u32> {
        let p = parse_versioned(args, Some(arch), version).1.unwrap();
        p.topology
            .generic_initiators
            .iter()
            .map(|g| g.node)
            .collect()
    }

    #[test]
    fn parse_of_the_emitted_line_predicts_ascending_gi_order() {
        for (machine, arch) in [
            (MachineKind::Q35, Arch::X86_64),
            (MachineKind::Virt, Arch::Aarch64),
        ] {
            for (cpus, gpus) in [(1, 1), (2, 2), (2, 4), (1, 7)] {
                for version in QemuVersion::ALL {
                    for nodefaults in [false, true] {
                        let p = plan(cpus, gpus, machine, version);
                        let o = EmitOptions {
                            nodefaults,
                            stand_in: true,
                        };
                        let c = emit_qemu(&p, &o).unwrap();
                        assert_eq!(
                            c.args.first().is_some_and(|a| a == "-nodefaults"),
                            nodefaults
                        );
                        let want: Vec<u32> = (cpus..cpus + 8 * gpus).collect();
                        assert_eq!(
                            predicted(&c.args, arch, version),
                            want,
                            "{machine:?} {cpus}+{gpus} {version} nodefaults={nodefaults}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn plain_ids_are_not_ascending() {
        // What the ids are for: `gi0..gi7` for nodes 2..9 come out as 7,6,5,4,3,9,2,8
        // (qemu-numa-spec.md §4.6, measured).
        let p = plan(2, 1, MachineKind::Q35, QemuVersion::V10_0);
        let c = emit_qemu(&p, &EmitOptions::default()).unwrap();
        let mut k = 0;
        let plain: Vec<String> = c
            .args
            .iter()
            .map(|a| {
                if a.starts_with("acpi-generic-initiator,id=") {
                    let rest = a.split_once(",pci-dev=").map(|x| x.1).unwrap_or_default();
                    k += 1;
                    format!("acpi-generic-initiator,id=gi{},pci-dev={rest}", k - 1)
                } else {
                    a.replace("ram-node", "m")
                }
            })
            .collect();
        assert_eq!(
            predicted(&plain, Arch::X86_64, QemuVersion::V10_0),
            [7, 6, 5, 4, 3, 9, 2, 8]
        );
    }

    #[test]
    fn shell_quoting_and_escaping() {
        assert_eq!(
            crate::quote::shell("node,nodeid=0,cpus=0-1"),
            "node,nodeid=0,cpus=0-1"
        );
        assert_eq!(crate::quote::shell("file=/a b/x"), "'file=/a b/x'");
        assert_eq!(crate::quote::shell("it's"), "'it'\\''s'");
        assert_eq!(crate::quote::shell(""), "''");
        assert_eq!(crate::quote::qemu_value("/a,b/SRAT.dat"), "/a,,b/SRAT.dat");
        let c = QemuCommand {
            program: "qemu-system-x86_64",
            args: vec![
                "-nodefaults".into(),
                "-acpitable".into(),
                "file=/a b,,c".into(),
            ],
        };
        assert_eq!(
            c.shell(),
            "qemu-system-x86_64 \\\n    -nodefaults \\\n    -acpitable 'file=/a b,,c'"
        );
        assert_eq!(c.args_file(), "-nodefaults\n-acpitable file=/a b,,c\n");
        // The shell's words are the argv.
        let words = crate::live::args::shell_words(&c.shell().replace("\\\n", " ")).unwrap();
        assert_eq!(words[1..], c.args[..]);
    }

    #[test]
    fn nodefaults_11_1_has_the_objects_of_10_0() {
        // With -nodefaults QEMU 11.1 has no default monitor object: the same
        // /objects keys as 10.0, so the same ids (facts: "In QEMU 10.0.2
        // -nodefaults makes no difference to these tables").
        for gpus in 1..=4 {
            let p = plan(2, gpus, MachineKind::Q35, QemuVersion::V10_0);
            assert_eq!(
                gi_ids(&p, QemuVersion::V10_0, false).unwrap(),
                gi_ids(&p, QemuVersion::V11_1, true).unwrap()
            );
            assert_eq!(
                gi_ids(&p, QemuVersion::V10_0, false).unwrap(),
                gi_ids(&p, QemuVersion::V10_0, true).unwrap()
            );
        }
    }
}
