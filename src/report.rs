//! Text (iasl-style) and JSON views of decoded tables, and the loading of
//! table files and directories for `vnuma inspect`.
//!
//! Text: one field per line, `[OFFh DEC LEN] Field Name : raw (decoded)`, with
//! the byte offset from the start of the table in hex and decimal and the
//! field length in bytes, as `iasl -d` prints them; field names follow the
//! ACPI 6.5 spec. Then the findings and the guest node table of [`lint`].
//!
//! JSON: `{"tables": [...], "findings": [...], "guest_nodes": [...]}`. Each
//! table is the serde form of [`Table`] (header fields flattened, SRAT
//! `entries` / HMAT `structures` with a `type` tag) plus `source` (the file it
//! came from) and `checksum_valid`. A table that did not decode is
//! `{"source", "signature", "decode_error", "offset", "raw"}` with the raw
//! bytes in hex, so `vnuma encode` can still write it back unchanged.
//! `vnuma encode` reads this document back (see [`tables_from_json`]).
//!
//! Both views are written to any [`std::io::Write`] by [`write_text_report`]
//! and [`write_json_report`] in 128 KiB chunks, without the report as one
//! string, without a `String` per field or matrix cell and without a
//! `serde_json::Value` of a whole table; [`text_report`] and [`json_report`]
//! give the same bytes in memory.

use std::fmt::Write as _;
use std::io::Write as _;
use std::mem::offset_of;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::acpi::header::RawHeader;
use crate::acpi::hmat::{
    DATA_TYPE_NAMES, HIERARCHY_NAMES, Locality, MPDA_INITIATOR_VALID, RawCache, RawLocality,
    RawMpda, data_type, structure_type,
};
use crate::acpi::slit::RawSlitBody;
use crate::acpi::srat::{
    FLAG_ENABLED, GI_ARCH_TRANSACTIONS, GenericAffinity, MEM_HOT_PLUGGABLE, MEM_NON_VOLATILE,
    RawAcpiHandle, RawGeneric, RawGicIts, RawGicc, RawLocalApic, RawMemory, RawPciHandle, RawRintc,
    RawSratBody, RawX2Apic, entry_type, handle_type,
};
use crate::acpi::text::{from_hex, to_hex};
use crate::acpi::{
    DecodeError, DeviceHandle, HexError, Hmat, HmatStructure, JsonError, Slit, Srat, SratEntry,
    Table, header,
};
use crate::digits::*;
use crate::lint::{GuestNode, LoadedTable, Report, lint};

/// Why tables could not be loaded (`vnuma inspect`, `--tables DIR`) or read
/// back from JSON (`vnuma encode`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file (or a path given) could not be read.
    #[error("cannot read {}: {error}{hint}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
        /// A hint for the reader (empty, or starting with a space).
        hint: &'static str,
    },
    /// A file is not a regular file, too large or unreadable (see [`crate::input`]).
    #[error(transparent)]
    Input(crate::input::InputError),
    /// A directory could not be listed.
    #[error("cannot list directory {}: {error}", path.display())]
    ListDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// An entry of a directory could not be read while listing it.
    #[error("cannot list directory {}", path.display())]
    ListDirEntry {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A directory holds no file named like a NUMA table.
    #[error(
        "directory {} holds no NUMA table (no file named SRAT, SLIT or HMAT, optionally with a number and a suffix such as .dat or .aml)",
        dir.display()
    )]
    NoTables {
        /// The directory.
        dir: PathBuf,
    },
    /// A table of a table set did not decode.
    #[error("{file}: {error}")]
    Decode {
        /// The file.
        file: String,
        /// The decode error.
        error: DecodeError,
    },
    /// A table set holds two tables with one signature.
    #[error("{}: more than one {signature} table", dir.display())]
    Duplicate {
        /// The directory.
        dir: PathBuf,
        /// The signature.
        signature: String,
    },
    /// The JSON input starts with a UTF-8 byte-order mark, which JSON forbids (RFC 8259 §8.1).
    #[error(
        "input starts with a UTF-8 byte-order mark (bytes EF BB BF), which JSON does not allow: remove it"
    )]
    JsonBom,
    /// The input of `tables_from_json` is not JSON.
    #[error("input is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    /// The `tables` field is not an array.
    #[error("field `tables` must be an array")]
    TablesNotArray,
    /// The JSON is neither a report, an array of tables nor a table.
    #[error("expected a JSON object with a `tables` array, an array of tables, or one table")]
    NotTables,
    /// One table of the JSON input is wrong.
    #[error("tables[{index}]{signature}")]
    Table {
        /// Index in the `tables` array.
        index: usize,
        /// ` (SIG)` when the table names its signature, else empty.
        signature: String,
        /// What is wrong with it.
        #[source]
        source: TableJsonError,
    },
}

/// What is wrong with one table of a JSON input (see [`ReportError::Table`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableJsonError {
    /// `raw` is not a string.
    #[error("field `raw` must be a hex string")]
    RawNotString,
    /// `raw` is not hex.
    #[error("field `raw`: {0}")]
    RawHex(HexError),
    /// The decoded form is wrong.
    #[error(transparent)]
    Json(JsonError),
}

// ---------------------------------------------------------------- loading

/// Whether a directory entry's name is one `vnuma inspect DIR` picks up:
/// `SRAT`, `SLIT` or `HMAT` (any case), optionally followed by a number
/// (`SRAT1`, or `SRAT-1` as `vnuma encode` names a second SRAT), and then
/// either nothing or a `.` and any suffix (`SRAT.dat`, `slit.aml`, `HMAT.acpihmat`).
pub fn is_table_file_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("");
    let upper = stem.to_ascii_uppercase();
    let Some(rest) = ["SRAT", "SLIT", "HMAT"]
        .iter()
        .find_map(|sig| upper.strip_prefix(sig))
    else {
        return false;
    };
    let digits = rest.strip_prefix('-').unwrap_or(rest);
    (rest.is_empty() || !digits.is_empty()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Reads one table file, bounded by [`crate::input::MAX_TABLE_BYTES`] and refusing
/// FIFOs, devices and sockets, with an error naming it and the reason.
fn read_file(path: &Path) -> Result<Vec<u8>, ReportError> {
    crate::input::read_bounded(path, crate::input::InputKind::Table).map_err(ReportError::Input)
}

/// The table files `vnuma inspect` reads for `paths`: a file is taken as
/// given; a directory contributes its entries for which
/// [`is_table_file_name`] holds, sorted by name. A directory with none is an error.
pub fn table_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|error| ReportError::Read {
            path: p.clone(),
            error,
            hint: "",
        })?;
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let rd = std::fs::read_dir(p).map_err(|error| ReportError::ListDir {
            path: p.clone(),
            error,
        })?;
        let mut found = Vec::new();
        for ent in rd {
            let ent = ent.map_err(|source| ReportError::ListDirEntry {
                path: p.clone(),
                source,
            })?;
            let name = ent.file_name();
            if is_table_file_name(&name.to_string_lossy()) {
                found.push(ent.path());
            }
        }
        if found.is_empty() {
            return Err(ReportError::NoTables { dir: p.clone() });
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Reads and decodes every table file of `paths` (see [`table_files`]).
/// Decode failures are kept in the result; unreadable files are errors.
pub fn load(paths: &[PathBuf]) -> Result<Vec<LoadedTable>, ReportError> {
    table_files(paths)?
        .into_iter()
        .map(|f| {
            let bytes = read_file(&f)?;
            Ok(LoadedTable::decode(Some(f.display().to_string()), bytes))
        })
        .collect()
}

/// Reads one table set (SRAT, SLIT, HMAT; files named as [`is_table_file_name`]
/// accepts) from a directory for reuse (`vnuma initrd --tables`, `vnuma verify
/// --tables`): every table must decode, and each signature may appear once.
/// Returns `(signature, bytes)` in the order SRAT, SLIT, HMAT.
pub fn load_table_set(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for t in load(&[dir.to_path_buf()])? {
        let src = t.source.clone().unwrap_or_default();
        if let Err(e) = &t.table {
            return Err(ReportError::Decode {
                file: src,
                error: e.clone(),
            });
        }
        let sig = t.signature();
        if out.iter().any(|(s, _)| *s == sig) {
            return Err(ReportError::Duplicate {
                dir: dir.to_path_buf(),
                signature: sig,
            });
        }
        out.push((sig, t.bytes));
    }
    let rank = |s: &str| ["SRAT", "SLIT", "HMAT"].iter().position(|x| *x == s);
    out.sort_by_key(|(s, _)| rank(s));
    Ok(out)
}

// ---------------------------------------------------------------- JSON

/// The JSON object of one table (see the module docs).
pub fn table_json(t: &LoadedTable) -> Value {
    match &t.table {
        Ok(table) => decoded_table_json(t, table),
        Err(e) => json!({
            "source": t.source,
            "signature": t.signature(),
            "decode_error": e.to_string(),
            "offset": e.offset,
            "raw": to_hex(&t.bytes),
        }),
    }
}

/// The JSON object of a decoded `table` loaded as `t` (`t.table` or a copy of
/// it whose large matrices were left out, see [`write_json_report`]).
fn decoded_table_json(t: &LoadedTable, table: &Table) -> Value {
    let mut v = serde_json::to_value(table).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("source".into(), json!(t.source));
        out.insert("checksum_valid".into(), json!(t.checksum_valid()));
        out.append(m);
        v = Value::Object(out);
    }
    v
}

/// The whole JSON document: tables, findings and guest nodes.
pub fn json_report(tables: &[LoadedTable], report: &Report) -> Value {
    json!({
        "tables": tables.iter().map(table_json).collect::<Vec<_>>(),
        "findings": report.findings,
        "guest_nodes": report.guest_nodes,
    })
}

/// Writes `serde_json::to_string_pretty(&json_report(tables, report))` to `w`
/// (the same bytes, no newline at the end) without building that string nor
/// the `Value` of a SLIT matrix or an HMAT locality matrix: those are streamed
/// straight from the decoded tables, in chunks of 128 KiB. Everything else goes
/// through `serde_json::Value`, so key order and escaping are serde_json's.
pub fn write_json_report<W: std::io::Write + ?Sized>(
    w: &mut W,
    tables: &[LoadedTable],
    report: &Report,
) -> std::io::Result<()> {
    let mut w = w;
    let mut out = Text::new(&mut w);
    // The document with empty arrays, so the keys come in serde_json's order;
    // the arrays are written an element at a time.
    let doc = json!({ "tables": [], "findings": [], "guest_nodes": [] });
    if let Value::Object(m) = &doc {
        json_object(&mut out, m, 0, |out, key, _, depth| {
            match key {
                "tables" => json_array(out, tables, depth, json_loaded_table),
                "findings" => json_array(out, &report.findings, depth, json_finding),
                "guest_nodes" => json_array(out, &report.guest_nodes, depth, json_guest_node),
                _ => return false,
            }
            true
        });
    }
    out.finish()
}

/// One table of the JSON document; SLIT and HMAT matrices are streamed.
fn json_loaded_table(out: &mut Text, t: &LoadedTable, depth: usize) {
    let Ok(table) = &t.table else {
        json_value(out, &table_json(t), depth);
        return;
    };
    match table {
        Table::Slit(s) => {
            let shell = Table::Slit(Slit {
                header: s.header.clone(),
                distances: Vec::new(),
                trailing: s.trailing.clone(),
            });
            let v = decoded_table_json(t, &shell);
            let Value::Object(m) = &v else {
                json_value(out, &v, depth);
                return;
            };
            json_object(out, m, depth, |out, key, _, depth| {
                if key != "distances" {
                    return false;
                }
                json_matrix(out, &s.distances, depth);
                true
            });
        }
        Table::Srat(s) => {
            let shell = Table::Srat(Srat {
                header: s.header.clone(),
                table_revision: s.table_revision,
                reserved: s.reserved,
                entries: Vec::new(),
            });
            json_table_shell(out, t, &shell, depth, |out, key, depth| {
                if key != "entries" {
                    return false;
                }
                json_array(out, &s.entries, depth, json_srat_entry);
                true
            });
        }
        Table::Hmat(h) => {
            let shell = Table::Hmat(Hmat {
                header: h.header.clone(),
                reserved: h.reserved,
                structures: Vec::new(),
            });
            json_table_shell(out, t, &shell, depth, |out, key, depth| {
                if key != "structures" {
                    return false;
                }
                json_array(out, &h.structures, depth, json_hmat_structure);
                true
            });
        }
        _ => json_value(out, &table_json(t), depth),
    }
}

/// A decoded table written from `shell` (a copy with its large arrays
/// empty); `special` writes those arrays (and returns true for their keys).
fn json_table_shell(
    out: &mut Text,
    t: &LoadedTable,
    shell: &Table,
    depth: usize,
    mut special: impl FnMut(&mut Text, &str, usize) -> bool,
) {
    let v = decoded_table_json(t, shell);
    match &v {
        Value::Object(m) => {
            json_object(out, m, depth, |out, key, _, depth| special(out, key, depth))
        }
        _ => json_value(out, &v, depth),
    }
}

