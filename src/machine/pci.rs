//! A small PCI tree model: root buses (the host bridge's bus and `pxb*` extra
//! roots with their `bus_nr`), bridges (root ports, PCI bridges), endpoint devices
//! with their devfn; QEMU-style devfn auto-assignment and multifunction checks,
//! and firmware-style (SeaBIOS) depth-first bus numbering.
//!
//! Bus numbering (what a guest sees after firmware ran, and what QEMU puts into a
//! Generic Initiator handle): the host bus is 0; walking it in devfn order, each
//! bridge gets the next free number as its secondary bus, and the walk descends into
//! it before continuing (depth first). Then extra root buses (`pxb`, `pxb-pcie`,
//! `pxb-cxl`) keep their `bus_nr` and bridges below them are numbered the same way,
//! continuing from the highest number used so far (SeaBIOS `pci_bios_init_bus`).

use crate::topology::MachineKind;

/// Why QEMU refuses to plug a device (QEMU's text), or firmware cannot number the buses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PciError {
    /// `bus=` names no bus.
    #[error("Bus '{bus}' not found")]
    BusNotFound {
        /// The bus name given.
        bus: String,
    },
    /// Only bridges may sit on an extra root bus.
    #[error("PCI: Only PCI/PCIe bridges can be plugged into {host}")]
    OnlyBridges {
        /// The extra host bridge's driver.
        host: String,
    },
    /// The requested function is taken.
    #[error(
        "PCI: slot {} function {} not available for {driver}, in use by {user},id={}",
        devfn >> 3,
        devfn & 7,
        user_id.as_deref().unwrap_or("(null)")
    )]
    FunctionInUse {
        /// The requested devfn.
        devfn: u8,
        /// The new device's driver.
        driver: String,
        /// The driver of the device already there.
        user: String,
        /// Its id, if any.
        user_id: Option<String>,
    },
    /// No free slot on the bus.
    #[error("PCI: no slot/function available for {driver}, all in use or reserved")]
    BusFull {
        /// The new device's driver.
        driver: String,
    },
    /// A non-zero function in a slot whose function 0 is single-function.
    #[error("PCI: single function device can't be populated in function {slot:x}.{func:x}")]
    SingleFunction {
        /// The slot.
        slot: u8,
        /// The function.
        func: u8,
    },
    /// A single-function function 0 where other functions are populated.
    #[error(
        "PCI: {slot:x}.0 indicates single function, but {slot:x}.{func:x} is already populated."
    )]
    FunctionZeroSingle {
        /// The slot.
        slot: u8,
        /// The populated function.
        func: u8,
    },
    /// A `pxb*` not on the host bus.
    #[error("PXB devices can be attached only to root bus")]
    PxbNotOnRoot,
    /// A `pxb*` `bus_nr` already used by another root bus.
    #[error("Bus {bus_nr} is already in use")]
    BusNrInUse {
        /// The bus number.
        bus_nr: u8,
    },
    /// A plain `pxb` on a PCI Express bus.
    #[error("pxb devices cannot reside on a PCIe bus")]
    PxbOnExpress,
    /// A `pxb-pcie` on a conventional PCI bus.
    #[error("pxb-pcie devices cannot reside on a PCI bus")]
    PxbPcieOnPci,
    /// A `pxb*` `numa_node=` at or above the node count.
    #[error("Illegal numa node {node}")]
    IllegalNumaNode {
        /// The value given.
        node: u16,
    },
    /// A bridge with chassis number 0 (`slotid_cap_init`): the internal
    /// `pci-bridge` of a `pxb` takes the pxb's `bus_nr` as its chassis, so a
    /// `pxb` with `bus_nr=0` (the default) is refused with this text (live 10.0.2
    /// and 11.1.3: `-device pxb,id=p`).
    #[error(
        "Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0."
    )]
    ChassisZero,
    /// A device in slot 0 of a bus whose hot-plug controller is a bridge's
    /// SHPC (`shpc_device_plug_cb`: SHPC slots are 1 – 31), checked when the
    /// device is plugged, after it is realized.
    #[error(
        "Unsupported PCI slot {slot} for standard hotplug controller. Valid slots are between 1 and 31."
    )]
    ShpcSlot {
        /// The device's slot.
        slot: u8,
    },
    /// Two PCIe slots (root ports, downstream ports) with the same chassis and
    /// slot numbers (`pcie_chassis_add_slot`: -EBUSY; both default to 0).
    #[error("Can't add chassis slot, error -16")]
    ChassisSlotBusy,
    /// Firmware bus numbering would not terminate.
    #[error(
        "firmware PCI bus numbering never finishes: bus numbers wrap past 255 \
         (a bridge below an extra root bus with bus_nr 255?); QEMU starts but \
         SeaBIOS loops"
    )]
    BusNumberingLoops,
}

/// A `bus_nr` / `bus-reserve` value out of its property's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bus number value out of range")]
pub struct BusNrError;

/// A pxb's `bus_nr` (a uint8 property): 0..=255.
pub fn bus_nr(n: u64) -> Result<u8, BusNrError> {
    u8::try_from(n).map_err(|_| BusNrError)
}

/// A root port's `bus-reserve` (a uint32 property).
pub fn bus_reserve(n: u64) -> Result<u32, BusNrError> {
    u32::try_from(n).map_err(|_| BusNrError)
}

/// What kind of device a node of the tree is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceKind {
    /// An ordinary PCI function.
    Endpoint,
    /// A PCI-PCI bridge or PCIe port; `secondary` is the index of its bus.
    Bridge {
        /// Index into [`PciTree::buses`] of the secondary bus.
        secondary: usize,
    },
    /// An extra host bridge (`pxb*`) plugged into a root bus; `root` is its new root bus.
    ExtraRoot {
        /// Index into [`PciTree::buses`] of the new root bus.
        root: usize,
    },
}

