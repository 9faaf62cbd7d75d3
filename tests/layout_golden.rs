//! `machine::tables::build_tables` reproduces QEMU 10.0.2's SRAT/SLIT/HMAT for every
//! NUMA case of QEMU's bios-tables-test, byte for byte. The topologies are written
//! by hand from the command lines in `tests/data/qemu-golden/MANIFEST.md`; the
//! expected bytes are QEMU's own golden blobs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use common::topo;
use vnuma::acpi::FixedAscii;
use vnuma::acpi::srat::AcpiHandle;
use vnuma::acpi::{DeviceHandle, PciHandle};
use vnuma::machine::memory::{
    DimmRequest, MIB, device_memory, device_memory_capacity, place_dimms,
};
use vnuma::machine::tables::build_tables;
use vnuma::topology::*;

fn golden(path: &str) -> Vec<u8> {
    let p = common::golden_dir().join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn dist21() -> Option<Vec<Vec<u8>>> {
    // `-numa dist,src=0,dst=1,val=21`, completed symmetrically with 10 on the diagonal.
    Some(vec![vec![10, 21], vec![21, 10]])
}

/// Asserts the built tables equal the golden blobs (`None`: the table must be absent).
fn check(t: &Topology, srat: &str, slit: Option<&str>, hmat: Option<&str>) {
    let tables = build_tables(t).unwrap_or_else(|e| panic!("{srat}: {e}"));
    let got = tables.srat.expect("SRAT").encode();
    assert_eq!(hex(&got), hex(&golden(srat)), "{srat}");
    match slit {
        Some(p) => assert_eq!(
            hex(&tables.slit.expect("SLIT").encode()),
            hex(&golden(p)),
            "{p}"
        ),
        None => assert!(tables.slit.is_none(), "{srat}: unexpected SLIT"),
    }
    match hmat {
        Some(p) => assert_eq!(
            hex(&tables.hmat.expect("HMAT").encode()),
            hex(&golden(p)),
            "{p}"
        ),
        None => assert!(tables.hmat.is_none(), "{srat}: unexpected HMAT"),
    }
}

/// Hex dump, 16 bytes a line, so that a mismatch shows the offset.
fn hex(b: &[u8]) -> String {
    b.chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let h: Vec<String> = c.iter().map(|x| format!("{x:02x}")).collect();
            format!("{:04x}: {}\n", i * 16, h.join(" "))
        })
        .collect()
}

const X86: [(MachineKind, &str); 2] = [(MachineKind::Pc, "pc"), (MachineKind::Q35, "q35")];

#[test]
fn x86_cphp() {
    // -smp 2,cores=3,sockets=2,maxcpus=6: 6 possible CPUs; APIC ID = socket<<2 | core
    // (core field 2 bits for 3 cores) → 0,1,2,4,5,6. No explicit mapping: node =
    // socket mod 2 → 0,0,0,1,1,1. -m default 128M; ram0/ram1 64M each on nodes 0/1.
    // -numa dist,src=0,dst=1,val=21.
    for (m, name) in X86 {
        let mut t = topo(
            m,
            128 * MIB,
            &[(0, 0), (1, 0), (2, 0), (4, 1), (5, 1), (6, 1)],
            &[64 * MIB, 64 * MIB],
        );
        t.distances = dist21();
        check(
            &t,
            &format!("x86/{name}/SRAT.cphp"),
            Some(&format!("x86/{name}/SLIT.cphp")),
            None,
        );
    }
}

#[test]
fn x86_numamem() {
    // -numa node -numa node,memdev=ram0 (128M): node 0 memoryless, node 1 all RAM.
    // One CPU (APIC 0, socket 0 → node 0 mod 2 = 0).
    for (m, name) in X86 {
        let t = topo(m, 128 * MIB, &[(0, 0)], &[0, 128 * MIB]);
        check(&t, &format!("x86/{name}/SRAT.numamem"), None, None);
    }
}

#[test]
fn x86_memhp() {
    // -m 128,slots=3,maxmem=1G; ram0/ram1 64M on nodes 0/1; one CPU on node 0;
    // dist 0-1 = 21. Hotplug region 4G, (1G-128M) + 3×1G, node 1.
    for (m, name) in X86 {
        let mut t = topo(m, 128 * MIB, &[(0, 0)], &[64 * MIB, 64 * MIB]);
        t.memory.slots = 3;
        t.memory.max_ram = Some(1024 * MIB);
        t.distances = dist21();
        check(
            &t,
            &format!("x86/{name}/SRAT.memhp"),
            Some(&format!("x86/{name}/SLIT.memhp")),
            None,
        );
    }
}