/// One HMAT structure; a locality structure's matrix is streamed.
fn json_hmat_structure(out: &mut Text, st: &HmatStructure, depth: usize) {
    let HmatStructure::LocalityLatencyBandwidth(l) = st else {
        json_serialized(out, st, depth);
        return;
    };
    let shell = HmatStructure::LocalityLatencyBandwidth(Locality {
        flags: l.flags,
        data_type: l.data_type,
        min_transfer_size: l.min_transfer_size,
        entry_base_unit: l.entry_base_unit,
        initiators: l.initiators.clone(),
        targets: l.targets.clone(),
        entries: Vec::new(),
        reserved0: l.reserved0,
        reserved1: l.reserved1,
        reserved2: l.reserved2,
        trailing: l.trailing.clone(),
    });
    let v = serde_json::to_value(&shell).unwrap_or(Value::Null);
    match &v {
        Value::Object(m) => json_object(out, m, depth, |out, key, _, depth| {
            if key != "entries" {
                return false;
            }
            json_matrix(out, &l.entries, depth);
            true
        }),
        _ => json_value(out, &v, depth),
    }
}

/// One SRAT structure. Memory and PCI Generic Initiator / Port structures are
/// written directly, in the bytes serde_json's pretty printer gives their
/// `Value` (keys sorted, as `serde_json::Map` keeps them; optional reserved
/// fields only when non-zero); any other through its `Value`.
fn json_srat_entry(out: &mut Text, e: &SratEntry, depth: usize) {
    match e {
        SratEntry::Memory {
            proximity_domain,
            base_address,
            length,
            flags,
            reserved1,
            reserved2,
            reserved3,
        } => {
            let mut m = JsonMembers::new(out, depth);
            m.num("base_address", *base_address);
            m.num("flags", u64::from(*flags));
            m.num("length", *length);
            m.num("proximity_domain", u64::from(*proximity_domain));
            if *reserved1 != 0 {
                m.num("reserved1", u64::from(*reserved1));
            }
            if *reserved2 != 0 {
                m.num("reserved2", u64::from(*reserved2));
            }
            if *reserved3 != 0 {
                m.num("reserved3", *reserved3);
            }
            m.raw_str("type", b"memory");
            m.end();
        }
        SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) if matches!(&g.device_handle, DeviceHandle::Pci(p) if p.reserved == [0; 12]) =>
        {
            let DeviceHandle::Pci(p) = &g.device_handle else {
                return;
            };
            let mut m = JsonMembers::new(out, depth);
            m.key("device_handle");
            // {"pci": "ssss:bb:dd.f"} one level deeper.
            let s = &mut m.out.s;
            s.extend_from_slice(b"{\n");
            put_pad(s, 2 * (depth + 2), b' ');
            s.extend_from_slice(b"\"pci\": \"");
            put_pci(s, p);
            s.extend_from_slice(b"\"\n");
            put_pad(s, 2 * (depth + 1), b' ');
            s.push(b'}');
            m.num("flags", u64::from(g.flags));
            m.num("proximity_domain", u64::from(g.proximity_domain));
            if g.reserved1 != 0 {
                m.num("reserved1", u64::from(g.reserved1));
            }
            if g.reserved2 != 0 {
                m.num("reserved2", u64::from(g.reserved2));
            }
            let tag: &[u8] = if matches!(e, SratEntry::GenericPort(_)) {
                b"generic_port"
            } else {
                b"generic_initiator"
            };
            m.raw_str("type", tag);
            m.end();
        }
        other => json_serialized(out, other, depth),
    }
}

/// One finding, keys sorted as serde_json's `Map` keeps them; strings escaped
/// by serde_json.
fn json_finding(out: &mut Text, f: &crate::lint::Finding, depth: usize) {
    let mut m = JsonMembers::new(out, depth);
    m.key("code");
    m.string(f.code);
    m.key("message");
    m.string(&f.message);
    m.key("offset");
    match f.offset {
        Some(o) => push_dec(&mut m.out.s, o as u64),
        None => m.out.s.extend_from_slice(b"null"),
    }
    m.raw_str(
        "severity",
        match f.severity {
            crate::lint::Severity::Info => b"info",
            crate::lint::Severity::Warning => b"warning",
            crate::lint::Severity::Error => b"error",
        },
    );
    m.key("source");
    m.opt_string(f.source.as_deref());
    m.key("table");
    m.opt_string(f.table.as_deref());
    m.end();
}

/// One guest node, keys sorted as serde_json's `Map` keeps them.
fn json_guest_node(out: &mut Text, g: &crate::lint::GuestNode, depth: usize) {
    let mut m = JsonMembers::new(out, depth);
    m.num("cpus", g.cpus as u64);
    m.num("generic_initiators", g.generic_initiators as u64);
    m.num("generic_ports", g.generic_ports as u64);
    m.num("hotplug_bytes", g.hotplug_bytes);
    m.num("memory_bytes", g.memory_bytes);
    m.key("node");
    match g.node {
        Some(n) => push_dec(&mut m.out.s, u64::from(n)),
        None => m.out.s.extend_from_slice(b"null"),
    }
    m.num("pxm", u64::from(g.pxm));
    m.end();
}

/// The members of a non-empty JSON object written one by one, pretty-printed
/// at nesting `depth` as serde_json does. Keys and string values must need no
/// escaping (plain ASCII identifiers).
struct JsonMembers<'a, 'w> {
    out: &'a mut Text<'w>,
    depth: usize,
    first: bool,
}

impl<'a, 'w> JsonMembers<'a, 'w> {
    fn new(out: &'a mut Text<'w>, depth: usize) -> Self {
        out.s.push(b'{');
        JsonMembers {
            out,
            depth,
            first: true,
        }
    }
    fn key(&mut self, key: &'static str) {
        if !self.first {
            self.out.s.push(b',');
        }
        self.first = false;
        if !self.out.put_json_key(key, self.depth + 1) {
            {
                let s = &mut self.out.s;
                s.push(b'\n');
                put_pad(s, 2 * (self.depth + 1), b' ');
                s.push(b'"');
                s.extend_from_slice(key.as_bytes());
                s.extend_from_slice(b"\": ");
            }
        }
    }
    fn num(&mut self, key: &'static str, v: u64) {
        self.key(key);
        push_dec(&mut self.out.s, v);
    }
    fn raw_str(&mut self, key: &'static str, v: &[u8]) {
        self.key(key);
        let s = &mut self.out.s;
        s.push(b'"');
        s.extend_from_slice(v);
        s.push(b'"');
    }
    /// A string value, escaped by serde_json.
    fn string(&mut self, v: &str) {
        put_json_str(&mut self.out.s, v);
    }
    fn opt_string(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.string(v),
            None => self.out.s.extend_from_slice(b"null"),
        }
    }
    fn end(self) {
        let s = &mut self.out.s;
        s.push(b'\n');
        put_pad(s, 2 * self.depth, b' ');
        s.push(b'}');
    }
}

/// A JSON string as serde_json writes it: between quotes, with `"` and `\\`
/// escaped by a backslash, `\b \t \n \f \r` for those control characters and
/// `\u00xx` (lower-case hex) for the other ones below 0x20; every other byte as
/// it is. Runs without escapes are copied whole.
fn put_json_str(s: &mut Vec<u8>, v: &str) {
    let bytes = v.as_bytes();
    s.reserve(bytes.len() + 2);
    s.push(b'"');
    let mut run = 0;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        // Eight bytes at a time while none of them needs an escape.
        if let Some(w) = bytes.get(i..).and_then(|r| r.first_chunk::<8>())
            && !needs_json_escape(u64::from_le_bytes(*w))
        {
            i += 8;
            continue;
        }
        i += 1;
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0..=0x1f => b"",
            _ => continue,
        };
        s.extend_from_slice(bytes.get(run..i - 1).unwrap_or_default());
        run = i;
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.extend_from_slice(b"\\u00");
            s.push(HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0'));
            s.push(HEX.get(usize::from(c & 0xf)).copied().unwrap_or(b'0'));
        } else {
            s.extend_from_slice(esc);
        }
    }
    s.extend_from_slice(bytes.get(run..).unwrap_or_default());
    s.push(b'"');
}

/// Whether any of the 8 bytes of `w` is below 0x20, `"` or `\\` (the bytes
/// [`put_json_str`] escapes), by the usual "has a zero / smaller byte" tricks
/// (exact as to whether there is one).
fn needs_json_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q & HIGH;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b & HIGH;
    below_space | quote | backslash != 0
}

/// Any serialisable item, through its `serde_json::Value` (one item at a time).
fn json_serialized<T: serde::Serialize>(out: &mut Text, item: &T, depth: usize) {
    json_value(
        out,
        &serde_json::to_value(item).unwrap_or(Value::Null),
        depth,
    );
}

/// Two spaces per level, as serde_json's pretty printer indents.
fn json_indent(out: &mut Text, depth: usize) {
    put_pad(&mut out.s, 2 * depth, b' ');
}

/// A JSON array of `items` at nesting `depth`, each written by `item`.
fn json_array<T>(
    out: &mut Text,
    items: &[T],
    depth: usize,
    mut item: impl FnMut(&mut Text, &T, usize),
) {
    if items.is_empty() {
        out.s.extend_from_slice(b"[]");
        return;
    }
    out.s.extend_from_slice(b"[\n");
    for (k, it) in items.iter().enumerate() {
        if k > 0 {
            out.s.extend_from_slice(b",\n");
        }
        json_indent(out, depth + 1);
        item(out, it, depth + 1);
        out.maybe_flush();
    }
    out.s.push(b'\n');
    json_indent(out, depth);
    out.s.push(b']');
}

/// A JSON object at nesting `depth`; `special` may write a member's value
/// itself (and return true), else the value is written as it is.
fn json_object(
    out: &mut Text,
    m: &serde_json::Map<String, Value>,
    depth: usize,
    mut special: impl FnMut(&mut Text, &str, &Value, usize) -> bool,
) {
    if m.is_empty() {
        out.s.extend_from_slice(b"{}");
        return;
    }
    out.s.extend_from_slice(b"{\n");
    for (k, (key, v)) in m.iter().enumerate() {
        if k > 0 {
            out.s.extend_from_slice(b",\n");
        }
        json_indent(out, depth + 1);
        let _ = serde_json::to_writer(&mut out.s, key);
        out.s.extend_from_slice(b": ");
        if !special(out, key, v, depth + 1) {
            json_value(out, v, depth + 1);
        }
        out.maybe_flush();
    }
    out.s.push(b'\n');
    json_indent(out, depth);
    out.s.push(b'}');
}

/// Any JSON value, pretty-printed at nesting `depth` as serde_json does.
fn json_value(out: &mut Text, v: &Value, depth: usize) {
    match v {
        Value::Array(a) => json_array(out, a, depth, json_value),
        Value::Object(m) => json_object(out, m, depth, |_, _, _, _| false),
        leaf => {
            let _ = serde_json::to_writer(&mut out.s, leaf);
        }
    }
}

/// A matrix of unsigned integers (SLIT distances, HMAT entries) as nested arrays.
fn json_matrix<T: Copy + Into<u64>>(out: &mut Text, rows: &[Vec<T>], depth: usize) {
    json_array(out, rows, depth, |out, row, _| {
        if row.is_empty() {
            out.s.extend_from_slice(b"[]");
            return;
        }
        // One row per line (`[10, 20, 80]`): a 1024-locality SLIT is 4 MB of
        // JSON instead of 15 MB with a line per cell, and a row reads as a row.
        out.s.reserve(row.len() * 6 + 2);
        out.s.push(b'[');
        for (k, &v) in row.iter().enumerate() {
            let v: u64 = v.into();
            // ", " and the digits of a byte value in one copy from a table.
            match CELLS.get(v as usize) {
                Some((bytes, len)) => {
                    // A fixed-size copy (no memmove call), then the length cut.
                    let start = out.s.len();
                    if k > 0 {
                        out.s.extend_from_slice(bytes);
                        out.s.truncate(start + usize::from(*len));
                    } else {
                        let [_, _, a, b, c] = *bytes;
                        out.s.extend_from_slice(&[a, b, c]);
                        out.s.truncate(start + usize::from(*len) - 2);
                    }
                }
                None => {
                    if k > 0 {
                        out.s.extend_from_slice(b", ");
                    }
                    push_dec(&mut out.s, v);
                }
            }
        }
        out.s.push(b']');
    });
}

/// One table read back from JSON: decoded, or raw bytes kept whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonTable {
    /// A table given in its decoded form; encoding recomputes Length and Checksum.
    Table(Table),
    /// A table given as `raw` hex bytes (one that did not decode), written unchanged.
    Raw {
        /// The signature field, for naming the output file.
        signature: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

impl JsonTable {
    /// The signature as text.
    pub fn signature(&self) -> String {
        match self {
            JsonTable::Table(t) => t.signature(),
            JsonTable::Raw { signature, .. } => signature.clone(),
        }
    }

    /// The table's bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            JsonTable::Table(t) => t.encode(),
            JsonTable::Raw { bytes, .. } => bytes.clone(),
        }
    }
}

/// Reads tables from JSON: the document [`json_report`] writes, a bare array
/// of tables, or one table object. Errors name the table index and the field.
pub fn tables_from_json(text: &str) -> Result<Vec<JsonTable>, ReportError> {
    if text.starts_with('\u{feff}') {
        return Err(ReportError::JsonBom);
    }
    let v: Value = serde_json::from_str(text).map_err(ReportError::InvalidJson)?;
    let items = match v {
        Value::Object(mut m) if m.contains_key("tables") => match m.remove("tables") {
            Some(Value::Array(a)) => a,
            _ => return Err(ReportError::TablesNotArray),
        },
        Value::Array(a) => a,
        obj @ Value::Object(_) => vec![obj],
        _ => return Err(ReportError::NotTables),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let sig = item
                .get("signature")
                .and_then(Value::as_str)
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            table_from_json(item).map_err(|source| ReportError::Table {
                index: i,
                signature: sig,
                source,
            })
        })
        .collect()
}

