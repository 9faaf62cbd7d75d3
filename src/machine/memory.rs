//! Guest physical memory maps of the machine profiles, as QEMU 10.0.2 lays them out
//! (spec §2.3 and §2.4).
//!
//! * x86 (`pc`, `q35`): boot RAM is split into a part below 4 GiB and a part that
//!   starts at `above_4g_start` (4 GiB, or 1 TiB for AMD CPUs on large configs);
//!   the SRAT node walk charges the 640 KiB–1 MiB hole to the node spanning it.
//! * arm `virt`: RAM starts at 1 GiB ([`ARM_VIRT_RAM_BASE`]) with no holes.
//! * Both: an optional device-memory (hotplug) region above RAM, aligned to 1 GiB,
//!   where `pc-dimm`/`nvdimm` devices are placed first-fit ([`place_dimms`]).
//!
//! Everything here is public so that `vnuma build` lays injected tables out on the
//! same memory map QEMU gives the guest.

use serde::{Deserialize, Serialize};

use super::LayoutError;
use crate::topology::{MachineKind, MemRange, MemoryConfig, Topology};

/// 1 KiB.
pub const KIB: u64 = 1 << 10;
/// 1 MiB.
pub const MIB: u64 = 1 << 20;
/// 1 GiB.
pub const GIB: u64 = 1 << 30;
/// 4 GiB: where x86 RAM above the PCI hole normally starts.
pub const X86_ABOVE_4G_START: u64 = 4 * GIB;
/// 1 TiB: where x86 RAM above 4 GiB starts for AMD CPUs whose highest address
/// would reach the HyperTransport window.
pub const AMD_ABOVE_1TB_START: u64 = 1 << 40;
/// Start of the legacy VGA/BIOS hole (640 KiB).
pub const HOLE_640K_START: u64 = 0xA_0000;
/// End of the legacy VGA/BIOS hole (1 MiB).
pub const HOLE_640K_END: u64 = 0x10_0000;
/// Base of RAM on arm `virt`.
pub const ARM_VIRT_RAM_BASE: u64 = 0x4000_0000;
/// arm `virt`: the second flash bank (pflash unit 1, EDK2's variable store), which
/// EDK2 reports to the OS as memory (QEMU `virt` memmap `VIRT_FLASH` is two 64 MiB
/// banks from 0).
pub const ARM_VIRT_FLASH1_BASE: u64 = 0x0400_0000;
/// Size of one arm `virt` flash bank (64 MiB).
pub const ARM_VIRT_FLASH_BANK_SIZE: u64 = 0x0400_0000;
/// QEMU's default `max-ram-below-4g` on `pc` (3.5 GiB).
pub const PC_DEFAULT_MAX_RAM_BELOW_4G: u64 = 0xE000_0000;
/// Most memory slots an x86 machine accepts (`ACPI_MAX_RAM_SLOTS`).
pub const X86_MAX_RAM_SLOTS: u64 = 256;

/// A guest physical address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// First address.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
}

impl Range {
    /// One past the last address, or `None` if it does not fit in 64 bits.
    pub fn end(&self) -> Option<u64> {
        self.base.checked_add(self.size)
    }

    /// Whether `other` lies entirely inside this range.
    pub fn contains(&self, other: &Range) -> bool {
        match (self.end(), other.end()) {
            (Some(e), Some(oe)) => other.base >= self.base && oe <= e,
            _ => false,
        }
    }
}

/// A piece of boot RAM attributed to a node, as listed in the SRAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRam {
    /// Proximity domain.
    pub node: u32,
    /// Guest physical base.
    pub base: u64,
    /// Length in bytes (never 0).
    pub size: u64,
}

/// How x86 boot RAM is split around the PCI hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct X86RamSplit {
    /// RAM mapped from 0 up to this size (below 4 GiB).
    pub below_4g: u64,
    /// RAM mapped from `above_4g_start`.
    pub above_4g: u64,
    /// Where the RAM above 4 GiB starts (4 GiB or 1 TiB).
    pub above_4g_start: u64,
}

fn round_up(v: u64, align: u64, field: &str) -> Result<u64, LayoutError> {
    if align == 0 {
        return Ok(v);
    }
    v.div_ceil(align)
        .checked_mul(align)
        .ok_or_else(|| LayoutError::invalid(field, format!("address {v:#x} overflows 64 bits")))
}

fn add(a: u64, b: u64, field: &str) -> Result<u64, LayoutError> {
    a.checked_add(b)
        .ok_or_else(|| LayoutError::invalid(field, "memory size overflows 64 bits"))
}

/// pc: low memory is clamped to 3 GiB when RAM reaches `max-ram-below-4g`.
const PC_LOWMEM_CAP: u64 = 0xC000_0000;