/// One PCI function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevice {
    /// QEMU device type (`pci-testdev`, `pcie-root-port`, …).
    pub driver: String,
    /// User id (`id=`), if any.
    pub id: Option<String>,
    /// Index into [`PciTree::buses`] of the bus it sits on.
    pub bus: usize,
    /// Device and function: `slot << 3 | function`.
    pub devfn: u8,
    /// `multifunction=on`.
    pub multifunction: bool,
    /// Endpoint, bridge or extra root.
    pub kind: DeviceKind,
    /// Bridges: QEMU's `bus-reserve=` (resource-reserve capability), if set.
    pub bus_reserve: Option<u32>,
}

/// One PCI bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciBus {
    /// QEMU bus name (`pcie.0`, `pci.0`, or the id of the bridge/pxb that provides it).
    pub name: String,
    /// For extra roots: `bus_nr`; for the host bus: 0; for bridges: None (firmware assigns).
    pub fixed_number: Option<u8>,
    /// Device index of the bridge or pxb providing the bus (None for the host bus).
    pub parent: Option<usize>,
    /// Whether this is a CXL host bridge's root bus (`pxb-cxl`).
    pub cxl: bool,
    /// Whether the bus is PCI Express.
    pub express: bool,
    /// Who handles hot-plug on the bus, which decides the slots devices may take.
    pub hotplug: BusHotplug,
}

/// The hot-plug handler of a PCI bus, as far as it restricts where devices go
/// (live QEMU 10.0.2 and 11.1.3, x86_64 and aarch64).
///
/// The chipset's ACPI PCI hot-plug (PIIX4_PM on `pc`, ICH9-LPC on `q35`) owns
/// the host bus, and with `acpi-pci-hotplug-with-bridge-support` (on, except
/// on `pc-q35` before 6.1) it also takes over the secondary bus of every
/// bridge cold-plugged on a bus it owns (`acpi_pcihp_device_plug_cb`), all
/// the way down. Any other bridge keeps its own controller: a `pci-bridge`
/// (unless `shpc=off`) or `pcie-pci-bridge` its SHPC, whose slots are 1 – 31,
/// so slot 0 behind it is refused. Extra root buses (`pxb*`) have no handler,
/// nor has `virt`'s host bus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BusHotplug {
    /// No handler (or one without a slot rule: PCIe ports).
    #[default]
    None,
    /// The chipset's ACPI PCI hot-plug.
    Acpi,
    /// A bridge's standard hot-plug controller.
    Shpc,
}

/// A device to plug (what `-device` says).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Device type.
    pub driver: String,
    /// `id=`.
    pub id: Option<String>,
    /// `bus=` (None: the host bus).
    pub bus: Option<String>,
    /// `addr=` as devfn (None: first free slot).
    pub devfn: Option<u8>,
    /// `multifunction=on`.
    pub multifunction: bool,
    /// `bus_nr=` of a pxb (default 0).
    pub bus_nr: u8,
    /// `bus-reserve=` of a bridge / root port.
    pub bus_reserve: Option<u32>,
    /// A `pxb*`'s `numa_node=` when it names no node of the machine (QEMU refuses
    /// it when the pxb is realized: "Illegal numa node N").
    pub illegal_numa_node: Option<u16>,
    /// A `pci-bridge`'s `shpc=` (None: QEMU's default, on).
    pub shpc: Option<bool>,
    /// A `pci-bridge`'s `chassis_nr=` (0: not given, which QEMU refuses).
    pub chassis_nr: u8,
    /// A PCIe slot's (`pcie-root-port`, `ioh3420`, `xio3130-downstream`,
    /// `cxl-rp`, `cxl-downstream`) `chassis=` and `slot=` (both default 0).
    pub pcie_slot: (u8, u16),
}

/// Chipset functions a machine property turns on or off (`-machine sata=`,
/// `smbus=`, `usb=`, `-usb`; live 10.0.2 and 11.1.3, `info pci`): q35's AHCI
/// (1f.2) and SMBus (1f.3) are on by default; USB is off by default and, on,
/// puts ICH9 UHCI 1 – 3 and EHCI 1 at 1d.0 – 1d.2 and 1d.7 (q35) or the PIIX3
/// UHCI at 01.2 (pc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chipset {
    /// `sata=` (q35: `ich9-ahci` at 1f.2).
    pub sata: bool,
    /// `smbus=` (q35: `ICH9-SMB` at 1f.3).
    pub smbus: bool,
    /// `usb=` / `-usb`.
    pub usb: bool,
}

impl Default for Chipset {
    fn default() -> Self {
        Chipset {
            sata: true,
            smbus: true,
            usb: false,
        }
    }
}

/// The PCI topology of a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciTree {
    /// Buses; index 0 is the host bus.
    pub buses: Vec<PciBus>,
    /// Devices in plug order (built-in devices first).
    pub devices: Vec<PciDevice>,
    /// Whether the chipset's ACPI PCI hot-plug takes over cold-plugged
    /// bridges (`acpi-pci-hotplug-with-bridge-support`, see [`BusHotplug`]).
    acpi_bridges: bool,
    /// The chassis and slot numbers of the PCIe slots plugged so far.
    pcie_slots: Vec<(u8, u16)>,
}

/// Whether the chipset's ACPI PCI hot-plug takes over bridges by default
/// (`acpi-pci-hotplug-with-bridge-support`): always on `pc`; on `q35` from
/// `pc-q35-6.1` (`pc_compat_6_0` turns it off for ICH9-LPC; live 10.0.2:
/// slot 0 behind a `pci-bridge` on `pcie.0` is refused on `pc-q35-6.0`,
/// accepted on 6.1); `virt` has none.
pub fn acpi_bridge_hotplug_default(kind: MachineKind, machine_type: &str) -> bool {
    match kind {
        MachineKind::Pc => true,
        MachineKind::Q35 => {
            crate::machine::cpu::type_version(machine_type).is_none_or(|v| v >= (6, 1))
        }
        MachineKind::Virt => false,
    }
}

