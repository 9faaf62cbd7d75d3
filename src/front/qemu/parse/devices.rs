//! Devices: QEMU's default devices, the memory map, `-device` in command-line
//! order (DIMMs placed in device memory, PCI devices by [`crate::machine::pci`]),
//! then the ACPI table build's generic initiator / port resolution.

use super::super::error::QemuError;
use super::super::lexer::{self, CmdOption, Opts};
use super::ids::IdSet;
use super::memory::{default_ram_id, dimm_node_ok, memory_map, node_count};
use super::objects::{gi_nodes, gi_pci_dev, gp_node, is_late_object};
use super::{Dimm, GiInfo, GpInfo, State, hash_order_by, idx};
use crate::machine::memory::{DimmPlacer, DimmRequest, MIB};
use crate::machine::pci::{self, BusNrError, DeviceKind, DeviceSpec, PciTree};
use crate::topology::{MachineKind, MemoryConfig};

/// What the devices phase built.
pub(super) struct Devices {
    /// The PCI tree (default and user devices).
    pub(super) pci: PciTree,
    /// DIMMs in creation order.
    pub(super) dimms: Vec<Dimm>,
    /// Ids of all user devices, in `-device` order.
    pub(super) device_ids: IdSet,
    /// The memory configuration (with the AMD relocation decided).
    pub(super) memory: MemoryConfig,
    /// Network cards: their net client names (`id`, else `TYPE.N`) and
    /// whether a netdev is their peer, in creation order.
    nics: Vec<(String, String, bool)>,
    /// Netdev ids taken by a card.
    used_netdevs: Vec<String>,
    /// Whether a virtual IOMMU was plugged (x86 takes one).
    viommu: bool,
}

/// The default devices, the memory map, then every `-device`.
pub(super) fn plug_devices(st: &mut State<'_, '_>) -> Result<Devices, QemuError> {
    let kind = st.machine.kind;
    let mut pci = PciTree::with_chipset(kind, st.props.chipset);
    // The chipset's ACPI PCI hot-plug (see `BusHotplug`).
    let bridges_default = pci::acpi_bridge_hotplug_default(kind, &st.machine.machine_type);
    match kind {
        MachineKind::Pc => {
            let bridges = st
                .cmd
                .global_bool("PIIX4_PM", "acpi-pci-hotplug-with-bridge-support")
                .unwrap_or(bridges_default);
            let root = st
                .cmd
                .global_bool("PIIX4_PM", "acpi-root-pci-hotplug")
                .unwrap_or(true);
            pci.set_acpi_hotplug(root || bridges, bridges);
        }
        MachineKind::Q35 => {
            let bridges = st
                .cmd
                .global_bool("ICH9-LPC", "acpi-pci-hotplug-with-bridge-support")
                .unwrap_or(bridges_default);
            pci.set_acpi_hotplug(bridges, bridges);
        }
        MachineKind::Virt => {}
    }
    if !st.cmd.nodefaults {
        for spec in pci::default_devices(kind, !st.cmd.vga_none, st.cmd.default_nic) {
            pci.add(&spec)
                .map_err(|e| QemuError::program(e.to_string()))?;
        }
    }
    // The cards of -nic / -net nic, created with the machine (after the VGA);
    // each has a peer (its -nic backend, or hub 0), and a name by its type.
    let mut machine_nics: Vec<(String, String, bool)> = Vec::new();
    for model in st.cmd.machine_nic_models() {
        if let Some(spec) = pci::nic_device(kind, model) {
            pci.add(&spec)
                .map_err(|e| QemuError::program(e.to_string()))?;
            push_nic(&mut machine_nics, None, &spec.driver, true);
        }
    }
    let (memory, mut placer) = memory_map(st)?;
    let mut devs = Devices {
        pci,
        dimms: Vec::new(),
        device_ids: IdSet::with_capacity(st.cmd.devices.len()),
        memory,
        nics: machine_nics,
        used_netdevs: Vec::new(),
        viommu: false,
    };
    let mut has_pxb_cxl = false;
    let mut balloon = false;
    let devices = std::mem::take(&mut st.cmd.devices);
    // Each device's properties are parsed again here, one device at a time.
    let r = devices.iter().try_for_each(|d| {
        let opts = d.opts(st.profile);
        has_pxb_cxl |= plug_device(st, &mut devs, &mut placer, &mut balloon, &d.opt(), &opts)?;
        Ok(())
    });
    st.cmd.devices = devices;
    r?;
    net_check_clients(st, &devs);
    if has_pxb_cxl && !st.props.cxl {
        return Err(QemuError::program("CXL host bridges present, but cxl=off"));
    }
    if st.props.cxl {
        cxl_fmw_targets(st, &devs)?;
    }
    Ok(devs)
}

