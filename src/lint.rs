//! Findings about ACPI NUMA tables: what is malformed, and what Linux will do with them.
//!
//! [`lint`] takes every table given (decoded or not: a table that does not
//! decode becomes an error finding and the others are still checked) and
//! returns a [`Report`]: the findings and the Linux node ids the guest will
//! see ([`GuestNode`]).
//!
//! The Linux behaviour modelled here is that of Linux 6.12,
//! `drivers/acpi/numa/srat.c` and `arch/x86/mm/srat.c` (the node numbering
//! itself is [`crate::linux`]):
//!
//! * `acpi_numa_init()` walks the **first** SRAT twice. Pass 1 handles the
//!   processor affinities (Local APIC, x2APIC, GICC, RINTC) and the Generic
//!   Initiator affinities together, in table order; pass 2 handles the memory
//!   affinities. Entries without the Enabled flag are skipped. Generic Port
//!   affinities (type 6) are not handled by either pass: a PXM that only a
//!   Generic Port names gets no Linux node, and the PXMs mapped after it get
//!   the next free node ids (they "shift down" against PXM numbering).
//! * `acpi_map_pxm_to_node()` gives each new PXM the lowest unused node id,
//!   so node ids are handed out 0, 1, 2, ... in the order PXMs are first mapped.
//!   PXMs at or above `MAX_PXM_DOMAINS` are refused; that constant is 256 unless
//!   the kernel has `MAX_NUMNODES > 256` (`NODES_SHIFT > 8`; Debian's amd64
//!   kernel has `NODES_SHIFT=10`, so it maps PXMs up to 1023). This model uses
//!   256, the value of default configurations, and says so in the finding.
//! * With SRAT revision <= 1, a Local APIC affinity contributes only bits 7:0 of
//!   its proximity domain (bits 31:8 are read only from revision 2 on) and a
//!   memory affinity's proximity domain is masked with `0xff`.
//! * `slit_valid()`: every diagonal entry must be 10 and every other entry
//!   greater than 10, else the whole SLIT is ignored ("SLIT table looks invalid").
//! * Memory ranges of different nodes that overlap make NUMA set-up fail
//!   (`numa_cleanup_meminfo`), unless the ranges hold no boot RAM (hot-pluggable
//!   or non-volatile ranges are moved aside first): the latter is a warning.
//!
//! Not modelled: the MADT (CPUs without MADT entries), CEDT CFMWS windows (they
//! create extra nodes after the SRAT ones), `numa=off`/`numa=fake`, and the
//! x2APIC-ID validity checks of `apic_id_valid()`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::input::MAX_FINDINGS_PER_CODE;

use crate::acpi::header::{self, byte_sum};
use crate::acpi::srat::{FLAG_ENABLED, MEM_HOT_PLUGGABLE, MEM_NON_VOLATILE, PciHandle};
use crate::acpi::{DecodeError, DeviceHandle, Hmat, HmatStructure, Slit, Srat, SratEntry, Table};
use crate::linux::{
    MAX_PXM_DOMAINS, is_enabled as enabled, is_processor, linux_node_order, linux_pxm,
};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Linux will use the tables, but maybe not the way intended.
    Warning,
    /// Malformed, or Linux will ignore (part of) the tables.
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// Stable kebab-case id, e.g. `bad-checksum`.
    pub code: &'static str,
    /// What is wrong and what Linux does about it.
    pub message: String,
    /// Signature of the table concerned, e.g. `SRAT`.
    pub table: Option<String>,
    /// File the table came from, when known.
    pub source: Option<String>,
    /// Byte offset in that table.
    pub offset: Option<usize>,
}

/// One table as given to [`lint`]: where it came from, its bytes, and the decode result.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    /// File the table came from, when known.
    pub source: Option<String>,
    /// The table's bytes exactly as read.
    pub bytes: Vec<u8>,
    /// The decoded table, or why it did not decode.
    pub table: Result<Table, DecodeError>,
}

impl LoadedTable {
    /// Decodes `bytes` (one whole table).
    pub fn decode(source: Option<String>, bytes: Vec<u8>) -> Self {
        let table = Table::decode(&bytes);
        LoadedTable {
            source,
            bytes,
            table,
        }
    }

    /// Whether the bytes sum to zero (mod 256).
    pub fn checksum_valid(&self) -> bool {
        header::checksum_valid(&self.bytes)
    }

    /// The checksum byte that would make the table sum to zero, when the
    /// table is at least as long as its checksum field.
    pub fn correct_checksum(&self) -> Option<u8> {
        let cur = *self.bytes.get(header::CHECKSUM_OFFSET)?;
        Some(0u8.wrapping_sub(byte_sum(&self.bytes).wrapping_sub(cur)))
    }

    /// The signature as text (from the bytes, so also for tables that did not decode).
    pub fn signature(&self) -> String {
        header::sig_to_string(self.bytes.get(..4).unwrap_or(&self.bytes))
    }
}

/// What Linux makes of one proximity domain of the SRAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuestNode {
    /// The proximity domain as Linux reads it (after the revision <= 1 masking).
    pub pxm: u32,
    /// The Linux node id, or `None` when Linux maps no node to this PXM
    /// (Generic Port only, disabled entries only, or PXM too large).
    pub node: Option<u32>,
    /// Enabled processor affinity entries (LAPIC, x2APIC, GICC, RINTC).
    pub cpus: usize,
    /// Total length of the enabled memory ranges (hot-pluggable ones included).
    pub memory_bytes: u64,
    /// Of which hot-pluggable.
    pub hotplug_bytes: u64,
    /// Enabled Generic Initiator entries.
    pub generic_initiators: usize,
    /// Enabled Generic Port entries.
    pub generic_ports: usize,
}

/// Everything [`lint`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Findings, in table order.
    pub findings: Vec<Finding>,
    /// The PXMs of the (first) SRAT in the order Linux maps them, then the PXMs
    /// that get no node. Empty when no SRAT decoded.
    pub guest_nodes: Vec<GuestNode>,
}

impl Report {
    /// Whether any finding has error severity.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Findings with a given code (handy in tests).
    pub fn with_code(&self, code: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.code == code).collect()
    }
}

/// Linux's `LOCAL_DISTANCE`.
const LOCAL_DISTANCE: u8 = 10;

