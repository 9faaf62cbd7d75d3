//! The topology file (TOML) front end: a readable description of a guest NUMA
//! topology → a validated [`Topology`] plus what the VMM command line needs.
//!
//! The format is documented in `docs/topology.md`; `examples/*.toml` are worked
//! examples. Every error names the file, the line and column, and the key:
//! `gh.toml:12:10: node[2].memory: "12Q" is not a size (…)`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::acpi::{AcpiHandle, DeviceHandle, FixedAscii, PciHandle};
use crate::machine::cpu::{SmpConfig, SmpTopology};
use crate::machine::pci::{DeviceSpec, PciTree};
use crate::topology::{
    Affinity, Associativity, Cpu, DataType, Hierarchy, HmatCache, HmatLb, MachineKind, MemRange,
    MemoryConfig, Node, Oem, Topology, WritePolicy,
};

/// Most NUMA nodes a file may declare (QEMU's MAX_NODES).
pub const MAX_NODES: u32 = 128;

/// A topology file error: where (file, line, column, key) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}{sep}{message}", sep = if key.is_empty() { "" } else { ": " })]
pub struct FileError {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The key (path such as `node[2].memory`), empty when unknown.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// A PCI device of the guest, as the file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevice {
    /// The device's id (QEMU `id=`), used by generic initiators and as a bus name.
    pub id: String,
    /// QEMU device type (`-device DRIVER`), when vnuma should emit the device.
    pub driver: Option<String>,
    /// The bus the device is plugged into, as given (`pcie.0`, a root port's id, …).
    pub bus: Option<String>,
    /// Slot and function on that bus, as given.
    pub addr: Option<(u8, u8)>,
    /// Extra `-device` properties, verbatim (`chassis=1`).
    pub props: Option<String>,
    /// The guest address given in the file (`bdf`), if any.
    pub bdf: Option<PciHandle>,
    /// The guest address as QEMU 10 and its firmware number it: computed by
    /// [`crate::machine::pci::PciTree`] for a device with a driver, `bdf` otherwise.
    pub address: PciHandle,
    /// Where the device sits on the printed command line (bus name, devfn), for a
    /// device with a driver.
    pub placed: Option<(String, u8)>,
}

impl PciDevice {
    /// The QEMU `-device` value (every device with a driver, with its bus and
    /// address spelled out so that QEMU's defaults cannot move it).
    pub fn qemu_arg(&self) -> Option<String> {
        let driver = self.driver.as_ref()?;
        let (bus, devfn) = self.placed.as_ref()?;
        let mut s = format!(
            "{driver},id={},bus={bus},addr={:02x}.{:x}",
            self.id,
            devfn >> 3,
            devfn & 7
        );
        if let Some(p) = &self.props {
            s.push(',');
            s.push_str(p);
        }
        Some(s)
    }
}

/// A parsed, validated topology file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyFile {
    /// File name, for messages.
    pub file: String,
    /// The resolved topology.
    pub topology: Topology,
    /// CPU topology (QEMU `-smp`, resolved by QEMU's rules).
    pub smp: SmpTopology,
    /// PCI devices in file order.
    pub pci: Vec<PciDevice>,
    /// The PCI tree of the printed QEMU command line: QEMU's default devices
    /// (VGA, NIC), then the file's devices with a driver.
    pub pci_tree: PciTree,
    /// Whether the file gave `[oem] revision` explicitly.
    pub oem_revision_given: bool,
    /// Guest firmware (`machine.firmware`).
    pub firmware: Firmware,
    /// arm `virt` with EDK2: the variable-store flash range EDK2 reports as memory,
    /// and its node (`machine.flash-node`). The SRAT gets one more enabled memory
    /// entry for it; without one Linux finds memory no node covers and falls back to
    /// a single node. `None` when there is no such range or no NUMA node.
    pub firmware_flash: Option<MemRange>,
}

/// The guest firmware, as far as it shapes the tables (`machine.firmware`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// x86 (SeaBIOS or OVMF): nothing to add to the tables.
    Default,
    /// EDK2 / AAVMF on arm `virt` (the default there): reports its variable-store
    /// flash bank at 0x0400_0000 (64 MiB) as memory.
    Edk2,
    /// No firmware that reports extra memory (`firmware = "none"`): the SRAT is
    /// exactly what QEMU builds.
    None,
}

impl TopologyFile {
    /// Nodes that have at least one CPU present at boot.
    pub fn present_cpu_nodes(&self) -> BTreeSet<u32> {
        self.topology
            .cpus
            .iter()
            .take(usize::try_from(self.smp.cpus).unwrap_or(usize::MAX))
            .map(|c| c.node)
            .collect()
    }

    /// CPU indexes present at boot on `node`.
    pub fn present_cpus_of(&self, node: u32) -> Vec<u32> {
        (0..self.smp.cpus)
            .filter(|&i| {
                self.topology
                    .cpus
                    .get(usize::try_from(i).unwrap_or(usize::MAX))
                    .is_some_and(|c| c.node == node)
            })
            .collect()
    }
}

/// Reads and parses a topology file.
pub fn load(path: &Path) -> anyhow::Result<TopologyFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read topology file {}: {e}", path.display()))?;
    Ok(parse_str(&text, &path.display().to_string())?)
}

// ---------------------------------------------------------------------------
// Value types with readable forms.

/// A list of numbers: `3`, `"2-9"`, `"0-1,4"`, `[0, 1, 4]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NumList(Vec<u32>);

/// Parses `"0-3,5"` into numbers (ascending as written; duplicates are an error).
fn parse_num_list(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("\"{s}\" has an empty element"));
        }
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let a: u32 = a
            .parse()
            .map_err(|_| format!("\"{part}\" is not a number or range A-B"))?;
        let b: u32 = b
            .parse()
            .map_err(|_| format!("\"{part}\" is not a number or range A-B"))?;
        if b < a {
            return Err(format!("range \"{part}\" ends before it starts"));
        }
        if b - a >= 65536 {
            return Err(format!("range \"{part}\" is too long"));
        }
        for v in a..=b {
            if out.contains(&v) {
                return Err(format!("{v} is listed twice in \"{s}\""));
            }
            out.push(v);
        }
    }
    Ok(out)
}

