//! `vnuma plan`: guests planned for hosts built from the published facts
//! (facts F1–F5 quoted in tests/fixtures/hosts/README.md: GH200 = 9 nodes, GB200 tray =
//! 34 nodes and 4 GPUs, their distances), checked against those facts, against
//! `vnuma build` of the emitted topology, and against the live QEMU 10.0.2 and
//! 11.1.3 running the emitted native options with a stand-in device.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use vnuma::acpi::{DeviceHandle, PciHandle, Slit, Srat, SratEntry};
use vnuma::build::{Order, plan_tables};
use vnuma::front::host::{HostGpu, HostNode, HostPciDevice, HostTopology, NodeSource};
use vnuma::front::qemu::version::QemuVersion;
use vnuma::plan::emit::EmitOptions;
use vnuma::plan::emit::qemu::{emit_qemu, emit_qemu_legacy, gi_order};
use vnuma::plan::emit::topology::{emit_topology, topology_file};
use vnuma::plan::{GuestPlan, PlanError, PlanOptions, plan};
use vnuma::topology::MachineKind;

const GB: u64 = 1_000_000_000;
const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn bdf(s: &str) -> PciHandle {
    PciHandle::parse(s).unwrap()
}

/// A host from its node list (cpus, memory) and distance function.
fn host(
    nodes: &[(Vec<u32>, u64)],
    dist: impl Fn(u32, u32) -> u8,
    gpus: &[(&str, Option<u32>, Vec<u32>)],
) -> HostTopology {
    let n = u32::try_from(nodes.len()).unwrap();
    let nodes: Vec<HostNode> = nodes
        .iter()
        .enumerate()
        .map(|(i, (cpus, mem))| {
            let i = u32::try_from(i).unwrap();
            HostNode {
                node: i,
                cpus: cpus.clone(),
                memory: *mem,
                distances: (0..n)
                    .map(|j| if i == j { 10 } else { dist(i, j) })
                    .collect(),
                has_cpu: !cpus.is_empty(),
                has_memory: *mem > 0,
                has_generic_initiator: false,
            }
        })
        .collect();
    let gpus: Vec<HostGpu> = gpus
        .iter()
        .map(|(b, numa, ns)| HostGpu {
            device: HostPciDevice {
                bdf: bdf(b),
                vendor: 0x10de,
                device: 0x2941,
                class: 0x030200,
                driver: Some("nvidia".into()),
                numa_node: *numa,
                iommu_group: None,
            },
            nodes: ns.clone(),
            source: NodeSource::NumaStatus,
        })
        .collect();
    HostTopology {
        nodes,
        pci: gpus.iter().map(|g| g.device.clone()).collect(),
        gpus,
        warnings: vec![],
    }
}

/// GH200, one superchip: node 0 = 72 Grace CPUs + ~480 GB, node 1 = the GPU's
/// HBM (~97 GB), nodes 2-8 empty (MIG); CPU<->GPU 80, GPU<->GPU `gpu_gpu`
/// (255 with older firmware, 11 with newer).
fn gh200(gpu_gpu: u8) -> HostTopology {
    let mut nodes = vec![((0..72).collect(), 480 * GB), (vec![], 97 * GB)];
    nodes.extend((2..9).map(|_| (vec![], 0)));
    host(
        &nodes,
        |i, j| if i == 0 || j == 0 { 80 } else { gpu_gpu },
        &[("0009:01:00.0", Some(0), (1..9).collect())],
    )
}

/// The GPU of GB200 tray node `n` (2..34), 0..4.
fn gb_gpu(n: u32) -> u32 {
    (n - 2) / 8
}

