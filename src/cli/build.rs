//! `vnuma build TOPOLOGY -o DIR`: the tables and the VMM arguments.

use std::path::PathBuf;

use crate::build::{
    Order, native_gaps, plan_tables, qemu_acpitable_args, qemu_native_args, qemu_plain_args,
};
use crate::topology::file;

/// Build SRAT/SLIT/HMAT from a topology file and print the VMM arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file (TOML, see docs/topology.md).
    pub topology: PathBuf,
    /// Output directory for SRAT.dat, SLIT.dat, HMAT.dat and the argument files.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Generic initiator order: canonical (ascending node = Linux node ids equal
    /// proximity domains) or qemu (what QEMU 10 emits for the printed native options).
    #[arg(long, value_enum, default_value_t = Order::Canonical)]
    pub order: Order,
}

fn shell_lines(bin: &str, args: &[String]) -> String {
    let mut s = String::from(bin);
    for a in args {
        s.push_str(" \\\n    ");
        s.push_str(a);
    }
    s
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let f = file::load(&args.topology)?;
    let tables = plan_tables(&f, args.order)?;
    let mut files = tables.files();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let native = qemu_native_args(&f);
    let bin = if f.topology.machine.is_x86() {
        "qemu-system-x86_64"
    } else {
        "qemu-system-aarch64"
    };
    let gaps = native_gaps(&f);
    let inject = qemu_acpitable_args(&f, &args.output, &names);
    let plain = qemu_plain_args(&f);
    files.push((
        "qemu-native.args".into(),
        (native.join("\n") + "\n").into_bytes(),
    ));
    files.push((
        "qemu-initrd.args".into(),
        (plain.join("\n") + "\n").into_bytes(),
    ));
    if let Some(a) = &inject {
        files.push((
            "qemu-acpitable.args".into(),
            (a.join("\n") + "\n").into_bytes(),
        ));
    }
    crate::fsutil::write_files_atomic(&args.output, &files)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.output.display()))?;
    for (name, data) in &files {
        println!(
            "wrote {} ({} bytes)",
            args.output.join(name).display(),
            data.len()
        );
    }
    println!();
    println!(
        "# QEMU >= 9.0, native options ({}/qemu-native.args):",
        args.output.display()
    );
    if gaps.is_empty() {
        println!("{}", shell_lines(bin, &native));
    } else {
        println!("# not expressible natively (use the injected tables):");
        for g in &gaps {
            println!("#   {g}");
        }
        println!("{}", shell_lines(bin, &native));
    }
    println!();
    match inject {
        Some(a) => {
            println!("# any x86 QEMU: the same VM without -numa, tables injected:");
            if f.topology
                .memory
                .max_ram
                .is_some_and(|m| m > f.topology.memory.ram_size)
            {
                println!(
                    "# warning: maxmem > memory makes QEMU build its own SRAT, which Linux then uses"
                );
            }
            println!("{}", shell_lines(bin, &a));
        }
        None => println!(
            "# {}: no -acpitable on this target; use `vnuma initrd` (Linux initrd table upgrade)",
            f.topology.machine.name()
        ),
    }
    println!();
    println!(
        "# Linux initrd table upgrade (`vnuma initrd`, prepended to the initramfs): the VM \
         without -numa ({}/qemu-initrd.args){}:",
        args.output.display(),
        if f.firmware_flash.is_some() {
            ", booted through EDK2 (AAVMF)"
        } else {
            ""
        }
    );
    println!("{}", shell_lines(bin, &plain));
    Ok(0)
}