/// One table of a JSON input: `raw` hex bytes, or the decoded form.
fn table_from_json(item: Value) -> Result<JsonTable, TableJsonError> {
    if let Some(raw) = item.get("raw") {
        let hex = raw.as_str().ok_or(TableJsonError::RawNotString)?;
        let bytes = from_hex(hex).map_err(TableJsonError::RawHex)?;
        Ok(JsonTable::Raw {
            signature: header::sig_to_string(bytes.get(..4).unwrap_or(&bytes)),
            bytes,
        })
    } else {
        Table::from_json(item)
            .map(JsonTable::Table)
            .map_err(TableJsonError::Json)
    }
}

// ---------------------------------------------------------------- text

/// The text view being written: lines go into `s`, which is handed to the
/// writer `w` whenever it holds [`Text::CHUNK`] bytes, so that a large table
/// never sits in memory as one string. The first write error is kept in `err`
/// (later output is dropped) and returned at the end.
struct Text<'w> {
    s: Vec<u8>,
    /// Scratch for field names built on the fly (HMAT entries).
    name: String,
    w: &'w mut dyn std::io::Write,
    err: Option<std::io::Error>,
    /// The ends of recent line prefixes, `{len:3}] {name:>36} : `, by field
    /// (see [`Text::prefix_static`]).
    tails: Box<[Tail; TAILS]>,
    /// Recent JSON object keys with their line break and indentation
    /// (see [`Text::json_key`]).
    keys: Box<[JsonKey; TAILS]>,
}

/// One cached JSON key: `\n`, the indentation, `"key": ` (in `bytes`, `n` of
/// them), for a `'static` key (address and length) at a nesting depth.
#[derive(Clone, Copy)]
struct JsonKey {
    key: usize,
    key_len: usize,
    depth: usize,
    n: usize,
    bytes: [u8; 64],
}

/// `{len:3}] {name:>36} : `, the end of a line prefix, when it is 44 bytes
/// (an ASCII name of at most 36 bytes, a size of at most 999).
fn tail_bytes(len: usize, name: &str) -> Option<[u8; 44]> {
    let n = name.len();
    if n > 36 || len > 999 || !name.is_ascii() {
        return None;
    }
    let mut b = Vec::with_capacity(44);
    push_uint(&mut b, len as u64, 3, b' ');
    b.extend_from_slice(b"] ");
    put_pad(&mut b, 36 - n, b' ');
    b.extend_from_slice(name.as_bytes());
    b.extend_from_slice(b" : ");
    <[u8; 44]>::try_from(b.as_slice()).ok()
}

/// Slots of [`Text::tails`] and of [`Text::keys`] (a power of two).
const TAILS: usize = 64;

/// Slots looked at from a key's home slot in [`Text::tails`] and [`Text::keys`].
const PROBES: usize = 8;

/// One cached line-prefix end: the field name (address and length of a
/// `'static` string, whose bytes cannot change), the field size, and the 44 bytes.
#[derive(Clone, Copy)]
struct Tail {
    name: usize,
    name_len: usize,
    len: usize,
    bytes: [u8; 44],
}

/// The offset and the size of a field of a layout struct, e.g.
/// `at!(RawMemory, flags)` is `(28, 4)`: the text view prints offsets derived
/// from the codec's layouts, never counted by hand.
macro_rules! at {
    ($t:ty, $($f:ident).+) => {
        (offset_of!($t, $($f).+), field_size(|r: &$t| &r.$($f).+))
    };
}

/// The size of the field that `get` selects.
fn field_size<T, F>(_get: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

impl<'w> Text<'w> {
    /// Bytes collected before they are handed to the writer: 128 KiB (fewer,
    /// larger writes; into a file on ext4 here 2.09 ms for the 1.8 MB text of
    /// the 2 048-structure SRAT, 2.66 ms in 16 KiB writes).
    const CHUNK: usize = 1 << 17;

    fn new(w: &'w mut dyn std::io::Write) -> Self {
        Text {
            s: Vec::with_capacity(Self::CHUNK + 4096),
            name: String::new(),
            w,
            err: None,
            tails: Box::new(
                [Tail {
                    name: 0,
                    name_len: 0,
                    len: 0,
                    bytes: [0; 44],
                }; TAILS],
            ),
            keys: Box::new(
                [JsonKey {
                    key: 0,
                    key_len: 0,
                    depth: 0,
                    n: 0,
                    bytes: [0; 64],
                }; TAILS],
            ),
        }
    }

    /// Hands the collected bytes to the writer.
    fn flush(&mut self) {
        if self.err.is_none()
            && let Err(e) = self.w.write_all(&self.s)
        {
            self.err = Some(e);
        }
        self.s.clear();
    }

    fn maybe_flush(&mut self) {
        if self.s.len() >= Self::CHUNK {
            self.flush();
        }
    }

    /// Flushes and returns the first write error.
    fn finish(mut self) -> std::io::Result<()> {
        self.flush();
        self.err.map_or(Ok(()), Err)
    }

    /// `[{off:03X}h {off:04} {len:3}] {name:>36} : ` without the formatting machinery.
    fn prefix(&mut self, off: usize, len: usize, name: &str) {
        self.put_offset(off);
        let s = &mut self.s;
        push_uint(s, len as u64, 3, b' ');
        s.extend_from_slice(b"] ");
        let n = name.as_bytes();
        if n.len() <= 36 && name.is_ascii() {
            put_pad(s, 36 - n.len(), b' ');
        } else {
            put_pad(s, 36usize.saturating_sub(name.chars().count()), b' ');
        }
        s.extend_from_slice(n);
        s.extend_from_slice(b" : ");
    }

    /// `[{off:03X}h {off:04} `: the start of a line prefix.
    fn put_offset(&mut self, off: usize) {
        let s = &mut self.s;
        s.push(b'[');
        put_hex(s, off as u64, 3);
        s.extend_from_slice(b"h ");
        push_uint(s, off as u64, 4, b'0');
        s.push(b' ');
    }

    /// [`Text::prefix`] for a field named by a `'static` string: the end of the
    /// prefix (size and padded name) is built once per field and copied after.
    fn prefix_static(&mut self, off: usize, len: usize, name: &'static str) {
        match self.tail(len, name) {
            Some(t) => {
                self.put_offset(off);
                self.s.extend_from_slice(&t);
            }
            None => self.prefix(off, len, name),
        }
    }

    /// Appends [`Text::json_key`]'s bytes for a key found in the cache (one
    /// fixed-size copy, then the length cut), else builds and caches them
    /// first; false when the key cannot be cached (then nothing is written).
    fn put_json_key(&mut self, key: &'static str, depth: usize) -> bool {
        let addr = key.as_ptr() as usize;
        let home = (((addr ^ depth) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize;
        for i in 0..PROBES {
            match self.keys.get((home + i) % TAILS) {
                Some(k) if k.key == addr && k.key_len == key.len() && k.depth == depth => {
                    let start = self.s.len();
                    self.s.extend_from_slice(&k.bytes);
                    self.s.truncate(start + k.n);
                    return true;
                }
                Some(k) if k.key != 0 => {}
                _ => break,
            }
        }
        match self.json_key(key, depth) {
            Some((bytes, n)) => {
                let start = self.s.len();
                self.s.extend_from_slice(&bytes);
                self.s.truncate(start + n);
                true
            }
            None => false,
        }
    }

    /// `\n`, `2 × depth` spaces and `"key": ` (serde_json's pretty layout of an
    /// object member up to its value), from [`Text::keys`] (built on a miss):
    /// 64 bytes of which the first `n` count; `None` when longer.
    fn json_key(&mut self, key: &'static str, depth: usize) -> Option<([u8; 64], usize)> {
        let addr = key.as_ptr() as usize;
        let home = (((addr ^ depth) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize;
        // Linear probing over a few slots; an empty slot (key 0) ends the search.
        let mut free = None;
        for i in 0..PROBES {
            let k = self.keys.get((home + i) % TAILS)?;
            if k.key == addr && k.key_len == key.len() && k.depth == depth {
                return Some((k.bytes, k.n));
            }
            if k.key == 0 {
                free = Some((home + i) % TAILS);
                break;
            }
        }
        // A full neighbourhood: not cached (the caller writes the key itself).
        let k = self.keys.get_mut(free?)?;
        let mut b = Vec::with_capacity(64);
        b.push(b'\n');
        put_pad(&mut b, 2 * depth, b' ');
        b.push(b'"');
        b.extend_from_slice(key.as_bytes());
        b.extend_from_slice(b"\": ");
        let n = b.len();
        if n > 64 || key.bytes().any(|c| c < 0x20 || c == b'"' || c == b'\\') {
            return None;
        }
        b.resize(64, b' ');
        let bytes = <[u8; 64]>::try_from(b.as_slice()).ok()?;
        *k = JsonKey {
            key: addr,
            key_len: key.len(),
            depth,
            n,
            bytes,
        };
        Some((bytes, n))
    }

    /// `{len:3}] {name:>36} : `, the end of a line prefix, from [`Text::tails`]
    /// (built on a miss); `None` when it is not 44 bytes (a name over 36
    /// bytes or not ASCII, a size over 999).
    fn tail(&mut self, len: usize, name: &'static str) -> Option<[u8; 44]> {
        let key = name.as_ptr() as usize;
        let n = name.len();
        let home = (((key ^ len) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize;
        // Linear probing over a few slots; an empty slot (name 0) ends the search.
        let mut free = None;
        for i in 0..PROBES {
            let t = self.tails.get((home + i) % TAILS)?;
            if t.name == key && t.name_len == n && t.len == len {
                return Some(t.bytes);
            }
            if t.name == 0 {
                free = Some((home + i) % TAILS);
                break;
            }
        }
        let bytes = tail_bytes(len, name)?;
        // A full neighbourhood: not cached, built each time.
        let Some(t) = free.and_then(|f| self.tails.get_mut(f)) else {
            return Some(bytes);
        };
        *t = Tail {
            name: key,
            name_len: n,
            len,
            bytes,
        };
        Some(bytes)
    }

    fn field(&mut self, off: usize, len: usize, name: &str, value: impl std::fmt::Display) {
        self.prefix(off, len, name);
        let _ = writeln!(self.s, "{value}");
        self.maybe_flush();
    }
    /// A field whose name is built from `name` (no String per line).
    fn field_named(
        &mut self,
        off: usize,
        len: usize,
        name: std::fmt::Arguments<'_>,
        value: impl std::fmt::Display,
    ) {
        let mut n = std::mem::take(&mut self.name);
        n.clear();
        let _ = std::fmt::Write::write_fmt(&mut n, name);
        self.field(off, len, &n, value);
        self.name = n;
    }
    /// A field of a layout struct that starts at `base`: `(offset, len)` from [`at!`].
    fn at(
        &mut self,
        base: usize,
        (off, len): (usize, usize),
        name: &str,
        value: impl std::fmt::Display,
    ) {
        self.field(base + off, len, name, value);
    }
    /// A field whose value `put` writes straight into the output bytes.
    fn field_with(
        &mut self,
        off: usize,
        len: usize,
        name: &'static str,
        put: impl FnOnce(&mut Vec<u8>),
    ) {
        self.prefix_static(off, len, name);
        put(&mut self.s);
        self.s.push(b'\n');
        self.maybe_flush();
    }
    /// [`Text::at`] with a value written by `put` (no formatting machinery).
    fn at_with(
        &mut self,
        base: usize,
        (off, len): (usize, usize),
        name: &'static str,
        put: impl FnOnce(&mut Vec<u8>),
    ) {
        self.field_with(base + off, len, name, put);
    }
    /// [`Text::note`] with a value written by `put`.
    fn note_with(&mut self, name: &str, put: impl FnOnce(&mut Vec<u8>)) {
        let s = &mut self.s;
        let w = name.chars().count();
        put_pad(s, 16 + 36usize.saturating_sub(w), b' ');
        s.extend_from_slice(name.as_bytes());
        s.extend_from_slice(b" : ");
        put(s);
        s.push(b'\n');
    }
    fn note(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.s, "{:15} {name:>36} : {value}", "");
    }
    fn blank(&mut self) {
        self.s.push(b'\n');
        self.maybe_flush();
    }
}

/// `0x{v:0W$X} ({v})` with `W` = 2 × `bytes`, as [`x8`], [`x16`], [`x32`] print it.
fn put_xdec(s: &mut Vec<u8>, v: u64, bytes: usize) {
    s.extend_from_slice(b"0x");
    put_hex(s, v, 2 * bytes);
    s.extend_from_slice(b" (");
    push_dec(s, v);
    s.push(b')');
}

/// `0x{v:0W$X}` with `W` = 2 × `bytes`.
fn put_x(s: &mut Vec<u8>, v: u64, bytes: usize) {
    s.extend_from_slice(b"0x");
    put_hex(s, v, 2 * bytes);
}

/// [`size`] written into `s`.
fn put_size(s: &mut Vec<u8>, v: u64) {
    const UNITS: [(u64, &[u8]); 4] = [
        (1 << 40, b" TiB"),
        (1 << 30, b" GiB"),
        (1 << 20, b" MiB"),
        (1 << 10, b" KiB"),
    ];
    for (u, name) in UNITS {
        if v >= u && v.is_multiple_of(u) {
            push_dec(s, v / u);
            s.extend_from_slice(name);
            return;
        }
    }
    push_dec(s, v);
    s.extend_from_slice(b" bytes");
}

/// [`flag_names`] written into `s`.
fn put_flag_names(s: &mut Vec<u8>, flags: u32, names: &[(u32, &str)]) {
    let mut first = true;
    for (_, n) in names.iter().filter(|(bit, _)| flags & bit != 0) {
        if !first {
            s.extend_from_slice(b", ");
        }
        s.extend_from_slice(n.as_bytes());
        first = false;
    }
    let known = names.iter().fold(0, |a, (b, _)| a | b);
    if flags & !known != 0 {
        if !first {
            s.extend_from_slice(b", ");
        }
        s.extend_from_slice(b"reserved bits 0x");
        put_hex(s, u64::from(flags & !known), 0);
        first = false;
    }
    if first {
        s.extend_from_slice(b"none: Disabled");
    }
}

/// `0x{flags:08X} ({names})`.
fn put_flags(s: &mut Vec<u8>, flags: u32, names: &[(u32, &str)]) {
    put_x(s, u64::from(flags), 4);
    s.extend_from_slice(b" (");
    put_flag_names(s, flags, names);
    s.push(b')');
}

/// A PCI handle as its `Display` prints it: `ssss:bb:dd.f` in lower-case hex.
fn put_pci(s: &mut Vec<u8>, p: &crate::acpi::srat::PciHandle) {
    put_hex_lower(s, u64::from(p.segment), 4);
    s.push(b':');
    put_hex_lower(s, u64::from(p.bus), 2);
    s.push(b':');
    put_hex_lower(s, u64::from(p.device), 2);
    s.push(b'.');
    put_hex_lower(s, u64::from(p.function), 0);
}

/// [`hex_bytes`] written into `s`.
fn put_hex_bytes(s: &mut Vec<u8>, b: &[u8]) {
    for (k, &x) in b.iter().enumerate() {
        if k > 0 {
            s.push(b' ');
        }
        put_hex(s, u64::from(x), 2);
    }
}

/// Appends `v` in decimal; values below 1000 (every SLIT cell, most HMAT
/// entries) a byte at a time.
/// `", "` followed by the decimal digits of 0..=255, and the length used.
static CELLS: [([u8; 5], u8); 256] = cells();

// Evaluated at compile time (the static above): an index out of range would
// fail the build, not panic at run time.
#[allow(clippy::indexing_slicing)]
const fn cells() -> [([u8; 5], u8); 256] {
    let mut t = [([b',', b' ', 0, 0, 0], 0u8); 256];
    let mut v = 0usize;
    while v < 256 {
        let (mut b, mut len) = ([b',', b' ', 0, 0, 0], 2usize);
        if v >= 100 {
            b[len] = b'0' + (v / 100) as u8;
            len += 1;
        }
        if v >= 10 {
            b[len] = b'0' + (v / 10 % 10) as u8;
            len += 1;
        }
        b[len] = b'0' + (v % 10) as u8;
        len += 1;
        t[v] = (b, len as u8);
        v += 1;
    }
    t
}

/// A value shown by a closure: formatting happens when it is written, into the
/// output, with no String in between.
struct Lazy<F>(F);

impl<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result> std::fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (self.0)(f)
    }
}

fn x8(v: u8) -> impl std::fmt::Display {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| write!(f, "0x{v:02X} ({v})"))
}
fn x16(v: u16) -> impl std::fmt::Display {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| write!(f, "0x{v:04X} ({v})"))
}
fn x32(v: u32) -> impl std::fmt::Display {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| write!(f, "0x{v:08X} ({v})"))
}
fn x64(v: u64) -> impl std::fmt::Display {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| write!(f, "0x{v:016X}"))
}
fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Byte size in the largest binary unit that divides it, e.g. `128 MiB`.
fn size(v: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (u, name) in UNITS {
        if v >= u && v.is_multiple_of(u) {
            return format!("{} {name}", v / u);
        }
    }
    format!("{v} bytes")
}

