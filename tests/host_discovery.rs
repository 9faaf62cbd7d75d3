//! Host discovery (`vnuma::front::host::discover`) on the fixture trees of
//! `tests/fixtures/hosts/`. Expectations come from the published facts each tree
//! is built from (tests/fixtures/hosts/README.md) or, for hwloc's gathered trees,
//! from the gathered files themselves (the NVIDIA driver's `numa_status`, the
//! kernel's node files); never from vnuma's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use vnuma::acpi::srat::{FLAG_ENABLED, MEM_HOT_PLUGGABLE};
use vnuma::acpi::{DeviceHandle, GenericAffinity, PciHandle, Srat, SratEntry};
use vnuma::front::host::{
    GpuChoice, HostError, HostOptions, HostTopology, NodeSource, discover, parse_cpumap,
    parse_hex_id, parse_numa_status,
};

const GIB: u64 = 1 << 30;
const GB: u64 = 1_000_000_000;

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/hosts").join(name)
}

fn host(name: &str) -> HostTopology {
    discover(&fixture(name), &HostOptions::default()).unwrap()
}

fn bdf(s: &str) -> PciHandle {
    PciHandle::parse(s).unwrap()
}

fn range(a: u32, b: u32) -> Vec<u32> {
    (a..=b).collect()
}

/// Copies a fixture tree (links kept as links) into a new temporary directory.
fn copy_tree(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let (src, dst) = (e.path(), to.join(e.file_name()));
            let t = std::fs::symlink_metadata(&src).unwrap().file_type();
            if t.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
            } else if t.is_dir() {
                copy(&src, &dst);
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    let d = tempfile::tempdir().unwrap();
    copy(&fixture(name), d.path());
    d
}

