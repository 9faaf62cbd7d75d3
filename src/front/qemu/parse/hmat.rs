//! HMAT: `-numa hmat-lb` and `-numa hmat-cache` (QEMU's `numa.c` HMAT rules,
//! checked as each option is applied), and the accepted values for the tables.

use super::super::error::QemuError;
use super::super::lexer::{self, CmdOption, Opts};
use super::options::NumaOpt;
use super::values::{HMAT_DISABLED, enum_val, lookup, numa_size, numa_uint, required};
use super::{NumaState, State, idx};
use crate::machine::memory::MIB;
use crate::machine::tables::latency_base;
use crate::topology::{Associativity, DataType, Hierarchy, HmatCache, HmatLb, WritePolicy};

/// One (hierarchy, data type) table's entries so far and its base/range.
#[derive(Default)]
pub(super) struct LbTable {
    base: u64,
    range_bitmap: u64,
    list: Vec<(u32, u32)>,
}

/// `-numa hmat-lb`: values, then the rules.
pub(super) fn lb_option(st: &mut State<'_, '_>, o: &CmdOption, n: &Opts) -> Result<(), QemuError> {
    let initiator = numa_uint(o, n, "initiator", 65535, "uint16_t")?;
    let target = numa_uint(o, n, "target", 65535, "uint16_t")?;
    let hierarchy = enum_val(o, n, "hierarchy", &Hierarchy::NAMES)?;
    let data_type = enum_val(o, n, "data-type", &DataType::NAMES)?;
    let latency = numa_uint(o, n, "latency", u64::MAX, "uint64_t")?;
    let bandwidth = numa_size(o, n, "bandwidth")?;
    let lb = LbOption {
        initiator: required(o, initiator, "initiator")?,
        target: required(o, target, "target")?,
        hierarchy: required(o, hierarchy, "hierarchy")?,
        data_type: required(o, data_type, "data-type")?,
        latency,
        bandwidth,
    };
    if let Some(k) = n.unknown_key(&[
        "type",
        "initiator",
        "target",
        "hierarchy",
        "data-type",
        "latency",
        "bandwidth",
    ]) {
        return Err(o.error(format!("Invalid parameter '{k}'")));
    }
    if !st.props.hmat {
        return Err(o.error(HMAT_DISABLED));
    }
    hmat_lb(&mut st.numa, &lb).map_err(|e| o.error(e))
}

/// `-numa hmat-cache`: values, then the rules.
pub(super) fn cache_option(
    st: &mut State<'_, '_>,
    o: &CmdOption,
    n: &Opts,
) -> Result<(), QemuError> {
    let node_id = numa_uint(o, n, "node-id", u64::from(u32::MAX), "uint32_t")?;
    let size = numa_size(o, n, "size")?;
    let level = numa_uint(o, n, "level", 255, "uint8_t")?;
    let assoc = enum_val(o, n, "associativity", &Associativity::NAMES)?;
    let policy = enum_val(o, n, "policy", &WritePolicy::NAMES)?;
    let line = numa_uint(o, n, "line", 65535, "uint16_t")?;
    let node_id = required(o, node_id, "node-id")?;
    let size = required(o, size, "size")?;
    let level = required(o, level, "level")?;
    let assoc = required(o, assoc, "associativity")?;
    let policy = required(o, policy, "policy")?;
    let line = required(o, line, "line")?;
    if let Some(k) = n.unknown_key(&[
        "type",
        "node-id",
        "size",
        "level",
        "associativity",
        "policy",
        "line",
    ]) {
        return Err(o.error(format!("Invalid parameter '{k}'")));
    }
    if !st.props.hmat {
        return Err(o.error(HMAT_DISABLED));
    }
    hmat_cache(&mut st.numa, node_id, size, level, assoc, policy, line).map_err(|e| o.error(e))
}

