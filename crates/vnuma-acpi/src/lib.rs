#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! The ACPI NUMA table codec: SRAT, SLIT and HMAT, typed, with exact
//! round-trip encoding. Spec-only: this module knows nothing of any VMM.
//!
//! Each table type has `decode(&[u8])` and `encode() -> Vec<u8>`; both go through
//! one raw little-endian layout struct per structure (zerocopy, `Unaligned`).
//! Length and checksum are computed once, when a table is finished
//! ([`header::TableWriter::finish`]). Structures the codec does not know are
//! kept as raw bytes and written back unchanged. No input makes a decoder panic.

pub mod error;
pub mod header;
pub mod hmat;
pub mod slit;
pub mod srat;
pub mod text;

use serde::{Deserialize, Serialize};
use zerocopy::{FromBytes, KnownLayout};

pub use error::{DecodeError, DecodeErrorKind};
pub use header::Header;
pub use hmat::{Hmat, HmatStructure, Locality};
pub use slit::Slit;
pub use srat::{AcpiHandle, DeviceHandle, GenericAffinity, PciHandle, Srat, SratEntry};
pub use text::{FixedAscii, HexBytes};

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
/// is wrong instead of "did not match any variant"; see [`Table::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherTable {
    /// Table header.
    #[serde(flatten)]
    pub header: Header,
    /// Bytes after the 36-byte header.
    pub body: HexBytes,
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Table::from_json(v).map_err(serde::de::Error::custom)
    }
}

/// Deserializes `v` as `T`, prefixing an error with `path` and, for a value
/// error inside an object (serde_json does not name the field then), the field.
fn from_value_at<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    path: &str,
) -> Result<T, String> {
    let probe = v.clone();
    serde_json::from_value(v).map_err(|e| {
        let msg = e.to_string();
        match blame_field::<T>(&probe, &msg) {
            Some(k) => format!("{path}: field `{k}`: {msg}"),
            None => format!("{path}: {msg}"),
        }
    })
}

/// Finds the field of the object `v` that makes deserializing `T` fail with
/// `msg`: the first field (other than the `type` tag) whose removal changes
/// the error. serde reports a bad value while reading the fields, before it
/// checks for missing ones, so removing a good field leaves the error as is.
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
fn check_field<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<(), String> {
    match obj.get(key) {
        Some(v) => from_value_at::<T>(v.clone(), &format!("field `{key}`")).map(|_| ()),
        None => Ok(()),
    }
}

/// Deserializes the array field `key` of `obj` element by element, so that an
/// error names the element (`entries[3] (type "memory"): missing field ...`).
fn array_at<T: serde::de::DeserializeOwned>(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<Vec<T>, String> {
    let v = obj
        .remove(key)
        .ok_or_else(|| format!("missing field `{key}`"))?;
    let serde_json::Value::Array(items) = v else {
        return Err(format!("field `{key}` must be an array"));
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

impl Table {
    /// Builds a table from its JSON form (as [`Serialize`] writes it), choosing
    /// the table type by the `signature` field. Errors name the field or the
    /// element of `entries`/`structures` that is wrong. Fields this form does
    /// not know (such as `source` or `checksum_valid` added by reports) are ignored.
    pub fn from_json(v: serde_json::Value) -> Result<Table, String> {
        let serde_json::Value::Object(mut obj) = v else {
            return Err("a table must be a JSON object".into());
        };
        let sig = match obj.get("signature") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                // A non-text signature (array of byte values) can only be another table.
                let _: FixedAscii<4> = from_value_at(other.clone(), "signature")?;
                String::new()
            }
            None => return Err("missing field `signature`".into()),
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
                    e.check().map_err(|m| format!("entries[{i}]: {m}"))?;
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
                    st.check().map_err(|m| format!("structures[{i}]: {m}"))?;
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
                t.check()?;
                Ok(Table::Slit(t))
            }
            _ => {
                check_field::<HexBytes>(&obj, "body")?;
                from_value_at(serde_json::Value::Object(obj), &sig).map(Table::Other)
            }
        }
    }

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
                    body: HexBytes(bytes[header::HEADER_LEN..].to_vec()),
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
    while off < blob.len() {
        let rest = &blob[off..];
        let h: header::RawHeader = read_at(blob, off, b"blob")?;
        let len = h.length.get() as usize;
        if len < header::HEADER_LEN || len > rest.len() {
            return Err(DecodeError::new(
                &h.signature,
                off + 4,
                DecodeErrorKind::BadTableLength {
                    declared: h.length.get(),
                    actual: rest.len(),
                },
            ));
        }
        out.push((off, &rest[..len]));
        off += len;
    }
    Ok(out)
}
