//! Phase: the `[[node]]` tables → dense node ids, their memory, CPU lists and
//! HMAT initiators.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::MAX_NODES;
use super::error::FileError;
use super::raw::RawNode;
use super::resolve::Resolver;
use crate::topology::Node;

/// The declared nodes.
pub(super) struct NodeTable {
    /// Node id → node and the span of its `[[node]]` table.
    pub(super) nodes: BTreeMap<u32, (Node, Range<usize>)>,
    /// CPU index → the node whose `cpus` lists it.
    pub(super) cpu_owner: BTreeMap<u32, u32>,
    /// Every CPU index listed, with the span of its list.
    pub(super) cpu_spans: Vec<(u32, Range<usize>)>,
    /// `initiator` keys: node id and the value.
    pub(super) initiators: Vec<(u32, Spanned<u32>)>,
    /// Number of nodes (ids are dense `0..count`).
    pub(super) count: u32,
}

impl NodeTable {
    /// Whether the file declares no node.
    pub(super) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl Resolver<'_> {
    /// Declares every `[[node]]` and checks that the ids are dense.
    pub(super) fn declare_nodes(&self) -> Result<NodeTable, FileError> {
        let mut table = NodeTable {
            nodes: BTreeMap::new(),
            cpu_owner: BTreeMap::new(),
            cpu_spans: Vec::new(),
            initiators: Vec::new(),
            count: 0,
        };
        let mut next_id = 0u32;
        for (i, n) in self.raw.node.iter().enumerate() {
            next_id = self.declare_node(&mut table, i, n, next_id)?;
        }
        table.count = u32::try_from(table.nodes.len()).unwrap_or(u32::MAX);
        self.check_dense(&table)?;
        Ok(table)
    }

    /// One `[[node]]` table (possibly several ids sharing memory size and
    /// initiator); returns the next implicit id.
    fn declare_node(
        &self,
        table: &mut NodeTable,
        i: usize,
        n: &Spanned<RawNode>,
        next_id: u32,
    ) -> Result<u32, FileError> {
        let key = |k: &str| format!("node[{i}].{k}");
        let rn = n.get_ref();
        let ids = match &rn.id {
            Some(ids) if ids.get_ref().0.is_empty() => {
                return Err(self.err(ids.span(), key("id"), "lists no node"));
            }
            Some(ids) => ids.get_ref().0.clone(),
            None => vec![next_id],
        };
        let id_span = rn.id.as_ref().map_or(n.span(), |s| s.span());
        let mem = rn.memory.as_ref().map_or(0, |s| s.get_ref().0);
        if rn.cpus.is_some() && ids.len() > 1 {
            return Err(self.err(
                id_span,
                key("id"),
                "a [[node]] with cpus must declare a single node",
            ));
        }
        let mut next = next_id;
        for &id in &ids {
            if id >= MAX_NODES {
                return Err(self.err(
                    id_span.clone(),
                    key("id"),
                    format!("node {id} is too large (at most {} nodes)", MAX_NODES),
                ));
            }
            if table.nodes.contains_key(&id) {
                return Err(self.err(
                    id_span.clone(),
                    key("id"),
                    format!("node {id} is declared twice"),
                ));
            }
            let node = Node {
                mem,
                initiator: None,
            };
            table.nodes.insert(id, (node, n.span()));
            if let Some(init) = &rn.initiator {
                table.initiators.push((id, init.clone()));
            }
            next = id + 1;
        }
        if let (Some(cpus), Some(&owner)) = (&rn.cpus, ids.first()) {
            for &c in &cpus.get_ref().0 {
                if let Some(prev) = table.cpu_owner.insert(c, owner) {
                    return Err(self.err(
                        cpus.span(),
                        key("cpus"),
                        format!("CPU {c} is already assigned to node {prev}"),
                    ));
                }
                table.cpu_spans.push((c, cpus.span()));
            }
        }
        Ok(next)
    }

    /// Node ids must be `0..count` with no gap.
    fn check_dense(&self, table: &NodeTable) -> Result<(), FileError> {
        if let Some((&max, (_, span))) = table.nodes.iter().next_back()
            && max + 1 != table.count
        {
            let missing = (0..max).find(|i| !table.nodes.contains_key(i)).unwrap_or(0);
            return Err(self.err(
                span.clone(),
                "node",
                format!("node ids must be dense 0..{max}: node {missing} is missing"),
            ));
        }
        Ok(())
    }
}