/// One `-device`; returns whether it is a `pxb-cxl`.
fn plug_device(
    st: &mut State<'_, '_>,
    devs: &mut Devices,
    placer: &mut Option<DimmPlacer>,
    balloon: &mut bool,
    o: &CmdOption,
    d: &Opts,
) -> Result<bool, QemuError> {
    let given = d.get("driver").unwrap_or_default();
    // QEMU looks the type up (by name, then alias) before it sets the id.
    let class = match given {
        "" => None,
        _ => Some(
            st.profile
                .device_class(st.machine.arch, given)
                .ok_or_else(|| o.error(format!("'{given}' is not a valid device model name")))?,
        ),
    };
    let driver = class.map_or(given, |c| c.name);
    if let Some(i) = d.get("id") {
        if !super::objects::id_wellformed(i) {
            // Only a JSON -device gets here (keyval ids are checked in the argv pass).
            return Err(o.error(format!("Invalid qdev ID '{i}'")));
        }
        match devs.device_ids.insert(i) {
            Ok(_) => {}
            Err(Some(_)) => return Err(o.error(format!("Duplicate ID '{i}' for device"))),
            Err(None) => return Err(o.error("too many devices (vnuma: at most 2^31)")),
        }
    }
    if let (false, Some(e)) = (driver.is_empty(), d.get(super::options::DEFERRED_ERROR)) {
        return Err(o.error(e));
    }
    // One virtio balloon per machine (live 10.0.2/11.1.3: "Only one balloon
    // device is supported" at the second one's realize).
    if driver.starts_with("virtio-balloon") {
        if *balloon {
            return Err(o.error("Only one balloon device is supported"));
        }
        *balloon = true;
    }
    if st.machine.kind.is_x86()
        && matches!(driver, "intel-iommu" | "amd-iommu" | "virtio-iommu-pci")
    {
        viommu(st, devs, o, d, driver)?;
    }
    match driver {
        "pc-dimm" | "nvdimm" => {
            let dimm = plug_dimm(st, devs, placer, o, d)?;
            devs.dimms.push(dimm);
        }
        "" => return Err(o.error("Parameter 'driver' is missing")),
        _ if pci::is_pci_driver(driver) || class.is_some_and(|c| c.pci) => {
            if matches!(driver, "virtio-mem-pci" | "virtio-pmem-pci") {
                place_virtio_md(st, placer, o, d, driver)?;
            }
            if driver == "pxb-cxl" && !pci::pxb_cxl_allowed(st.machine.kind) {
                return Err(o.error("pxb-cxl devices cannot reside on a PCI bus"));
            }
            let nic = pci::is_nic(driver);
            if nic {
                nic_netdev(st, devs, o, d, driver)?;
            }
            let mut spec = pci_spec(o, d, driver)?;
            if matches!(driver, "pci-bridge" | "pci-bridge-seat") && spec.shpc.is_none() {
                spec.shpc = st.cmd.global_bool("pci-bridge", "shpc");
            }
            if pci::is_extra_root(driver) {
                spec.illegal_numa_node = pxb_numa_node(o, d)?
                    .filter(|&n| n != NUMA_NODE_UNASSIGNED && usize::from(n) >= st.numa.num_nodes);
            }
            devs.pci.add(&spec).map_err(|e| o.error(e.to_string()))?;
            if nic {
                let peer = d.get("netdev").is_some();
                push_nic(&mut devs.nics, d.get("id"), driver, peer);
            }
            return Ok(driver == "pxb-cxl");
        }
        _ => st.cmd.ignore(|| o.location()),
    }
    Ok(false)
}