#[test]
fn x86_dimmpxm() {
    // -smp 4,sockets=4: APIC IDs 0..3 (socket field only); -numa cpu,node-id=k,socket-id=k.
    // -m 128M,slots=3,maxmem=1G; ram0..ram3 32M on nodes 0..3; nvdimm=on.
    // -device pc-dimm,id=dimm0,memdev=ram4 (128M),node=1 then
    // -device nvdimm,id=dimm1,memdev=nvm0 (128M),node=2: placed first-fit in the
    // device-memory region in plug order; only the NVDIMM is listed (flags 5).
    for (m, name) in X86 {
        let mut t = topo(
            m,
            128 * MIB,
            &[(0, 0), (1, 1), (2, 2), (3, 3)],
            &[32 * MIB; 4],
        );
        t.memory.slots = 3;
        t.memory.max_ram = Some(1024 * MIB);
        let region = device_memory(m, &t.memory, &[]).unwrap().unwrap();
        let req = |id: &str| DimmRequest {
            id: id.into(),
            size: 128 * MIB,
            addr: None,
            align: 2 * MIB,
        };
        let capacity = device_memory_capacity(&t.memory);
        let addrs = place_dimms(region, capacity, &[req("dimm0"), req("dimm1")]).unwrap();
        t.nvdimms = vec![MemRange {
            base: addrs[1],
            size: 128 * MIB,
            node: 2,
        }];
        check(&t, &format!("x86/{name}/SRAT.dimmpxm"), None, None);
    }
}

fn hmat_lb(initiator: u32, target: u32, data_type: DataType, value: u64) -> HmatLb {
    HmatLb {
        hierarchy: Hierarchy::Memory,
        data_type,
        initiator,
        target,
        value,
    }
}

use DataType::{AccessBandwidth as Bw, AccessLatency as Lat};

fn l1_cache(node: u32) -> HmatCache {
    // -numa hmat-cache,node-id=N,size=10K,level=1,associativity=direct,policy=write-back,line=8
    HmatCache {
        node,
        size: 10 * 1024,
        level: 1,
        associativity: Associativity::Direct,
        policy: WritePolicy::WriteBack,
        line: 8,
        smbios_handles: vec![],
    }
}

#[test]
fn x86_acpihmat() {
    // -machine hmat=on -smp 2,sockets=2 (APIC 0,1) -m 128M,slots=2,maxmem=1G;
    // m0/m1 64M on nodes 0/1, node 1 initiator=0; both CPUs on node 0 (-numa cpu).
    // hmat-lb 0→0 lat 1, bw 65534M; 0→1 lat 65534, bw 32767M; L1 caches on both nodes.
    for (m, name) in X86 {
        let mut t = topo(m, 128 * MIB, &[(0, 0), (1, 0)], &[64 * MIB, 64 * MIB]);
        t.nodes[1].initiator = Some(0);
        t.memory.slots = 2;
        t.memory.max_ram = Some(1024 * MIB);
        t.hmat = true;
        t.hmat_lb = vec![
            hmat_lb(0, 0, Lat, 1),
            hmat_lb(0, 0, Bw, 65534 * MIB),
            hmat_lb(0, 1, Lat, 65534),
            hmat_lb(0, 1, Bw, 32767 * MIB),
        ];
        t.hmat_caches = vec![l1_cache(0), l1_cache(1)];
        check(
            &t,
            &format!("x86/{name}/SRAT.acpihmat"),
            None,
            Some(&format!("x86/{name}/HMAT.acpihmat")),
        );
    }
}

/// MANIFEST's L1: the 12 hmat-lb options shared by acpihmat-noinitiator and acpihmatvirt.
fn l1_lb() -> Vec<HmatLb> {
    vec![
        hmat_lb(0, 0, Lat, 10),
        hmat_lb(0, 0, Bw, 10485760),
        hmat_lb(0, 1, Lat, 20),
        hmat_lb(0, 1, Bw, 5242880),
        hmat_lb(0, 2, Lat, 30),
        hmat_lb(0, 2, Bw, 1048576),
        hmat_lb(1, 0, Lat, 20),
        hmat_lb(1, 0, Bw, 5242880),
        hmat_lb(1, 1, Lat, 10),
        hmat_lb(1, 1, Bw, 10485760),
        hmat_lb(1, 2, Lat, 30),
        hmat_lb(1, 2, Bw, 1048576),
    ]
}