struct Ctx<'a> {
    findings: Vec<Finding>,
    table: Option<String>,
    source: Option<&'a str>,
    /// Findings listed so far, per code (a handful of codes: a short list,
    /// looked up by address first, see [`same_code`]).
    listed: Vec<(&'static str, usize)>,
    /// Findings not listed (past [`MAX_FINDINGS_PER_CODE`]), per code.
    omitted: Vec<(&'static str, Omitted)>,
}

/// The findings of one code left out of the list.
struct Omitted {
    count: u64,
    worst: Severity,
    table: Option<String>,
    source: Option<String>,
}

impl Ctx<'_> {
    /// Findings of `code` that may still be listed.
    fn room(&self, code: &'static str) -> usize {
        let listed = self.listed.iter().find(|(c, _)| same_code(c, code));
        MAX_FINDINGS_PER_CODE.saturating_sub(listed.map_or(0, |(_, n)| *n))
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        offset: Option<usize>,
        mut message: String,
    ) {
        if self.room(code) == 0 {
            self.omit(severity, code, 1);
            return;
        }
        // `format!` reserves about twice its literal text: give the rest back
        // (hundreds of listed messages otherwise hold ~2x their bytes).
        message.shrink_to_fit();
        match self.listed.iter_mut().find(|(c, _)| same_code(c, code)) {
            Some((_, n)) => *n += 1,
            None => self.listed.push((code, 1)),
        }
        self.findings.push(Finding {
            severity,
            code,
            message,
            table: self.table.clone(),
            source: self.source.map(str::to_owned),
            offset,
        });
    }

    /// [`Ctx::push`] with the message built only when the finding is listed
    /// (past [`MAX_FINDINGS_PER_CODE`] it is only counted: no `String` per entry).
    fn push_with(
        &mut self,
        severity: Severity,
        code: &'static str,
        offset: Option<usize>,
        message: impl FnOnce() -> String,
    ) {
        if self.room(code) == 0 {
            self.omit(severity, code, 1);
            return;
        }
        self.push(severity, code, offset, message());
    }

    /// Counts `count` findings of `code` that are not listed.
    fn omit(&mut self, severity: Severity, code: &'static str, count: u64) {
        if count == 0 {
            return;
        }
        let o = match self.omitted.iter().position(|(c, _)| same_code(c, code)) {
            Some(i) => self.omitted.get_mut(i).map(|(_, o)| o),
            None => {
                self.omitted.push((
                    code,
                    Omitted {
                        count: 0,
                        worst: severity,
                        table: self.table.clone(),
                        source: self.source.map(str::to_owned),
                    },
                ));
                self.omitted.last_mut().map(|(_, o)| o)
            }
        };
        if let Some(o) = o {
            o.count = o.count.saturating_add(count);
            o.worst = o.worst.max(severity);
        }
    }

    /// The findings, with one summary per code that had more than
    /// [`MAX_FINDINGS_PER_CODE`] (severity: the worst of those left out).
    fn finish(self) -> Vec<Finding> {
        let mut findings = self.findings;
        let mut omitted = self.omitted;
        // In code order, as a map by code would give them.
        omitted.sort_by(|a, b| a.0.cmp(b.0));
        for (code, o) in omitted {
            findings.push(Finding {
                severity: o.worst,
                code,
                message: format!(
                    "… and {} more {code} findings (only the first {MAX_FINDINGS_PER_CODE} are listed; the worst of the rest is {})",
                    o.count, o.worst
                ),
                table: o.table,
                source: o.source,
                offset: None,
            });
        }
        findings
    }
}

/// A finding message put together piece by piece, for the codes a large
/// table lists by the hundred (`format!` costs several times as much per
/// message, and reserves about twice the text).
struct Msg(Vec<u8>);

impl Msg {
    fn new(capacity: usize) -> Self {
        Msg(Vec::with_capacity(capacity))
    }

    fn s(mut self, t: &str) -> Self {
        self.0.extend_from_slice(t.as_bytes());
        self
    }

    /// `{v}`.
    fn dec(mut self, v: u64) -> Self {
        crate::digits::push_dec(&mut self.0, v);
        self
    }

    /// `{v:0width$x}`.
    fn hex(mut self, v: u64, width: usize) -> Self {
        crate::digits::put_hex_lower(&mut self.0, v, width);
        self
    }