/// One `hmat-lb` option's values.
struct LbOption {
    initiator: u64,
    target: u64,
    hierarchy: Hierarchy,
    data_type: DataType,
    latency: Option<u64>,
    bandwidth: Option<u64>,
}

/// `machine_set_numa_hmat_lb` rules (QEMU's text on error).
fn hmat_lb(numa: &mut NumaState, lb: &LbOption) -> Result<(), String> {
    let (initiator, target) = (lb.initiator, lb.target);
    let nn = u64::try_from(numa.num_nodes).unwrap_or(0);
    if initiator > nn {
        return Err(format!(
            "Invalid initiator={initiator}, it should be less than {nn}"
        ));
    }
    if target > nn {
        return Err(format!(
            "Invalid target={target}, it should be less than {nn}"
        ));
    }
    let (ii, ti) = (idx(initiator), idx(target));
    if !numa.node_has_cpu(ii) && !numa.has_gi.get(ii).copied().unwrap_or(false) {
        return Err(format!(
            "Invalid initiator={initiator}, it isn't an initiator proximity domain"
        ));
    }
    if !numa.is_present(ti) {
        return Err(format!(
            "The target={target} should point to an existing node"
        ));
    }
    let tab = numa
        .hmat_lb
        .entry((lb.hierarchy, lb.data_type))
        .or_default();
    let pair = (
        u32::try_from(initiator).unwrap_or(0),
        u32::try_from(target).unwrap_or(0),
    );
    let info_bit = if lb.data_type.is_latency() {
        lb_latency(tab, lb, pair)?
    } else {
        lb_bandwidth(tab, lb, pair)?
    };
    if let Some(info) = numa.lb_info.get_mut(ti) {
        *info |= info_bit;
    }
    tab.list.push(pair);
    Ok(())
}

/// A latency entry; returns the node's `lb_info` bit (1, or 0 for latency 0).
fn lb_latency(tab: &mut LbTable, lb: &LbOption, pair: (u32, u32)) -> Result<u8, String> {
    let (initiator, target) = (lb.initiator, lb.target);
    let Some(lat) = lb.latency else {
        return Err("Missing 'latency' option".into());
    };
    if lb.bandwidth.is_some() {
        return Err("Invalid option 'bandwidth' since the data type is latency".into());
    }
    if tab.list.contains(&pair) {
        return Err(format!(
            "Duplicate configuration of the latency for initiator={initiator} and target={target}"
        ));
    }
    if tab.base == 0 {
        tab.base = u64::MAX;
    }
    if lat == 0 {
        return Ok(0);
    }
    let temp_base = tab.base.min(latency_base(lat));
    let max_entry = (lat / tab.base).max(tab.range_bitmap);
    if max_entry >= u64::from(u16::MAX) {
        return Err(format!(
            "Latency {lat} between initiator={initiator} and target={target} should not differ from previously entered min or max values on more than 65534"
        ));
    }
    tab.range_bitmap = max_entry;
    tab.base = temp_base;
    Ok(1)
}

/// A bandwidth entry; returns the node's `lb_info` bit (2, or 0 for bandwidth 0).
fn lb_bandwidth(tab: &mut LbTable, lb: &LbOption, pair: (u32, u32)) -> Result<u8, String> {
    let (initiator, target) = (lb.initiator, lb.target);
    let Some(bw) = lb.bandwidth else {
        return Err("Missing 'bandwidth' option".into());
    };
    if lb.latency.is_some() {
        return Err("Invalid option 'latency' since the data type is bandwidth".into());
    }
    if bw % MIB != 0 {
        return Err(format!(
            "Bandwidth {bw} between initiator={initiator} and target={target} should be 1MB aligned"
        ));
    }
    if tab.list.contains(&pair) {
        return Err(format!(
            "Duplicate configuration of the bandwidth for initiator={initiator} and target={target}"
        ));
    }
    if tab.base == 0 {
        tab.base = 1;
    }
    if bw == 0 {
        return Ok(0);
    }
    let bitmap = tab.range_bitmap | bw;
    let first = bitmap.trailing_zeros();
    let temp_base = 1u64 << first;
    let max_entry = bw / temp_base;
    let last = 64 - bitmap.leading_zeros();
    if last - first > 16 || max_entry >= u64::from(u16::MAX) {
        return Err(format!(
            "Bandwidth {bw} between initiator={initiator} and target={target} should not differ from previously entered values on more than 65534"
        ));
    }
    tab.range_bitmap = bitmap;
    tab.base = temp_base;
    Ok(2)
}

