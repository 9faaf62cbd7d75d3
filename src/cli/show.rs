//! `vnuma show`: the picture of a topology (terminal, SVG, JSON). Thin: the
//! view and its renderings are in `vnuma::show`.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context;
use vnuma::front::qemu::parse::Arch;
use vnuma::show::{self, ShowError, View};

/// Long help of `vnuma show`.
pub const LONG_ABOUT: &str = "Show a NUMA topology with its GPU nodes: one line per Linux node \
(node id, proximity domain, CPUs, memory, the devices tied to it by Generic Initiator or Generic \
Port structures), the nodes of one GPU grouped under that GPU, the distances (compressed into \
blocks of alike nodes when the full matrix does not fit 80 columns, as on a 34-node GB200 tray) \
and the HMAT figures.\n\n\
SOURCE is a topology file (the tables `vnuma build` plans for it), or table files and \
directories (/sys/firmware/acpi/tables included), or a QEMU command line after `--` (the tables \
QEMU builds for it, --qemu-version rules), or --libvirt-log FILE (the last command line in a \
libvirt per-domain log). Nodes are numbered as Linux numbers them.\n\n\
--svg FILE also draws the picture: node boxes with CPUs and memory, a frame per GPU around its \
nodes, the distances as a heat map with a legend (written all or nothing). --json prints the \
view model instead of the text: {\"title\", \"source\", \"tables\", \"nodes\": [{\"node\", \"pxm\", \"cpus\", \"memory\", \"hotplug\", \"devices\", \"gpu\"}], \"gpus\": [{\"handle\", \"name\", \"nodes\"}], \"generic_ports\", \"distances\", \"slit\", \"distance_groups\", \"hmat\", \"caches\", \"notes\"}. Colour only when standard output is a terminal and NO_COLOR is \
unset.\n\n\
Exit status: 0 on success; 1 when the source cannot be read, QEMU would reject the command \
line, or the SVG cannot be written.";

/// Example shown after `vnuma show --help`.
pub const EXAMPLE: &str = "Examples:\n  vnuma show examples/gb200-tray.toml --svg tray.svg\n  \
vnuma show /sys/firmware/acpi/tables\n  vnuma show --qemu-version 11.1 -- -machine q35 -m 1G \\\n      \
-object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0";

/// Arguments of `vnuma show`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A topology file, or table files and directories (e.g. /sys/firmware/acpi/tables).
    #[arg(value_name = "SOURCE")]
    pub paths: Vec<PathBuf>,
    /// Read the QEMU command line from a libvirt per-domain log
    /// (/var/log/libvirt/qemu/NAME.log): its last command line.
    #[arg(long, value_name = "FILE")]
    pub libvirt_log: Option<PathBuf>,
    /// Which QEMU version's rules build the tables of a command line: 10.0,
    /// 11.1, or auto (the qemu-system-* on PATH if modelled, else the newest).
    #[arg(long, value_enum, default_value = "auto")]
    pub qemu_version: super::qemu::QemuVersionArg,
    /// Which QEMU system emulator a command line is for (default: from -machine).
    #[arg(long, value_enum)]
    pub arch: Option<super::qemu::ArchArg>,
    /// Also draw the picture as SVG into FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Print the view model as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Width of the terminal in columns (default: $COLUMNS, else 80).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// A QEMU command line (after `--`).
    #[arg(last = true, value_name = "QEMU-ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
}

/// Runs `vnuma show`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let sources = usize::from(!args.paths.is_empty())
        + usize::from(args.libvirt_log.is_some())
        + usize::from(!args.qemu_args.is_empty());
    if sources != 1 {
        anyhow::bail!(
            "give one source: a topology file, table files or directories, --libvirt-log FILE, or a QEMU command line after `--`"
        );
    }
    let arch = args.arch.map(|a| match a {
        super::qemu::ArchArg::X86_64 => Arch::X86_64,
        super::qemu::ArchArg::Aarch64 => Arch::Aarch64,
    });
    let view = if !args.paths.is_empty() {
        show::source::from_paths(&args.paths)?
    } else {
        let program_arch = arch
            .or_else(|| {
                vnuma::live::dump::machine_type(&args.qemu_args).and_then(|m| Arch::of_machine(&m))
            })
            .unwrap_or(Arch::X86_64);
        let (version, _) = args.qemu_version.resolve(program_arch.program());
        let (warnings, view) = match &args.libvirt_log {
            Some(f) => show::source::from_libvirt_log(f, version),
            None => show::source::from_qemu_args(&args.qemu_args, arch, version),
        };
        for w in &warnings {
            super::out::errln(w.render("vnuma"));
        }
        match view {
            Err(ShowError::Qemu(vnuma::front::qemu::report::QemuReportError::Qemu(e))) => {
                super::out::errln(e.render("vnuma"));
                return Ok(1);
            }
            v => v?,
        }
    };
    let staged = match &args.svg {
        Some(f) => Some(
            vnuma::fsutil::stage_file(f, show::svg::render(&view).as_bytes())
                .with_context(|| format!("writing --svg {}", f.display()))?,
        ),
        None => None,
    };
    print(&view, &args)?;
    if let (Some(s), Some(f)) = (staged, &args.svg) {
        s.commit()?;
        super::out::errln(format!("vnuma: wrote {}", f.display()));
    }
    Ok(0)
}

fn print(view: &View, args: &Args) -> anyhow::Result<()> {
    if args.json {
        let mut s = serde_json::to_string_pretty(view)?;
        s.push('\n');
        return super::out::stdout(s);
    }
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = args
        .width
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(80)
        .max(20);
    super::out::stdout(show::text::render(
        view,
        &show::text::TextOptions { color, width },
    ))
}