/// q35's low-memory size before the `max-ram-below-4g` cap (pc_q35_init): 2 GiB
/// when RAM ≥ 2.75 GiB, else 2.75 GiB.
fn q35_lowmem(ram: u64) -> u64 {
    if ram >= 0xB000_0000 {
        0x8000_0000
    } else {
        0xB000_0000
    }
}

/// q35's effective `max-ram-below-4g` (0 means "not set": 4 GiB).
fn q35_max_ram_below_4g(m: Option<u64>) -> u64 {
    m.filter(|&m| m != 0).unwrap_or(4 * GIB)
}

/// pc's effective `max-ram-below-4g` (0 means "not set": 3.5 GiB).
fn pc_max_ram_below_4g(m: Option<u64>) -> u64 {
    m.filter(|&m| m != 0).unwrap_or(PC_DEFAULT_MAX_RAM_BELOW_4G)
}

/// What QEMU says of a `max-ram-below-4g` value when it is set
/// (`x86_machine_set_max_ram_below_4g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxRamBelow4g {
    /// Accepted.
    Ok,
    /// Above 4 GiB: refused.
    Above4G,
    /// Below 1 MiB: accepted with a warning (firmware may not work).
    Below1M,
}

/// Checks a `max-ram-below-4g` value (at most 4 GiB; a warning below 1 MiB).
pub fn check_max_ram_below_4g(size: u64) -> MaxRamBelow4g {
    if size > 4 * GIB {
        MaxRamBelow4g::Above4G
    } else if size < MIB {
        MaxRamBelow4g::Below1M
    } else {
        MaxRamBelow4g::Ok
    }
}

/// A performance warning QEMU prints for the x86 RAM split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RamSplitWarning {
    /// pc_init1: RAM reaches `max-ram-below-4g`, whose (3 GiB-capped) value is not
    /// a multiple of 1 GiB. Holds the effective `max-ram-below-4g`.
    PcNotGibAligned {
        /// The effective `max-ram-below-4g`.
        max_ram_below_4g: u64,
    },
    /// pc_q35_init: `max-ram-below-4g` caps low memory, RAM is more than twice it
    /// and it is not a multiple of 1 GiB.
    Q35PoorPerformance {
        /// The effective `max-ram-below-4g`.
        max_ram_below_4g: u64,
    },
}

/// The RAM split's performance warning for `machine`, if QEMU prints one.
pub fn x86_ram_split_warning(
    machine: MachineKind,
    ram_size: u64,
    max_ram_below_4g: Option<u64>,
) -> Option<RamSplitWarning> {
    match machine {
        MachineKind::Pc => {
            let mrb = pc_max_ram_below_4g(max_ram_below_4g);
            (ram_size >= mrb && mrb.min(PC_LOWMEM_CAP) & (GIB - 1) != 0).then_some(
                RamSplitWarning::PcNotGibAligned {
                    max_ram_below_4g: mrb,
                },
            )
        }
        MachineKind::Q35 => {
            let mrb = q35_max_ram_below_4g(max_ram_below_4g);
            (q35_lowmem(ram_size) > mrb
                && ram_size.saturating_sub(mrb) > mrb
                && mrb & (GIB - 1) != 0)
                .then_some(RamSplitWarning::Q35PoorPerformance {
                    max_ram_below_4g: mrb,
                })
        }
        MachineKind::Virt => None,
    }
}

impl X86RamSplit {
    /// QEMU's split for `machine` (`pc` or `q35`) and the memory sizes.
    ///
    /// * q35: low memory is 2 GiB when RAM ≥ 2.75 GiB, else 2.75 GiB, capped by
    ///   `max-ram-below-4g` (default 4 GiB).
    /// * pc: low memory is `max-ram-below-4g` (default 3.5 GiB), clamped to 3 GiB
    ///   when RAM reaches it (gigabyte alignment of current machine types).
    ///
    /// RAM at or above the low-memory limit is split there; smaller RAM is all below.
    pub fn compute(machine: MachineKind, mem: &MemoryConfig) -> Result<Self, LayoutError> {
        let ram = mem.ram_size;
        let lowmem = match machine {
            MachineKind::Q35 => q35_lowmem(ram).min(q35_max_ram_below_4g(mem.max_ram_below_4g)),
            MachineKind::Pc => {
                let max = pc_max_ram_below_4g(mem.max_ram_below_4g);
                if ram >= max {
                    max.min(PC_LOWMEM_CAP)
                } else {
                    max
                }
            }
            MachineKind::Virt => {
                return Err(LayoutError::invalid(
                    "machine",
                    "the below/above 4 GiB RAM split only exists on x86 machines",
                ));
            }
        };
        if let Some(m) = mem.max_ram_below_4g
            && check_max_ram_below_4g(m) == MaxRamBelow4g::Above4G
        {
            return Err(LayoutError::MaxRamBelow4gAbove4G { value: m });
        }
        let (below_4g, above_4g) = if ram >= lowmem {
            (lowmem, ram - lowmem)
        } else {
            (ram, 0)
        };
        let above_4g_start = if mem.above_4g_at_1tib {
            AMD_ABOVE_1TB_START
        } else {
            X86_ABOVE_4G_START
        };
        add(above_4g_start, above_4g, "memory.ram_size")?;
        Ok(X86RamSplit {
            below_4g,
            above_4g,
            above_4g_start,
        })
    }

