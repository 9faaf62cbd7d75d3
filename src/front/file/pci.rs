//! Phase: `[[pci]]` tables → devices placed by QEMU's own rules
//! ([`crate::machine::pci`]) on the printed command line (QEMU's default devices
//! first, then the file's devices with a driver, in file order), with the bus
//! numbers its firmware assigns.

use toml::Spanned;

use super::PciDevice;
use super::error::FileError;
use super::raw::RawPci;
use super::resolve::Resolver;
use crate::acpi::PciHandle;
use crate::machine::pci::{self as mpci, DeviceSpec, PciTree};
use crate::syntax;

/// A `[[pci]]` entry's checked keys.
struct Entry {
    id: String,
    devfn: Option<u8>,
    bdf: Option<PciHandle>,
}

impl Resolver<'_> {
    /// Every `[[pci]]` device and the PCI tree of the printed command line.
    pub(super) fn pci_devices(&self) -> Result<(Vec<PciDevice>, PciTree), FileError> {
        let mut tree = self.default_pci_tree()?;
        let mut pci: Vec<PciDevice> = Vec::new();
        let mut tree_index: Vec<Option<usize>> = Vec::new();
        for (i, p) in self.raw.pci.iter().enumerate() {
            let entry = self.pci_entry(i, p, &pci)?;
            let (device, at) = match &p.get_ref().driver {
                None => (self.device_without_driver(i, p, entry)?, None),
                Some(driver) => {
                    let (d, at) = self.device_with_driver(&mut tree, i, p, driver, entry)?;
                    (d, Some(at))
                }
            };
            pci.push(device);
            tree_index.push(at);
        }
        self.assign_addresses(&tree, &mut pci, &tree_index)?;
        Ok((pci, tree))
    }

    /// The tree with QEMU's default devices (VGA unless the file has one, NIC).
    fn default_pci_tree(&self) -> Result<PciTree, FileError> {
        let mut tree = PciTree::new(self.machine);
        let has_vga = self
            .raw
            .pci
            .iter()
            .filter_map(|p| p.get_ref().driver.as_deref())
            .any(mpci::is_vga);
        for spec in mpci::default_devices(self.machine, !has_vga, true) {
            tree.add(&spec)
                .map_err(|m| self.err(self.mspan.clone(), "pci", m.to_string()))?;
        }
        Ok(tree)
    }

    /// The id, `addr` and `bdf` of entry `i`.
    fn pci_entry(
        &self,
        i: usize,
        p: &Spanned<RawPci>,
        earlier: &[PciDevice],
    ) -> Result<Entry, FileError> {
        let rp = p.get_ref();
        let key = |k: &str| format!("pci[{i}].{k}");
        let id = rp.id.get_ref().clone();
        if !id_wellformed(&id) {
            return Err(self.err(
                rp.id.span(),
                key("id"),
                format!(
                    "{id:?} is not a valid id (QEMU wants a letter, then letters, digits, '-', '.' or '_')"
                ),
            ));
        }
        if earlier.iter().any(|d| d.id == id) {
            return Err(self.err(
                rp.id.span(),
                key("id"),
                format!("id \"{id}\" is used twice"),
            ));
        }
        let devfn = match &rp.addr {
            Some(a) => Some(mpci::parse_devfn(a.get_ref()).ok_or_else(|| {
                self.err(
                    a.span(),
                    key("addr"),
                    format!("\"{}\" is not a slot.function like \"04.0\"", a.get_ref()),
                )
            })?),
            None => None,
        };
        let bdf = match &rp.bdf {
            Some(b) => Some(PciHandle::parse(b.get_ref()).ok_or_else(|| {
                self.err(
                    b.span(),
                    key("bdf"),
                    format!(
                        "\"{}\" is not a PCI address like \"0000:01:00.0\"",
                        b.get_ref()
                    ),
                )
            })?),
            None => None,
        };
        Ok(Entry { id, devfn, bdf })
    }

    /// A device vnuma does not emit: named by its guest address only.
    fn device_without_driver(
        &self,
        i: usize,
        p: &Spanned<RawPci>,
        entry: Entry,
    ) -> Result<PciDevice, FileError> {
        let rp = p.get_ref();
        if rp.bus.is_some() || rp.addr.is_some() || rp.props.is_some() {
            return Err(self.err(
                p.span(),
                format!("pci[{i}]"),
                "bus, addr and props place a device on the VMM command line and need a driver; a device without driver is given by its guest address (bdf)",
            ));
        }
        let Some(address) = entry.bdf else {
            return Err(self.err(
                p.span(),
                format!("pci[{i}]"),
                "give the device's driver (and where it sits: bus, addr) or, for a device vnuma does not emit, its guest address (bdf)",
            ));
        };
        Ok(PciDevice {
            id: entry.id,
            driver: None,
            bus: None,
            addr: None,
            props: None,
            bdf: entry.bdf,
            address,
            placed: None,
        })
    }

    /// A device with a driver, added to the tree; returns it and its tree index.
    fn device_with_driver(
        &self,
        tree: &mut PciTree,
        i: usize,
        p: &Spanned<RawPci>,
        driver: &str,
        entry: Entry,
    ) -> Result<(PciDevice, usize), FileError> {
        let rp = p.get_ref();
        if !mpci::is_pci_driver(driver) {
            return Err(self.err(
                p.span(),
                format!("pci[{i}].driver"),
                format!("\"{driver}\" is not a PCI device type vnuma knows (e.g. pci-testdev, vfio-pci, pcie-root-port, pxb-cxl)"),
            ));
        }
        if driver == "pxb-cxl" && !mpci::pxb_cxl_allowed(self.machine) {
            return Err(self.err(
                p.span(),
                format!("pci[{i}].driver"),
                "QEMU would refuse this device: pxb-cxl devices cannot reside on a PCI bus (only q35 has CXL)",
            ));
        }
        let spec = self.device_spec(p, i, driver, &entry)?;
        let at = tree.add(&spec).map_err(|m| {
            self.err(
                p.span(),
                format!("pci[{i}]"),
                format!("QEMU would refuse this device: {m}"),
            )
        })?;
        let device = PciDevice {
            id: entry.id,
            driver: Some(driver.to_string()),
            bus: rp.bus.clone(),
            addr: entry.devfn.map(|d| (d >> 3, d & 7)),
            props: rp.props.clone(),
            bdf: entry.bdf,
            address: PciHandle::new(0, 0, 0, 0),
            placed: None,
        };
        Ok((device, at))
    }

    /// Guest addresses: firmware bus numbers over the whole tree; a given `bdf`
    /// must agree.
    fn assign_addresses(
        &self,
        tree: &PciTree,
        pci: &mut [PciDevice],
        tree_index: &[Option<usize>],
    ) -> Result<(), FileError> {
        let bus_numbers = tree.bus_numbers();
        for (i, (d, at)) in pci.iter_mut().zip(tree_index).enumerate() {
            let Some(dev) = at.and_then(|k| tree.devices.get(k)) else {
                continue;
            };
            let bus_name = tree
                .buses
                .get(dev.bus)
                .map(|b| b.name.clone())
                .unwrap_or_default();
            let number = bus_numbers.get(dev.bus).copied().unwrap_or(0);
            let computed = PciHandle::new(0, number, dev.devfn >> 3, dev.devfn & 7);
            if let Some(given) = d.bdf
                && given != computed
            {
                let span = self.raw.pci.get(i).map_or(self.mspan.clone(), |p| {
                    p.get_ref().bdf.as_ref().map_or(p.span(), |b| b.span())
                });
                return Err(self.err(
                    span,
                    format!("pci[{i}].bdf"),
                    format!(
                        "{given} is not where QEMU 10 puts device \"{}\": its firmware numbers bus \"{bus_name}\" {number}, so the guest sees it at {computed} (drop bdf, or fix bus/addr)",
                        d.id
                    ),
                ));
            }
            d.address = computed;
            d.placed = Some((bus_name, dev.devfn));
        }
        Ok(())
    }

    /// The `-device` a `[[pci]]` table with a driver becomes, for QEMU's PCI
    /// model; `props` may set the placement-relevant properties (they are printed
    /// verbatim as well).
    fn device_spec(
        &self,
        p: &Spanned<RawPci>,
        i: usize,
        driver: &str,
        entry: &Entry,
    ) -> Result<DeviceSpec, FileError> {
        let rp = p.get_ref();
        let mut spec = DeviceSpec {
            driver: driver.to_string(),
            id: Some(entry.id.clone()),
            bus: rp.bus.clone(),
            devfn: entry.devfn,
            ..DeviceSpec::default()
        };
        if let Some(bus) = &rp.bus
            && !id_wellformed(bus)
        {
            return Err(self.err(
                p.span(),
                format!("pci[{i}].bus"),
                format!("{bus:?} is not a bus name (an id: a letter, then letters, digits, '-', '.' or '_')"),
            ));
        }
        if let Some(props) = &rp.props
            && let Some(c) = props.chars().find(|c| c.is_control())
        {
            // A newline would start a new option in the argument files.
            return Err(self.err(
                p.span(),
                format!("pci[{i}].props"),
                format!(
                    "{props:?} holds the control character {c:?}; QEMU properties are one line"
                ),
            ));
        }
        if let Some(props) = &rp.props {
            apply_placement_props(&mut spec, props)
                .map_err(|e| self.err(p.span(), format!("pci[{i}].props"), e.to_string()))?;
        }
        Ok(spec)
    }
}

