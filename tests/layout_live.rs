//! `build_tables` against tables the live QEMU 10.0.2 built for command lines beyond
//! QEMU's own test suite: the x86 RAM walk quirks (node ending inside 640K–1M,
//! 4 GiB splits on pc and q35, `max-ram-below-4g`), SMT APIC ids, asymmetric SLIT,
//! HMAT base-unit wrap / 16-bit entry truncation / cache levels, the Grace Hopper
//! example's generic-initiator hash order, and arm virt with generic initiators.
//! The expected blobs and the exact command lines are in `tests/data/layout-live/`
//! (`regenerate.sh` documents how they were measured).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::topo;
use vnuma::acpi::{DeviceHandle, PciHandle};
use vnuma::front::qemu::glib_hash::iteration_order;
use vnuma::machine::memory::{GIB, KIB, MIB};
use vnuma::machine::tables::build_tables;
use vnuma::topology::*;

fn blob(name: &str) -> Vec<u8> {
    let p = common::root().join("tests/data/layout-live").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn check(t: &Topology, case: &str) {
    let tables = build_tables(t).unwrap_or_else(|e| panic!("{case}: {e}"));
    for (name, bytes) in tables.files() {
        let sig = name.trim_end_matches(".dat");
        assert_eq!(bytes, blob(&format!("{case}.{sig}")), "{case}.{sig}");
    }
    let want: Vec<&str> = ["SRAT", "SLIT", "HMAT"]
        .into_iter()
        .filter(|s| {
            common::root()
                .join(format!("tests/data/layout-live/{case}.{s}"))
                .exists()
        })
        .collect();
    let got: Vec<String> = tables
        .files()
        .into_iter()
        .map(|(n, _)| n.trim_end_matches(".dat").to_string())
        .collect();
    assert_eq!(got, want, "{case}: set of tables");
}

#[test]
fn q35_node_ending_inside_640k_hole() {
    // -m 128M; node 0 = 768K (ends inside 640K–1M), node 1 = 128M − 768K.
    let t = topo(
        MachineKind::Q35,
        128 * MIB,
        &[(0, 0)],
        &[768 * KIB, 128 * MIB - 768 * KIB],
    );
    check(&t, "q35-hole768k");
}

#[test]
fn four_gib_splits() {
    // -m 4G, two nodes of 2G: q35 splits at 2G, pc at 3G.
    let t = topo(MachineKind::Q35, 4 * GIB, &[(0, 0)], &[2 * GIB, 2 * GIB]);
    check(&t, "q35-4g");
    let t = topo(MachineKind::Pc, 4 * GIB, &[(0, 0)], &[2 * GIB, 2 * GIB]);
    check(&t, "pc-4g");
}

#[test]
fn pc_max_ram_below_4g() {
    // -machine pc,max-ram-below-4g=1G -m 2G, two nodes of 1G.
    let mut t = topo(MachineKind::Pc, 2 * GIB, &[(0, 0)], &[GIB, GIB]);
    t.memory.max_ram_below_4g = Some(GIB);
    check(&t, "pc-below1g");
}

#[test]
fn q35_smt_and_asymmetric_slit() {
    // -smp 12,sockets=2,cores=3,threads=2: APIC = socket<<3 | core<<1 | thread;
    // default mapping socket mod 3 → sockets 0/1 on nodes 0/1. Three 64M nodes.
    let mut cpus = Vec::new();
    for socket in 0..2u32 {
        for core in 0..3u32 {
            for thread in 0..2u32 {
                cpus.push((socket << 3 | core << 1 | thread, socket));
            }
        }
    }
    let mut t = topo(MachineKind::Q35, 192 * MIB, &cpus, &[64 * MIB; 3]);
    // Every direction given: 0→1 30, 0→2 40, 2→0 41, 1→0 31, 1→2 50, 2→1 51.
    t.distances = Some(vec![vec![10, 30, 40], vec![31, 10, 50], vec![41, 51, 10]]);
    check(&t, "q35-smt");
}

#[test]
fn q35_hmat_wrap_and_caches() {
    // -machine hmat=on -smp 2,sockets=2 -m 128M,slots=1,maxmem=1G; nodes 64M, 64M, 0;
    // -numa cpu socket 0 → node 0, socket 1 → node 1; hmat-lb options in this order.
    let mut t = topo(
        MachineKind::Q35,
        128 * MIB,
        &[(0, 0), (1, 1)],
        &[64 * MIB, 64 * MIB, 0],
    );
    t.memory.slots = 1;
    t.memory.max_ram = Some(GIB);
    t.hmat = true;
    let lb = |hierarchy, data_type, initiator, target, value| HmatLb {
        hierarchy,
        data_type,
        initiator,
        target,
        value,
    };
    use DataType::*;
    use Hierarchy::*;
    t.hmat_lb = vec![
        lb(Memory, AccessLatency, 0, 0, 650_000),
        lb(Memory, AccessLatency, 0, 1, 1),
        lb(Memory, ReadLatency, 1, 0, 0),
        lb(FirstLevel, WriteLatency, 1, 2, 20_000_000),
        lb(FirstLevel, WriteLatency, 1, 1, 30_000_000),
        lb(Memory, AccessBandwidth, 0, 1, 3 * GIB),
        lb(Memory, AccessBandwidth, 1, 1, 5 * MIB),
        lb(Memory, WriteBandwidth, 0, 0, 0),
        lb(Memory, WriteBandwidth, 1, 1, 8 * MIB),
        lb(SecondLevel, ReadBandwidth, 1, 0, 2 * MIB),
    ];
    let cache = |node, size, level, associativity, policy, line| HmatCache {
        node,
        size,
        level,
        associativity,
        policy,
        line,
        smbios_handles: vec![],
    };
    t.hmat_caches = vec![
        cache(
            1,
            MIB,
            1,
            Associativity::Complex,
            WritePolicy::WriteThrough,
            64,
        ),
        cache(1, 2 * MIB, 2, Associativity::None, WritePolicy::None, 128),
        cache(
            0,
            8 * KIB,
            1,
            Associativity::Direct,
            WritePolicy::WriteBack,
            32,
        ),
    ];
    check(&t, "q35-hmat-wrap");
}

#[test]
fn q35_grace_hopper_gi_hash_order() {
    // The bundled example with the GPU at pcie.0 addr 04.0 (bus 0, devfn 0x20):
    // gi0..gi7 → nodes 2..9; /objects keys gi0..gi7 then m0, m1.
    let mut node_mem = vec![512 * MIB, 512 * MIB];
    node_mem.extend([0; 8]);
    let mut t = topo(
        MachineKind::Q35,
        GIB,
        &[(0, 0), (1, 0), (2, 1), (3, 1)],
        &node_mem,
    );
    let keys = [
        "gi0", "gi1", "gi2", "gi3", "gi4", "gi5", "gi6", "gi7", "m0", "m1",
    ];
    t.generic_initiators = iteration_order(&keys)
        .into_iter()
        .filter(|&i| i < 8)
        .map(|i| Affinity {
            node: u32::try_from(i).unwrap() + 2,
            handle: DeviceHandle::Pci(PciHandle::new(0, 0, 4, 0)),
            label: keys[i].to_string(),
            device: "gpu0".into(),
        })
        .collect();
    let mut d = vec![vec![0u8; 10]; 10];
    for (i, row) in d.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = match (i, j) {
                _ if i == j => 10,
                (0, 1) | (1, 0) => 20,
                _ if i < 2 || j < 2 => 80,
                _ => 20,
            };
        }
    }
    t.distances = Some(d);
    check(&t, "q35-grace-hopper");
}