    /// One past the last byte of RAM above 4 GiB (`above_4g_start + above_4g`).
    pub fn above_4g_end(&self) -> u64 {
        self.above_4g_start.saturating_add(self.above_4g)
    }

    /// The guest RAM regions: `[0, below_4g)` and, if any, `[above_4g_start, +above_4g)`.
    pub fn ram_regions(&self) -> Vec<Range> {
        let mut v = Vec::new();
        if self.below_4g > 0 {
            v.push(Range {
                base: 0,
                size: self.below_4g,
            });
        }
        if self.above_4g > 0 {
            v.push(Range {
                base: self.above_4g_start,
                size: self.above_4g,
            });
        }
        v
    }
}

/// The SRAT memory entries of x86 boot RAM: QEMU's walk over nodes `0..N-1`
/// with a running cursor (spec §2.3 step 3), including its quirks:
/// the 640 KiB–1 MiB hole is cut out of the node spanning 640 KiB, a node that
/// ends inside the hole moves the cursor to 1 MiB (shifting later nodes), and
/// the node spanning `below_4g` continues at `above_4g_start`.
/// Nodes with no memory give no entry.
pub fn x86_node_ram(node_mem: &[u64], split: &X86RamSplit) -> Result<Vec<NodeRam>, LayoutError> {
    let mut out = Vec::new();
    let mut next: u64 = 0;
    for (i, &mem) in node_mem.iter().enumerate() {
        let node = u32::try_from(i).map_err(|_| LayoutError::invalid("nodes", "too many nodes"))?;
        let field = format!("nodes[{i}].mem");
        let mut base = next;
        let mut len = mem;
        next = add(base, len, &field)?;
        let mut emit = |base: u64, len: u64| {
            if len > 0 {
                out.push(NodeRam {
                    node,
                    base,
                    size: len,
                });
            }
        };
        if base <= HOLE_640K_START && next > HOLE_640K_START {
            len -= next - HOLE_640K_START;
            emit(base, len);
            if next <= HOLE_640K_END {
                next = HOLE_640K_END;
                continue;
            }
            base = HOLE_640K_END;
            len = next - HOLE_640K_END;
        }
        let below = split.below_4g;
        if base <= below && next > below {
            len -= next - below;
            emit(base, len);
            base = split.above_4g_start;
            len = next - below;
            next = add(base, len, &field)?;
        }
        emit(base, len);
    }
    Ok(out)
}

/// The SRAT memory entries of arm `virt` boot RAM: consecutive from
/// [`ARM_VIRT_RAM_BASE`], memoryless nodes skipped, no holes.
pub fn arm_node_ram(node_mem: &[u64]) -> Result<Vec<NodeRam>, LayoutError> {
    let mut out = Vec::new();
    let mut cursor = ARM_VIRT_RAM_BASE;
    for (i, &mem) in node_mem.iter().enumerate() {
        if mem == 0 {
            continue;
        }
        let node = u32::try_from(i).map_err(|_| LayoutError::invalid("nodes", "too many nodes"))?;
        out.push(NodeRam {
            node,
            base: cursor,
            size: mem,
        });
        cursor = add(cursor, mem, &format!("nodes[{i}].mem"))?;
    }
    Ok(out)
}

