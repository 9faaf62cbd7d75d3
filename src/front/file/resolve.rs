//! The phases from raw tables to a [`TopologyFile`], over one [`Resolver`]:
//! machine type → nodes → memory and firmware → CPUs → HMAT initiators → PCI
//! devices → generic initiators and ports → distances → HMAT → OEM → assembly
//! (with the memory map's own checks last, as before).

use std::collections::BTreeSet;
use std::ops::Range;

use super::error::{Ctx, FileError};
use super::raw::RawFile;
use super::{Firmware, TopologyFile};
use crate::acpi::FixedAscii;
use crate::machine::LayoutError;
use crate::topology::{Affinity, MachineKind, MemoryConfig, Oem, Topology};

/// The state every phase reads: the text, the raw tables, the machine type.
pub(super) struct Resolver<'a> {
    /// Positions and keys for errors.
    pub(super) ctx: Ctx<'a>,
    /// The file's tables.
    pub(super) raw: &'a RawFile,
    /// `machine.type`.
    pub(super) machine: MachineKind,
    /// The span of `machine.type`, for errors without a better place.
    pub(super) mspan: Range<usize>,
}

/// Runs every phase in order (the order fixes which error a file with several
/// faults reports).
pub(super) fn resolve(ctx: &Ctx, raw: &RawFile) -> Result<TopologyFile, FileError> {
    let r = Resolver::new(*ctx, raw)?;
    let nodes = r.declare_nodes()?;
    let mem = r.memory_plan(&nodes)?;
    let (smp, cpus) = r.cpus(&nodes)?;
    let cpu_nodes: BTreeSet<u32> = if nodes.is_empty() {
        BTreeSet::new()
    } else {
        cpus.iter().map(|c| c.node).collect()
    };
    let node_vec = r.attach_initiators(&nodes, &cpu_nodes)?;
    let (pci, tree) = r.pci_devices()?;
    let generic_initiators = r.generic_affinities(&pci, &tree, false, nodes.count)?;
    let generic_ports = r.generic_affinities(&pci, &tree, true, nodes.count)?;
    let distances = match &raw.distances {
        Some(d) => Some(r.distances(d, nodes.count)?),
        None => None,
    };
    let mut initiator_nodes = cpu_nodes;
    initiator_nodes.extend(generic_initiators.iter().map(|g: &Affinity| g.node));
    let (hmat, hmat_lb, hmat_caches) = match &raw.hmat {
        Some(_) if nodes.is_empty() => {
            return Err(ctx.err(r.mspan.clone(), "hmat", "an HMAT needs NUMA nodes"));
        }
        Some(h) => {
            let (lb, caches) = r.hmat(h, nodes.count, &initiator_nodes)?;
            (true, lb, caches)
        }
        None => (false, Vec::new(), Vec::new()),
    };
    let (oem, oem_revision_given) = r.oem()?;
    let mut memory = mem.config;
    r.check_memory_layout(&mut memory)?;
    let topology = Topology {
        machine: r.machine,
        memory,
        cpus,
        nodes: node_vec,
        distances,
        generic_initiators,
        generic_ports,
        nvdimms: Vec::new(),
        sgx_epc: Vec::new(),
        hmat,
        hmat_lb,
        hmat_caches,
        extra_initiators: Vec::new(),
        oem,
    };
    Ok(TopologyFile {
        file: ctx.file.to_string(),
        topology,
        smp,
        pci,
        pci_tree: tree,
        oem_revision_given,
        firmware: mem.firmware,
        firmware_flash: mem.firmware_flash,
    })
}

impl<'a> Resolver<'a> {
    /// Phase 1: the machine type.
    fn new(ctx: Ctx<'a>, raw: &'a RawFile) -> Result<Self, FileError> {
        let kind = &raw.machine.kind;
        let machine = ctx.parse_enum(
            kind,
            "machine.type",
            &[
                ("q35", MachineKind::Q35),
                ("pc", MachineKind::Pc),
                ("virt", MachineKind::Virt),
            ],
        )?;
        Ok(Resolver {
            ctx,
            raw,
            machine,
            mspan: kind.span(),
        })
    }

    /// An error at `span` for `key`.
    pub(super) fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> FileError {
        self.ctx.err(span, key, msg)
    }

    /// The `[oem]` table: the OEM fields and whether the revision was given.
    fn oem(&self) -> Result<(Oem, bool), FileError> {
        let mut oem = Oem::default();
        let Some(o) = &self.raw.oem else {
            return Ok((oem, false));
        };
        if let Some(id) = &o.id {
            oem.oem_id = FixedAscii::<6>::from_text(id.get_ref())
                .ok_or_else(|| self.err(id.span(), "oem.id", "at most 6 characters"))?
                .0;
        }
        if let Some(id) = &o.table_id {
            oem.oem_table_id = FixedAscii::<8>::from_text(id.get_ref())
                .ok_or_else(|| self.err(id.span(), "oem.table-id", "at most 8 characters"))?
                .0;
        }
        if let Some(r) = o.revision {
            oem.oem_revision = r;
        }
        Ok((oem, o.revision.is_some()))
    }

    /// The memory map's own checks (maxmem, slots, max-ram-below-4g), and where x86 RAM above 4 GiB goes. The printed command line has
    /// no -cpu: x86 runs QEMU's default CPU, qemu64, an AMD-vendor model (QEMU may
    /// then move RAM above 4 GiB to 1 TiB).
    fn check_memory_layout(&self, memory: &mut MemoryConfig) -> Result<(), FileError> {
        let layout_err = |e: LayoutError| self.layout_error(&e);
        crate::machine::memory::device_memory(self.machine, memory, &[]).map_err(layout_err)?;
        memory.above_4g_at_1tib = self.machine.is_x86()
            && crate::machine::memory::x86_amd_above_1tib(self.machine, memory, &[], false)
                .map_err(layout_err)?;
        Ok(())
    }

    /// A memory-map error placed on the `[machine]` key it is about.
    fn layout_error(&self, e: &LayoutError) -> FileError {
        let m = &self.raw.machine;
        let (key, span) = match e.field() {
            "memory.slots" => ("machine.slots", m.slots.as_ref().map(|s| s.span())),
            "memory.max_ram" => ("machine.maxmem", m.maxmem.as_ref().map(|s| s.span())),
            "memory.max_ram_below_4g" => (
                "machine.max-ram-below-4g",
                m.max_ram_below_4g.as_ref().map(|s| s.span()),
            ),
            _ => ("machine.memory", m.memory.as_ref().map(|s| s.span())),
        };
        self.err(span.unwrap_or(self.mspan.clone()), key, e.message())
    }
}

impl Firmware {
    /// The choices of `machine.firmware` on arm `virt`.
    pub(super) const VIRT_CHOICES: [(&'static str, Firmware); 2] =
        [("edk2", Firmware::Edk2), ("none", Firmware::None)];
}