/// GB200 tray: CPU nodes 0 and 1 (72 CPUs, ~480 GB each), GPU g on nodes
/// 2+8g..9+8g (HBM on the first); GPUs 0-1 on socket 0, 2-3 on socket 1.
/// CPU<->CPU 40, CPU<->own GPUs 80, CPU<->other socket's GPUs 120, within one
/// GPU 11, between GPUs 40.
fn gb200() -> HostTopology {
    let mut nodes = vec![
        ((0..72).collect(), 480 * GB),
        ((72..144).collect(), 480 * GB),
    ];
    nodes.extend((2..34).map(|n| (vec![], if (n - 2) % 8 == 0 { 188_416 * MIB } else { 0 })));
    let dist = |i: u32, j: u32| match (i < 2, j < 2) {
        (true, true) => 40,
        (true, false) | (false, true) => {
            let (c, g) = if i < 2 { (i, j) } else { (j, i) };
            if gb_gpu(g) / 2 == c { 80 } else { 120 }
        }
        (false, false) => {
            if gb_gpu(i) == gb_gpu(j) {
                11
            } else {
                40
            }
        }
    };
    host(
        &nodes,
        dist,
        &[
            ("0008:01:00.0", Some(0), (2..10).collect()),
            // No PCI numa_node: the nearest CPU node (0) is its local node.
            ("0009:01:00.0", None, (10..18).collect()),
            // numa_node names a GPU node: the nearest CPU node (1) is local.
            ("0018:01:00.0", Some(18), (18..26).collect()),
            ("0019:01:00.0", Some(1), (26..34).collect()),
        ],
    )
}

fn opts(gpus: &[&str]) -> PlanOptions {
    PlanOptions {
        gpus: gpus.iter().map(|g| bdf(g)).collect(),
        ..PlanOptions::default()
    }
}

fn small(gpus: &[&str], machine: MachineKind) -> PlanOptions {
    PlanOptions {
        vcpus: Some(4),
        memory: Some(2 * GIB),
        machine,
        stand_in: true,
        ..opts(gpus)
    }
}

#[test]
fn gh200_guest_follows_the_host() {
    let h = gh200(255);
    let p = plan(&h, &opts(&["0009:01:00.0"])).unwrap();
    assert_eq!(p.nodes.len(), 9);
    let n0 = &p.nodes[0];
    assert_eq!((n0.node, n0.host_node), (0, 0));
    assert_eq!(
        n0.cpus,
        (0..72).collect::<Vec<_>>(),
        "default: all CPUs of the local node"
    );
    // Half of 480e9 bytes = 223.5 GiB, rounded down.
    assert_eq!(n0.memory, 223 * GIB);
    assert_eq!(n0.generic_initiator, None);
    for k in 1..9u32 {
        let n = &p.nodes[k as usize];
        assert_eq!((n.node, n.host_node, n.memory), (k, k, 0));
        assert!(n.cpus.is_empty());
        assert_eq!(n.generic_initiator, Some(bdf("0009:01:00.0")));
    }
    for i in 0..9 {
        for j in 0..9 {
            let want = if i == j {
                10
            } else if i == 0 || j == 0 {
                80
            } else {
                255
            };
            assert_eq!(p.distances[i][j], want, "{i}->{j}");
        }
    }
    // Every 255 is kept and reported: 8*7 ordered GPU-GPU pairs.
    assert_eq!(p.warnings().len(), 56);
    let g = &p.gpus[0];
    assert_eq!(g.nodes, (1..9).collect::<Vec<_>>());
    // Device 0 function 0 behind the first root port: bus 1.
    assert_eq!(g.guest_bdf, bdf("0000:01:00.0"));
    // Newer firmware: 11, nothing to report.
    let p = plan(&gh200(11), &opts(&["0009:01:00.0"])).unwrap();
    assert_eq!(p.distances[1][2], 11);
    assert!(p.warnings().is_empty());
}

#[test]
fn gb200_all_four_gpus() {
    let h = gb200();
    let all = [
        "0019:01:00.0",
        "0008:01:00.0",
        "0018:01:00.0",
        "0009:01:00.0",
    ];
    let p = plan(&h, &opts(&all)).unwrap();
    assert_eq!(p.nodes.len(), 34);
    assert_eq!(
        p.nodes.iter().map(|n| n.host_node).collect::<Vec<_>>(),
        (0..34).collect::<Vec<_>>()
    );
    assert_eq!(p.nodes[0].cpus, (0..72).collect::<Vec<_>>());
    assert_eq!(p.nodes[1].cpus, (72..144).collect::<Vec<_>>());
    // Half of 960e9 bytes = 447.03 GiB -> 447 GiB, split in MiB over two nodes.
    assert_eq!(p.nodes[0].memory + p.nodes[1].memory, 447 * GIB);
    assert_eq!(p.nodes[0].memory, 228_864 * MIB);
    // GPUs in host BDF order, whatever the order given.
    let order: Vec<String> = p.gpus.iter().map(|g| g.host_bdf.to_string()).collect();
    assert_eq!(
        order,
        [
            "0008:01:00.0",
            "0009:01:00.0",
            "0018:01:00.0",
            "0019:01:00.0"
        ]
    );
    for (i, g) in p.gpus.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        assert_eq!(g.nodes, (2 + 8 * i..10 + 8 * i).collect::<Vec<_>>());
        assert_eq!(
            g.guest_bdf,
            PciHandle::new(0, u8::try_from(i + 1).unwrap(), 0, 0)
        );
    }
    let d = &p.distances;
    assert_eq!((d[0][1], d[1][0]), (40, 40));
    assert_eq!((d[0][2], d[0][17], d[0][18], d[0][33]), (80, 80, 120, 120));
    assert_eq!((d[1][2], d[1][18], d[1][33]), (120, 80, 80));
    assert_eq!((d[2][9], d[2][10], d[18][26], d[33][26]), (11, 40, 40, 11));
    assert!(p.warnings().is_empty());
}

