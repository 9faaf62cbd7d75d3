//! The acceptance test of `vnuma build --order qemu`: for a topology file that
//! QEMU 10 can express natively, the tables `vnuma build --order qemu` writes are
//! byte-identical to the ones `vnuma qemu` computes for the printed native
//! command line (`qemu-native.args`), and — the outside oracle — to the ones the
//! live QEMU 10 builds for that command line (`vnuma qemu-dump`, SeaBIOS numbering
//! the PCI buses on x86).
//!
//! Every `examples/*.toml` is covered (`every_example_is_covered`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use common::{root, vnuma};

use std::path::Path;
use std::process::Output;

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `qemu-native.args` (one option and its value per line) as an argv.
fn native_argv(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("qemu-native.args")).unwrap();
    let mut v = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once(' ') {
            Some((opt, val)) => {
                v.push(opt.to_string());
                v.push(val.to_string());
            }
            None => v.push(line.to_string()),
        }
    }
    v
}

const TABLES: [&str; 3] = ["SRAT.dat", "SLIT.dat", "HMAT.dat"];

/// Asserts that `a` and `b` hold the same table files with the same bytes.
fn same_tables(a: &Path, b: &Path, what: &str) {
    let mut n = 0;
    for t in TABLES {
        let (x, y) = (std::fs::read(a.join(t)).ok(), std::fs::read(b.join(t)).ok());
        assert_eq!(
            x.is_some(),
            y.is_some(),
            "{what}: {t} present in only one of {} and {}",
            a.display(),
            b.display()
        );
        if let (Some(x), Some(y)) = (x, y) {
            assert!(x == y, "{what}: {t} differs");
            n += 1;
        }
    }
    assert!(n >= 1, "{what}: no tables at all");
}

fn check_example(name: &str) {
    check_topology(name, &root().join("examples").join(format!("{name}.toml")));
}

fn check_topology(name: &str, topo: &Path) {
    let d = tempfile::tempdir().unwrap();
    let (d1, d2, d3) = (
        d.path().join("d1"),
        d.path().join("d2"),
        d.path().join("d3"),
    );
    let out = vnuma(&[
        "build",
        topo.to_str().unwrap(),
        "--order",
        "qemu",
        "-o",
        d1.to_str().unwrap(),
    ]);
    ok(&out, &format!("{name}: vnuma build --order qemu"));
    let argv = native_argv(&d1);
    assert!(argv.iter().any(|a| a == "-numa"), "{name}: {argv:?}");

    let mut q = vec!["qemu".to_string(), "-o".into(), d2.display().to_string()];
    q.push("--".into());
    q.extend(argv.iter().cloned());
    let q: Vec<&str> = q.iter().map(String::as_str).collect();
    ok(&vnuma(&q), &format!("{name}: vnuma qemu"));
    same_tables(
        &d1,
        &d2,
        &format!("{name}: build --order qemu vs vnuma qemu"),
    );

    let virt = argv
        .windows(2)
        .any(|w| w[0] == "-machine" && w[1].starts_with("virt"));
    let bin = if virt {
        "qemu-system-aarch64"
    } else {
        "qemu-system-x86_64"
    };
    if !common::have_tool(bin) {
        return;
    }
    let mut q = vec![
        "qemu-dump".to_string(),
        "-o".into(),
        d3.display().to_string(),
        "--".into(),
    ];
    q.extend(argv.iter().cloned());
    let q: Vec<&str> = q.iter().map(String::as_str).collect();
    ok(&vnuma(&q), &format!("{name}: vnuma qemu-dump (live QEMU)"));
    same_tables(
        &d1,
        &d3,
        &format!("{name}: build --order qemu vs live QEMU"),
    );
}

/// The examples QEMU 10 can express natively (all of them).
const NATIVE_EXAMPLES: [&str; 7] = [
    "grace-hopper",
    "gb200-tray",
    "hmat-cache",
    "pc-two-nodes",
    "arm-virt",
    "smt-bridges",
    "cxl-generic-port",
];