/// An x86 virtual IOMMU (live 10.0.2 and 11.1.3): `intel-iommu` and
/// `amd-iommu` are system-bus devices `pc` does not take; a machine takes one
/// IOMMU (a later `intel-iommu`/`amd-iommu` is refused); `amd-iommu` puts its
/// `AMDVI-PCI` function first-free on the host bus when it is realized (11.1's
/// `pci-id=`, naming one already plugged, is not followed).
fn viommu(
    st: &State<'_, '_>,
    devs: &mut Devices,
    o: &CmdOption,
    d: &Opts,
    driver: &str,
) -> Result<(), QemuError> {
    if driver == "virtio-iommu-pci" {
        devs.viommu = true;
        return Ok(());
    }
    if st.machine.kind == MachineKind::Pc {
        return Err(
            o.error("Parameter 'driver' expects a dynamic sysbus device type for the machine")
        );
    }
    if devs.viommu {
        return Err(o.error("QEMU does not support multiple vIOMMUs for x86 yet."));
    }
    devs.viommu = true;
    if driver == "amd-iommu" && d.get("pci-id").is_none() {
        let host = devs.pci.buses.first().map(|b| b.name.clone());
        devs.pci
            .add(&DeviceSpec {
                driver: "AMDVI-PCI".into(),
                bus: host,
                ..Default::default()
            })
            .map_err(|e| o.error(e.to_string()))?;
    }
    Ok(())
}

/// Appends a network card to `nics`, named as QEMU names its net client
/// (`assign_name`): its id, else its type and how many cards of that type
/// came before it.
fn push_nic(nics: &mut Vec<(String, String, bool)>, id: Option<&str>, driver: &str, peer: bool) {
    let name = match id {
        Some(id) => id.to_string(),
        None => {
            let n = nics.iter().filter(|(_, t, _)| t == driver).count();
            format!("{driver}.{n}")
        }
    };
    nics.push((name, driver.to_string(), peer));
}

/// Whether vnuma follows the line's network clients: every `-netdev` read
/// (no `hubport`), every `-nic` / `-net nic` card of a model the machine
/// creates, and `-net` only as hub 0 with both cards and a backend (QEMU
/// warns about a hub without either, which vnuma does not model).
fn nets_followed(st: &State<'_, '_>) -> bool {
    let c = &st.cmd;
    !c.net_odd
        && c.hub_nic_models.is_empty() == (c.hub_backends == 0)
        && c.netdevs.iter().all(Option::is_some)
        && c.machine_nic_models()
            .all(|m| pci::nic_device(st.machine.kind, m).is_some())
}

/// A network card's `netdev=`: the netdev must exist and be free (QEMU sets
/// the property before `addr` and the other checks of the device; live
/// 10.0.2 and 11.1.3).
fn nic_netdev(
    st: &State<'_, '_>,
    devs: &mut Devices,
    o: &CmdOption,
    d: &Opts,
    driver: &str,
) -> Result<(), QemuError> {
    let Some(nd) = d.get("netdev") else {
        return Ok(());
    };
    // virtio-net's PCI proxies forward the property to their virtio device,
    // which names it (live 10.0.2 and 11.1.3).
    let owner = if driver.starts_with("virtio-net-pci") {
        "virtio-net-device"
    } else {
        driver
    };
    // A missing bus is reported first (the bus is looked up before the device
    // is made); with a netdev vnuma could not read, nothing is checked.
    if d.get("bus").is_some_and(|b| devs.pci.find_bus(b).is_none())
        || st.cmd.netdevs.iter().any(Option::is_none)
    {
        return Ok(());
    }
    let wired = st.cmd.net_names.iter().any(|n| n == nd);
    if !wired && !st.cmd.netdevs.iter().any(|n| n.as_deref() == Some(nd)) {
        return Err(o.error(format!("Property '{owner}.netdev' can't find value '{nd}'")));
    }
    if wired || devs.used_netdevs.iter().any(|u| u == nd) {
        return Err(o.error(format!(
            "Property '{owner}.netdev' can't take value '{nd}', it's in use"
        )));
    }
    devs.used_netdevs.push(nd.to_string());
    Ok(())
}