#[test]
fn gb200_one_gpu_on_the_second_socket() {
    let p = plan(&gb200(), &opts(&["0018:01:00.0"])).unwrap();
    let hosts: Vec<u32> = p.nodes.iter().map(|n| n.host_node).collect();
    assert_eq!(hosts, [1, 18, 19, 20, 21, 22, 23, 24, 25]);
    assert_eq!(p.nodes[0].cpus.len(), 72);
    assert_eq!(p.distances[0][1], 80);
    // The GPU whose PCI numa_node is missing: the nearest CPU node (0).
    let p = plan(&gb200(), &opts(&["0009:01:00.0"])).unwrap();
    assert_eq!(p.nodes[0].host_node, 0);
}

#[test]
fn refusals_are_typed() {
    let h = gb200();
    assert!(matches!(
        plan(&h, &opts(&["0007:01:00.0"])),
        Err(PlanError::UnknownGpu { .. })
    ));
    assert!(matches!(
        plan(&h, &opts(&["0008:01:00.0", "0008:01:00.0"])),
        Err(PlanError::DuplicateGpu { .. })
    ));
    assert!(matches!(plan(&h, &opts(&[])), Err(PlanError::NoGpu)));
    let mut o = opts(&["0008:01:00.0"]);
    o.hmat = true;
    assert!(matches!(plan(&h, &o), Err(PlanError::Hmat)));
    let mut o = opts(&["0008:01:00.0"]);
    o.memory = Some(GIB + 1);
    assert!(matches!(plan(&h, &o), Err(PlanError::BadMemory { .. })));
    let mut o = opts(&["0008:01:00.0", "0018:01:00.0"]);
    o.vcpus = Some(1);
    assert!(matches!(plan(&h, &o), Err(PlanError::TooFewVcpus { .. })));
    let mut nodeless = h.clone();
    nodeless.gpus[0].nodes.clear();
    assert!(matches!(
        plan(&nodeless, &opts(&["0008:01:00.0"])),
        Err(PlanError::GpuWithoutNodes { .. })
    ));
    // QEMU takes 128 nodes: a GPU with 128 nodes plus a CPU node is too many.
    let mut nodes = vec![((0..4).collect::<Vec<u32>>(), 4 * GIB)];
    nodes.extend((0..128).map(|_| (vec![], 0)));
    let big = host(
        &nodes,
        |i, j| if i == 0 || j == 0 { 80 } else { 11 },
        &[("0000:01:00.0", Some(0), (1..129).collect())],
    );
    assert!(matches!(
        plan(&big, &opts(&["0000:01:00.0"])),
        Err(PlanError::TooManyNodes { nodes: 129 })
    ));
    // virt has room for 7 pxb-pcie bus ranges.
    let mut o = opts(&["0008:01:00.0"]);
    o.machine = MachineKind::Pc;
    assert!(matches!(plan(&h, &o), Err(PlanError::Machine(_))));
}