/// Whether a QEMU device type is a PCIe slot: a root or downstream port with
/// `chassis=` and `slot=` properties.
pub fn is_pcie_slot(driver: &str) -> bool {
    matches!(
        driver,
        "pcie-root-port" | "ioh3420" | "xio3130-downstream" | "cxl-rp" | "cxl-downstream"
    )
}

/// Whether a QEMU device type is a PCI-PCI bridge or PCIe port (has a secondary bus).
pub fn is_bridge(driver: &str) -> bool {
    matches!(
        driver,
        "pcie-root-port"
            | "ioh3420"
            | "pci-bridge"
            | "pci-bridge-seat"
            | "pcie-pci-bridge"
            | "x3130-upstream"
            | "xio3130-downstream"
            | "cxl-rp"
            | "cxl-upstream"
            | "cxl-downstream"
            | "i82801b11-bridge"
    )
}

/// Whether a QEMU device type is an extra host bridge (`pxb`, `pxb-pcie`, `pxb-cxl`).
pub fn is_extra_root(driver: &str) -> bool {
    matches!(driver, "pxb" | "pxb-pcie" | "pxb-cxl")
}

/// Parses a PCI `addr=` value (`SS[.F]`, hex) into a devfn.
pub fn parse_devfn(s: &str) -> Option<u8> {
    let (slot, func) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let hex = |t: &str| {
        let t = t.strip_prefix("0x").unwrap_or(t);
        if t.is_empty() || t.len() > 8 {
            return None;
        }
        u32::from_str_radix(t, 16).ok()
    };
    let slot = hex(slot)?;
    let func = match func {
        Some(f) => hex(f)?,
        None => 0,
    };
    if slot > 0x1f || func > 7 {
        return None;
    }
    u8::try_from(slot << 3 | func).ok()
}

/// Whether QEMU's `-device DRIVER` is a PCI device that vnuma places on a bus
/// (bridges, extra host bridges and the endpoint types it knows).
pub fn is_pci_driver(d: &str) -> bool {
    is_bridge(d)
        || is_extra_root(d)
        || d.ends_with("-pci")
        || matches!(
            d,
            "pci-testdev"
                | "e1000"
                | "e1000e"
                | "igb"
                | "rtl8139"
                | "VGA"
                | "virtio-vga"
                | "qxl-vga"
                | "cirrus-vga"
                | "bochs-display"
                | "vfio-pci"
                | "nvme"
                | "ivshmem-plain"
                | "ivshmem-doorbell"
                | "pci-serial"
                | "pci-serial-2x"
                | "pci-serial-4x"
                | "qemu-xhci"
                | "nec-usb-xhci"
                | "ich9-usb-ehci1"
                | "usb-ehci"
                | "piix3-usb-uhci"
                | "intel-hda"
                | "ich9-intel-hda"
                | "AC97"
                | "ES1370"
                | "lsi53c895a"
                | "megasas"
                | "mptsas1068"
                | "pvscsi"
                | "ahci"
                | "i6300esb"
                | "edu"
                | "pci-ipmi-bt"
                | "pci-ipmi-kcs"
                | "cxl-type3"
                | "vmxnet3"
                | "sdhci-pci"
                | "ne2k_pci"
                | "pcnet"
                | "tulip"
                | "i82559er"
                | "i82550"
                | "i82551"
                | "i82557a"
                | "i82557b"
                | "i82557c"
                | "i82558a"
                | "i82558b"
                | "i82559a"
                | "i82559b"
                | "i82559c"
                | "i82562"
                | "i82801"
        )
}

/// Whether a machine accepts a `pxb-cxl` host bridge (QEMU 10: q35 only; elsewhere
/// "pxb-cxl devices cannot reside on a PCI bus").
pub fn pxb_cxl_allowed(kind: MachineKind) -> bool {
    kind == MachineKind::Q35
}

/// Whether a PCI device type is a network card: it creates a NIC net client
/// (named by its `id=`, else `TYPE.N`) and takes `netdev=` (the PCI types of
/// "Network devices" in `-device help` of QEMU 10.0.2 and 11.1.3, both arches).
pub fn is_nic(driver: &str) -> bool {
    matches!(
        driver,
        "e1000"
            | "e1000-82544gc"
            | "e1000-82545em"
            | "e1000e"
            | "igb"
            | "ne2k_pci"
            | "pcnet"
            | "rtl8139"
            | "tulip"
            | "vmxnet3"
            | "virtio-net-pci"
            | "virtio-net-pci-non-transitional"
            | "virtio-net-pci-transitional"
    ) || (driver.starts_with("i8255") || driver == "i82562" || driver == "i82801")
}

/// Whether a `-device DRIVER` replaces QEMU's default VGA (x86): the VGA
/// entries of `default_list` in QEMU's `system/vl.c`, matched by the name as
/// given (live 10.0.2 and 11.1.3: `secondary-vga` and `bochs-display` keep the
/// default VGA at 02.0 of `pc`).
pub fn is_vga(driver: &str) -> bool {
    matches!(
        driver,
        "VGA"
            | "isa-vga"
            | "cirrus-vga"
            | "isa-cirrus-vga"
            | "vmware-svga"
            | "qxl-vga"
            | "virtio-vga"
            | "ati-vga"
            | "vhost-user-vga"
            | "virtio-vga-gl"
            | "virtio-vga-rutabaga"
    )
}