/// `net_check_clients`, run when the machine is created unless QEMU set up
/// its default network (no `-nodefaults`, no `-net`/`-netdev`/`-nic`): a
/// warning for each netdev no card took, then each card without a netdev
/// (live 10.0.2 and 11.1.3: `warning: nic e1000.0 has no peer`).
fn net_check_clients(st: &mut State<'_, '_>, devs: &Devices) {
    if (st.cmd.default_nic && !st.cmd.nodefaults) || !nets_followed(st) {
        return;
    }
    for id in st.cmd.netdevs.iter().flatten() {
        if !devs.used_netdevs.contains(id) {
            st.warnings.push(QemuError::program(format!(
                "warning: netdev {id} has no peer"
            )));
        }
    }
    for (name, _, peer) in &devs.nics {
        if !peer {
            st.warnings.push(QemuError::program(format!(
                "warning: nic {name} has no peer"
            )));
        }
    }
}

/// QEMU's `NUMA_NODE_UNASSIGNED` (`MAX_NODES`): the default of a pxb's
/// `numa_node`, and the one value at or above the node count it accepts (live
/// 10.0.2/11.1.3: `numa_node=128` starts, `127` without nodes is illegal).
const NUMA_NODE_UNASSIGNED: u16 = 128;

/// A `pxb*`'s `numa_node=` (a uint16 property; live 10.0.2/11.1.3 texts).
fn pxb_numa_node(o: &CmdOption, d: &Opts) -> Result<Option<u16>, QemuError> {
    let Some(v) = d.get("numa_node") else {
        return Ok(None);
    };
    let n = lexer::parse_u64(v).ok_or_else(|| o.error("Parameter 'numa_node' expects integer"))?;
    u16::try_from(n)
        .map(Some)
        .map_err(|_| o.error("Parameter 'numa_node' expects uint16_t"))
}

/// Machine done: every `cxl-fmw.N.targets.M` must name a `pxb-cxl` (live
/// 10.0.2/11.1.3: "Could not resolve CXLFM target nosuch", before the generic
/// initiators are resolved), the last value of each key, windows in order.
fn cxl_fmw_targets(st: &State<'_, '_>, devs: &Devices) -> Result<(), QemuError> {
    let mut targets: Vec<(&str, &str)> = Vec::new();
    for (k, v) in &st.cmd.machine_pairs {
        if k.starts_with("cxl-fmw.") && k.contains(".targets.") {
            match targets.iter_mut().find(|(key, _)| *key == k.as_str()) {
                Some(t) => t.1 = v.as_str(),
                None => targets.push((k.as_str(), v.as_str())),
            }
        }
    }
    let is_pxb_cxl = |t: &str| {
        devs.pci
            .devices
            .iter()
            .any(|d| d.driver == "pxb-cxl" && d.id.as_deref() == Some(t))
    };
    match targets.iter().find(|(_, t)| !is_pxb_cxl(t)) {
        Some((_, t)) => Err(QemuError::program(format!(
            "Could not resolve CXLFM target {t}"
        ))),
        None => Ok(()),
    }
}