impl<'de> Deserialize<'de> for NumList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a list like \"0-3,5\", or an array of numbers")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumList, E> {
                u32::try_from(v)
                    .map(|v| NumList(vec![v]))
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumList, E> {
                u32::try_from(v)
                    .map(|v| NumList(vec![v]))
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NumList, E> {
                parse_num_list(s).map(NumList).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<NumList, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element::<i64>()? {
                    let v = u32::try_from(v)
                        .map_err(|_| de::Error::custom(format!("{v} is out of range")))?;
                    if out.contains(&v) {
                        return Err(de::Error::custom(format!("{v} is listed twice")));
                    }
                    out.push(v);
                }
                Ok(NumList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A byte size: an integer (bytes) or a string with a binary suffix
/// (`"512M"`, `"1G"`, `"1GiB"`, `"64K"`, `"2T"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Size(u64);

/// Parses a size like QEMU does (K/M/G/T/P/E are powers of 1024), also
/// accepting a trailing `B` or `iB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    let bad = || format!("\"{s}\" is not a size (use bytes or a suffix: 512M, 1G, 64K)");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let suffix = suffix.trim();
    let suffix = suffix
        .strip_suffix("iB")
        .or_else(|| suffix.strip_suffix('B'))
        .unwrap_or(suffix);
    let shift = match suffix {
        "" => 0,
        "K" | "k" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        "P" => 50,
        "E" => 60,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("\"{s}\" does not fit in 64 bits"))
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size: bytes, or a string such as \"512M\" or \"1G\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Size, E> {
                parse_size(s).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A latency in nanoseconds: an integer, or a string with `ns`/`us`/`ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Latency(u64);

fn parse_latency(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let bad = || format!("\"{s}\" is not a latency (nanoseconds, or \"100ns\", \"2us\")");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mul = match unit.trim() {
        "" | "ns" => 1,
        "us" => 1000,
        "ms" => 1_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("\"{s}\" does not fit in 64 bits"))
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Latency;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a latency: nanoseconds, or a string such as \"100ns\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Latency, E> {
                u64::try_from(v)
                    .map(Latency)
                    .map_err(|_| E::custom(format!("latency {v} is negative")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Latency, E> {
                Ok(Latency(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Latency, E> {
                parse_latency(s).map(Latency).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A device reference: a `[[pci]]` id, a BDF `"0000:01:00.0"`, or an ACPI
/// device `{ hid = "ACPI0017", uid = 0 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceRef {
    Name(String),
    Acpi { hid: String, uid: u32 },
}

impl<'de> Deserialize<'de> for DeviceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DeviceRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a [[pci]] id, a PCI address \"0000:01:00.0\", or { hid = \"ACPI0017\", uid = 0 }",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DeviceRef, E> {
                Ok(DeviceRef::Name(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<DeviceRef, A::Error> {
                let mut hid = None;
                let mut uid = None;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "hid" => hid = Some(m.next_value::<String>()?),
                        "uid" => uid = Some(m.next_value::<u32>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["hid", "uid"]));
                        }
                    }
                }
                Ok(DeviceRef::Acpi {
                    hid: hid.ok_or_else(|| de::Error::missing_field("hid"))?,
                    uid: uid.ok_or_else(|| de::Error::missing_field("uid"))?,
                })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// The raw file.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    machine: RawMachine,
    cpus: Option<RawCpus>,
    #[serde(default)]
    node: Vec<Spanned<RawNode>>,
    #[serde(default)]
    pci: Vec<Spanned<RawPci>>,
    #[serde(default, rename = "generic-initiator")]
    generic_initiator: Vec<Spanned<RawGeneric>>,
    #[serde(default, rename = "generic-port")]
    generic_port: Vec<Spanned<RawGeneric>>,
    distances: Option<RawDistances>,
    hmat: Option<RawHmat>,
    oem: Option<RawOem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMachine {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    memory: Option<Spanned<Size>>,
    maxmem: Option<Spanned<Size>>,
    slots: Option<Spanned<u64>>,
    max_ram_below_4g: Option<Spanned<Size>>,
    firmware: Option<Spanned<String>>,
    flash_node: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCpus {
    count: Spanned<u32>,
    maxcpus: Option<Spanned<u32>>,
    sockets: Option<u32>,
    dies: Option<u32>,
    clusters: Option<u32>,
    modules: Option<u32>,
    cores: Option<u32>,
    threads: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: Option<Spanned<NumList>>,
    memory: Option<Spanned<Size>>,
    cpus: Option<Spanned<NumList>>,
    initiator: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPci {
    id: Spanned<String>,
    driver: Option<String>,
    bus: Option<String>,
    addr: Option<Spanned<String>>,
    props: Option<String>,
    bdf: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneric {
    device: Spanned<DeviceRef>,
    #[serde(alias = "node")]
    nodes: Spanned<NumList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistances {
    matrix: Option<Spanned<Vec<Vec<Spanned<u32>>>>>,
    #[serde(default)]
    pairs: Vec<Spanned<RawPair>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    from: Spanned<NumList>,
    to: Spanned<NumList>,
    value: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHmat {
    #[serde(default)]
    latency: Vec<Spanned<RawLb<Latency>>>,
    #[serde(default)]
    bandwidth: Vec<Spanned<RawLb<Size>>>,
    #[serde(default)]
    cache: Vec<Spanned<RawCache>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLb<T> {
    initiator: Spanned<NumList>,
    target: Spanned<NumList>,
    hierarchy: Option<Spanned<String>>,
    #[serde(rename = "type")]
    access: Option<Spanned<String>>,
    value: Spanned<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    node: Spanned<u32>,
    size: Spanned<Size>,
    level: Spanned<u8>,
    associativity: Option<Spanned<String>>,
    policy: Option<Spanned<String>>,
    line: Spanned<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOem {
    id: Option<Spanned<String>>,
    table_id: Option<Spanned<String>>,
    revision: Option<u32>,
}

// ---------------------------------------------------------------------------
// Error context.

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
}

impl Ctx<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let off = offset.min(self.src.len());
        let before = self.src.get(..off).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let column = self
            .src
            .get(line_start..off)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    fn err(&self, span: Range<usize>, key: impl Into<String>, msg: impl Into<String>) -> FileError {
        let (line, column) = self.line_col(span.start);
        FileError {
            file: self.file.to_string(),
            line,
            column,
            key: key.into(),
            message: msg.into(),
        }
    }

    /// The key written before `=` on the line of `offset`, if any.
    fn key_at(&self, offset: usize) -> String {
        let off = offset.min(self.src.len());
        let before = self.src.get(..off).unwrap_or("");
        let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let line_end = self
            .src
            .get(line_start..)
            .and_then(|s| s.find('\n'))
            .map_or(self.src.len(), |p| line_start + p);
        let line = self.src.get(line_start..line_end).unwrap_or("");
        let rel = off - line_start;
        match line.get(..rel).and_then(|s| s.rfind('=')) {
            Some(eq) => {
                let k = line.get(..eq).unwrap_or("").trim();
                let k = k.rsplit(['{', ',']).next().unwrap_or(k).trim();
                k.to_string()
            }
            None => {
                let t = line.trim();
                if t.starts_with('[') {
                    t.trim_matches(|c| c == '[' || c == ']').to_string()
                } else {
                    String::new()
                }
            }
        }
    }
}

fn parse_enum<T: Copy>(
    ctx: &Ctx,
    v: &Spanned<String>,
    key: &str,
    choices: &[(&str, T)],
) -> Result<T, FileError> {
    choices
        .iter()
        .find(|(n, _)| *n == v.get_ref().as_str())
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            ctx.err(
                v.span(),
                key,
                format!("\"{}\" is not one of: {}", v.get_ref(), names.join(", ")),
            )
        })
}

// ---------------------------------------------------------------------------
// Resolution.

/// Parses and validates a topology file's text; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<TopologyFile, FileError> {
    let ctx = Ctx { file, src: text };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let key = ctx.key_at(span.start);
        ctx.err(span, key, e.message().trim_end().to_string())
    })?;
    resolve(&ctx, raw)
}

fn resolve(ctx: &Ctx, raw: RawFile) -> Result<TopologyFile, FileError> {
    let m = &raw.machine;
    let mspan = m.kind.span();
    let machine = parse_enum(
        ctx,
        &m.kind,
        "machine.type",
        &[
            ("q35", MachineKind::Q35),
            ("pc", MachineKind::Pc),
            ("virt", MachineKind::Virt),
        ],
    )?;

    // --- nodes
    let mut nodes: BTreeMap<u32, (Node, Range<usize>)> = BTreeMap::new();
    let mut cpu_owner: BTreeMap<u32, u32> = BTreeMap::new();
    let mut cpu_spans: Vec<(u32, Range<usize>)> = Vec::new();
    let mut initiators: Vec<(u32, Spanned<u32>)> = Vec::new();
    let mut next_id = 0u32;
    for (i, n) in raw.node.iter().enumerate() {
        let key = |k: &str| format!("node[{i}].{k}");
        let rn = n.get_ref();
        let ids = match &rn.id {
            Some(ids) => {
                if ids.get_ref().0.is_empty() {
                    return Err(ctx.err(ids.span(), key("id"), "lists no node"));
                }
                ids.get_ref().0.clone()
            }
            None => vec![next_id],
        };
        let id_span = rn.id.as_ref().map_or(n.span(), |s| s.span());
        let mem = rn.memory.as_ref().map_or(0, |s| s.get_ref().0);
        if rn.cpus.is_some() && ids.len() > 1 {
            return Err(ctx.err(
                id_span,
                key("id"),
                "a [[node]] with cpus must declare a single node",
            ));
        }
        for &id in &ids {
            if id >= MAX_NODES {
                return Err(ctx.err(
                    id_span.clone(),
                    key("id"),
                    format!("node {id} is too large (at most {} nodes)", MAX_NODES),
                ));
            }
            if nodes.contains_key(&id) {
                return Err(ctx.err(
                    id_span.clone(),
                    key("id"),
                    format!("node {id} is declared twice"),
                ));
            }
            nodes.insert(
                id,
                (
                    Node {
                        mem,
                        initiator: None,
                    },
                    n.span(),
                ),
            );
            if let Some(init) = &rn.initiator {
                initiators.push((id, init.clone()));
            }
            next_id = id + 1;
        }
        if let Some(cpus) = &rn.cpus {
            for &c in &cpus.get_ref().0 {
                if let Some(prev) = cpu_owner.insert(c, ids[0]) {
                    return Err(ctx.err(
                        cpus.span(),
                        key("cpus"),
                        format!("CPU {c} is already assigned to node {prev}"),
                    ));
                }
                cpu_spans.push((c, cpus.span()));
            }
        }
    }
    let node_count = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    if let Some((&max, (_, span))) = nodes.iter().next_back()
        && max + 1 != node_count
    {
        let missing = (0..max).find(|i| !nodes.contains_key(i)).unwrap_or(0);
        return Err(ctx.err(
            span.clone(),
            "node",
            format!("node ids must be dense 0..{max}: node {missing} is missing"),
        ));
    }
    let node_exists = |id: u32| id < node_count;

    // --- memory
    let node_mem_sum = nodes
        .values()
        .try_fold(0u64, |acc, (n, _)| acc.checked_add(n.mem))
        .ok_or_else(|| ctx.err(mspan.clone(), "node", "node memory overflows 64 bits"))?;
    let ram_size = match &m.memory {
        Some(s) => {
            if !nodes.is_empty() && s.get_ref().0 != node_mem_sum {
                return Err(ctx.err(
                    s.span(),
                    "machine.memory",
                    format!(
                        "total memory for NUMA nodes ({}) should equal RAM size ({})",
                        fmt_size(node_mem_sum),
                        fmt_size(s.get_ref().0)
                    ),
                ));
            }
            s.get_ref().0
        }
        None => {
            if nodes.is_empty() {
                return Err(ctx.err(
                    mspan.clone(),
                    "machine.memory",
                    "no [[node]] and no machine.memory: the RAM size is unknown",
                ));
            }
            node_mem_sum
        }
    };
    if ram_size == 0 {
        return Err(ctx.err(mspan.clone(), "machine.memory", "the guest has no RAM"));
    }
    let slots = m.slots.as_ref().map_or(0, |s| *s.get_ref());
    let max_ram = m.maxmem.as_ref().map(|s| s.get_ref().0);
    let max_ram_below_4g = match &m.max_ram_below_4g {
        Some(s) if !machine.is_x86() => {
            return Err(ctx.err(
                s.span(),
                "machine.max-ram-below-4g",
                "only x86 machines (q35, pc) have this property",
            ));
        }
        Some(s) => Some(s.get_ref().0),
        None => None,
    };
    let firmware = match &m.firmware {
        Some(s) if !machine.is_x86() => parse_enum(
            ctx,
            s,
            "machine.firmware",
            &[("edk2", Firmware::Edk2), ("none", Firmware::None)],
        )?,
        Some(s) => {
            return Err(ctx.err(
                s.span(),
                "machine.firmware",
                "only the arm virt machine has this key",
            ));
        }
        None if machine == MachineKind::Virt => Firmware::Edk2,
        None => Firmware::Default,
    };
    let firmware_flash = if firmware == Firmware::Edk2 && !nodes.is_empty() {
        let (node, span) = match &m.flash_node {
            Some(n) => (*n.get_ref(), n.span()),
            None => (
                nodes
                    .iter()
                    .find(|(_, (n, _))| n.mem > 0)
                    .map_or(0, |(&id, _)| id),
                mspan.clone(),
            ),
        };
        match nodes.get(&node) {
            Some((n, _)) if n.mem > 0 => {}
            Some(_) => {
                return Err(ctx.err(
                    span,
                    "machine.flash-node",
                    format!("node {node} has no memory: give a node with memory"),
                ));
            }
            None => {
                return Err(ctx.err(
                    span,
                    "machine.flash-node",
                    format!("node {node} does not exist"),
                ));
            }
        }
        Some(MemRange {
            base: crate::machine::memory::ARM_VIRT_FLASH1_BASE,
            size: crate::machine::memory::ARM_VIRT_FLASH_BANK_SIZE,
            node,
        })
    } else {
        if let Some(n) = &m.flash_node {
            return Err(ctx.err(
                n.span(),
                "machine.flash-node",
                "only for machine.type = \"virt\" with firmware = \"edk2\" and NUMA nodes",
            ));
        }
        None
    };

    // --- CPUs
    let smp = resolve_smp(ctx, machine, raw.cpus.as_ref(), mspan.clone())?;
    for (c, span) in &cpu_spans {
        if *c >= smp.max_cpus {
            return Err(ctx.err(
                span.clone(),
                "node.cpus",
                format!(
                    "CPU index ({c}) should be smaller than maxcpus ({})",
                    smp.max_cpus
                ),
            ));
        }
    }
    // The possible-CPU list and APIC ids / processor UIDs of QEMU's machine code.
    let cpu_slots = crate::machine::cpu::possible_cpus(machine, &smp);
    let mut cpus = Vec::new();
    for slot in &cpu_slots {
        let i = slot.index;
        let node = if nodes.is_empty() {
            0
        } else if cpu_owner.is_empty() {
            // QEMU's default mapping (socket id modulo the number of nodes).
            crate::machine::cpu::default_node(slot, node_count)
        } else {
            cpu_owner.get(&i).copied().ok_or_else(|| {
                let span = raw.cpus.as_ref().map_or(mspan.clone(), |s| s.count.span());
                ctx.err(
                    span,
                    "node.cpus",
                    format!(
                        "CPU {i} is not assigned to any node (list every CPU 0..{} in some node's cpus)",
                        smp.max_cpus.saturating_sub(1)
                    ),
                )
            })?
        };
        cpus.push(Cpu {
            arch_id: slot.arch_id,
            node,
        });
    }
    let cpu_nodes: BTreeSet<u32> = if nodes.is_empty() {
        BTreeSet::new()
    } else {
        cpus.iter().map(|c| c.node).collect()
    };

    // --- HMAT attached initiators
    let mut node_vec: Vec<Node> = nodes.values().map(|(n, _)| n.clone()).collect();
    for (id, init) in &initiators {
        let v = *init.get_ref();
        let key = format!("node {id} initiator");
        if !node_exists(v) || !cpu_nodes.contains(&v) {
            return Err(ctx.err(
                init.span(),
                key,
                format!("the initiator of NUMA node {id} is invalid: node {v} has no CPU"),
            ));
        }
        if cpu_nodes.contains(id) && v != *id {
            return Err(ctx.err(
                init.span(),
                key,
                format!("the initiator of CPU NUMA node {id} should be itself (got {v})"),
            ));
        }
        if let Some(n) = usize::try_from(*id).ok().and_then(|i| node_vec.get_mut(i)) {
            n.initiator = Some(v);
        }
    }

    // --- PCI devices: placed by QEMU's own rules (crate::machine::pci) on the
    // printed command line (QEMU's default devices first, then the file's devices
    // with a driver, in file order), bus numbers as its firmware assigns them.
    let mut tree = PciTree::new(machine);
    for spec in crate::machine::pci::default_devices(
        machine,
        !raw.pci
            .iter()
            .filter_map(|p| p.get_ref().driver.as_deref())
            .any(crate::machine::pci::is_vga),
        true,
    ) {
        tree.add(&spec)
            .map_err(|m| ctx.err(mspan.clone(), "pci", m.to_string()))?;
    }
    let mut pci: Vec<PciDevice> = Vec::new();
    let mut tree_index: Vec<Option<usize>> = Vec::new();
    for (i, p) in raw.pci.iter().enumerate() {
        let rp = p.get_ref();
        let key = |k: &str| format!("pci[{i}].{k}");
        let id = rp.id.get_ref().clone();
        if id.is_empty() || id.contains([',', '=', ' ']) {
            return Err(ctx.err(
                rp.id.span(),
                key("id"),
                format!("\"{id}\" is not a valid id"),
            ));
        }
        if pci.iter().any(|d| d.id == id) {
            return Err(ctx.err(
                rp.id.span(),
                key("id"),
                format!("id \"{id}\" is used twice"),
            ));
        }
        let devfn = match &rp.addr {
            Some(a) => Some(
                crate::machine::pci::parse_devfn(a.get_ref()).ok_or_else(|| {
                    ctx.err(
                        a.span(),
                        key("addr"),
                        format!("\"{}\" is not a slot.function like \"04.0\"", a.get_ref()),
                    )
                })?,
            ),
            None => None,
        };
        let bdf = match &rp.bdf {
            Some(b) => Some(PciHandle::parse(b.get_ref()).ok_or_else(|| {
                ctx.err(
                    b.span(),
                    key("bdf"),
                    format!(
                        "\"{}\" is not a PCI address like \"0000:01:00.0\"",
                        b.get_ref()
                    ),
                )
            })?),
            None => None,
        };
        let Some(driver) = &rp.driver else {
            // Not on the printed command line: vnuma cannot place it, only name it.
            if rp.bus.is_some() || rp.addr.is_some() || rp.props.is_some() {
                return Err(ctx.err(
                    p.span(),
                    format!("pci[{i}]"),
                    "bus, addr and props place a device on the VMM command line and need a driver; a device without driver is given by its guest address (bdf)",
                ));
            }
            let Some(address) = bdf else {
                return Err(ctx.err(
                    p.span(),
                    format!("pci[{i}]"),
                    "give the device's driver (and where it sits: bus, addr) or, for a device vnuma does not emit, its guest address (bdf)",
                ));
            };
            pci.push(PciDevice {
                id,
                driver: None,
                bus: None,
                addr: None,
                props: None,
                bdf,
                address,
                placed: None,
            });
            tree_index.push(None);
            continue;
        };
        if !crate::machine::pci::is_pci_driver(driver) {
            return Err(ctx.err(
                p.span(),
                key("driver"),
                format!("\"{driver}\" is not a PCI device type vnuma knows (e.g. pci-testdev, vfio-pci, pcie-root-port, pxb-cxl)"),
            ));
        }
        if driver == "pxb-cxl" && !crate::machine::pci::pxb_cxl_allowed(machine) {
            return Err(ctx.err(
                p.span(),
                key("driver"),
                "QEMU would refuse this device: pxb-cxl devices cannot reside on a PCI bus (only q35 has CXL)",
            ));
        }
        let spec = device_spec(ctx, p, i, driver, &id, devfn)?;
        let at = tree.add(&spec).map_err(|m| {
            ctx.err(
                p.span(),
                format!("pci[{i}]"),
                format!("QEMU would refuse this device: {m}"),
            )
        })?;
        pci.push(PciDevice {
            id,
            driver: Some(driver.clone()),
            bus: rp.bus.clone(),
            addr: devfn.map(|d| (d >> 3, d & 7)),
            props: rp.props.clone(),
            bdf,
            address: PciHandle::new(0, 0, 0, 0),
            placed: None,
        });
        tree_index.push(Some(at));
    }
    // Guest addresses: firmware bus numbers over the whole tree.
    let bus_numbers = tree.bus_numbers();
    for (i, (d, at)) in pci.iter_mut().zip(&tree_index).enumerate() {
        let Some(dev) = at.and_then(|k| tree.devices.get(k)) else {
            continue;
        };
        let bus_name = tree
            .buses
            .get(dev.bus)
            .map(|b| b.name.clone())
            .unwrap_or_default();
        let number = bus_numbers.get(dev.bus).copied().unwrap_or(0);
        let computed = PciHandle::new(0, number, dev.devfn >> 3, dev.devfn & 7);
        if let Some(given) = d.bdf
            && given != computed
        {
            let span = raw.pci[i]
                .get_ref()
                .bdf
                .as_ref()
                .map_or(raw.pci[i].span(), |b| b.span());
            return Err(ctx.err(
                span,
                format!("pci[{i}].bdf"),
                format!(
                    "{given} is not where QEMU 10 puts device \"{}\": its firmware numbers bus \"{bus_name}\" {number}, so the guest sees it at {computed} (drop bdf, or fix bus/addr)",
                    d.id
                ),
            ));
        }
        d.address = computed;
        d.placed = Some((bus_name, dev.devfn));
    }

    // --- generic initiators and ports
    let mut generic_initiators = Vec::new();
    for (i, g) in raw.generic_initiator.iter().enumerate() {
        generic_initiators.extend(resolve_generic(
            ctx,
            &pci,
            &tree,
            false,
            g,
            &format!("generic-initiator[{i}]"),
            node_count,
        )?);
    }
    let mut generic_ports = Vec::new();
    for (i, g) in raw.generic_port.iter().enumerate() {
        generic_ports.extend(resolve_generic(
            ctx,
            &pci,
            &tree,
            true,
            g,
            &format!("generic-port[{i}]"),
            node_count,
        )?);
    }

    // --- distances
    let distances = match &raw.distances {
        Some(d) => Some(resolve_distances(ctx, d, node_count)?),
        None => None,
    };

    // --- HMAT
    let mut initiator_nodes: BTreeSet<u32> = cpu_nodes.clone();
    initiator_nodes.extend(generic_initiators.iter().map(|g: &Affinity| g.node));
    let (hmat, hmat_lb, hmat_caches) = match &raw.hmat {
        Some(h) => {
            if nodes.is_empty() {
                return Err(ctx.err(mspan.clone(), "hmat", "an HMAT needs NUMA nodes"));
            }
            let (lb, caches) = resolve_hmat(ctx, h, node_count, &initiator_nodes)?;
            (true, lb, caches)
        }
        None => (false, Vec::new(), Vec::new()),
    };

    // --- OEM
    let mut oem = Oem::default();
    let mut oem_revision_given = false;
    if let Some(o) = &raw.oem {
        if let Some(id) = &o.id {
            oem.oem_id = FixedAscii::<6>::from_text(id.get_ref())
                .ok_or_else(|| ctx.err(id.span(), "oem.id", "at most 6 characters"))?
                .0;
        }
        if let Some(id) = &o.table_id {
            oem.oem_table_id = FixedAscii::<8>::from_text(id.get_ref())
                .ok_or_else(|| ctx.err(id.span(), "oem.table-id", "at most 8 characters"))?
                .0;
        }
        if let Some(r) = o.revision {
            oem.oem_revision = r;
            oem_revision_given = true;
        }
    }

    let mut memory = MemoryConfig {
        ram_size,
        max_ram,
        slots,
        max_ram_below_4g,
        above_4g_at_1tib: false,
    };
    // The printed command line has no -cpu: x86 runs QEMU's default CPU, qemu64,
    // an AMD-vendor model (QEMU may then move RAM above 4 GiB to 1 TiB).
    // The memory map's own checks (maxmem, slots, max-ram-below-4g), QEMU's messages.
    let layout_err = |e: crate::machine::LayoutError| {
        let field = match &e {
            crate::machine::LayoutError::Invalid { field, .. } => field.clone(),
            _ => String::new(),
        };
        let (key, span) = match field.as_str() {
            "memory.slots" => ("machine.slots", m.slots.as_ref().map(|s| s.span())),
            "memory.max_ram" => ("machine.maxmem", m.maxmem.as_ref().map(|s| s.span())),
            "memory.max_ram_below_4g" => (
                "machine.max-ram-below-4g",
                m.max_ram_below_4g.as_ref().map(|s| s.span()),
            ),
            _ => ("machine.memory", m.memory.as_ref().map(|s| s.span())),
        };
        ctx.err(span.unwrap_or(mspan.clone()), key, e.message())
    };
    crate::machine::memory::device_memory(machine, &memory, &[]).map_err(layout_err)?;
    memory.above_4g_at_1tib = machine.is_x86()
        && crate::machine::memory::x86_amd_above_1tib(machine, &memory, &[], false)
            .map_err(layout_err)?;
    let topology = Topology {
        machine,
        memory,
        cpus,
        nodes: node_vec,
        distances,
        generic_initiators,
        generic_ports,
        nvdimms: Vec::new(),
        sgx_epc: Vec::new(),
        hmat,
        hmat_lb,
        hmat_caches,
        extra_initiators: Vec::new(),
        oem,
    };
    Ok(TopologyFile {
        file: ctx.file.to_string(),
        topology,
        smp,
        pci,
        pci_tree: tree,
        oem_revision_given,
        firmware,
        firmware_flash,
    })
}

/// The `-device` a `[[pci]]` table with a driver becomes, for QEMU's PCI model;
/// `props` may set the placement-relevant properties `multifunction`, `bus_nr`
/// and `bus-reserve` (they are printed verbatim as well).
fn device_spec(
    ctx: &Ctx,
    p: &Spanned<RawPci>,
    i: usize,
    driver: &str,
    id: &str,
    devfn: Option<u8>,
) -> Result<DeviceSpec, FileError> {
    use crate::front::qemu::lexer;
    let rp = p.get_ref();
    let mut spec = DeviceSpec {
        driver: driver.to_string(),
        id: Some(id.to_string()),
        bus: rp.bus.clone(),
        devfn,
        ..DeviceSpec::default()
    };
    let Some(props) = &rp.props else {
        return Ok(spec);
    };
    let key = format!("pci[{i}].props");
    let bad = |m: String| ctx.err(p.span(), key.clone(), m);
    let o = lexer::parse_opts(props, None);
    for k in ["id", "bus", "addr", "driver"] {
        if o.get(k).is_some() {
            return Err(bad(format!(
                "\"{k}\" is a key of the [[pci]] table, not a property"
            )));
        }
    }
    if let Some(v) = o.get("multifunction") {
        spec.multifunction = lexer::parse_bool(v)
            .ok_or_else(|| bad(format!("multifunction=\"{v}\" is not on or off")))?;
    }
    if let Some(v) = o.get("bus_nr") {
        spec.bus_nr = lexer::parse_u64(v)
            .and_then(|n| crate::machine::pci::bus_nr(n).ok())
            .ok_or_else(|| bad(format!("bus_nr=\"{v}\" is not a bus number 0..255")))?;
    }
    if let Some(v) = o.get("bus-reserve") {
        spec.bus_reserve = Some(
            lexer::parse_u64(v)
                .and_then(|n| crate::machine::pci::bus_reserve(n).ok())
                .ok_or_else(|| bad(format!("bus-reserve=\"{v}\" is not a number")))?,
        );
    }
    Ok(spec)
}

fn fmt_size(v: u64) -> String {
    format!("{v:#x}")
}

fn resolve_smp(
    ctx: &Ctx,
    machine: MachineKind,
    raw: Option<&RawCpus>,
    machine_span: Range<usize>,
) -> Result<SmpTopology, FileError> {
    let config = match raw {
        None => SmpConfig::default(),
        Some(c) => {
            if *c.count.get_ref() == 0 {
                return Err(ctx.err(c.count.span(), "cpus.count", "at least one CPU"));
            }
            let v = |x: Option<u32>| x.map(u64::from);
            SmpConfig {
                cpus: Some(u64::from(*c.count.get_ref())),
                maxcpus: c.maxcpus.as_ref().map(|m| u64::from(*m.get_ref())),
                sockets: v(c.sockets),
                dies: v(c.dies),
                clusters: v(c.clusters),
                modules: v(c.modules),
                cores: v(c.cores),
                threads: v(c.threads),
                ..SmpConfig::default()
            }
        }
    };
    // QEMU's own rules and messages (`machine_parse_smp_config`).
    SmpTopology::resolve(machine, &config).map_err(|msg| {
        let span = raw.map_or(machine_span, |c| c.count.span());
        ctx.err(span, "cpus", msg.to_string())
    })
}

/// One `[[generic-initiator]]` (`port` false) or `[[generic-port]]` (`port` true)
/// table → one affinity per node. A generic port naming a `[[pci]]` device must
/// name a `pxb-cxl` host bridge: its handle is QEMU's, ACPI `ACPI0016` with the
/// bridge's `bus_nr` as `_UID`.
fn resolve_generic(
    ctx: &Ctx,
    pci: &[PciDevice],
    tree: &PciTree,
    port: bool,
    g: &Spanned<RawGeneric>,
    key: &str,
    node_count: u32,
) -> Result<Vec<Affinity>, FileError> {
    let rg = g.get_ref();
    let (handle, device) = match rg.device.get_ref() {
        DeviceRef::Acpi { hid, uid } => {
            let h = FixedAscii::<8>::from_text(hid).ok_or_else(|| {
                ctx.err(
                    rg.device.span(),
                    format!("{key}.device.hid"),
                    format!("_HID \"{hid}\" is longer than 8 characters"),
                )
            })?;
            (
                DeviceHandle::Acpi(AcpiHandle {
                    hid: h,
                    uid: *uid,
                    reserved: 0,
                }),
                String::new(),
            )
        }
        DeviceRef::Name(name) => {
            if let Some(d) = pci.iter().find(|d| &d.id == name) {
                if port {
                    let uid = tree
                        .find_bus(&d.id)
                        .and_then(|b| tree.buses.get(b))
                        .filter(|b| b.cxl)
                        .and_then(|b| b.fixed_number)
                        .ok_or_else(|| {
                            ctx.err(
                                rg.device.span(),
                                format!("{key}.device"),
                                format!("\"{name}\" is not a CXL host bridge (a [[pci]] with driver pxb-cxl); a generic port names one, or an ACPI device {{ hid = \"ACPI0016\", uid = N }}"),
                            )
                        })?;
                    (
                        DeviceHandle::Acpi(AcpiHandle {
                            hid: FixedAscii(*b"ACPI0016"),
                            uid: u32::from(uid),
                            reserved: 0,
                        }),
                        d.id.clone(),
                    )
                } else {
                    (DeviceHandle::Pci(d.address), d.id.clone())
                }
            } else if let Some(h) = PciHandle::parse(name) {
                (DeviceHandle::Pci(h), String::new())
            } else {
                return Err(ctx.err(
                    rg.device.span(),
                    format!("{key}.device"),
                    format!("\"{name}\" is neither a [[pci]] id nor a PCI address SSSS:BB:DD.F"),
                ));
            }
        }
    };
    let list = &rg.nodes.get_ref().0;
    if list.is_empty() {
        return Err(ctx.err(rg.nodes.span(), format!("{key}.nodes"), "lists no node"));
    }
    let mut out = Vec::new();
    for &n in list {
        if n >= node_count {
            return Err(ctx.err(
                rg.nodes.span(),
                format!("{key}.nodes"),
                format!(
                    "node {n} is not declared (nodes are 0..{})",
                    node_count.saturating_sub(1)
                ),
            ));
        }
        out.push(Affinity {
            node: n,
            handle: handle.clone(),
            label: key.to_string(),
            device: device.clone(),
        });
    }
    // Canonical order: ascending proximity domain (Linux node id = PXM).
    out.sort_by_key(|a| a.node);
    Ok(out)
}

fn resolve_distances(ctx: &Ctx, d: &RawDistances, n: u32) -> Result<Vec<Vec<u8>>, FileError> {
    let rd = d;
    let dspan = rd
        .matrix
        .as_ref()
        .map(|m| m.span())
        .or_else(|| rd.pairs.first().map(|p| p.span()))
        .unwrap_or(0..0);
    let nn = usize::try_from(n).unwrap_or(0);
    if n == 0 {
        return Err(ctx.err(dspan.clone(), "distances", "distances need NUMA nodes"));
    }
    let mut m: Vec<Vec<Option<u8>>> = vec![vec![None; nn]; nn];
    let check = |v: &Spanned<u32>, i: usize, j: usize, key: &str| -> Result<u8, FileError> {
        let val = *v.get_ref();
        let b = u8::try_from(val)
            .map_err(|_| ctx.err(v.span(), key, format!("distance {val} is larger than 255")))?;
        if i == j && b != 10 {
            return Err(ctx.err(
                v.span(),
                key,
                format!("local distance of node {i} should be 10 (got {b})"),
            ));
        }
        if i != j && b <= 10 {
            return Err(ctx.err(
                v.span(),
                key,
                format!("distance {i}->{j} is {b}: distances between different nodes must be larger than 10"),
            ));
        }
        Ok(b)
    };
    match (&rd.matrix, rd.pairs.is_empty()) {
        (Some(_), false) => {
            return Err(ctx.err(
                dspan.clone(),
                "distances",
                "give either matrix or pairs, not both",
            ));
        }
        (None, true) => {
            return Err(ctx.err(dspan.clone(), "distances", "give matrix or pairs"));
        }
        (Some(mat), true) => {
            if mat.get_ref().len() != nn {
                return Err(ctx.err(
                    mat.span(),
                    "distances.matrix",
                    format!("the matrix has {} rows for {n} nodes", mat.get_ref().len()),
                ));
            }
            for (i, row) in mat.get_ref().iter().enumerate() {
                if row.len() != nn {
                    return Err(ctx.err(
                        mat.span(),
                        "distances.matrix",
                        format!("row {i} has {} entries for {n} nodes", row.len()),
                    ));
                }
                for (j, v) in row.iter().enumerate() {
                    m[i][j] = Some(check(v, i, j, &format!("distances.matrix[{i}][{j}]"))?);
                }
            }
        }
        (None, false) => {
            for (k, p) in rd.pairs.iter().enumerate() {
                let rp = p.get_ref();
                let key = format!("distances.pairs[{k}]");
                for (list, what) in [(&rp.from, "from"), (&rp.to, "to")] {
                    if let Some(bad) = list.get_ref().0.iter().find(|&&v| v >= n) {
                        return Err(ctx.err(
                            list.span(),
                            format!("{key}.{what}"),
                            format!("node {bad} is not declared"),
                        ));
                    }
                }
                for &a in &rp.from.get_ref().0 {
                    for &b in &rp.to.get_ref().0 {
                        if a == b {
                            continue;
                        }
                        let (i, j) = (a as usize, b as usize);
                        let v = check(&rp.value, i, j, &format!("{key}.value"))?;
                        if let Some(prev) = m[i][j]
                            && prev != v
                        {
                            return Err(ctx.err(
                                rp.value.span(),
                                format!("{key}.value"),
                                format!("distance {a}->{b} is given twice ({prev} and {v})"),
                            ));
                        }
                        m[i][j] = Some(v);
                    }
                }
            }
            // Symmetric fill, then the diagonal.
            for (i, row) in m.iter_mut().enumerate() {
                row[i] = Some(10);
            }
            let transposed: Vec<Vec<Option<u8>>> = (0..nn)
                .map(|i| m.iter().map(|row| row[i]).collect())
                .collect();
            for (row, trow) in m.iter_mut().zip(&transposed) {
                for (cell, t) in row.iter_mut().zip(trow) {
                    if cell.is_none() {
                        *cell = *t;
                    }
                }
            }
        }
    }
    let mut out = vec![vec![0u8; nn]; nn];
    for i in 0..nn {
        for j in 0..nn {
            out[i][j] = m[i][j].ok_or_else(|| {
                ctx.err(
                    dspan.clone(),
                    "distances",
                    format!("the distance between node {i} and {j} is missing"),
                )
            })?;
        }
    }
    Ok(out)
}

#[allow(clippy::type_complexity)]
fn resolve_hmat(
    ctx: &Ctx,
    h: &RawHmat,
    n: u32,
    initiator_nodes: &BTreeSet<u32>,
) -> Result<(Vec<HmatLb>, Vec<HmatCache>), FileError> {
    let mut lb: Vec<HmatLb> = Vec::new();
    #[allow(clippy::too_many_arguments)]
    fn add<T>(
        ctx: &Ctx,
        key: &str,
        e: &RawLb<T>,
        value: u64,
        latency: bool,
        n: u32,
        initiator_nodes: &BTreeSet<u32>,
        lb: &mut Vec<HmatLb>,
    ) -> Result<(), FileError> {
        let hierarchy = match &e.hierarchy {
            Some(s) => parse_enum(ctx, s, &format!("{key}.hierarchy"), &Hierarchy::NAMES)?,
            None => Hierarchy::Memory,
        };
        let access = match &e.access {
            Some(s) => parse_enum(
                ctx,
                s,
                &format!("{key}.type"),
                &[("access", 0u8), ("read", 1), ("write", 2)],
            )?,
            None => 0,
        };
        let data_type = match (latency, access) {
            (true, 0) => DataType::AccessLatency,
            (true, 1) => DataType::ReadLatency,
            (true, _) => DataType::WriteLatency,
            (false, 0) => DataType::AccessBandwidth,
            (false, 1) => DataType::ReadBandwidth,
            (false, _) => DataType::WriteBandwidth,
        };
        if !latency && !value.is_multiple_of(1 << 20) {
            return Err(ctx.err(
                e.value.span(),
                format!("{key}.value"),
                format!("bandwidth {value} should be 1MB aligned (a multiple of 1M)"),
            ));
        }
        for &i in &e.initiator.get_ref().0 {
            if i >= n || !initiator_nodes.contains(&i) {
                return Err(ctx.err(
                    e.initiator.span(),
                    format!("{key}.initiator"),
                    format!("node {i} isn't an initiator proximity domain (no CPU, no generic initiator)"),
                ));
            }
            for &t in &e.target.get_ref().0 {
                if t >= n {
                    return Err(ctx.err(
                        e.target.span(),
                        format!("{key}.target"),
                        format!("target node {t} is not declared"),
                    ));
                }
                if lb.iter().any(|x| {
                    x.hierarchy == hierarchy
                        && x.data_type == data_type
                        && x.initiator == i
                        && x.target == t
                }) {
                    return Err(ctx.err(
                        e.value.span(),
                        format!("{key}.value"),
                        format!("duplicate value for initiator {i} and target {t}"),
                    ));
                }
                lb.push(HmatLb {
                    hierarchy,
                    data_type,
                    initiator: i,
                    target: t,
                    value,
                });
            }
        }
        Ok(())
    }
    for (k, e) in h.latency.iter().enumerate() {
        let e = e.get_ref();
        let key = format!("hmat.latency[{k}]");
        add(
            ctx,
            &key,
            e,
            e.value.get_ref().0,
            true,
            n,
            initiator_nodes,
            &mut lb,
        )?;
    }
    for (k, e) in h.bandwidth.iter().enumerate() {
        let e = e.get_ref();
        let key = format!("hmat.bandwidth[{k}]");
        add(
            ctx,
            &key,
            e,
            e.value.get_ref().0,
            false,
            n,
            initiator_nodes,
            &mut lb,
        )?;
    }
    let mut caches: Vec<HmatCache> = Vec::new();
    for (k, c) in h.cache.iter().enumerate() {
        let rc = c.get_ref();
        let key = |f: &str| format!("hmat.cache[{k}].{f}");
        let node = *rc.node.get_ref();
        if node >= n {
            return Err(ctx.err(
                rc.node.span(),
                key("node"),
                format!("node {node} is not declared"),
            ));
        }
        let level = *rc.level.get_ref();
        if !(1..=3).contains(&level) {
            return Err(ctx.err(
                rc.level.span(),
                key("level"),
                format!("level {level} should be 1, 2 or 3"),
            ));
        }
        if caches.iter().any(|x| x.node == node && x.level == level) {
            return Err(ctx.err(
                rc.level.span(),
                key("level"),
                format!("duplicate cache level {level} for node {node}"),
            ));
        }
        if level > 1
            && !caches
                .iter()
                .any(|x| x.node == node && x.level == level - 1)
        {
            return Err(ctx.err(
                rc.level.span(),
                key("level"),
                format!(
                    "cache level {} of node {node} must be defined first",
                    level - 1
                ),
            ));
        }
        let has = |lat: bool| {
            lb.iter()
                .any(|x| x.target == node && x.value != 0 && x.data_type.is_latency() == lat)
        };
        if !has(true) || !has(false) {
            return Err(ctx.err(
                c.span(),
                format!("hmat.cache[{k}]"),
                format!("node {node} needs a latency and a bandwidth value (as a target) before a memory-side cache"),
            ));
        }
        let associativity = match &rc.associativity {
            Some(s) => parse_enum(ctx, s, &key("associativity"), &Associativity::NAMES)?,
            None => Associativity::None,
        };
        let policy = match &rc.policy {
            Some(s) => parse_enum(ctx, s, &key("policy"), &WritePolicy::NAMES)?,
            None => WritePolicy::None,
        };
        caches.push(HmatCache {
            node,
            size: rc.size.get_ref().0,
            level,
            associativity,
            policy,
            line: *rc.line.get_ref(),
            smbios_handles: Vec::new(),
        });
    }
    Ok((lb, caches))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
    }

    fn err(text: &str) -> FileError {
        parse_str(text, "t.toml").expect_err("must fail")
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999E").is_err());
        assert_eq!(parse_latency("2us"), Ok(2000));
        assert_eq!(parse_num_list("2-4,7"), Ok(vec![2, 3, 4, 7]));
        assert!(parse_num_list("4-2").is_err());
        assert!(parse_num_list("1,1").is_err());
    }

    #[test]
    fn grace_hopper_example() {
        let f = load(&examples_dir().join("grace-hopper.toml")).unwrap();
        let t = &f.topology;
        assert_eq!(t.machine, MachineKind::Q35);
        assert_eq!(t.memory.ram_size, 1 << 30);
        assert_eq!(t.nodes.len(), 10);
        assert_eq!(t.nodes[0].mem, 512 << 20);
        assert_eq!(t.nodes[1].mem, 512 << 20);
        assert!(t.nodes[2..].iter().all(|n| n.mem == 0));
        let nodes: Vec<u32> = t.cpus.iter().map(|c| c.node).collect();
        assert_eq!(nodes, [0, 0, 1, 1]);
        let gi: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
        assert_eq!(gi, (2..10).collect::<Vec<_>>());
        assert_eq!(
            t.generic_initiators[0].handle,
            DeviceHandle::Pci(PciHandle::new(0, 1, 0, 0))
        );
        let d = t.distances.as_ref().unwrap();
        assert_eq!(d[0], [10, 20, 80, 80, 80, 80, 80, 80, 80, 80]);
        assert_eq!(d[9], [80, 80, 20, 20, 20, 20, 20, 20, 20, 10]);
        assert!(!t.hmat);
        assert_eq!(f.smp.sockets, 2);
        assert_eq!(f.smp.cores, 2);
    }

    #[test]
    fn every_example_parses() {
        let mut n = 0;
        for e in std::fs::read_dir(examples_dir()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                n += 1;
            }
        }
        assert!(n >= 4);
    }

    #[test]
    fn hmat_example_values() {
        let f = load(&examples_dir().join("hmat-cache.toml")).unwrap();
        let t = &f.topology;
        assert!(t.hmat);
        assert!(t.hmat_lb.iter().any(|l| l.initiator == 0
            && l.target == 0
            && l.data_type == DataType::AccessLatency
            && l.value == 10));
        assert_eq!(t.hmat_caches.len(), 1);
        assert_eq!(t.hmat_caches[0].associativity, Associativity::Direct);
        assert_eq!(t.nodes[2].initiator, Some(0));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = err("[machine]\ntype = \"q35\"\n\n[[node]]\nmemory = \"12Q\"\n");
        assert_eq!((e.line, e.key.as_str()), (5, "memory"), "{e}");
        assert!(e.to_string().starts_with("t.toml:5:10: memory: "), "{e}");

        let e = err("[machine]\ntype = \"q36\"\n");
        assert_eq!((e.line, e.column), (2, 8));
        assert_eq!(e.key, "machine.type");
        assert!(e.message.contains("q35"), "{e}");

        let e = err("[machine]\ntype = \"q35\"\nbogus = 1\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("unknown field `bogus`"), "{e}");
    }

    const BASE: &str = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 2\n";

    #[test]
    fn node_validation() {
        let e = err(&format!(
            "{BASE}[[node]]\nid = 0\nmemory = \"1G\"\ncpus = \"0-1\"\n[[node]]\nid = 2\n"
        ));
        assert!(e.message.contains("node 1 is missing"), "{e}");
        let e = err(&format!(
            "{BASE}[[node]]\nmemory = \"1G\"\ncpus = \"0-2\"\n"
        ));
        assert!(e.message.contains("CPU index (2)"), "{e}");
        assert_eq!(e.line, 7);
        let e = err("[machine]\ntype = \"q35\"\nmemory = \"2G\"\n[[node]]\nmemory = \"1G\"\n");
        assert!(e.message.contains("should equal RAM size"), "{e}");
        assert_eq!(e.key, "machine.memory");
        let e = err(&format!(
            "{BASE}[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nmemory = \"1G\"\n"
        ));
        assert!(e.message.contains("CPU 1 is not assigned"), "{e}");
    }

    #[test]
    fn distance_validation() {
        let two = format!(
            "{BASE}[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nmemory = \"1G\"\ncpus = 1\n"
        );
        let e = err(&format!("{two}[distances]\nmatrix = [[10, 20], [20, 9]]\n"));
        assert!(e.message.contains("local distance of node 1"), "{e}");
        assert_eq!(e.key, "distances.matrix[1][1]");
        let e = err(&format!(
            "{two}[distances]\nmatrix = [[10, 10], [20, 10]]\n"
        ));
        assert!(e.message.contains("larger than 10"), "{e}");
        let e = err(&format!(
            "{two}[distances]\npairs = [{{ from = 0, to = 5, value = 20 }}]\n"
        ));
        assert!(e.message.contains("node 5 is not declared"), "{e}");
        let ok = parse_str(
            &format!("{two}[distances]\npairs = [{{ from = 1, to = 0, value = 31 }}]\n"),
            "t",
        )
        .unwrap();
        assert_eq!(
            ok.topology.distances,
            Some(vec![vec![10, 31], vec![31, 10]])
        );
    }

    #[test]
    fn generic_initiator_validation() {
        let base =
            format!("{BASE}[[node]]\nmemory = \"1G\"\ncpus = \"0-1\"\n[[node]]\nid = \"1-2\"\n");
        let e = err(&format!(
            "{base}[[generic-initiator]]\ndevice = \"gpu9\"\nnodes = \"1-2\"\n"
        ));
        assert!(e.message.contains("gpu9"), "{e}");
        assert_eq!(e.key, "generic-initiator[0].device");
        let e = err(&format!(
            "{base}[[generic-initiator]]\ndevice = \"0000:01:00.0\"\nnodes = \"1-3\"\n"
        ));
        assert!(e.message.contains("node 3 is not declared"), "{e}");
        let ok = parse_str(
            &format!(
                "{base}[[generic-initiator]]\ndevice = {{ hid = \"ACPI0017\", uid = 0 }}\nnodes = [2, 1]\n"
            ),
            "t",
        )
        .unwrap();
        let gi = &ok.topology.generic_initiators;
        assert_eq!(gi.iter().map(|g| g.node).collect::<Vec<_>>(), [1, 2]);
        assert!(matches!(&gi[0].handle, DeviceHandle::Acpi(a) if a.hid.0 == *b"ACPI0017"));
    }

    #[test]
    fn edk2_flash_node() {
        let virt = "[machine]\ntype = \"virt\"\n[cpus]\ncount = 2\n";
        let nodes = "[[node]]\ncpus = 0\n[[node]]\nmemory = \"1G\"\ncpus = 1\n";
        // Default on virt: EDK2, flash on the first node with memory (node 1 here).
        let f = parse_str(&format!("{virt}{nodes}"), "t").unwrap();
        assert_eq!(f.firmware, Firmware::Edk2);
        assert_eq!(
            f.firmware_flash,
            Some(MemRange {
                base: 0x0400_0000,
                size: 64 << 20,
                node: 1
            })
        );
        // No NUMA nodes: no SRAT, nothing to cover.
        let f = parse_str(
            "[machine]\ntype = \"virt\"\nmemory = \"1G\"\n[cpus]\ncount = 2\n",
            "t",
        )
        .unwrap();
        assert_eq!(f.firmware_flash, None);
        let virt_fw = |fw: &str| format!("[machine]\ntype = \"virt\"\n{fw}[cpus]\ncount = 2\n");
        let f = parse_str(&format!("{}{nodes}", virt_fw("firmware = \"none\"\n")), "t").unwrap();
        assert_eq!((f.firmware, f.firmware_flash), (Firmware::None, None));
        let e = err(&format!("{}{nodes}", virt_fw("flash-node = 0\n")));
        assert_eq!((e.key.as_str(), e.line), ("machine.flash-node", 3));
        assert!(e.message.contains("node 0 has no memory"), "{e}");
        let e = err(&format!("{}{nodes}", virt_fw("flash-node = 2\n")));
        assert!(e.message.contains("node 2 does not exist"), "{e}");
        let e = err(&format!(
            "{}{nodes}",
            virt_fw("firmware = \"none\"\nflash-node = 1\n")
        ));
        assert_eq!(e.key, "machine.flash-node");
        let e = err(&format!("{}{nodes}", virt_fw("firmware = \"uboot\"\n")));
        assert!(e.message.contains("edk2, none"), "{e}");
        let e = err("[machine]\ntype = \"q35\"\nfirmware = \"edk2\"\nmemory = \"1G\"\n");
        assert_eq!(e.key, "machine.firmware");
    }

    #[test]
    fn cpus_use_qemus_topology_rules() {
        // 2 sockets x 3 cores x 2 threads: APIC ids pack thread (1 bit) | core
        // (2 bits) | socket, so socket 1 starts at 8 (spec §2.3, QEMU
        // x86_apicid_from_cpu_idx); no CPU lists: node = socket mod nodes.
        let f = parse_str(
            "[machine]\ntype = \"q35\"\n[cpus]\ncount = 12\nsockets = 2\ncores = 3\nthreads = 2\n\
             [[node]]\nmemory = \"512M\"\n[[node]]\nmemory = \"512M\"\n",
            "t",
        )
        .unwrap();
        let ids: Vec<u32> = f.topology.cpus.iter().map(|c| c.arch_id).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
        let nodes: Vec<u32> = f.topology.cpus.iter().map(|c| c.node).collect();
        assert_eq!(nodes, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
        // QEMU's own message for a hierarchy that does not multiply out.
        let e = err(
            "[machine]\ntype = \"q35\"\nmemory = \"1G\"\n[cpus]\ncount = 5\nsockets = 2\ncores = 2\n",
        );
        assert!(
            e.message
                .starts_with("Invalid CPU topology: product of the hierarchy must match maxcpus"),
            "{e}"
        );
        assert_eq!(e.key, "cpus");
        let e = err("[machine]\ntype = \"virt\"\nmemory = \"1G\"\n[cpus]\ncount = 4\ndies = 2\n");
        assert_eq!(
            e.message,
            "dies > 1 not supported by this machine's CPU topology"
        );
    }

    const RP: &str = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 1\n[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nid = 1\n\
        [[pci]]\nid = \"rp0\"\ndriver = \"pcie-root-port\"\nprops = \"chassis=1\"\n";

    #[test]
    fn pci_addresses_come_from_qemus_pci_model() {
        // No addr anywhere: q35 has mch 00.0, then QEMU's VGA (01.0) and e1000e
        // (02.0); the root port gets 03.0 and its secondary bus number 1.
        let f = parse_str(
            &format!("{RP}[[pci]]\nid = \"gpu0\"\ndriver = \"pci-testdev\"\nbus = \"rp0\"\n[[generic-initiator]]\ndevice = \"gpu0\"\nnode = 1\n"),
            "t",
        )
        .unwrap();
        assert_eq!(f.pci[0].address, PciHandle::new(0, 0, 3, 0));
        assert_eq!(f.pci[1].address, PciHandle::new(0, 1, 0, 0));
        assert_eq!(
            f.topology.generic_initiators[0].handle,
            DeviceHandle::Pci(PciHandle::new(0, 1, 0, 0))
        );
        assert_eq!(
            f.pci[1].qemu_arg().unwrap(),
            "pci-testdev,id=gpu0,bus=rp0,addr=00.0"
        );
        // A bdf that agrees is accepted; one that does not is an error naming both.
        let with = |bdf: &str| {
            parse_str(
                &format!(
                    "{RP}[[pci]]\nid = \"gpu0\"\ndriver = \"pci-testdev\"\nbus = \"rp0\"\nbdf = \"{bdf}\"\n"
                ),
                "t",
            )
        };
        assert!(with("0000:01:00.0").is_ok());
        let e = with("0000:02:00.0").unwrap_err();
        assert_eq!(e.key, "pci[1].bdf");
        assert!(e.message.contains("0000:01:00.0"), "{e}");
        // QEMU's own refusals.
        let e = err(&format!(
            "{RP}[[pci]]\nid = \"x\"\ndriver = \"pci-testdev\"\naddr = \"01.0\"\n"
        ));
        assert!(e.message.contains("in use by VGA"), "{e}");
        let e = err(&format!(
            "{RP}[[pci]]\nid = \"x\"\ndriver = \"pci-testdev\"\nbus = \"nope\"\n"
        ));
        assert!(e.message.contains("Bus 'nope' not found"), "{e}");
        // A device vnuma does not emit is named by its guest address only.
        let e = err(&format!(
            "{RP}[[pci]]\nid = \"x\"\nbus = \"rp0\"\naddr = \"00.0\"\n"
        ));
        assert!(e.message.contains("need a driver"), "{e}");
        let f = parse_str(
            &format!("{RP}[[pci]]\nid = \"x\"\nbdf = \"0000:07:00.1\"\n"),
            "t",
        )
        .unwrap();
        assert_eq!(f.pci[1].address, PciHandle::new(0, 7, 0, 1));
    }

    #[test]
    fn generic_port_names_a_cxl_host_bridge() {
        let base = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 1\n[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nid = 1\n\
            [[pci]]\nid = \"cxl0\"\ndriver = \"pxb-cxl\"\nprops = \"bus_nr=12\"\n\
            [[pci]]\nid = \"d\"\ndriver = \"pci-testdev\"\nbus = \"pcie.0\"\n";
        let f = parse_str(
            &format!("{base}[[generic-port]]\ndevice = \"cxl0\"\nnode = 1\n"),
            "t",
        )
        .unwrap();
        match &f.topology.generic_ports[0].handle {
            DeviceHandle::Acpi(a) => assert_eq!((a.hid.0, a.uid), (*b"ACPI0016", 12)),
            h => panic!("{h:?}"),
        }
        let e = err(&format!(
            "{base}[[generic-port]]\ndevice = \"d\"\nnode = 1\n"
        ));
        assert!(e.message.contains("not a CXL host bridge"), "{e}");
    }
}
