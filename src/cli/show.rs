//! `vnuma show`: the picture of a topology (terminal, SVG, JSON). Thin: the
//! view and its renderings are in `vnuma::show`.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context;
use vnuma::front::host::{GpuChoice, HostOptions};
use vnuma::front::qemu::parse::Arch;
use vnuma::plan::{PlanOptions, plan};
use vnuma::show::{self, ShowError, View};
use vnuma::topology::MachineKind;

/// Long help of `vnuma show`.
pub const LONG_ABOUT: &str = "Show a NUMA topology with its GPU nodes: one line per Linux node \
(node id, proximity domain, CPUs, memory, the devices tied to it by Generic Initiator or Generic \
Port structures), the nodes of one GPU grouped under that GPU, the distances (compressed into \
blocks of alike nodes when the full matrix does not fit 80 columns, as on a 34-node GB200 tray) \
and the HMAT figures.\n\n\
SOURCE is a topology file (the tables `vnuma build` plans for it), or table files and \
directories (/sys/firmware/acpi/tables included), or a QEMU command line after `--` (the tables \
QEMU builds for it, --qemu-version rules), or --libvirt-log FILE (the last command line in a \
libvirt per-domain log), or --sysfs ROOT (the host read under ROOT, as `vnuma plan` reads it: \
each node with its PXM when the host SRAT gives one, the GPUs with their nodes and how they \
were found, the host distances, warnings as notes). Nodes are numbered as Linux numbers them.\n\n\
--sysfs ROOT with --gpu BDF[=NODES] (repeatable; with --vcpus, --memory, --machine, \
--qemu-version as for `vnuma plan`) shows the planned guest beside the host: each guest node \
on the line of the host node it stands for, then the guest distances; --json prints \
{\"host\": VIEW, \"guest\": VIEW}; --svg draws both, guest left, host right, each guest node \
box naming its host node.\n\n\
--svg FILE also draws the picture: node boxes with CPUs and memory, a frame per GPU around its \
nodes, the distances as a heat map with a legend (written all or nothing). --json prints the \
view model instead of the text: {\"title\", \"source\", \"tables\", \"nodes\": [{\"node\", \"pxm\", \"cpus\", \"memory\", \"hotplug\", \"devices\", \"gpu\", \"host_node\"}], \"gpus\": [{\"handle\", \"name\", \"nodes\", \"found_by\"}], \"generic_ports\", \"distances\", \"slit\", \"distance_groups\", \"hmat\", \"caches\", \"notes\"}. Colour only when standard output is a terminal and NO_COLOR is \
unset.\n\n\
Exit status: 0 on success; 1 when the source cannot be read, QEMU would reject the command \
line, no guest can be planned, or the SVG cannot be written.";

/// Example shown after `vnuma show --help`.
pub const EXAMPLE: &str = "Examples:\n  vnuma show examples/gb200-tray.toml --svg tray.svg\n  \
vnuma show /sys/firmware/acpi/tables\n  \
vnuma show --sysfs /                         # this host: nodes, GPUs and their nodes\n  \
vnuma show --sysfs tests/fixtures/hosts/gh200 --gpu 0009:01:00.0 --vcpus 16 --memory 64G \\\n      \
--svg plan.svg                           # the planned guest beside the host\n  vnuma show --qemu-version 11.1 -- -machine q35 -m 1G \\\n      \
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
    /// Show the host read under ROOT (its /sys and /proc), as `vnuma plan` reads it.
    #[arg(long, value_name = "ROOT")]
    pub sysfs: Option<PathBuf>,
    /// With --sysfs: a GPU to plan a guest for (repeatable), optionally with
    /// its host nodes; shows the guest beside the host.
    #[arg(long, value_name = "BDF[=NODES]", requires = "sysfs")]
    pub gpu: Vec<GpuChoice>,
    /// With --gpu: vCPUs (default: the host CPUs of the local nodes).
    #[arg(long, value_name = "N", requires = "gpu")]
    pub vcpus: Option<u32>,
    /// With --gpu: guest RAM (default: half the local nodes' MemTotal).
    #[arg(long, value_name = "SIZE", value_parser = super::plan::parse_memory, requires = "gpu")]
    pub memory: Option<u64>,
    /// With --gpu: the guest's machine type.
    #[arg(long, value_enum, value_name = "MACHINE", requires = "gpu")]
    pub machine: Option<super::plan::MachineArg>,
    /// A QEMU command line (after `--`).
    #[arg(last = true, value_name = "QEMU-ARGS", allow_hyphen_values = true)]
    pub qemu_args: Vec<String>,
}