/// The network card a machine creates for `-nic` / `-net nic` with `model`
/// (None: the machine's default, as for QEMU's default network): any PCI
/// network card type, or `virtio` for `virtio-net-pci`; another model is not
/// created (`pci_init_nic_devices`; live 10.0.2 and 11.1.3: `-nic
/// user,model=nosuch` takes no slot). Placed first-free after the VGA,
/// before any `-device`.
pub fn nic_device(kind: MachineKind, model: Option<&str>) -> Option<DeviceSpec> {
    let driver = match model {
        None => default_nic_model(kind),
        Some("virtio") => "virtio-net-pci",
        Some(m) if is_nic(m) => m,
        Some(_) => return None,
    };
    Some(DeviceSpec {
        driver: driver.into(),
        ..Default::default()
    })
}

/// The machine's default network card model.
fn default_nic_model(kind: MachineKind) -> &'static str {
    match kind {
        MachineKind::Q35 => "e1000e",
        MachineKind::Pc => "e1000",
        MachineKind::Virt => "virtio-net-pci",
    }
}

/// The PCI devices QEMU creates itself before any `-device` (unless `-nodefaults`):
/// the x86 VGA (`vga`: no `-vga none` and no VGA `-device`) and the default NIC
/// (`nic`: no `-net`/`-netdev`/`-nic`), in creation order, placed first-free.
pub fn default_devices(kind: MachineKind, vga: bool, nic: bool) -> Vec<DeviceSpec> {
    let mut v = Vec::new();
    if kind.is_x86() && vga {
        v.push(DeviceSpec {
            driver: "VGA".into(),
            ..Default::default()
        });
    }
    if nic {
        v.extend(nic_device(kind, None));
    }
    v
}

impl PciTree {
    /// A machine's PCI tree with its built-in devices (host bridge, chipset
    /// functions as by default).
    pub fn new(kind: MachineKind) -> Self {
        Self::with_chipset(kind, Chipset::default())
    }

    /// A machine's PCI tree with its built-in devices, the chipset functions
    /// as `chipset` says.
    pub fn with_chipset(kind: MachineKind, chipset: Chipset) -> Self {
        let name = match kind {
            MachineKind::Pc => "pci.0",
            MachineKind::Q35 | MachineKind::Virt => "pcie.0",
        };
        let mut t = PciTree {
            buses: vec![PciBus {
                name: name.into(),
                fixed_number: Some(0),
                parent: None,
                cxl: false,
                express: kind != MachineKind::Pc,
                hotplug: if kind == MachineKind::Virt {
                    BusHotplug::None
                } else {
                    BusHotplug::Acpi
                },
            }],
            devices: Vec::new(),
            acpi_bridges: kind != MachineKind::Virt,
            pcie_slots: Vec::new(),
        };
        let builtin: &[(&str, u8, bool)] = match kind {
            MachineKind::Q35 => &[
                ("mch", 0, false),
                ("ICH9-LPC", 0xf8, true),
                ("ich9-ahci", 0xfa, false),
                ("ICH9-SMB", 0xfb, false),
            ],
            MachineKind::Pc => &[
                ("i440FX", 0, false),
                ("PIIX3", 0x08, true),
                ("piix3-ide", 0x09, false),
                ("PIIX4_PM", 0x0b, false),
            ],
            MachineKind::Virt => &[("gpex-root", 0, false)],
        };
        let usb: &[(&str, u8, bool)] = match (kind, chipset.usb) {
            (MachineKind::Q35, true) => &[
                ("ich9-usb-uhci1", 0xe8, true),
                ("ich9-usb-uhci2", 0xe9, false),
                ("ich9-usb-uhci3", 0xea, false),
                ("ich9-usb-ehci1", 0xef, false),
            ],
            (MachineKind::Pc, true) => &[("piix3-usb-uhci", 0x0a, false)],
            _ => &[],
        };
        let chipset_off = |d: &str| {
            kind == MachineKind::Q35
                && ((d == "ich9-ahci" && !chipset.sata) || (d == "ICH9-SMB" && !chipset.smbus))
        };
        for &(d, devfn, mf) in builtin.iter().chain(usb) {
            if chipset_off(d) {
                continue;
            }
            t.devices.push(PciDevice {
                driver: d.into(),
                id: None,
                bus: 0,
                devfn,
                multifunction: mf,
                kind: DeviceKind::Endpoint,
                bus_reserve: None,
            });
        }
        t
    }

    /// Sets the chipset's ACPI PCI hot-plug before devices are plugged: `root`,
    /// whether it owns the host bus; `bridges`, whether it takes over bridges
    /// (see [`BusHotplug`] and [`acpi_bridge_hotplug_default`]).
    pub fn set_acpi_hotplug(&mut self, root: bool, bridges: bool) {
        if let Some(b) = self.buses.first_mut() {
            b.hotplug = if root {
                BusHotplug::Acpi
            } else {
                BusHotplug::None
            };
        }
        self.acpi_bridges = bridges;
    }

    /// Finds a bus by QEMU name (`pcie.0`, a bridge id, a pxb id).
    pub fn find_bus(&self, name: &str) -> Option<usize> {
        self.buses.iter().position(|b| b.name == name)
    }

    /// The bus QEMU picks for a device without `bus=` (`qbus_find_recursive`): the
    /// root bus of the most recently added `pxb*` if there is one (bridge
    /// secondaries are never picked), else the host bus. [verified on QEMU 10.0.2]
    pub fn default_bus(&self) -> usize {
        self.buses
            .iter()
            .enumerate()
            .rev()
            .find(|(_, b)| self.is_extra_root_bus(b))
            .map_or(0, |(i, _)| i)
    }

    fn is_extra_root_bus(&self, b: &PciBus) -> bool {
        b.parent
            .and_then(|p| self.devices.get(p))
            .is_some_and(|d| matches!(d.kind, DeviceKind::ExtraRoot { .. }))
    }

    /// The `pxb*` device whose root bus is `bus`, if any.
    fn extra_root_device(&self, bus: usize) -> Option<&PciDevice> {
        let b = self.buses.get(bus)?;
        if !self.is_extra_root_bus(b) {
            return None;
        }
        b.parent.and_then(|p| self.devices.get(p))
    }