/// The names of the set `flags` bits, `, `-separated, then any reserved bits;
/// `none: Disabled` when no bit is set. Written when displayed (no String).
fn flag_names<'a>(flags: u32, names: &'a [(u32, &'a str)]) -> impl std::fmt::Display + 'a {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| {
        let mut first = true;
        for (_, n) in names.iter().filter(|(bit, _)| flags & bit != 0) {
            if !first {
                f.write_str(", ")?;
            }
            f.write_str(n)?;
            first = false;
        }
        let known = names.iter().fold(0, |a, (b, _)| a | b);
        if flags & !known != 0 {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "reserved bits 0x{:X}", flags & !known)?;
            first = false;
        }
        if first {
            f.write_str("none: Disabled")?;
        }
        Ok(())
    })
}

fn cpu_flags(flags: u32) -> String {
    format!(
        "0x{flags:08X} ({})",
        flag_names(flags, &[(FLAG_ENABLED, "Enabled")])
    )
}

fn header_text(out: &mut Text, t: &LoadedTable, h: &header::Header, name: &str) {
    out.at(
        0,
        at!(RawHeader, signature),
        "Signature",
        format_args!("{} [{name}]", h.signature),
    );
    out.at(
        0,
        at!(RawHeader, length),
        "Table Length",
        format_args!("0x{:08X} ({})", h.length, h.length),
    );
    out.at(0, at!(RawHeader, revision), "Revision", x8(h.revision));
    let ck = if t.checksum_valid() {
        "valid".to_string()
    } else {
        format!(
            "INVALID, should be 0x{:02X}",
            t.correct_checksum().unwrap_or(0)
        )
    };
    out.at(
        0,
        at!(RawHeader, checksum),
        "Checksum",
        format_args!("0x{:02X} ({ck})", h.checksum),
    );
    out.at(0, at!(RawHeader, oem_id), "Oem ID", h.oem_id);
    out.at(
        0,
        at!(RawHeader, oem_table_id),
        "Oem Table ID",
        h.oem_table_id,
    );
    out.at(
        0,
        at!(RawHeader, oem_revision),
        "Oem Revision",
        x32(h.oem_revision),
    );
    out.at(
        0,
        at!(RawHeader, creator_id),
        "Asl Compiler ID",
        h.creator_id,
    );
    out.at(
        0,
        at!(RawHeader, creator_revision),
        "Asl Compiler Revision",
        x32(h.creator_revision),
    );
    out.blank();
}

fn srat_type_name(t: u8) -> &'static str {
    match t {
        entry_type::LOCAL_APIC => "Processor Local APIC/SAPIC Affinity",
        entry_type::MEMORY => "Memory Affinity",
        entry_type::X2APIC => "Processor Local x2APIC Affinity",
        entry_type::GICC => "GICC Affinity",
        entry_type::GIC_ITS => "GIC ITS Affinity",
        entry_type::GENERIC_INITIATOR => "Generic Initiator Affinity",
        entry_type::GENERIC_PORT => "Generic Port Affinity",
        entry_type::RINTC => "RINTC Affinity",
        _ => "Unknown",
    }
}

fn srat_text(out: &mut Text, s: &Srat) {
    let body = header::HEADER_LEN;
    out.at(
        body,
        at!(RawSratBody, table_revision),
        "Table Revision",
        x32(s.table_revision),
    );
    out.at(
        body,
        at!(RawSratBody, reserved),
        "Reserved",
        x64(s.reserved),
    );
    out.blank();
    let mut fast = [0u8; LINE_BUF];
    let tails = fast_tails();
    for (e, o) in s.entries_with_offsets() {
        if let Some(t) = &tails
            && srat_entry_fast(&mut fast, t, out, o, e)
        {
            continue;
        }
        let t = e.type_id();
        // Every SRAT structure starts with a Type byte and a Length byte, as in RawMemory.
        out.at_with(o, at!(RawMemory, typ), "Subtable Type", |s| {
            put_x(s, u64::from(t), 1);
            s.extend_from_slice(b" [");
            s.extend_from_slice(srat_type_name(t).as_bytes());
            s.push(b']');
        });
        let len = e.encoded_len() as u64;
        out.at_with(o, at!(RawMemory, length), "Length", |s| put_xdec(s, len, 1));
        match e {
            SratEntry::LocalApic { .. } => srat_local_apic_text(out, o, e),
            SratEntry::Memory { .. } => srat_memory_text(out, o, e),
            SratEntry::X2apic { .. } => srat_x2apic_text(out, o, e),
            SratEntry::Gicc { .. } => srat_gicc_text(out, o, e),
            SratEntry::GicIts { .. } => srat_gic_its_text(out, o, e),
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => {
                srat_generic_text(out, o, g)
            }
            SratEntry::Rintc { .. } => srat_rintc_text(out, o, e),
            // Unknown, or a structure a later codec decodes: its bytes after Type and Length.
            other => raw_data_text(out, o, &srat_entry_bytes(other)),
        }
        out.blank();
    }
}

/// The lines of one SRAT structure, collected in a fixed buffer by fixed-size
/// copies (each piece is written whole and the end moved by its length: no
/// per-piece length bookkeeping of a `Vec`, no formatting machinery), then
/// copied to the output at once. `ok` turns false if the buffer would
/// overflow; the caller then writes the structure the general way.
///
/// The bytes live outside the struct (`b` borrows them) and every method is
/// inlined, so the write position stays in a register instead of being
/// re-read after each store into the bytes.
struct LineBuf<'a> {
    b: &'a mut [u8; LINE_BUF],
    n: usize,
    ok: bool,
    /// The table offset the line offsets of [`LineBuf::prefix`] count from.
    base: u32,
    /// `base` in decimal, one digit (0..=9) per byte, the last digit in the
    /// lowest byte (so that adding to it carries upwards).
    base_dec: u64,
    /// `base` in hex the same way ([`nibbles`]).
    base_hex: u64,
}

/// Bytes of a [`LineBuf`]: the longest SRAT structure it writes with every
/// value at its widest is under 1,500 bytes.
const LINE_BUF: usize = 2048;

impl<'a> LineBuf<'a> {
    fn new(b: &'a mut [u8; LINE_BUF]) -> Self {
        LineBuf {
            b,
            n: 0,
            ok: true,
            base: 0,
            base_dec: 0,
            base_hex: 0,
        }
    }

    /// Line offsets from here on count from `off`; past what a prefix can show
    /// (see [`LineBuf::prefix`]) the buffer is marked not ok.
    #[inline(always)]
    fn set_base(&mut self, off: usize) {
        match u32::try_from(off) {
            // Room for the largest relative offset (99) below 10^8.
            Ok(v) if v < 100_000_000 - 100 => {
                self.base = v;
                self.base_dec = dec8(v).swap_bytes();
                self.base_hex = nibbles(v);
            }
            _ => self.ok = false,
        }
    }

    /// Empty again (the bytes stay: they are overwritten).
    #[cfg(test)]
    fn clear(&mut self) {
        self.n = 0;
        self.ok = true;
    }

    /// What [`put_size`] writes.
    #[inline(always)]
    fn size(&mut self, v: u64) {
        const UNITS: [(u64, [u8; 4]); 4] = [
            (1 << 40, *b" TiB"),
            (1 << 30, *b" GiB"),
            (1 << 20, *b" MiB"),
            (1 << 10, *b" KiB"),
        ];
        for (u, name) in UNITS {
            if v >= u && v.is_multiple_of(u) {
                self.dec(v / u);
                self.chunk(name, 4);
                return;
            }
        }
        self.dec(v);
        self.chunk(*b" bytes", 6);
    }

    /// `{v:>width$}` (`width` at most 8) for `v` below 10^8; else not ok.
    #[inline(always)]
    fn right(&mut self, v: u64, width: usize) {
        if v >= 100_000_000 || width > 8 {
            self.ok = false;
            return;
        }
        let z = dec8(v as u32);
        let digits = (8 - z.trailing_zeros() as usize / 8).max(1);
        let n = digits.max(width);
        // The leading zeros become spaces ('0' - 0x10).
        let ascii = (z + 0x3030_3030_3030_3030)
            - (((1u64 << (8 * (8 - digits))) - 1) & 0x1010_1010_1010_1010);
        self.chunk((ascii >> (8 * (8 - n))).to_le_bytes(), n);
    }

    /// What [`put_size`] writes, right-aligned in `width` (at most 12) like
    /// the guest node table's cells; not ok past 10^8 units.
    #[inline(always)]
    fn size_right(&mut self, v: u64, width: usize) {
        const UNITS: [(u64, [u8; 8], usize); 4] = [
            (1 << 40, *b" TiB    ", 4),
            (1 << 30, *b" GiB    ", 4),
            (1 << 20, *b" MiB    ", 4),
            (1 << 10, *b" KiB    ", 4),
        ];
        let (q, unit, unit_len) = UNITS
            .iter()
            .find(|(u, _, _)| v >= *u && v.is_multiple_of(*u))
            .map_or((v, *b" bytes  ", 6), |&(u, name, len)| (v / u, name, len));
        if q >= 100_000_000 || width > 12 {
            self.ok = false;
            return;
        }
        let z = dec8(q as u32);
        let digits = (8 - z.trailing_zeros() as usize / 8).max(1);
        self.chunk([b' '; 16], width.saturating_sub(digits + unit_len));
        self.chunk(
            ((z + 0x3030_3030_3030_3030) >> (8 * (8 - digits))).to_le_bytes(),
            digits,
        );
        self.chunk(unit, unit_len);
    }