/// A `pc-dimm` / `nvdimm`: QEMU's pre-plug checks, then its address.
fn plug_dimm(
    st: &State<'_, '_>,
    devs: &Devices,
    placer: &mut Option<DimmPlacer>,
    o: &CmdOption,
    d: &Opts,
) -> Result<Dimm, QemuError> {
    let driver = d.get("driver").unwrap_or_default();
    let nv = driver == "nvdimm";
    if st.machine.kind == MachineKind::Virt
        && !(st.cmd.firmware && st.props.acpi)
        && !(nv && st.profile.virt_nvdimm_without_ged)
    {
        // virt_memory_pre_plug: no acpi-ged without firmware and ACPI (QEMU 11.1:
        // a cold-plugged NVDIMM does without).
        return Err(o.error("memory hotplug is not enabled: missing acpi-ged device"));
    }
    if st.machine.kind.is_x86() && !st.props.acpi {
        // pc_memory_pre_plug, before the nvdimm check (live 11.1.3: a libvirt
        // line for a domain without <acpi/> and a <memory model='dimm'>).
        return Err(o.error("memory hotplug is not enabled: missing acpi device or acpi disabled"));
    }
    if nv && !st.props.nvdimm {
        return Err(o.error("nvdimm is not enabled: missing 'nvdimm' in '-M'"));
    }
    let Some(placer) = placer.as_mut() else {
        return Err(o.error("no slots where allocated, please specify the 'slots' option"));
    };
    // pc_dimm_get_free_slot: pc-dimms and NVDIMMs share the slots.
    if u64::try_from(devs.dimms.len()).unwrap_or(u64::MAX) >= st.ram.slots {
        return Err(o.error("no free slots available"));
    }
    let Some(md) = d.get("memdev") else {
        return Err(o.error("'memdev' property must be set"));
    };
    let size = st.cmd.objects.backend_size(md).ok_or_else(|| {
        o.error(format!(
            "Property '{driver}.memdev' can't find value '{md}'"
        ))
    })?;
    let node = d.get("node").and_then(lexer::parse_u64).unwrap_or(0);
    if !dimm_node_ok(st, node) {
        return Err(o.error(format!(
            "'DIMM property node has value {node}' which exceeds the number of numa nodes: {}",
            node_count(st).max(1)
        )));
    }
    let id = d.get("id").map(str::to_string);
    // QEMU aligns to the backend's region alignment: 2 MiB for anonymous RAM on
    // Linux hosts. `addr=` (libvirt: `<address type='dimm' base=…>`) fixes the
    // address; 0 means first fit (live 11.1.3: a DIMM at 0x140000000 moves the
    // NVDIMM after it to the region start).
    let fixed = d.get("addr").and_then(lexer::parse_u64).filter(|&a| a != 0);
    let addr = placer
        .place(&DimmRequest {
            id: id.clone().unwrap_or_default(),
            size,
            addr: fixed,
            align: 2 * MIB,
        })
        .map_err(|e| o.error(e.message()))?;
    Ok(Dimm {
        id,
        nvdimm: nv,
        memdev: md.to_string(),
        node: u32::try_from(node).unwrap_or(0),
        addr,
        size,
    })
}

/// A `virtio-mem-pci` / `virtio-pmem-pci`: its memory region takes device-memory
/// address space in `-device` order like a DIMM (`memory_device_pre_plug`, before
/// the PCI function is realized), so it moves the NVDIMMs after it, whose SRAT
/// entries carry their addresses (live QEMU 11.1.3, a libvirt 12.9 line with a
/// `<memory model='virtio-mem'>` before a `<memory model='nvdimm'>`). Alignment:
/// the backend's (2 MiB, as for DIMMs) and, for virtio-mem, its `block-size`.
/// The device takes no DIMM slot.
fn place_virtio_md(
    st: &State<'_, '_>,
    placer: &mut Option<DimmPlacer>,
    o: &CmdOption,
    d: &Opts,
    driver: &str,
) -> Result<(), QemuError> {
    // Without memdev the device's realize fails later; nothing to place.
    let Some(md) = d.get("memdev") else {
        return Ok(());
    };
    let Some(size) = st.cmd.objects.backend_size(md) else {
        return Ok(());
    };
    let Some(placer) = placer.as_mut() else {
        return Err(o.error(
            "the configuration is not prepared for memory devices (e.g., for memory hotplug), consider specifying the maxmem option",
        ));
    };
    let block = match driver {
        "virtio-mem-pci" => d.get("block-size").and_then(lexer::parse_size).unwrap_or(0),
        _ => 0,
    };
    let addr = d
        .get("memaddr")
        .and_then(lexer::parse_u64)
        .filter(|&a| a != 0);
    placer
        .place(&DimmRequest {
            id: d.get("id").unwrap_or_default().to_string(),
            size,
            addr,
            align: block.max(2 * MIB),
        })
        .map_err(|e| o.error(e.message()))?;
    Ok(())
}

