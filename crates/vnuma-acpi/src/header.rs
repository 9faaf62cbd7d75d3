//! The 36-byte ACPI System Description Table header (ACPI 6.5 §5.2.6) and the
//! writer that finishes a table (length and checksum computed once, at the end).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned, little_endian::U32};

use super::error::{DecodeError, DecodeErrorKind};
use super::text::FixedAscii;

/// Raw layout of the System Description Table header.
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawHeader {
    /// Offset 0: table signature.
    pub signature: [u8; 4],
    /// Offset 4: length of the whole table in bytes, header included.
    pub length: U32,
    /// Offset 8: revision of the table's structure.
    pub revision: u8,
    /// Offset 9: the whole table sums to zero (mod 256).
    pub checksum: u8,
    /// Offset 10: OEM ID.
    pub oem_id: [u8; 6],
    /// Offset 16: OEM Table ID.
    pub oem_table_id: [u8; 8],
    /// Offset 24: OEM Revision.
    pub oem_revision: U32,
    /// Offset 28: Creator ID (vendor ID of the utility that built the table).
    pub creator_id: [u8; 4],
    /// Offset 32: Creator Revision.
    pub creator_revision: U32,
}

/// Size of the header in bytes.
pub const HEADER_LEN: usize = size_of::<RawHeader>();

/// Offset of the checksum byte inside a table.
pub const CHECKSUM_OFFSET: usize = core::mem::offset_of!(RawHeader, checksum);

/// Offset of the Length field inside a table.
pub const LENGTH_OFFSET: usize = core::mem::offset_of!(RawHeader, length);

/// The typed table header. `length` and `checksum` are what was decoded; an
/// encoder ignores them and computes both when the table is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Header {
    /// Table signature, e.g. `SRAT`.
    pub signature: FixedAscii<4>,
    /// Revision of the table's layout.
    pub revision: u8,
    /// OEM ID (6 bytes; shorter strings are NUL-padded).
    pub oem_id: FixedAscii<6>,
    /// OEM Table ID (8 bytes; shorter strings are NUL-padded).
    pub oem_table_id: FixedAscii<8>,
    /// OEM Revision.
    pub oem_revision: u32,
    /// Creator ID.
    pub creator_id: FixedAscii<4>,
    /// Creator Revision.
    pub creator_revision: u32,
    /// Length field as decoded (recomputed on encode).
    #[cfg_attr(feature = "serde", serde(default))]
    pub length: u32,
    /// Checksum byte as decoded (recomputed on encode).
    #[cfg_attr(feature = "serde", serde(default))]
    pub checksum: u8,
}

impl Header {
    /// A header with the given signature and revision, and QEMU's default
    /// OEM fields (`BOCHS `, `BXPC    `, revision 1, creator `BXPC` 1).
    pub fn new(signature: [u8; 4], revision: u8) -> Self {
        Header {
            signature: FixedAscii(signature),
            revision,
            oem_id: FixedAscii(*b"BOCHS "),
            oem_table_id: FixedAscii(*b"BXPC    "),
            oem_revision: 1,
            creator_id: FixedAscii(*b"BXPC"),
            creator_revision: 1,
            length: 0,
            checksum: 0,
        }
    }

    /// Decodes the header at the start of `bytes` and checks that the Length
    /// field matches `bytes.len()` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Header, DecodeError> {
        let sig = bytes.get(..4).unwrap_or(bytes);
        let (raw, _) = RawHeader::read_from_prefix(bytes).map_err(|_| {
            DecodeError::new(
                sig,
                0,
                DecodeErrorKind::Truncated {
                    needed: HEADER_LEN,
                    available: bytes.len(),
                },
            )
        })?;
        let length = raw.length.get();
        if length as usize != bytes.len() || (length as usize) < HEADER_LEN {
            return Err(DecodeError::new(
                sig,
                LENGTH_OFFSET,
                DecodeErrorKind::BadTableLength {
                    declared: length,
                    actual: bytes.len(),
                },
            ));
        }
        Ok(Header {
            signature: FixedAscii(raw.signature),
            revision: raw.revision,
            oem_id: FixedAscii(raw.oem_id),
            oem_table_id: FixedAscii(raw.oem_table_id),
            oem_revision: raw.oem_revision.get(),
            creator_id: FixedAscii(raw.creator_id),
            creator_revision: raw.creator_revision.get(),
            length,
            checksum: raw.checksum,
        })
    }

    /// Decodes the header of a table that must carry the signature `expected`
    /// (the SRAT/SLIT/HMAT decoders). The signature is checked first, so that
    /// every error from a typed decoder names the table it was asked to decode:
    /// a wrong signature is `WrongSignature`; any other header error (input
    /// shorter than a header, bad Length) is reported under `expected`.
    pub fn decode_expecting(bytes: &[u8], expected: [u8; 4]) -> Result<Header, DecodeError> {
        let sig = bytes.get(..4).unwrap_or(bytes);
        if !expected.starts_with(sig) {
            return Err(DecodeError::new(
                sig,
                0,
                DecodeErrorKind::WrongSignature { expected },
            ));
        }
        Header::decode(bytes).map_err(|mut e| {
            e.table = sig_to_string(&expected);
            e
        })
    }

    fn to_raw(&self) -> RawHeader {
        RawHeader {
            signature: self.signature.0,
            length: U32::new(0),
            revision: self.revision,
            checksum: 0,
            oem_id: self.oem_id.0,
            oem_table_id: self.oem_table_id.0,
            oem_revision: U32::new(self.oem_revision),
            creator_id: self.creator_id.0,
            creator_revision: U32::new(self.creator_revision),
        }
    }
}

