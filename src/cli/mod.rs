//! The command-line layer: argument definitions and calls into the library.
//! Each subcommand has its own file with an `Args` struct and a `run` function.

mod build;
mod encode;
mod initrd;
mod inspect;
pub mod out;
mod plan;
mod qemu;
mod qemu_dump;
mod verify;

use clap::{Parser, Subcommand};

/// Virtual NUMA topologies with accelerators: ACPI SRAT/SLIT/HMAT tools.
#[derive(Parser, Debug)]
#[command(name = "vnuma", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// vnuma's subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Decode SRAT/SLIT/HMAT, check them and show the Linux node of each proximity domain.
    #[command(long_about = inspect::LONG_ABOUT)]
    Inspect(inspect::Args),
    /// Write binary tables from the JSON of `vnuma inspect --json`.
    #[command(long_about = encode::LONG_ABOUT)]
    Encode(encode::Args),
    /// Build SRAT/SLIT/HMAT from a topology file and print the VMM arguments.
    #[command(long_about = build::LONG_ABOUT)]
    Build(build::Args),
    /// Write a Linux initrd table-upgrade cpio (kernel/firmware/acpi/*.aml).
    Initrd(initrd::Args),
    /// Inside a guest: compare Linux's NUMA view and tables with a topology file.
    Verify(verify::Args),
    /// Run QEMU without booting a guest and save the ACPI tables it builds.
    QemuDump(qemu_dump::Args),
    /// The SRAT/SLIT/HMAT QEMU 10 builds for a command line, and the guest's view.
    #[command(long_about = qemu::LONG_ABOUT)]
    Qemu(qemu::Args),
    /// The host's NUMA nodes and GPUs; with --gpu a guest with stable GPU nodes.
    #[command(long_about = plan::LONG_ABOUT)]
    Plan(plan::Args),
}

/// Outcome of a command: the process exit code.
pub type ExitCode = i32;

/// Runs the command; an error is printed by `main`.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Encode(a) => encode::run(a),
        Command::Build(a) => build::run(a),
        Command::Initrd(a) => initrd::run(a),
        Command::Verify(a) => verify::run(a),
        Command::QemuDump(a) => qemu_dump::run(a),
        Command::Qemu(a) => qemu::run(a),
        Command::Plan(a) => plan::run(a),
    }
}
