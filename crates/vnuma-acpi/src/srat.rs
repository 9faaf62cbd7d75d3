//! SRAT, the System Resource Affinity Table (ACPI 6.5 §5.2.16), with every
//! affinity structure of ACPI 6.5 plus RINTC (type 7, ACPI 6.6). Each layout is
//! defined once as a raw little-endian struct; decode and encode both go through it.

#[cfg(feature = "serde")]
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use zerocopy::{
    FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned,
    little_endian::{U16, U32, U64},
};

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::header::{HEADER_LEN, Header, TableWriter, running_offsets, with_running_offsets};
use super::read_at;
#[cfg(feature = "serde")]
use super::text::is_zero;
use super::text::{FixedAscii, HexBytes};

/// Table signature.
pub const SIGNATURE: [u8; 4] = *b"SRAT";

/// The Type byte of each affinity structure (ACPI 6.5 Table 5.51; RINTC: ACPI 6.6).
pub mod entry_type {
    /// Processor Local APIC/SAPIC Affinity.
    pub const LOCAL_APIC: u8 = 0;
    /// Memory Affinity.
    pub const MEMORY: u8 = 1;
    /// Processor Local x2APIC Affinity.
    pub const X2APIC: u8 = 2;
    /// GICC Affinity.
    pub const GICC: u8 = 3;
    /// GIC ITS Affinity.
    pub const GIC_ITS: u8 = 4;
    /// Generic Initiator Affinity.
    pub const GENERIC_INITIATOR: u8 = 5;
    /// Generic Port Affinity.
    pub const GENERIC_PORT: u8 = 6;
    /// RINTC Affinity.
    pub const RINTC: u8 = 7;
}

/// The Device Handle Type byte of a Generic Initiator / Generic Port structure.
pub mod handle_type {
    /// ACPI device handle (`_HID`, `_UID`).
    pub const ACPI: u8 = 0;
    /// PCI device handle (segment, BDF).
    pub const PCI: u8 = 1;
}

/// Raw SRAT body header (offset 36).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawSratBody {
    /// Offset 36: reserved, "must be 1" for backward compatibility (QEMU writes 1).
    pub table_revision: U32,
    /// Offset 40: reserved.
    pub reserved: U64,
}

/// Type 0: Processor Local APIC/SAPIC Affinity (16 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawLocalApic {
    /// 0: type (0).
    pub typ: u8,
    /// 1: length (16).
    pub length: u8,
    /// 2: proximity domain bits 7:0.
    pub proximity_domain_lo: u8,
    /// 3: APIC ID.
    pub apic_id: u8,
    /// 4: flags (bit 0 enabled).
    pub flags: U32,
    /// 8: local SAPIC EID.
    pub sapic_eid: u8,
    /// 9: proximity domain bits 31:8.
    pub proximity_domain_hi: [u8; 3],
    /// 12: clock domain.
    pub clock_domain: U32,
}

/// Type 1: Memory Affinity (40 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawMemory {
    /// 0: type (1).
    pub typ: u8,
    /// 1: length (40).
    pub length: u8,
    /// 2: proximity domain.
    pub proximity_domain: U32,
    /// 6: reserved.
    pub reserved1: U16,
    /// 8: base address (low then high dword).
    pub base_address: U64,
    /// 16: length of the range (low then high dword).
    pub range_length: U64,
    /// 24: reserved.
    pub reserved2: U32,
    /// 28: flags (bit 0 enabled, 1 hot-pluggable, 2 non-volatile).
    pub flags: U32,
    /// 32: reserved.
    pub reserved3: U64,
}

/// Type 2: Processor Local x2APIC Affinity (24 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawX2Apic {
    /// 0: type (2).
    pub typ: u8,
    /// 1: length (24).
    pub length: u8,
    /// 2: reserved.
    pub reserved1: U16,
    /// 4: proximity domain.
    pub proximity_domain: U32,
    /// 8: x2APIC ID.
    pub x2apic_id: U32,
    /// 12: flags.
    pub flags: U32,
    /// 16: clock domain.
    pub clock_domain: U32,
    /// 20: reserved.
    pub reserved2: U32,
}

/// Type 3: GICC Affinity (18 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawGicc {
    /// 0: type (3).
    pub typ: u8,
    /// 1: length (18).
    pub length: u8,
    /// 2: proximity domain.
    pub proximity_domain: U32,
    /// 6: ACPI processor UID.
    pub acpi_processor_uid: U32,
    /// 10: flags.
    pub flags: U32,
    /// 14: clock domain.
    pub clock_domain: U32,
}