#[test]
fn json_contract_keys() {
    let h = gh200(255);
    let p = plan(&h, &opts(&["0009:01:00.0"])).unwrap();
    let j = vnuma::plan::json(&h, Some(&p));
    let hn = &j["host"]["nodes"][0];
    assert_eq!(hn["node"], 0);
    assert_eq!(hn["cpus"], "0-71");
    assert_eq!(hn["memory"], 480 * GB);
    assert_eq!(j["host"]["distances"][0][1], 80);
    let g = &j["host"]["gpus"][0];
    assert_eq!(g["bdf"], "0009:01:00.0");
    assert_eq!(g["vendor"], "0x10de");
    assert_eq!(g["device"], "0x2941");
    assert_eq!(g["driver"], "nvidia");
    assert_eq!(g["numa_node"], 0);
    assert_eq!(g["nodes"][7], 8);
    assert_eq!(g["source"], "numa_status");
    let gn = &j["guest"]["nodes"];
    assert_eq!(gn[0]["cpus"], "0-71");
    assert_eq!(gn[0]["host_node"], 0);
    assert_eq!(gn[0]["generic_initiator"], serde_json::Value::Null);
    assert_eq!(gn[3]["generic_initiator"], "0009:01:00.0");
    assert_eq!(gn[3]["memory"], 0);
    assert_eq!(gn[3]["cpus"], "");
    assert_eq!(j["guest"]["distances"][1][2], 255);
    let only_host = vnuma::plan::json(&h, None);
    assert!(only_host.get("guest").is_none());
}

/// The tables `vnuma build` makes of the emitted topology file (canonical order,
/// no EDK2 flash entry, so that they are comparable with QEMU's).
fn built_tables(p: &GuestPlan) -> (Vec<u8>, Vec<u8>) {
    let mut f = topology_file(
        p,
        &EmitOptions {
            stand_in: true,
            nodefaults: false,
        },
    )
    .unwrap();
    f.firmware_flash = None;
    let t = plan_tables(&f, Order::Canonical).unwrap();
    (t.srat.unwrap().encode(), t.slit.unwrap().encode())
}

/// The planned picture in an SRAT/SLIT: GI entries in ascending PXM order, one per
/// GPU node, each with its GPU's guest address (device 0 function 0); memory per
/// node; the SLIT = the planned distances.
fn check_tables(p: &GuestPlan, srat: &[u8], slit: &[u8], what: &str) {
    let s = Srat::decode(srat).unwrap();
    let want: Vec<u32> = p.gpus.iter().flat_map(|g| g.nodes.clone()).collect();
    assert_eq!(gi_order(&s), want, "{what}: GI order");
    for e in &s.entries {
        if let SratEntry::GenericInitiator(g) = e {
            let gpu = p
                .gpus
                .iter()
                .find(|x| x.nodes.contains(&g.proximity_domain))
                .unwrap();
            let DeviceHandle::Pci(h) = g.device_handle else {
                panic!("{what}: not a PCI handle")
            };
            assert_eq!((h.device, h.function), (0, 0), "{what}: devfn");
            assert_eq!(
                h, gpu.guest_bdf,
                "{what}: handle of node {}",
                g.proximity_domain
            );
        }
    }
    for n in &p.nodes {
        let mem: u64 = s
            .entries
            .iter()
            .filter_map(|e| match e {
                SratEntry::Memory {
                    proximity_domain,
                    length,
                    flags,
                    ..
                } if *proximity_domain == n.node && flags & 1 == 1 => Some(*length),
                _ => None,
            })
            .sum();
        // x86: QEMU's SRAT leaves out the legacy hole 640 KiB-1 MiB (in node 0).
        let hole = if p.machine.is_x86() && n.node == 0 {
            0x60000
        } else {
            0
        };
        assert_eq!(mem + hole, n.memory, "{what}: memory of node {}", n.node);
    }
    assert_eq!(
        Slit::decode(slit).unwrap().distances,
        p.distances,
        "{what}: SLIT"
    );
}

#[test]
fn emitted_topology_builds_the_planned_tables() {
    for (h, gpus) in [
        (gh200(255), vec!["0009:01:00.0"]),
        (
            gb200(),
            vec![
                "0008:01:00.0",
                "0009:01:00.0",
                "0018:01:00.0",
                "0019:01:00.0",
            ],
        ),
    ] {
        for m in [MachineKind::Q35, MachineKind::Virt] {
            let p = plan(&h, &small(&gpus, m)).unwrap();
            let (srat, slit) = built_tables(&p);
            check_tables(&p, &srat, &slit, &format!("build {m:?}"));
        }
        // The real GPU (vfio-pci) builds the same tables.
        let mut o = small(&gpus, MachineKind::Q35);
        o.stand_in = false;
        let p = plan(&h, &o).unwrap();
        let text = emit_topology(&p, &EmitOptions::default());
        assert!(text.contains("driver = \"vfio-pci\""), "{text}");
        assert!(text.contains("props = \"host=0009:01:00.0\""), "{text}");
        let f = vnuma::front::file::parse_str(&text, "plan.toml").unwrap();
        let t = plan_tables(&f, Order::Canonical).unwrap();
        check_tables(
            &p,
            &t.srat.unwrap().encode(),
            &t.slit.unwrap().encode(),
            "vfio",
        );
    }
}

