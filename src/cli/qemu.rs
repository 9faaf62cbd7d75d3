//! `vnuma qemu`: the NUMA tables QEMU 10.0.2 builds for a command line, written as
//! files, and the guest's view of them.

use anyhow::Context;
use std::path::PathBuf;

use vnuma::front::qemu::parse::Arch;
use vnuma::front::qemu::report::{QemuReportError, qemu_report};

/// Long help of `vnuma qemu`.
pub const LONG_ABOUT: &str = "Compute the SRAT, SLIT and HMAT that QEMU 10.0.2 builds for a command line, \
byte for byte, without running QEMU.\n\n\
Give the QEMU options after `--`, e.g.\n  vnuma qemu -o out -- -machine q35 -smp 4,sockets=2 -m 1G ...\n\n\
With -o DIR the tables QEMU would build are written there as SRAT.dat, SLIT.dat and HMAT.dat \
(all or nothing; a table file QEMU would not build is removed from DIR). The guest's view is \
printed in the manner of `numactl -H`: each Linux node with its proximity domain, CPUs, memory \
and the PCI devices tied to it by Generic Initiator structures, the distance matrix, and \
warnings where the guest will see something probably not meant. --json prints the same view \
as JSON.\n\n\
Exit status: 0 on success; 1 when QEMU would reject the command line (QEMU's own message on \
stderr, with `vnuma` in place of the program name) or a file cannot be written.";

/// The QEMU binary whose behaviour is modelled.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchArg {
    /// qemu-system-x86_64 (machines pc, q35).
    #[value(name = "x86_64")]
    X86_64,
    /// qemu-system-aarch64 (machine virt).
    #[value(name = "aarch64")]
    Aarch64,
}

/// Arguments of `vnuma qemu`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which QEMU system emulator the options are for (default: from -machine,
    /// `virt` → aarch64, otherwise x86_64).
    #[arg(long, value_enum)]
    pub arch: Option<ArchArg>,
    /// Write SRAT.dat / SLIT.dat / HMAT.dat into this directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print the guest view as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also print each node's memory ranges and the options that do not shape the tables.
    #[arg(long)]
    pub verbose: bool,
    /// Read QEMU options from a file (one option and value per line, `#` comments),
    /// placed before any options given after `--`.
    #[arg(long, value_name = "FILE")]
    pub args_file: Option<PathBuf>,
    /// The QEMU command-line options (after `--`).
    #[arg(last = true, value_name = "QEMU-ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
}

/// Runs `vnuma qemu`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let arch = args.arch.map(|a| match a {
        ArchArg::X86_64 => Arch::X86_64,
        ArchArg::Aarch64 => Arch::Aarch64,
    });
    let mut qemu_args = Vec::new();
    if let Some(f) = &args.args_file {
        qemu_args = vnuma::live::dump::read_args_file(f)
            .with_context(|| format!("reading --args-file {}", f.display()))?;
    }
    qemu_args.extend(args.qemu_args.iter().cloned());
    let (warnings, report) = qemu_report(&qemu_args, arch);
    for w in &warnings {
        super::out::errln(w.render("vnuma"));
    }
    let report = match report {
        Ok(r) => r,
        Err(QemuReportError::Qemu(e)) => {
            super::out::errln(e.render("vnuma"));
            return Ok(1);
        }
        Err(e @ QemuReportError::Layout(_)) => {
            return Err(anyhow::anyhow!("cannot lay the topology out: {e}"));
        }
    };
    let files = report.tables.files();
    // Staged first, published after the view reached stdout.
    let staged = match &args.output {
        Some(dir) => Some(vnuma::fsutil::stage_dir(dir, &files)?),
        None => None,
    };
    let ignored = &report.parsed.ignored;
    if args.json {
        let mut v = report.json_value()?;
        if let (true, Some(obj)) = (args.verbose, v.as_object_mut()) {
            obj.insert("ignored_options".into(), serde_json::json!(ignored));
        }
        let mut s = serde_json::to_string_pretty(&v)?;
        s.push('\n');
        super::out::stdout(s)?;
    } else {
        let mut s = report.render_text(args.verbose);
        if args.verbose && !ignored.is_empty() {
            s.push_str("options that do not shape the NUMA tables (ignored):\n");
            for o in ignored {
                s.push_str(&format!("  {o}\n"));
            }
        }
        super::out::stdout(s)?;
    }
    if let (Some(staged), Some(dir)) = (staged, &args.output) {
        staged.commit()?;
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        if names.is_empty() {
            super::out::errln(format!(
                "vnuma: QEMU would build no NUMA tables; nothing written to {} (it holds no table file)",
                dir.display()
            ));
        } else {
            super::out::errln(format!(
                "vnuma: wrote {} to {}",
                names.join(", "),
                dir.display()
            ));
        }
    }
    Ok(0)
}