#[test]
fn q35_acpihmat_noinitiator() {
    // -machine hmat=on -smp 4,sockets=2 (2 cores each: APIC = socket<<1 | core → 0..3)
    // -m 128M; ram0 32M node 0, ram1 32M node 1, ram2 64M node 2 (no CPU, no initiator);
    // -numa cpu socket 0 → node 0, socket 1 → node 1; the L1 hmat-lb list.
    let mut t = topo(
        MachineKind::Q35,
        128 * MIB,
        &[(0, 0), (1, 0), (2, 1), (3, 1)],
        &[32 * MIB, 32 * MIB, 64 * MIB],
    );
    t.hmat = true;
    t.hmat_lb = l1_lb();
    check(
        &t,
        "x86/q35/SRAT.acpihmat-noinitiator",
        None,
        Some("x86/q35/HMAT.acpihmat-noinitiator"),
    );
}

#[test]
fn q35_acpihmat_generic_x() {
    // MANIFEST G1: -machine hmat=on,cxl=on -smp 3,sockets=3 (APIC 0,1,2)
    // -m 128M,maxmem=384M,slots=2. Nodes: 0 cpus=0 ram0 64M; 1 (GI gi0 → gidev);
    // 2 (GP gp0 → cxl.1); 3 cpus=1; 4 ram1 64M; 5 cpus=2.
    // gidev: pci-testdev at addr=00.2 behind root port pci.1 (firmware bus 1) → 0000:01:00.2.
    // gp0: pxb-cxl bus_nr=64 → ACPI0016 UID 64.
    let mut t = topo(
        MachineKind::Q35,
        128 * MIB,
        &[(0, 0), (1, 3), (2, 5)],
        &[64 * MIB, 0, 0, 0, 64 * MIB, 0],
    );
    t.memory.slots = 2;
    t.memory.max_ram = Some(384 * MIB);
    t.generic_initiators = vec![Affinity {
        node: 1,
        handle: DeviceHandle::Pci(PciHandle::new(0, 1, 0, 2)),
        label: "gi0".into(),
        device: "gidev".into(),
    }];
    t.generic_ports = vec![Affinity {
        node: 2,
        handle: DeviceHandle::Acpi(AcpiHandle {
            hid: FixedAscii(*b"ACPI0016"),
            uid: 64,
            reserved: 0,
        }),
        label: "gp0".into(),
        device: "cxl.1".into(),
    }];
    t.hmat = true;
    let m = MIB;
    t.hmat_lb = vec![
        hmat_lb(0, 0, Lat, 10),
        hmat_lb(0, 0, Bw, 800 * m),
        hmat_lb(0, 2, Lat, 100),
        hmat_lb(0, 2, Bw, 200 * m),
        hmat_lb(0, 4, Lat, 100),
        hmat_lb(0, 4, Bw, 200 * m),
        hmat_lb(0, 5, Lat, 200),
        hmat_lb(0, 5, Bw, 400 * m),
        hmat_lb(1, 0, Lat, 500),
        hmat_lb(1, 0, Bw, 100 * m),
        hmat_lb(1, 2, Lat, 50),
        hmat_lb(1, 2, Bw, 400 * m),
        hmat_lb(1, 4, Lat, 50),
        hmat_lb(1, 4, Bw, 800 * m),
        hmat_lb(1, 5, Lat, 500),
        hmat_lb(1, 5, Bw, 100 * m),
        hmat_lb(3, 0, Lat, 20),
        hmat_lb(3, 0, Bw, 400 * m),
        hmat_lb(3, 2, Lat, 80),
        hmat_lb(3, 2, Bw, 200 * m),
        hmat_lb(3, 4, Lat, 80),
        hmat_lb(3, 4, Bw, 200 * m),
        hmat_lb(3, 5, Lat, 20),
        hmat_lb(3, 5, Bw, 400 * m),
        hmat_lb(5, 0, Lat, 20),
        hmat_lb(5, 0, Bw, 400 * m),
        hmat_lb(5, 2, Lat, 80),
        hmat_lb(5, 4, Bw, 200 * m),
        hmat_lb(5, 4, Lat, 80),
        hmat_lb(5, 2, Bw, 200 * m),
        hmat_lb(5, 5, Lat, 10),
        hmat_lb(5, 5, Bw, 800 * m),
    ];
    check(
        &t,
        "x86/q35/SRAT.acpihmat-generic-x",
        None,
        Some("x86/q35/HMAT.acpihmat-generic-x"),
    );
}