// ---- live QEMU ----

const TRIXIE_BIN: &str = "/var/cache/vnuma-trixie/bin";

/// The QEMU binary of `version` for `program` (None: the 10.0.2 on PATH), or
/// None when it is missing outside CI (a skip; CI=true fails instead).
fn qemu_bin(version: QemuVersion, program: &str) -> Option<Option<std::path::PathBuf>> {
    match version {
        QemuVersion::V10_0 => common::have_tool(program).then_some(None),
        QemuVersion::V11_1 => {
            let p = std::path::Path::new(TRIXIE_BIN).join(program);
            if p.is_file() {
                Some(Some(p))
            } else if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{} is missing (run `bash .ci/setup-trixie`)", p.display());
            } else {
                eprintln!("skipping QEMU 11.1: {} is missing", p.display());
                None
            }
        }
    }
}

/// Runs the emitted native options on the live QEMU `version` (± -nodefaults).
fn live(p: &GuestPlan, nodefaults: bool) -> Option<(Vec<u8>, Vec<u8>, Vec<String>)> {
    use vnuma::live::dump::{DumpRequest, dump};
    let c = emit_qemu(
        p,
        &EmitOptions {
            nodefaults,
            stand_in: true,
        },
    )
    .unwrap();
    let bin = qemu_bin(p.qemu_version, c.program)?;
    let mut req = DumpRequest::new(c.args.clone());
    req.qemu = bin;
    req.timeout = std::time::Duration::from_secs(120);
    let d = dump(&req).unwrap_or_else(|e| panic!("{e}\n{}", c.shell()));
    Some((
        d.srat().unwrap().to_vec(),
        d.slit().unwrap().to_vec(),
        c.args,
    ))
}

#[test]
fn live_qemu_gives_the_planned_tables_q35() {
    let cases = [
        (gh200(255), vec!["0009:01:00.0"]),
        (
            gb200(),
            vec![
                "0008:01:00.0",
                "0009:01:00.0",
                "0018:01:00.0",
                "0019:01:00.0",
            ],
        ),
    ];
    for (h, gpus) in &cases {
        for version in QemuVersion::ALL {
            for nodefaults in [false, true] {
                let mut o = small(gpus, MachineKind::Q35);
                o.qemu_version = version;
                o.nodefaults = nodefaults;
                let p = plan(h, &o).unwrap();
                let Some((srat, slit, args)) = live(&p, nodefaults) else {
                    continue;
                };
                let what = format!(
                    "QEMU {version} nodefaults={nodefaults} {} nodes",
                    p.nodes.len()
                );
                check_tables(&p, &srat, &slit, &what);
                // Byte for byte what `vnuma build` makes of the emitted topology.
                let (bs, bl) = built_tables(&p);
                assert_eq!(srat, bs, "{what}: SRAT vs vnuma build\n{}", args.join(" "));
                assert_eq!(slit, bl, "{what}: SLIT vs vnuma build");
            }
        }
    }
}

#[test]
fn live_qemu_gives_the_planned_tables_virt() {
    let h = gb200();
    let gpus = ["0008:01:00.0", "0018:01:00.0"];
    for version in QemuVersion::ALL {
        for nodefaults in [false, true] {
            let mut o = small(&gpus, MachineKind::Virt);
            o.qemu_version = version;
            o.nodefaults = nodefaults;
            let p = plan(&h, &o).unwrap();
            // Behind pxb-pcie bus_nr 32·(i+1): the root port's bus is bus_nr+1.
            assert_eq!(p.gpus[0].guest_bdf, bdf("0000:21:00.0"));
            assert_eq!(p.gpus[1].guest_bdf, bdf("0000:41:00.0"));
            let Some((srat, slit, _)) = live(&p, nodefaults) else {
                continue;
            };
            let what = format!("virt QEMU {version} nodefaults={nodefaults}");
            check_tables(&p, &srat, &slit, &what);
            let (bs, bl) = built_tables(&p);
            assert_eq!(srat, bs, "{what}: SRAT vs vnuma build");
            assert_eq!(slit, bl, "{what}: SLIT vs vnuma build");
        }
    }
}

