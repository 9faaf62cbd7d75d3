//! The ACPI NUMA table codec: SRAT, SLIT and HMAT, typed, with exact
//! round-trip encoding. Spec-only: this crate knows nothing of any VMM, so a
//! VMM (rust-vmm based, Cloud Hypervisor, crosvm, QEMU front ends) can build
//! the tables it hands a guest, and a tool can read the tables a guest sees.
//!
//! Each table type has `decode(&[u8])` and `encode() -> Vec<u8>`; both go through
//! one raw little-endian layout struct per structure (zerocopy, `Unaligned`;
//! for example [`srat::RawGeneric`]). Length and checksum are computed once,
//! when a table is finished ([`header::TableWriter::finish`]). Structures the
//! codec does not know are kept as raw bytes and written back unchanged.
//!
//! No input makes a decoder panic: errors are typed ([`DecodeError`] names the
//! table, the byte offset and what was wrong). The crate is `#![no_std]` (it
//! needs `alloc`) and has no `unsafe` code.
//!
//! # Features
//!
//! - `std` (default): nothing beyond `alloc` today (errors implement
//!   [`core::error::Error`]); enables `std` in serde and serde_json when those are on.
//! - `serde` (default): `Serialize`/`Deserialize` for every typed value (the
//!   JSON form that `vnuma inspect --json` prints).
//! - `json`: `Table::from_json` (and `Deserialize` for [`Table`]), with errors
//!   that name the field that is wrong; pulls in `serde_json` (`alloc` only).
//!
//! # Example
//!
//! Build an SRAT with one memory range and one GPU as a Generic Initiator,
//! encode it, decode it again and list its Generic Initiators:
//!
//! ```
//! use vnuma_acpi::srat::{FLAG_ENABLED, entry_type};
//! use vnuma_acpi::{DeviceHandle, GenericAffinity, PciHandle, Srat, SratEntry, Table};
//!
//! let mut srat = Srat::new(1);
//! srat.entries.push(SratEntry::Memory {
//!     proximity_domain: 0,
//!     base_address: 0,
//!     length: 1 << 30,
//!     flags: FLAG_ENABLED,
//!     reserved1: 0,
//!     reserved2: 0,
//!     reserved3: 0,
//! });
//! srat.entries.push(SratEntry::GenericInitiator(GenericAffinity {
//!     proximity_domain: 1,
//!     device_handle: DeviceHandle::Pci(PciHandle::new(0, 0x3b, 0, 0)),
//!     flags: FLAG_ENABLED,
//!     reserved1: 0,
//!     reserved2: 0,
//! }));
//! let bytes = srat.encode();
//! assert_eq!(bytes.len(), 48 + 40 + 32);
//! assert!(vnuma_acpi::header::checksum_valid(&bytes));
//! // The GI's PCI handle: segment (LE) at handle bytes 0..2, bus, devfn.
//! assert_eq!(bytes[88], entry_type::GENERIC_INITIATOR);
//! assert_eq!(&bytes[96..100], &[0x00, 0x00, 0x3b, 0x00]);
//!
//! let Ok(Table::Srat(decoded)) = Table::decode(&bytes) else {
//!     panic!("not an SRAT");
//! };
//! let gis: Vec<String> = decoded
//!     .entries
//!     .iter()
//!     .filter_map(|e| match e {
//!         SratEntry::GenericInitiator(g) => match &g.device_handle {
//!             DeviceHandle::Pci(p) => Some(format!("PXM {} = PCI {p}", g.proximity_domain)),
//!             other => Some(format!("PXM {} = {other:?}", g.proximity_domain)),
//!         },
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(gis, ["PXM 1 = PCI 0000:3b:00.0"]);
//! assert_eq!(decoded.entries, srat.entries);
//! assert_eq!(decoded.encode(), bytes); // exact round trip
//!
//! // A cut table is an error naming the offset, never a panic.
//! let err = Table::decode(&bytes[..100]).unwrap_err();
//! assert_eq!(err.offset, 4);
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod error;
pub mod header;
pub mod hmat;
pub mod slit;
pub mod srat;
pub mod text;

use alloc::string::String;
use alloc::vec::Vec;
#[cfg(feature = "json")]
use alloc::{format, string::ToString};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, KnownLayout};

pub use error::{DecodeError, DecodeErrorKind, EncodeError, HexError, JsonError};
pub use header::Header;
pub use hmat::{Hmat, HmatStructure, Locality};
pub use slit::Slit;
pub use srat::{AcpiHandle, DeviceHandle, GenericAffinity, PciHandle, Srat, SratEntry};
pub use text::{FixedAscii, HexBytes};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Reads a layout struct at `off`, or a `Truncated` error naming `table` and `off`.
pub(crate) fn read_at<T: FromBytes + KnownLayout>(
    bytes: &[u8],
    off: usize,
    table: &[u8],
) -> Result<T, DecodeError> {
    let rest = bytes.get(off..).unwrap_or(&[]);
    T::read_from_prefix(rest).map(|(v, _)| v).map_err(|_| {
        DecodeError::new(
            table,
            off,
            DecodeErrorKind::Truncated {
                needed: size_of::<T>(),
                available: rest.len(),
            },
        )
    })
}

