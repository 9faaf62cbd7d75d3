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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::acpi::hmat::{DATA_TYPE_NAMES, HIERARCHY_NAMES};
use crate::acpi::srat::{FLAG_ENABLED, GI_ARCH_TRANSACTIONS, MEM_HOT_PLUGGABLE, MEM_NON_VOLATILE};
use crate::acpi::text::{from_hex, to_hex};
use crate::acpi::{DeviceHandle, Hmat, HmatStructure, Slit, Srat, SratEntry, Table, header};
use crate::lint::{LoadedTable, Report, lint};

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

/// Reads one file, with an error naming it and the OS reason.
fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied
            && path.starts_with("/sys/firmware/acpi/tables")
        {
            " (the ACPI tables under /sys/firmware/acpi/tables are readable by root only)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot read {}: {e}{hint}", path.display())
    })
}

/// The table files `vnuma inspect` reads for `paths`: a file is taken as
/// given; a directory contributes its entries for which
/// [`is_table_file_name`] holds, sorted by name. A directory with none is an error.
pub fn table_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let rd = std::fs::read_dir(p)
            .map_err(|e| anyhow::anyhow!("cannot list directory {}: {e}", p.display()))?;
        let mut found = Vec::new();
        for ent in rd {
            let ent = ent.with_context(|| format!("cannot list directory {}", p.display()))?;
            let name = ent.file_name();
            if is_table_file_name(&name.to_string_lossy()) {
                found.push(ent.path());
            }
        }
        if found.is_empty() {
            bail!(
                "directory {} holds no NUMA table (no file named SRAT, SLIT or HMAT, optionally with a number and a suffix such as .dat or .aml)",
                p.display()
            );
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Reads and decodes every table file of `paths` (see [`table_files`]).
/// Decode failures are kept in the result; unreadable files are errors.
pub fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<LoadedTable>> {
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
pub fn load_table_set(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for t in load(&[dir.to_path_buf()])? {
        let src = t.source.clone().unwrap_or_default();
        if let Err(e) = &t.table {
            anyhow::bail!("{src}: {e}");
        }
        let sig = t.signature();
        if out.iter().any(|(s, _)| *s == sig) {
            anyhow::bail!("{}: more than one {sig} table", dir.display());
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
        Ok(table) => {
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
        Err(e) => json!({
            "source": t.source,
            "signature": t.signature(),
            "decode_error": e.to_string(),
            "offset": e.offset,
            "raw": to_hex(&t.bytes),
        }),
    }
}

/// The whole JSON document: tables, findings and guest nodes.
pub fn json_report(tables: &[LoadedTable], report: &Report) -> Value {
    json!({
        "tables": tables.iter().map(table_json).collect::<Vec<_>>(),
        "findings": report.findings,
        "guest_nodes": report.guest_nodes,
    })
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
pub fn tables_from_json(text: &str) -> anyhow::Result<Vec<JsonTable>> {
    let v: Value = serde_json::from_str(text).context("input is not valid JSON")?;
    let items = match v {
        Value::Object(mut m) if m.contains_key("tables") => match m.remove("tables") {
            Some(Value::Array(a)) => a,
            _ => bail!("field `tables` must be an array"),
        },
        Value::Array(a) => a,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            bail!("expected a JSON object with a `tables` array, an array of tables, or one table")
        }
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
            let r = if let Some(raw) = item.get("raw") {
                let hex = raw
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("field `raw` must be a hex string"))?;
                let bytes = from_hex(hex).map_err(|e| anyhow::anyhow!("field `raw`: {e}"))?;
                Ok(JsonTable::Raw {
                    signature: header::sig_to_string(bytes.get(..4).unwrap_or(&bytes)),
                    bytes,
                })
            } else {
                Table::from_json(item)
                    .map(JsonTable::Table)
                    .map_err(|e| anyhow::anyhow!(e))
            };
            r.with_context(|| format!("tables[{i}]{sig}"))
        })
        .collect()
}

// ---------------------------------------------------------------- text

struct Text {
    s: String,
}

impl Text {
    fn field(&mut self, off: usize, len: usize, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.s, "[{off:03X}h {off:04} {len:3}] {name:>36} : {value}");
    }
    fn note(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.s, "{:15} {name:>36} : {value}", "");
    }
    fn blank(&mut self) {
        self.s.push('\n');
    }
}