/// A PCI `-device`'s properties (addr, multifunction, bus_nr, bus-reserve).
fn pci_spec(o: &CmdOption, d: &Opts, driver: &str) -> Result<DeviceSpec, QemuError> {
    let devfn = match d.get("addr") {
        Some(a) => Some(pci::parse_devfn(a).ok_or_else(|| {
            o.error(format!("Property '{driver}.addr' doesn't take value '{a}'"))
        })?),
        None => None,
    };
    let multifunction = match d.get("multifunction") {
        Some(v) => lexer::parse_bool(v)
            .ok_or_else(|| o.error("Parameter 'multifunction' expects 'on' or 'off'"))?,
        None => false,
    };
    let bad = |key: &str, v: &str| {
        o.error(format!(
            "Property '{driver}.{key}' doesn't take value '{v}'"
        ))
    };
    let bus_nr = match d.get("bus_nr") {
        Some(v) => (lexer::parse_u64(v).ok_or(BusNrError))
            .and_then(pci::bus_nr)
            .map_err(|BusNrError| bad("bus_nr", v))?,
        None => 0,
    };
    let bus_reserve = match d.get("bus-reserve") {
        Some(v) => Some(
            (lexer::parse_u64(v).ok_or(BusNrError))
                .and_then(pci::bus_reserve)
                .map_err(|BusNrError| bad("bus-reserve", v))?,
        ),
        None => None,
    };
    // Integer properties: QEMU's visitor texts.
    let uint = |key: &str, max: u64, ty: &str| -> Result<u64, QemuError> {
        match d.get(key) {
            None => Ok(0),
            Some(v) => match lexer::parse_u64(v) {
                None => Err(o.error(format!("Parameter '{key}' expects integer"))),
                Some(n) if n > max => Err(o.error(format!("Parameter '{key}' expects {ty}"))),
                Some(n) => Ok(n),
            },
        }
    };
    let mut chassis_nr = 0;
    let mut pcie_slot = (0, 0);
    if matches!(driver, "pci-bridge" | "pci-bridge-seat") {
        chassis_nr = uint("chassis_nr", 255, "uint8_t")? as u8;
    }
    if pci::is_pcie_slot(driver) {
        pcie_slot = (
            uint("chassis", 255, "uint8_t")? as u8,
            uint("slot", 65535, "uint16_t")? as u16,
        );
    }
    let shpc = match d.get("shpc") {
        Some(v) if matches!(driver, "pci-bridge" | "pci-bridge-seat") => Some(
            lexer::parse_bool(v)
                .ok_or_else(|| o.error("Parameter 'shpc' expects 'on' or 'off'"))?,
        ),
        _ => None,
    };
    Ok(DeviceSpec {
        driver: driver.to_string(),
        id: d.get("id").map(str::to_string),
        bus: d.get("bus").map(str::to_string),
        devfn,
        multifunction,
        bus_nr,
        bus_reserve,
        illegal_numa_node: None,
        shpc,
        chassis_nr,
        pcie_slot,
    })
}