    fn done(mut self) -> String {
        self.0.shrink_to_fit();
        // Only `&str` pieces and ASCII digits went in.
        String::from_utf8(self.0)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Whether two finding codes are the same: the same literal (address and
/// length) without comparing bytes, else equal text.
fn same_code(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

/// Checks every table and models what Linux 6.12 makes of them.
pub fn lint(tables: &[LoadedTable]) -> Report {
    let mut cx = Ctx {
        // Room for a few codes' worth of listed findings at once (capacity that is
        // never written costs no memory: no copy as the list grows).
        findings: Vec::with_capacity(4 * MAX_FINDINGS_PER_CODE),
        table: None,
        source: None,
        listed: Vec::new(),
        omitted: Vec::new(),
    };
    // The first SRAT is the one Linux uses (acpi_table_parse takes instance 0).
    let first_srat = tables.iter().find_map(|t| match &t.table {
        Ok(Table::Srat(s)) => Some(s),
        _ => None,
    });
    let mut srat_seen = 0usize;
    for t in tables {
        cx.table = Some(t.signature());
        cx.source = t.source.as_deref();
        let table = match &t.table {
            Ok(table) => table,
            Err(e) => {
                let from = t
                    .source
                    .as_deref()
                    .map_or(String::new(), |s| format!(" ({s})"));
                let message = if t.bytes.len() < header::HEADER_LEN {
                    format!(
                        "table does not decode: the input{from} is {}, at offset {}: an ACPI table starts with a {}-byte header",
                        if t.bytes.is_empty() {
                            "empty (0 bytes, no signature)".to_string()
                        } else {
                            format!("only {} bytes long", t.bytes.len())
                        },
                        t.bytes.len(),
                        header::HEADER_LEN
                    )
                } else {
                    format!("table does not decode: {e}")
                };
                cx.push(Severity::Error, "decode-error", Some(e.offset), message);
                continue;
            }
        };
        if !t.checksum_valid() {
            let cur = t.bytes.get(header::CHECKSUM_OFFSET).copied().unwrap_or(0);
            let want = t.correct_checksum().unwrap_or(0);
            cx.push(
                Severity::Error,
                "bad-checksum",
                Some(header::CHECKSUM_OFFSET),
                format!(
                    "checksum byte is 0x{cur:02x} but the table sums to 0x{:02x}; it should be 0x{want:02x} (Linux only warns, but firmware and table loaders may reject it)",
                    byte_sum(&t.bytes)
                ),
            );
        }
        match table {
            Table::Srat(s) => {
                srat_seen += 1;
                if srat_seen == 2 {
                    cx.push(
                        Severity::Warning,
                        "multiple-srat",
                        None,
                        "more than one SRAT given: Linux uses only the first one; guest nodes are modelled from the first".into(),
                    );
                }
                lint_srat(&mut cx, s);
            }
            Table::Slit(s) => lint_slit(&mut cx, s, first_srat),
            Table::Hmat(h) => lint_hmat(&mut cx, h, first_srat),
            // Table::Other, or a table kind a later codec decodes.
            _ => cx.push(
                Severity::Info,
                "not-numa-table",
                None,
                "not an SRAT, SLIT or HMAT: only the header and checksum were checked".into(),
            ),
        }
    }
    let guest_nodes = match first_srat {
        Some(s) => {
            cx.table = Some("SRAT".into());
            cx.source = tables
                .iter()
                .find(|t| matches!(t.table, Ok(Table::Srat(_))))
                .and_then(|t| t.source.as_deref());
            let nodes = guest_nodes(s);
            node_findings(&mut cx, s, &nodes);
            nodes
        }
        None => Vec::new(),
    };
    Report {
        findings: cx.finish(),
        guest_nodes,
    }
}

/// The Linux node id of every PXM of `srat`, in the order Linux maps them
/// (see the module docs and [`linux_node_order`]), followed by the PXMs that get
/// no node.
pub fn guest_nodes(srat: &Srat) -> Vec<GuestNode> {
    let rev = srat.header.revision;
    let max_pxm = srat.entries.iter().filter_map(|e| linux_pxm(e, rev)).max();
    let mut info = PxmSlots::new(max_pxm, srat.entries.len());
    for e in &srat.entries {
        let Some(pxm) = linux_pxm(e, rev) else {
            continue;
        };
        info.update(pxm, |g| {
            if !enabled(e) {
                return;
            }
            match e {
                SratEntry::GenericInitiator(_) => g.generic_initiators += 1,
                SratEntry::GenericPort(_) => g.generic_ports += 1,
                SratEntry::Memory { length, flags, .. } => {
                    g.memory_bytes = g.memory_bytes.saturating_add(*length);
                    if flags & MEM_HOT_PLUGGABLE != 0 {
                        g.hotplug_bytes = g.hotplug_bytes.saturating_add(*length);
                    }
                }
                _ if is_processor(e) => g.cpus += 1,
                // GIC ITS: no node from the SRAT passes.
                _ => {}
            }
        });
    }
    info.into_ordered(&linux_node_order(srat))
}

/// The guest node of each PXM while [`guest_nodes`] counts: a vector indexed by
/// PXM when the largest is small (the usual case: no tree walk per entry), else
/// a map. Either way the PXMs left at the end come out in ascending order.
enum PxmSlots {
    /// `index[p]` is 1 + the position of PXM `p`'s node in `nodes` (0: none
    /// yet, or taken out by `remove`).
    Dense {
        index: Vec<u32>,
        nodes: Vec<GuestNode>,
    },
    Sparse(BTreeMap<u32, GuestNode>),
}

impl PxmSlots {
    /// A vector when the largest PXM is below 4 slots per SRAT entry (+ 256),
    /// so that it is never much larger than the table.
    fn new(max_pxm: Option<u32>, entries: usize) -> Self {
        match max_pxm {
            Some(m) if (m as usize) < entries.saturating_mul(4).saturating_add(256) => {
                PxmSlots::Dense {
                    index: vec![0; m as usize + 1],
                    nodes: Vec::with_capacity(entries.min(m as usize + 1)),
                }
            }
            _ => PxmSlots::Sparse(BTreeMap::new()),
        }
    }

    fn empty(pxm: u32) -> GuestNode {
        GuestNode {
            pxm,
            node: None,
            cpus: 0,
            memory_bytes: 0,
            hotplug_bytes: 0,
            generic_initiators: 0,
            generic_ports: 0,
        }
    }

    /// Calls `f` on the node of `pxm`, created empty when first seen.
    fn update(&mut self, pxm: u32, f: impl FnOnce(&mut GuestNode)) {
        if let PxmSlots::Dense { index, nodes } = self
            && index.get(pxm as usize).is_none()
        {
            // Past the vector `new` sized (not expected): a map from here on.
            let m = nodes.drain(..).map(|g| (g.pxm, g)).collect();
            *self = PxmSlots::Sparse(m);
        }
        match self {
            PxmSlots::Dense { index, nodes } => {
                let Some(slot) = index.get_mut(pxm as usize) else {
                    return;
                };
                if *slot == 0 {
                    nodes.push(Self::empty(pxm));
                    *slot = u32::try_from(nodes.len()).unwrap_or(0);
                }
                if let Some(g) = (*slot as usize)
                    .checked_sub(1)
                    .and_then(|i| nodes.get_mut(i))
                {
                    f(g);
                }
            }
            PxmSlots::Sparse(m) => f(m.entry(pxm).or_insert_with(|| Self::empty(pxm))),
        }
    }

    /// The nodes in the order Linux numbers them (`order`: PXMs in mapping
    /// order, a PXM's node id is its position there), then the PXMs left
    /// without a node in ascending order. Sorted in place: one vector of nodes.
    fn into_ordered(self, order: &[u32]) -> Vec<GuestNode> {
        let mut nodes = match self {
            PxmSlots::Dense { index, mut nodes } => {
                for (node, pxm) in order.iter().enumerate() {
                    let g = index
                        .get(*pxm as usize)
                        .and_then(|&slot| (slot as usize).checked_sub(1))
                        .and_then(|i| nodes.get_mut(i));
                    if let Some(g) = g.filter(|g| g.node.is_none()) {
                        g.node = u32::try_from(node).ok();
                    }
                }
                nodes
            }
            PxmSlots::Sparse(mut m) => {
                for (node, pxm) in order.iter().enumerate() {
                    if let Some(g) = m.get_mut(pxm).filter(|g| g.node.is_none()) {
                        g.node = u32::try_from(node).ok();
                    }
                }
                m.into_values().collect()
            }
        };
        // Numbered nodes by id (ids are distinct positions), then the rest by PXM.
        nodes.sort_unstable_by_key(|g| (g.node.is_none(), g.node, g.pxm));
        nodes
    }
}

fn node_findings(cx: &mut Ctx, srat: &Srat, nodes: &[GuestNode]) {
    let renumbered: Vec<String> = nodes
        .iter()
        .filter_map(|g| {
            g.node
                .filter(|&n| n != g.pxm)
                .map(|n| format!("PXM {} -> node {n}", g.pxm))
        })
        .collect();
    if !renumbered.is_empty() {
        cx.push(
            Severity::Info,
            "node-ids-differ",
            None,
            format!(
                "Linux node ids are not the PXMs here (nodes are numbered in the order PXMs are first mapped: processors and generic initiators in table order, then memory): {}",
                renumbered.join(", ")
            ),
        );
    }
    for g in nodes.iter().filter(|g| g.node.is_none()) {
        if g.generic_ports > 0 && g.pxm < MAX_PXM_DOMAINS {
            cx.push(
                Severity::Info,
                "generic-port-no-node",
                None,
                format!(
                    "PXM {} is named only by a Generic Port: Linux gives it no node, so the nodes of PXMs mapped after it are numbered one lower",
                    g.pxm
                ),
            );
        }
    }
    let has_memory = srat
        .entries
        .iter()
        .any(|e| matches!(e, SratEntry::Memory { flags, .. } if flags & FLAG_ENABLED != 0));
    if !has_memory {
        cx.push(
            Severity::Error,
            "srat-no-memory",
            None,
            "no enabled memory affinity entry: Linux's acpi_numa_init() fails (-ENOENT) and the guest gets a single node".into(),
        );
    }
}

fn lint_srat(cx: &mut Ctx, srat: &Srat) {
    let rev = srat.header.revision;
    if srat.table_revision != 1 {
        cx.push(
            Severity::Info,
            "srat-reserved-not-1",
            Some(header::HEADER_LEN),
            format!(
                "the reserved dword at offset 36 is {} (ACPI: must be 1 for backward compatibility)",
                srat.table_revision
            ),
        );
    }
    // At most one range per structure: allocated once (pages never written cost nothing).
    let mut mem: Vec<MemRange> = Vec::with_capacity(srat.entries.len());
    for (e, off) in srat.entries_with_offsets() {
        if let SratEntry::Unknown {
            subtable_type,
            bytes,
        } = e
        {
            lint_unknown_srat(cx, *subtable_type, bytes.0.len(), off);
            continue;
        }
        lint_srat_pxm(cx, e, rev, off);
        match e {
            SratEntry::GenericInitiator(g) | SratEntry::GenericPort(g) => {
                let gi = matches!(e, SratEntry::GenericInitiator(_));
                let name = if gi { "Generic Initiator" } else { "Generic Port" };
                if g.flags & FLAG_ENABLED == 0 {
                    cx.push_with(
                        if gi { Severity::Warning } else { Severity::Info },
                        if gi { "gi-disabled" } else { "gp-disabled" },
                        Some(off + 24),
                        || {
                            format!(
                                "{name} for PXM {} has the Enabled flag clear (flags 0x{:x}): Linux ignores the entry{}",
                                g.proximity_domain,
                                g.flags,
                                if gi { " and creates no node for it" } else { "" }
                            )
                        },
                    );
                }
                lint_handle(cx, srat, name, &g.device_handle, off);
                if gi {
                    lint_gi_devfn(cx, name, &g.device_handle, off);
                }
            }
            SratEntry::Memory {
                base_address,
                length,
                flags,
                ..
            } if flags & FLAG_ENABLED != 0 && *length > 0 => match base_address.checked_add(*length) {
                Some(end) => mem.push(MemRange {
                    base: *base_address,
                    end,
                    pxm: linux_pxm(e, rev).unwrap_or(0),
                    flags: *flags,
                    offset: off,
                }),
                None => cx.push(
                    Severity::Error,
                    "memory-range-overflow",
                    Some(off + 8),
                    format!(
                        "memory range base 0x{base_address:x} length 0x{length:x} runs past the end of the 64-bit address space"
                    ),
                ),
            },
            _ => {}
        }
    }
    lint_overlaps(cx, &mut mem);
}

/// The proximity domain of an SRAT entry as Linux reads it: truncated to 8 bits
/// before revision 2, unmappable at or above `MAX_PXM_DOMAINS`.
fn lint_srat_pxm(cx: &mut Ctx, e: &SratEntry, rev: u8, off: usize) {
    if let (Some(declared), Some(used)) = (e.proximity_domain(), linux_pxm(e, rev)) {
        if declared != used && enabled(e) {
            cx.push_with(Severity::Warning, "pxm-truncated", Some(off), || {
                // "{type} entry has proximity domain {declared} (0x{declared:x}) but
                // the SRAT revision is {rev}: Linux reads only bits 7:0 and uses PXM {used}"
                Msg::new(160)
                    .s(e.type_name())
                    .s(" entry has proximity domain ")
                    .dec(declared.into())
                    .s(" (0x")
                    .hex(declared.into(), 0)
                    .s(") but the SRAT revision is ")
                    .dec(rev.into())
                    .s(": Linux reads only bits 7:0 and uses PXM ")
                    .dec(used.into())
                    .done()
            });
        }
        if used >= MAX_PXM_DOMAINS && enabled(e) {
            let effect = match e {
                SratEntry::GenericInitiator(_) => {
                    "the entry is skipped (\"SRAT: Too many proximity domains\")"
                }
                SratEntry::GenericPort(_) | SratEntry::GicIts { .. } => {
                    "no node can be found for it"
                }
                _ => {
                    "Linux rejects the whole SRAT (bad_srat: \"SRAT not used\") and the guest gets one node"
                }
            };
            cx.push_with(Severity::Error, "pxm-unmappable", Some(off), || {
                // "{type} entry has proximity domain {used}: kernels with MAX_NUMNODES
                // <= 256 cannot map PXMs >= {MAX_PXM_DOMAINS} (MAX_PXM_DOMAINS) and
                // {effect}; only kernels with NODES_SHIFT > 8 (…) accept it"
                Msg::new(320)
                    .s(e.type_name())
                    .s(" entry has proximity domain ")
                    .dec(used.into())
                    .s(": kernels with MAX_NUMNODES <= 256 cannot map PXMs >= ")
                    .dec(MAX_PXM_DOMAINS.into())
                    .s(" (MAX_PXM_DOMAINS) and ")
                    .s(effect)
                    .s("; only kernels with NODES_SHIFT > 8 (e.g. Debian amd64, NODES_SHIFT=10: PXM < 1024) accept it")
                    .done()
            });
        }
    }
}

fn lint_unknown_srat(cx: &mut Ctx, typ: u8, len: usize, off: usize) {
    match crate::acpi::srat::expected_len(typ) {
        Some(want) => {
            // Linux: LAPIC needs exactly 16 bytes, memory/x2APIC/GICC at least
            // their size, else bad_srat(); longer ones are still used.
            use crate::acpi::srat::entry_type::{GICC, LOCAL_APIC, MEMORY, X2APIC};
            let fatal = (typ == LOCAL_APIC && len != want)
                || (matches!(typ, MEMORY | X2APIC | GICC) && len < want);
            cx.push(
                if fatal { Severity::Error } else { Severity::Warning },
                "srat-structure-length",
                Some(off + 1),
                format!(
                    "structure type {typ} has Length {len}, expected {want}: {}; it is kept as raw bytes here",
                    if fatal {
                        "Linux rejects the whole SRAT (bad_srat)"
                    } else {
                        "this tool does not decode it"
                    }
                ),
            );
        }
        None => cx.push(
            Severity::Info,
            "srat-unknown-structure",
            Some(off),
            format!(
                "structure type {typ} ({len} bytes) is not known to this tool; Linux 6.12 logs \"Found unsupported SRAT entry\" and skips it"
            ),
        ),
    }
}

fn lint_handle(cx: &mut Ctx, srat: &Srat, name: &str, h: &DeviceHandle, off: usize) {
    let handle_off = off + 8;
    match h {
        DeviceHandle::Pci(p) => {
            let bus = p.bus;
            let devfn = p.devfn();
            let r = p.reserved;
            // Cloud Hypervisor writes segment, bus, bus, device, device,
            // function, function, then zeros: bytes 2..8 repeat in pairs.
            let ch = r[..4] != [0; 4]
                && bus == devfn
                && r[0] == r[1]
                && r[2] == r[3]
                && r[0] < 32
                && r[2] < 8
                && r[4..] == [0; 8];
            if ch {
                cx.push(
                    Severity::Warning,
                    "pci-handle-repeated-bytes",
                    Some(handle_off),
                    format!(
                        "{name} PCI handle bytes are segment, bus, bus, device, device, function, function (Cloud Hypervisor's layout): the spec layout is segment (2 bytes), bus, devfn, 12 reserved zero bytes; the device meant is probably {}, read as written it is {p}",
                        PciHandle::new(p.segment, bus, r[0], r[2])
                    ),
                );
            } else if r != [0; 12] {
                cx.push(
                    Severity::Warning,
                    "pci-handle-reserved",
                    Some(handle_off + 4),
                    format!("{name} PCI handle has non-zero reserved bytes 4..16"),
                );
            }
            if r == [0; 12] {
                lint_swapped(cx, srat, name, p.segment, bus, devfn, handle_off);
            }
        }
        DeviceHandle::Acpi(_) => {}
        // DeviceHandle::Raw, or a handle kind a later codec decodes.
        other => cx.push(
            Severity::Warning,
            "device-handle-type",
            Some(off + 3),
            format!(
                "{name} has Device Handle Type {}: only 0 (ACPI) and 1 (PCI) are defined",
                other.handle_type()
            ),
        ),
    }
}

/// A GI PCI handle for a device that is not device 0 function 0: NVIDIA's guest
/// driver (open-gpu-kernel-modules, `kernel-open/nvidia/nv-pci.c`,
/// `find_gpu_numa_nodes_in_srat`) refuses the GI entries of such a GPU ("non-zero
/// device function is not supported"), so the GPU gets no memory nodes. The table
/// does not say which device it is, hence information, not a warning. A handle
/// that reads as swapped (see [`lint_swapped`]) is reported there instead.
fn lint_gi_devfn(cx: &mut Ctx, name: &str, h: &DeviceHandle, off: usize) {
    let DeviceHandle::Pci(p) = h else { return };
    let swapped_like = p.bus == 0 && p.devfn() != 0 && p.devfn() < 8;
    if p.devfn() == 0 || swapped_like || p.reserved != [0; 12] {
        return;
    }
    cx.push_with(Severity::Info, "gi-pci-devfn", Some(off + 8 + 3), || {
        // "{name} PCI handle is {p}, not device 0 function 0: …", `p` as
        // PciHandle's Display writes it ("{:04x}:{:02x}:{:02x}.{:x}").
        Msg::new(320)
            .s(name)
            .s(" PCI handle is ")
            .hex(p.segment.into(), 4)
            .s(":")
            .hex(p.bus.into(), 2)
            .s(":")
            .hex(p.device.into(), 2)
            .s(".")
            .hex(p.function.into(), 0)
            .s(", not device 0 function 0: if this is an NVIDIA GPU, the guest's NVIDIA driver ignores its generic initiator entries (\"non-zero device function is not supported\") and the GPU gets no memory nodes; put it at 00.0 behind its own PCIe root port")
            .done()
    });
}

/// The byte order of QEMU 9.0 to 9.1.1 and of the v5 generic-initiator series
/// wrote the 16-bit value `bus << 8 | devfn` little-endian: byte 10 = devfn,
/// byte 11 = bus, the reverse of the spec (byte 10 = bus, byte 11 = devfn).
///
/// Heuristic (both patterns are legal handles, so these are warnings):
/// * read as written, the device is `0000:00:00.F` with `F != 0`: slot 0 of
///   the root bus is the host bridge (single function on QEMU's machines), so
///   this is far more likely a device at `0000:0F:00.0` (function 0 of slot 0 behind
///   a root port or bridge with secondary bus F) written swapped;
/// * read as written, the device is `BB:00.0` with `BB >= 8`, and the table was
///   made by QEMU (Creator ID `BXPC`): QEMU numbers bridge buses from 1 up, so
///   a bus of 8 or more is rare, while a swapped handle of a root-bus device
///   in slot `BB >> 3` looks exactly like this (e.g. 00:04.0 → bytes `00 00 20 00`).
///   Only a device at function 0 of slot 0 on a pxb bus numbered >= 8 looks
///   the same when correct; the message says so.
///
/// QEMU 10's own handles (`bus` then `devfn`, e.g. `01 02` for 01:00.2 in the
/// golden blobs) match neither pattern.
fn lint_swapped(cx: &mut Ctx, srat: &Srat, name: &str, seg: u16, bus: u8, devfn: u8, off: usize) {
    let swapped = PciHandle::from_devfn(seg, devfn, bus);
    let written = PciHandle::from_devfn(seg, bus, devfn);
    let qemu = srat.header.creator_id.0 == *b"BXPC";
    if bus == 0 && devfn != 0 && devfn < 8 {
        cx.push(
            Severity::Warning,
            "pci-handle-swapped",
            Some(off + 2),
            format!(
                "{name} PCI handle reads as {written}, which is slot 0 of the root bus (the host bridge): probably bus and devfn are swapped (QEMU 9.0-9.1.1 / v5 series byte order) and the device is {swapped}"
            ),
        );
    } else if bus >= 8 && devfn == 0 && qemu {
        cx.push(
            Severity::Warning,
            "pci-handle-swapped",
            Some(off + 2),
            format!(
                "{name} PCI handle bytes 10..12 are {bus:02x} {devfn:02x}: read as written the device is {written}, but this QEMU-made table more likely has bus and devfn swapped (QEMU 9.0-9.1.1 / v5 series byte order) for a device at {swapped} (heuristic; a device at 00.0 of a pxb bus numbered 0x{bus:02x} looks the same)"
            ),
        );
    }
}

struct MemRange {
    base: u64,
    end: u64,
    pxm: u32,
    flags: u32,
    offset: usize,
}

/// Whether a range is boot RAM (neither hot-pluggable nor non-volatile).
fn is_boot_ram(m: &MemRange) -> bool {
    m.flags & (MEM_HOT_PLUGGABLE | MEM_NON_VOLATILE) == 0
}

/// One finding per overlapping pair of ranges, in O(n log n + listed findings):
/// a sweep over the ranges sorted by base keeps the ranges still open in a heap
/// (by end) and counts the open boot-RAM ranges per PXM, so the pairs past
/// [`MAX_FINDINGS_PER_CODE`] are counted (and their worst severity known)
/// without being enumerated.
/// A count per PXM: a vector for the PXMs below 4096 (every PXM Linux maps),
/// a map for larger ones.
#[derive(Default)]
struct PxmCounts {
    small: Vec<usize>,
    large: BTreeMap<u32, usize>,
}

impl PxmCounts {
    const SMALL: u32 = 4096;

    fn get(&self, pxm: u32) -> usize {
        if pxm < Self::SMALL {
            self.small.get(pxm as usize).copied().unwrap_or(0)
        } else {
            self.large.get(&pxm).copied().unwrap_or(0)
        }
    }

    fn increment(&mut self, pxm: u32) {
        if pxm < Self::SMALL {
            let i = pxm as usize;
            if self.small.len() <= i {
                self.small.resize(i + 1, 0);
            }
            if let Some(n) = self.small.get_mut(i) {
                *n += 1;
            }
        } else {
            *self.large.entry(pxm).or_default() += 1;
        }
    }

    fn decrement(&mut self, pxm: u32) {
        let n = if pxm < Self::SMALL {
            self.small.get_mut(pxm as usize)
        } else {
            self.large.get_mut(&pxm)
        };
        if let Some(n) = n {
            *n = n.saturating_sub(1);
        }
    }
}

fn lint_overlaps(cx: &mut Ctx, mem: &mut [MemRange]) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    mem.sort_by_key(|m| (m.base, m.end));
    let mut open: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut open_ram: usize = 0;
    let mut open_ram_of = PxmCounts::default();
    for (j, b) in mem.iter().enumerate() {
        while let Some(&Reverse((end, i))) = open.peek() {
            if end > b.base {
                break;
            }
            open.pop();
            if let Some(a) = mem.get(i)
                && is_boot_ram(a)
            {
                open_ram = open_ram.saturating_sub(1);
                open_ram_of.decrement(a.pxm);
            }
        }
        let overlaps = open.len();
        let errors = if is_boot_ram(b) {
            open_ram.saturating_sub(open_ram_of.get(b.pxm))
        } else {
            0
        };
        let mut listed_errors = 0;
        let mut earlier: Vec<usize> = open
            .iter()
            .map(|Reverse((_, i))| *i)
            .take(cx.room("memory-overlap"))
            .collect();
        earlier.sort_unstable();
        for &i in &earlier {
            let Some(a) = mem.get(i) else { continue };
            let (sev, what) = overlap_finding(a, b);
            if sev == Severity::Error {
                listed_errors += 1;
            }
            cx.push(
                sev,
                "memory-overlap",
                Some(b.offset),
                format!(
                    "memory range [0x{:x}, 0x{:x}) (entry at offset {}) overlaps [0x{:x}, 0x{:x}) (entry at offset {}): {what}",
                    b.base, b.end, b.offset, a.base, a.end, a.offset
                ),
            );
        }
        let rest = overlaps.saturating_sub(earlier.len());
        let rest_errors = errors.saturating_sub(listed_errors).min(rest);
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        cx.omit(Severity::Error, "memory-overlap", count(rest_errors));
        cx.omit(
            Severity::Warning,
            "memory-overlap",
            count(rest - rest_errors),
        );
        open.push(Reverse((b.end, j)));
        if is_boot_ram(b) {
            open_ram += 1;
            open_ram_of.increment(b.pxm);
        }
    }
}

/// The severity and explanation of ranges `a` and `b` overlapping.
fn overlap_finding(a: &MemRange, b: &MemRange) -> (Severity, String) {
    if a.pxm == b.pxm {
        (
            Severity::Warning,
            "Linux merges ranges of the same node".to_string(),
        )
    } else if !is_boot_ram(a) || !is_boot_ram(b) {
        (
            Severity::Warning,
            "one of them is hot-pluggable or non-volatile: harmless while no boot RAM lies in the overlap (Linux sets such ranges aside), fatal to NUMA set-up otherwise".to_string(),
        )
    } else {
        (
            Severity::Error,
            format!(
                "they belong to different nodes (PXM {} and {}): Linux's NUMA set-up fails (\"overlaps with node\") and the guest gets one node",
                a.pxm, b.pxm
            ),
        )
    }
}

/// The PXMs named by any SRAT entry.
fn srat_pxms(srat: &Srat) -> Vec<u32> {
    // What `Srat::proximity_domains_in_order` gives, in O(n log n) instead of O(n · PXMs).
    let mut seen = std::collections::BTreeSet::new();
    srat.entries
        .iter()
        .filter_map(SratEntry::proximity_domain)
        .filter(|&p| seen.insert(p))
        .collect()
}

fn lint_slit(cx: &mut Ctx, slit: &Slit, srat: Option<&Srat>) {
    let n = slit.locality_count();
    let matrix = crate::acpi::slit::MATRIX_OFFSET;
    lint_slit_values(cx, slit);
    if n == 0 {
        cx.push(
            Severity::Warning,
            "slit-empty",
            Some(header::HEADER_LEN),
            "the SLIT has no localities".into(),
        );
    }
    if !slit.trailing.0.is_empty() {
        cx.push(
            Severity::Warning,
            "slit-trailing-bytes",
            Some(matrix + n * n),
            format!("{} bytes after the {n}x{n} matrix", slit.trailing.0.len()),
        );
    }
    let Some(srat) = srat else {
        cx.push(
            Severity::Info,
            "no-srat",
            None,
            "no SRAT among the inputs: the cross-checks against the SRAT were skipped (Linux ignores a SLIT when there is no SRAT)".into(),
        );
        return;
    };
    lint_slit_vs_srat(cx, slit, srat);
}

/// The first invalid distance (Linux's slit_valid()) and asymmetric pairs.
fn lint_slit_values(cx: &mut Ctx, slit: &Slit) {
    let n = slit.locality_count();
    let matrix = crate::acpi::slit::MATRIX_OFFSET;
    // One pass: the first entry Linux's slit_valid() rejects, and the 255s.
    let mut bad: Option<(usize, usize, u8)> = None;
    let mut unreachable: Option<(usize, usize)> = None;
    let mut unreachable_count = 0usize;
    for (i, row) in slit.distances.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let invalid = if i == j {
                v != LOCAL_DISTANCE
            } else {
                v <= LOCAL_DISTANCE
            };
            if invalid && bad.is_none() {
                bad = Some((i, j, v));
            }
            if i != j && v == 0xff {
                unreachable_count += 1;
                unreachable.get_or_insert((i, j));
            }
        }
    }
    if let Some((i, j, v)) = bad {
        let rule = if i == j {
            "a diagonal entry must be 10"
        } else {
            "an off-diagonal entry must be greater than 10"
        };
        cx.push(
            Severity::Error,
            "slit-invalid",
            Some(matrix + i * n + j),
            format!(
                "distance [{i}][{j}] is {v}: {rule}; Linux's slit_valid() rejects the whole SLIT (\"SLIT table looks invalid. Not used.\") and uses 10/20 defaults"
            ),
        );
    }
    if let Some((i, j)) = unreachable {
        let count = unreachable_count;
        cx.push(
            Severity::Info,
            "slit-unreachable",
            Some(matrix + i * n + j),
            format!(
                "distance [{i}][{j}] is 255 ({count} such entr{} in all): ACPI's \"unreachable\"; Linux keeps 255 as a distance (the farthest), so these nodes are still used, only last",
                if count == 1 { "y" } else { "ies" }
            ),
        );
    }
    // [i][j] against [j][i] for i < j, in 64 × 64 tiles (a column walk of a
    // 1024-locality matrix misses the cache on every step); the first pair in
    // row order is reported, with the count.
    const TILE: usize = 64;
    let d = &slit.distances;
    let mut first: Option<(usize, usize, u8, u8)> = None;
    let mut count = 0usize;
    for bi in (0..d.len()).step_by(TILE) {
        for bj in (bi..d.len()).step_by(TILE) {
            for (i, row) in d.iter().enumerate().skip(bi).take(TILE) {
                for (j, &v) in row.iter().enumerate().skip(bj.max(i + 1)).take(TILE) {
                    if j >= bj + TILE {
                        break;
                    }
                    if let Some(b) = d.get(j).and_then(|r| r.get(i)).copied()
                        && b != v
                    {
                        count += 1;
                        if first.is_none_or(|(fi, fj, _, _)| (i, j) < (fi, fj)) {
                            first = Some((i, j, v, b));
                        }
                    }
                }
            }
        }
    }
    if let Some((i, j, v, b)) = first {
        cx.push(
            Severity::Info,
            "slit-asymmetric",
            Some(matrix + i * n + j),
            format!(
                "distance [{i}][{j}] = {v} but [{j}][{i}] = {b} ({count} asymmetric pair(s) in all): allowed, but unusual"
            ),
        );
    }
}

/// The SLIT's localities against the SRAT's proximity domains.
fn lint_slit_vs_srat(cx: &mut Ctx, slit: &Slit, srat: &Srat) {
    let n = slit.locality_count();
    let pxms = srat_pxms(srat);
    let pxm_set: std::collections::BTreeSet<u32> = pxms.iter().copied().collect();
    if pxms.len() != n {
        cx.push(
            Severity::Warning,
            "slit-locality-count",
            Some(header::HEADER_LEN),
            format!(
                "the SLIT has {n} localities but the SRAT names {} proximity domains",
                pxms.len()
            ),
        );
    }
    let absent: Vec<String> = (0..n)
        .filter(|&i| u32::try_from(i).map_or(true, |i| !pxm_set.contains(&i)))
        .map(|i| i.to_string())
        .collect();
    if !absent.is_empty() {
        cx.push(
            Severity::Warning,
            "slit-pxm-absent",
            Some(header::HEADER_LEN),
            format!(
                "SLIT localities {} are not proximity domains of the SRAT: Linux skips their rows and columns",
                absent.join(", ")
            ),
        );
    }
    let uncovered: Vec<String> = pxms
        .iter()
        .filter(|&&p| usize::try_from(p).map_or(true, |p| p >= n))
        .map(|p| p.to_string())
        .collect();
    if !uncovered.is_empty() {
        cx.push(
            Severity::Warning,
            "slit-pxm-missing",
            Some(header::HEADER_LEN),
            format!(
                "SRAT proximity domains {} have no SLIT row (locality i is PXM i): Linux uses the default distances 10/20 for them",
                uncovered.join(", ")
            ),
        );
    }
}

fn lint_hmat(cx: &mut Ctx, hmat: &Hmat, srat: Option<&Srat>) {
    match hmat.header.revision {
        2 => {}
        1 => cx.push(
            Severity::Warning,
            "hmat-revision-1",
            Some(8),
            "HMAT revision 1 (ACPI 6.2): structure 0 then carried an address range and other flag meanings, and Linux reads latencies in another unit; this tool decodes the revision 2 layout".into(),
        ),
        r => cx.push(
            Severity::Warning,
            "hmat-revision",
            Some(8),
            format!("HMAT revision {r}: Linux 6.12 only parses revisions 1 and 2 and ignores this table"),
        ),
    }
    let pxms: Option<std::collections::BTreeSet<u32>> =
        srat.map(|s| srat_pxms(s).into_iter().collect());
    if pxms.is_none() {
        cx.push(
            Severity::Info,
            "no-srat",
            None,
            "no SRAT among the inputs: the cross-checks against the SRAT were skipped".into(),
        );
    }
    let mut absent: BTreeMap<u32, (usize, Vec<&str>)> = BTreeMap::new();
    for (s, off) in hmat.structures_with_offsets() {
        let mut named: Vec<(u32, &str, usize)> = Vec::new();
        match s {
            HmatStructure::MemoryProximityDomainAttributes {
                flags,
                initiator_proximity_domain,
                memory_proximity_domain,
                ..
            } => {
                if flags & crate::acpi::hmat::MPDA_INITIATOR_VALID != 0 {
                    named.push((*initiator_proximity_domain, "attached initiator", off + 12));
                }
                named.push((*memory_proximity_domain, "memory", off + 16));
            }
            HmatStructure::LocalityLatencyBandwidth(l) => {
                if usize::from(l.data_type) >= crate::acpi::hmat::DATA_TYPE_NAMES.len() {
                    cx.push(
                        Severity::Warning,
                        "hmat-data-type",
                        Some(off + 9),
                        format!(
                            "locality structure has data type {}: only 0..5 are defined",
                            l.data_type
                        ),
                    );
                }
                let ni = l.initiators.len();
                for (k, &p) in l.initiators.iter().enumerate() {
                    named.push((p, "initiator", off + 32 + 4 * k));
                }
                for (k, &p) in l.targets.iter().enumerate() {
                    named.push((p, "target", off + 32 + 4 * ni + 4 * k));
                }
            }
            HmatStructure::MemorySideCache {
                memory_proximity_domain,
                ..
            } => named.push((*memory_proximity_domain, "memory", off + 8)),
            // HmatStructure::Unknown, or a structure a later codec decodes.
            other => cx.push(
                Severity::Info,
                "hmat-unknown-structure",
                Some(off),
                format!(
                    "HMAT structure type {} ({} bytes) is not decoded by this tool",
                    other.type_id(),
                    other.encoded_len()
                ),
            ),
        }
        if let Some(pxms) = &pxms {
            for (p, role, o) in named {
                if !pxms.contains(&p) {
                    let a = absent.entry(p).or_insert((o, Vec::new()));
                    if !a.1.contains(&role) {
                        a.1.push(role);
                    }
                }
            }
        }
    }
    // One finding per absent PXM, at its first reference.
    for (p, (o, roles)) in absent {
        cx.push(
            Severity::Warning,
            "hmat-pxm-absent",
            Some(o),
            format!(
                "HMAT names proximity domain {p} (as {}) but the SRAT does not: Linux finds no node for it and skips those entries",
                roles.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    //! Inputs are QEMU golden blobs mutated at known offsets, or SRATs written
    //! byte by byte from the ACPI 6.5 layouts (one comment per field).
    use super::*;

    fn golden(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/qemu-golden")
            .join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// Makes the bytes sum to zero again after a mutation (byte 9 is the checksum).
    fn fix_checksum(b: &mut [u8]) {
        b[9] = 0;
        let sum = b.iter().fold(0u8, |a, x| a.wrapping_add(*x));
        b[9] = 0u8.wrapping_sub(sum);
    }

    fn run(tables: Vec<Vec<u8>>) -> Report {
        let loaded: Vec<LoadedTable> = tables
            .into_iter()
            .enumerate()
            .map(|(i, b)| LoadedTable::decode(Some(format!("t{i}")), b))
            .collect();
        lint(&loaded)
    }

    fn codes(r: &Report) -> Vec<(Severity, &'static str)> {
        r.findings.iter().map(|f| (f.severity, f.code)).collect()
    }

    /// An SRAT: 36-byte header, 12-byte body, then the given structures.
    fn srat(revision: u8, structures: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = structures.concat();
        let len = u32::try_from(48 + body.len()).unwrap();
        let mut b = Vec::new();
        b.extend_from_slice(b"SRAT"); // 0: Signature
        b.extend_from_slice(&len.to_le_bytes()); // 4: Length
        b.push(revision); // 8: Revision
        b.push(0); // 9: Checksum (filled below)
        b.extend_from_slice(b"BOCHS "); // 10: OEM ID
        b.extend_from_slice(b"BXPC    "); // 16: OEM Table ID
        b.extend_from_slice(&1u32.to_le_bytes()); // 24: OEM Revision
        b.extend_from_slice(b"BXPC"); // 28: Creator ID
        b.extend_from_slice(&1u32.to_le_bytes()); // 32: Creator Revision
        b.extend_from_slice(&1u32.to_le_bytes()); // 36: reserved, 1
        b.extend_from_slice(&0u64.to_le_bytes()); // 40: reserved
        b.extend_from_slice(&body);
        fix_checksum(&mut b);
        b
    }

    /// Type 0, Processor Local APIC Affinity (16 bytes).
    fn lapic(pxm: u32, apic: u8, flags: u32) -> Vec<u8> {
        let p = pxm.to_le_bytes();
        let mut b = vec![0, 16, p[0], apic]; // type, length, PXM 7:0, APIC ID
        b.extend_from_slice(&flags.to_le_bytes()); // 4: flags
        b.push(0); // 8: SAPIC EID
        b.extend_from_slice(&p[1..4]); // 9: PXM 31:8
        b.extend_from_slice(&0u32.to_le_bytes()); // 12: clock domain
        b
    }

    /// Type 1, Memory Affinity (40 bytes).
    fn mem(pxm: u32, base: u64, len: u64, flags: u32) -> Vec<u8> {
        let mut b = vec![1, 40]; // type, length
        b.extend_from_slice(&pxm.to_le_bytes()); // 2: proximity domain
        b.extend_from_slice(&[0, 0]); // 6: reserved
        b.extend_from_slice(&base.to_le_bytes()); // 8: base address
        b.extend_from_slice(&len.to_le_bytes()); // 16: length
        b.extend_from_slice(&[0; 4]); // 24: reserved
        b.extend_from_slice(&flags.to_le_bytes()); // 28: flags
        b.extend_from_slice(&[0; 8]); // 32: reserved
        b
    }

    /// Type 5/6, Generic Initiator/Port Affinity (32 bytes).
    fn generic(typ: u8, handle_type: u8, pxm: u32, handle: [u8; 16], flags: u32) -> Vec<u8> {
        let mut b = vec![typ, 32, 0, handle_type]; // type, length, reserved, handle type
        b.extend_from_slice(&pxm.to_le_bytes()); // 4: proximity domain
        b.extend_from_slice(&handle); // 8: device handle
        b.extend_from_slice(&flags.to_le_bytes()); // 24: flags
        b.extend_from_slice(&[0; 4]); // 28: reserved
        b
    }

    /// PCI handle bytes: segment (LE), bus, devfn, 12 reserved.
    fn pci(seg: u16, b10: u8, b11: u8) -> [u8; 16] {
        let mut h = [0u8; 16];
        h[..2].copy_from_slice(&seg.to_le_bytes());
        h[2] = b10;
        h[3] = b11;
        h
    }

    const GX: &str = "x86/q35/SRAT.acpihmat-generic-x";
    /// Offset of the GI structure in SRAT.acpihmat-generic-x (qemu-numa-spec.md §2.2).
    const GX_GI: usize = 0x1a0;

    #[test]
    fn golden_blobs_have_no_errors() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qemu-golden");
        let mut n = 0;
        for arch in ["x86/pc", "x86/q35", "aarch64/virt", "riscv64/virt"] {
            for e in std::fs::read_dir(dir.join(arch)).unwrap() {
                let b = std::fs::read(e.unwrap().path()).unwrap();
                let r = run(vec![b]);
                assert!(!r.has_errors(), "{arch}: {:?}", r.findings);
                n += 1;
            }
        }
        assert_eq!(n, 28, "27 x86/arm blobs + 1 riscv64");
    }

    #[test]
    fn generic_x_guest_nodes() {
        let r = run(vec![golden(GX)]);
        let nodes: Vec<(u32, Option<u32>)> =
            r.guest_nodes.iter().map(|g| (g.pxm, g.node)).collect();
        // LAPIC PXMs 0,3,5 and the GI's PXM 1 in pass 1, memory PXM 4 in pass 2;
        // the Generic Port's PXM 2 gets no node.
        assert_eq!(
            nodes,
            [
                (0, Some(0)),
                (3, Some(1)),
                (5, Some(2)),
                (1, Some(3)),
                (4, Some(4)),
                (2, None)
            ]
        );
        assert_eq!(r.guest_nodes[3].generic_initiators, 1);
        assert_eq!(r.guest_nodes[5].generic_ports, 1);
        assert!(!r.with_code("generic-port-no-node").is_empty());
        assert!(!r.has_errors());
    }

    #[test]
    fn generic_port_shifts_later_nodes() {
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                generic(6, 0, 1, *b"ACPI0016\x40\0\0\0\0\0\0\0", 1),
                generic(5, 1, 2, pci(0, 1, 0), 1),
                mem(0, 0, 1 << 30, 1),
            ],
        );
        let r = run(vec![t]);
        let nodes: Vec<(u32, Option<u32>)> =
            r.guest_nodes.iter().map(|g| (g.pxm, g.node)).collect();
        assert_eq!(nodes, [(0, Some(0)), (2, Some(1)), (1, None)]);
    }

    #[test]
    fn bad_checksum_is_an_error_at_offset_9() {
        let mut b = golden(GX);
        b[9] = b[9].wrapping_add(1);
        let r = run(vec![b]);
        let f = r.with_code("bad-checksum");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].offset, Some(9));
    }

