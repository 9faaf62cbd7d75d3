//! SLIT, the System Locality Information Table (ACPI 6.5 §5.2.17).

use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned, little_endian::U64};

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::header::{HEADER_LEN, Header, TableWriter};
use super::read_at;
use super::text::{HexBytes, is_zero};

/// Table signature.
pub const SIGNATURE: [u8; 4] = *b"SLIT";

/// Raw SLIT body header (offset 36): the number of system localities.
#[derive(FromBytes, IntoBytes, Unaligned, KnownLayout, Immutable, Debug, Clone, Copy)]
#[repr(C)]
pub struct RawSlitBody {
    /// Offset 36: number of system localities N; an N×N byte matrix follows at 44.
    pub locality_count: U64,
}

/// Offset of the distance matrix.
pub const MATRIX_OFFSET: usize = HEADER_LEN + size_of::<RawSlitBody>();

/// A whole SLIT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Slit {
    /// Table header.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub header: Header,
    /// Distance matrix, `distances[i][j]` = distance from locality i to j.
    /// Its row count is the Number of System Localities.
    pub distances: Vec<Vec<u8>>,
    /// Bytes after the matrix, kept so that re-encoding is exact.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "HexBytes::is_empty_bytes")
    )]
    pub trailing: HexBytes,
}

impl HexBytes {
    /// Whether there are no bytes.
    pub fn is_empty_bytes(&self) -> bool {
        self.0.is_empty()
    }
}

impl Slit {
    /// A SLIT holding `distances` (square) with QEMU's header defaults (revision 1).
    pub fn new(distances: Vec<Vec<u8>>) -> Self {
        Slit {
            header: Header::new(SIGNATURE, 1),
            distances,
            trailing: HexBytes::default(),
        }
    }

    /// Number of localities.
    pub fn locality_count(&self) -> usize {
        self.distances.len()
    }

    /// Checks that the matrix is square (the encoder would otherwise pad or cut rows).
    pub fn check(&self) -> Result<(), EncodeError> {
        let n = self.distances.len();
        match self
            .distances
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != n)
        {
            Some((i, r)) => Err(EncodeError::SlitRow {
                row: i,
                values: r.len(),
                localities: n,
            }),
            None => Ok(()),
        }
    }

    /// Decodes a whole SLIT.
    pub fn decode(bytes: &[u8]) -> Result<Slit, DecodeError> {
        let header = Header::decode_expecting(bytes, SIGNATURE)?;
        let body: RawSlitBody = read_at(bytes, HEADER_LEN, &SIGNATURE)?;
        let n = body.locality_count.get();
        let m = bytes.get(MATRIX_OFFSET..).unwrap_or_default();
        let avail = m.len();
        let cells = usize::try_from(n).ok().and_then(|n| n.checked_mul(n));
        let n = match (usize::try_from(n), cells) {
            (Ok(n), Some(c)) if c <= avail => n,
            _ => {
                return Err(DecodeError::new(
                    &SIGNATURE,
                    HEADER_LEN,
                    DecodeErrorKind::BadCount {
                        field: "Number of System Localities",
                        value: n,
                    },
                ));
            }
        };
        // n·n <= m.len() was checked above.
        let (matrix, trailing) = m.split_at_checked(n * n).unwrap_or((m, &[]));
        let distances = if n == 0 {
            Vec::new()
        } else {
            let mut rows = Vec::with_capacity(n);
            rows.extend(matrix.chunks_exact(n).map(<[u8]>::to_vec));
            rows
        };
        Ok(Slit {
            header,
            distances,
            trailing: HexBytes(trailing.to_vec()),
        })
    }

    /// Encodes the table. Rows shorter than the locality count are padded with
    /// 0xFF (unreachable), longer rows are cut, so the matrix is always square.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.distances.len();
        let len = MATRIX_OFFSET
            .saturating_add(n.saturating_mul(n))
            .saturating_add(self.trailing.0.len());
        let mut w = TableWriter::with_capacity(&self.header, len);
        w.raw(&RawSlitBody {
            locality_count: U64::new(u64::try_from(n).unwrap_or(u64::MAX)),
        });
        // Whole rows at once: cut to n, or padded with 0xFF up to n.
        for row in &self.distances {
            let cells = row.get(..n).unwrap_or(row);
            w.bytes(cells);
            w.fill(0xff, n - cells.len());
        }
        w.bytes(&self.trailing.0);
        w.finish()
    }
}

/// Whether a SLIT's trailing field is empty (serde helper kept for symmetry).
pub fn no_trailing(t: &HexBytes) -> bool {
    is_zero(&t.0.len())
}