/// The device-memory (memory hotplug) region, if the machine has one.
///
/// * x86: exists iff `maxmem > ram`; base = `ROUND_UP(above_4g_end, 1 GiB)` (or the
///   end of the SGX EPC ranges, when there are any); size = `maxmem − ram + slots·1 GiB`.
///   Slots without a larger `maxmem` are an error.
/// * arm `virt`: exists iff `slots > 0` or `maxmem > ram`; base =
///   `ROUND_UP(0x4000_0000 + ram, 1 GiB)`; size as on x86.
pub fn device_memory(
    machine: MachineKind,
    mem: &MemoryConfig,
    sgx_epc: &[MemRange],
) -> Result<Option<Range>, LayoutError> {
    let ram = mem.ram_size;
    let maxmem = mem.max_ram.unwrap_or(ram);
    if maxmem < ram {
        return Err(LayoutError::MaxRamBelowRam { maxmem, ram });
    }
    let slot_bytes = mem
        .slots
        .checked_mul(GIB)
        .ok_or_else(|| LayoutError::invalid("memory.slots", "too many slots"))?;
    let size = add(maxmem - ram, slot_bytes, "memory.slots")?;
    match machine {
        MachineKind::Pc | MachineKind::Q35 => {
            if mem.slots > 0 && maxmem == ram {
                return Err(LayoutError::SlotsWithoutRoom {
                    slots: mem.slots,
                    ram,
                });
            }
            if maxmem == ram {
                return Ok(None);
            }
            if mem.slots > X86_MAX_RAM_SLOTS {
                return Err(LayoutError::TooManySlots {
                    slots: mem.slots,
                    max: X86_MAX_RAM_SLOTS,
                });
            }
            let split = X86RamSplit::compute(machine, mem)?;
            let mut top = split.above_4g_end();
            if !sgx_epc.is_empty() {
                top = 0;
                for (i, r) in sgx_epc.iter().enumerate() {
                    top = top.max(add(r.base, r.size, &format!("sgx_epc[{i}]"))?);
                }
            }
            let base = round_up(top, GIB, "memory")?;
            add(base, size, "memory.max_ram")?;
            Ok(Some(Range { base, size }))
        }
        MachineKind::Virt => {
            if size == 0 {
                return Ok(None);
            }
            let base = round_up(
                add(ARM_VIRT_RAM_BASE, ram, "memory.ram_size")?,
                GIB,
                "memory",
            )?;
            add(base, size, "memory.max_ram")?;
            Ok(Some(Range { base, size }))
        }
    }
}

/// The whole guest memory picture of a topology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryMap {
    /// Boot RAM regions as the guest sees them (x86: below and above 4 GiB; arm: one).
    pub ram: Vec<Range>,
    /// x86: the RAM split around the PCI hole.
    pub x86_split: Option<X86RamSplit>,
    /// Per-node RAM pieces in SRAT order (x86: with QEMU's 640 KiB hole quirk).
    pub node_ram: Vec<NodeRam>,
    /// The device-memory (hotplug) region, if any.
    pub device_memory: Option<Range>,
}

impl MemoryMap {
    /// Lays out the topology's memory. When the topology has nodes, their memory
    /// must sum to `memory.ram_size` (QEMU's rule).
    pub fn for_topology(t: &Topology) -> Result<Self, LayoutError> {
        let node_mem: Vec<u64> = t.nodes.iter().map(|n| n.mem).collect();
        if !node_mem.is_empty() {
            let mut sum: u64 = 0;
            for (i, m) in node_mem.iter().enumerate() {
                sum = add(sum, *m, &format!("nodes[{i}].mem"))?;
            }
            if sum != t.memory.ram_size {
                return Err(LayoutError::invalid(
                    "nodes[].mem",
                    format!(
                        "total memory for NUMA nodes ({sum:#x}) should equal RAM size ({:#x})",
                        t.memory.ram_size
                    ),
                ));
            }
        }
        let device_memory = device_memory(t.machine, &t.memory, &t.sgx_epc)?;
        if t.machine.is_x86() {
            let split = X86RamSplit::compute(t.machine, &t.memory)?;
            Ok(MemoryMap {
                ram: split.ram_regions(),
                x86_split: Some(split),
                node_ram: x86_node_ram(&node_mem, &split)?,
                device_memory,
            })
        } else {
            let ram = if t.memory.ram_size > 0 {
                vec![Range {
                    base: ARM_VIRT_RAM_BASE,
                    size: t.memory.ram_size,
                }]
            } else {
                Vec::new()
            };
            Ok(MemoryMap {
                ram,
                x86_split: None,
                node_ram: arm_node_ram(&node_mem)?,
                device_memory,
            })
        }
    }
}

/// QEMU rounds the `-m` size up to a multiple of this (8 KiB).
pub const RAM_SIZE_ALIGN: u64 = 8 * KIB;