/// Type 4: GIC ITS Affinity (12 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawGicIts {
    /// 0: type (4).
    pub typ: u8,
    /// 1: length (12).
    pub length: u8,
    /// 2: proximity domain.
    pub proximity_domain: U32,
    /// 6: reserved.
    pub reserved: U16,
    /// 8: ITS ID.
    pub its_id: U32,
}

/// Types 5 and 6: Generic Initiator / Generic Port Affinity (32 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawGeneric {
    /// 0: type (5 or 6).
    pub typ: u8,
    /// 1: length (32).
    pub length: u8,
    /// 2: reserved.
    pub reserved1: u8,
    /// 3: device handle type (0 ACPI, 1 PCI).
    pub device_handle_type: u8,
    /// 4: proximity domain.
    pub proximity_domain: U32,
    /// 8: device handle (16 bytes).
    pub device_handle: [u8; 16],
    /// 24: flags (bit 0 enabled, bit 1 architectural transactions).
    pub flags: U32,
    /// 28: reserved.
    pub reserved2: U32,
}

/// Raw layout of an ACPI device handle (ACPI 6.5 Table 5.57), the 16 bytes of
/// [`RawGeneric::device_handle`] when the handle type is [`handle_type::ACPI`].
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawAcpiHandle {
    /// 0: `_HID`.
    pub hid: [u8; 8],
    /// 8: `_UID`.
    pub uid: U32,
    /// 12: reserved.
    pub reserved: U32,
}

/// Raw layout of a PCI device handle (ACPI 6.5 Table 5.58), the 16 bytes of
/// [`RawGeneric::device_handle`] when the handle type is [`handle_type::PCI`].
/// Byte order as QEMU and edk2 write it: segment (u16 LE), bus, devfn.
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawPciHandle {
    /// 0: PCI segment.
    pub segment: U16,
    /// 2: bus number.
    pub bus: u8,
    /// 3: devfn (device in bits 7:3, function in bits 2:0).
    pub devfn: u8,
    /// 4: reserved.
    pub reserved: [u8; 12],
}

/// Type 7: RINTC Affinity (20 bytes, RISC-V).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawRintc {
    /// 0: type (7).
    pub typ: u8,
    /// 1: length (20).
    pub length: u8,
    /// 2: reserved.
    pub reserved: U16,
    /// 4: proximity domain.
    pub proximity_domain: U32,
    /// 8: ACPI processor UID.
    pub acpi_processor_uid: U32,
    /// 12: flags.
    pub flags: U32,
    /// 16: clock domain.
    pub clock_domain: U32,
}

/// Flag bit 0 of every affinity structure: the entry is enabled.
pub const FLAG_ENABLED: u32 = 1;
/// Memory affinity flag bit 1: hot-pluggable.
pub const MEM_HOT_PLUGGABLE: u32 = 2;
/// Memory affinity flag bit 2: non-volatile.
pub const MEM_NON_VOLATILE: u32 = 4;
/// Generic initiator/port flag bit 1: architectural transactions.
pub const GI_ARCH_TRANSACTIONS: u32 = 2;

/// A whole SRAT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Srat {
    /// Table header.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub header: Header,
    /// The reserved dword at offset 36 (1 in practice).
    pub table_revision: u32,
    /// The reserved qword at offset 40.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved: u64,
    /// Affinity structures in table order.
    pub entries: Vec<SratEntry>,
}

/// A Generic Initiator / Generic Port device handle (ACPI 6.5 Tables 5.57, 5.58).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DeviceHandle {
    /// Handle type 0: an ACPI device by `_HID` and `_UID`.
    Acpi(AcpiHandle),
    /// Handle type 1: a PCI function. JSON `"SSSS:BB:DD.F"`.
    Pci(PciHandle),
    /// Any other handle type, kept as its 16 raw bytes.
    Raw {
        /// Device handle type byte.
        handle_type: u8,
        /// The 16 handle bytes.
        bytes: HexBytes,
    },
}

/// ACPI device handle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AcpiHandle {
    /// `_HID`, 8 bytes.
    pub hid: FixedAscii<8>,
    /// `_UID`.
    pub uid: u32,
    /// Reserved bytes 12..16 of the handle.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved: u32,
}

