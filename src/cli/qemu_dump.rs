//! `vnuma qemu-dump`: run the installed QEMU and save the ACPI tables it builds.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use vnuma::live::dump::{Arch, DumpError, DumpRequest, dump, read_args_file};

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
    #[arg(long, value_name = "x86_64|aarch64")]
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
            super::out::err(stderr);
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
        super::out::stdout(
            "QEMU built no SRAT, SLIT or HMAT (the machine has no NUMA nodes); nothing written\n",
        )?;
        return Ok(0);
    }
    let staged = vnuma::fsutil::stage_dir(&args.output, &files)?;
    let mut s = String::new();
    for (name, bytes) in &files {
        s.push_str(&format!(
            "{} ({} bytes)\n",
            args.output.join(name).display(),
            bytes.len()
        ));
    }
    super::out::stdout(s)?;
    staged.commit()?;
    Ok(0)
}
