//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root (`CARGO_MANIFEST_DIR`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of the `vnuma` binary cargo built for the tests.
pub fn vnuma_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vnuma")
}

/// Runs `vnuma ARGS` and returns its output (whatever the exit status).
pub fn vnuma(args: &[&str]) -> Output {
    Command::new(vnuma_bin())
        .args(args)
        .output()
        .expect("run vnuma")
}

/// Runs `vnuma ARGS`, asserts success, returns stdout.
pub fn vnuma_stdout(args: &[&str]) -> String {
    let o = vnuma(args);
    assert!(
        o.status.success(),
        "vnuma {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `vnuma ARGS --json`, asserts success, returns the parsed output.
pub fn vnuma_json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&vnuma_stdout(&a)).unwrap()
}

/// Makes the bytes of an ACPI table sum to zero again after a change (byte 9 is
/// the checksum).
pub fn fix_checksum(b: &mut [u8]) {
    b[9] = 0;
    let sum = b.iter().fold(0u8, |a, x| a.wrapping_add(*x));
    b[9] = 0u8.wrapping_sub(sum);
}

/// Sets the Length field (offset 4) of an ACPI table to the buffer length and
/// fixes the checksum; a buffer shorter than the 36-byte header is returned
/// unchanged.
pub fn fix_length_and_checksum(mut v: Vec<u8>) -> Vec<u8> {
    if v.len() >= 36 {
        let len = u32::try_from(v.len()).unwrap();
        v[4..8].copy_from_slice(&len.to_le_bytes());
        fix_checksum(&mut v);
    }
    v
}

/// `tests/data`: everything the tests read lives in the repository (provenance in
/// each folder's README).
pub fn data_dir() -> PathBuf {
    root().join("tests/data")
}

/// QEMU 10.0.2's own test blobs with their MANIFEST (`tests/data/qemu-golden`).
pub fn golden_dir() -> PathBuf {
    data_dir().join("qemu-golden")
}

/// Whether `tool` is on PATH. In CI (`CI` set) a missing tool fails the test:
/// `.ci/setup` installs it, so its absence is a real failure, never a silent skip.
pub fn have_tool(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is not installed (run .ci/setup)");
        }
        eprintln!("skipping: {tool} is not installed (run .ci/setup)");
    }
    found
}

/// A topology with QEMU's defaults: `ram` bytes, the given possible CPUs as
/// (arch id, node), nodes with the given memory, no extras.
pub fn topo(
    machine: vnuma::topology::MachineKind,
    ram: u64,
    cpus: &[(u32, u32)],
    node_mem: &[u64],
) -> vnuma::topology::Topology {
    use vnuma::topology::*;
    Topology {
        machine,
        memory: MemoryConfig {
            ram_size: ram,
            max_ram: None,
            slots: 0,
            max_ram_below_4g: None,
            above_4g_at_1tib: false,
        },
        cpus: cpus
            .iter()
            .map(|&(arch_id, node)| Cpu { arch_id, node })
            .collect(),
        nodes: node_mem
            .iter()
            .map(|&mem| Node {
                mem,
                initiator: None,
            })
            .collect(),
        distances: None,
        generic_initiators: vec![],
        generic_ports: vec![],
        nvdimms: vec![],
        sgx_epc: vec![],
        hmat: false,
        hmat_lb: vec![],
        hmat_caches: vec![],
        extra_initiators: vec![],
        oem: Oem::default(),
    }
}

/// `-numa hmat-lb` options: (initiator, target, "latency"|"bandwidth", value).
pub fn hmat_lb(list: &[(u32, u32, &str, &str)]) -> String {
    list.iter()
        .map(|(i, t, kind, v)| {
            format!(
                " -numa hmat-lb,initiator={i},target={t},hierarchy=memory,data-type=access-{kind},{kind}={v}"
            )
        })
        .collect()
}

/// MANIFEST "G1" (acpihmat-generic-x) without its hmat-lb options.
pub const G1_HEAD: &str = "-machine hmat=on,cxl=on -smp 3,sockets=3 -m 128M,maxmem=384M,slots=2 -device pcie-root-port,chassis=1,id=pci.1 -device pci-testdev,bus=pci.1,multifunction=on,addr=00.0 -device pci-testdev,bus=pci.1,addr=00.1 -device pci-testdev,bus=pci.1,id=gidev,addr=00.2 -device pxb-cxl,bus_nr=64,bus=pcie.0,id=cxl.1 -object memory-backend-ram,size=64M,id=ram0 -object memory-backend-ram,size=64M,id=ram1 -numa node,nodeid=0,cpus=0,memdev=ram0 -numa node,nodeid=1 -object acpi-generic-initiator,id=gi0,pci-dev=gidev,node=1 -numa node,nodeid=2 -object acpi-generic-port,id=gp0,pci-bus=cxl.1,node=2 -numa node,nodeid=3,cpus=1 -numa node,nodeid=4,memdev=ram1 -numa node,nodeid=5,cpus=2";

/// MANIFEST "G1": the 32 hmat-lb options of acpihmat-generic-x, in the test's order.
pub fn g1_lb() -> String {
    hmat_lb(&[
        (0, 0, "latency", "10"),
        (0, 0, "bandwidth", "800M"),
        (0, 2, "latency", "100"),
        (0, 2, "bandwidth", "200M"),
        (0, 4, "latency", "100"),
        (0, 4, "bandwidth", "200M"),
        (0, 5, "latency", "200"),
        (0, 5, "bandwidth", "400M"),
        (1, 0, "latency", "500"),
        (1, 0, "bandwidth", "100M"),
        (1, 2, "latency", "50"),
        (1, 2, "bandwidth", "400M"),
        (1, 4, "latency", "50"),
        (1, 4, "bandwidth", "800M"),
        (1, 5, "latency", "500"),
        (1, 5, "bandwidth", "100M"),
        (3, 0, "latency", "20"),
        (3, 0, "bandwidth", "400M"),
        (3, 2, "latency", "80"),
        (3, 2, "bandwidth", "200M"),
        (3, 4, "latency", "80"),
        (3, 4, "bandwidth", "200M"),
        (3, 5, "latency", "20"),
        (3, 5, "bandwidth", "400M"),
        (5, 0, "latency", "20"),
        (5, 0, "bandwidth", "400M"),
        (5, 2, "latency", "80"),
        (5, 4, "bandwidth", "200M"),
        (5, 4, "latency", "80"),
        (5, 2, "bandwidth", "200M"),
        (5, 5, "latency", "10"),
        (5, 5, "bandwidth", "800M"),
    ])
}

/// MANIFEST "G1" (acpihmat-generic-x), the whole command line in the test's order.
pub fn g1() -> String {
    format!("{G1_HEAD}{}", g1_lb())
}

/// An SVG rendered by resvg (system fonts): at least 600 × 400 and not blank.
pub fn render_svg(svg: &str) -> resvg::tiny_skia::Pixmap {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).expect("resvg parses the SVG");
    let size = tree.size().to_int_size();
    assert!(size.width() >= 600 && size.height() >= 400, "{size:?}");
    let mut pix = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pix.as_mut(),
    );
    // Something drawn: not all white.
    assert!(pix.pixels().iter().any(|p| p.red() < 200));
    pix
}