/// PCI device handle: segment, bus, device, function. Byte 2 of the handle is
/// the bus number and byte 3 the devfn (device in bits 7:3, function in 2:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciHandle {
    /// PCI segment group.
    pub segment: u16,
    /// Bus number.
    pub bus: u8,
    /// Device number (0..=31).
    pub device: u8,
    /// Function number (0..=7).
    pub function: u8,
    /// Reserved bytes 4..16 of the handle, when not all zero.
    pub reserved: [u8; 12],
}

impl PciHandle {
    /// A handle with zero reserved bytes. `device` and `function` are masked to 5 and 3 bits.
    pub fn new(segment: u16, bus: u8, device: u8, function: u8) -> Self {
        PciHandle {
            segment,
            bus,
            device: device & 0x1f,
            function: function & 7,
            reserved: [0; 12],
        }
    }
    /// The devfn byte: device << 3 | function.
    pub fn devfn(&self) -> u8 {
        ((self.device & 0x1f) << 3) | (self.function & 7)
    }
    /// From segment, bus and devfn byte.
    pub fn from_devfn(segment: u16, bus: u8, devfn: u8) -> Self {
        PciHandle::new(segment, bus, devfn >> 3, devfn & 7)
    }
    /// Parses `SSSS:BB:DD.F` (segment optional: `BB:DD.F`).
    pub fn parse(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        let (seg, bus, df) = match parts.as_slice() {
            [seg, bus, df] => (u16::from_str_radix(seg, 16).ok()?, *bus, *df),
            [bus, df] => (0, *bus, *df),
            _ => return None,
        };
        let bus = u8::from_str_radix(bus, 16).ok()?;
        let (d, f) = df.split_once('.')?;
        let d = u8::from_str_radix(d, 16).ok()?;
        let f = u8::from_str_radix(f, 16).ok()?;
        if d > 31 || f > 7 {
            return None;
        }
        Some(PciHandle::new(seg, bus, d, f))
    }
}

impl fmt::Display for PciHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.segment, self.bus, self.device, self.function
        )
    }
}

#[cfg(feature = "serde")]
impl Serialize for PciHandle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.reserved == [0; 12] {
            s.serialize_str(&self.to_string())
        } else {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("PciHandle", 2)?;
            st.serialize_field("bdf", &self.to_string())?;
            st.serialize_field("reserved", &HexBytes(self.reserved.to_vec()))?;
            st.end()
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for PciHandle {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[cfg_attr(feature = "serde", serde(untagged))]
        enum Form {
            Bdf(String),
            Full { bdf: String, reserved: HexBytes },
        }
        let (bdf, reserved) = match Form::deserialize(d)? {
            Form::Bdf(s) => (s, HexBytes(alloc::vec![0; 12])),
            Form::Full { bdf, reserved } => (bdf, reserved),
        };
        let mut h = PciHandle::parse(&bdf).ok_or_else(|| {
            D::Error::custom(alloc::format!("PCI handle \"{bdf}\" is not SSSS:BB:DD.F"))
        })?;
        h.reserved = reserved
            .0
            .as_slice()
            .try_into()
            .map_err(|_| D::Error::custom("PCI handle reserved must be 12 bytes"))?;
        Ok(h)
    }
}

impl DeviceHandle {
    /// The Device Handle Type byte.
    pub fn handle_type(&self) -> u8 {
        match self {
            DeviceHandle::Acpi(_) => handle_type::ACPI,
            DeviceHandle::Pci(_) => handle_type::PCI,
            DeviceHandle::Raw { handle_type, .. } => *handle_type,
        }
    }

    /// The typed handle of the Device Handle Type byte `handle_type` and the
    /// 16 raw handle bytes `b` (as [`RawGeneric`] holds them).
    pub fn from_raw(handle_type: u8, b: [u8; 16]) -> Self {
        match handle_type {
            handle_type::ACPI => {
                let r: RawAcpiHandle = zerocopy::transmute!(b);
                DeviceHandle::Acpi(AcpiHandle {
                    hid: FixedAscii(r.hid),
                    uid: r.uid.get(),
                    reserved: r.reserved.get(),
                })
            }
            handle_type::PCI => {
                let r: RawPciHandle = zerocopy::transmute!(b);
                let mut h = PciHandle::from_devfn(r.segment.get(), r.bus, r.devfn);
                h.reserved = r.reserved;
                DeviceHandle::Pci(h)
            }
            t => DeviceHandle::Raw {
                handle_type: t,
                bytes: HexBytes(b.to_vec()),
            },
        }
    }

