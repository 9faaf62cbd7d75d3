//! `vnuma plan`: the host's NUMA nodes and GPUs, and with `--gpu` a guest with
//! stable GPU nodes, emitted for a VMM.

use std::path::PathBuf;

use anyhow::Context;
use vnuma::plan::emit::qemu::{emit_qemu, emit_qemu_legacy, native_notes};
use vnuma::plan::emit::topology::{emit_topology, lint_plan};
use vnuma::plan::emit::{Emit, EmitOptions};
use vnuma::plan::{PlanOptions, json, plan};
use vnuma::topology::MachineKind;

use super::out::outln;
use vnuma::front::host::{GpuChoice, HostOptions, discover};
use vnuma::plan::emit::cloud_hypervisor::{ChOptions, emit_cloud_hypervisor};
use vnuma::plan::emit::libvirt::{DomainType, Form, LibvirtOptions, emit_libvirt};

/// Long help of `vnuma plan`.
pub const LONG_ABOUT: &str = "Plan a guest with GPUs from the host's real NUMA topology.\n\n\
Without --gpu: a report of the host (NUMA nodes, GPUs and their nodes with how they were found, \
distances), read under --sysfs ROOT (default /).\n\n\
With --gpu BDF[=NODES] (repeatable; NODES overrides the GPU's host nodes): the guest. One \
CPU+memory node per host CPU node local to the chosen GPUs (vCPUs and memory split evenly; \
default vCPUs: all host CPUs of those nodes; default memory: half their MemTotal, rounded down \
to a whole GiB, at least 1 GiB), then per GPU one memoryless node per host GPU node, tied to \
the GPU by Generic Initiators. Guest node id = proximity domain; distances are the host's \
between the nodes they stand for (a 255 is kept and reported). Each GPU sits at device 0 \
function 0 behind its own PCIe root port (virt: behind its own pxb-pcie), where the guest \
NVIDIA driver accepts its Generic Initiators.\n\n\
--emit: topology (the TOML of `vnuma build`), qemu (QEMU >= 9 native options; Generic \
Initiator ids chosen so that QEMU --qemu-version, with or without --nodefaults, emits them in \
ascending node order, i.e. the same guest node ids on every boot), qemu-legacy (QEMU < 9: the \
tables written into -o DIR and injected with -acpitable, or the initrd route), libvirt, \
libvirt-legacy, cloud-hypervisor. --stand-in puts pci-testdev in place of vfio-pci to try a \
plan without the GPU. --json prints {\"host\", \"guest\"} instead of text.\n\n\
--hmat is refused: vnuma reads no host HMAT figures.\n\n\
Exit status: 0 on success; 1 on an unreadable host, an unknown GPU, or a guest that cannot be \
planned.";

/// Examples in `vnuma plan --help`.
pub const EXAMPLE: &str = "Examples:\n  \
vnuma plan                                   # this host: NUMA nodes, GPUs and their nodes\n  \
vnuma plan --gpu 0009:01:00.0 --vcpus 16 --memory 64G --emit qemu\n  \
vnuma plan --gpu 0009:01:00.0 --emit libvirt > guest.xml\n  \
vnuma plan --gpu 0009:01:00.0 --emit topology > guest.toml && vnuma build guest.toml -o out\n  \
vnuma plan --sysfs tests/fixtures/hosts/gb200 --gpu 0008:01:00.0 --gpu 0009:01:00.0 --json";

/// Machine type of the planned guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MachineArg {
    /// x86 Q35 (GPU behind a pcie-root-port on pcie.0).
    Q35,
    /// arm64 virt (GPU behind a pxb-pcie and a pcie-root-port).
    Virt,
}

impl From<MachineArg> for MachineKind {
    fn from(m: MachineArg) -> Self {
        match m {
            MachineArg::Q35 => MachineKind::Q35,
            MachineArg::Virt => MachineKind::Virt,
        }
    }
}

pub(super) fn parse_memory(s: &str) -> Result<u64, String> {
    vnuma::syntax::parse_size(s).map_err(|e| e.to_string())
}

