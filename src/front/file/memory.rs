//! Phase: `[machine]` memory keys and firmware → the memory configuration, the
//! guest firmware and the EDK2 flash range on arm `virt`.

use std::ops::Range;

use super::Firmware;
use super::error::FileError;
use super::nodes::NodeTable;
use super::resolve::Resolver;
use crate::machine::memory::{ARM_VIRT_FLASH_BANK_SIZE, ARM_VIRT_FLASH1_BASE};
use crate::topology::{MachineKind, MemRange, MemoryConfig};

/// What the memory phase resolves.
pub(super) struct MemoryPlan {
    /// RAM size, maxmem, slots, max-ram-below-4g (`above_4g_at_1tib` is set by
    /// the layout check at the end).
    pub(super) config: MemoryConfig,
    /// `machine.firmware`.
    pub(super) firmware: Firmware,
    /// The EDK2 flash range and its node.
    pub(super) firmware_flash: Option<MemRange>,
}

fn fmt_size(v: u64) -> String {
    format!("{v:#x}")
}

impl Resolver<'_> {
    /// The memory keys of `[machine]` against the nodes' memory.
    pub(super) fn memory_plan(&self, nodes: &NodeTable) -> Result<MemoryPlan, FileError> {
        let m = &self.raw.machine;
        let ram_size = self.ram_size(nodes)?;
        let slots = m.slots.as_ref().map_or(0, |s| *s.get_ref());
        let max_ram = m.maxmem.as_ref().map(|s| s.get_ref().0);
        let max_ram_below_4g = match &m.max_ram_below_4g {
            Some(s) if !self.machine.is_x86() => {
                return Err(self.err(
                    s.span(),
                    "machine.max-ram-below-4g",
                    "only x86 machines (q35, pc) have this property",
                ));
            }
            Some(s) => Some(s.get_ref().0),
            None => None,
        };
        let firmware = self.firmware()?;
        let firmware_flash = self.firmware_flash(firmware, nodes)?;
        Ok(MemoryPlan {
            config: MemoryConfig {
                ram_size,
                max_ram,
                slots,
                max_ram_below_4g,
                above_4g_at_1tib: false,
            },
            firmware,
            firmware_flash,
        })
    }

    /// `machine.memory`, or the sum of the nodes' memory; they must agree.
    fn ram_size(&self, nodes: &NodeTable) -> Result<u64, FileError> {
        let mspan = self.mspan.clone();
        let node_mem_sum = nodes
            .nodes
            .values()
            .try_fold(0u64, |acc, (n, _)| acc.checked_add(n.mem))
            .ok_or_else(|| self.err(mspan.clone(), "node", "node memory overflows 64 bits"))?;
        let ram_size = match &self.raw.machine.memory {
            Some(s) => {
                if !nodes.is_empty() && s.get_ref().0 != node_mem_sum {
                    return Err(self.err(
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
            None if nodes.is_empty() => {
                return Err(self.err(
                    mspan,
                    "machine.memory",
                    "no [[node]] and no machine.memory: the RAM size is unknown",
                ));
            }
            None => node_mem_sum,
        };
        if ram_size == 0 {
            return Err(self.err(mspan, "machine.memory", "the guest has no RAM"));
        }
        Ok(ram_size)
    }

    /// `machine.firmware` (arm `virt` only; EDK2 there by default).
    fn firmware(&self) -> Result<Firmware, FileError> {
        match &self.raw.machine.firmware {
            Some(s) if !self.machine.is_x86() => {
                self.ctx
                    .parse_enum(s, "machine.firmware", &Firmware::VIRT_CHOICES)
            }
            Some(s) => Err(self.err(
                s.span(),
                "machine.firmware",
                "only the arm virt machine has this key",
            )),
            None if self.machine == MachineKind::Virt => Ok(Firmware::Edk2),
            None => Ok(Firmware::Default),
        }
    }

    /// The EDK2 flash range on arm `virt` with NUMA nodes, on `machine.flash-node`
    /// or the first node with memory.
    fn firmware_flash(
        &self,
        firmware: Firmware,
        nodes: &NodeTable,
    ) -> Result<Option<MemRange>, FileError> {
        let flash_node = &self.raw.machine.flash_node;
        if firmware != Firmware::Edk2 || nodes.is_empty() {
            if let Some(n) = flash_node {
                return Err(self.err(
                    n.span(),
                    "machine.flash-node",
                    "only for machine.type = \"virt\" with firmware = \"edk2\" and NUMA nodes",
                ));
            }
            return Ok(None);
        }
        let (node, span): (u32, Range<usize>) = match flash_node {
            Some(n) => (*n.get_ref(), n.span()),
            None => (
                nodes
                    .nodes
                    .iter()
                    .find(|(_, (n, _))| n.mem > 0)
                    .map_or(0, |(&id, _)| id),
                self.mspan.clone(),
            ),
        };
        match nodes.nodes.get(&node) {
            Some((n, _)) if n.mem > 0 => Ok(Some(MemRange {
                base: ARM_VIRT_FLASH1_BASE,
                size: ARM_VIRT_FLASH_BANK_SIZE,
                node,
            })),
            Some(_) => Err(self.err(
                span,
                "machine.flash-node",
                format!("node {node} has no memory: give a node with memory"),
            )),
            None => Err(self.err(
                span,
                "machine.flash-node",
                format!("node {node} does not exist"),
            )),
        }
    }
}