/// `machine_set_numa_hmat_cache` rules (QEMU's text on error).
fn hmat_cache(
    numa: &mut NumaState,
    node_id: u64,
    size: u64,
    level: u64,
    associativity: Associativity,
    policy: WritePolicy,
    line: u64,
) -> Result<(), String> {
    let nn = u64::try_from(numa.num_nodes).unwrap_or(0);
    if node_id >= nn {
        return Err(format!(
            "Invalid node-id={node_id}, it should be less than {nn}"
        ));
    }
    if numa.lb_info.get(idx(node_id)).copied() != Some(3) {
        return Err(format!(
            "The latency and bandwidth information of node-id={node_id} should be provided before memory side cache attributes"
        ));
    }
    if !(1..=3).contains(&level) {
        return Err(format!(
            "Invalid level={level}, it should be larger than 0 and less than or equal to 3"
        ));
    }
    let node = u32::try_from(node_id).unwrap_or(0);
    let lvl = u8::try_from(level).unwrap_or(0);
    if numa.hmat_cache.contains_key(&(node, lvl)) {
        return Err(format!(
            "Duplicate configuration of the side cache for node-id={node_id} and level={level}"
        ));
    }
    if lvl > 1 {
        let Some(prev) = numa.hmat_cache.get(&(node, lvl - 1)) else {
            return Err(format!("Cache level={} shall be defined first", lvl - 1));
        };
        if size <= prev.size {
            return Err(format!(
                "Invalid size={size}, the size of level={level} should be larger than the size({}) of level={}",
                prev.size,
                lvl - 1
            ));
        }
    }
    if lvl < 3
        && let Some(next) = numa.hmat_cache.get(&(node, lvl + 1))
        && size >= next.size
    {
        return Err(format!(
            "Invalid size={size}, the size of level={level} should be less than the size({}) of level={}",
            next.size,
            lvl + 1
        ));
    }
    numa.hmat_cache.insert(
        (node, lvl),
        HmatCache {
            node,
            size,
            level: lvl,
            associativity,
            policy,
            line: u16::try_from(line).unwrap_or(0),
            smbios_handles: Vec::new(),
        },
    );
    Ok(())
}

/// The accepted `hmat-lb` values in command-line order (re-read from the options,
/// which all passed validation when this runs).
pub(super) fn numa_lb_values(numa_opts: &[NumaOpt<'_>]) -> Vec<HmatLb> {
    let mut out = Vec::new();
    for n in numa_opts.iter().filter_map(NumaOpt::full) {
        let n = &n;
        if n.get("type") != Some("hmat-lb") {
            continue;
        }
        let h = n
            .get("hierarchy")
            .and_then(|v| lookup(&Hierarchy::NAMES, v))
            .unwrap_or(Hierarchy::ThirdLevel);
        let t = n
            .get("data-type")
            .and_then(|v| lookup(&DataType::NAMES, v))
            .unwrap_or(DataType::WriteBandwidth);
        let value = if t.is_latency() {
            n.get("latency").and_then(lexer::parse_u64)
        } else {
            n.get("bandwidth").and_then(lexer::parse_size)
        };
        let g = |k: &str| {
            n.get(k)
                .and_then(lexer::parse_u64)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        out.push(HmatLb {
            hierarchy: h,
            data_type: t,
            initiator: g("initiator"),
            target: g("target"),
            value: value.unwrap_or(0),
        });
    }
    out
}
