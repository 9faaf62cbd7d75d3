//! The command-line layer: argument parsing only; the work lives in the library.
//! Each subcommand has its own file with an `Args` struct and a `run` function.

use clap::{Parser, Subcommand};

pub mod qemu;

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
    /// The SRAT/SLIT/HMAT QEMU 10 builds for a command line, and the guest's view.
    #[command(long_about = qemu::LONG_ABOUT)]
    Qemu(qemu::Args),
}

/// Outcome of a command: the process exit code.
pub type ExitCode = i32;

/// Parses `std::env::args`, runs the command, prints errors (the whole chain)
/// and returns the exit status: 0 success, 1 error, 2 usage error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
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
        Command::Qemu(a) => qemu::run(a),
    }
}
