//! Typed errors. A [`DecodeError`] names the table, the byte offset and what was
//! wrong; an [`EncodeError`] says why a value would not encode to what it
//! describes; a [`HexError`] and a [`JsonError`] (feature `json`) come from
//! reading the text forms back.

use alloc::string::String;
use core::fmt;

/// What was wrong at the offset named by a [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended before a field or structure of `needed` bytes could be read.
    Truncated {
        /// Bytes needed from the offset.
        needed: usize,
        /// Bytes available from the offset.
        available: usize,
    },
    /// The header's Length field disagrees with the bytes given.
    BadTableLength {
        /// Value of the Length field.
        declared: u32,
        /// Number of bytes actually given.
        actual: usize,
    },
    /// A sub-structure's Length field is impossible (too small or past the end of the table).
    BadStructureLength {
        /// Structure type.
        structure_type: u16,
        /// Declared length.
        declared: u32,
        /// Smallest length the structure may have.
        minimum: u32,
        /// Bytes left in the table from the structure start.
        remaining: usize,
    },
    /// A count field would need more bytes than the structure or table holds.
    BadCount {
        /// Name of the count field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// The signature is not the one this decoder handles.
    WrongSignature {
        /// The signature that was expected.
        expected: [u8; 4],
    },
}

/// A table could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Table signature (as found in the input, or expected), e.g. `SRAT`.
    pub table: String,
    /// Byte offset from the start of the table.
    pub offset: usize,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub(crate) fn new(table: &[u8], offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError {
            table: crate::header::sig_to_string(table),
            offset,
            kind,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte offset {} (0x{:x}): ",
            self.table, self.offset, self.offset
        )?;
        match &self.kind {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: {needed} bytes needed, {available} available")
            }
            DecodeErrorKind::BadTableLength { declared, actual } => write!(
                f,
                "header Length field is {declared} but {actual} bytes were given"
            ),
            DecodeErrorKind::BadStructureLength {
                structure_type,
                declared,
                minimum,
                remaining,
            } => write!(
                f,
                "structure type {structure_type} has Length {declared} (minimum {minimum}, {remaining} bytes left in the table)"
            ),
            DecodeErrorKind::BadCount { field, value } => {
                write!(f, "{field} = {value} does not fit in the structure")
            }
            DecodeErrorKind::WrongSignature { expected } => write!(
                f,
                "signature is not {}",
                crate::header::sig_to_string(expected)
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A typed value that would not encode to what it describes (found by the
/// `check` methods: [`crate::SratEntry::check`], [`crate::HmatStructure::check`],
/// [`crate::Slit::check`]). Values built in Rust from the typed variants always
/// pass; these guard values read from JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// An unknown SRAT entry's bytes are fewer than 2 or more than 255.
    SratUnknownSize {
        /// Number of bytes.
        len: usize,
    },
    /// An unknown SRAT entry's first byte is not its `subtable_type`.
    SratUnknownType {
        /// The Type byte in the bytes.
        in_bytes: u8,
        /// The `subtable_type` field.
        subtable_type: u8,
    },
    /// An unknown SRAT entry's Length byte is not its byte count.
    SratUnknownLength {
        /// The Length byte.
        length_byte: u8,
        /// Number of bytes.
        len: usize,
    },
    /// A raw device handle does not have 16 bytes.
    DeviceHandleSize {
        /// Number of bytes.
        len: usize,
    },
    /// An unknown HMAT structure's bytes are shorter than its 8-byte header.
    HmatUnknownSize {
        /// Number of bytes.
        len: usize,
    },
    /// An unknown HMAT structure's Type field is not its `structure_type`.
    HmatUnknownType {
        /// The Type field in the bytes.
        in_bytes: u16,
        /// The `structure_type` field.
        structure_type: u16,
    },
    /// An unknown HMAT structure's Length field is not its byte count.
    HmatUnknownLength {
        /// The Length field.
        length_field: u32,
        /// Number of bytes.
        len: usize,
    },
    /// A locality structure's matrix has not one row per initiator.
    LocalityRows {
        /// Number of rows.
        rows: usize,
        /// Number of initiators.
        initiators: usize,
    },
    /// A locality structure's matrix row has not one value per target.
    LocalityRow {
        /// Row index.
        row: usize,
        /// Number of values in it.
        values: usize,
        /// Number of targets.
        targets: usize,
    },
    /// A memory side cache structure has more SMBIOS handles than its count field holds.
    TooManySmbiosHandles {
        /// Number of handles.
        count: usize,
    },
    /// A SLIT row does not have one value per locality.
    SlitRow {
        /// Row index.
        row: usize,
        /// Number of values in it.
        values: usize,
        /// Number of localities (rows).
        localities: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::SratUnknownSize { len } => {
                write!(f, "unknown entry: {len} bytes (a structure has 2 to 255)")
            }
            EncodeError::SratUnknownType {
                in_bytes,
                subtable_type,
            } => write!(
                f,
                "unknown entry: bytes start with type {in_bytes} but subtable_type is {subtable_type}"
            ),
            EncodeError::SratUnknownLength { length_byte, len } => write!(
                f,
                "unknown entry: Length byte is {length_byte} but there are {len} bytes"
            ),
            EncodeError::DeviceHandleSize { len } => {
                write!(f, "device handle: {len} bytes, a handle has 16")
            }
            EncodeError::HmatUnknownSize { len } => {
                write!(f, "unknown structure: {len} bytes (at least 8)")
            }
            EncodeError::HmatUnknownType {
                in_bytes,
                structure_type,
            } => write!(
                f,
                "unknown structure: bytes start with type {in_bytes} but structure_type is {structure_type}"
            ),
            EncodeError::HmatUnknownLength { length_field, len } => write!(
                f,
                "unknown structure: Length field is {length_field} but there are {len} bytes"
            ),
            EncodeError::LocalityRows { rows, initiators } => {
                write!(f, "entries: {rows} rows for {initiators} initiators")
            }
            EncodeError::LocalityRow {
                row,
                values,
                targets,
            } => write!(f, "entries[{row}]: {values} values for {targets} targets"),
            EncodeError::TooManySmbiosHandles { count } => {
                write!(f, "smbios_handles: {count} handles, at most 65535")
            }
            EncodeError::SlitRow {
                row,
                values,
                localities: n,
            } => write!(f, "distances[{row}]: {values} values in a {n}×{n} matrix"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// A hex string could not be parsed ([`crate::text::from_hex`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexError {
    /// The number of hex digits (whitespace left out) is odd.
    OddDigits,
    /// Two characters that are not both hex digits.
    NotHex {
        /// The pair, as text.
        pair: String,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::OddDigits => f.write_str("odd number of hex digits"),
            HexError::NotHex { pair } => write!(f, "not a hex digit pair: {pair:?}"),
        }
    }
}

impl core::error::Error for HexError {}

/// A table could not be read from its JSON form (`Table::from_json`, feature `json`).
///
/// `path` names where in the document the error is (for example
/// ``entries[3] (type "memory"): field `flags` ``), empty when the error is
/// about the table object itself; `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Where the error is (empty: the table object itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl JsonError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        JsonError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl core::error::Error for JsonError {}