    /// The 16 raw handle bytes. A `Raw` handle with other than 16 bytes is
    /// cut or zero-padded (see [`SratEntry::check`]).
    pub fn to_raw(&self) -> [u8; 16] {
        match self {
            DeviceHandle::Acpi(a) => zerocopy::transmute!(RawAcpiHandle {
                hid: a.hid.0,
                uid: U32::new(a.uid),
                reserved: U32::new(a.reserved),
            }),
            DeviceHandle::Pci(p) => zerocopy::transmute!(RawPciHandle {
                segment: U16::new(p.segment),
                bus: p.bus,
                devfn: p.devfn(),
                reserved: p.reserved,
            }),
            DeviceHandle::Raw { bytes, .. } => {
                let mut b = [0u8; 16];
                for (o, x) in b.iter_mut().zip(&bytes.0) {
                    *o = *x;
                }
                b
            }
        }
    }
}

/// One SRAT affinity structure. JSON: an object with `type` and the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SratEntry {
    /// Type 0.
    LocalApic {
        /// Proximity domain (bits 7:0 at offset 2, 31:8 at offset 9).
        proximity_domain: u32,
        /// APIC ID.
        apic_id: u8,
        /// Flags (bit 0 enabled).
        flags: u32,
        /// Local SAPIC EID.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        sapic_eid: u8,
        /// Clock domain.
        #[cfg_attr(feature = "serde", serde(default))]
        clock_domain: u32,
    },
    /// Type 1.
    Memory {
        /// Proximity domain.
        proximity_domain: u32,
        /// Base address.
        base_address: u64,
        /// Length of the range.
        length: u64,
        /// Flags (bit 0 enabled, 1 hot-pluggable, 2 non-volatile).
        flags: u32,
        /// Reserved u16 at offset 6.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved1: u16,
        /// Reserved u32 at offset 24.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved2: u32,
        /// Reserved u64 at offset 32.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved3: u64,
    },
    /// Type 2.
    X2apic {
        /// Proximity domain.
        proximity_domain: u32,
        /// x2APIC ID.
        x2apic_id: u32,
        /// Flags.
        flags: u32,
        /// Clock domain.
        #[cfg_attr(feature = "serde", serde(default))]
        clock_domain: u32,
        /// Reserved u16 at offset 2.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved1: u16,
        /// Reserved u32 at offset 20.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved2: u32,
    },
    /// Type 3.
    Gicc {
        /// Proximity domain.
        proximity_domain: u32,
        /// ACPI processor UID.
        acpi_processor_uid: u32,
        /// Flags.
        flags: u32,
        /// Clock domain.
        #[cfg_attr(feature = "serde", serde(default))]
        clock_domain: u32,
    },
    /// Type 4.
    GicIts {
        /// Proximity domain.
        proximity_domain: u32,
        /// ITS ID.
        its_id: u32,
        /// Reserved u16 at offset 6.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved: u16,
    },
    /// Type 5.
    GenericInitiator(GenericAffinity),
    /// Type 6.
    GenericPort(GenericAffinity),
    /// Type 7.
    Rintc {
        /// Proximity domain.
        proximity_domain: u32,
        /// ACPI processor UID.
        acpi_processor_uid: u32,
        /// Flags.
        flags: u32,
        /// Clock domain.
        #[cfg_attr(feature = "serde", serde(default))]
        clock_domain: u32,
        /// Reserved u16 at offset 2.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved: u16,
    },
    /// Any structure this decoder does not know (or a known type with an
    /// unexpected Length), kept whole and written back unchanged.
    Unknown {
        /// The Type byte.
        subtable_type: u8,
        /// The whole structure, type and length bytes included.
        bytes: HexBytes,
    },
}

/// The body of a Generic Initiator (type 5) or Generic Port (type 6) structure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct GenericAffinity {
    /// Proximity domain.
    pub proximity_domain: u32,
    /// Device handle (the Device Handle Type byte follows from it).
    pub device_handle: DeviceHandle,
    /// Flags (bit 0 enabled, bit 1 architectural transactions).
    pub flags: u32,
    /// Reserved byte at offset 2.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved1: u8,
    /// Reserved u32 at offset 28.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved2: u32,
}