#[test]
fn live_qemu_legacy_injects_the_tables_from_a_path_with_a_comma() {
    use vnuma::live::dump::{DumpRequest, dump};
    let p = plan(
        &gb200(),
        &small(&["0008:01:00.0", "0019:01:00.0"], MachineKind::Q35),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a,b");
    std::fs::create_dir(&dir).unwrap();
    let out = emit_qemu_legacy(
        &p,
        &EmitOptions {
            nodefaults: false,
            stand_in: true,
        },
        &dir,
    )
    .unwrap();
    for (name, data) in &out.files {
        std::fs::write(dir.join(name), data).unwrap();
    }
    let a = out.acpitable.unwrap();
    assert!(
        a.args.iter().any(|x| x.ends_with("a,,b/SRAT.dat")),
        "{:?}",
        a.args
    );
    assert!(!a.args.iter().any(|x| x == "-numa"));
    if !common::have_tool(a.program) {
        return;
    }
    let d =
        dump(&DumpRequest::new(a.args.clone())).unwrap_or_else(|e| panic!("{e}\n{}", a.shell()));
    let file = |n: &str| out.files.iter().find(|(f, _)| f == n).unwrap().1.clone();
    assert_eq!(d.srat().unwrap(), &file("SRAT.dat")[..]);
    check_tables(&p, d.srat().unwrap(), d.slit().unwrap(), "legacy");
    // The arm virt guest has no -acpitable: the initrd route.
    let p = plan(&gb200(), &small(&["0008:01:00.0"], MachineKind::Virt)).unwrap();
    let out = emit_qemu_legacy(&p, &EmitOptions::default(), &dir).unwrap();
    assert!(out.acpitable.is_none());
    assert!(out.notes.iter().any(|n| n.contains("vnuma initrd")));
}

#[test]
fn defaults_emit_for_every_machine_and_mode() {
    let all = [
        "0008:01:00.0",
        "0009:01:00.0",
        "0018:01:00.0",
        "0019:01:00.0",
    ];
    for (h, gpus) in [(gh200(255), &all[..0]), (gb200(), &all[..])] {
        let gpus: Vec<&str> = if gpus.is_empty() {
            vec!["0009:01:00.0"]
        } else {
            gpus.to_vec()
        };
        for machine in [MachineKind::Q35, MachineKind::Virt] {
            for version in QemuVersion::ALL {
                for nodefaults in [false, true] {
                    let mut o = opts(&gpus);
                    o.machine = machine;
                    o.qemu_version = version;
                    let p = plan(&h, &o).unwrap();
                    let eo = EmitOptions {
                        nodefaults,
                        stand_in: false,
                    };
                    let c = emit_qemu(&p, &eo)
                        .unwrap_or_else(|e| panic!("{machine:?} {version} {nodefaults}: {e}"));
                    assert_eq!(
                        c.args
                            .iter()
                            .filter(|a| a.starts_with("acpi-generic-initiator"))
                            .count(),
                        p.nodes.len() - p.cpu_nodes().count()
                    );
                }
            }
        }
    }
}

#[test]
fn out_of_range_choices_are_errors_not_panics() {
    let h = gb200();
    for (vcpus, memory) in [(Some(5000), None), (Some(u32::MAX), None), (Some(0), None)] {
        let mut o = opts(&["0008:01:00.0"]);
        o.vcpus = vcpus;
        o.memory = memory;
        let e = plan(&h, &o).unwrap_err();
        assert!(!e.to_string().is_empty());
    }
    // Memory QEMU may refuse: a plan or an error, then an emitted line or an error.
    for memory in [1u64 << 60, u64::MAX - (u64::MAX % MIB)] {
        let mut o = opts(&["0008:01:00.0"]);
        o.vcpus = Some(2);
        o.memory = Some(memory);
        if let Ok(p) = plan(&h, &o) {
            let _ = emit_qemu(&p, &EmitOptions::default());
            let _ = emit_topology(&p, &EmitOptions::default());
        }
    }
    // A GPU node that is also the CPU node: no valid SLIT (10 off the diagonal).
    let mut h2 = h.clone();
    h2.gpus[0].nodes = vec![0, 2];
    assert!(matches!(
        plan(&h2, &opts(&["0008:01:00.0"])),
        Err(PlanError::BadDistance {
            value: Some(10),
            ..
        })
    ));
}