fn x8(v: u8) -> String {
    format!("0x{v:02X} ({v})")
}
fn x16(v: u16) -> String {
    format!("0x{v:04X} ({v})")
}
fn x32(v: u32) -> String {
    format!("0x{v:08X} ({v})")
}
fn x64(v: u64) -> String {
    format!("0x{v:016X}")
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

fn flag_names(flags: u32, names: &[(u32, &str)]) -> String {
    let mut out: Vec<String> = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let known = names.iter().fold(0, |a, (b, _)| a | b);
    if flags & !known != 0 {
        out.push(format!("reserved bits 0x{:X}", flags & !known));
    }
    if out.is_empty() {
        "none: Disabled".into()
    } else {
        out.join(", ")
    }
}

fn cpu_flags(flags: u32) -> String {
    format!(
        "0x{flags:08X} ({})",
        flag_names(flags, &[(FLAG_ENABLED, "Enabled")])
    )
}

fn header_text(out: &mut Text, t: &LoadedTable, h: &header::Header, name: &str) {
    out.field(0, 4, "Signature", format!("{} [{name}]", h.signature));
    out.field(
        4,
        4,
        "Table Length",
        format!("0x{:08X} ({})", h.length, h.length),
    );
    out.field(8, 1, "Revision", x8(h.revision));
    let ck = if t.checksum_valid() {
        "valid".to_string()
    } else {
        format!(
            "INVALID, should be 0x{:02X}",
            t.correct_checksum().unwrap_or(0)
        )
    };
    out.field(9, 1, "Checksum", format!("0x{:02X} ({ck})", h.checksum));
    out.field(10, 6, "Oem ID", h.oem_id);
    out.field(16, 8, "Oem Table ID", h.oem_table_id);
    out.field(24, 4, "Oem Revision", x32(h.oem_revision));
    out.field(28, 4, "Asl Compiler ID", h.creator_id);
    out.field(32, 4, "Asl Compiler Revision", x32(h.creator_revision));
    out.blank();
}

fn srat_type_name(t: u8) -> &'static str {
    match t {
        0 => "Processor Local APIC/SAPIC Affinity",
        1 => "Memory Affinity",
        2 => "Processor Local x2APIC Affinity",
        3 => "GICC Affinity",
        4 => "GIC ITS Affinity",
        5 => "Generic Initiator Affinity",
        6 => "Generic Port Affinity",
        7 => "RINTC Affinity",
        _ => "Unknown",
    }
}