    /// Finds a device by `id=`.
    pub fn find_device(&self, id: &str) -> Option<usize> {
        self.devices
            .iter()
            .position(|d| d.id.as_deref() == Some(id))
    }

    fn at(&self, bus: usize, devfn: u8) -> Option<&PciDevice> {
        self.devices
            .iter()
            .find(|d| d.bus == bus && d.devfn == devfn)
    }

    /// Plugs a device like QEMU's `do_pci_register_device` + multifunction checks.
    /// Returns its index, or QEMU's error text.
    pub fn add(&mut self, spec: &DeviceSpec) -> Result<usize, PciError> {
        let bus = match &spec.bus {
            None => self.default_bus(),
            Some(b) => self
                .find_bus(b)
                .ok_or_else(|| PciError::BusNotFound { bus: b.clone() })?,
        };
        if let Some(pxb) = self.extra_root_device(bus)
            && !is_bridge(&spec.driver)
        {
            return Err(PciError::OnlyBridges {
                host: pxb.driver.clone(),
            });
        }
        let devfn = self.pick_devfn(spec, bus)?;
        let idx = self.devices.len();
        let express = self.buses.get(bus).is_some_and(|b| b.express);
        // The pxb realize checks, after the devfn is taken (pxb_dev_realize,
        // pxb_pcie_dev_realize, then pxb_dev_realize_common's node check).
        match spec.driver.as_str() {
            "pxb" if express => return Err(PciError::PxbOnExpress),
            "pxb-pcie" if !express => return Err(PciError::PxbPcieOnPci),
            _ => {}
        }
        if let (true, Some(node)) = (is_extra_root(&spec.driver), spec.illegal_numa_node) {
            return Err(PciError::IllegalNumaNode { node });
        }
        // The bridges' realize checks: a pci-bridge's slot-id capability needs a
        // chassis number; a PCIe slot's chassis/slot pair must be free (live
        // 10.0.2 and 11.1.3, across every root bus).
        if matches!(spec.driver.as_str(), "pci-bridge" | "pci-bridge-seat") && spec.chassis_nr == 0
        {
            return Err(PciError::ChassisZero);
        }
        if is_pcie_slot(&spec.driver) {
            if self.pcie_slots.contains(&spec.pcie_slot) {
                return Err(PciError::ChassisSlotBusy);
            }
            self.pcie_slots.push(spec.pcie_slot);
        }
        let on = self.buses.get(bus).map_or(BusHotplug::None, |b| b.hotplug);
        let kind = if is_bridge(&spec.driver) {
            let name = spec.id.clone().unwrap_or_default();
            let hotplug = match spec.driver.as_str() {
                _ if on == BusHotplug::Acpi && self.acpi_bridges => BusHotplug::Acpi,
                "pci-bridge" | "pci-bridge-seat" if spec.shpc != Some(false) => BusHotplug::Shpc,
                "pcie-pci-bridge" => BusHotplug::Shpc,
                _ => BusHotplug::None,
            };
            self.buses.push(PciBus {
                name,
                fixed_number: None,
                parent: Some(idx),
                cxl: false,
                express: spec.driver != "pci-bridge" && spec.driver != "pcie-pci-bridge",
                hotplug,
            });
            DeviceKind::Bridge {
                secondary: self.buses.len() - 1,
            }
        } else if is_extra_root(&spec.driver) {
            self.add_extra_root(spec, bus, idx, express)?
        } else {
            DeviceKind::Endpoint
        };
        // The bus's hot-plug handler's plug callback, after realize.
        if on == BusHotplug::Shpc && devfn >> 3 == 0 {
            return Err(PciError::ShpcSlot { slot: devfn >> 3 });
        }
        let pxb_root = match kind {
            DeviceKind::ExtraRoot { root } if spec.driver == "pxb" => Some(root),
            _ => None,
        };
        self.devices.push(PciDevice {
            driver: spec.driver.clone(),
            id: spec.id.clone(),
            bus,
            devfn,
            multifunction: spec.multifunction,
            kind,
            bus_reserve: spec.bus_reserve,
        });
        if let Some(root) = pxb_root {
            self.add_pxb_internal_bridge(spec, root);
        }
        Ok(idx)
    }

    /// The `pci-bridge` a plain `pxb` puts at 00.0 of its root bus
    /// (`pxb_dev_realize_common`): its root bus is named `pxb-internal`, and the
    /// bridge takes the pxb's id, so `bus=<pxb id>` names the bridge's secondary
    /// (conventional PCI) bus, where any device may go (live 10.0.2/11.1.3: a
    /// `pci-testdev` on `bus=pxb0` of `pxb,id=pxb0,bus_nr=40` gets bus 41 in its GI
    /// handle). The bridge has no `/machine/peripheral` id: `pci-dev=<pxb id>`
    /// still names the pxb.
    fn add_pxb_internal_bridge(&mut self, spec: &DeviceSpec, root: usize) {
        let idx = self.devices.len();
        self.buses.push(PciBus {
            name: spec.id.clone().unwrap_or_default(),
            fixed_number: None,
            parent: Some(idx),
            cxl: false,
            express: false,
            // Created with shpc=off, on a root bus without a handler.
            hotplug: BusHotplug::None,
        });
        self.devices.push(PciDevice {
            driver: "pci-bridge".to_string(),
            id: None,
            bus: root,
            devfn: 0,
            multifunction: false,
            kind: DeviceKind::Bridge {
                secondary: self.buses.len() - 1,
            },
            bus_reserve: None,
        });
    }

