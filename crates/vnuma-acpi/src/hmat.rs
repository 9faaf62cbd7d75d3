//! HMAT, the Heterogeneous Memory Attribute Table (ACPI 6.5 §5.2.28), revision 2.

use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use zerocopy::{
    FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned,
    little_endian::{U16, U32, U64},
};

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::header::{HEADER_LEN, Header, TableWriter, running_offsets, with_running_offsets};
use super::read_at;
use super::text::HexBytes;
#[cfg(feature = "serde")]
use super::text::is_zero;

/// Table signature.
pub const SIGNATURE: [u8; 4] = *b"HMAT";

/// Offset of the first HMAT structure (after the header and a reserved dword).
pub const STRUCTURES_OFFSET: usize = HEADER_LEN + size_of::<U32>();

/// The Type field of each HMAT structure (ACPI 6.5 Table 5.150).
pub mod structure_type {
    /// Memory Proximity Domain Attributes.
    pub const MEMORY_PROXIMITY_DOMAIN_ATTRIBUTES: u16 = 0;
    /// System Locality Latency and Bandwidth Information.
    pub const LOCALITY_LATENCY_BANDWIDTH: u16 = 1;
    /// Memory Side Cache Information.
    pub const MEMORY_SIDE_CACHE: u16 = 2;
}

/// The Data Type byte of a locality structure (ACPI 6.5 Table 5.152).
pub mod data_type {
    /// Access latency.
    pub const ACCESS_LATENCY: u8 = 0;
    /// Read latency.
    pub const READ_LATENCY: u8 = 1;
    /// Write latency.
    pub const WRITE_LATENCY: u8 = 2;
    /// Access bandwidth.
    pub const ACCESS_BANDWIDTH: u8 = 3;
    /// Read bandwidth.
    pub const READ_BANDWIDTH: u8 = 4;
    /// Write bandwidth.
    pub const WRITE_BANDWIDTH: u8 = 5;

    /// Whether `t` is a latency type (entries in picoseconds × base unit).
    pub fn is_latency(t: u8) -> bool {
        t <= WRITE_LATENCY
    }

    /// Whether `t` is a bandwidth type (entries in MB/s × base unit).
    pub fn is_bandwidth(t: u8) -> bool {
        (ACCESS_BANDWIDTH..=WRITE_BANDWIDTH).contains(&t)
    }
}

/// Memory Proximity Domain Attributes flag bit 0: the Attached Initiator
/// Proximity Domain field is valid.
pub const MPDA_INITIATOR_VALID: u16 = 1;

/// Common 8-byte header of every HMAT structure.
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawStructHeader {
    /// 0: structure type.
    pub typ: U16,
    /// 2: reserved.
    pub reserved: U16,
    /// 4: length of the structure.
    pub length: U32,
}

/// Type 0: Memory Proximity Domain Attributes (40 bytes).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawMpda {
    /// 0: common header (type 0, length 40).
    pub header: RawStructHeader,
    /// 8: flags (bit 0: initiator proximity domain valid).
    pub flags: U16,
    /// 10: reserved.
    pub reserved1: U16,
    /// 12: proximity domain of the attached initiator.
    pub initiator_pd: U32,
    /// 16: proximity domain of the memory.
    pub memory_pd: U32,
    /// 20: reserved.
    pub reserved2: U32,
    /// 24: reserved (revision 1: system physical address range base).
    pub reserved3: U64,
    /// 32: reserved (revision 1: system physical address range length).
    pub reserved4: U64,
}

/// Type 1: System Locality Latency and Bandwidth Information, fixed part (32 bytes).
/// Followed by I initiator PDs (u32), T target PDs (u32) and I×T u16 entries.
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawLocality {
    /// 0: common header (type 1).
    pub header: RawStructHeader,
    /// 8: flags: bits 3:0 memory hierarchy, bits 5:4 access attributes.
    pub flags: u8,
    /// 9: data type (0 access latency … 5 write bandwidth).
    pub data_type: u8,
    /// 10: minimum transfer size.
    pub min_transfer_size: u8,
    /// 11: reserved.
    pub reserved1: u8,
    /// 12: number of initiator proximity domains.
    pub num_initiators: U32,
    /// 16: number of target proximity domains.
    pub num_targets: U32,
    /// 20: reserved.
    pub reserved2: U32,
    /// 24: entry base unit.
    pub entry_base_unit: U64,
}