/// Regular files of a tree (relative paths), links not followed.
fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let t = std::fs::symlink_metadata(&p).unwrap().file_type();
            if t.is_dir() {
                walk(root, &p, out);
            } else if t.is_file() {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn warned(t: &HostTopology, rel: &str) -> bool {
    t.warnings.iter().any(|w| w.path.ends_with(rel))
}

/// The GPU nodes the facts give for GH200: node 1 (HBM) and nodes 2-8 (MIG).
fn check_gh200_nodes(t: &HostTopology, hbm_online: bool) {
    assert_eq!(t.nodes.len(), 9);
    let n0 = t.node(0).unwrap();
    assert_eq!(n0.cpus, range(0, 71));
    assert!(n0.has_cpu && n0.has_memory);
    assert!((450 * GB..=530 * GB).contains(&n0.memory), "~480 GB");
    let n1 = t.node(1).unwrap();
    assert!(n1.cpus.is_empty() && !n1.has_cpu);
    if hbm_online {
        assert!((90 * GB..=110 * GB).contains(&n1.memory), "~97 GB");
        assert!(n1.has_memory);
    } else {
        assert_eq!(n1.memory, 0, "HBM not onlined under nvgrace-gpu-vfio-pci");
        assert!(!n1.has_memory);
    }
    for n in 2..=8 {
        assert!(t.node(n).unwrap().is_empty(), "node {n} empty (MIG)");
    }
    assert_eq!(t.distance(0, 1), Some(80), "CPU<->GPU 80");
    assert_eq!(t.distance(1, 0), Some(80));
    assert_eq!(t.distance(0, 8), Some(80));
    assert_eq!(t.gpus.len(), 1);
    let g = &t.gpus[0];
    assert_eq!(g.device.bdf, bdf("0009:01:00.0"));
    assert_eq!((g.device.vendor, g.device.device), (0x10de, 0x2342));
    assert_eq!(g.device.class >> 16, 0x03);
    assert_eq!(g.nodes, range(1, 8));
    // The NIC is a PCI device but not a GPU.
    assert!(t.pci_device(bdf("0000:01:00.0")).is_some());
}

#[test]
fn gh200_numa_status() {
    let t = host("gh200");
    check_gh200_nodes(&t, true);
    assert_eq!(t.gpus[0].source, NodeSource::NumaStatus);
    assert_eq!(t.gpus[0].device.driver.as_deref(), Some("nvidia"));
    assert_eq!(t.gpus[0].device.iommu_group, Some(12));
    assert_eq!(t.gpus[0].device.numa_node, Some(0));
    assert_eq!(t.distance(1, 2), Some(255), "older firmware: GPU<->GPU 255");
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

/// Builds a Grace host SRAT as NVIDIA's TH500 firmware lays it out: per socket
/// 72 GICC entries and one memory range in PXM = socket; per GPU g, partition p
/// the PXM 4 + MAX_SOCKETS + 8g + p (MAX_SOCKETS = 4) with a placeholder memory
/// entry (enabled + hot-pluggable, no range) and a Generic Initiator entry with
/// the GPU's PCI handle.
fn grace_srat(sockets: u32, gpus: &[&str]) -> Srat {
    const MAX_SOCKETS: u32 = 4;
    let mut s = Srat::new(3);
    for sock in 0..sockets {
        for i in 0..72 {
            s.entries.push(SratEntry::Gicc {
                proximity_domain: sock,
                acpi_processor_uid: 72 * sock + i,
                flags: FLAG_ENABLED,
                clock_domain: 0,
            });
        }
    }
    for sock in 0..sockets {
        s.entries.push(SratEntry::Memory {
            proximity_domain: sock,
            base_address: if sock == 0 {
                0x8000_0000
            } else {
                u64::from(sock) << 44
            },
            length: 480 * GIB,
            flags: FLAG_ENABLED,
            reserved1: 0,
            reserved2: 0,
            reserved3: 0,
        });
    }
    let pxm = |g: u32, p: u32| 4 + MAX_SOCKETS + 8 * g + p;
    for g in 0..gpus.len() as u32 {
        for p in 0..8 {
            s.entries.push(SratEntry::Memory {
                proximity_domain: pxm(g, p),
                base_address: 0,
                length: 0,
                flags: FLAG_ENABLED | MEM_HOT_PLUGGABLE,
                reserved1: 0,
                reserved2: 0,
                reserved3: 0,
            });
        }
    }
    for (g, b) in gpus.iter().enumerate() {
        for p in 0..8 {
            s.entries.push(SratEntry::GenericInitiator(GenericAffinity {
                proximity_domain: pxm(g as u32, p),
                device_handle: DeviceHandle::Pci(bdf(b)),
                flags: FLAG_ENABLED,
                reserved1: 0,
                reserved2: 0,
            }));
        }
    }
    s
}

/// The fixture SRATs are exactly the codec's encoding of [`grace_srat`];
/// `VNUMA_REGEN_HOST_FIXTURES=1` writes them.
#[test]
fn fixture_srats_are_generated() {
    for (name, sockets, gpus) in [
        ("gh200-srat", 1, vec!["0009:01:00.0"]),
        (
            "4xgh200",
            4,
            vec![
                "0009:01:00.0",
                "0019:01:00.0",
                "0029:01:00.0",
                "0039:01:00.0",
            ],
        ),
    ] {
        let bytes = grace_srat(sockets, &gpus).encode();
        let path = fixture(name).join("sys/firmware/acpi/tables/SRAT");
        if std::env::var_os("VNUMA_REGEN_HOST_FIXTURES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
}

#[test]
fn gh200_srat_maps_pxms_to_linux_nodes() {
    let root = fixture("gh200-srat");
    // The firmware's GPU PXMs are 8..=15 (4 + MAX_SOCKETS + 8g + p), not the node ids.
    let srat =
        Srat::decode(&std::fs::read(root.join("sys/firmware/acpi/tables/SRAT")).unwrap()).unwrap();
    let gi_pxms: Vec<u32> = srat
        .entries
        .iter()
        .filter_map(|e| match e {
            SratEntry::GenericInitiator(g) => Some(g.proximity_domain),
            _ => None,
        })
        .collect();
    assert_eq!(gi_pxms, range(8, 15));
    let t = host("gh200-srat");
    check_gh200_nodes(&t, false);
    assert_eq!(t.gpus[0].source, NodeSource::Srat);
    assert_eq!(
        t.gpus[0].device.driver.as_deref(),
        Some("nvgrace_gpu_vfio_pci")
    );
    assert!(!root.join("proc/driver/nvidia").exists());
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert!(t.node(1).unwrap().has_generic_initiator);
}

#[test]
fn gh200_distances_only() {
    let t = host("gh200-distances");
    check_gh200_nodes(&t, false);
    assert_eq!(t.gpus[0].source, NodeSource::Distances);
    assert_eq!(t.distance(1, 2), Some(11), "newer firmware: GPU<->GPU 11");
    assert!(
        t.warnings
            .iter()
            .any(|w| w.message.contains("guess") && w.message.contains("0009:01:00.0")),
        "{:?}",
        t.warnings
    );
}

/// The GB200 tray of the facts: GPU HBM on 2, 10, 18, 26, 8 nodes each.
fn check_gb200(t: &HostTopology, source: NodeSource) {
    assert_eq!(t.nodes.len(), 34);
    for c in [0, 1] {
        let n = t.node(c).unwrap();
        assert_eq!(n.cpus.len(), 72);
        assert!((450 * GB..=530 * GB).contains(&n.memory));
    }
    for h in [2, 10, 18, 26] {
        assert_eq!(t.node(h).unwrap().memory, 188_416 << 20, "188416 MB");
    }
    for n in (3..=9).chain(11..=17).chain(19..=25).chain(27..=33) {
        assert!(t.node(n).unwrap().is_empty(), "node {n} reserved for MIG");
    }
    assert_eq!(t.distance(0, 1), Some(40), "CPU<->CPU 40");
    assert_eq!(t.distance(0, 2), Some(80), "CPU<->own GPU 80");
    assert_eq!(t.distance(0, 18), Some(120), "CPU<->other socket's GPU 120");
    assert_eq!(t.distance(1, 26), Some(80));
    assert_eq!(t.distance(2, 9), Some(11), "within one GPU 11");
    assert_eq!(t.distance(2, 10), Some(40), "between GPUs 40");
    let want = [
        ("0008:01:00.0", range(2, 9)),
        ("0009:01:00.0", range(10, 17)),
        ("0018:01:00.0", range(18, 25)),
        ("0019:01:00.0", range(26, 33)),
    ];
    assert_eq!(t.gpus.len(), 4);
    for (g, (b, nodes)) in t.gpus.iter().zip(want) {
        assert_eq!(g.device.bdf, bdf(b));
        assert_eq!(g.device.device, 0x2941);
        assert_eq!(g.nodes, nodes, "{b}");
        assert_eq!(g.source, source, "{b}");
    }
}

#[test]
fn gb200_tray() {
    let t = host("gb200");
    check_gb200(&t, NodeSource::NumaStatus);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn gb200_without_numa_status_uses_distances() {
    let d = copy_tree("gb200");
    std::fs::remove_dir_all(d.path().join("proc")).unwrap();
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    check_gb200(&t, NodeSource::Distances);
    assert_eq!(
        t.warnings
            .iter()
            .filter(|w| w.message.contains("guess"))
            .count(),
        4
    );
}

#[test]
fn gb200_mixed_sources() {
    // Two GPUs bound to vfio (no numa_status): the others keep theirs and the
    // remaining distance groups go to the vfio GPUs in BDF order.
    let d = copy_tree("gb200");
    for b in ["0009:01:00.0", "0018:01:00.0"] {
        std::fs::remove_dir_all(d.path().join("proc/driver/nvidia/gpus").join(b)).unwrap();
    }
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    let got: Vec<(Vec<u32>, NodeSource)> =
        t.gpus.iter().map(|g| (g.nodes.clone(), g.source)).collect();
    assert_eq!(
        got,
        [
            (range(2, 9), NodeSource::NumaStatus),
            (range(10, 17), NodeSource::Distances),
            (range(18, 25), NodeSource::Distances),
            (range(26, 33), NodeSource::NumaStatus),
        ]
    );
}

#[test]
fn four_gh200() {
    let t = host("4xgh200");
    assert_eq!(t.nodes.len(), 36);
    for c in 0..4 {
        assert_eq!(t.node(c).unwrap().cpus.len(), 72, "CPU node {c}");
    }
    for n in 4..36 {
        assert!(!t.node(n).unwrap().is_cpu_node());
    }
    let want = [range(4, 11), range(12, 19), range(20, 27), range(28, 35)];
    assert_eq!(t.gpus.len(), 4);
    for (g, nodes) in t.gpus.iter().zip(want) {
        assert_eq!(g.nodes, nodes);
        assert_eq!(g.source, NodeSource::Srat);
    }
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    // Without the SRAT, numa_status gives the same nodes.
    let d = copy_tree("4xgh200");
    std::fs::remove_dir_all(d.path().join("sys/firmware")).unwrap();
    let t2 = discover(d.path(), &HostOptions::default()).unwrap();
    for (a, b) in t.gpus.iter().zip(&t2.gpus) {
        assert_eq!(a.nodes, b.nodes);
        assert_eq!(b.source, NodeSource::NumaStatus);
    }
}

#[test]
fn srat_and_numa_status_disagree() {
    let d = copy_tree("4xgh200");
    let p = d
        .path()
        .join("proc/driver/nvidia/gpus/0009:01:00.0/numa_status");
    std::fs::write(&p, "Node: 20\nStatus: online\n").unwrap();
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    assert_eq!(t.gpus[0].nodes, range(4, 11), "the SRAT wins");
    assert!(warned(&t, "0009:01:00.0/numa_status"), "{:?}", t.warnings);
}

#[test]
fn hwloc_p9_v100_numa_status() {
    // hwloc's nvidiagpunumanodes: a POWER9 with 6 V100s whose driver onlined
    // one node each (the numa_status files name nodes 255 down to 250).
    let t = host("hwloc-nvidiagpunumanodes");
    assert_eq!(
        t.nodes.iter().map(|n| n.node).collect::<Vec<_>>(),
        [0, 8, 250, 251, 252, 253, 254, 255]
    );
    assert_eq!(t.node(0).unwrap().cpus, range(0, 87));
    assert_eq!(t.node(8).unwrap().cpus, range(88, 175));
    assert_eq!(t.node(250).unwrap().memory, 15_728_640 * 1024);
    assert_eq!(t.distance(0, 8), Some(40));
    assert_eq!(t.distance(250, 251), Some(80));
    let want = [
        ("0004:05:00.0", 255),
        ("0004:06:00.0", 254),
        ("0006:00:00.0", 253),
        ("0007:00:00.0", 252),
        ("0035:04:00.0", 251),
        ("0035:05:00.0", 250),
    ];
    assert_eq!(t.gpus.len(), 6);
    for (g, (b, n)) in t.gpus.iter().zip(want) {
        assert_eq!(g.device.bdf, bdf(b));
        assert_eq!(g.nodes, [n], "{b}");
        assert_eq!(g.source, NodeSource::NumaStatus);
        // The tree has no vendor file: the NVIDIA driver's listing tells.
        assert_eq!(g.device.vendor, 0x10de);
        assert_eq!(g.device.class, 0x030000);
    }
    // The tree has no vendor/device files: warnings name them.
    assert!(warned(&t, "0004:05:00.0/vendor"));
    assert!(warned(&t, "0004:05:00.0/device"));
}

#[test]
fn hwloc_generic_initiator_node() {
    // hwloc's fakememinitiators-1np2c+1npp+gi: 11 nodes, CPUs only in cpumap,
    // node 4 a Generic Initiator node.
    let t = host("hwloc-fakememinitiators-1np2c+1npp+gi");
    assert_eq!(t.nodes.len(), 11);
    assert_eq!(t.node(0).unwrap().cpus, [0, 1], "cpumap 0x3");
    assert_eq!(t.node(1).unwrap().cpus, [2, 3], "cpumap 0xc");
    let gi: Vec<u32> = t
        .nodes
        .iter()
        .filter(|n| n.has_generic_initiator)
        .map(|n| n.node)
        .collect();
    assert_eq!(gi, [4]);
    let cpu: Vec<u32> = t
        .nodes
        .iter()
        .filter(|n| n.has_cpu)
        .map(|n| n.node)
        .collect();
    assert_eq!(cpu, [0, 1, 2, 3]);
    assert_eq!(t.node(10).unwrap().memory, 780_140_544 * 1024);
    assert_eq!(t.distance(0, 10), Some(28));
    assert_eq!(t.distance(4, 1), Some(31));
    assert!(t.gpus.is_empty());
    // No cpulist in this tree: no warning for it (cpumap is read instead).
    assert!(!warned(&t, "cpulist"), "{:?}", t.warnings);
}

#[test]
fn hwloc_arm64_cpulist_ending_in_nul() {
    // hwloc's 128arm-2pa2n8cluster4co: each node's cpulist is "0-31\n\0" (a
    // trailing NUL byte, as gathered from the arm64 host): 4 nodes of 32 CPUs.
    let raw = std::fs::read(fixture(
        "hwloc-128arm-2pa2n8cluster4co/sys/devices/system/node/node0/cpulist",
    ))
    .unwrap();
    assert_eq!(raw, b"0-31\n\0");
    let t = host("hwloc-128arm-2pa2n8cluster4co");
    assert_eq!(t.nodes.len(), 4);
    for (i, n) in t.nodes.iter().enumerate() {
        let first = 32 * i as u32;
        assert_eq!(n.cpus, range(first, first + 31), "node {i}");
        assert!(n.has_cpu);
    }
    assert_eq!(t.distance(0, 3), Some(33));
    assert!(!warned(&t, "cpulist"), "{:?}", t.warnings);
}

#[test]
fn hwloc_cpu_in_every_node_counts_once() {
    // hwloc's 8em64t-2s2ca2c-buggynuma: 8 nodes whose cpumap is each "ff" (CPUs
    // 0-7 listed in every node): the tree has 8 CPUs, and a warning says so.
    let t = host("hwloc-8em64t-2s2ca2c-buggynuma");
    assert_eq!(t.nodes.len(), 8);
    assert!(t.nodes.iter().all(|n| n.cpus == range(0, 7)));
    assert!(
        t.warnings
            .iter()
            .any(|w| w.message.contains("CPU 0 in nodes 0-7")),
        "{:?}",
        t.warnings
    );
    let root = fixture("hwloc-8em64t-2s2ca2c-buggynuma");
    let o = common::vnuma(&["show", "--sysfs", root.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = common::vnuma(&["show", "--sysfs", root.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("8 nodes, 8 CPUs"), "{text}");
}

#[test]
fn hwloc_kernels_without_numa_are_one_node() {
    // hwloc's 2arm-2c and 2i386-2c-nohugepage: no sys/devices/system/node (a
    // kernel without NUMA support); numactl shows one node 0 with every CPU.
    // 2arm-2c lists its CPUs in cpu/online ("0-1"), 2i386 only as cpu0, cpu1.
    for (name, mem_kib) in [
        ("hwloc-2arm-2c", 280_840u64),
        ("hwloc-2i386-2c-nohugepage", 2_075_428),
    ] {
        let t = host(name);
        assert_eq!(t.nodes.len(), 1, "{name}");
        let n = &t.nodes[0];
        assert_eq!((n.node, n.cpus.clone()), (0, vec![0, 1]), "{name}");
        assert_eq!(n.memory, mem_kib * 1024, "{name} MemTotal of proc/meminfo");
        assert!(n.has_cpu && n.has_memory, "{name}");
        assert_eq!(t.distance(0, 0), Some(10));
        assert!(
            warned(&t, "sys/devices/system/node"),
            "{name}: {:?}",
            t.warnings
        );
    }
    // Neither a node nor a CPU directory: not a Linux tree.
    let d = tempfile::tempdir().unwrap();
    assert!(matches!(
        discover(d.path(), &HostOptions::default()),
        Err(HostError::NotLinux { .. })
    ));
}

#[test]
fn hwloc_pci_locality_and_user_choice() {
    // hwloc's 40intel64-2g2n4c+pcilocality: 4 nodes, an InfiniBand HCA on node 2.
    let root = fixture("hwloc-40intel64-2g2n4c+pcilocality");
    let t = discover(&root, &HostOptions::default()).unwrap();
    assert_eq!(t.nodes.len(), 4);
    assert_eq!(
        t.node(1).unwrap().cpus,
        [1, 5, 9, 13, 17, 21, 25, 29, 33, 37]
    );
    assert_eq!(t.distance(0, 3), Some(20));
    let hca = t.pci_device(bdf("0000:43:00.0")).unwrap();
    assert_eq!(
        (hca.vendor, hca.device, hca.class),
        (0x1077, 0x7322, 0x0c0600)
    );
    assert_eq!(hca.numa_node, Some(2));
    assert_eq!(hca.driver.as_deref(), Some("ib_qib"));
    let vga = t.pci_device(bdf("0000:09:03.0")).unwrap();
    assert_eq!((vga.vendor, vga.class >> 16), (0x102b, 0x03));
    assert!(t.gpus.is_empty(), "a Matrox VGA is not an NVIDIA GPU");
    assert!(t.pci.windows(2).all(|w| w[0].bdf < w[1].bdf), "BDF order");

    let opts = |s: &str| HostOptions {
        gpus: vec![s.parse::<GpuChoice>().unwrap()],
    };
    let t = discover(&root, &opts("0000:43:00.0")).unwrap();
    assert_eq!(t.gpus.len(), 1);
    assert_eq!(t.gpus[0].source, NodeSource::None);
    let t = discover(&root, &opts("0000:43:00.0=2")).unwrap();
    assert_eq!(
        (t.gpus[0].nodes.clone(), t.gpus[0].source),
        (vec![2], NodeSource::User)
    );
    assert!(matches!(
        discover(&root, &opts("0000:99:00.0")),
        Err(HostError::UnknownDevice { .. })
    ));
    let e = discover(&root, &opts("0000:43:00.0=1,7")).unwrap_err();
    assert!(matches!(e, HostError::UnknownNode { node: 7, .. }), "{e}");
}

#[test]
fn user_override_wins_over_discovery() {
    let mut o = HostOptions::default();
    o.gpus.push("0009:01:00.0=1-2".parse().unwrap());
    let t = discover(&fixture("gh200"), &o).unwrap();
    assert_eq!(t.gpus[0].nodes, [1, 2]);
    assert_eq!(t.gpus[0].source, NodeSource::User);
}

#[test]
fn gpu_choice_syntax() {
    let c: GpuChoice = "0009:01:00.0=1-8".parse().unwrap();
    assert_eq!(c.bdf, bdf("0009:01:00.0"));
    assert_eq!(c.nodes, Some(range(1, 8)));
    assert_eq!("01:00.0".parse::<GpuChoice>().unwrap().nodes, None);
    for bad in [
        "",
        "x",
        "0009:01:00.0=",
        "0009:01:00.0=a",
        "0009:01:20.0",
        "0:1:0.0=1024",
    ] {
        assert!(bad.parse::<GpuChoice>().is_err(), "{bad}");
    }
}

#[test]
fn not_a_linux_root() {
    let d = tempfile::tempdir().unwrap();
    let e = discover(d.path(), &HostOptions::default()).unwrap_err();
    assert!(matches!(e, HostError::NotLinux { .. }));
    assert!(e.to_string().contains("sys/devices/system/node"), "{e}");
    // A file where the root should be.
    let f = d.path().join("file");
    std::fs::write(&f, "x").unwrap();
    assert!(discover(&f, &HostOptions::default()).is_err());
}

/// Files discovery reads in a tree (others, like `online`, are not read).
fn read_files(root: &Path) -> Vec<PathBuf> {
    files(root)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            !matches!(n, "online" | "possible" | "has_normal_memory")
        })
        .collect()
}

#[test]
fn malformed_files_warn_naming_the_path() {
    for name in ["gh200", "gh200-srat"] {
        let d = copy_tree(name);
        for rel in read_files(d.path()) {
            let p = d.path().join(&rel);
            let saved = std::fs::read(&p).unwrap();
            std::fs::write(&p, "garbage, 0x-1 Node: x\n").unwrap();
            let t = discover(d.path(), &HostOptions::default()).unwrap();
            assert!(
                warned(&t, rel.to_str().unwrap()),
                "{name}: {} corrupted, no warning: {:?}",
                rel.display(),
                t.warnings
            );
            std::fs::write(&p, saved).unwrap();
        }
    }
}

#[test]
fn missing_and_unreadable_files_warn_naming_the_path() {
    let d = copy_tree("gh200");
    for rel in read_files(d.path()) {
        let p = d.path().join(&rel);
        let saved = std::fs::read(&p).unwrap();
        let n = rel.file_name().unwrap().to_str().unwrap().to_string();
        // Missing (a device's numa_node may be absent: no warning then).
        std::fs::remove_file(&p).unwrap();
        let t = discover(d.path(), &HostOptions::default()).unwrap();
        if n != "numa_node" {
            assert!(
                warned(&t, rel.to_str().unwrap()),
                "{} missing: {:?}",
                rel.display(),
                t.warnings
            );
        }
        // Unreadable: a directory in its place (tests run as root here, so a
        // mode of 000 would not stop the read).
        std::fs::create_dir(&p).unwrap();
        let t = discover(d.path(), &HostOptions::default()).unwrap();
        assert!(
            t.warnings
                .iter()
                .any(|w| w.path.ends_with(rel.to_str().unwrap())
                    && w.message.contains("not a regular file")),
            "{} a directory: {:?}",
            rel.display(),
            t.warnings
        );
        std::fs::remove_dir(&p).unwrap();
        std::fs::write(&p, saved).unwrap();
    }
}

#[test]
fn unreadable_srat_warns() {
    let d = copy_tree("gh200-srat");
    let p = d.path().join("sys/firmware/acpi/tables/SRAT");
    std::fs::remove_file(&p).unwrap();
    std::fs::create_dir(&p).unwrap();
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    assert!(
        warned(&t, "sys/firmware/acpi/tables/SRAT"),
        "{:?}",
        t.warnings
    );
    // Distances still give the GPU nodes (255 between them: the fallback
    // groups by the distances to the CPU nodes).
    assert_eq!(t.gpus[0].nodes, range(1, 8));
    assert_eq!(t.gpus[0].source, NodeSource::Distances);
}

/// A small deterministic generator (xorshift) for garbage.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = (self.next() % 300) as usize;
        let alphabet = b"0123456789abcdefx,- \n:Node-1MemTotal kB";
        (0..n)
            .map(|_| {
                let r = self.next();
                if r.is_multiple_of(4) {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect()
    }
}

#[test]
fn garbage_in_any_file_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for name in [
        "gh200-srat",
        "gh200",
        "hwloc-fakememinitiators-1np2c+1npp+gi",
    ] {
        let d = copy_tree(name);
        let all = files(d.path());
        for rel in &all {
            let p = d.path().join(rel);
            let saved = std::fs::read(&p).unwrap();
            for _ in 0..8 {
                let mut g = rng.bytes();
                if rel.ends_with("SRAT") && rng.next().is_multiple_of(2) {
                    // Mutate the real table instead (keeps the header mostly valid).
                    g = saved.clone();
                    for _ in 0..4 {
                        let i = (rng.next() as usize) % g.len();
                        g[i] = rng.next() as u8;
                    }
                }
                std::fs::write(&p, &g).unwrap();
                if let Ok(t) = discover(d.path(), &HostOptions::default()) {
                    let _ = t.text();
                }
            }
            std::fs::write(&p, saved).unwrap();
        }
    }
}

#[test]
fn parsers_on_garbage() {
    let mut rng = Rng(12345);
    for _ in 0..5000 {
        let b = rng.bytes();
        let s = String::from_utf8_lossy(&b);
        let _ = parse_cpumap(&s);
        let _ = parse_numa_status(&s);
        let _ = parse_hex_id(&s);
        let _ = s.parse::<GpuChoice>();
    }
    assert_eq!(parse_cpumap("00000000,00000003\n"), Some(vec![0, 1]));
    assert_eq!(parse_cpumap("1,00000000"), Some(vec![32]));
    assert_eq!(parse_cpumap("zz"), None);
    assert_eq!(
        parse_numa_status("Node:      255\nStatus: online\n"),
        Ok(Some(255))
    );
    assert_eq!(parse_numa_status("Node: -1\n"), Ok(None));
    assert!(parse_numa_status("Node: 4096\n").is_err());
    assert_eq!(parse_hex_id("0x10de\n"), Some(0x10de));
}

#[test]
fn text_report() {
    let t = host("gh200");
    let s = t.text();
    assert!(
        s.contains("node   0: CPUs 0-71 (72), memory 480.0 GiB; has_cpu has_memory"),
        "{s}"
    );
    assert!(s.contains("node   2: no CPUs, no memory; -"), "{s}");
    assert!(s.contains("0009:01:00.0 [10de:2342]"), "{s}");
    assert!(s.contains("nodes 1-8 (NVIDIA driver numa_status)"), "{s}");
    assert!(s.contains("   0  10  80  80"), "{s}");
    assert!(s.contains("255: unreachable"), "{s}");
    let s = host("gh200-distances").text();
    assert!(s.contains("Warnings:") && s.contains("guess"), "{s}");
}

#[test]
fn older_firmware_srat_without_generic_initiators() {
    // Before late 2024 the firmware wrote only the placeholder memory entries:
    // the SRAT names no GPU, the distance pattern (within the placeholder
    // nodes) must tell.
    let d = copy_tree("gh200-srat");
    let mut s = grace_srat(1, &["0009:01:00.0"]);
    s.entries
        .retain(|e| !matches!(e, SratEntry::GenericInitiator(_)));
    std::fs::write(d.path().join("sys/firmware/acpi/tables/SRAT"), s.encode()).unwrap();
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    assert_eq!(t.gpus[0].nodes, range(1, 8));
    assert_eq!(t.gpus[0].source, NodeSource::Distances);
    assert!(t.warnings.iter().any(|w| w.message.contains("guess")));
}

#[test]
fn srat_naming_a_missing_node_is_not_trusted() {
    // An SRAT whose GPU PXMs map past the host's nodes (another kernel's
    // numbering, numa=off …): a warning naming the SRAT, then the next source.
    let d = copy_tree("gh200");
    let s = grace_srat(2, &["0009:01:00.0"]);
    let p = d.path().join("sys/firmware/acpi/tables/SRAT");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, s.encode()).unwrap();
    let t = discover(d.path(), &HostOptions::default()).unwrap();
    assert!(
        warned(&t, "sys/firmware/acpi/tables/SRAT"),
        "{:?}",
        t.warnings
    );
    assert_eq!(t.gpus[0].source, NodeSource::NumaStatus);
    assert_eq!(t.gpus[0].nodes, range(1, 8));
}

/// Every fixture tree loaded into an in-memory `MemFs` (files and links as they
/// are on disk) gives exactly what discovery over the real files gives: the fuzz
/// target and tests may use the in-memory reader in its place.
#[test]
fn in_memory_tree_reads_like_the_real_one() {
    use vnuma::front::host::discover_in;
    use vnuma::front::host::fs::MemFs;
    // Loaded under another root that does not exist on disk, so that a read
    // that went to the disk instead of the tree would show.
    fn load(fs: &mut MemFs, dir: &std::path::Path, from: &std::path::Path, to: &std::path::Path) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let q = to.join(p.strip_prefix(from).unwrap());
            let t = std::fs::symlink_metadata(&p).unwrap().file_type();
            if t.is_symlink() {
                fs.link(q, std::fs::read_link(&p).unwrap());
            } else if t.is_dir() {
                load(fs, &p, from, to);
            } else {
                fs.file(q, std::fs::read(&p).unwrap());
            }
        }
    }
    let hosts = common::root().join("tests/fixtures/hosts");
    let mut n = 0;
    for e in std::fs::read_dir(&hosts).unwrap() {
        let root = e.unwrap().path();
        if !root.join("sys").is_dir() {
            continue;
        }
        let mem_root = Path::new("/vnuma-no-such-dir/mem").join(root.file_name().unwrap());
        let mut fs = MemFs::default();
        load(&mut fs, &root, &root, &mem_root);
        let real = discover(&root, &HostOptions::default()).unwrap();
        let mut mem = discover_in(&fs, &mem_root, &HostOptions::default()).unwrap();
        let (a, b) = (mem_root.display().to_string(), root.display().to_string());
        for w in &mut mem.warnings {
            w.path = w.path.replacen(&a, &b, 1);
        }
        assert_eq!(real, mem, "{}", root.display());
        n += 1;
    }
    assert!(n >= 8, "{n} fixture trees");
}