    /// What [`put_pci`] writes: `ssss:bb:dd.f` in lower-case hex.
    #[inline(always)]
    fn pci(&mut self, p: &crate::acpi::srat::PciHandle) {
        self.hex_case(u64::from(p.segment), 4, false);
        self.byte(b':');
        self.hex_case(u64::from(p.bus), 2, false);
        self.byte(b':');
        self.hex_case(u64::from(p.device), 2, false);
        self.byte(b'.');
        self.hex_case(u64::from(p.function), 0, false);
    }

    /// Writes the `N` bytes of `bytes` and keeps the first `len` of them.
    #[inline(always)]
    fn chunk<const N: usize>(&mut self, bytes: [u8; N], len: usize) {
        match self
            .b
            .get_mut(self.n..)
            .and_then(|rest| rest.first_chunk_mut::<N>())
        {
            Some(d) => {
                *d = bytes;
                self.n += len.min(N);
            }
            None => self.ok = false,
        }
    }

    #[inline(always)]
    fn byte(&mut self, c: u8) {
        self.chunk([c], 1);
    }

    #[inline(always)]
    fn bytes(&mut self, v: &[u8]) {
        match self.b.get_mut(self.n..self.n + v.len()) {
            Some(d) => {
                d.copy_from_slice(v);
                self.n += v.len();
            }
            None => self.ok = false,
        }
    }

    /// `{v:0width$X}` (`width` at most 16).
    #[inline(always)]
    fn hex(&mut self, v: u64, width: usize) {
        self.hex_case(v, width, true);
    }

    /// `{v:0width$X}` or, not `upper`, `{v:0width$x}` (`width` at most 16).
    #[inline(always)]
    fn hex_case(&mut self, v: u64, width: usize, upper: bool) {
        let n = ((64 - v.leading_zeros() as usize).div_ceil(4))
            .max(width)
            .clamp(1, 16);
        if n <= 8 {
            // The usual case (offsets, 32-bit fields, bytes): one 8-digit conversion.
            let front = u64::from_be_bytes(hex8(v as u32, upper))
                .checked_shl(8 * (8 - n) as u32)
                .unwrap_or(0);
            self.chunk(front.to_be_bytes(), n);
            return;
        }
        let front = u128::from_be_bytes(hex16(v, upper))
            .checked_shl(8 * (16 - n) as u32)
            .unwrap_or(0);
        self.chunk(front.to_be_bytes(), n);
    }

    /// `0x{v:0W$X}` with `W` = 2 × `bytes` ([`put_x`]).
    #[inline(always)]
    fn x(&mut self, v: u64, bytes: usize) {
        if v == 0 && bytes <= 8 {
            // Reserved fields: `0x` and the zeros, one copy.
            self.chunk(*b"0x0000000000000000", 2 + 2 * bytes);
            return;
        }
        match (bytes, u32::try_from(v)) {
            // A 32-bit field: `0x` and its 8 digits in one store.
            (4, Ok(v)) => {
                let [a, b, c, d, e, f, g, h] = hex8(v, true);
                self.chunk([b'0', b'x', a, b, c, d, e, f, g, h], 10);
            }
            _ => {
                self.chunk(*b"0x", 2);
                self.hex(v, 2 * bytes);
            }
        }
    }

    /// `{v}` for `v` below 10^8; larger through [`push_dec`].
    #[inline(always)]
    fn dec(&mut self, v: u64) {
        if v >= 100_000_000 {
            let mut d = Vec::with_capacity(20);
            push_dec(&mut d, v);
            self.bytes(&d);
            return;
        }
        let z = dec8(v as u32);
        let digits = (8 - z.trailing_zeros() as usize / 8).max(1);
        let ascii = (z + 0x3030_3030_3030_3030) >> (8 * (8 - digits));
        self.chunk(ascii.to_le_bytes(), digits);
    }

    /// `0x{v:0W$X} ({v})` ([`put_xdec`]).
    #[inline(always)]
    fn xdec(&mut self, v: u64, bytes: usize) {
        self.x(v, bytes);
        self.chunk(*b" (", 2);
        self.dec(v);
        self.byte(b')');
    }

    /// A line's prefix for the field at `rel` bytes past the base offset
    /// (`off`): `[{off:03X}h {off:04} ` and `tail` (see [`tail_bytes`]).
    #[inline(always)]
    fn prefix(&mut self, rel: usize, tail: &[u8; 44]) {
        if rel >= 100 {
            self.ok = false;
            return;
        }
        let off = self.base + rel as u32;
        let rel = rel as u64;
        // The digits of base + rel by adding rel's digits to base's, one digit
        // per byte: each byte also gets 256 - radix, so that a digit sum of
        // radix or more carries into the next byte (and keeps sum - radix); the
        // bytes that did not carry (high bit set) get their 256 - radix back.
        // `[` and at least 3 hex digits (the leading zeros shifted out):
        let sum = self
            .base_hex
            .wrapping_add((rel & 15) | (rel >> 4) << 8)
            .wrapping_add(0xF0F0_F0F0_F0F0_F0F0);
        let kept = (sum & 0x8080_8080_8080_8080) >> 7;
        let digits = hex_ascii(sum.wrapping_sub(kept.wrapping_mul(0xF0)), true);
        let nh = (32 - off.leading_zeros() as usize).div_ceil(4).max(3);
        let hex = u64::from_be_bytes(digits) << (8 * (8 - nh));
        self.byte(b'[');
        self.chunk(hex.to_be_bytes(), nh);
        self.chunk(*b"h ", 2);
        // and at least 4 decimal digits (`dec8`'s order, first digit in the
        // lowest byte, after the swap):
        let sum = self
            .base_dec
            .wrapping_add((rel % 10) | (rel / 10) << 8)
            .wrapping_add(0xF6F6_F6F6_F6F6_F6F6);
        let kept = (sum & 0x8080_8080_8080_8080) >> 7;
        let z = sum.wrapping_sub(kept.wrapping_mul(0xF6)).swap_bytes();
        let digits = (8 - z.trailing_zeros() as usize / 8).clamp(4, 8);
        self.chunk(
            ((z + 0x3030_3030_3030_3030) >> (8 * (8 - digits))).to_le_bytes(),
            digits,
        );
        self.byte(b' ');
        self.chunk(*tail, 44);
    }

    /// Appends what [`put_flags`] writes (through a small scratch vector).
    #[inline(always)]
    fn flags(&mut self, flags: u32, names: &[(u32, &str)]) {
        if flags == FLAG_ENABLED && names.first().is_some_and(|(b, _)| *b == FLAG_ENABLED) {
            // The usual case: `0x00000001 (Enabled)` (first name for bit 0).
            self.x(u64::from(flags), 4);
            self.chunk(*b" (", 2);
            self.bytes(names.first().map_or(&b""[..], |(_, n)| n.as_bytes()));
            self.byte(b')');
            return;
        }
        let mut v = Vec::with_capacity(64);
        put_flags(&mut v, flags, names);
        self.bytes(&v);
    }

    /// Hands the lines to the output.
    #[inline(always)]
    fn finish(&self, out: &mut Text) {
        out.s
            .extend_from_slice(self.b.get(..self.n).unwrap_or_default());
        out.maybe_flush();
    }
}

/// The ends of the line prefixes (see [`tail_bytes`]) of the fields
/// [`srat_entry_fast`] writes, built once per SRAT, in the order it uses them.
type FastTails = [[u8; 44]; 18];

/// [`FastTails`] for these field sizes and names; `None` if one does not fit.
fn fast_tails() -> Option<FastTails> {
    let fields: [(usize, &str); 18] = [
        (at!(RawMemory, typ).1, "Subtable Type"),
        (at!(RawMemory, length).1, "Length"),
        (at!(RawMemory, proximity_domain).1, "Proximity Domain"),
        (at!(RawMemory, reserved1).1, "Reserved1"),
        (at!(RawMemory, base_address).1, "Base Address"),
        (at!(RawMemory, range_length).1, "Address Length"),
        (at!(RawMemory, reserved2).1, "Reserved2"),
        (at!(RawMemory, flags).1, "Flags"),
        (at!(RawMemory, reserved3).1, "Reserved3"),
        (at!(RawGeneric, reserved1).1, "Reserved1"),
        (at!(RawGeneric, device_handle_type).1, "Device Handle Type"),
        (at!(RawGeneric, proximity_domain).1, "Proximity Domain"),
        (at!(RawPciHandle, segment).1, "PCI Segment"),
        (at!(RawPciHandle, bus).1, "PCI Bus"),
        (at!(RawPciHandle, devfn).1, "PCI Device/Function"),
        (at!(RawPciHandle, reserved).1, "Reserved"),
        (at!(RawGeneric, flags).1, "Flags"),
        (at!(RawGeneric, reserved2).1, "Reserved2"),
    ];
    let mut t = [[0u8; 44]; 18];
    for (slot, (len, name)) in t.iter_mut().zip(fields) {
        *slot = tail_bytes(len, name)?;
    }
    Some(t)
}

/// Memory Affinity structures and Generic Initiator / Port structures with a
/// PCI handle (the bulk of large tables) written through a [`LineBuf`], in
/// exactly the bytes of [`srat_memory_text`] / [`srat_generic_text`] and the
/// entry header of [`srat_text`]. False (nothing written) for any other
/// structure, or when a line does not fit the fast layout.
fn srat_entry_fast(
    buf: &mut [u8; LINE_BUF],
    tails: &FastTails,
    out: &mut Text,
    o: usize,
    e: &SratEntry,
) -> bool {
    let mut b = LineBuf::new(buf);
    b.set_base(o);
    let t = e.type_id();
    let len = e.encoded_len() as u64;
    b.prefix(at!(RawMemory, typ).0, &tails[0]);
    // The two header values of the structures this path writes, as the
    // general path below words them, whole.
    match t {
        entry_type::MEMORY => b.chunk(*b"0x01 [Memory Affinity]\n", 23),
        entry_type::GENERIC_INITIATOR => b.chunk(*b"0x05 [Generic Initiator Affinity]\n", 34),
        entry_type::GENERIC_PORT => b.chunk(*b"0x06 [Generic Port Affinity]\n", 29),
        _ => {
            b.x(u64::from(t), 1);
            b.chunk(*b" [", 2);
            b.bytes(srat_type_name(t).as_bytes());
            b.chunk(*b"]\n", 2);
        }
    }
    b.prefix(at!(RawMemory, length).0, &tails[1]);
    match len {
        40 => b.chunk(*b"0x28 (40)\n", 10),
        32 => b.chunk(*b"0x20 (32)\n", 10),
        _ => {
            b.xdec(len, 1);
            b.byte(b'\n');
        }
    }
    match e {
        SratEntry::Memory {
            proximity_domain,
            base_address,
            length,
            flags,
            reserved1,
            reserved2,
            reserved3,
        } => {
            type R = RawMemory;
            b.prefix(at!(R, proximity_domain).0, &tails[2]);
            b.xdec(u64::from(*proximity_domain), 4);
            b.byte(b'\n');
            b.prefix(at!(R, reserved1).0, &tails[3]);
            b.x(u64::from(*reserved1), 2);
            b.byte(b'\n');
            b.prefix(at!(R, base_address).0, &tails[4]);
            b.x(*base_address, 8);
            b.byte(b'\n');
            b.prefix(at!(R, range_length).0, &tails[5]);
            b.x(*length, 8);
            b.chunk(*b" (", 2);
            b.size(*length);
            b.chunk(*b", end 0x", 8);
            let end = base_address.saturating_add(*length);
            b.hex(end, 0);
            b.chunk(*b")\n", 2);
            b.prefix(at!(R, reserved2).0, &tails[6]);
            b.x(u64::from(*reserved2), 4);
            b.byte(b'\n');
            b.prefix(at!(R, flags).0, &tails[7]);
            b.flags(
                *flags,
                &[
                    (FLAG_ENABLED, "Enabled"),
                    (MEM_HOT_PLUGGABLE, "Hot Pluggable"),
                    (MEM_NON_VOLATILE, "Non-Volatile"),
                ],
            );
            b.byte(b'\n');
            b.prefix(at!(R, reserved3).0, &tails[8]);
            b.x(*reserved3, 8);
            b.byte(b'\n');
        }
        SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => {
            let DeviceHandle::Pci(p) = &g.device_handle else {
                return false;
            };
            type R = RawGeneric;
            type P = RawPciHandle;
            b.prefix(at!(R, reserved1).0, &tails[9]);
            b.x(u64::from(g.reserved1), 1);
            b.byte(b'\n');
            b.prefix(at!(R, device_handle_type).0, &tails[10]);
            b.x(u64::from(handle_type::PCI), 1);
            b.chunk(*b" (PCI)\n", 7);
            b.prefix(at!(R, proximity_domain).0, &tails[11]);
            b.xdec(u64::from(g.proximity_domain), 4);
            b.byte(b'\n');
            let h = offset_of!(R, device_handle);
            b.prefix(h + at!(P, segment).0, &tails[12]);
            b.xdec(u64::from(p.segment), 2);
            b.byte(b'\n');
            b.prefix(h + at!(P, bus).0, &tails[13]);
            b.xdec(u64::from(p.bus), 1);
            b.byte(b'\n');
            b.prefix(h + at!(P, devfn).0, &tails[14]);
            b.x(u64::from(p.devfn()), 1);
            b.chunk(*b" (device ", 9);
            b.dec(u64::from(p.device));
            b.chunk(*b", function ", 11);
            b.dec(u64::from(p.function));
            b.chunk(*b")\n", 2);
            b.prefix(h + at!(P, reserved).0, &tails[15]);
            if p.reserved == [0; 12] {
                // The usual case: what the loop below writes for twelve zeros.
                b.chunk(*b"00 00 00 00 00 00 00 00 00 00 00 00\n", 36);
            } else {
                for (k, &x) in p.reserved.iter().enumerate() {
                    if k > 0 {
                        b.byte(b' ');
                    }
                    b.hex(u64::from(x), 2);
                }
                b.byte(b'\n');
            }
            // The note line: 16 spaces, the name right-aligned in 36, the handle.
            b.chunk([b' '; 39], 39);
            b.chunk(*b"Device Handle : PCI ", 20);
            b.pci(p);
            b.byte(b'\n');
            b.prefix(at!(R, flags).0, &tails[16]);
            b.flags(
                g.flags,
                &[
                    (FLAG_ENABLED, "Enabled"),
                    (GI_ARCH_TRANSACTIONS, "Architectural Transactions"),
                ],
            );
            b.byte(b'\n');
            b.prefix(at!(R, reserved2).0, &tails[17]);
            b.x(u64::from(g.reserved2), 4);
            b.byte(b'\n');
        }
        _ => return false,
    }
    b.byte(b'\n');
    if !b.ok {
        return false;
    }
    b.finish(out);
    true
}