/// Any table this crate reads or writes.
///
/// JSON: the table's own object (header fields flattened). Deserialization
/// dispatches on the `signature` field (`SRAT`, `SLIT`, `HMAT`, anything else
/// is kept whole as [`OtherTable`]), so that an error names the field that
/// is wrong instead of "did not match any variant"; see `Table::from_json`
/// (feature `json`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
#[non_exhaustive]
pub enum Table {
    /// System Resource Affinity Table.
    Srat(Srat),
    /// System Locality Information Table.
    Slit(Slit),
    /// Heterogeneous Memory Attribute Table.
    Hmat(Hmat),
    /// Any other table, kept whole.
    Other(OtherTable),
}

/// A table whose signature this codec does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OtherTable {
    /// Table header.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub header: Header,
    /// Bytes after the 36-byte header.
    pub body: HexBytes,
}

#[cfg(feature = "json")]
impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Table::from_json(v).map_err(serde::de::Error::custom)
    }
}

/// Deserializes `v` as `T`, naming `path` in an error and, for a value
/// error inside an object (serde_json does not name the field then), the field.
#[cfg(feature = "json")]
fn from_value_at<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    path: &str,
) -> Result<T, JsonError> {
    let probe = v.clone();
    serde_json::from_value(v).map_err(|e| {
        let msg = e.to_string();
        match blame_field::<T>(&probe, &msg) {
            Some(k) => JsonError::new(format!("{path}: field `{k}`"), msg),
            None => JsonError::new(path, msg),
        }
    })
}

/// Finds the field of the object `v` that makes deserializing `T` fail with
/// `msg`: the first field (other than the `type` tag) whose removal changes
/// the error. serde reports a bad value while reading the fields, before it
/// checks for missing ones, so removing a good field leaves the error as is.
#[cfg(feature = "json")]
fn blame_field<T: serde::de::DeserializeOwned>(v: &serde_json::Value, msg: &str) -> Option<String> {
    let serde_json::Value::Object(obj) = v else {
        return None;
    };
    if msg.starts_with("missing field") || msg.starts_with("unknown variant") {
        return None;
    }
    obj.keys().filter(|k| k.as_str() != "type").find_map(|k| {
        let mut copy = obj.clone();
        copy.remove(k);
        match serde_json::from_value::<T>(serde_json::Value::Object(copy)) {
            Ok(_) => Some(k.clone()),
            Err(e) if e.to_string() != msg => Some(k.clone()),
            Err(_) => None,
        }
    })
}

/// Checks that the field `key` of `obj`, when present, deserializes as `T`.
#[cfg(feature = "json")]
fn check_field<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<(), JsonError> {
    match obj.get(key) {
        Some(v) => from_value_at::<T>(v.clone(), &format!("field `{key}`")).map(|_| ()),
        None => Ok(()),
    }
}

