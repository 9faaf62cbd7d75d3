//! `vnuma qemu-dump`: run the installed QEMU and save the ACPI tables it builds.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::live::dump::{Arch, DumpError, DumpRequest, dump, read_args_file};

/// Run QEMU (without booting a guest) and write the SRAT/SLIT/HMAT it builds.
///
/// The tables are exactly what the guest sees: PCI bridges are numbered as
/// firmware does before the tables are read, and checksums are filled in.
/// When QEMU rejects the command line, its error passes through unchanged and
/// vnuma exits with QEMU's exit status.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  vnuma qemu-dump -o tables -- -machine q35 -m 1G \\\n      -object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0"
)]
pub struct Args {
    /// QEMU binary (default: qemu-system-x86_64, or qemu-system-aarch64 for `virt`).
    #[arg(long, value_name = "BIN")]
    pub qemu: Option<PathBuf>,
    /// Target (default: from -machine/-M in the QEMU arguments).
    #[arg(long, value_name = "x86_64|aarch64", value_parser = parse_arch)]
    pub arch: Option<Arch>,
    /// Write every table QEMU built, not only SRAT, SLIT and HMAT.
    #[arg(long)]
    pub all: bool,
    /// Output directory (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
    /// Read QEMU arguments from a file (one option and value per line, `#` comments),
    /// placed before any arguments given after `--`.
    #[arg(long, value_name = "FILE")]
    pub args_file: Option<PathBuf>,
    /// Seconds QEMU may take before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub timeout: u64,
    /// QEMU arguments, after `--`.
    #[arg(last = true, value_name = "QEMU-ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
}

fn parse_arch(s: &str) -> Result<Arch, String> {
    s.parse()
        .map_err(|e: crate::front::qemu::UnknownArch| e.to_string())
}

/// Runs the command; returns the process exit status.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut qemu_args = Vec::new();
    if let Some(f) = &args.args_file {
        qemu_args =
            read_args_file(f).with_context(|| format!("reading --args-file {}", f.display()))?;
    }
    qemu_args.extend(args.qemu_args.iter().cloned());
    if qemu_args.is_empty() {
        anyhow::bail!("no QEMU arguments given (put them after `--`, or use --args-file)");
    }
    let req = DumpRequest {
        qemu: args.qemu.clone(),
        arch: args.arch,
        args: qemu_args,
        timeout: Duration::from_secs(args.timeout),
    };
    let d = match dump(&req) {
        Ok(d) => d,
        Err(DumpError::Rejected { status, stderr }) => {
            eprint!("{stderr}");
            return Ok(if status == 0 { 1 } else { status });
        }
        Err(e) => return Err(e.into()),
    };
    let files: Vec<(String, Vec<u8>)> = if args.all {
        d.files()
            .into_iter()
            .map(|(n, b)| (n, b.to_vec()))
            .collect()
    } else {
        d.numa_tables()
            .into_iter()
            .map(|(s, b)| (format!("{s}.dat"), b.to_vec()))
            .collect()
    };
    if files.is_empty() {
        println!(
            "QEMU built no SRAT, SLIT or HMAT (the machine has no NUMA nodes); nothing written"
        );
        return Ok(0);
    }
    crate::fsutil::write_files_atomic(&args.output, &files)
        .with_context(|| format!("writing tables to {}", args.output.display()))?;
    for (name, bytes) in &files {
        println!(
            "{} ({} bytes)",
            args.output.join(name).display(),
            bytes.len()
        );
    }
    Ok(0)
}