/// One SRAT structure's encoded bytes.
fn srat_entry_bytes(e: &SratEntry) -> Vec<u8> {
    let mut t = Srat::new(1);
    t.entries.push(e.clone());
    let b = t.encode();
    b.get(crate::acpi::srat::ENTRIES_OFFSET..)
        .unwrap_or_default()
        .to_vec()
}

/// The bytes of a structure after its first two (type and length, or type),
/// as one `Raw Data` field.
fn raw_data_text(out: &mut Text, o: usize, bytes: &[u8]) {
    if let Some(rest) = bytes.get(2..) {
        out.field(o + 2, rest.len(), "Raw Data", hex_bytes(rest));
    }
}

fn srat_local_apic_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::LocalApic {
        proximity_domain,
        apic_id,
        flags,
        sapic_eid,
        clock_domain,
    } = e
    else {
        return;
    };
    let [p0, p1, p2, p3] = proximity_domain.to_le_bytes();
    type R = RawLocalApic;
    out.at(
        o,
        at!(R, proximity_domain_lo),
        "Proximity Domain Low(8)",
        format_args!("0x{p0:02X}"),
    );
    out.at(o, at!(R, apic_id), "Apic ID", x8(*apic_id));
    out.at(o, at!(R, flags), "Flags", cpu_flags(*flags));
    out.at(o, at!(R, sapic_eid), "Local Sapic EID", x8(*sapic_eid));
    out.at(
        o,
        at!(R, proximity_domain_hi),
        "Proximity Domain High(24)",
        format_args!("0x{p3:02X}{p2:02X}{p1:02X}"),
    );
    out.note("Proximity Domain", x32(*proximity_domain));
    out.at(o, at!(R, clock_domain), "Clock Domain", x32(*clock_domain));
}

fn srat_memory_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::Memory {
        proximity_domain,
        base_address,
        length,
        flags,
        reserved1,
        reserved2,
        reserved3,
    } = e
    else {
        return;
    };
    type R = RawMemory;
    out.at_with(o, at!(R, proximity_domain), "Proximity Domain", |s| {
        put_xdec(s, u64::from(*proximity_domain), 4)
    });
    out.at_with(o, at!(R, reserved1), "Reserved1", |s| {
        put_x(s, u64::from(*reserved1), 2)
    });
    out.at_with(o, at!(R, base_address), "Base Address", |s| {
        put_x(s, *base_address, 8)
    });
    out.at_with(o, at!(R, range_length), "Address Length", |s| {
        put_x(s, *length, 8);
        s.extend_from_slice(b" (");
        put_size(s, *length);
        s.extend_from_slice(b", end 0x");
        put_hex(s, base_address.saturating_add(*length), 0);
        s.push(b')');
    });
    out.at_with(o, at!(R, reserved2), "Reserved2", |s| {
        put_x(s, u64::from(*reserved2), 4)
    });
    out.at_with(o, at!(R, flags), "Flags", |s| {
        put_flags(
            s,
            *flags,
            &[
                (FLAG_ENABLED, "Enabled"),
                (MEM_HOT_PLUGGABLE, "Hot Pluggable"),
                (MEM_NON_VOLATILE, "Non-Volatile"),
            ],
        )
    });
    out.at_with(o, at!(R, reserved3), "Reserved3", |s| {
        put_x(s, *reserved3, 8)
    });
}

fn srat_x2apic_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::X2apic {
        proximity_domain,
        x2apic_id,
        flags,
        clock_domain,
        reserved1,
        reserved2,
    } = e
    else {
        return;
    };
    type R = RawX2Apic;
    out.at(
        o,
        at!(R, reserved1),
        "Reserved1",
        format_args!("0x{reserved1:04X}"),
    );
    out.at(
        o,
        at!(R, proximity_domain),
        "Proximity Domain",
        x32(*proximity_domain),
    );
    out.at(o, at!(R, x2apic_id), "Apic ID", x32(*x2apic_id));
    out.at(o, at!(R, flags), "Flags", cpu_flags(*flags));
    out.at(o, at!(R, clock_domain), "Clock Domain", x32(*clock_domain));
    out.at(
        o,
        at!(R, reserved2),
        "Reserved2",
        format_args!("0x{reserved2:08X}"),
    );
}

fn srat_gicc_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::Gicc {
        proximity_domain,
        acpi_processor_uid,
        flags,
        clock_domain,
    } = e
    else {
        return;
    };
    type R = RawGicc;
    out.at(
        o,
        at!(R, proximity_domain),
        "Proximity Domain",
        x32(*proximity_domain),
    );
    out.at(
        o,
        at!(R, acpi_processor_uid),
        "Acpi Processor UID",
        x32(*acpi_processor_uid),
    );
    out.at(o, at!(R, flags), "Flags", cpu_flags(*flags));
    out.at(o, at!(R, clock_domain), "Clock Domain", x32(*clock_domain));
}

fn srat_gic_its_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::GicIts {
        proximity_domain,
        its_id,
        reserved,
    } = e
    else {
        return;
    };
    type R = RawGicIts;
    out.at(
        o,
        at!(R, proximity_domain),
        "Proximity Domain",
        x32(*proximity_domain),
    );
    out.at(
        o,
        at!(R, reserved),
        "Reserved",
        format_args!("0x{reserved:04X}"),
    );
    out.at(o, at!(R, its_id), "ITS ID", x32(*its_id));
}

fn srat_rintc_text(out: &mut Text, o: usize, e: &SratEntry) {
    let SratEntry::Rintc {
        proximity_domain,
        acpi_processor_uid,
        flags,
        clock_domain,
        reserved,
    } = e
    else {
        return;
    };
    type R = RawRintc;
    out.at(
        o,
        at!(R, reserved),
        "Reserved",
        format_args!("0x{reserved:04X}"),
    );
    out.at(
        o,
        at!(R, proximity_domain),
        "Proximity Domain",
        x32(*proximity_domain),
    );
    out.at(
        o,
        at!(R, acpi_processor_uid),
        "Acpi Processor UID",
        x32(*acpi_processor_uid),
    );
    out.at(o, at!(R, flags), "Flags", cpu_flags(*flags));
    out.at(o, at!(R, clock_domain), "Clock Domain", x32(*clock_domain));
}

fn srat_generic_text(out: &mut Text, o: usize, g: &GenericAffinity) {
    type R = RawGeneric;
    out.at_with(o, at!(R, reserved1), "Reserved1", |s| {
        put_x(s, u64::from(g.reserved1), 1)
    });
    let ht = g.device_handle.handle_type();
    let htn = match ht {
        handle_type::ACPI => "ACPI",
        handle_type::PCI => "PCI",
        _ => "reserved",
    };
    out.at_with(o, at!(R, device_handle_type), "Device Handle Type", |s| {
        put_x(s, u64::from(ht), 1);
        s.extend_from_slice(b" (");
        s.extend_from_slice(htn.as_bytes());
        s.push(b')');
    });
    out.at_with(o, at!(R, proximity_domain), "Proximity Domain", |s| {
        put_xdec(s, u64::from(g.proximity_domain), 4)
    });
    device_handle_text(out, o + offset_of!(R, device_handle), &g.device_handle);
    out.at_with(o, at!(R, flags), "Flags", |s| {
        put_flags(
            s,
            g.flags,
            &[
                (FLAG_ENABLED, "Enabled"),
                (GI_ARCH_TRANSACTIONS, "Architectural Transactions"),
            ],
        )
    });
    out.at_with(o, at!(R, reserved2), "Reserved2", |s| {
        put_x(s, u64::from(g.reserved2), 4)
    });
}

/// The 16 bytes of a device handle that starts at table offset `h`.
fn device_handle_text(out: &mut Text, h: usize, handle: &DeviceHandle) {
    match handle {
        DeviceHandle::Pci(p) => {
            type P = RawPciHandle;
            out.at_with(h, at!(P, segment), "PCI Segment", |s| {
                put_xdec(s, u64::from(p.segment), 2)
            });
            out.at_with(h, at!(P, bus), "PCI Bus", |s| {
                put_xdec(s, u64::from(p.bus), 1)
            });
            out.at_with(h, at!(P, devfn), "PCI Device/Function", |s| {
                put_x(s, u64::from(p.devfn()), 1);
                s.extend_from_slice(b" (device ");
                push_dec(s, u64::from(p.device));
                s.extend_from_slice(b", function ");
                push_dec(s, u64::from(p.function));
                s.push(b')');
            });
            out.at_with(h, at!(P, reserved), "Reserved", |s| {
                put_hex_bytes(s, &p.reserved)
            });
            out.note_with("Device Handle", |s| {
                s.extend_from_slice(b"PCI ");
                put_pci(s, p);
            });
        }
        DeviceHandle::Acpi(a) => {
            type A = RawAcpiHandle;
            out.at(h, at!(A, hid), "ACPI HID", a.hid);
            out.at(h, at!(A, uid), "ACPI UID", x32(a.uid));
            out.at(
                h,
                at!(A, reserved),
                "Reserved",
                format_args!("0x{:08X}", a.reserved),
            );
            out.note(
                "Device Handle",
                format_args!("ACPI {} UID {}", a.hid, a.uid),
            );
        }
        DeviceHandle::Raw { bytes, .. } => {
            let (_, n) = at!(RawGeneric, device_handle);
            out.field(h, n, "Device Handle", hex_bytes(&bytes.0));
        }
        // A handle kind a later codec decodes: its raw bytes.
        other => {
            let raw = other.to_raw();
            out.field(h, raw.len(), "Device Handle", hex_bytes(&raw));
        }
    }
}

/// `" {v:3}"` for every byte value: one SLIT cell of the text view and the
/// space before it. Evaluated at compile time (an index out of range would
/// fail the build, so the indexing cannot panic at run time).
#[allow(clippy::indexing_slicing)]
static SLIT_CELLS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut v = 0;
    while v < 256 {
        let d = [(v / 100) as u8, (v / 10 % 10) as u8, (v % 10) as u8];
        t[v] = [
            b' ',
            if v >= 100 { b'0' + d[0] } else { b' ' },
            if v >= 10 { b'0' + d[1] } else { b' ' },
            b'0' + d[2],
        ];
        v += 1;
    }
    t
};

fn slit_text(out: &mut Text, s: &Slit) {
    let n = s.locality_count();
    out.at(
        header::HEADER_LEN,
        at!(RawSlitBody, locality_count),
        "Localities",
        format_args!("0x{n:016X} ({n})"),
    );
    let base = crate::acpi::slit::MATRIX_OFFSET;
    let mut name = String::with_capacity(16);
    for (i, row) in s.distances.iter().enumerate() {
        name.clear();
        let _ = write!(name, "Locality {i:>3}");
        out.prefix(base + i * n, n, &name);
        // `{v:3}` per cell, one space between cells: 4-byte cells from a table.
        out.s.reserve(4 * row.len() + 1);
        let mut cells = row.iter();
        if let Some(&v) = cells.next() {
            let [_, a, b, c] = SLIT_CELLS.get(usize::from(v)).copied().unwrap_or_default();
            out.s.extend_from_slice(&[a, b, c]);
        }
        for &v in cells {
            out.s
                .extend_from_slice(&SLIT_CELLS.get(usize::from(v)).copied().unwrap_or_default());
        }
        out.s.push(b'\n');
        out.maybe_flush();
    }
    if !s.trailing.0.is_empty() {
        out.field(
            base + n * n,
            s.trailing.0.len(),
            "Trailing Bytes",
            hex_bytes(&s.trailing.0),
        );
    }
    out.blank();
}

fn hmat_type_name(t: u16) -> &'static str {
    match t {
        structure_type::MEMORY_PROXIMITY_DOMAIN_ATTRIBUTES => "Memory Proximity Domain Attributes",
        structure_type::LOCALITY_LATENCY_BANDWIDTH => {
            "System Locality Latency and Bandwidth Information"
        }
        structure_type::MEMORY_SIDE_CACHE => "Memory Side Cache Information",
        _ => "Unknown",
    }
}

/// An HMAT locality entry value in real units: latency in picoseconds
/// (ns when whole), bandwidth in MB/s.
fn lb_value(entry: u16, base: u64, dt: u8) -> impl std::fmt::Display {
    Lazy(move |f: &mut std::fmt::Formatter<'_>| {
        let v = u128::from(entry) * u128::from(base);
        if entry == 0 {
            f.write_str("no information")
        } else if data_type::is_latency(dt) {
            if v % 1000 == 0 {
                write!(f, "{v} ps = {} ns", v / 1000)
            } else {
                write!(f, "{v} ps")
            }
        } else if data_type::is_bandwidth(dt) {
            write!(f, "{v} MB/s")
        } else {
            write!(f, "{v}")
        }
    })
}