/// Sum of all bytes mod 256; a valid table sums to 0.
pub fn byte_sum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |acc, b| acc.wrapping_add(*b))
}

/// Whether the bytes of a whole table sum to zero.
pub fn checksum_valid(table: &[u8]) -> bool {
    byte_sum(table) == 0
}

/// Sets the checksum byte of a whole table so that it sums to zero.
/// Does nothing to a buffer shorter than a header.
pub fn fill_checksum(table: &mut [u8]) {
    if table.len() < HEADER_LEN {
        return;
    }
    if let Some(c) = table.get_mut(CHECKSUM_OFFSET) {
        *c = 0;
    }
    let sum = byte_sum(table);
    if let Some(c) = table.get_mut(CHECKSUM_OFFSET) {
        *c = 0u8.wrapping_sub(sum);
    }
}

/// Builds one table: the header goes first with Length and Checksum zero,
/// the body is appended, and [`TableWriter::finish`] computes both once.
pub struct TableWriter {
    buf: Vec<u8>,
}

impl TableWriter {
    /// Starts a table with `header` (its `length`/`checksum` are ignored).
    pub fn new(header: &Header) -> Self {
        Self::with_capacity(header, 256)
    }

    /// Starts a table with `header`, reserving room for `len` bytes in all
    /// (header included), so that a writer told the exact length never grows.
    pub fn with_capacity(header: &Header, len: usize) -> Self {
        let mut buf = Vec::with_capacity(len.max(HEADER_LEN));
        buf.extend_from_slice(header.to_raw().as_bytes());
        TableWriter { buf }
    }

    /// Appends `count` copies of `byte`.
    pub fn fill(&mut self, byte: u8, count: usize) {
        self.buf.resize(self.buf.len().saturating_add(count), byte);
    }

    /// Appends `values` as little-endian u16s, a whole slice at once.
    pub fn u16s(&mut self, values: &[u16]) {
        #[cfg(target_endian = "little")]
        self.buf.extend_from_slice(values.as_bytes());
        #[cfg(not(target_endian = "little"))]
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// Appends `values` as little-endian u32s, a whole slice at once.
    pub fn u32s(&mut self, values: &[u32]) {
        #[cfg(target_endian = "little")]
        self.buf.extend_from_slice(values.as_bytes());
        #[cfg(not(target_endian = "little"))]
        for v in values {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Appends a layout struct.
    pub fn raw<T: IntoBytes + Immutable>(&mut self, v: &T) {
        self.buf.extend_from_slice(v.as_bytes());
    }

    /// Current length in bytes (header included).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written (never true: the header is written at once).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Computes Length and Checksum and returns the finished table.
    /// Tables longer than `u32::MAX` bytes cannot be described; they saturate
    /// (no encoder in this crate can produce one).
    pub fn finish(mut self) -> Vec<u8> {
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        if let Some(field) = self.buf.get_mut(LENGTH_OFFSET..LENGTH_OFFSET + 4) {
            field.copy_from_slice(&len.to_le_bytes());
        }
        fill_checksum(&mut self.buf);
        self.buf
    }
}

/// The byte offset of each of a table's structures, laid end to end from `start`
/// with the given lengths.
pub(crate) fn running_offsets(start: usize, lens: impl IntoIterator<Item = usize>) -> Vec<usize> {
    with_running_offsets(start, lens.into_iter().map(|len| ((), len)))
        .map(|(_, o)| o)
        .collect()
}

/// Each item with the byte offset of its structure, the structures laid end to
/// end from `start` with the lengths that come with the items.
pub(crate) fn with_running_offsets<T>(
    start: usize,
    items: impl Iterator<Item = (T, usize)>,
) -> impl Iterator<Item = (T, usize)> {
    let mut off = start;
    items.map(move |(item, len)| {
        let o = off;
        off = off.saturating_add(len);
        (item, o)
    })
}

/// Signature bytes as a printable string (non-printable bytes as `\xNN`).
pub fn sig_to_string(sig: &[u8]) -> String {
    let mut s = String::new();
    for &b in sig {
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}