fn srat_text(out: &mut Text, s: &Srat) {
    out.field(36, 4, "Table Revision", x32(s.table_revision));
    out.field(40, 8, "Reserved", x64(s.reserved));
    out.blank();
    for (e, o) in s.entries.iter().zip(s.entry_offsets()) {
        let t = e.type_id();
        out.field(
            o,
            1,
            "Subtable Type",
            format!("0x{t:02X} [{}]", srat_type_name(t)),
        );
        let len = e.encoded_len();
        out.field(o + 1, 1, "Length", format!("0x{len:02X} ({len})"));
        match e {
            SratEntry::LocalApic {
                proximity_domain,
                apic_id,
                flags,
                sapic_eid,
                clock_domain,
            } => {
                let pd = proximity_domain.to_le_bytes();
                out.field(
                    o + 2,
                    1,
                    "Proximity Domain Low(8)",
                    format!("0x{:02X}", pd[0]),
                );
                out.field(o + 3, 1, "Apic ID", x8(*apic_id));
                out.field(o + 4, 4, "Flags", cpu_flags(*flags));
                out.field(o + 8, 1, "Local Sapic EID", x8(*sapic_eid));
                out.field(
                    o + 9,
                    3,
                    "Proximity Domain High(24)",
                    format!("0x{:02X}{:02X}{:02X}", pd[3], pd[2], pd[1]),
                );
                out.note("Proximity Domain", x32(*proximity_domain));
                out.field(o + 12, 4, "Clock Domain", x32(*clock_domain));
            }
            SratEntry::Memory {
                proximity_domain,
                base_address,
                length,
                flags,
                reserved1,
                reserved2,
                reserved3,
            } => {
                out.field(o + 2, 4, "Proximity Domain", x32(*proximity_domain));
                out.field(o + 6, 2, "Reserved1", format!("0x{reserved1:04X}"));
                out.field(o + 8, 8, "Base Address", x64(*base_address));
                out.field(
                    o + 16,
                    8,
                    "Address Length",
                    format!(
                        "{} ({}, end 0x{:X})",
                        x64(*length),
                        size(*length),
                        base_address.saturating_add(*length)
                    ),
                );
                out.field(o + 24, 4, "Reserved2", format!("0x{reserved2:08X}"));
                out.field(
                    o + 28,
                    4,
                    "Flags",
                    format!(
                        "0x{flags:08X} ({})",
                        flag_names(
                            *flags,
                            &[
                                (FLAG_ENABLED, "Enabled"),
                                (MEM_HOT_PLUGGABLE, "Hot Pluggable"),
                                (MEM_NON_VOLATILE, "Non-Volatile"),
                            ]
                        )
                    ),
                );
                out.field(o + 32, 8, "Reserved3", x64(*reserved3));
            }
            SratEntry::X2apic {
                proximity_domain,
                x2apic_id,
                flags,
                clock_domain,
                reserved1,
                reserved2,
            } => {
                out.field(o + 2, 2, "Reserved1", format!("0x{reserved1:04X}"));
                out.field(o + 4, 4, "Proximity Domain", x32(*proximity_domain));
                out.field(o + 8, 4, "Apic ID", x32(*x2apic_id));
                out.field(o + 12, 4, "Flags", cpu_flags(*flags));
                out.field(o + 16, 4, "Clock Domain", x32(*clock_domain));
                out.field(o + 20, 4, "Reserved2", format!("0x{reserved2:08X}"));
            }
            SratEntry::Gicc {
                proximity_domain,
                acpi_processor_uid,
                flags,
                clock_domain,
            } => {
                out.field(o + 2, 4, "Proximity Domain", x32(*proximity_domain));
                out.field(o + 6, 4, "Acpi Processor UID", x32(*acpi_processor_uid));
                out.field(o + 10, 4, "Flags", cpu_flags(*flags));
                out.field(o + 14, 4, "Clock Domain", x32(*clock_domain));
            }
            SratEntry::GicIts {
                proximity_domain,
                its_id,
                reserved,
            } => {
                out.field(o + 2, 4, "Proximity Domain", x32(*proximity_domain));
                out.field(o + 6, 2, "Reserved", format!("0x{reserved:04X}"));
                out.field(o + 8, 4, "ITS ID", x32(*its_id));
            }
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => {
                out.field(o + 2, 1, "Reserved1", format!("0x{:02X}", g.reserved1));
                let ht = g.device_handle.handle_type();
                let htn = match ht {
                    0 => "ACPI",
                    1 => "PCI",
                    _ => "reserved",
                };
                out.field(
                    o + 3,
                    1,
                    "Device Handle Type",
                    format!("0x{ht:02X} ({htn})"),
                );
                out.field(o + 4, 4, "Proximity Domain", x32(g.proximity_domain));
                match &g.device_handle {
                    DeviceHandle::Pci(p) => {
                        out.field(o + 8, 2, "PCI Segment", x16(p.segment));
                        out.field(o + 10, 1, "PCI Bus", x8(p.bus));
                        out.field(
                            o + 11,
                            1,
                            "PCI Device/Function",
                            format!(
                                "0x{:02X} (device {}, function {})",
                                p.devfn(),
                                p.device,
                                p.function
                            ),
                        );
                        out.field(o + 12, 12, "Reserved", hex_bytes(&p.reserved));
                        out.note("Device Handle", format!("PCI {p}"));
                    }
                    DeviceHandle::Acpi(a) => {
                        out.field(o + 8, 8, "ACPI HID", a.hid);
                        out.field(o + 16, 4, "ACPI UID", x32(a.uid));
                        out.field(o + 20, 4, "Reserved", format!("0x{:08X}", a.reserved));
                        out.note("Device Handle", format!("ACPI {} UID {}", a.hid, a.uid));
                    }
                    DeviceHandle::Raw { bytes, .. } => {
                        out.field(o + 8, 16, "Device Handle", hex_bytes(&bytes.0));
                    }
                }
                out.field(
                    o + 24,
                    4,
                    "Flags",
                    format!(
                        "0x{:08X} ({})",
                        g.flags,
                        flag_names(
                            g.flags,
                            &[
                                (FLAG_ENABLED, "Enabled"),
                                (GI_ARCH_TRANSACTIONS, "Architectural Transactions"),
                            ]
                        )
                    ),
                );
                out.field(o + 28, 4, "Reserved2", format!("0x{:08X}", g.reserved2));
            }
            SratEntry::Rintc {
                proximity_domain,
                acpi_processor_uid,
                flags,
                clock_domain,
                reserved,
            } => {
                out.field(o + 2, 2, "Reserved", format!("0x{reserved:04X}"));
                out.field(o + 4, 4, "Proximity Domain", x32(*proximity_domain));
                out.field(o + 8, 4, "Acpi Processor UID", x32(*acpi_processor_uid));
                out.field(o + 12, 4, "Flags", cpu_flags(*flags));
                out.field(o + 16, 4, "Clock Domain", x32(*clock_domain));
            }
            SratEntry::Unknown { bytes, .. } => {
                if let Some(rest) = bytes.0.get(2..) {
                    out.field(o + 2, rest.len(), "Raw Data", hex_bytes(rest));
                }
            }
        }
        out.blank();
    }
}

