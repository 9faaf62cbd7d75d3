//! Phase: `[cpus]` → QEMU's CPU topology and possible CPUs with their nodes;
//! then the nodes' HMAT initiators, which need to know the CPU nodes.

use std::collections::BTreeSet;

use super::error::FileError;
use super::nodes::NodeTable;
use super::resolve::Resolver;
use crate::machine::cpu::{SmpConfig, SmpTopology};
use crate::topology::{Cpu, Node};

impl Resolver<'_> {
    /// The CPU topology and every possible CPU with its node.
    pub(super) fn cpus(&self, nodes: &NodeTable) -> Result<(SmpTopology, Vec<Cpu>), FileError> {
        let smp = self.smp()?;
        for (c, span) in &nodes.cpu_spans {
            if *c >= smp.max_cpus {
                return Err(self.err(
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
        let cpu_slots = crate::machine::cpu::possible_cpus(self.machine, &smp);
        let mut cpus = Vec::new();
        for slot in &cpu_slots {
            let node = if nodes.is_empty() {
                0
            } else if nodes.cpu_owner.is_empty() {
                // QEMU's default mapping (socket id modulo the number of nodes).
                crate::machine::cpu::default_node(slot, nodes.count)
            } else {
                self.listed_node_of(nodes, slot.index, &smp)?
            };
            cpus.push(Cpu {
                arch_id: slot.arch_id,
                node,
            });
        }
        Ok((smp, cpus))
    }

    /// The node whose `cpus` list names CPU `i`; every CPU must be listed.
    fn listed_node_of(
        &self,
        nodes: &NodeTable,
        i: u32,
        smp: &SmpTopology,
    ) -> Result<u32, FileError> {
        nodes.cpu_owner.get(&i).copied().ok_or_else(|| {
            let span = self
                .raw
                .cpus
                .as_ref()
                .map_or(self.mspan.clone(), |s| s.count.span());
            self.err(
                span,
                "node.cpus",
                format!(
                    "CPU {i} is not assigned to any node (list every CPU 0..{} in some node's cpus)",
                    smp.max_cpus.saturating_sub(1)
                ),
            )
        })
    }

    /// `[cpus]` resolved by QEMU's own rules and messages (`machine_parse_smp_config`).
    fn smp(&self) -> Result<SmpTopology, FileError> {
        let raw = self.raw.cpus.as_ref();
        let config = match raw {
            None => SmpConfig::default(),
            Some(c) => {
                if *c.count.get_ref() == 0 {
                    return Err(self.err(c.count.span(), "cpus.count", "at least one CPU"));
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
        SmpTopology::resolve(self.machine, &config).map_err(|msg| {
            let span = raw.map_or(self.mspan.clone(), |c| c.count.span());
            self.err(span, "cpus", msg.to_string())
        })
    }

    /// The nodes in id order with their `initiator` (HMAT attached initiator).
    pub(super) fn attach_initiators(
        &self,
        nodes: &NodeTable,
        cpu_nodes: &BTreeSet<u32>,
    ) -> Result<Vec<Node>, FileError> {
        let mut node_vec: Vec<Node> = nodes.nodes.values().map(|(n, _)| n.clone()).collect();
        for (id, init) in &nodes.initiators {
            let v = *init.get_ref();
            let key = format!("node {id} initiator");
            if v >= nodes.count || !cpu_nodes.contains(&v) {
                return Err(self.err(
                    init.span(),
                    key,
                    format!("the initiator of NUMA node {id} is invalid: node {v} has no CPU"),
                ));
            }
            if cpu_nodes.contains(id) && v != *id {
                return Err(self.err(
                    init.span(),
                    key,
                    format!("the initiator of CPU NUMA node {id} should be itself (got {v})"),
                ));
            }
            if let Some(n) = usize::try_from(*id).ok().and_then(|i| node_vec.get_mut(i)) {
                n.initiator = Some(v);
            }
        }
        Ok(node_vec)
    }
}