/// Arguments of `vnuma plan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The root the host's /sys and /proc are read under.
    #[arg(long, value_name = "ROOT", default_value = "/")]
    pub sysfs: PathBuf,
    /// A GPU to pass through (repeatable), optionally with its host nodes.
    #[arg(long, value_name = "BDF[=NODES]")]
    pub gpu: Vec<GpuChoice>,
    /// vCPUs (default: the host CPUs of the local nodes).
    #[arg(long, value_name = "N")]
    pub vcpus: Option<u32>,
    /// Guest RAM (default: half the local nodes' MemTotal, whole GiB, >= 1 GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub memory: Option<u64>,
    /// Machine type.
    #[arg(long, value_enum, default_value = "q35")]
    pub machine: MachineArg,
    /// Describe HMAT (refused: no host HMAT figures are read).
    #[arg(long)]
    pub hmat: bool,
    /// Whose GI hash order the QEMU options follow: 10.0, 11.1 or auto (the
    /// qemu-system-* on PATH if modelled, else the newest).
    #[arg(long, value_enum, default_value = "auto")]
    pub qemu_version: super::qemu::QemuVersionArg,
    /// The printed QEMU command line has -nodefaults.
    #[arg(long)]
    pub nodefaults: bool,
    /// pci-testdev in place of vfio-pci (try the plan without the GPU).
    #[arg(long)]
    pub stand_in: bool,
    /// What to emit for the guest.
    #[arg(long, value_enum, default_value = "qemu", value_name = "FORMAT")]
    pub emit: Emit,
    /// Output directory (qemu-legacy: the tables and argument files).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The libvirt domain's name (--emit libvirt, libvirt-legacy).
    #[arg(long, value_name = "NAME", default_value = "vnuma-guest")]
    pub name: String,
    /// Print the host and guest as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `vnuma plan`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let machine = MachineKind::from(args.machine);
    let program = vnuma::front::qemu::Arch::of_kind(machine).program();
    let hopts = HostOptions {
        gpus: args.gpu.clone(),
    };
    let host = discover(&args.sysfs, &hopts)?;
    for w in &host.warnings {
        super::out::errln(format!("vnuma: warning: {}: {}", w.path, w.message));
    }
    if args.gpu.is_empty() {
        if args.json {
            let mut s = serde_json::to_string_pretty(&json(&host, None))?;
            s.push('\n');
            super::out::stdout(s)?;
        } else {
            super::out::stdout(host.text())?;
        }
        return Ok(0);
    }
    let (qemu_version, _) = args.qemu_version.resolve(program);
    let opts = PlanOptions {
        gpus: args.gpu.iter().map(|g| g.bdf).collect(),
        vcpus: args.vcpus,
        memory: args.memory,
        machine,
        hmat: args.hmat,
        qemu_version,
        nodefaults: args.nodefaults,
        stand_in: args.stand_in,
    };
    let p = plan(&host, &opts)?;
    let eo = EmitOptions::from(&opts);
    // `vnuma lint` on the planned tables (those of the emitted topology).
    for f in lint_plan(&p, &eo)?.findings {
        super::out::errln(format!(
            "vnuma: lint: {} {}: {}",
            f.severity, f.code, f.message
        ));
    }
    let mut s = String::new();
    let mut staged = None;
    // Data formats (TOML, XML) go to stdout alone, so that they can be
    // redirected into a file; the plan summary and notes go to stderr.
    let mut data_only = false;
    let mut notes: Vec<String> = Vec::new();
    match args.emit {
        Emit::Topology => {
            data_only = true;
            s.push_str(&emit_topology(&p, &eo));
        }
        Emit::Qemu => {
            let c = emit_qemu(&p, &eo)?;
            outln!(
                s,
                "# QEMU >= 9 native options; GI order ascending under QEMU {qemu_version}{}",
                if args.nodefaults {
                    " with -nodefaults"
                } else {
                    " without -nodefaults"
                }
            );
            for n in native_notes(&p, &eo) {
                outln!(s, "# {n}");
            }
            outln!(s, "{}", c.shell());
        }
        Emit::QemuLegacy => {
            let dir = args
                .output
                .as_ref()
                .context("--emit qemu-legacy writes the tables: give -o DIR")?;
            let out = emit_qemu_legacy(&p, &eo, dir)?;
            staged = Some(vnuma::fsutil::stage_dir(dir, &out.files)?);
            for (name, data) in &out.files {
                outln!(
                    s,
                    "# wrote {} ({} bytes)",
                    dir.join(name).display(),
                    data.len()
                );
            }
            if let Some(a) = &out.acpitable {
                outln!(s, "# QEMU < 9 (any x86 QEMU): no -numa, tables injected:");
                outln!(s, "{}", a.shell());
            }
            for n in &out.notes {
                outln!(s, "# {n}");
            }
            outln!(s, "# the VM without -numa (initrd route):");
            outln!(s, "{}", out.initrd.shell());
        }
        Emit::Libvirt | Emit::LibvirtLegacy => {
            let form = if args.emit == Emit::Libvirt {
                Form::NodeSet
            } else {
                Form::Legacy
            };
            let lo = LibvirtOptions {
                name: args.name.clone(),
                form,
                domain_type: if args.stand_in {
                    DomainType::Qemu
                } else {
                    DomainType::Kvm
                },
                ..LibvirtOptions::default()
            };
            let d = emit_libvirt(&p, &lo)?;
            for n in &d.notes {
                notes.push(n.clone());
            }
            data_only = true;
            s.push_str(&d.xml);
        }
        Emit::CloudHypervisor => {
            let c = emit_cloud_hypervisor(&p, &ChOptions::default())?;
            for n in &c.notes {
                outln!(s, "# {n}");
            }
            outln!(s, "{}", c.shell("cloud-hypervisor"));
        }
    }
    let text = if args.json {
        for w in p.warnings() {
            super::out::errln(format!("vnuma: warning: {w}"));
        }
        let mut j = serde_json::to_string_pretty(&json(&host, Some(&p)))?;
        j.push('\n');
        j
    } else if data_only {
        for l in p.text().lines() {
            super::out::errln(format!("vnuma: {l}"));
        }
        for n in &notes {
            super::out::errln(format!("vnuma: note: {n}"));
        }
        s
    } else {
        format!("{}\n{s}", p.text())
    };
    super::out::stdout(text)?;
    if let Some(st) = staged {
        st.commit()?;
    }
    Ok(0)
}