    #[test]
    fn length_mismatch_is_reported_and_other_tables_still_checked() {
        let mut b = golden(GX);
        b[4] = b[4].wrapping_add(1); // Length one more than the bytes given
        let mut slit = golden("x86/q35/SLIT.cphp");
        slit[44] = 11; // diagonal [0][0]
        fix_checksum(&mut slit);
        let r = run(vec![b, slit]);
        let d = r.with_code("decode-error");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].offset, Some(4));
        assert_eq!(d[0].source.as_deref(), Some("t0"));
        assert_eq!(r.with_code("slit-invalid").len(), 1);
    }

    #[test]
    fn slit_linux_rejects() {
        // SLIT.cphp: 2 localities, matrix at 44: 10 21 / 21 10.
        let mut b = golden("x86/q35/SLIT.cphp");
        assert_eq!(&b[44..48], &[10, 21, 21, 10]);
        b[44] = 11;
        fix_checksum(&mut b);
        let r = run(vec![b.clone()]);
        let f = r.with_code("slit-invalid");
        assert_eq!((f[0].severity, f[0].offset), (Severity::Error, Some(44)));

        b[44] = 10;
        b[45] = 10; // off-diagonal must be > 10
        fix_checksum(&mut b);
        let r = run(vec![b]);
        assert_eq!(r.with_code("slit-invalid")[0].offset, Some(45));
    }

    #[test]
    fn slit_unreachable_255() {
        // ACPI 6.5 §5.2.17: a value of 0xFF means no path between the localities.
        let mut b = golden("x86/q35/SLIT.cphp");
        assert!(
            run(vec![b.clone()])
                .with_code("slit-unreachable")
                .is_empty()
        );
        b[45] = 0xff;
        b[46] = 0xff;
        fix_checksum(&mut b);
        let r = run(vec![b]);
        let f = r.with_code("slit-unreachable");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].severity, f[0].offset), (Severity::Info, Some(45)));
        assert!(f[0].message.contains("2 such entries"), "{}", f[0].message);
    }

    #[test]
    fn gi_handle_not_at_device_0_function_0() {
        // QEMU's acpihmat-generic-x blob ties node 1 to 0000:01:00.2 (bytes 01 02):
        // NVIDIA's guest driver refuses a GPU whose device/function is not 0.
        let b = golden(GX);
        assert_eq!(&b[GX_GI + 10..GX_GI + 12], &[0x01, 0x02]);
        let r = run(vec![b]);
        let f = r.with_code("gi-pci-devfn");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].message.contains("0000:01:00.2"), "{}", f[0].message);
        // At 01:00.0 (behind a root port): nothing to say.
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 1 << 30, 1),
                generic(5, 1, 1, pci(0, 1, 0), 1),
            ],
        );
        assert!(run(vec![t]).with_code("gi-pci-devfn").is_empty());
    }

    #[test]
    fn slit_locality_count_against_srat() {
        let r = run(vec![golden(GX), golden("x86/q35/SLIT.cphp")]);
        let f = r.with_code("slit-locality-count");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(!r.with_code("slit-pxm-missing").is_empty());
    }

    #[test]
    fn disabled_generic_initiator() {
        let mut b = golden(GX);
        assert_eq!(b[GX_GI], 5);
        b[GX_GI + 24] = 0; // flags: Enabled clear
        fix_checksum(&mut b);
        let r = run(vec![b]);
        let f = r.with_code("gi-disabled");
        assert_eq!(
            (f[0].severity, f[0].offset),
            (Severity::Warning, Some(GX_GI + 24))
        );
        // PXM 1 now gets no node; the memory PXM 4 becomes node 3.
        let g = |p: u32| r.guest_nodes.iter().find(|g| g.pxm == p).unwrap().node;
        assert_eq!((g(1), g(4)), (None, Some(3)));
    }

    #[test]
    fn swapped_pci_handle() {
        // Device at 00:04.0 written in the 9.0-9.1.1 order: bytes 10,11 = 20 00.
        let mut b = golden(GX);
        assert_eq!(&b[GX_GI + 10..GX_GI + 12], &[0x01, 0x02]);
        b[GX_GI + 10] = 0x20;
        b[GX_GI + 11] = 0x00;
        fix_checksum(&mut b);
        let r = run(vec![b]);
        let f = r.with_code("pci-handle-swapped");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("0000:00:04.0"), "{}", f[0].message);

        // Device at 01:00.0 (behind a root port) swapped: bytes 00 01, reads as 00:00.1.
        let t = srat(
            1,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 1 << 30, 1),
                generic(5, 1, 1, pci(0, 0, 1), 1),
            ],
        );
        let r = run(vec![t]);
        let f = r.with_code("pci-handle-swapped");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("0000:01:00.0"), "{}", f[0].message);
    }

    #[test]
    fn cloud_hypervisor_handle_pattern() {
        // segment 0, bus 1, bus 1, device 3, device 3, function 2, function 2, zeros
        let mut h = [0u8; 16];
        h[2..8].copy_from_slice(&[1, 1, 3, 3, 2, 2]);
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 1 << 30, 1),
                generic(5, 1, 1, h, 1),
            ],
        );
        let r = run(vec![t]);
        let f = r.with_code("pci-handle-repeated-bytes");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("0000:01:03.2"), "{}", f[0].message);
        assert!(r.with_code("pci-handle-swapped").is_empty());
    }

    #[test]
    fn pxm_300() {
        // Revision 3: the memory PXM is read whole and cannot be mapped.
        let t = srat(3, &[lapic(0, 0, 1), mem(300, 0, 1 << 30, 1)]);
        let r = run(vec![t]);
        let f = r.with_code("pxm-unmappable");
        assert_eq!((f[0].severity, f[0].offset), (Severity::Error, Some(64)));
        // Revision 1: Linux masks it to 300 & 0xff = 44.
        let t = srat(1, &[lapic(0, 0, 1), mem(300, 0, 1 << 30, 1)]);
        let r = run(vec![t]);
        assert!(r.with_code("pxm-unmappable").is_empty());
        let f = r.with_code("pxm-truncated");
        assert!(f[0].message.contains("PXM 44"), "{}", f[0].message);
        assert!(
            r.guest_nodes
                .iter()
                .any(|g| g.pxm == 44 && g.node == Some(1))
        );
    }

    #[test]
    fn overlapping_memory() {
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 0x8000_0000, 1),
                mem(1, 0x4000_0000, 0x8000_0000, 1),
            ],
        );
        let r = run(vec![t]);
        let f = r.with_code("memory-overlap");
        assert_eq!((f[0].severity, f[0].offset), (Severity::Error, Some(104)));
        // Same node: a warning.
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 0x8000_0000, 1),
                mem(0, 0x4000_0000, 0x8000_0000, 1),
            ],
        );
        let r = run(vec![t]);
        assert_eq!(r.with_code("memory-overlap")[0].severity, Severity::Warning);
        // Hot-pluggable range over another node's range: a warning.
        let t = srat(
            3,
            &[
                lapic(0, 0, 1),
                mem(0, 0, 0x8000_0000, 1),
                mem(1, 0x4000_0000, 0x8000_0000, 3),
            ],
        );
        let r = run(vec![t]);
        assert_eq!(r.with_code("memory-overlap")[0].severity, Severity::Warning);
    }

    #[test]
    fn hmat_revision_1_and_absent_pxms() {
        let mut h = golden("x86/q35/HMAT.acpihmat-generic-x");
        h[8] = 1;
        fix_checksum(&mut h);
        let r = run(vec![h]);
        assert_eq!(r.with_code("hmat-revision-1").len(), 1);

        // SRAT.acpihmat names PXMs 0 and 1 only; the generic-x HMAT targets 0..5.
        let r = run(vec![
            golden("x86/q35/SRAT.acpihmat"),
            golden("x86/q35/HMAT.acpihmat-generic-x"),
        ]);
        let f = r.with_code("hmat-pxm-absent");
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn no_enabled_memory() {
        let t = srat(3, &[lapic(0, 0, 1), mem(0, 0, 1 << 30, 0)]);
        let r = run(vec![t]);
        assert_eq!(codes(&r), [(Severity::Error, "srat-no-memory")]);
    }
}