#[test]
fn q35_mmio64() {
    // -m 128M,slots=1,maxmem=2G -cpu Opteron_G1 (AMD, but far from 1 TiB: RAM above 4G
    // stays at 4 GiB); ram0 128M on node 0; one CPU. Hotplug 4G, 2G-128M + 1G, node 0.
    let mut t = topo(MachineKind::Q35, 128 * MIB, &[(0, 0)], &[128 * MIB]);
    t.memory.slots = 1;
    t.memory.max_ram = Some(2048 * MIB);
    check(&t, "x86/q35/SRAT.mmio64", None, None);
}

#[test]
fn q35_xapic() {
    // -smp 1,maxcpus=288: 1 socket × 288 cores → APIC IDs 0..287, all socket 0 → node 0;
    // IDs 0..254 as type 0, 255..287 as x2APIC. -numa node -numa node,memdev=ram0 (128M).
    let cpus: Vec<(u32, u32)> = (0..288).map(|i| (i, 0)).collect();
    let t = topo(MachineKind::Q35, 128 * MIB, &cpus, &[0, 128 * MIB]);
    check(&t, "x86/q35/SRAT.xapic", None, None);
}

#[test]
fn virt_numamem() {
    // -cpu cortex-a57, one CPU (UID 0) on node 0; ram0 128M on node 0; -m default 128M.
    let t = topo(MachineKind::Virt, 128 * MIB, &[(0, 0)], &[128 * MIB]);
    check(&t, "aarch64/virt/SRAT.numamem", None, None);
}

#[test]
fn virt_memhp() {
    // -machine nvdimm=on -m 256M,slots=3,maxmem=1G; ram0/ram1 128M on nodes 0/1;
    // one CPU on node 0; dist 0-1 = 21. pc-dimm dimm0 (128M, node 0) then nvdimm
    // dimm1 (128M, node 1) placed first-fit in device memory [2G, +0xF000_0000).
    let mut t = topo(
        MachineKind::Virt,
        256 * MIB,
        &[(0, 0)],
        &[128 * MIB, 128 * MIB],
    );
    t.memory.slots = 3;
    t.memory.max_ram = Some(1024 * MIB);
    t.distances = dist21();
    let region = device_memory(MachineKind::Virt, &t.memory, &[])
        .unwrap()
        .unwrap();
    let req = |id: &str| DimmRequest {
        id: id.into(),
        size: 128 * MIB,
        addr: None,
        align: 2 * MIB,
    };
    let capacity = device_memory_capacity(&t.memory);
    let addrs = place_dimms(region, capacity, &[req("dimm0"), req("dimm1")]).unwrap();
    t.nvdimms = vec![MemRange {
        base: addrs[1],
        size: 128 * MIB,
        node: 1,
    }];
    check(
        &t,
        "aarch64/virt/SRAT.memhp",
        Some("aarch64/virt/SLIT.memhp"),
        None,
    );
}

#[test]
fn virt_acpihmatvirt() {
    // -machine hmat=on -smp 4,sockets=2 (UIDs 0..3; -numa cpu socket 0 → node 0,
    // socket 1 → node 1) -m 384M; ram0..ram2 128M on nodes 0..2; the L1 hmat-lb list.
    let mut t = topo(
        MachineKind::Virt,
        384 * MIB,
        &[(0, 0), (1, 0), (2, 1), (3, 1)],
        &[128 * MIB; 3],
    );
    t.hmat = true;
    t.hmat_lb = l1_lb();
    check(
        &t,
        "aarch64/virt/SRAT.acpihmatvirt",
        None,
        Some("aarch64/virt/HMAT.acpihmatvirt"),
    );
}

#[test]
fn no_nodes_no_tables() {
    // GI objects without any -numa node are silently ignored: no SRAT at all.
    let mut t = topo(MachineKind::Q35, 128 * MIB, &[(0, 0)], &[]);
    t.generic_initiators = vec![Affinity {
        node: 0,
        handle: DeviceHandle::Pci(PciHandle::new(0, 0, 4, 0)),
        label: "gi0".into(),
        device: "dev".into(),
    }];
    let tables = build_tables(&t).unwrap();
    assert!(tables.srat.is_none() && tables.slit.is_none() && tables.hmat.is_none());
    assert!(tables.files().is_empty());
}

#[test]
fn bad_node_reference_names_the_field() {
    let mut t = topo(MachineKind::Q35, 128 * MIB, &[(0, 0), (1, 3)], &[128 * MIB]);
    let e = build_tables(&t).unwrap_err().to_string();
    assert!(e.contains("cpus[1].node") && e.contains("node 3"), "{e}");
    t.cpus[1].node = 0;
    t.nodes[0].mem = 64 * MIB;
    let e = build_tables(&t).unwrap_err().to_string();
    assert!(e.contains("should equal RAM size"), "{e}");
}