/// Deserializes the array field `key` of `obj` element by element, so that an
/// error names the element (`entries[3] (type "memory"): missing field ...`).
#[cfg(feature = "json")]
fn array_at<T: serde::de::DeserializeOwned>(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<Vec<T>, JsonError> {
    let v = obj
        .remove(key)
        .ok_or_else(|| JsonError::new("", format!("missing field `{key}`")))?;
    let serde_json::Value::Array(items) = v else {
        return Err(JsonError::new(
            "",
            format!("field `{key}` must be an array"),
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let what = match item.get("type") {
                Some(t) => format!("{key}[{i}] (type {t})"),
                None => format!("{key}[{i}]"),
            };
            from_value_at(item, &what)
        })
        .collect()
}

#[cfg(feature = "json")]
impl Table {
    /// Builds a table from its JSON form (as `Serialize` writes it), choosing
    /// the table type by the `signature` field. Errors name the field or the
    /// element of `entries`/`structures` that is wrong. Fields this form does
    /// not know (such as `source` or `checksum_valid` added by reports) are ignored.
    pub fn from_json(v: serde_json::Value) -> Result<Table, JsonError> {
        let serde_json::Value::Object(mut obj) = v else {
            return Err(JsonError::new("", "a table must be a JSON object"));
        };
        let sig = match obj.get("signature") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                // A non-text signature (array of byte values) can only be another table.
                let _: FixedAscii<4> = from_value_at(other.clone(), "signature")?;
                String::new()
            }
            None => return Err(JsonError::new("", "missing field `signature`")),
        };
        // Header fields first (a plain struct: a bad value is blamed on its field).
        let _: Header = from_value_at(serde_json::Value::Object(obj.clone()), "header")?;
        match sig.as_str() {
            "SRAT" => {
                check_field::<u32>(&obj, "table_revision")?;
                check_field::<u64>(&obj, "reserved")?;
                let entries = array_at::<SratEntry>(&mut obj, "entries")?;
                obj.insert("entries".into(), serde_json::Value::Array(Vec::new()));
                for (i, e) in entries.iter().enumerate() {
                    e.check()
                        .map_err(|m| JsonError::new(format!("entries[{i}]"), m.to_string()))?;
                }
                let mut t: Srat = from_value_at(serde_json::Value::Object(obj), "SRAT")?;
                t.entries = entries;
                Ok(Table::Srat(t))
            }
            "HMAT" => {
                check_field::<u32>(&obj, "reserved")?;
                let structures = array_at::<HmatStructure>(&mut obj, "structures")?;
                obj.insert("structures".into(), serde_json::Value::Array(Vec::new()));
                for (i, st) in structures.iter().enumerate() {
                    st.check()
                        .map_err(|m| JsonError::new(format!("structures[{i}]"), m.to_string()))?;
                }
                let mut t: Hmat = from_value_at(serde_json::Value::Object(obj), "HMAT")?;
                t.structures = structures;
                Ok(Table::Hmat(t))
            }
            "SLIT" => {
                if let Some(serde_json::Value::Array(rows)) = obj.get("distances") {
                    for (i, row) in rows.iter().enumerate() {
                        let _: Vec<u8> = from_value_at(row.clone(), &format!("distances[{i}]"))?;
                    }
                }
                check_field::<Vec<Vec<u8>>>(&obj, "distances")?;
                check_field::<HexBytes>(&obj, "trailing")?;
                let t: Slit = from_value_at(serde_json::Value::Object(obj), "SLIT")?;
                t.check().map_err(|m| JsonError::new("", m.to_string()))?;
                Ok(Table::Slit(t))
            }
            _ => {
                check_field::<HexBytes>(&obj, "body")?;
                from_value_at(serde_json::Value::Object(obj), &sig).map(Table::Other)
            }
        }
    }
}

impl Table {
    /// Decodes one table, choosing the decoder by signature.
    pub fn decode(bytes: &[u8]) -> Result<Table, DecodeError> {
        match bytes.get(..4) {
            Some(b"SRAT") => Srat::decode(bytes).map(Table::Srat),
            Some(b"SLIT") => Slit::decode(bytes).map(Table::Slit),
            Some(b"HMAT") => Hmat::decode(bytes).map(Table::Hmat),
            _ => {
                let header = Header::decode(bytes)?;
                Ok(Table::Other(OtherTable {
                    header,
                    body: HexBytes(bytes.get(header::HEADER_LEN..).unwrap_or_default().to_vec()),
                }))
            }
        }
    }

    /// Encodes the table (length and checksum computed).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Table::Srat(t) => t.encode(),
            Table::Slit(t) => t.encode(),
            Table::Hmat(t) => t.encode(),
            Table::Other(t) => {
                let mut w = header::TableWriter::new(&t.header);
                w.bytes(&t.body.0);
                w.finish()
            }
        }
    }

    /// The table header.
    pub fn header(&self) -> &Header {
        match self {
            Table::Srat(t) => &t.header,
            Table::Slit(t) => &t.header,
            Table::Hmat(t) => &t.header,
            Table::Other(t) => &t.header,
        }
    }

    /// Mutable table header.
    pub fn header_mut(&mut self) -> &mut Header {
        match self {
            Table::Srat(t) => &mut t.header,
            Table::Slit(t) => &mut t.header,
            Table::Hmat(t) => &mut t.header,
            Table::Other(t) => &mut t.header,
        }
    }

    /// The signature as text, e.g. `"SRAT"`.
    pub fn signature(&self) -> String {
        header::sig_to_string(&self.header().signature.0)
    }
}

/// Splits a blob of concatenated tables (such as QEMU's `etc/acpi/tables`)
/// at each header's Length. Returns the table slices and their offsets.
pub fn split_tables(blob: &[u8]) -> Result<Vec<(usize, &[u8])>, DecodeError> {
    let mut out = Vec::new();
    let mut off = 0;
    while let Some(rest) = blob.get(off..).filter(|r| !r.is_empty()) {
        let h: header::RawHeader = read_at(blob, off, b"blob")?;
        let len = h.length.get();
        let table = usize::try_from(len)
            .ok()
            .filter(|&l| l >= header::HEADER_LEN)
            .and_then(|l| rest.get(..l));
        let Some(table) = table else {
            return Err(DecodeError::new(
                &h.signature,
                off + header::LENGTH_OFFSET,
                DecodeErrorKind::BadTableLength {
                    declared: len,
                    actual: rest.len(),
                },
            ));
        };
        out.push((off, table));
        off += table.len();
    }
    Ok(out)
}
