//! `vnuma qemu`: the NUMA tables QEMU (10.0 or 11.1 rules) builds for a command
//! line, written as files, and the guest's view of them.

use anyhow::Context;
use std::path::PathBuf;

use vnuma::front::qemu::parse::Arch;
use vnuma::front::qemu::report::{QemuReportError, qemu_report_versioned};
use vnuma::front::qemu::version::{QemuVersion, VersionSource, detect};

/// Long help of `vnuma qemu`.
pub const LONG_ABOUT: &str = "Compute the SRAT, SLIT and HMAT that QEMU builds for a command line, \
byte for byte, without running QEMU.\n\n\
--qemu-version chooses whose rules: 10.0 (measured 10.0.2), 11.1 (measured 11.1.3) or auto (the \
qemu-system-* on PATH if it is one of these, else 11.1); the version used is printed. They differ \
in the Generic Initiator order without -nodefaults (QEMU 11.1's default monitor is a QOM object) \
and in the wording of JSON syntax errors.\n\n\
The command line may come from --args-file (one option and its value per line) or \
--libvirt-log (the last command line libvirt wrote into /var/log/libvirt/qemu/NAME.log); both \
refuse files over 64 MiB and anything but regular files. -object and -device accept QEMU's JSON \
syntax as libvirt writes it.\n\n\
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

/// Which QEMU version's rules to apply.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QemuVersionArg {
    /// QEMU 10.0 (measured: 10.0.2).
    #[value(name = "10.0")]
    V10_0,
    /// QEMU 11.1 (measured: 11.1.3).
    #[value(name = "11.1")]
    V11_1,
    /// The version of the qemu-system-* on PATH if vnuma models it, else the newest.
    Auto,
}

impl QemuVersionArg {
    /// The version to model (running `program --version` for `auto`).
    pub fn resolve(self, program: &str) -> (QemuVersion, VersionSource) {
        match self {
            QemuVersionArg::V10_0 => (QemuVersion::V10_0, VersionSource::Given),
            QemuVersionArg::V11_1 => (QemuVersion::V11_1, VersionSource::Given),
            QemuVersionArg::Auto => detect(program),
        }
    }
}

/// How the chosen version is described to the user.
fn version_note(v: QemuVersion, src: &VersionSource, program: &str) -> String {
    match src {
        VersionSource::Given => format!("QEMU {v} rules (--qemu-version {v})"),
        VersionSource::Detected(l) => format!("QEMU {v} rules ({program} on PATH: {l})"),
        VersionSource::Fallback(Some(l)) => format!(
            "QEMU {v} rules ({program} on PATH is not a modelled version: {l}; using the newest)"
        ),
        VersionSource::Fallback(None) => {
            format!("QEMU {v} rules (no {program} on PATH; using the newest modelled version)")
        }
    }
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
    /// Read the QEMU command line from a libvirt per-domain log
    /// (/var/log/libvirt/qemu/NAME.log): its last `VAR=value … qemu-system-… ARGS`
    /// line, split like a shell; placed before any options given after `--`.
    #[arg(long, value_name = "FILE", conflicts_with = "args_file")]
    pub libvirt_log: Option<PathBuf>,
    /// Which QEMU version's rules to apply: 10.0, 11.1, or auto (the
    /// qemu-system-* on PATH if modelled, else the newest). The version used is
    /// printed (after the text view, before --verbose's ignored options; `qemu_version` in JSON).
    #[arg(long, value_enum, default_value = "auto")]
    pub qemu_version: QemuVersionArg,
    /// The QEMU command-line options (after `--`).
    #[arg(last = true, value_name = "QEMU-ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
}

/// Runs `vnuma qemu`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut arch = args.arch.map(|a| match a {
        ArchArg::X86_64 => Arch::X86_64,
        ArchArg::Aarch64 => Arch::Aarch64,
    });
    // The arguments are offsets into the file's text (a large file costs its
    // bytes plus 4 bytes a word, not a String or a `&str` per word).
    let mut file_text = String::new();
    if let Some(f) = &args.args_file {
        file_text = vnuma::live::args::read_args_text(f)
            .with_context(|| format!("reading --args-file {}", f.display()))?;
    }
    let mut logged = Vec::new();
    if let Some(f) = &args.libvirt_log {
        let cmd = vnuma::live::args::read_libvirt_log(f)
            .with_context(|| format!("reading --libvirt-log {}", f.display()))?;
        if arch.is_none() {
            arch = binary_arch(&cmd.binary);
        }
        super::out::errln(format!(
            "vnuma: {}:{}: {} with {} arguments",
            f.display(),
            cmd.line,
            cmd.binary,
            cmd.args.len()
        ));
        logged = cmd.args;
    }
    let mut qemu_args = vnuma::live::dump::args_file_list(&file_text);
    qemu_args.extend(logged.iter().map(String::as_str));
    qemu_args.extend(args.qemu_args.iter().map(String::as_str));
    let program_arch = arch
        .or_else(|| vnuma::live::dump::machine_type(&qemu_args).and_then(|m| Arch::of_machine(&m)))
        .unwrap_or(Arch::X86_64);
    let (version, source) = args.qemu_version.resolve(program_arch.program());
    let note = version_note(version, &source, program_arch.program());
    let (warnings, report) = qemu_report_versioned(&qemu_args, arch, version);
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
    let more = report.parsed.ignored_more;
    if args.json {
        let mut v = report.json_value()?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("qemu_version_source".into(), serde_json::json!(source));
            if args.verbose {
                obj.insert("ignored_options".into(), serde_json::json!(ignored));
                if more > 0 {
                    obj.insert("ignored_options_more".into(), serde_json::json!(more));
                }
            }
        }
        let mut s = serde_json::to_string_pretty(&v)?;
        s.push('\n');
        super::out::stdout(s)?;
    } else {
        let mut s = report.render_text(args.verbose);
        s.push_str(&format!("{note}\n"));
        if args.verbose && !ignored.is_empty() {
            s.push_str("options that do not shape the NUMA tables (ignored):\n");
            for o in ignored {
                s.push_str(&format!("  {o}\n"));
            }
            if more > 0 {
                s.push_str(&format!("  … and {more} more\n"));
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

/// The arch of a QEMU binary path (`…/qemu-system-aarch64`).
fn binary_arch(binary: &str) -> Option<Arch> {
    let base = binary.rsplit('/').next().unwrap_or(binary);
    base.strip_prefix("qemu-system-")
        .and_then(|a| a.parse().ok())
}