impl SratEntry {
    /// The structure's Type byte.
    pub fn type_id(&self) -> u8 {
        match self {
            SratEntry::LocalApic { .. } => entry_type::LOCAL_APIC,
            SratEntry::Memory { .. } => entry_type::MEMORY,
            SratEntry::X2apic { .. } => entry_type::X2APIC,
            SratEntry::Gicc { .. } => entry_type::GICC,
            SratEntry::GicIts { .. } => entry_type::GIC_ITS,
            SratEntry::GenericInitiator(_) => entry_type::GENERIC_INITIATOR,
            SratEntry::GenericPort(_) => entry_type::GENERIC_PORT,
            SratEntry::Rintc { .. } => entry_type::RINTC,
            SratEntry::Unknown { subtable_type, .. } => *subtable_type,
        }
    }

    /// The JSON/text name of the structure type.
    pub fn type_name(&self) -> &'static str {
        match self {
            SratEntry::LocalApic { .. } => "local_apic",
            SratEntry::Memory { .. } => "memory",
            SratEntry::X2apic { .. } => "x2apic",
            SratEntry::Gicc { .. } => "gicc",
            SratEntry::GicIts { .. } => "gic_its",
            SratEntry::GenericInitiator(_) => "generic_initiator",
            SratEntry::GenericPort(_) => "generic_port",
            SratEntry::Rintc { .. } => "rintc",
            SratEntry::Unknown { .. } => "unknown",
        }
    }

    /// The proximity domain, for types that have one.
    pub fn proximity_domain(&self) -> Option<u32> {
        match self {
            SratEntry::LocalApic {
                proximity_domain, ..
            }
            | SratEntry::Memory {
                proximity_domain, ..
            }
            | SratEntry::X2apic {
                proximity_domain, ..
            }
            | SratEntry::Gicc {
                proximity_domain, ..
            }
            | SratEntry::GicIts {
                proximity_domain, ..
            }
            | SratEntry::Rintc {
                proximity_domain, ..
            } => Some(*proximity_domain),
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => Some(g.proximity_domain),
            SratEntry::Unknown { .. } => None,
        }
    }

    /// The Flags field, for types that have one.
    pub fn flags(&self) -> Option<u32> {
        match self {
            SratEntry::LocalApic { flags, .. }
            | SratEntry::Memory { flags, .. }
            | SratEntry::X2apic { flags, .. }
            | SratEntry::Gicc { flags, .. }
            | SratEntry::Rintc { flags, .. } => Some(*flags),
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => Some(g.flags),
            SratEntry::GicIts { .. } | SratEntry::Unknown { .. } => None,
        }
    }

    /// Checks that the entry encodes to what it says: an `Unknown` entry's bytes
    /// start with its type and its own Length, and a raw device handle has 16
    /// bytes. Typed values built in Rust always pass; this guards values read
    /// from JSON, which could otherwise encode into a different structure.
    pub fn check(&self) -> Result<(), EncodeError> {
        match self {
            SratEntry::Unknown {
                subtable_type,
                bytes,
            } => {
                let b = &bytes.0;
                let (Some(&typ), Some(&len), true) = (b.first(), b.get(1), b.len() <= 255) else {
                    return Err(EncodeError::SratUnknownSize { len: b.len() });
                };
                if typ != *subtable_type {
                    return Err(EncodeError::SratUnknownType {
                        in_bytes: typ,
                        subtable_type: *subtable_type,
                    });
                }
                if usize::from(len) != b.len() {
                    return Err(EncodeError::SratUnknownLength {
                        length_byte: len,
                        len: b.len(),
                    });
                }
                Ok(())
            }
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => match &g.device_handle {
                DeviceHandle::Raw { bytes, .. } if bytes.0.len() != 16 => {
                    Err(EncodeError::DeviceHandleSize { len: bytes.0.len() })
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The length in bytes this structure has when encoded.
    pub fn encoded_len(&self) -> usize {
        match self {
            SratEntry::Unknown { bytes, .. } => bytes.0.len(),
            other => expected_len(other.type_id()).unwrap_or(0),
        }
    }

    /// Decodes one structure from the start of `b` (which holds exactly the
    /// structure's Length bytes). Known types with another length become `Unknown`.
    fn decode(b: &[u8]) -> SratEntry {
        let typ = b.first().copied().unwrap_or(0);
        let unknown = || SratEntry::Unknown {
            subtable_type: typ,
            bytes: HexBytes(b.to_vec()),
        };
        if expected_len(typ) != Some(b.len()) {
            return unknown();
        }
        let e = match typ {
            entry_type::LOCAL_APIC => RawLocalApic::read_from_bytes(b).ok().map(|r| {
                let [h1, h2, h3] = r.proximity_domain_hi;
                SratEntry::LocalApic {
                    proximity_domain: u32::from_le_bytes([r.proximity_domain_lo, h1, h2, h3]),
                    apic_id: r.apic_id,
                    flags: r.flags.get(),
                    sapic_eid: r.sapic_eid,
                    clock_domain: r.clock_domain.get(),
                }
            }),
            entry_type::MEMORY => RawMemory::read_from_bytes(b)
                .ok()
                .map(|r| SratEntry::Memory {
                    proximity_domain: r.proximity_domain.get(),
                    base_address: r.base_address.get(),
                    length: r.range_length.get(),
                    flags: r.flags.get(),
                    reserved1: r.reserved1.get(),
                    reserved2: r.reserved2.get(),
                    reserved3: r.reserved3.get(),
                }),
            entry_type::X2APIC => RawX2Apic::read_from_bytes(b)
                .ok()
                .map(|r| SratEntry::X2apic {
                    proximity_domain: r.proximity_domain.get(),
                    x2apic_id: r.x2apic_id.get(),
                    flags: r.flags.get(),
                    clock_domain: r.clock_domain.get(),
                    reserved1: r.reserved1.get(),
                    reserved2: r.reserved2.get(),
                }),
            entry_type::GICC => RawGicc::read_from_bytes(b).ok().map(|r| SratEntry::Gicc {
                proximity_domain: r.proximity_domain.get(),
                acpi_processor_uid: r.acpi_processor_uid.get(),
                flags: r.flags.get(),
                clock_domain: r.clock_domain.get(),
            }),
            entry_type::GIC_ITS => RawGicIts::read_from_bytes(b)
                .ok()
                .map(|r| SratEntry::GicIts {
                    proximity_domain: r.proximity_domain.get(),
                    its_id: r.its_id.get(),
                    reserved: r.reserved.get(),
                }),
            entry_type::GENERIC_INITIATOR | entry_type::GENERIC_PORT => {
                RawGeneric::read_from_bytes(b).ok().map(|r| {
                    let g = GenericAffinity {
                        proximity_domain: r.proximity_domain.get(),
                        device_handle: DeviceHandle::from_raw(
                            r.device_handle_type,
                            r.device_handle,
                        ),
                        flags: r.flags.get(),
                        reserved1: r.reserved1,
                        reserved2: r.reserved2.get(),
                    };
                    if typ == entry_type::GENERIC_INITIATOR {
                        SratEntry::GenericInitiator(g)
                    } else {
                        SratEntry::GenericPort(g)
                    }
                })
            }
            entry_type::RINTC => RawRintc::read_from_bytes(b).ok().map(|r| SratEntry::Rintc {
                proximity_domain: r.proximity_domain.get(),
                acpi_processor_uid: r.acpi_processor_uid.get(),
                flags: r.flags.get(),
                clock_domain: r.clock_domain.get(),
                reserved: r.reserved.get(),
            }),
            _ => None,
        };
        e.unwrap_or_else(unknown)
    }

    /// Appends the encoded structure to `w`.
    fn encode(&self, w: &mut TableWriter) {
        let len = |t: u8| {
            expected_len(t)
                .and_then(|l| u8::try_from(l).ok())
                .unwrap_or(0)
        };
        match self {
            SratEntry::Memory {
                proximity_domain,
                base_address,
                length,
                flags,
                reserved1,
                reserved2,
                reserved3,
            } => w.raw(&RawMemory {
                typ: entry_type::MEMORY,
                length: len(entry_type::MEMORY),
                proximity_domain: U32::new(*proximity_domain),
                reserved1: U16::new(*reserved1),
                base_address: U64::new(*base_address),
                range_length: U64::new(*length),
                reserved2: U32::new(*reserved2),
                flags: U32::new(*flags),
                reserved3: U64::new(*reserved3),
            }),
            SratEntry::GicIts {
                proximity_domain,
                its_id,
                reserved,
            } => w.raw(&RawGicIts {
                typ: entry_type::GIC_ITS,
                length: len(entry_type::GIC_ITS),
                proximity_domain: U32::new(*proximity_domain),
                reserved: U16::new(*reserved),
                its_id: U32::new(*its_id),
            }),
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => {
                let typ = self.type_id();
                w.raw(&RawGeneric {
                    typ,
                    length: len(typ),
                    reserved1: g.reserved1,
                    device_handle_type: g.device_handle.handle_type(),
                    proximity_domain: U32::new(g.proximity_domain),
                    device_handle: g.device_handle.to_raw(),
                    flags: U32::new(g.flags),
                    reserved2: U32::new(g.reserved2),
                })
            }
            SratEntry::Unknown { bytes, .. } => w.bytes(&bytes.0),
            SratEntry::LocalApic { .. }
            | SratEntry::X2apic { .. }
            | SratEntry::Gicc { .. }
            | SratEntry::Rintc { .. } => self.encode_processor(w),
        }
    }

    /// Appends a processor affinity structure (Local APIC, x2APIC, GICC, RINTC) to `w`.
    fn encode_processor(&self, w: &mut TableWriter) {
        let len = |t: u8| {
            expected_len(t)
                .and_then(|l| u8::try_from(l).ok())
                .unwrap_or(0)
        };
        match self {
            SratEntry::LocalApic {
                proximity_domain,
                apic_id,
                flags,
                sapic_eid,
                clock_domain,
            } => {
                let [p0, p1, p2, p3] = proximity_domain.to_le_bytes();
                w.raw(&RawLocalApic {
                    typ: entry_type::LOCAL_APIC,
                    length: len(entry_type::LOCAL_APIC),
                    proximity_domain_lo: p0,
                    apic_id: *apic_id,
                    flags: U32::new(*flags),
                    sapic_eid: *sapic_eid,
                    proximity_domain_hi: [p1, p2, p3],
                    clock_domain: U32::new(*clock_domain),
                })
            }
            SratEntry::X2apic {
                proximity_domain,
                x2apic_id,
                flags,
                clock_domain,
                reserved1,
                reserved2,
            } => w.raw(&RawX2Apic {
                typ: entry_type::X2APIC,
                length: len(entry_type::X2APIC),
                reserved1: U16::new(*reserved1),
                proximity_domain: U32::new(*proximity_domain),
                x2apic_id: U32::new(*x2apic_id),
                flags: U32::new(*flags),
                clock_domain: U32::new(*clock_domain),
                reserved2: U32::new(*reserved2),
            }),
            SratEntry::Gicc {
                proximity_domain,
                acpi_processor_uid,
                flags,
                clock_domain,
            } => w.raw(&RawGicc {
                typ: entry_type::GICC,
                length: len(entry_type::GICC),
                proximity_domain: U32::new(*proximity_domain),
                acpi_processor_uid: U32::new(*acpi_processor_uid),
                flags: U32::new(*flags),
                clock_domain: U32::new(*clock_domain),
            }),
            SratEntry::Rintc {
                proximity_domain,
                acpi_processor_uid,
                flags,
                clock_domain,
                reserved,
            } => w.raw(&RawRintc {
                typ: entry_type::RINTC,
                length: len(entry_type::RINTC),
                reserved: U16::new(*reserved),
                proximity_domain: U32::new(*proximity_domain),
                acpi_processor_uid: U32::new(*acpi_processor_uid),
                flags: U32::new(*flags),
                clock_domain: U32::new(*clock_domain),
            }),
            _ => {}
        }
    }
}

/// The Length that a known structure type has (None for unknown types).
pub fn expected_len(typ: u8) -> Option<usize> {
    Some(match typ {
        entry_type::LOCAL_APIC => size_of::<RawLocalApic>(),
        entry_type::MEMORY => size_of::<RawMemory>(),
        entry_type::X2APIC => size_of::<RawX2Apic>(),
        entry_type::GICC => size_of::<RawGicc>(),
        entry_type::GIC_ITS => size_of::<RawGicIts>(),
        entry_type::GENERIC_INITIATOR | entry_type::GENERIC_PORT => size_of::<RawGeneric>(),
        entry_type::RINTC => size_of::<RawRintc>(),
        _ => return None,
    })
}

/// Offset of the first affinity structure.
pub const ENTRIES_OFFSET: usize = HEADER_LEN + size_of::<RawSratBody>();

impl Srat {
    /// An empty SRAT with QEMU's header defaults and the given revision
    /// (QEMU: 1 on x86, 3 on arm).
    pub fn new(revision: u8) -> Self {
        Srat {
            header: Header::new(SIGNATURE, revision),
            table_revision: 1,
            reserved: 0,
            entries: Vec::new(),
        }
    }

    /// Decodes a whole SRAT (exactly one table in `bytes`).
    pub fn decode(bytes: &[u8]) -> Result<Srat, DecodeError> {
        let header = Header::decode_expecting(bytes, SIGNATURE)?;
        let body: RawSratBody = read_at(bytes, HEADER_LEN, &SIGNATURE)?;
        Ok(Srat {
            header,
            table_revision: body.table_revision.get(),
            reserved: body.reserved.get(),
            entries: Self::decode_entries(bytes, ENTRIES_OFFSET)?,
        })
    }

    /// Decodes the affinity structures from `start` to the end of `bytes`.
    fn decode_entries(bytes: &[u8], start: usize) -> Result<Vec<SratEntry>, DecodeError> {
        // Count the structures first (one byte read each) so the vector is allocated once.
        let mut count = 0usize;
        let mut at = start;
        while let Some(&len) = bytes.get(at.saturating_add(1)) {
            if len < 2 {
                break;
            }
            count += 1;
            at = at.saturating_add(usize::from(len));
        }
        let mut entries = Vec::with_capacity(count);
        let mut off = start;
        while let Some(rest) = bytes.get(off..).filter(|r| !r.is_empty()) {
            let (typ, len) = match rest {
                [typ, len, ..] => (*typ, *len),
                _ => {
                    return Err(DecodeError::new(
                        &SIGNATURE,
                        off,
                        DecodeErrorKind::Truncated {
                            needed: 2,
                            available: rest.len(),
                        },
                    ));
                }
            };
            let entry = match rest.get(..usize::from(len)) {
                Some(b) if len >= 2 => b,
                _ => {
                    return Err(DecodeError::new(
                        &SIGNATURE,
                        off,
                        DecodeErrorKind::BadStructureLength {
                            structure_type: u16::from(typ),
                            declared: u32::from(len),
                            minimum: 2,
                            remaining: rest.len(),
                        },
                    ));
                }
            };
            entries.push(SratEntry::decode(entry));
            off += entry.len();
        }
        Ok(entries)
    }

    /// Encodes the table; Length and Checksum are computed here.
    pub fn encode(&self) -> Vec<u8> {
        let len = self
            .entries
            .iter()
            .fold(ENTRIES_OFFSET, |a, e| a.saturating_add(e.encoded_len()));
        let mut w = TableWriter::with_capacity(&self.header, len);
        w.raw(&RawSratBody {
            table_revision: U32::new(self.table_revision),
            reserved: U64::new(self.reserved),
        });
        for e in &self.entries {
            e.encode(&mut w);
        }
        w.finish()
    }

    /// Byte offset of each entry in the encoded table.
    pub fn entry_offsets(&self) -> Vec<usize> {
        running_offsets(ENTRIES_OFFSET, self.entries.iter().map(|e| e.encoded_len()))
    }

    /// Each entry with its byte offset in the encoded table: what
    /// [`Srat::entry_offsets`] gives, without collecting the offsets.
    ///
    /// ```
    /// use vnuma_acpi::srat::{Srat, SratEntry};
    ///
    /// let memory = |pxm: u32, base: u64| SratEntry::Memory {
    ///     proximity_domain: pxm,
    ///     base_address: base,
    ///     length: 1 << 30,
    ///     flags: 1,
    ///     reserved1: 0,
    ///     reserved2: 0,
    ///     reserved3: 0,
    /// };
    /// let mut srat = Srat::new(3);
    /// srat.entries.push(memory(0, 0));
    /// srat.entries.push(memory(1, 1 << 30));
    /// let offsets: Vec<usize> = srat.entries_with_offsets().map(|(_, o)| o).collect();
    /// assert_eq!(offsets, [48, 88]); // 36-byte header, 12 reserved bytes, 40-byte entries
    /// assert_eq!(offsets, srat.entry_offsets());
    /// ```
    pub fn entries_with_offsets(&self) -> impl Iterator<Item = (&SratEntry, usize)> {
        with_running_offsets(
            ENTRIES_OFFSET,
            self.entries.iter().map(|e| (e, e.encoded_len())),
        )
    }

    /// Proximity domains in order of first appearance in the table (Linux numbers
    /// nodes in another order: processors and generic initiators first, then memory).
    pub fn proximity_domains_in_order(&self) -> Vec<u32> {
        let mut seen = Vec::new();
        for e in &self.entries {
            if let Some(pd) = e.proximity_domain()
                && !seen.contains(&pd)
            {
                seen.push(pd);
            }
        }
        seen
    }
}