fn hmat_text(out: &mut Text, h: &Hmat) {
    out.field(
        header::HEADER_LEN,
        size_of::<u32>(),
        "Reserved",
        format_args!("0x{:08X}", h.reserved),
    );
    out.blank();
    for (s, o) in h.structures_with_offsets() {
        let t = s.type_id();
        // Every HMAT structure starts with the common header of RawMpda.
        out.at(
            o,
            at!(RawMpda, header.typ),
            "Structure Type",
            format_args!("0x{t:04X} [{}]", hmat_type_name(t)),
        );
        let len = u32::try_from(s.encoded_len()).unwrap_or(u32::MAX);
        match s {
            HmatStructure::MemoryProximityDomainAttributes { .. } => hmat_mpda_text(out, o, len, s),
            HmatStructure::LocalityLatencyBandwidth(l) => hmat_locality_text(out, o, len, l),
            HmatStructure::MemorySideCache { .. } => hmat_cache_text(out, o, len, s),
            HmatStructure::Unknown { bytes, .. } => raw_data_text(out, o, &bytes.0),
            // A structure a later codec decodes: its bytes after the Type field.
            other => {
                let mut t = Hmat::new();
                t.structures.push(other.clone());
                let b = t.encode();
                let own = b
                    .get(crate::acpi::hmat::STRUCTURES_OFFSET..)
                    .unwrap_or_default();
                raw_data_text(out, o, own);
            }
        }
        out.blank();
    }
}

/// The Reserved and Length fields of an HMAT structure's common header.
fn hmat_common_text(out: &mut Text, o: usize, reserved: u16, len: u32) {
    out.at(
        o,
        at!(RawMpda, header.reserved),
        "Reserved",
        format_args!("0x{reserved:04X}"),
    );
    out.at(o, at!(RawMpda, header.length), "Length", x32(len));
}

fn hmat_mpda_text(out: &mut Text, o: usize, len: u32, s: &HmatStructure) {
    let HmatStructure::MemoryProximityDomainAttributes {
        flags,
        initiator_proximity_domain,
        memory_proximity_domain,
        reserved0,
        reserved1,
        reserved2,
        reserved3,
        reserved4,
    } = s
    else {
        return;
    };
    type R = RawMpda;
    hmat_common_text(out, o, *reserved0, len);
    let fl = if flags & MPDA_INITIATOR_VALID != 0 {
        "Initiator Proximity Domain Valid"
    } else {
        "initiator field not valid"
    };
    out.at(
        o,
        at!(R, flags),
        "Flags",
        format_args!("0x{flags:04X} ({fl})"),
    );
    out.at(
        o,
        at!(R, reserved1),
        "Reserved1",
        format_args!("0x{reserved1:04X}"),
    );
    out.at(
        o,
        at!(R, initiator_pd),
        "Attached Initiator Proximity Domain",
        x32(*initiator_proximity_domain),
    );
    out.at(
        o,
        at!(R, memory_pd),
        "Memory Proximity Domain",
        x32(*memory_proximity_domain),
    );
    out.at(
        o,
        at!(R, reserved2),
        "Reserved2",
        format_args!("0x{reserved2:08X}"),
    );
    out.at(o, at!(R, reserved3), "Reserved3", x64(*reserved3));
    out.at(o, at!(R, reserved4), "Reserved4", x64(*reserved4));
}

fn hmat_locality_text(out: &mut Text, o: usize, len: u32, l: &Locality) {
    type R = RawLocality;
    hmat_common_text(out, o, l.reserved0, len);
    let hier = HIERARCHY_NAMES
        .get(usize::from(l.hierarchy()))
        .copied()
        .unwrap_or("reserved");
    out.at(
        o,
        at!(R, flags),
        "Flags",
        format_args!(
            "0x{:02X} (memory hierarchy: {hier}, access attributes {})",
            l.flags,
            (l.flags >> 4) & 3
        ),
    );
    let dt = DATA_TYPE_NAMES
        .get(usize::from(l.data_type))
        .copied()
        .unwrap_or("reserved");
    out.at(
        o,
        at!(R, data_type),
        "Data Type",
        format_args!("0x{:02X} ({dt})", l.data_type),
    );
    out.at(
        o,
        at!(R, min_transfer_size),
        "Minimum Transfer Size",
        x8(l.min_transfer_size),
    );
    out.at(
        o,
        at!(R, reserved1),
        "Reserved1",
        format_args!("0x{:02X}", l.reserved1),
    );
    let ni = l.initiators.len();
    let nt = l.targets.len();
    out.at(
        o,
        at!(R, num_initiators),
        "Initiator Proximity Domains #",
        ni,
    );
    out.at(o, at!(R, num_targets), "Target Proximity Domains #", nt);
    out.at(
        o,
        at!(R, reserved2),
        "Reserved2",
        format_args!("0x{:08X}", l.reserved2),
    );
    // A `&str` suffix rather than `format_args!` temporaries kept in a `let`:
    // Rust 1.88 (the MSRV) does not extend their lifetime.
    let unit = if data_type::is_latency(l.data_type) {
        "ps"
    } else {
        "MB/s"
    };
    out.at(
        o,
        at!(R, entry_base_unit),
        "Entry Base Unit",
        format_args!("{} ({} {unit})", x64(l.entry_base_unit), l.entry_base_unit),
    );
    locality_lists_text(out, o + size_of::<R>(), l);
}

/// The initiator and target lists, the entries and any trailing bytes of a
/// locality structure; `start` is the table offset right after its fixed part.
fn locality_lists_text(out: &mut Text, start: usize, l: &Locality) {
    const PD: usize = size_of::<u32>();
    const ENTRY: usize = size_of::<u16>();
    let ni = l.initiators.len();
    let nt = l.targets.len();
    for (k, p) in l.initiators.iter().enumerate() {
        out.field(
            start + PD * k,
            PD,
            "Initiator Proximity Domain List",
            x32(*p),
        );
    }
    let targets = start + PD * ni;
    for (k, p) in l.targets.iter().enumerate() {
        out.field(
            targets + PD * k,
            PD,
            "Target Proximity Domain List",
            x32(*p),
        );
    }
    let eo = targets + PD * nt;
    for (i, row) in l.entries.iter().enumerate() {
        for (k, v) in row.iter().enumerate() {
            let ip = l.initiators.get(i).copied().unwrap_or(0);
            let tp = l.targets.get(k).copied().unwrap_or(0);
            out.field_named(
                eo + ENTRY * (i * nt + k),
                ENTRY,
                format_args!("Entry [{ip} -> {tp}]"),
                format_args!(
                    "0x{v:04X} ({})",
                    lb_value(*v, l.entry_base_unit, l.data_type)
                ),
            );
        }
    }
    if !l.trailing.0.is_empty() {
        out.field(
            eo + ENTRY * ni * nt,
            l.trailing.0.len(),
            "Trailing Bytes",
            hex_bytes(&l.trailing.0),
        );
    }
}

/// Cache Attributes in words: levels, associativity, write policy, line size.
fn cache_attributes(a: u32) -> String {
    let assoc = match (a >> 8) & 0xf {
        0 => "none",
        1 => "direct mapped",
        2 => "complex cache indexing",
        _ => "reserved",
    };
    let policy = match (a >> 12) & 0xf {
        0 => "none",
        1 => "write-back",
        2 => "write-through",
        _ => "reserved",
    };
    format!(
        "0x{a:08X} (total levels {}, level {}, {assoc}, {policy}, line size {})",
        a & 0xf,
        (a >> 4) & 0xf,
        a >> 16
    )
}

fn hmat_cache_text(out: &mut Text, o: usize, len: u32, s: &HmatStructure) {
    let HmatStructure::MemorySideCache {
        memory_proximity_domain,
        cache_size,
        cache_attributes: attrs,
        address_mode,
        smbios_handles,
        reserved0,
        reserved1,
        trailing,
    } = s
    else {
        return;
    };
    type R = RawCache;
    hmat_common_text(out, o, *reserved0, len);
    out.at(
        o,
        at!(R, memory_pd),
        "Memory Proximity Domain",
        x32(*memory_proximity_domain),
    );
    out.at(
        o,
        at!(R, reserved1),
        "Reserved1",
        format_args!("0x{reserved1:08X}"),
    );
    out.at(
        o,
        at!(R, cache_size),
        "Memory Side Cache Size",
        format_args!("{} ({})", x64(*cache_size), size(*cache_size)),
    );
    out.at(
        o,
        at!(R, attributes),
        "Cache Attributes",
        cache_attributes(*attrs),
    );
    out.at(o, at!(R, address_mode), "Address Mode", x16(*address_mode));
    out.at(
        o,
        at!(R, num_smbios_handles),
        "SMBIOS Handle #",
        smbios_handles.len(),
    );
    const HANDLE: usize = size_of::<u16>();
    let start = o + size_of::<R>();
    for (k, hdl) in smbios_handles.iter().enumerate() {
        out.field(
            start + HANDLE * k,
            HANDLE,
            "SMBIOS Handle",
            format_args!("0x{hdl:04X}"),
        );
    }
    if !trailing.0.is_empty() {
        out.field(
            start + HANDLE * smbios_handles.len(),
            trailing.0.len(),
            "Trailing Bytes",
            hex_bytes(&trailing.0),
        );
    }
}

/// The iasl-style text of one table.
pub fn table_text(t: &LoadedTable) -> String {
    let mut buf = Vec::new();
    let mut out = Text::new(&mut buf);
    write_table_text(&mut out, t);
    // Writing into a Vec cannot fail.
    let _ = out.finish();
    into_string(buf)
}

/// The bytes the text view wrote (always UTF-8: only `str`s are written).
fn into_string(buf: Vec<u8>) -> String {
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes the iasl-style text of one table into `out`.
fn write_table_text(out: &mut Text, t: &LoadedTable) {
    let src = t.source.as_deref().unwrap_or("<input>");
    let _ = writeln!(
        out.s,
        "/* {} from {src} ({} bytes) */\n",
        t.signature(),
        t.bytes.len()
    );
    match &t.table {
        Ok(Table::Srat(s)) => {
            header_text(out, t, &s.header, "System Resource Affinity Table");
            srat_text(out, s);
        }
        Ok(Table::Slit(s)) => {
            header_text(out, t, &s.header, "System Locality Information Table");
            slit_text(out, s);
        }
        Ok(Table::Hmat(h)) => {
            header_text(out, t, &h.header, "Heterogeneous Memory Attribute Table");
            hmat_text(out, h);
        }
        // Table::Other, or a table a later codec decodes: the header, then raw bytes.
        Ok(other) => {
            header_text(out, t, other.header(), "not decoded");
            let body = t.bytes.get(header::HEADER_LEN..).unwrap_or_default();
            out.field(header::HEADER_LEN, body.len(), "Raw Data", hex_bytes(body));
            out.blank();
        }
        Err(e) => {
            let _ = writeln!(out.s, "**** cannot decode: {e}\n");
        }
    }
    out.maybe_flush();
}

/// The findings and guest node table as text.
pub fn findings_text(report: &Report) -> String {
    let mut buf = Vec::new();
    let mut out = Text::new(&mut buf);
    write_findings(&mut out, report);
    // Writing into a Vec cannot fail.
    let _ = out.finish();
    into_string(buf)
}

/// Appends [`findings_text`] to `out`. Written by hand (no formatting
/// machinery per line): the bytes of
/// `"  {severity:<7} {code}: {place}{src}: {message}"` per finding and
/// `"  {:>6} {:>6} {:>5} {:>12} {:>12} {:>4} {:>4}"` per guest node.
fn write_findings(text: &mut Text, report: &Report) {
    if report.findings.is_empty() {
        text.s.extend_from_slice(b"Findings: none\n");
    } else {
        text.s.extend_from_slice(b"Findings:\n");
        for f in &report.findings {
            let out = &mut text.s;
            out.extend_from_slice(match f.severity {
                crate::lint::Severity::Info => b"  info    ",
                crate::lint::Severity::Warning => b"  warning ",
                crate::lint::Severity::Error => b"  error   ",
            });
            out.extend_from_slice(f.code.as_bytes());
            out.extend_from_slice(b": ");
            // The place: `{t} @ 0x{o:03X} ({o})`, `{t}`, `@ 0x{o:03X}` or nothing.
            if let Some(t) = &f.table {
                out.extend_from_slice(t.as_bytes());
                if f.offset.is_some() {
                    out.push(b' ');
                }
            }
            if let Some(o) = f.offset {
                out.extend_from_slice(b"@ 0x");
                put_hex(out, o as u64, 3);
                if f.table.is_some() {
                    out.extend_from_slice(b" (");
                    push_dec(out, o as u64);
                    out.push(b')');
                }
            }
            if let Some(src) = &f.source {
                out.extend_from_slice(b" [");
                out.extend_from_slice(src.as_bytes());
                out.push(b']');
            }
            out.extend_from_slice(b": ");
            out.extend_from_slice(f.message.as_bytes());
            out.push(b'\n');
            text.maybe_flush();
        }
    }
    text.s.push(b'\n');
    if report.guest_nodes.is_empty() {
        return;
    }
    text.s.extend_from_slice(
        b"Guest nodes (Linux 6.12 numbering: processors and generic initiators in table order, then memory):\n",
    );
    text.s
        .extend_from_slice(b"     PXM   Node  CPUs       Memory      Hotplug   GI   GP\n");
    let mut size_cell: Vec<u8> = Vec::with_capacity(32);
    let mut row = [0u8; LINE_BUF];
    for g in &report.guest_nodes {
        if guest_row_fast(&mut row, g, text) {
            continue;
        }
        let out = &mut text.s;
        out.push(b' ');
        out.push(b' ');
        push_uint(out, u64::from(g.pxm), 6, b' ');
        out.push(b' ');
        match g.node {
            Some(n) => push_uint(out, u64::from(n), 6, b' '),
            None => out.extend_from_slice(b"     -"),
        }
        out.push(b' ');
        push_uint(out, g.cpus as u64, 5, b' ');
        for bytes in [g.memory_bytes, g.hotplug_bytes] {
            out.push(b' ');
            if bytes == 0 {
                out.extend_from_slice(b"           -");
            } else {
                size_cell.clear();
                put_size(&mut size_cell, bytes);
                put_pad(out, 12usize.saturating_sub(size_cell.len()), b' ');
                out.extend_from_slice(&size_cell);
            }
        }
        out.push(b' ');
        push_uint(out, g.generic_initiators as u64, 4, b' ');
        out.push(b' ');
        push_uint(out, g.generic_ports as u64, 4, b' ');
        out.push(b'\n');
        text.maybe_flush();
    }
}

/// One row of the guest node table through a [`LineBuf`], in exactly the
/// bytes of the general loop in [`write_findings`]; false (nothing written)
/// when a value is past what the fast cells hold.
fn guest_row_fast(buf: &mut [u8; LINE_BUF], g: &GuestNode, out: &mut Text) -> bool {
    let mut b = LineBuf::new(buf);
    b.chunk(*b"  ", 2);
    b.right(u64::from(g.pxm), 6);
    b.byte(b' ');
    match g.node {
        Some(n) => b.right(u64::from(n), 6),
        None => b.chunk(*b"     -", 6),
    }
    b.byte(b' ');
    b.right(g.cpus as u64, 5);
    for bytes in [g.memory_bytes, g.hotplug_bytes] {
        b.byte(b' ');
        if bytes == 0 {
            b.chunk(*b"           -", 12);
        } else {
            b.size_right(bytes, 12);
        }
    }
    b.byte(b' ');
    b.right(g.generic_initiators as u64, 4);
    b.byte(b' ');
    b.right(g.generic_ports as u64, 4);
    b.byte(b'\n');
    if !b.ok {
        return false;
    }
    b.finish(out);
    true
}

/// The whole text report: every table, then findings and guest nodes.
pub fn text_report(tables: &[LoadedTable], report: &Report) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_text_report(&mut buf, tables, report);
    into_string(buf)
}