/// Type 2: Memory Side Cache Information, fixed part (32 bytes), followed by
/// the SMBIOS handles (u16 each).
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawCache {
    /// 0: common header (type 2).
    pub header: RawStructHeader,
    /// 8: memory proximity domain.
    pub memory_pd: U32,
    /// 12: reserved.
    pub reserved1: U32,
    /// 16: memory side cache size.
    pub cache_size: U64,
    /// 24: cache attributes.
    pub attributes: U32,
    /// 28: address mode (ACPI 6.5; reserved before).
    pub address_mode: U16,
    /// 30: number of SMBIOS handles.
    pub num_smbios_handles: U16,
}

/// A whole HMAT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Hmat {
    /// Table header.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub header: Header,
    /// Reserved dword at offset 36.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved: u32,
    /// Structures in table order.
    pub structures: Vec<HmatStructure>,
}

/// Memory hierarchy values (flags bits 3:0 of a locality structure).
pub const HIERARCHY_NAMES: [&str; 4] = ["memory", "first-level", "second-level", "third-level"];
/// Data type names (a locality structure's Data Type).
pub const DATA_TYPE_NAMES: [&str; 6] = [
    "access-latency",
    "read-latency",
    "write-latency",
    "access-bandwidth",
    "read-bandwidth",
    "write-bandwidth",
];

/// One HMAT structure. JSON: an object with `type` and the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum HmatStructure {
    /// Type 0.
    MemoryProximityDomainAttributes {
        /// Flags (bit 0: initiator PD valid).
        flags: u16,
        /// Attached initiator proximity domain.
        initiator_proximity_domain: u32,
        /// Memory proximity domain.
        memory_proximity_domain: u32,
        /// Reserved u16 at 2.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved0: u16,
        /// Reserved u16 at 10.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved1: u16,
        /// Reserved u32 at 20.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved2: u32,
        /// Reserved u64 at 24.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved3: u64,
        /// Reserved u64 at 32.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved4: u64,
    },
    /// Type 1.
    LocalityLatencyBandwidth(Locality),
    /// Type 2.
    MemorySideCache {
        /// Memory proximity domain.
        memory_proximity_domain: u32,
        /// Cache size in bytes.
        cache_size: u64,
        /// Cache attributes (levels, associativity, write policy, line size).
        cache_attributes: u32,
        /// Address mode (ACPI 6.5).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        address_mode: u16,
        /// SMBIOS handles (type 17 memory devices).
        #[cfg_attr(feature = "serde", serde(default))]
        smbios_handles: Vec<u16>,
        /// Reserved u16 at 2.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved0: u16,
        /// Reserved u32 at 12.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
        reserved1: u32,
        /// Bytes past the SMBIOS handles inside the structure's Length.
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "HexBytes::is_empty_bytes")
        )]
        trailing: HexBytes,
    },
    /// Any other structure (or a malformed known one), kept whole.
    Unknown {
        /// The Type field.
        structure_type: u16,
        /// The whole structure, header included.
        bytes: HexBytes,
    },
}

/// A System Locality Latency and Bandwidth Information structure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Locality {
    /// Flags: bits 3:0 memory hierarchy (0 memory, 1..3 cache level), 5:4 access attributes.
    pub flags: u8,
    /// Data type (0..5, see [`DATA_TYPE_NAMES`]).
    pub data_type: u8,
    /// Minimum transfer size.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub min_transfer_size: u8,
    /// Entry base unit (picoseconds for latency, MB/s for bandwidth).
    pub entry_base_unit: u64,
    /// Initiator proximity domains (rows).
    pub initiators: Vec<u32>,
    /// Target proximity domains (columns).
    pub targets: Vec<u32>,
    /// Entries, one row per initiator: `entries[i][t]`.
    pub entries: Vec<Vec<u16>>,
    /// Reserved u16 at 2.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved0: u16,
    /// Reserved byte at 11.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved1: u8,
    /// Reserved u32 at 20.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "is_zero"))]
    pub reserved2: u32,
    /// Bytes past the entries inside the structure's Length.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "HexBytes::is_empty_bytes")
    )]
    pub trailing: HexBytes,
}