/// Why a `props` string cannot place a device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum PropsError {
    /// A key the `[[pci]]` table has itself.
    #[error("\"{0}\" is a key of the [[pci]] table, not a property")]
    TableKey(&'static str),
    /// `multifunction` is not a boolean.
    #[error("multifunction=\"{0}\" is not on or off")]
    Multifunction(String),
    /// `bus_nr` is not a bus number.
    #[error("bus_nr=\"{0}\" is not a bus number 0..255")]
    BusNr(String),
    /// `bus-reserve` is not a number.
    #[error("bus-reserve=\"{0}\" is not a number")]
    BusReserve(String),
    /// A chassis or slot number out of its range.
    #[error("{0}=\"{1}\" is not a number 0..{2}")]
    Number(&'static str, String, u64),
    /// `shpc` is not a boolean.
    #[error("shpc=\"{0}\" is not on or off")]
    Shpc(String),
}

/// Reads the properties that change where QEMU places a device or whether it
/// takes it — `multifunction`, `bus_nr`, `bus-reserve`, a bridge's
/// `chassis_nr` and `shpc`, a PCIe slot's `chassis` and `slot` — from a
/// `props` string (QEMU's `-device` option syntax) into `spec`.
fn apply_placement_props(spec: &mut DeviceSpec, props: &str) -> Result<(), PropsError> {
    let pairs = syntax::qemu_opts_pairs(props);
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    for k in ["id", "bus", "addr", "driver"] {
        if get(k).is_some() {
            return Err(PropsError::TableKey(k));
        }
    }
    if let Some(v) = get("multifunction") {
        spec.multifunction =
            syntax::parse_bool(v).ok_or_else(|| PropsError::Multifunction(v.to_string()))?;
    }
    if let Some(v) = get("bus_nr") {
        spec.bus_nr = syntax::parse_uint(v)
            .and_then(|n| crate::machine::pci::bus_nr(n).ok())
            .ok_or_else(|| PropsError::BusNr(v.to_string()))?;
    }
    if let Some(v) = get("bus-reserve") {
        spec.bus_reserve = Some(
            syntax::parse_uint(v)
                .and_then(|n| crate::machine::pci::bus_reserve(n).ok())
                .ok_or_else(|| PropsError::BusReserve(v.to_string()))?,
        );
    }
    let number = |k: &'static str, max: u64| -> Result<u64, PropsError> {
        get(k).map_or(Ok(0), |v| {
            syntax::parse_uint(v)
                .filter(|&n| n <= max)
                .ok_or_else(|| PropsError::Number(k, v.to_string(), max))
        })
    };
    spec.chassis_nr = number("chassis_nr", 255)? as u8;
    spec.pcie_slot = (number("chassis", 255)? as u8, number("slot", 65535)? as u16);
    if let Some(v) = get("shpc") {
        spec.shpc = Some(syntax::parse_bool(v).ok_or_else(|| PropsError::Shpc(v.to_string()))?);
    }
    Ok(())
}

/// QEMU's `id_wellformed`: a letter, then letters, digits, `-`, `.` or `_`.
pub(crate) fn id_wellformed(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '-' | '.' | '_'))
}
