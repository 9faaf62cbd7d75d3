//! How Linux reads an SRAT: the proximity domain it takes from each entry and the
//! order in which it maps proximity domains (PXMs) to node ids.
//!
//! This is the one model of Linux's node numbering; [`crate::lint`],
//! [`crate::machine::guest`] and [`crate::verify`] all use it. It follows Linux
//! 6.12, `drivers/acpi/numa/srat.c`:
//!
//! * `acpi_numa_init()` walks the SRAT twice. Pass 1 handles the processor
//!   affinities (Local APIC, x2APIC, GICC, RINTC) and the Generic Initiator
//!   affinities together, in table order; pass 2 handles the memory affinities.
//!   Entries without the Enabled flag are skipped. Generic Port affinities are
//!   handled by neither pass: a PXM only a Generic Port names gets no node.
//! * `acpi_map_pxm_to_node()` gives each new PXM the lowest unused node id, so
//!   node ids are handed out 0, 1, 2, ... in the order PXMs are first mapped;
//!   PXMs at or above [`MAX_PXM_DOMAINS`] are refused.
//! * With SRAT revision <= 1, a Local APIC affinity contributes only bits 7:0 of
//!   its proximity domain and a memory affinity's proximity domain is masked
//!   with `0xff` ([`linux_pxm`]).

use crate::acpi::srat::FLAG_ENABLED;
use crate::acpi::{Srat, SratEntry};

/// `MAX_PXM_DOMAINS` of kernels with `MAX_NUMNODES <= 256`.
pub const MAX_PXM_DOMAINS: u32 = 256;

/// The proximity domain Linux reads from an entry (see the module docs), or
/// `None` for entries without one.
pub fn linux_pxm(entry: &SratEntry, srat_revision: u8) -> Option<u32> {
    match entry {
        SratEntry::LocalApic {
            proximity_domain, ..
        } if srat_revision < 2 => Some(proximity_domain & 0xff),
        SratEntry::Memory {
            proximity_domain, ..
        } if srat_revision <= 1 => Some(proximity_domain & 0xff),
        other => other.proximity_domain(),
    }
}

/// Whether the entry has the Enabled flag (entries without flags: no).
pub fn is_enabled(e: &SratEntry) -> bool {
    e.flags().is_some_and(|f| f & FLAG_ENABLED != 0)
}

/// Whether the entry is a processor affinity (Local APIC, x2APIC, GICC, RINTC).
pub fn is_processor(e: &SratEntry) -> bool {
    matches!(
        e,
        SratEntry::LocalApic { .. }
            | SratEntry::X2apic { .. }
            | SratEntry::Gicc { .. }
            | SratEntry::Rintc { .. }
    )
}

/// Proximity domains in Linux node order: index `i` of the result is the PXM
/// that becomes Linux node `i` (see the module docs). PXMs that get no node
/// (Generic Port only, disabled entries only, too large) are not listed.
pub fn linux_node_order(srat: &Srat) -> Vec<u32> {
    let rev = srat.header.revision;
    let mut order: Vec<u32> = Vec::new();
    // The PXMs mapped so far, one bit each (all are below MAX_PXM_DOMAINS).
    let mut seen = [0u64; MAX_PXM_DOMAINS as usize / 64];
    let mut map = |e: &SratEntry| {
        if is_enabled(e)
            && let Some(pxm) = linux_pxm(e, rev)
            && pxm < MAX_PXM_DOMAINS
            && let Some(word) = seen.get_mut(pxm as usize / 64)
            && *word & (1 << (pxm % 64)) == 0
        {
            *word |= 1 << (pxm % 64);
            order.push(pxm);
        }
    };
    // Pass 1: processors and generic initiators, in table order.
    for e in &srat.entries {
        if is_processor(e) || matches!(e, SratEntry::GenericInitiator(_)) {
            map(e);
        }
    }
    // Pass 2: memory.
    for e in &srat.entries {
        if matches!(e, SratEntry::Memory { .. }) {
            map(e);
        }
    }
    order
}

/// The Linux node id of proximity domain `pxm`, given [`linux_node_order`]'s result.
pub fn linux_node_of(order: &[u32], pxm: u32) -> Option<u32> {
    order
        .iter()
        .position(|&p| p == pxm)
        .and_then(|n| u32::try_from(n).ok())
}

/// Whether Linux (x86, 6.12) brings a node online at boot: it has boot RAM
/// (memory in the firmware's memory map: `numa_register_nodes`), a CPU present
/// at boot (`init_cpu_to_node`: a hot-pluggable CPU has no APIC id mapping
/// until it is plugged) or a Generic Initiator (`init_gi_nodes`). A node whose
/// only memory is the hotplug region, NVDIMMs or SGX EPC, or whose only CPUs
/// are hot-pluggable, keeps the id Linux gave it (later ids count past it) but
/// stays offline: no `/sys/devices/system/node/nodeN` until something is
/// plugged into it. Measured with `tests/boot.rs` (random configurations:
/// `-m …,slots=,maxmem=` with an empty last node, an NVDIMM-only node, a node
/// whose only CPU lies past `-smp cpus=`).
pub fn online_at_boot(boot_ram: bool, present_cpu: bool, generic_initiator: bool) -> bool {
    boot_ram || present_cpu || generic_initiator
}

/// Parses a Linux cpulist/nodelist (`0-3,8`, empty line = none), through
/// [`crate::syntax::parse_list`] bounded by [`crate::syntax::MAX_LIST_LEN`].
pub fn parse_list(s: &str) -> Result<Vec<u32>, crate::syntax::ListError> {
    crate::syntax::parse_list(s, crate::syntax::MAX_LIST_LEN)
}

/// The runs of consecutive numbers in `v`, as `A-B` (or `A` alone): the
/// elements of a Linux list, and of QEMU's `cpus=` values.
pub fn list_runs(v: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&start) = v.get(i) {
        let mut end = start;
        while let Some(&next) = v.get(i + 1)
            && end.checked_add(1) == Some(next)
        {
            i += 1;
            end = next;
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out
}

/// Formats numbers as a Linux list (`0-3,8`).
pub fn format_list(v: &[u32]) -> String {
    list_runs(v).join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(parse_list("0-3,8\n"), Ok(vec![0, 1, 2, 3, 8]));
        assert_eq!(parse_list("\n"), Ok(vec![]));
        assert!(parse_list("3-1").is_err());
        assert_eq!(format_list(&[2, 3, 4, 5, 6, 7, 8, 9]), "2-9");
        assert_eq!(format_list(&[0, 2, 3]), "0,2-3");
        assert_eq!(list_runs(&[0, 1, 2, 5, 7, 8]), ["0-2", "5", "7-8"]);
        assert_eq!(
            list_runs(&[u32::MAX, 0]),
            [u32::MAX.to_string(), "0".into()]
        );
    }
}
