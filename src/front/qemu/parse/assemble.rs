//! Assembly: the phases' results → [`Parsed`] with its [`Topology`].

use super::super::error::QemuError;
use super::devices::Devices;
use super::hmat::numa_lb_values;
use super::{Dimm, GiInfo, GpInfo, NO_INITIATOR, Parsed, State, hash_order_by};
use crate::acpi::DeviceHandle;
use crate::acpi::srat::{AcpiHandle, PciHandle};
use crate::acpi::text::FixedAscii;
use crate::topology::{Affinity, HmatCache, MemRange, Node, Oem, Topology};

/// Builds the result.
pub(super) fn assemble(
    st: State<'_, '_>,
    devs: Devices,
    (gis, gps): (Vec<GiInfo>, Vec<GpInfo>),
) -> Result<Parsed, QemuError> {
    let nn = st.numa.num_nodes;
    let numa = &st.numa;
    let nodes: Vec<Node> = (0..nn)
        .map(|i| {
            let init = numa.initiator_of(i);
            Node {
                mem: numa.mem.get(i).copied().unwrap_or(0),
                initiator: (init != NO_INITIATOR && !numa.node_has_cpu(i)).then_some(init),
            }
        })
        .collect();
    let distances = (nn > 0 && numa.have_distance).then(|| {
        (0..nn)
            .map(|s| (0..nn).map(|d| numa.dist(s, d)).collect())
            .collect()
    });
    let cpus = (st.cpus.iter())
        .map(|s| crate::topology::Cpu {
            arch_id: s.arch_id,
            node: if nn > 0 { s.node.unwrap_or(0) } else { 0 },
        })
        .collect();
    let mut hmat_caches: Vec<HmatCache> = numa.hmat_cache.values().cloned().collect();
    hmat_caches.sort_by_key(|c| (c.node, c.level));
    let extra_initiators: Vec<u32> = (0..nn)
        .filter(|i| numa.has_gi.get(*i).copied().unwrap_or(false))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let nvdimms = if st.props.nvdimm {
        nvdimm_ranges(&devs)
    } else {
        Vec::new()
    };
    let topology = Topology {
        machine: st.machine.kind,
        memory: devs.memory.clone(),
        cpus,
        nodes,
        distances,
        generic_initiators: gis.iter().map(gi_affinity).collect(),
        generic_ports: gps.iter().map(gp_affinity).collect(),
        nvdimms,
        sgx_epc: Vec::new(),
        hmat: st.props.hmat && nn > 0,
        hmat_lb: numa_lb_values(&st.cmd.numa_opts),
        hmat_caches,
        extra_initiators,
        oem: oem(&st),
    };
    Ok(Parsed {
        arch: st.machine.arch,
        machine_type: st.machine.machine_type,
        topology,
        acpi: st.props.acpi,
        smp: st.smp,
        cpu_slots: st.cpus,
        pci: devs.pci,
        generic_initiators: gis,
        generic_ports: gps,
        dimms: devs.dimms,
        ignored: st.cmd.ignored,
        ignored_more: st.cmd.ignored_more,
        warnings: st.warnings.clone(),
        qemu_version: st.profile.version,
    })
}

/// `x-oem-id` / `x-oem-table-id` over the defaults.
fn oem(st: &State<'_, '_>) -> Oem {
    let mut oem = Oem::default();
    if let Some(id) = &st.props.oem_id {
        oem.oem_id = FixedAscii::<6>::from_text(id).map_or(oem.oem_id, |f| f.0);
    }
    if let Some(id) = &st.props.oem_table_id {
        oem.oem_table_id = FixedAscii::<8>::from_text(id).map_or(oem.oem_table_id, |f| f.0);
    }
    oem
}

/// A GI's SRAT affinity (PCI handle).
fn gi_affinity(g: &GiInfo) -> Affinity {
    Affinity {
        node: g.node,
        handle: DeviceHandle::Pci(PciHandle::new(0, g.bus, g.devfn >> 3, g.devfn & 7)),
        label: g.object_id.clone(),
        device: g.pci_dev.clone(),
    }
}

/// A GP's SRAT affinity (ACPI handle `ACPI0016`, `_UID` = bus_nr).
fn gp_affinity(g: &GpInfo) -> Affinity {
    Affinity {
        node: g.node,
        handle: DeviceHandle::Acpi(AcpiHandle {
            hid: FixedAscii(*b"ACPI0016"),
            uid: g.uid,
            reserved: 0,
        }),
        label: g.object_id.clone(),
        device: g.pci_bus.clone(),
    }
}

/// The NVDIMMs in QEMU's order: it walks `/machine/peripheral`, a GLib hash
/// table keyed by the ids of ALL user devices (inserted in `-device` order),
/// then the anonymous ones.
fn nvdimm_ranges(devs: &Devices) -> Vec<MemRange> {
    let ids = &devs.device_ids;
    let named = hash_order_by(ids.len(), |i| ids.get(i))
        .into_iter()
        .filter_map(|i| {
            let id = ids.get(i);
            (devs.dimms.iter()).find(|d| d.nvdimm && d.id.as_deref() == Some(id))
        });
    let anonymous = devs.dimms.iter().filter(|d| d.nvdimm && d.id.is_none());
    named
        .chain(anonymous)
        .map(|d: &Dimm| MemRange {
            base: d.addr,
            size: d.size,
            node: d.node,
        })
        .collect()
}
