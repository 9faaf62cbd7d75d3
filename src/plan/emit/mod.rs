//! The planner's emitters: a [`super::GuestPlan`] as a topology file
//! ([`topology`]), QEMU ≥ 9 native options and the QEMU < 9 table injection
//! ([`qemu`]), libvirt domain XML ([`libvirt`]) and Cloud Hypervisor options
//! ([`cloud_hypervisor`]), all on the same layout rules.

pub mod cloud_hypervisor;
pub mod libvirt;
pub mod qemu;
pub mod topology;

use crate::build::BuildError;
use crate::front::file::FileError;

/// What `vnuma plan --emit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The topology file of `vnuma build` (TOML, docs/topology.md).
    Topology,
    /// QEMU ≥ 9 native options (`-numa`, one `acpi-generic-initiator` per node).
    Qemu,
    /// QEMU < 9: the tables built into `-o DIR` and injected with `-acpitable`
    /// (x86), or through the Linux initrd table upgrade.
    QemuLegacy,
    /// libvirt ≥ 11.8 domain XML (`<hostdev>` with `<acpi nodeset>`).
    Libvirt,
    /// libvirt domain XML with `<qemu:commandline>` Generic Initiator objects.
    LibvirtLegacy,
    /// Cloud Hypervisor options.
    CloudHypervisor,
}

impl Emit {
    /// The name given to `--emit`.
    pub fn name(self) -> &'static str {
        match self {
            Emit::Topology => "topology",
            Emit::Qemu => "qemu",
            Emit::QemuLegacy => "qemu-legacy",
            Emit::Libvirt => "libvirt",
            Emit::LibvirtLegacy => "libvirt-legacy",
            Emit::CloudHypervisor => "cloud-hypervisor",
        }
    }
}

/// How the emitted command lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmitOptions {
    /// The QEMU command line has `-nodefaults` (GI ids are chosen for that mode).
    pub nodefaults: bool,
    /// `pci-testdev` in place of `vfio-pci,host=…` (try the plan without the GPU).
    pub stand_in: bool,
}

impl From<&super::PlanOptions> for EmitOptions {
    fn from(o: &super::PlanOptions) -> Self {
        EmitOptions {
            nodefaults: o.nodefaults,
            stand_in: o.stand_in,
        }
    }
}

/// Why a plan cannot be emitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The emitted topology file does not resolve (a vnuma bug).
    #[error("internal: the emitted topology file does not resolve: {0}")]
    Topology(#[from] FileError),
    /// The tables cannot be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// vnuma's model of QEMU refuses the emitted command line.
    #[error("QEMU {version} would refuse the emitted command line: {message}")]
    QemuRefuses {
        /// The QEMU version modelled.
        version: String,
        /// QEMU's message.
        message: String,
    },
    /// No object ids were found that give ascending GI order.
    #[error("no Generic Initiator object ids found whose QEMU {version} hash order is ascending")]
    NoStableIds {
        /// The QEMU version.
        version: String,
    },
    /// The emitted command line would not give ascending GI order (a vnuma bug).
    #[error("internal: QEMU {version} would emit the GI entries in PXM order {order:?}")]
    Unstable {
        /// The QEMU version.
        version: String,
        /// The PXM order predicted.
        order: Vec<u32>,
    },
}