#[test]
fn virt_generic_initiators_and_memoryless_middle_node() {
    // -M virt -smp 4,sockets=2 -m 256M,maxmem=512M; nodes 128M, 0, 128M (default CPU
    // mapping socket mod 3: sockets 0/1 → nodes 0/1); pci-testdev at 04.0;
    // GI x1 → node 1, x2 → node 2 (/objects keys x1, x2, a, b); dist 25/30/35.
    let mut t = topo(
        MachineKind::Virt,
        256 * MIB,
        &[(0, 0), (1, 0), (2, 1), (3, 1)],
        &[128 * MIB, 0, 128 * MIB],
    );
    t.memory.max_ram = Some(512 * MIB);
    let keys = ["x1", "x2", "a", "b"];
    t.generic_initiators = iteration_order(&keys)
        .into_iter()
        .filter(|&i| i < 2)
        .map(|i| Affinity {
            node: u32::try_from(i).unwrap() + 1,
            handle: DeviceHandle::Pci(PciHandle::new(0, 0, 4, 0)),
            label: keys[i].to_string(),
            device: "dev".into(),
        })
        .collect();
    t.distances = Some(vec![vec![10, 25, 30], vec![25, 10, 35], vec![30, 35, 10]]);
    check(&t, "virt-gi");
}