impl MemoryMap {
    /// Checks that the SRAT memory entries describe the guest's boot RAM exactly:
    /// every node piece lies inside a RAM region and every RAM byte (x86: except
    /// the 640 KiB–1 MiB legacy hole) belongs to some node. QEMU's own x86 walk
    /// breaks this when a node boundary falls inside the legacy hole (the later
    /// nodes are shifted past the end of RAM), and a `-m` size QEMU rounds up
    /// ([`RAM_SIZE_ALIGN`]) gives the VM RAM that no node holds. Tables injected
    /// into a VM must not do either; `vnuma build` refuses such topologies.
    pub fn check_describes_ram(&self, t: &Topology) -> Result<(), LayoutError> {
        if t.nodes.is_empty() {
            return Ok(());
        }
        if !t.memory.ram_size.is_multiple_of(RAM_SIZE_ALIGN) {
            return Err(LayoutError::invalid(
                "memory.ram_size",
                format!(
                    "RAM size {:#x} is not a multiple of 8 KiB: QEMU rounds it up, and the VM would have RAM no node describes",
                    t.memory.ram_size
                ),
            ));
        }
        let mut expected: Vec<Range> = Vec::new();
        for r in &self.ram {
            let end = r
                .end()
                .ok_or_else(|| LayoutError::invalid("memory", "RAM overflows 64 bits"))?;
            if t.machine.is_x86() && r.base < HOLE_640K_END && end > HOLE_640K_START {
                if r.base < HOLE_640K_START {
                    expected.push(Range {
                        base: r.base,
                        size: HOLE_640K_START - r.base,
                    });
                }
                if end > HOLE_640K_END {
                    expected.push(Range {
                        base: HOLE_640K_END,
                        size: end - HOLE_640K_END,
                    });
                }
            } else {
                expected.push(*r);
            }
        }
        for p in &self.node_ram {
            let piece = Range {
                base: p.base,
                size: p.size,
            };
            if !expected.iter().any(|r| r.contains(&piece)) {
                return Err(LayoutError::invalid(
                    format!("nodes[{}].mem", p.node),
                    format!(
                        "the SRAT would give node {} [{:#x}, +{:#x}), which is not all RAM of this machine (a node boundary inside the 640 KiB-1 MiB legacy hole shifts the later nodes; make node memory sizes multiples of 1 MiB)",
                        p.node, p.base, p.size
                    ),
                ));
            }
        }
        let listed = self
            .node_ram
            .iter()
            .try_fold(0u64, |a, p| a.checked_add(p.size));
        let real = expected.iter().try_fold(0u64, |a, r| a.checked_add(r.size));
        if listed != real {
            return Err(LayoutError::invalid(
                "nodes[].mem",
                format!(
                    "the SRAT memory entries cover {:#x} bytes of the machine's {:#x} bytes of RAM (node boundaries inside the 640 KiB-1 MiB legacy hole; make node memory sizes multiples of 1 MiB)",
                    listed.unwrap_or(u64::MAX),
                    real.unwrap_or(u64::MAX)
                ),
            ));
        }
        Ok(())
    }
}

/// A memory device (`pc-dimm`, `nvdimm`) to place in the device-memory region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimmRequest {
    /// The device id, for messages.
    pub id: String,
    /// Size of the device's memory in bytes.
    pub size: u64,
    /// A fixed address (`addr=`), or `None` for first fit.
    pub addr: Option<u64>,
    /// Required alignment (QEMU: the backend's region alignment, e.g. 2 MiB for
    /// anonymous RAM on Linux hosts). 0 or 1: none.
    pub align: u64,
}

/// What memory devices may use in total: QEMU's `maxmem − ram`
/// (`memory_device_check_addable`). The device-memory region is larger by
/// 1 GiB per slot, for alignment, but that slack is not usable.
pub fn device_memory_capacity(mem: &MemoryConfig) -> u64 {
    mem.max_ram
        .unwrap_or(mem.ram_size)
        .saturating_sub(mem.ram_size)
}

/// Where the AMD HyperTransport window starts (`AMD_HT_START`).
pub const AMD_HT_START: u64 = 0xFD_0000_0000;
/// Size of the 64-bit PCI hole QEMU reserves after RAM and device memory on
/// q35 (the default `pci-hole64-size` of the q35 host, 32 GiB).
pub const X86_PCI_HOLE64_SIZE: u64 = 32 * GIB;
/// The same on `pc` (the i440FX host's default `pci-hole64-size`, 2 GiB).
pub const PC_PCI_HOLE64_SIZE: u64 = 2 * GIB;

/// The highest guest-physical address QEMU 10 uses on a 64-bit x86 CPU
/// (`pc_max_used_gpa`): the end of the 64-bit PCI hole, which starts at the
/// 1 GiB-aligned end of the device-memory region (or of RAM above 4 GiB when
/// there is none), after the CXL host-bridge register window (1 MiB) when
/// `cxl` (`-machine cxl=on`, no fixed memory windows) is set. Uses
/// `mem.above_4g_at_1tib` as given.
pub fn x86_max_used_gpa(
    machine: MachineKind,
    mem: &MemoryConfig,
    sgx_epc: &[MemRange],
    cxl: bool,
) -> Result<u64, LayoutError> {
    let mut end = match device_memory(machine, mem, sgx_epc)? {
        Some(r) => add(r.base, r.size, "memory.max_ram")?,
        None => X86RamSplit::compute(machine, mem)?.above_4g_end(),
    };
    if cxl {
        // pc_get_cxl_range_end: the CXL register window (1 MiB) comes first.
        end = add(end, MIB, "memory")?;
    }
    let hole64 = if machine == MachineKind::Pc {
        PC_PCI_HOLE64_SIZE
    } else {
        X86_PCI_HOLE64_SIZE
    };
    Ok(add(round_up(end, GIB, "memory")?, hole64, "memory")? - 1)
}

