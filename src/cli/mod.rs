//! The command-line layer: argument parsing only; the work lives in the library.
//! Each subcommand has its own file with an `Args` struct and a `run` function.

pub mod build;
pub mod initrd;
pub mod verify;

use clap::{Parser, Subcommand};

pub mod encode;
pub mod inspect;
pub mod qemu;
pub mod qemu_dump;

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
}

/// Outcome of a command: the process exit code.
pub type ExitCode = i32;

/// Parses `std::env::args`, runs the command, prints errors (the whole chain)
/// and returns the exit status: 0 success, 1 any error (usage errors included).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // Bad arguments are bad input like any other: exit status 1.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            1
        }
    }
}

/// Prints an error and its causes as `vnuma: error: …` / `  caused by: …`.
pub fn report_error(e: &anyhow::Error) {
    eprintln!("vnuma: error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Encode(a) => encode::run(a),
        Command::Build(a) => build::run(a),
        Command::Initrd(a) => initrd::run(a),
        Command::Verify(a) => verify::run(a),
        Command::QemuDump(a) => qemu_dump::run(a),
        Command::Qemu(a) => qemu::run(a),
    }
}