fn slit_text(out: &mut Text, s: &Slit) {
    let n = s.locality_count();
    out.field(36, 8, "Localities", format!("0x{n:016X} ({n})"));
    let base = crate::acpi::slit::MATRIX_OFFSET;
    for (i, row) in s.distances.iter().enumerate() {
        out.field(
            base + i * n,
            n,
            &format!("Locality {i:>3}"),
            row.iter()
                .map(|v| format!("{v:3}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
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
        0 => "Memory Proximity Domain Attributes",
        1 => "System Locality Latency and Bandwidth Information",
        2 => "Memory Side Cache Information",
        _ => "Unknown",
    }
}

/// An HMAT locality entry value in real units: latency in picoseconds
/// (ns when whole), bandwidth in MB/s.
fn lb_value(entry: u16, base: u64, data_type: u8) -> String {
    let v = u128::from(entry) * u128::from(base);
    if entry == 0 {
        "no information".into()
    } else if data_type <= 2 {
        if v % 1000 == 0 {
            format!("{v} ps = {} ns", v / 1000)
        } else {
            format!("{v} ps")
        }
    } else if data_type <= 5 {
        format!("{v} MB/s")
    } else {
        format!("{v}")
    }
}

fn hmat_text(out: &mut Text, h: &Hmat) {
    out.field(36, 4, "Reserved", format!("0x{:08X}", h.reserved));
    out.blank();
    for (s, o) in h.structures.iter().zip(h.structure_offsets()) {
        let t = s.type_id();
        out.field(
            o,
            2,
            "Structure Type",
            format!("0x{t:04X} [{}]", hmat_type_name(t)),
        );
        let len = s.encoded_len();
        match s {
            HmatStructure::MemoryProximityDomainAttributes {
                flags,
                initiator_proximity_domain,
                memory_proximity_domain,
                reserved0,
                reserved1,
                reserved2,
                reserved3,
                reserved4,
            } => {
                out.field(o + 2, 2, "Reserved", format!("0x{reserved0:04X}"));
                out.field(
                    o + 4,
                    4,
                    "Length",
                    x32(u32::try_from(len).unwrap_or(u32::MAX)),
                );
                let fl = if flags & 1 != 0 {
                    "Initiator Proximity Domain Valid"
                } else {
                    "initiator field not valid"
                };
                out.field(o + 8, 2, "Flags", format!("0x{flags:04X} ({fl})"));
                out.field(o + 10, 2, "Reserved1", format!("0x{reserved1:04X}"));
                out.field(
                    o + 12,
                    4,
                    "Attached Initiator Proximity Domain",
                    x32(*initiator_proximity_domain),
                );
                out.field(
                    o + 16,
                    4,
                    "Memory Proximity Domain",
                    x32(*memory_proximity_domain),
                );
                out.field(o + 20, 4, "Reserved2", format!("0x{reserved2:08X}"));
                out.field(o + 24, 8, "Reserved3", x64(*reserved3));
                out.field(o + 32, 8, "Reserved4", x64(*reserved4));
            }
            HmatStructure::LocalityLatencyBandwidth(l) => {
                out.field(o + 2, 2, "Reserved", format!("0x{:04X}", l.reserved0));
                out.field(
                    o + 4,
                    4,
                    "Length",
                    x32(u32::try_from(len).unwrap_or(u32::MAX)),
                );
                let hier = HIERARCHY_NAMES
                    .get(usize::from(l.hierarchy()))
                    .copied()
                    .unwrap_or("reserved");
                out.field(
                    o + 8,
                    1,
                    "Flags",
                    format!(
                        "0x{:02X} (memory hierarchy: {hier}, access attributes {})",
                        l.flags,
                        (l.flags >> 4) & 3
                    ),
                );
                let dt = DATA_TYPE_NAMES
                    .get(usize::from(l.data_type))
                    .copied()
                    .unwrap_or("reserved");
                out.field(
                    o + 9,
                    1,
                    "Data Type",
                    format!("0x{:02X} ({dt})", l.data_type),
                );
                out.field(o + 10, 1, "Minimum Transfer Size", x8(l.min_transfer_size));
                out.field(o + 11, 1, "Reserved1", format!("0x{:02X}", l.reserved1));
                let ni = l.initiators.len();
                let nt = l.targets.len();
                out.field(o + 12, 4, "Initiator Proximity Domains #", ni);
                out.field(o + 16, 4, "Target Proximity Domains #", nt);
                out.field(o + 20, 4, "Reserved2", format!("0x{:08X}", l.reserved2));
                let unit = if l.data_type <= 2 {
                    format!("{} ps", l.entry_base_unit)
                } else {
                    format!("{} MB/s", l.entry_base_unit)
                };
                out.field(
                    o + 24,
                    8,
                    "Entry Base Unit",
                    format!("{} ({unit})", x64(l.entry_base_unit)),
                );
                for (k, p) in l.initiators.iter().enumerate() {
                    out.field(
                        o + 32 + 4 * k,
                        4,
                        "Initiator Proximity Domain List",
                        x32(*p),
                    );
                }
                for (k, p) in l.targets.iter().enumerate() {
                    out.field(
                        o + 32 + 4 * ni + 4 * k,
                        4,
                        "Target Proximity Domain List",
                        x32(*p),
                    );
                }
                let eo = o + 32 + 4 * ni + 4 * nt;
                for (i, row) in l.entries.iter().enumerate() {
                    for (k, v) in row.iter().enumerate() {
                        let ip = l.initiators.get(i).copied().unwrap_or(0);
                        let tp = l.targets.get(k).copied().unwrap_or(0);
                        out.field(
                            eo + 2 * (i * nt + k),
                            2,
                            &format!("Entry [{ip} -> {tp}]"),
                            format!(
                                "0x{v:04X} ({})",
                                lb_value(*v, l.entry_base_unit, l.data_type)
                            ),
                        );
                    }
                }
                if !l.trailing.0.is_empty() {
                    out.field(
                        eo + 2 * ni * nt,
                        l.trailing.0.len(),
                        "Trailing Bytes",
                        hex_bytes(&l.trailing.0),
                    );
                }
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
                out.field(o + 2, 2, "Reserved", format!("0x{reserved0:04X}"));
                out.field(
                    o + 4,
                    4,
                    "Length",
                    x32(u32::try_from(len).unwrap_or(u32::MAX)),
                );
                out.field(
                    o + 8,
                    4,
                    "Memory Proximity Domain",
                    x32(*memory_proximity_domain),
                );
                out.field(o + 12, 4, "Reserved1", format!("0x{reserved1:08X}"));
                out.field(
                    o + 16,
                    8,
                    "Memory Side Cache Size",
                    format!("{} ({})", x64(*cache_size), size(*cache_size)),
                );
                let a = *cache_attributes;
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
                out.field(
                    o + 24,
                    4,
                    "Cache Attributes",
                    format!(
                        "0x{a:08X} (total levels {}, level {}, {assoc}, {policy}, line size {})",
                        a & 0xf,
                        (a >> 4) & 0xf,
                        a >> 16
                    ),
                );
                out.field(o + 28, 2, "Address Mode", x16(*address_mode));
                out.field(o + 30, 2, "SMBIOS Handle #", smbios_handles.len());
                for (k, hdl) in smbios_handles.iter().enumerate() {
                    out.field(o + 32 + 2 * k, 2, "SMBIOS Handle", format!("0x{hdl:04X}"));
                }
                if !trailing.0.is_empty() {
                    out.field(
                        o + 32 + 2 * smbios_handles.len(),
                        trailing.0.len(),
                        "Trailing Bytes",
                        hex_bytes(&trailing.0),
                    );
                }
            }
            HmatStructure::Unknown { bytes, .. } => {
                if let Some(rest) = bytes.0.get(2..) {
                    out.field(o + 2, rest.len(), "Raw Data", hex_bytes(rest));
                }
            }
        }
        out.blank();
    }
}

/// The iasl-style text of one table.
pub fn table_text(t: &LoadedTable) -> String {
    let mut out = Text { s: String::new() };
    let src = t.source.as_deref().unwrap_or("<input>");
    let _ = writeln!(
        out.s,
        "/* {} from {src} ({} bytes) */\n",
        t.signature(),
        t.bytes.len()
    );
    match &t.table {
        Ok(Table::Srat(s)) => {
            header_text(&mut out, t, &s.header, "System Resource Affinity Table");
            srat_text(&mut out, s);
        }
        Ok(Table::Slit(s)) => {
            header_text(&mut out, t, &s.header, "System Locality Information Table");
            slit_text(&mut out, s);
        }
        Ok(Table::Hmat(h)) => {
            header_text(
                &mut out,
                t,
                &h.header,
                "Heterogeneous Memory Attribute Table",
            );
            hmat_text(&mut out, h);
        }
        Ok(Table::Other(o)) => {
            header_text(&mut out, t, &o.header, "not decoded");
            out.field(
                header::HEADER_LEN,
                o.body.0.len(),
                "Raw Data",
                hex_bytes(&o.body.0),
            );
            out.blank();
        }
        Err(e) => {
            let _ = writeln!(out.s, "**** cannot decode: {e}\n");
        }
    }
    out.s
}

/// The findings and guest node table as text.
pub fn findings_text(report: &Report) -> String {
    let mut s = String::new();
    if report.findings.is_empty() {
        s.push_str("Findings: none\n");
    } else {
        let _ = writeln!(s, "Findings:");
        for f in &report.findings {
            let place = match (&f.table, f.offset) {
                (Some(t), Some(o)) => format!("{t} @ 0x{o:03X} ({o})"),
                (Some(t), None) => t.clone(),
                (None, Some(o)) => format!("@ 0x{o:03X}"),
                (None, None) => String::new(),
            };
            let src = f
                .source
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<7} {}: {place}{src}: {}",
                f.severity, f.code, f.message
            );
        }
    }
    s.push('\n');
    if !report.guest_nodes.is_empty() {
        let _ = writeln!(
            s,
            "Guest nodes (Linux 6.12 numbering: processors and generic initiators in table order, then memory):"
        );
        let _ = writeln!(
            s,
            "  {:>6} {:>6} {:>5} {:>12} {:>12} {:>4} {:>4}",
            "PXM", "Node", "CPUs", "Memory", "Hotplug", "GI", "GP"
        );
        for g in &report.guest_nodes {
            let node = g.node.map_or("-".to_string(), |n| n.to_string());
            let _ = writeln!(
                s,
                "  {:>6} {:>6} {:>5} {:>12} {:>12} {:>4} {:>4}",
                g.pxm,
                node,
                g.cpus,
                if g.memory_bytes == 0 {
                    "-".into()
                } else {
                    size(g.memory_bytes)
                },
                if g.hotplug_bytes == 0 {
                    "-".into()
                } else {
                    size(g.hotplug_bytes)
                },
                g.generic_initiators,
                g.generic_ports
            );
        }
    }
    s
}

/// The whole text report: every table, then findings and guest nodes.
pub fn text_report(tables: &[LoadedTable], report: &Report) -> String {
    let mut s: String = tables.iter().map(table_text).collect();
    s.push_str(&findings_text(report));
    s
}

/// Loads, lints and returns both (convenience for the CLI).
pub fn inspect(paths: &[PathBuf]) -> anyhow::Result<(Vec<LoadedTable>, Report)> {
    let tables = load(paths)?;
    let report = lint(&tables);
    Ok((tables, report))
}