/// Whether QEMU moves x86 RAM above 4 GiB to 1 TiB for an AMD-vendor CPU
/// (`pc_memory_init`): when the highest used address with RAM above 4 GiB at
/// 4 GiB ([`x86_max_used_gpa`]) reaches [`AMD_HT_START`]. Ignores
/// `mem.above_4g_at_1tib`; the caller decides whether the CPU is an AMD one.
pub fn x86_amd_above_1tib(
    machine: MachineKind,
    mem: &MemoryConfig,
    sgx_epc: &[MemRange],
    cxl: bool,
) -> Result<bool, LayoutError> {
    let mut at_4g = mem.clone();
    at_4g.above_4g_at_1tib = false;
    Ok(x86_max_used_gpa(machine, &at_4g, sgx_epc, cxl)? >= AMD_HT_START)
}

/// Places memory devices one at a time, in plug order, the way QEMU's
/// `memory_device_pre_plug` does (see [`place_dimms`]).
#[derive(Debug, Clone)]
pub struct DimmPlacer {
    region: Range,
    capacity: u64,
    used: u64,
    placed: Vec<(Range, String)>,
}

impl DimmPlacer {
    /// A placer for the device-memory `region`, of which memory devices may use
    /// `capacity` bytes in total ([`device_memory_capacity`]).
    pub fn new(region: Range, capacity: u64) -> Self {
        DimmPlacer {
            region,
            capacity,
            used: 0,
            placed: Vec::new(),
        }
    }