/// The generic initiators and ports as the ACPI table build emits them (only
/// with ACPI on and ≥ 1 node): every GI (node check, then device check) in
/// `/objects` iteration order, then every GP.
pub(super) fn acpi_affinities(
    st: &State<'_, '_>,
    devs: &Devices,
) -> Result<(Vec<GiInfo>, Vec<GpInfo>), QemuError> {
    let bus_numbers = devs
        .pci
        .try_bus_numbers()
        .map_err(|e| QemuError::program(e.to_string()))?;
    if !(st.props.acpi && st.numa.num_nodes > 0) {
        return Ok((Vec::new(), Vec::new()));
    }
    let ordered = objects_order(st);
    let objects = &st.cmd.objects;
    let mut gis = Vec::new();
    for &i in &ordered {
        if objects.qom_type(i) != "acpi-generic-initiator" {
            continue;
        }
        // The nodes were checked when the object was created.
        let nodes = gi_nodes(objects, i, st.profile)?;
        let pci_dev = gi_pci_dev(objects, i, st.profile);
        for node in nodes {
            if idx(u64::from(node)) >= st.numa.num_nodes {
                return Err(QemuError::bare(format!(
                    "acpi-generic-initiator: Specified node {node} is invalid."
                )));
            }
            let pd = resolve_pci_device(&devs.pci, &pci_dev).ok_or_else(|| {
                QemuError::bare("acpi-generic-initiator: Specified device must be a PCI device.")
            })?;
            gis.push(GiInfo {
                object_id: objects.id(i).to_string(),
                pci_dev: pci_dev.clone(),
                node,
                bus: bus_numbers.get(pd.bus).copied().unwrap_or(0),
                devfn: pd.devfn,
            });
        }
    }
    let mut gps = Vec::new();
    for &i in &ordered {
        if objects.qom_type(i) != "acpi-generic-port" {
            continue;
        }
        let (pci_bus, node) = gp_node(objects, i, st.profile)?;
        if idx(u64::from(node)) >= st.numa.num_nodes {
            return Err(QemuError::bare(format!(
                "acpi-generic-port: node {node} is invalid."
            )));
        }
        let uid = resolve_cxl_bus(&devs.pci, &pci_bus).ok_or_else(|| {
            QemuError::bare("acpi-generic-port: device must be a CXL host bridge.")
        })?;
        gps.push(GpInfo {
            object_id: objects.id(i).to_string(),
            pci_bus,
            node,
            uid,
        });
    }
    Ok((gis, gps))
}

/// The `-object` numbers in `/objects` iteration order (spec §4.6): the hash
/// table holds the early objects, the late ones, the monitors, and the default
/// RAM backend when QEMU creates it (those last ones are no `-object`).
fn objects_order(st: &State<'_, '_>) -> Vec<usize> {
    let objects = &st.cmd.objects;
    // Early objects, then the late ones (memory backends and 11.1's monitor
    // objects) in command-line order, then the monitors of -mon/-qmp/-monitor.
    let mut keys: Vec<u32> = (objects.early())
        .chain(objects.select(is_late_object))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let mut others: Vec<&str> = Vec::new();
    let monitors =
        (st.profile).monitor_object_ids(st.cmd.monitors, st.cmd.monitor_option, st.cmd.nodefaults);
    others.extend(monitors.iter().map(String::as_str));
    if !st.numa.have_memdevs && st.props.memory_backend.is_none() {
        others.push(default_ram_id(st.machine.kind));
    }
    keys.shrink_to_fit();
    let n = keys.len();
    let key = |k: usize| match keys.get(k) {
        Some(&i) => objects.id(i as usize),
        None => k
            .checked_sub(n)
            .and_then(|j| others.get(j))
            .copied()
            .unwrap_or(""),
    };
    hash_order_by(n + others.len(), key)
        .into_iter()
        .filter_map(|k| keys.get(k).map(|&i| i as usize))
        .collect()
}

/// Resolves a GI `pci-dev=` value: a device id, or `/machine/peripheral/<id>`.
fn resolve_pci_device<'a>(pci: &'a PciTree, s: &str) -> Option<&'a pci::PciDevice> {
    let id = s.strip_prefix("/machine/peripheral/").unwrap_or(s);
    pci.devices.get(pci.find_device(id)?)
}

/// Resolves a GP `pci-bus=` value to a pxb-cxl root bus; its `_UID` (`bus_nr`).
fn resolve_cxl_bus(pci: &PciTree, s: &str) -> Option<u32> {
    let bus = pci.buses.get(pci.find_bus(s)?)?;
    (bus.cxl
        && matches!(
            bus.parent.and_then(|p| pci.devices.get(p)).map(|d| &d.kind),
            Some(DeviceKind::ExtraRoot { .. })
        ))
    .then(|| u32::from(bus.fixed_number.unwrap_or(0)))
}