    /// The devfn for a new device on `bus`: the one asked for (when free and the
    /// multifunction rules allow it), else the first free slot's function 0.
    fn pick_devfn(&self, spec: &DeviceSpec, bus: usize) -> Result<u8, PciError> {
        let devfn = match spec.devfn {
            Some(devfn) => {
                if let Some(o) = self.at(bus, devfn) {
                    return Err(PciError::FunctionInUse {
                        devfn,
                        driver: spec.driver.clone(),
                        user: o.driver.clone(),
                        user_id: o.id.clone(),
                    });
                }
                devfn
            }
            None => (0u8..32)
                .map(|s| s << 3)
                .find(|&d| self.at(bus, d).is_none())
                .ok_or_else(|| PciError::BusFull {
                    driver: spec.driver.clone(),
                })?,
        };
        let slot = devfn >> 3;
        let func = devfn & 7;
        if func != 0 {
            if let Some(f0) = self.at(bus, slot << 3)
                && !f0.multifunction
            {
                return Err(PciError::SingleFunction { slot, func });
            }
        } else if !spec.multifunction
            && let Some(f) = (1u8..8).find(|f| self.at(bus, slot << 3 | f).is_some())
        {
            return Err(PciError::FunctionZeroSingle { slot, func: f });
        }
        Ok(devfn)
    }

    /// A `pxb*`: its new root bus.
    fn add_extra_root(
        &mut self,
        spec: &DeviceSpec,
        bus: usize,
        idx: usize,
        express: bool,
    ) -> Result<DeviceKind, PciError> {
        // pxb_register_bus: only on a root bus without a parent device (the
        // host bus), and no child bus of it may have the number already: pxb
        // roots their bus_nr, bridge secondaries 0 (firmware has not run).
        if bus != 0 {
            return Err(PciError::PxbNotOnRoot);
        }
        let taken = self.buses.iter().enumerate().skip(1).any(|(i, b)| {
            let on_host = b
                .parent
                .and_then(|p| self.devices.get(p))
                .is_some_and(|d| d.bus == 0);
            on_host && b.fixed_number.unwrap_or(0) == spec.bus_nr && i != bus
        });
        if taken {
            return Err(PciError::BusNrInUse {
                bus_nr: spec.bus_nr,
            });
        }
        // The internal bridge of a plain pxb takes bus_nr as its chassis (checked
        // when it is realized, after the bus number).
        if spec.driver == "pxb" && spec.bus_nr == 0 {
            return Err(PciError::ChassisZero);
        }
        let name = if spec.driver == "pxb" {
            "pxb-internal".to_string()
        } else {
            spec.id.clone().unwrap_or_default()
        };
        self.buses.push(PciBus {
            name,
            fixed_number: Some(spec.bus_nr),
            parent: Some(idx),
            cxl: spec.driver == "pxb-cxl",
            express: spec.driver != "pxb" && express,
            hotplug: BusHotplug::None,
        });
        Ok(DeviceKind::ExtraRoot {
            root: self.buses.len() - 1,
        })
    }

    /// Firmware bus numbers for every bus (index-aligned with [`PciTree::buses`]).
    ///
    /// Simulates SeaBIOS `pci_bios_init_bus` over QEMU's config-space routing
    /// (`pci_find_bus_nr`): every access resolves its bus number afresh, so when
    /// firmware hands out a number twice (its `bus-reserve` arithmetic can move
    /// the next free number backwards) the accesses reach whichever bus QEMU
    /// finds first, as on the live machine. A bus firmware never numbered reads
    /// 0 (QEMU's reset value).
    ///
    /// Where firmware would never finish (a bridge numbered past 255 makes the
    /// numbers wrap and SeaBIOS start over, forever), the numbers reached when
    /// the simulation stops; [`PciTree::try_bus_numbers`] reports it instead.
    pub fn bus_numbers(&self) -> Vec<u8> {
        self.simulate().0
    }

    /// [`PciTree::bus_numbers`], or an error when firmware bus numbering would
    /// not terminate (QEMU starts, but its firmware loops).
    pub fn try_bus_numbers(&self) -> Result<Vec<u8>, PciError> {
        match self.simulate() {
            (nums, false) => Ok(nums),
            (_, true) => Err(PciError::BusNumberingLoops),
        }
    }

    fn simulate(&self) -> (Vec<u8>, bool) {
        let mut sim = BusSim::new(self);
        let mut pci_bus: u8 = 0;
        sim.init_bus_rec(0, &mut pci_bus, 0);
        let extra_roots = self.buses.iter().skip(1).any(|b| self.is_extra_root_bus(b));
        if extra_roots {
            while pci_bus < u8::MAX && !sim.stuck {
                pci_bus += 1;
                let b = pci_bus;
                sim.init_bus_rec(b, &mut pci_bus, 0);
            }
        }
        let nums = (0..self.buses.len()).map(|b| sim.bus_num(b)).collect();
        (nums, sim.stuck)
    }

    /// The firmware-assigned bus number of the bus device `idx` sits on.
    pub fn device_bus_number(&self, idx: usize) -> u8 {
        let nums = self.bus_numbers();
        self.devices
            .get(idx)
            .and_then(|d| nums.get(d.bus).copied())
            .unwrap_or(0)
    }
}

/// Bridge registers as firmware programs them, reached through QEMU's routing.
struct BusSim<'a> {
    tree: &'a PciTree,
    /// Per device: PCI_SECONDARY_BUS and PCI_SUBORDINATE_BUS (reset: 0).
    sec: Vec<u8>,
    sub: Vec<u8>,
    /// Per bus: its child buses, newest first (QEMU's `QLIST_INSERT_HEAD`).
    children: Vec<Vec<usize>>,
    /// Bridge visits left before the simulation gives up.
    budget: u32,
    /// Set when numbering wrapped past 255 or the budget ran out.
    stuck: bool,
}