/// Writes the whole text report ([`text_report`]'s bytes) to `w`, a table at a
/// time in chunks of 128 KiB, without building the report as one string.
pub fn write_text_report<W: std::io::Write + ?Sized>(
    w: &mut W,
    tables: &[LoadedTable],
    report: &Report,
) -> std::io::Result<()> {
    let mut w = w;
    let mut out = Text::new(&mut w);
    for t in tables {
        write_table_text(&mut out, t);
    }
    write_findings(&mut out, report);
    out.finish()
}

/// Loads, lints and returns both (convenience for the CLI).
pub fn inspect(paths: &[PathBuf]) -> Result<(Vec<LoadedTable>, Report), ReportError> {
    let tables = load(paths)?;
    let report = lint(&tables);
    Ok((tables, report))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use crate::acpi::Locality;

    /// Values around every digit-count and nibble-count boundary of a u64.
    fn edge_values() -> Vec<u64> {
        let mut v = vec![0, 1, 9, 10, 99, 100, 255, 256, 999, 1000, u64::MAX];
        for k in 1..20u32 {
            let p = 10u64.pow(k);
            v.extend([p - 1, p, p + 1]);
        }
        for k in 1..64u32 {
            let p = 1u64 << k;
            v.extend([p - 1, p, p + 1]);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.extend([x, x >> 20, x >> 40, x % 100_000]);
        }
        v
    }

    /// The hand-written number formatting gives `format!`'s bytes.
    #[test]
    fn number_formatting_matches_std() {
        for v in edge_values() {
            for w in [0usize, 1, 2, 3, 4, 6, 8, 12, 16, 20] {
                let mut s = Vec::new();
                push_uint(&mut s, v, w, b'0');
                assert_eq!(s, format!("{v:0w$}").into_bytes(), "{v} {w} zero");
                s.clear();
                push_uint(&mut s, v, w, b' ');
                assert_eq!(s, format!("{v:w$}").into_bytes(), "{v} {w} space");
                s.clear();
                put_hex(&mut s, v, w);
                assert_eq!(s, format!("{v:0w$X}").into_bytes(), "{v} {w} hex");
                s.clear();
                put_hex_lower(&mut s, v, w);
                assert_eq!(s, format!("{v:0w$x}").into_bytes(), "{v} {w} lower hex");
                let mut arr = [0u8; LINE_BUF];
                let mut b = LineBuf::new(&mut arr);
                if w <= 16 {
                    b.hex(v, w);
                    assert_eq!(&b.b[..b.n], format!("{v:0w$X}").as_bytes());
                }
                b.clear();
                b.dec(v);
                assert_eq!(&b.b[..b.n], v.to_string().as_bytes());
                assert!(b.ok);
                for bytes in [1usize, 2, 4, 8] {
                    b.clear();
                    b.x(v, bytes);
                    let w = 2 * bytes;
                    assert_eq!(&b.b[..b.n], format!("0x{v:0w$X}").as_bytes(), "{v} {bytes}");
                }
            }
            let mut s = Vec::new();
            push_dec(&mut s, v);
            assert_eq!(s, v.to_string().into_bytes());
        }
    }

    /// Line prefixes (offsets counted from a base by adding decimal digits)
    /// and the fixed-width cells give `format!`'s bytes, across every digit
    /// and nibble boundary an offset can cross inside a structure.
    #[test]
    fn line_prefixes_and_cells_match_std() {
        let tail = tail_bytes(4, "Proximity Domain").unwrap();
        let mut bases: Vec<u64> = edge_values()
            .into_iter()
            .filter(|&v| v < 100_000_000 - 100)
            .collect();
        for p in 1..8u32 {
            let p10 = 10u64.pow(p);
            bases.extend([1, 8, 40, 99].map(|d| p10.saturating_sub(d)));
        }
        for p in 1..7u32 {
            let p16 = 16u64.pow(p);
            bases.extend([1, 8, 40].map(|d| p16.saturating_sub(d)));
        }
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            bases.push(rng % (100_000_000 - 100));
        }
        for &base in &bases {
            for rel in [
                0usize, 1, 2, 3, 6, 8, 9, 10, 11, 16, 19, 24, 28, 32, 39, 40, 90, 99,
            ] {
                let mut arr = [0u8; LINE_BUF];
                let mut b = LineBuf::new(&mut arr);
                b.set_base(base as usize);
                b.prefix(rel, &tail);
                assert!(b.ok, "{base} + {rel}");
                let off = base + rel as u64;
                let mut want = format!("[{off:03X}h {off:04} ").into_bytes();
                want.extend_from_slice(&tail);
                assert_eq!(&b.b[..b.n], want.as_slice(), "{base} + {rel}");
            }
        }
        let mut arr = [0u8; LINE_BUF];
        let mut b = LineBuf::new(&mut arr);
        b.set_base(100_000_000 - 100);
        assert!(
            !b.ok,
            "an offset past 10^8 - 100 is left to the general path"
        );
        for v in edge_values() {
            for w in [0usize, 1, 4, 5, 6, 8] {
                let mut arr = [0u8; LINE_BUF];
                let mut b = LineBuf::new(&mut arr);
                b.right(v, w);
                if v < 100_000_000 {
                    assert_eq!(&b.b[..b.n], format!("{v:>w$}").as_bytes(), "{v} {w}");
                } else {
                    assert!(!b.ok);
                }
            }
            for unit in [1u64, 1 << 10, 1 << 20, 1 << 30, 1 << 40] {
                let Some(bytes) = v.checked_mul(unit).filter(|&b| b > 0) else {
                    continue;
                };
                let mut arr = [0u8; LINE_BUF];
                let mut b = LineBuf::new(&mut arr);
                b.size_right(bytes, 12);
                let mut cell = Vec::new();
                put_size(&mut cell, bytes);
                let want = format!("{:>12}", String::from_utf8(cell).unwrap());
                if b.ok {
                    assert_eq!(&b.b[..b.n], want.as_bytes(), "{bytes}");
                } else {
                    assert!(
                        want.trim_start().split(' ').next().unwrap().len() > 8,
                        "{bytes}"
                    );
                }
            }
        }
    }

    /// JSON strings are written as serde_json writes them.
    #[test]
    fn json_strings_match_serde_json() {
        let mut cases: Vec<String> = (0u8..128).map(|c| char::from(c).to_string()).collect();
        cases.push(String::new());
        cases.push("plain text, long enough to take the eight-byte path".into());
        cases.push("a \"quoted\" word and a \\ backslash\tand a tab\n".into());
        cases.push("é ü 漢字 \u{1F600} \u{7f} mixed with \"quotes\" and \u{1}".into());
        for c in 0u8..128 {
            for pos in 0..17 {
                let mut t = "x".repeat(pos);
                t.push(char::from(c));
                t.push_str("tail after the byte");
                cases.push(t);
            }
        }
        for t in cases {
            let mut s = Vec::new();
            put_json_str(&mut s, &t);
            assert_eq!(
                String::from_utf8(s).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }

    /// Every table file under `dir`, recursively.
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if is_table_file_name(&p.file_name().unwrap().to_string_lossy()) {
                out.push(p);
            }
        }
    }

    /// A SLIT and an HMAT with odd shapes (trailing bytes, ragged and empty
    /// rows, a locality structure with no targets), encoded and decoded.
    fn odd_tables() -> Vec<LoadedTable> {
        let mut slit = Slit::new(vec![vec![10, 20, 255], vec![20, 10, 0], vec![1, 2, 3]]);
        slit.trailing = crate::acpi::text::HexBytes(vec![1, 2, 3]);
        let mut hmat = Hmat::new();
        let l = Locality {
            flags: 0,
            data_type: 0,
            min_transfer_size: 0,
            entry_base_unit: 1000,
            initiators: vec![0, 1],
            targets: vec![2, 3, 4],
            entries: vec![vec![1, 2, 3], vec![0, 65535, 7]],
            reserved0: 0,
            reserved1: 0,
            reserved2: 0,
            trailing: crate::acpi::text::HexBytes(vec![9]),
        };
        hmat.structures
            .push(HmatStructure::LocalityLatencyBandwidth(l.clone()));
        let mut empty = l;
        empty.targets.clear();
        empty.entries = vec![Vec::new(), Vec::new()];
        empty.data_type = 3;
        hmat.structures
            .push(HmatStructure::LocalityLatencyBandwidth(empty));
        let slit0 = Slit::new(Vec::new());
        [
            Table::Slit(slit).encode(),
            Table::Hmat(hmat).encode(),
            Table::Slit(slit0).encode(),
        ]
        .into_iter()
        .map(|b| LoadedTable::decode(Some("odd \"quoted\"\tsource".into()), b))
        .collect()
    }

    /// The streamed views are byte for byte what serde_json's pretty printer
    /// makes of the `Value` document, and what the per-table text gives, on
    /// every QEMU golden blob, the examples and odd shapes.
    #[test]
    fn streamed_views_equal_the_value_views() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(&root.join("tests/data/qemu-golden"), &mut paths);
        files(&root.join("examples"), &mut paths);
        assert!(paths.len() > 20, "{paths:?}");
        let mut sets: Vec<Vec<LoadedTable>> = paths
            .iter()
            .map(|p| {
                vec![LoadedTable::decode(
                    Some(p.display().to_string()),
                    std::fs::read(p).unwrap(),
                )]
            })
            .collect();
        let mut broken = std::fs::read(&paths[0]).unwrap();
        broken.truncate(40);
        sets.push(vec![LoadedTable::decode(None, broken)]);
        sets.push(odd_tables());
        sets.push(sets.iter().flatten().cloned().collect());
        for set in &sets {
            let rep = lint(set);
            let mut json = Vec::new();
            write_json_report(&mut json, set, &rep).unwrap();
            // The same JSON value as serde's model of it; matrices one row per line.
            let got: Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(got, json_report(set, &rep));
            let text = String::from_utf8(json).unwrap();
            let pretty = serde_json::to_string_pretty(&json_report(set, &rep)).unwrap();
            if !text.contains("\"distances\"") && !text.contains("\"entries\"") {
                assert_eq!(text, pretty);
            }
            for key in ["\"distances\": [", "\"entries\": ["] {
                if let Some(i) = text.find(key) {
                    let after = &text[i + key.len()..];
                    let row = after.trim_start().lines().next().unwrap().trim();
                    if row.starts_with('[') && row != "[]," && row != "[]" {
                        assert!(row.ends_with("],") || row.ends_with(']'), "{row}");
                    }
                }
            }
            let mut text = Vec::new();
            write_text_report(&mut text, set, &rep).unwrap();
            let mut want: String = set.iter().map(table_text).collect();
            want.push_str(&findings_text(&rep));
            assert_eq!(String::from_utf8(text).unwrap(), want);
        }
    }
}
