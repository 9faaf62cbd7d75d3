//! Phase: `[hmat]` → latency/bandwidth entries and memory-side caches.

use std::collections::BTreeSet;

use toml::Spanned;

use super::error::FileError;
use super::raw::{RawCache, RawHmat, RawLb};
use super::resolve::Resolver;
use crate::topology::{Associativity, DataType, Hierarchy, HmatCache, HmatLb, WritePolicy};

/// What the latency/bandwidth entries are checked against.
struct LbScope<'s> {
    /// Number of nodes.
    nodes: u32,
    /// Nodes with CPUs or generic initiators.
    initiators: &'s BTreeSet<u32>,
}

impl Resolver<'_> {
    /// The HMAT entries of `h` for `n` nodes.
    pub(super) fn hmat(
        &self,
        h: &RawHmat,
        n: u32,
        initiator_nodes: &BTreeSet<u32>,
    ) -> Result<(Vec<HmatLb>, Vec<HmatCache>), FileError> {
        let scope = LbScope {
            nodes: n,
            initiators: initiator_nodes,
        };
        let mut lb: Vec<HmatLb> = Vec::new();
        for (k, e) in h.latency.iter().enumerate() {
            let e = e.get_ref();
            let key = format!("hmat.latency[{k}]");
            self.add_lb(&key, e, e.value.get_ref().0, true, &scope, &mut lb)?;
        }
        for (k, e) in h.bandwidth.iter().enumerate() {
            let e = e.get_ref();
            let key = format!("hmat.bandwidth[{k}]");
            self.add_lb(&key, e, e.value.get_ref().0, false, &scope, &mut lb)?;
        }
        let mut caches: Vec<HmatCache> = Vec::new();
        for (k, c) in h.cache.iter().enumerate() {
            let cache = self.cache(k, c, n, &lb, &caches)?;
            caches.push(cache);
        }
        Ok((lb, caches))
    }

    /// The data type of an entry: latency or bandwidth, and `type`.
    fn lb_data_type<T>(
        &self,
        key: &str,
        e: &RawLb<T>,
        latency: bool,
    ) -> Result<DataType, FileError> {
        let access = match &e.access {
            Some(s) => self.ctx.parse_enum(
                s,
                &format!("{key}.type"),
                &[("access", 0u8), ("read", 1), ("write", 2)],
            )?,
            None => 0,
        };
        Ok(match (latency, access) {
            (true, 0) => DataType::AccessLatency,
            (true, 1) => DataType::ReadLatency,
            (true, _) => DataType::WriteLatency,
            (false, 0) => DataType::AccessBandwidth,
            (false, 1) => DataType::ReadBandwidth,
            (false, _) => DataType::WriteBandwidth,
        })
    }

    /// One `[[hmat.latency]]` / `[[hmat.bandwidth]]` entry → one value per
    /// (initiator, target) pair.
    fn add_lb<T>(
        &self,
        key: &str,
        e: &RawLb<T>,
        value: u64,
        latency: bool,
        scope: &LbScope,
        lb: &mut Vec<HmatLb>,
    ) -> Result<(), FileError> {
        let hierarchy = match &e.hierarchy {
            Some(s) => self
                .ctx
                .parse_enum(s, &format!("{key}.hierarchy"), &Hierarchy::NAMES)?,
            None => Hierarchy::Memory,
        };
        let data_type = self.lb_data_type(key, e, latency)?;
        if !latency && !value.is_multiple_of(1 << 20) {
            return Err(self.err(
                e.value.span(),
                format!("{key}.value"),
                format!("bandwidth {value} should be 1MB aligned (a multiple of 1M)"),
            ));
        }
        for &i in &e.initiator.get_ref().0 {
            if i >= scope.nodes || !scope.initiators.contains(&i) {
                return Err(self.err(
                    e.initiator.span(),
                    format!("{key}.initiator"),
                    format!("node {i} isn't an initiator proximity domain (no CPU, no generic initiator)"),
                ));
            }
            for &t in &e.target.get_ref().0 {
                if t >= scope.nodes {
                    return Err(self.err(
                        e.target.span(),
                        format!("{key}.target"),
                        format!("target node {t} is not declared"),
                    ));
                }
                let entry = HmatLb {
                    hierarchy,
                    data_type,
                    initiator: i,
                    target: t,
                    value,
                };
                if lb.iter().any(|x| same_lb_slot(x, &entry)) {
                    return Err(self.err(
                        e.value.span(),
                        format!("{key}.value"),
                        format!("duplicate value for initiator {i} and target {t}"),
                    ));
                }
                lb.push(entry);
            }
        }
        Ok(())
    }

    /// One `[[hmat.cache]]`: levels in order, after the node's latency and
    /// bandwidth values.
    fn cache(
        &self,
        k: usize,
        c: &Spanned<RawCache>,
        n: u32,
        lb: &[HmatLb],
        caches: &[HmatCache],
    ) -> Result<HmatCache, FileError> {
        let rc = c.get_ref();
        let key = |f: &str| format!("hmat.cache[{k}].{f}");
        let node = *rc.node.get_ref();
        if node >= n {
            return Err(self.err(
                rc.node.span(),
                key("node"),
                format!("node {node} is not declared"),
            ));
        }
        let level = *rc.level.get_ref();
        self.check_cache_level(rc, &key("level"), node, level, caches)?;
        let has = |lat: bool| {
            lb.iter()
                .any(|x| x.target == node && x.value != 0 && x.data_type.is_latency() == lat)
        };
        if !has(true) || !has(false) {
            return Err(self.err(
                c.span(),
                format!("hmat.cache[{k}]"),
                format!("node {node} needs a latency and a bandwidth value (as a target) before a memory-side cache"),
            ));
        }
        let associativity = match &rc.associativity {
            Some(s) => self
                .ctx
                .parse_enum(s, &key("associativity"), &Associativity::NAMES)?,
            None => Associativity::None,
        };
        let policy = match &rc.policy {
            Some(s) => self
                .ctx
                .parse_enum(s, &key("policy"), &WritePolicy::NAMES)?,
            None => WritePolicy::None,
        };
        Ok(HmatCache {
            node,
            size: rc.size.get_ref().0,
            level,
            associativity,
            policy,
            line: *rc.line.get_ref(),
            smbios_handles: Vec::new(),
        })
    }

    /// Cache levels are 1..=3, once per node, each after the one below.
    fn check_cache_level(
        &self,
        rc: &RawCache,
        key: &str,
        node: u32,
        level: u8,
        caches: &[HmatCache],
    ) -> Result<(), FileError> {
        let span = rc.level.span();
        if !(1..=3).contains(&level) {
            return Err(self.err(span, key, format!("level {level} should be 1, 2 or 3")));
        }
        if caches.iter().any(|x| x.node == node && x.level == level) {
            return Err(self.err(
                span,
                key,
                format!("duplicate cache level {level} for node {node}"),
            ));
        }
        if level > 1
            && !caches
                .iter()
                .any(|x| x.node == node && x.level == level - 1)
        {
            return Err(self.err(
                span,
                key,
                format!(
                    "cache level {} of node {node} must be defined first",
                    level - 1
                ),
            ));
        }
        Ok(())
    }
}

/// Whether two entries give a value for the same (hierarchy, type, initiator,
/// target).
fn same_lb_slot(a: &HmatLb, b: &HmatLb) -> bool {
    a.hierarchy == b.hierarchy
        && a.data_type == b.data_type
        && a.initiator == b.initiator
        && a.target == b.target
}
