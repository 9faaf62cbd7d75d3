//! The command-line layer: argument definitions and calls into the library.
//! Each subcommand has its own file with an `Args` struct and a `run` function.

mod build;
mod completions;
mod encode;
mod initrd;
mod inspect;
pub mod out;
mod plan;
mod qemu;
mod qemu_dump;
mod show;
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
    #[command(
        long_about = inspect::LONG_ABOUT,
        after_help = "Examples:\n  vnuma inspect /sys/firmware/acpi/tables\n  vnuma inspect --json out/SRAT.dat out/SLIT.dat > tables.json"
    )]
    Inspect(inspect::Args),
    /// Write binary tables from the JSON of `vnuma inspect --json`.
    #[command(
        long_about = encode::LONG_ABOUT,
        after_help = "Example:\n  vnuma inspect --json out > tables.json && vnuma encode tables.json -o edited"
    )]
    Encode(encode::Args),
    /// Build SRAT/SLIT/HMAT from a topology file and print the VMM arguments.
    #[command(
        long_about = build::LONG_ABOUT,
        after_help = "Example:\n  vnuma build examples/grace-hopper.toml -o out"
    )]
    Build(build::Args),
    /// Write a Linux initrd table-upgrade cpio (kernel/firmware/acpi/*.aml).
    #[command(
        after_help = "Examples:\n  vnuma initrd examples/grace-hopper.toml -o acpi.cpio\n  cat acpi.cpio /boot/initrd.img > initrd-numa.img"
    )]
    Initrd(initrd::Args),
    /// Inside a guest: compare Linux's NUMA view and tables with a topology file.
    #[command(
        after_help = "Example (inside the guest, as root):\n  vnuma verify --expect grace-hopper.toml"
    )]
    Verify(verify::Args),
    /// Run QEMU without booting a guest and save the ACPI tables it builds.
    QemuDump(qemu_dump::Args),
    /// The SRAT/SLIT/HMAT QEMU 10 builds for a command line, and the guest's view.
    #[command(
        long_about = qemu::LONG_ABOUT,
        after_help = "Examples:\n  vnuma qemu --args-file examples/grace-hopper/qemu-args.txt\n  vnuma qemu --libvirt-log /var/log/libvirt/qemu/gpu-vm.log -o tables"
    )]
    Qemu(qemu::Args),
    /// The host's NUMA nodes and GPUs; with --gpu a guest with stable GPU nodes.
    #[command(long_about = plan::LONG_ABOUT, after_help = plan::EXAMPLE)]
    Plan(plan::Args),
    /// Show a topology with its GPU nodes: terminal, SVG or JSON.
    #[command(long_about = show::LONG_ABOUT, after_help = show::EXAMPLE)]
    Show(show::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = completions::COMPLETIONS_EXAMPLE)]
    Completions(completions::CompletionsArgs),
    /// Print or install the man pages (vnuma.1, vnuma-COMMAND.1).
    #[command(after_help = completions::MAN_EXAMPLE)]
    Man(completions::ManArgs),
}

/// `vnuma inspect …` parsed by a command line that has that subcommand alone,
/// so that clap builds the arguments of one subcommand, not of all of them
/// (a measurable share of a small `inspect`'s run time). `None` for any other
/// command line, and on any error or help request: `main` then parses with the
/// whole [`Cli`], so messages, help and exit statuses are exactly as before. An
/// accepted command line is accepted by [`Cli`] too, with the same arguments:
/// both use `inspect::Args`'s definitions, and [`Cli`] adds nothing to them.
pub fn try_parse_inspect() -> Option<Cli> {
    use clap::{Args as _, FromArgMatches as _};
    if std::env::args_os().nth(1)? != "inspect" {
        return None;
    }
    let cmd = clap::Command::new("vnuma")
        .subcommand(inspect::Args::augment_args(clap::Command::new("inspect")));
    let m = cmd.try_get_matches_from(std::env::args_os()).ok()?;
    let ("inspect", sub) = m.subcommand()? else {
        return None;
    };
    let args = inspect::Args::from_arg_matches(sub).ok()?;
    Some(Cli {
        command: Command::Inspect(args),
    })
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
        Command::Show(a) => show::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
    }
}