impl Locality {
    /// Memory hierarchy (flags bits 3:0).
    pub fn hierarchy(&self) -> u8 {
        self.flags & 0xf
    }
}

impl HmatStructure {
    /// The structure's Type field.
    pub fn type_id(&self) -> u16 {
        match self {
            HmatStructure::MemoryProximityDomainAttributes { .. } => {
                structure_type::MEMORY_PROXIMITY_DOMAIN_ATTRIBUTES
            }
            HmatStructure::LocalityLatencyBandwidth(_) => {
                structure_type::LOCALITY_LATENCY_BANDWIDTH
            }
            HmatStructure::MemorySideCache { .. } => structure_type::MEMORY_SIDE_CACHE,
            HmatStructure::Unknown { structure_type, .. } => *structure_type,
        }
    }

    /// Checks that the structure encodes to what it says (see
    /// [`crate::SratEntry::check`]): an `Unknown` structure's bytes hold its
    /// type and its own Length; a locality matrix is initiators × targets; a cache
    /// has at most 65535 SMBIOS handles.
    pub fn check(&self) -> Result<(), EncodeError> {
        match self {
            HmatStructure::Unknown {
                structure_type,
                bytes,
            } => {
                let b = &bytes.0;
                let Ok((h, _)) = RawStructHeader::read_from_prefix(b) else {
                    return Err(EncodeError::HmatUnknownSize { len: b.len() });
                };
                let (t, len) = (h.typ.get(), h.length.get());
                if t != *structure_type {
                    return Err(EncodeError::HmatUnknownType {
                        in_bytes: t,
                        structure_type: *structure_type,
                    });
                }
                if usize::try_from(len).ok() != Some(b.len()) {
                    return Err(EncodeError::HmatUnknownLength {
                        length_field: len,
                        len: b.len(),
                    });
                }
                Ok(())
            }
            HmatStructure::LocalityLatencyBandwidth(l) => {
                if l.entries.len() != l.initiators.len() {
                    return Err(EncodeError::LocalityRows {
                        rows: l.entries.len(),
                        initiators: l.initiators.len(),
                    });
                }
                match l
                    .entries
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.len() != l.targets.len())
                {
                    Some((i, r)) => Err(EncodeError::LocalityRow {
                        row: i,
                        values: r.len(),
                        targets: l.targets.len(),
                    }),
                    None => Ok(()),
                }
            }
            HmatStructure::MemorySideCache { smbios_handles, .. }
                if smbios_handles.len() > usize::from(u16::MAX) =>
            {
                Err(EncodeError::TooManySmbiosHandles {
                    count: smbios_handles.len(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The encoded length of the structure.
    pub fn encoded_len(&self) -> usize {
        match self {
            HmatStructure::MemoryProximityDomainAttributes { .. } => size_of::<RawMpda>(),
            HmatStructure::LocalityLatencyBandwidth(l) => {
                size_of::<RawLocality>()
                    + 4 * l.initiators.len()
                    + 4 * l.targets.len()
                    + 2 * l.initiators.len() * l.targets.len()
                    + l.trailing.0.len()
            }
            HmatStructure::MemorySideCache {
                smbios_handles,
                trailing,
                ..
            } => {
                // At most u16::MAX handles fit the count field; encode writes no more.
                let n = smbios_handles.len().min(usize::from(u16::MAX));
                size_of::<RawCache>() + 2 * n + trailing.0.len()
            }
            HmatStructure::Unknown { bytes, .. } => bytes.0.len(),
        }
    }

    /// Decodes one structure; `b` holds exactly its Length bytes and `off` is
    /// its table offset (for error messages).
    fn decode(b: &[u8], off: usize) -> Result<HmatStructure, DecodeError> {
        let h: RawStructHeader = read_at(b, 0, &SIGNATURE).map_err(|e| shift(e, off))?;
        match h.typ.get() {
            structure_type::MEMORY_PROXIMITY_DOMAIN_ATTRIBUTES
                if b.len() == size_of::<RawMpda>() =>
            {
                let r: RawMpda = read_at(b, 0, &SIGNATURE).map_err(|e| shift(e, off))?;
                Ok(HmatStructure::MemoryProximityDomainAttributes {
                    flags: r.flags.get(),
                    initiator_proximity_domain: r.initiator_pd.get(),
                    memory_proximity_domain: r.memory_pd.get(),
                    reserved0: r.header.reserved.get(),
                    reserved1: r.reserved1.get(),
                    reserved2: r.reserved2.get(),
                    reserved3: r.reserved3.get(),
                    reserved4: r.reserved4.get(),
                })
            }
            structure_type::LOCALITY_LATENCY_BANDWIDTH => decode_locality(b, off),
            structure_type::MEMORY_SIDE_CACHE => decode_cache(b, off),
            t => Ok(HmatStructure::Unknown {
                structure_type: t,
                bytes: HexBytes(b.to_vec()),
            }),
        }
    }

    fn encode(&self, w: &mut TableWriter) {
        let len = U32::new(u32::try_from(self.encoded_len()).unwrap_or(u32::MAX));
        match self {
            HmatStructure::MemoryProximityDomainAttributes {
                flags,
                initiator_proximity_domain,
                memory_proximity_domain,
                reserved0,
                reserved1,
                reserved2,
                reserved3,
                reserved4,
            } => w.raw(&RawMpda {
                header: RawStructHeader {
                    typ: U16::new(structure_type::MEMORY_PROXIMITY_DOMAIN_ATTRIBUTES),
                    reserved: U16::new(*reserved0),
                    length: len,
                },
                flags: U16::new(*flags),
                reserved1: U16::new(*reserved1),
                initiator_pd: U32::new(*initiator_proximity_domain),
                memory_pd: U32::new(*memory_proximity_domain),
                reserved2: U32::new(*reserved2),
                reserved3: U64::new(*reserved3),
                reserved4: U64::new(*reserved4),
            }),
            HmatStructure::LocalityLatencyBandwidth(l) => {
                let count = |n: usize| U32::new(u32::try_from(n).unwrap_or(u32::MAX));
                w.raw(&RawLocality {
                    header: RawStructHeader {
                        typ: U16::new(structure_type::LOCALITY_LATENCY_BANDWIDTH),
                        reserved: U16::new(l.reserved0),
                        length: len,
                    },
                    flags: l.flags,
                    data_type: l.data_type,
                    min_transfer_size: l.min_transfer_size,
                    reserved1: l.reserved1,
                    num_initiators: count(l.initiators.len()),
                    num_targets: count(l.targets.len()),
                    reserved2: U32::new(l.reserved2),
                    entry_base_unit: U64::new(l.entry_base_unit),
                });
                w.u32s(&l.initiators);
                w.u32s(&l.targets);
                // Row stride is the number of targets; missing cells are 0.
                // Whole rows at once: cut to the target count, or padded with 0.
                let nt = l.targets.len();
                for i in 0..l.initiators.len() {
                    let row = l.entries.get(i).map_or(&[][..], Vec::as_slice);
                    let cells = row.get(..nt).unwrap_or(row);
                    w.u16s(cells);
                    w.fill(0, 2 * (nt - cells.len()));
                }
                w.bytes(&l.trailing.0);
            }
            HmatStructure::MemorySideCache {
                memory_proximity_domain,
                cache_size,
                cache_attributes,
                address_mode,
                smbios_handles,
                reserved0,
                reserved1,
                trailing,
            } => {
                w.raw(&RawCache {
                    header: RawStructHeader {
                        typ: U16::new(structure_type::MEMORY_SIDE_CACHE),
                        reserved: U16::new(*reserved0),
                        length: len,
                    },
                    memory_pd: U32::new(*memory_proximity_domain),
                    reserved1: U32::new(*reserved1),
                    cache_size: U64::new(*cache_size),
                    attributes: U32::new(*cache_attributes),
                    address_mode: U16::new(*address_mode),
                    num_smbios_handles: U16::new(
                        u16::try_from(smbios_handles.len()).unwrap_or(u16::MAX),
                    ),
                });
                let n = smbios_handles.len().min(usize::from(u16::MAX));
                w.u16s(smbios_handles.get(..n).unwrap_or(smbios_handles));
                w.bytes(&trailing.0);
            }
            HmatStructure::Unknown { bytes, .. } => w.bytes(&bytes.0),
        }
    }
}

/// Little-endian u32 values of `b` (whose length is a multiple of 4), read
/// as one slice of zerocopy `U32`s.
fn u32s(b: &[u8]) -> Vec<u32> {
    match <[U32]>::ref_from_bytes(b) {
        Ok(v) => v.iter().map(|x| x.get()).collect(),
        Err(_) => b
            .chunks_exact(4)
            .map(|c| U32::read_from_bytes(c).map_or(0, |v| v.get()))
            .collect(),
    }
}

/// Little-endian u16 values of `b` (whose length is a multiple of 2), read
/// as one slice of zerocopy `U16`s.
fn u16s(b: &[u8]) -> Vec<u16> {
    match <[U16]>::ref_from_bytes(b) {
        Ok(v) => v.iter().map(|x| x.get()).collect(),
        Err(_) => b
            .chunks_exact(2)
            .map(|c| U16::read_from_bytes(c).map_or(0, |v| v.get()))
            .collect(),
    }
}

/// Decodes a locality structure (`b`: exactly its Length bytes, at table offset `off`).
fn decode_locality(b: &[u8], off: usize) -> Result<HmatStructure, DecodeError> {
    let r: RawLocality = read_at(b, 0, &SIGNATURE).map_err(|e| shift(e, off))?;
    let ni = u64::from(r.num_initiators.get());
    let nt = u64::from(r.num_targets.get());
    let bad = || {
        DecodeError::new(
            &SIGNATURE,
            off + core::mem::offset_of!(RawLocality, num_initiators),
            DecodeErrorKind::BadCount {
                field: "Number of Initiator/Target Proximity Domains",
                value: ni.saturating_mul(nt),
            },
        )
    };
    // ni·nt·2 can exceed usize: checked sizes, then checked splits.
    let sizes = usize::try_from(ni).ok().zip(usize::try_from(nt).ok());
    let Some((ni, nt)) = sizes else {
        return Err(bad());
    };
    let lists = b.get(size_of::<RawLocality>()..).unwrap_or_default();
    let cells = ni.checked_mul(nt).ok_or_else(bad)?;
    let (inits, rest) = lists
        .split_at_checked(ni.checked_mul(4).ok_or_else(bad)?)
        .ok_or_else(bad)?;
    let (targs, rest) = rest
        .split_at_checked(nt.checked_mul(4).ok_or_else(bad)?)
        .ok_or_else(bad)?;
    let (matrix, trailing) = rest
        .split_at_checked(cells.checked_mul(2).ok_or_else(bad)?)
        .ok_or_else(bad)?;
    let entries = if nt == 0 {
        alloc::vec![Vec::new(); ni]
    } else {
        // One copy per row straight from the table bytes (no flat vector first).
        let mut rows = Vec::with_capacity(ni);
        rows.extend(matrix.chunks_exact(2 * nt).map(u16s));
        rows
    };
    Ok(HmatStructure::LocalityLatencyBandwidth(Locality {
        flags: r.flags,
        data_type: r.data_type,
        min_transfer_size: r.min_transfer_size,
        entry_base_unit: r.entry_base_unit.get(),
        initiators: u32s(inits),
        targets: u32s(targs),
        entries,
        reserved0: r.header.reserved.get(),
        reserved1: r.reserved1,
        reserved2: r.reserved2.get(),
        trailing: HexBytes(trailing.to_vec()),
    }))
}

/// Decodes a memory side cache structure (`b`: exactly its Length bytes, at table offset `off`).
fn decode_cache(b: &[u8], off: usize) -> Result<HmatStructure, DecodeError> {
    let r: RawCache = read_at(b, 0, &SIGNATURE).map_err(|e| shift(e, off))?;
    let n = usize::from(r.num_smbios_handles.get());
    let rest = b.get(size_of::<RawCache>()..).unwrap_or_default();
    let Some((handles, trailing)) = rest.split_at_checked(2 * n) else {
        return Err(DecodeError::new(
            &SIGNATURE,
            off + core::mem::offset_of!(RawCache, num_smbios_handles),
            DecodeErrorKind::BadCount {
                field: "Number of SMBIOS handles",
                value: u64::from(r.num_smbios_handles.get()),
            },
        ));
    };
    Ok(HmatStructure::MemorySideCache {
        memory_proximity_domain: r.memory_pd.get(),
        cache_size: r.cache_size.get(),
        cache_attributes: r.attributes.get(),
        address_mode: r.address_mode.get(),
        smbios_handles: u16s(handles),
        reserved0: r.header.reserved.get(),
        reserved1: r.reserved1.get(),
        trailing: HexBytes(trailing.to_vec()),
    })
}

fn shift(mut e: DecodeError, off: usize) -> DecodeError {
    e.offset += off;
    e
}

impl Hmat {
    /// An empty HMAT (revision 2) with QEMU's header defaults.
    pub fn new() -> Self {
        Hmat {
            header: Header::new(SIGNATURE, 2),
            reserved: 0,
            structures: Vec::new(),
        }
    }

    /// Decodes a whole HMAT.
    pub fn decode(bytes: &[u8]) -> Result<Hmat, DecodeError> {
        let header = Header::decode_expecting(bytes, SIGNATURE)?;
        let reserved: U32 = read_at(bytes, HEADER_LEN, &SIGNATURE)?;
        let mut structures = Vec::new();
        let mut off = STRUCTURES_OFFSET;
        while let Some(rest) = bytes.get(off..).filter(|r| !r.is_empty()) {
            let h: RawStructHeader = read_at(bytes, off, &SIGNATURE)?;
            let len = h.length.get();
            let body = usize::try_from(len)
                .ok()
                .filter(|&l| l >= size_of::<RawStructHeader>())
                .and_then(|l| rest.get(..l));
            let Some(body) = body else {
                return Err(DecodeError::new(
                    &SIGNATURE,
                    off,
                    DecodeErrorKind::BadStructureLength {
                        structure_type: h.typ.get(),
                        declared: len,
                        minimum: 8,
                        remaining: rest.len(),
                    },
                ));
            };
            structures.push(HmatStructure::decode(body, off)?);
            off += body.len();
        }
        Ok(Hmat {
            header,
            reserved: reserved.get(),
            structures,
        })
    }

    /// Encodes the table; Length and Checksum are computed here.
    pub fn encode(&self) -> Vec<u8> {
        let len = self
            .structures
            .iter()
            .fold(STRUCTURES_OFFSET, |a, s| a.saturating_add(s.encoded_len()));
        let mut w = TableWriter::with_capacity(&self.header, len);
        w.raw(&U32::new(self.reserved));
        for s in &self.structures {
            s.encode(&mut w);
        }
        w.finish()
    }

    /// Byte offset of each structure in the encoded table.
    pub fn structure_offsets(&self) -> Vec<usize> {
        running_offsets(
            STRUCTURES_OFFSET,
            self.structures.iter().map(|s| s.encoded_len()),
        )
    }

    /// Each structure with its byte offset in the encoded table: what
    /// [`Hmat::structure_offsets`] gives, without collecting the offsets.
    pub fn structures_with_offsets(&self) -> impl Iterator<Item = (&HmatStructure, usize)> {
        with_running_offsets(
            STRUCTURES_OFFSET,
            self.structures.iter().map(|s| (s, s.encoded_len())),
        )
    }
}

impl Default for Hmat {
    fn default() -> Self {
        Hmat::new()
    }
}
