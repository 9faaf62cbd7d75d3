//! The file as TOML gives it: tables and values with their spans, before any
//! cross-checks.

use serde::Deserialize;
use toml::Spanned;

use super::error::{Ctx, FileError};
use super::value::{DeviceRef, Latency, NumList, Size};

/// Reads the TOML text into the raw tables; syntax and type errors name the
/// position and the key.
pub(super) fn parse_toml(ctx: &Ctx, text: &str) -> Result<RawFile, FileError> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let key = ctx.key_at(span.start);
        ctx.err(span, key, e.message().trim_end().to_string())
    })
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) machine: RawMachine,
    pub(super) cpus: Option<RawCpus>,
    #[serde(default)]
    pub(super) node: Vec<Spanned<RawNode>>,
    #[serde(default)]
    pub(super) pci: Vec<Spanned<RawPci>>,
    #[serde(default, rename = "generic-initiator")]
    pub(super) generic_initiator: Vec<Spanned<RawGeneric>>,
    #[serde(default, rename = "generic-port")]
    pub(super) generic_port: Vec<Spanned<RawGeneric>>,
    pub(super) distances: Option<RawDistances>,
    pub(super) hmat: Option<RawHmat>,
    pub(super) oem: Option<RawOem>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawMachine {
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    pub(super) memory: Option<Spanned<Size>>,
    pub(super) maxmem: Option<Spanned<Size>>,
    pub(super) slots: Option<Spanned<u64>>,
    pub(super) max_ram_below_4g: Option<Spanned<Size>>,
    pub(super) firmware: Option<Spanned<String>>,
    pub(super) flash_node: Option<Spanned<u32>>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCpus {
    pub(super) count: Spanned<u32>,
    pub(super) maxcpus: Option<Spanned<u32>>,
    pub(super) sockets: Option<u32>,
    pub(super) dies: Option<u32>,
    pub(super) clusters: Option<u32>,
    pub(super) modules: Option<u32>,
    pub(super) cores: Option<u32>,
    pub(super) threads: Option<u32>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNode {
    pub(super) id: Option<Spanned<NumList>>,
    pub(super) memory: Option<Spanned<Size>>,
    pub(super) cpus: Option<Spanned<NumList>>,
    pub(super) initiator: Option<Spanned<u32>>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPci {
    pub(super) id: Spanned<String>,
    pub(super) driver: Option<String>,
    pub(super) bus: Option<String>,
    pub(super) addr: Option<Spanned<String>>,
    pub(super) props: Option<String>,
    pub(super) bdf: Option<Spanned<String>>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGeneric {
    pub(super) device: Spanned<DeviceRef>,
    #[serde(alias = "node")]
    pub(super) nodes: Spanned<NumList>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDistances {
    pub(super) matrix: Option<Spanned<Vec<Vec<Spanned<u32>>>>>,
    #[serde(default)]
    pub(super) pairs: Vec<Spanned<RawPair>>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPair {
    pub(super) from: Spanned<NumList>,
    pub(super) to: Spanned<NumList>,
    pub(super) value: Spanned<u32>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHmat {
    #[serde(default)]
    pub(super) latency: Vec<Spanned<RawLb<Latency>>>,
    #[serde(default)]
    pub(super) bandwidth: Vec<Spanned<RawLb<Size>>>,
    #[serde(default)]
    pub(super) cache: Vec<Spanned<RawCache>>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLb<T> {
    pub(super) initiator: Spanned<NumList>,
    pub(super) target: Spanned<NumList>,
    pub(super) hierarchy: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub(super) access: Option<Spanned<String>>,
    pub(super) value: Spanned<T>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    pub(super) node: Spanned<u32>,
    pub(super) size: Spanned<Size>,
    pub(super) level: Spanned<u8>,
    pub(super) associativity: Option<Spanned<String>>,
    pub(super) policy: Option<Spanned<String>>,
    pub(super) line: Spanned<u16>,
}

/// A table of the file (see `docs/topology.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawOem {
    pub(super) id: Option<Spanned<String>>,
    pub(super) table_id: Option<Spanned<String>>,
    pub(super) revision: Option<u32>,
}