impl<'a> BusSim<'a> {
    fn new(tree: &'a PciTree) -> Self {
        let mut children = vec![Vec::new(); tree.buses.len()];
        for (i, b) in tree.buses.iter().enumerate().skip(1) {
            let parent_bus = b
                .parent
                .and_then(|p| tree.devices.get(p))
                .map_or(0, |d| d.bus);
            if let Some(c) = children.get_mut(parent_bus) {
                c.insert(0, i);
            }
        }
        BusSim {
            tree,
            sec: vec![0; tree.devices.len()],
            sub: vec![0; tree.devices.len()],
            children,
            budget: 1 << 16,
            stuck: false,
        }
    }

    fn is_root(&self, bus: usize) -> bool {
        bus == 0
            || self
                .tree
                .buses
                .get(bus)
                .is_some_and(|b| self.tree.is_extra_root_bus(b))
    }

    /// `pci_bus_num`: root buses their fixed number, others the bridge's
    /// secondary-bus register.
    fn bus_num(&self, bus: usize) -> u8 {
        let Some(b) = self.tree.buses.get(bus) else {
            return 0;
        };
        if self.is_root(bus) {
            return b.fixed_number.unwrap_or(0);
        }
        b.parent.and_then(|p| self.sec.get(p).copied()).unwrap_or(0)
    }

    fn dev_in_range(&self, dev: usize, n: u8) -> bool {
        let (s, u) = (
            self.sec.get(dev).copied().unwrap_or(0),
            self.sub.get(dev).copied().unwrap_or(0),
        );
        s <= n && n <= u
    }

    /// `pci_secondary_bus_in_range` for a bridge's bus / `pci_root_bus_in_range`.
    fn child_in_range(&self, bus: usize, n: u8) -> bool {
        if self.is_root(bus) {
            self.tree.devices.iter().enumerate().any(|(i, d)| {
                d.bus == bus
                    && matches!(d.kind, DeviceKind::Bridge { .. })
                    && self.dev_in_range(i, n)
            })
        } else {
            self.tree
                .buses
                .get(bus)
                .and_then(|b| b.parent)
                .is_some_and(|p| self.dev_in_range(p, n))
        }
    }

    /// `pci_find_bus_nr` from the host bus.
    fn find_bus(&self, n: u8) -> Option<usize> {
        if n == 0 {
            return Some(0);
        }
        let mut bus = 0;
        loop {
            let mut next = None;
            for &c in self.children.get(bus)? {
                if self.bus_num(c) == n {
                    return Some(c);
                }
                if self.child_in_range(c, n) {
                    next = Some(c);
                    break;
                }
            }
            bus = next?;
        }
    }

    fn dev_at(&self, n: u8, devfn: u8) -> Option<usize> {
        let bus = self.find_bus(n)?;
        self.tree
            .devices
            .iter()
            .position(|d| d.bus == bus && d.devfn == devfn)
    }

    /// The bridges firmware finds on bus number `n` (function 0 of each slot,
    /// other functions when function 0 is multifunction), in devfn order.
    fn bridges_on(&self, n: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for slot in 0u8..32 {
            let Some(f0) = self.dev_at(n, slot << 3) else {
                continue;
            };
            let multi = self.tree.devices.get(f0).is_some_and(|d| d.multifunction);
            for f in 0u8..if multi { 8 } else { 1 } {
                let devfn = slot << 3 | f;
                if let Some(d) = self.dev_at(n, devfn)
                    && matches!(
                        self.tree.devices.get(d).map(|d| &d.kind),
                        Some(DeviceKind::Bridge { .. })
                    )
                {
                    out.push(devfn);
                }
            }
        }
        out
    }

    fn write(&mut self, n: u8, devfn: u8, secondary: bool, v: u8) {
        if let Some(d) = self.dev_at(n, devfn) {
            let reg = if secondary {
                &mut self.sec
            } else {
                &mut self.sub
            };
            if let Some(r) = reg.get_mut(d) {
                *r = v;
            }
        }
    }

    fn read_sub(&self, n: u8, devfn: u8) -> u8 {
        self.dev_at(n, devfn)
            .and_then(|d| self.sub.get(d).copied())
            .unwrap_or(0xff)
    }

    /// `bus-reserve=` of the bridge at (`n`, `devfn`), when it has QEMU's
    /// resource-reserve capability with a bus value.
    fn reserve(&self, n: u8, devfn: u8) -> Option<u32> {
        self.dev_at(n, devfn)
            .and_then(|d| self.tree.devices.get(d))
            .and_then(|d| d.bus_reserve)
            .filter(|&r| r != u32::MAX)
    }

