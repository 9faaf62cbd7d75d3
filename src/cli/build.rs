//! `vnuma build TOPOLOGY -o DIR`: the tables and the VMM arguments.

use std::path::PathBuf;

use vnuma::build::{Order, build_output_for};
use vnuma::front::file;

use super::out::outln;

/// Long help of `vnuma build`.
pub const LONG_ABOUT: &str = "Build SRAT, SLIT and HMAT from a topology file (TOML, docs/topology.md) \
and print the QEMU arguments that give a guest those tables.\n\n\
The file is resolved with QEMU 10's own machine code (the code `vnuma qemu` uses): CPU topology \
and x86 APIC ids, the default CPU-to-node mapping, PCI slots (QEMU's default devices first) and \
the bus numbers firmware assigns, so a device behind bridges needs no `bdf` (a `bdf` given for a \
device with a driver must agree). The tables are laid out on the machine profile's real memory \
map; a topology whose tables would not describe the VM's real RAM (a RAM size QEMU rounds up to \
8 KiB, a node boundary inside the x86 640 KiB-1 MiB hole) is refused.\n\n\
Written into DIR, all or nothing: SRAT.dat, SLIT.dat, HMAT.dat (those the topology has), \
qemu-native.args (QEMU >= 9.0: -numa, -object acpi-generic-initiator/acpi-generic-port) and, on \
x86, qemu-acpitable.args (the same VM without -numa plus -acpitable file=DIR/...), one option \
and its value per line. Both command lines are printed, with what the native options cannot \
express (ACPI-handle generic initiators, devices without driver, OEM revision != 1).\n\n\
--order canonical (default) emits Generic Initiator/Port entries by ascending proximity \
domain, so Linux node ids equal proximity domains. --order qemu emits them in the order QEMU 10 \
uses for the printed native options: the tables are then byte-identical to what QEMU builds for \
qemu-native.args; it is refused when the native options cannot express the topology. Nothing \
else depends on --order.\n\n\
Exit status: 0 on success; 1 on an invalid topology file (the message names file, line, column \
and key), a topology the tables cannot describe, or a file that cannot be written.";

/// Build SRAT/SLIT/HMAT from a topology file and print the VMM arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file (TOML, see docs/topology.md).
    pub topology: PathBuf,
    /// Output directory for SRAT.dat, SLIT.dat, HMAT.dat and the argument files.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Generic initiator/port order: canonical (ascending proximity domain, so Linux
    /// node ids equal proximity domains) or qemu (what QEMU 10 emits for the printed
    /// native options: the tables equal QEMU's byte for byte).
    #[arg(long, value_enum, default_value_t = Order::Canonical)]
    pub order: Order,
    /// Whose GI order --order qemu follows: 10.0, 11.1 (its default monitor is a
    /// QOM object and moves the order for some id sets), or auto (the
    /// qemu-system-* on PATH if modelled, else the newest).
    #[arg(long, value_enum, default_value = "auto")]
    pub qemu_version: super::qemu::QemuVersionArg,
}

fn shell_lines(bin: &str, args: &[String]) -> String {
    let mut s = String::from(bin);
    for a in args {
        s.push_str(" \\\n    ");
        // `-opt value`: each word quoted for the shell (a path with a space).
        match a.split_once(' ') {
            Some((o, v)) => {
                s.push_str(&vnuma::quote::shell(o));
                s.push(' ');
                s.push_str(&vnuma::quote::shell(v));
            }
            None => s.push_str(&vnuma::quote::shell(a)),
        }
    }
    s
}

/// Runs the command: the set is staged, the report written to stdout, and only
/// then the set published (a closed or full stdout publishes nothing).
pub fn run(args: Args) -> anyhow::Result<i32> {
    let f = file::load(&args.topology)?;
    let program = vnuma::front::qemu::Arch::of_kind(f.topology.machine).program();
    let (version, _) = args.qemu_version.resolve(program);
    let out = build_output_for(&f, args.order, version, &args.output)?;
    let files = &out.files;
    let staged = vnuma::fsutil::stage_dir(&args.output, files)?;
    let (bin, native, gaps, plain) = (out.program, &out.native, &out.gaps, &out.initrd);
    let mut s = String::new();
    for (name, data) in files {
        outln!(
            s,
            "wrote {} ({} bytes)",
            args.output.join(name).display(),
            data.len()
        );
    }
    outln!(s);
    outln!(
        s,
        "# QEMU >= 9.0, native options ({}/qemu-native.args){}:",
        args.output.display(),
        if args.order == Order::Qemu {
            format!(", GI order of QEMU {version}")
        } else {
            String::new()
        }
    );
    if !gaps.is_empty() {
        outln!(s, "# not expressible natively (use the injected tables):");
        for g in gaps {
            outln!(s, "#   {g}");
        }
    }
    outln!(s, "{}", shell_lines(bin, native));
    outln!(s);
    let notes = &out.notes;
    if let Some(a) = &out.acpitable {
        outln!(
            s,
            "# any x86 QEMU: the same VM without -numa, tables injected:"
        );
        for w in &notes.acpitable_warnings {
            outln!(s, "# warning: {w}");
        }
        outln!(s, "{}", shell_lines(bin, a));
        for n in &notes.acpitable_notes {
            outln!(s, "# note: {n}");
        }
    }
    if let Some(n) = &notes.no_acpitable {
        outln!(s, "# {n}");
    }
    outln!(s);
    outln!(
        s,
        "# Linux initrd table upgrade (`vnuma initrd`, prepended to the initramfs): the VM \
         without -numa ({}/qemu-initrd.args){}:",
        args.output.display(),
        notes
            .initrd_boot
            .as_ref()
            .map_or(String::new(), |b| format!(", {b}"))
    );
    outln!(s, "{}", shell_lines(bin, plain));
    super::out::stdout(s)?;
    staged.commit()?;
    Ok(0)
}
