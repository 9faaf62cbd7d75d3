//! Typed decode errors: every error names the table, the byte offset and what was wrong.

use std::fmt;

/// What was wrong at the offset named by a [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl std::error::Error for DecodeError {}