#[test]
fn grace_hopper() {
    check_example("grace-hopper");
}

#[test]
fn hmat_cache() {
    check_example("hmat-cache");
}

#[test]
fn pc_two_nodes() {
    check_example("pc-two-nodes");
}

#[test]
fn arm_virt() {
    // With EDK2 (the default on virt) the planned SRAT also covers EDK2's flash,
    // which no QEMU command line expresses; without firmware the example is
    // exactly a QEMU command line.
    let text = std::fs::read_to_string(root().join("examples/arm-virt.toml")).unwrap();
    assert!(text.contains("[machine]\n"));
    let d = tempfile::tempdir().unwrap();
    let topo = d.path().join("arm-virt-no-firmware.toml");
    std::fs::write(
        &topo,
        text.replacen("[machine]\n", "[machine]\nfirmware = \"none\"\n", 1),
    )
    .unwrap();
    check_topology("arm-virt (firmware = none)", &topo);

    // With EDK2, --order qemu still refuses and says why.
    let out = vnuma(&[
        "build",
        root().join("examples/arm-virt.toml").to_str().unwrap(),
        "--order",
        "qemu",
        "-o",
        d.path().join("edk2").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EDK2's variable-store flash"));
}

#[test]
fn smt_non_power_of_two_and_bridges_without_bdf() {
    check_example("smt-bridges");
}

#[test]
fn cxl_generic_port() {
    check_example("cxl-generic-port");
}

#[test]
fn gb200_tray() {
    // As arm_virt: without firmware the example is exactly a QEMU command line.
    // The live QEMU cannot reserve the tray's 960 GiB on a test machine: the
    // check runs with 4 GiB per CPU node (the CPUs, GPU nodes, Generic
    // Initiators and distances are the example's).
    let text = std::fs::read_to_string(root().join("examples/gb200-tray.toml"))
        .unwrap()
        .replace("memory = \"960G\"", "memory = \"8G\"")
        .replace("memory = \"480G\"", "memory = \"4G\"");
    assert!(text.contains("[machine]\n") && text.matches("\"4G\"").count() == 2);
    let d = tempfile::tempdir().unwrap();
    let topo = d.path().join("gb200-tray-no-firmware.toml");
    std::fs::write(
        &topo,
        text.replacen("[machine]\n", "[machine]\nfirmware = \"none\"\n", 1),
    )
    .unwrap();
    check_topology("gb200-tray (firmware = none)", &topo);
}

#[test]
fn every_example_is_covered() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    found.sort();
    let mut listed: Vec<String> = NATIVE_EXAMPLES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "add a test for each new example");
}

/// What QEMU cannot express is refused by `--order qemu` with a message naming
/// the entry, and still built in canonical order (for injection).
#[test]
fn acpi_handle_generic_initiator_has_no_qemu_order() {
    let d = tempfile::tempdir().unwrap();
    let topo = d.path().join("t.toml");
    std::fs::write(
        &topo,
        "[machine]\ntype = \"q35\"\n[cpus]\ncount = 1\n[[node]]\nmemory = \"256M\"\ncpus = 0\n\
         [[node]]\nid = 1\n[[generic-initiator]]\ndevice = { hid = \"ACPI0017\", uid = 0 }\nnode = 1\n",
    )
    .unwrap();
    let o = d.path().join("o");
    let out = vnuma(&[
        "build",
        topo.to_str().unwrap(),
        "--order",
        "qemu",
        "-o",
        o.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("generic-initiator[0] (node 1): an ACPI device handle"),
        "{err}"
    );
    assert!(!o.exists(), "nothing written on error");
    let out = vnuma(&["build", topo.to_str().unwrap(), "-o", o.to_str().unwrap()]);
    ok(&out, "canonical order");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not expressible natively"), "{stdout}");
    assert!(o.join("SRAT.dat").exists());
}