/// Runs `vnuma show`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let sources = usize::from(!args.paths.is_empty())
        + usize::from(args.libvirt_log.is_some())
        + usize::from(!args.qemu_args.is_empty())
        + usize::from(args.sysfs.is_some());
    if sources != 1 {
        anyhow::bail!(
            "give one source: a topology file, table files or directories, --libvirt-log FILE, --sysfs ROOT, or a QEMU command line after `--`"
        );
    }
    if let Some(root) = &args.sysfs {
        return run_host(root, &args);
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
    write_svg(&args, || show::svg::render(&view), || print(&view, &args))?;
    Ok(0)
}

/// `vnuma show --sysfs ROOT [--gpu …]`: the host, or the planned guest beside it.
fn run_host(root: &std::path::Path, args: &Args) -> anyhow::Result<i32> {
    let hopts = HostOptions {
        gpus: args.gpu.clone(),
    };
    let (host, host_view) = show::host::from_host_root(root, &hopts)?;
    if args.gpu.is_empty() {
        write_svg(
            args,
            || show::svg::render(&host_view),
            || print(&host_view, args),
        )?;
        return Ok(0);
    }
    let machine = MachineKind::from(args.machine.unwrap_or(super::plan::MachineArg::Q35));
    let program = vnuma::front::qemu::Arch::of_kind(machine).program();
    let (qemu_version, _) = args.qemu_version.resolve(program);
    let opts = PlanOptions {
        gpus: args.gpu.iter().map(|g| g.bdf).collect(),
        vcpus: args.vcpus,
        memory: args.memory,
        machine,
        qemu_version,
        ..PlanOptions::default()
    };
    let p = plan(&host, &opts).map_err(ShowError::from)?;
    let guest = View::from_plan(
        &format!("guest ({}, {} vCPUs)", machine.name(), p.vcpus()),
        &p,
    );
    let title = format!(
        "vnuma plan: guest beside host {} (GPU{} {})",
        root.display(),
        if p.gpus.len() == 1 { "" } else { "s" },
        p.gpus
            .iter()
            .map(|g| g.host_bdf.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    write_svg(
        args,
        || show::svg::render_pair(&title, &guest, &host_view),
        || {
            if args.json {
                let mut s = serde_json::to_string_pretty(
                    &serde_json::json!({"host": &host_view, "guest": &guest}),
                )?;
                s.push('\n');
                return super::out::stdout(s);
            }
            let opt = text_options(args);
            let mut s = show::text::side_by_side(&guest, &host_view, &guest.host_map(), &opt);
            s.push_str(&show::text::distances_text(&guest, &opt));
            for n in guest.notes.iter().chain(&host_view.notes) {
                s.push_str(&format!("note: {n}\n"));
            }
            super::out::stdout(s)
        },
    )?;
    Ok(0)
}

/// Stages the SVG (when asked), prints, then writes the SVG: all or nothing.
fn write_svg(
    args: &Args,
    svg: impl FnOnce() -> String,
    print: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let staged = match &args.svg {
        Some(f) => Some(
            vnuma::fsutil::stage_file(f, svg().as_bytes())
                .with_context(|| format!("writing --svg {}", f.display()))?,
        ),
        None => None,
    };
    print()?;
    if let (Some(s), Some(f)) = (staged, &args.svg) {
        s.commit()?;
        super::out::errln(format!("vnuma: wrote {}", f.display()));
    }
    Ok(())
}

fn text_options(args: &Args) -> show::text::TextOptions {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let width = args
        .width
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(80)
        .max(20);
    show::text::TextOptions { color, width }
}

fn print(view: &View, args: &Args) -> anyhow::Result<()> {
    if args.json {
        let mut s = serde_json::to_string_pretty(view)?;
        s.push('\n');
        return super::out::stdout(s);
    }
    super::out::stdout(show::text::render(view, &text_options(args)))
}