    /// SeaBIOS `pci_bios_init_bus_rec`.
    fn init_bus_rec(&mut self, bus: u8, pci_bus: &mut u8, depth: u32) {
        if depth > 256 {
            return;
        }
        let bridges = self.bridges_on(bus);
        for &d in &bridges {
            self.write(bus, d, true, 255);
            self.write(bus, d, false, 0);
        }
        for &d in &bridges {
            if self.stuck || self.budget == 0 || *pci_bus == u8::MAX {
                // SeaBIOS would wrap to 0 and number everything again, forever.
                self.stuck = true;
                return;
            }
            self.budget -= 1;
            *pci_bus += 1;
            let secbus = *pci_bus;
            self.write(bus, d, true, secbus);
            let mut subbus = self.read_sub(bus, d);
            self.write(bus, d, false, 255);
            self.init_bus_rec(secbus, pci_bus, depth + 1);
            if subbus != *pci_bus {
                let mut res_bus = *pci_bus;
                if let Some(r) = self.reserve(bus, d) {
                    res_bus = u8::try_from(r & 0xff).unwrap_or(0);
                    let sum = res_bus.wrapping_add(secbus);
                    if sum < secbus || sum < res_bus {
                        res_bus = 0;
                    }
                    if u32::from(secbus) + u32::from(res_bus) > u32::from(*pci_bus) {
                        res_bus = secbus.wrapping_add(res_bus);
                    }
                }
                subbus = res_bus;
                *pci_bus = res_bus;
            }
            self.write(bus, d, false, subbus);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(driver: &str, id: Option<&str>, bus: Option<&str>, addr: Option<&str>) -> DeviceSpec {
        DeviceSpec {
            driver: driver.into(),
            id: id.map(Into::into),
            bus: bus.map(Into::into),
            devfn: addr.and_then(parse_devfn),
            // A chassis for bridges, a distinct PCIe slot number per id (as a
            // line QEMU accepts has).
            chassis_nr: 1,
            pcie_slot: (1, id.map_or(0, |i| i.bytes().map(u16::from).sum())),
            ..Default::default()
        }
    }

    #[test]
    fn devfn_parse() {
        assert_eq!(parse_devfn("04.0"), Some(0x20));
        assert_eq!(parse_devfn("05.3"), Some(0x2b));
        assert_eq!(parse_devfn("00.2"), Some(0x02));
        assert_eq!(parse_devfn("1f"), Some(0xf8));
        assert_eq!(parse_devfn("40"), None);
    }

    #[test]
    fn behind_root_port_is_bus_1() {
        let mut t = PciTree::new(MachineKind::Q35);
        t.add(&spec("pcie-root-port", Some("rp0"), None, Some("04.0")))
            .unwrap();
        let gpu = t
            .add(&spec(
                "pci-testdev",
                Some("gpu0"),
                Some("rp0"),
                Some("00.0"),
            ))
            .unwrap();
        assert_eq!(t.device_bus_number(gpu), 1);
        // first free slot on q35 is 1 (00.0 mch)
        let d = t.add(&spec("pci-testdev", None, None, None)).unwrap();
        assert_eq!(t.devices[d].devfn, 0x08);
    }

    #[test]
    fn nested_bridges_and_pxb() {
        // q35: rp0 (03.0) > pci-bridge (bus 1) > device (bus 2); rp1 (04.0): bus 3;
        // pxb-pcie bus_nr=64 with a root port: bus 65.
        let mut t = PciTree::new(MachineKind::Q35);
        t.add(&spec("pcie-root-port", Some("rp0"), None, Some("03.0")))
            .unwrap();
        t.add(&spec("pcie-pci-bridge", Some("br"), Some("rp0"), None))
            .unwrap();
        let d = t
            .add(&spec("pci-testdev", None, Some("br"), Some("01.0")))
            .unwrap();
        t.add(&spec("pcie-root-port", Some("rp1"), None, Some("04.0")))
            .unwrap();
        let e = t
            .add(&spec("pci-testdev", None, Some("rp1"), None))
            .unwrap();
        let mut pxb = spec("pxb-pcie", Some("pxb"), None, None);
        pxb.bus_nr = 64;
        t.add(&pxb).unwrap();
        assert_eq!(
            t.add(&spec("pci-testdev", None, Some("pxb"), None))
                .unwrap_err()
                .to_string(),
            "PCI: Only PCI/PCIe bridges can be plugged into pxb-pcie"
        );
        t.add(&spec("pcie-root-port", Some("rp2"), Some("pxb"), None))
            .unwrap();
        let f = t
            .add(&spec("pci-testdev", None, Some("rp2"), None))
            .unwrap();
        assert_eq!(t.device_bus_number(d), 2);
        assert_eq!(t.device_bus_number(e), 3);
        assert_eq!(t.device_bus_number(f), 65);
        // bus-reserve=4 on the first root port moves the next bridge to bus 1+4+1.
        let mut t = PciTree::new(MachineKind::Q35);
        let mut rp = spec("pcie-root-port", Some("rp0"), None, Some("03.0"));
        rp.bus_reserve = Some(4);
        t.add(&rp).unwrap();
        t.add(&spec("pcie-root-port", Some("rp1"), None, Some("04.0")))
            .unwrap();
        let e = t
            .add(&spec("pci-testdev", None, Some("rp1"), None))
            .unwrap();
        assert_eq!(t.device_bus_number(e), 6);
    }

    #[test]
    fn plain_pxb_has_an_internal_bridge() {
        // i440FX, `pxb` bus_nr=64 (id pci.1) and bus_nr=72 (id pci.2): a device
        // with bus=pci.2 sits behind the pxb's internal pci-bridge, bus 73 (live
        // QEMU 11.1.3: the GI handle of a libvirt 12.9 <hostdev> on a
        // pci-expander-bus with busNr 72 reads bus 0x49, devfn 0x18).
        let mut t = PciTree::new(MachineKind::Pc);
        for (id, nr, addr) in [("pci.1", 64, "02.0"), ("pci.2", 72, "03.0")] {
            let mut pxb = spec("pxb", Some(id), Some("pci.0"), Some(addr));
            pxb.bus_nr = nr;
            t.add(&pxb).unwrap();
        }
        t.add(&spec(
            "pci-bridge",
            Some("pci.3"),
            Some("pci.0"),
            Some("04.0"),
        ))
        .unwrap();
        let d = t
            .add(&spec(
                "pci-testdev",
                Some("hd1"),
                Some("pci.2"),
                Some("03.0"),
            ))
            .unwrap();
        assert_eq!(t.device_bus_number(d), 73);
        assert_eq!(t.devices[d].devfn, 0x18);
        // Slot 0 of that bus is free (the bridge is on the pxb's root bus).
        let e = t
            .add(&spec("pci-testdev", None, Some("pci.1"), Some("00.0")))
            .unwrap();
        assert_eq!(t.device_bus_number(e), 65);
    }

    #[test]
    fn multifunction_errors() {
        let mut t = PciTree::new(MachineKind::Q35);
        t.add(&spec("pci-testdev", None, None, Some("03.0")))
            .unwrap();
        assert_eq!(
            t.add(&spec("pci-testdev", None, None, Some("03.1")))
                .unwrap_err()
                .to_string(),
            "PCI: single function device can't be populated in function 3.1"
        );
    }
}