    /// Places one device: at its fixed address, or at the lowest aligned address
    /// above the region start that does not overlap an already placed device
    /// (first fit, scanning placed devices in address order). Returns its
    /// address. Errors carry QEMU's message text and name the device; a device
    /// that fails is not placed.
    pub fn place(&mut self, d: &DimmRequest) -> Result<u64, LayoutError> {
        let region = self.region;
        let region_end = region
            .end()
            .ok_or_else(|| LayoutError::invalid("memory", "device memory region overflows"))?;
        let field = format!("device[{}]", d.id);
        let align = d.align.max(1);
        let used = self.used;
        let capacity = self.capacity;
        let new_used = used.checked_add(d.size);
        if new_used.is_none_or(|u| u > capacity) {
            return Err(LayoutError::invalid(
                field,
                format!(
                    "not enough space, currently {used:#x} in use of total space for memory devices {capacity:#x}"
                ),
            ));
        }
        if !region.base.is_multiple_of(align) {
            return Err(LayoutError::invalid(
                field,
                format!("the alignment ({align:#x}) is not supported"),
            ));
        }
        if let Some(a) = d.addr
            && !a.is_multiple_of(align)
        {
            return Err(LayoutError::invalid(
                field,
                format!("address must be aligned to {align:#x} bytes"),
            ));
        }
        if !d.size.is_multiple_of(align) {
            return Err(LayoutError::invalid(
                field,
                format!("backend memory size must be multiple of {align:#x}"),
            ));
        }
        let mut new = Range {
            base: d.addr.unwrap_or(round_up(region.base, align, &field)?),
            size: d.size,
        };
        if let Some(a) = d.addr
            && !region.contains(&new)
        {
            return Err(LayoutError::invalid(
                field,
                format!(
                    "can't add memory device [{a:#x}:{:#x}], usable range for memory devices [{:#x}:{:#x}]",
                    d.size, region.base, region.size
                ),
            ));
        }
        let mut sorted: Vec<&(Range, String)> = self.placed.iter().collect();
        sorted.sort_by_key(|(r, _)| r.base);
        let mut failed = false;
        for (tmp, other_id) in sorted {
            let (Some(tmp_end), Some(new_end)) = (tmp.end(), new.end()) else {
                failed = true;
                break;
            };
            if tmp.base < new_end && new.base < tmp_end {
                if d.addr.is_some() {
                    return Err(LayoutError::invalid(
                        field,
                        format!("address range conflicts with memory device id='{other_id}'"),
                    ));
                }
                match round_up(tmp_end, align, &field) {
                    Ok(n) => new.base = n,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            } else if tmp.base >= new_end {
                break;
            }
        }
        if failed || !region.contains(&new) || new.end().is_none_or(|e| e > region_end) {
            return Err(LayoutError::invalid(
                field,
                "could not find position in guest address space for memory device - memory fragmented due to alignments",
            ));
        }
        self.used = new_used.unwrap_or(used);
        self.placed.push((new, d.id.clone()));
        Ok(new.base)
    }
}

/// Places memory devices in `region` in plug order with a [`DimmPlacer`]
/// (`capacity`: what they may use in total, [`device_memory_capacity`]).
/// Returns the address of each device. Errors carry QEMU's message text and name
/// the device.
pub fn place_dimms(
    region: Range,
    capacity: u64,
    dimms: &[DimmRequest],
) -> Result<Vec<u64>, LayoutError> {
    let mut placer = DimmPlacer::new(region, capacity);
    dimms.iter().map(|d| placer.place(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(ram: u64) -> MemoryConfig {
        MemoryConfig {
            ram_size: ram,
            max_ram: None,
            slots: 0,
            max_ram_below_4g: None,
            above_4g_at_1tib: false,
        }
    }

    #[test]
    fn q35_4g_splits_at_2g() {
        // Spec §2.3 [verified]: q35 with 4 GiB RAM → below 2 GiB.
        let s = X86RamSplit::compute(MachineKind::Q35, &mem(4 * GIB)).unwrap();
        assert_eq!((s.below_4g, s.above_4g), (2 * GIB, 2 * GIB));
        assert_eq!(s.above_4g_start, 4 * GIB);
    }

    #[test]
    fn pc_4g_splits_at_3g() {
        // Spec §2.3 [verified]: pc with 4 GiB RAM → below 3 GiB.
        let s = X86RamSplit::compute(MachineKind::Pc, &mem(4 * GIB)).unwrap();
        assert_eq!((s.below_4g, s.above_4g), (3 * GIB, GIB));
    }

    #[test]
    fn small_ram_all_below() {
        for k in [MachineKind::Pc, MachineKind::Q35] {
            let s = X86RamSplit::compute(k, &mem(128 * MIB)).unwrap();
            assert_eq!((s.below_4g, s.above_4g), (128 * MIB, 0));
        }
        // q35 below 2.75 GiB stays below; pc below 3.5 GiB stays below.
        let s = X86RamSplit::compute(MachineKind::Q35, &mem(0xAFFF_F000)).unwrap();
        assert_eq!(s.above_4g, 0);
        let s = X86RamSplit::compute(MachineKind::Pc, &mem(0xDFFF_F000)).unwrap();
        assert_eq!(s.above_4g, 0);
    }

    #[test]
    fn max_ram_below_4g_caps_q35() {
        let mut m = mem(2 * GIB);
        m.max_ram_below_4g = Some(GIB);
        let s = X86RamSplit::compute(MachineKind::Q35, &m).unwrap();
        assert_eq!((s.below_4g, s.above_4g), (GIB, GIB));
    }

    #[test]
    fn numamem_walk_cuts_640k_hole() {
        // SRAT.numamem: node 0 empty, node 1 128M → [0,0xA0000) and [1M,128M).
        let s = X86RamSplit::compute(MachineKind::Pc, &mem(128 * MIB)).unwrap();
        let r = x86_node_ram(&[0, 128 * MIB], &s).unwrap();
        assert_eq!(
            r,
            vec![
                NodeRam {
                    node: 1,
                    base: 0,
                    size: 0xA_0000
                },
                NodeRam {
                    node: 1,
                    base: 0x10_0000,
                    size: 128 * MIB - 0x10_0000
                },
            ]
        );
    }

    #[test]
    fn node_ending_inside_hole_shifts_later_nodes() {
        // Node 0 = 768 KiB ends inside 640K–1M: it keeps [0, 640K), the cursor
        // jumps to 1 MiB, node 1 starts at 1 MiB (not at 768 KiB) and the last node,
        // shifted by 256 KiB, spills past below_4g into a bogus [4G, …) piece.
        let ram = 128 * MIB;
        let s = X86RamSplit::compute(MachineKind::Q35, &mem(ram)).unwrap();
        let r = x86_node_ram(&[768 * KIB, ram - 768 * KIB], &s).unwrap();
        assert_eq!(
            r,
            vec![
                NodeRam {
                    node: 0,
                    base: 0,
                    size: 0xA_0000
                },
                NodeRam {
                    node: 1,
                    base: 0x10_0000,
                    size: ram - 0x10_0000
                },
                NodeRam {
                    node: 1,
                    base: 4 * GIB,
                    size: 256 * KIB
                },
            ]
        );
    }

    #[test]
    fn spill_past_below_4g() {
        // pc with 4 GiB in two nodes of 2 GiB: node 1 spans the 3 GiB split.
        let s = X86RamSplit::compute(MachineKind::Pc, &mem(4 * GIB)).unwrap();
        let r = x86_node_ram(&[2 * GIB, 2 * GIB], &s).unwrap();
        assert_eq!(
            r,
            vec![
                NodeRam {
                    node: 0,
                    base: 0,
                    size: 0xA_0000
                },
                NodeRam {
                    node: 0,
                    base: 0x10_0000,
                    size: 2 * GIB - 0x10_0000
                },
                NodeRam {
                    node: 1,
                    base: 2 * GIB,
                    size: GIB
                },
                NodeRam {
                    node: 1,
                    base: 4 * GIB,
                    size: GIB
                },
            ]
        );
    }

    #[test]
    fn device_memory_examples() {
        // Spec §2.3 examples (x86, 128M RAM).
        let cases = [
            (3, GIB, 0x1_0000_0000u64, 0xF800_0000u64),
            (2, GIB, 0x1_0000_0000, 0xB800_0000),
            (2, 384 * MIB, 0x1_0000_0000, 0x9000_0000),
            (1, 2 * GIB, 0x1_0000_0000, 0xB800_0000),
        ];
        for (slots, maxmem, base, size) in cases {
            let mut m = mem(128 * MIB);
            m.slots = slots;
            m.max_ram = Some(maxmem);
            let r = device_memory(MachineKind::Q35, &m, &[]).unwrap().unwrap();
            assert_eq!((r.base, r.size), (base, size), "slots={slots}");
        }
        // arm: -m 256M,slots=3,maxmem=1G → 0x8000_0000 / 0xF000_0000;
        // -m 128M,maxmem=256M → 0x8000_0000 / 0x0800_0000.
        let mut m = mem(256 * MIB);
        m.slots = 3;
        m.max_ram = Some(GIB);
        let r = device_memory(MachineKind::Virt, &m, &[]).unwrap().unwrap();
        assert_eq!((r.base, r.size), (0x8000_0000, 0xF000_0000));
        let mut m = mem(128 * MIB);
        m.max_ram = Some(256 * MIB);
        let r = device_memory(MachineKind::Virt, &m, &[]).unwrap().unwrap();
        assert_eq!((r.base, r.size), (0x8000_0000, 0x0800_0000));
        // No region without maxmem > ram on x86; slots alone is an error there.
        assert_eq!(
            device_memory(MachineKind::Pc, &mem(GIB), &[]).unwrap(),
            None
        );
        let mut m = mem(GIB);
        m.slots = 2;
        assert!(device_memory(MachineKind::Pc, &m, &[]).is_err());
        // arm: slots alone make a region.
        let r = device_memory(MachineKind::Virt, &m, &[]).unwrap().unwrap();
        assert_eq!((r.base, r.size), (0x8000_0000, 2 * GIB));
    }

    #[test]
    fn dimms_first_fit() {
        // SRAT.dimmpxm: pc-dimm 128M then nvdimm 128M from 4 GiB → nvdimm at 0x1_0800_0000.
        let region = Range {
            base: 4 * GIB,
            size: 0xF800_0000,
        };
        // -m 128M,slots=3,maxmem=1G: devices may use maxmem - ram = 896 MiB.
        let cap = 896 * MIB;
        let d = |id: &str, size, addr| DimmRequest {
            id: id.into(),
            size,
            addr,
            align: 2 * MIB,
        };
        let a = place_dimms(
            region,
            cap,
            &[d("dimm0", 128 * MIB, None), d("dimm1", 128 * MIB, None)],
        )
        .unwrap();
        assert_eq!(a, vec![4 * GIB, 0x1_0800_0000]);
        // A fixed address first, then first fit fills the gap below it.
        let a = place_dimms(
            region,
            cap,
            &[
                d("a", 128 * MIB, Some(4 * GIB + 256 * MIB)),
                d("b", 128 * MIB, None),
                d("c", 256 * MIB, None),
            ],
        )
        .unwrap();
        assert_eq!(a, vec![4 * GIB + 256 * MIB, 4 * GIB, 4 * GIB + 384 * MIB]);
        // Too big.
        let e = place_dimms(region, cap, &[d("big", 4 * GIB, None)]).unwrap_err();
        assert!(e.to_string().contains("device[big]"), "{e}");
        // The limit is maxmem - ram, not the region size (live QEMU 10.0.2:
        // 256M, 256M then 512M in -m 128M,slots=3,maxmem=1G).
        let e = place_dimms(
            region,
            cap,
            &[
                d("da", 256 * MIB, None),
                d("db", 256 * MIB, None),
                d("dc", 512 * MIB, None),
            ],
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "not enough space, currently 0x20000000 in use of total space for memory devices 0x38000000"
        );
    }
}
