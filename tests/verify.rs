//! `vnuma verify` against a sysfs tree captured from a live guest: Linux 6.12 booted
//! under QEMU 10.0.2 with the Grace Hopper example's native options
//! (`tests/boot/run-guest.sh` with VNUMA_BOOT_DUMP=1). Its SRAT/SLIT are QEMU's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use common::root;

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    root().join("tests/fixtures/verify/gh-qemu-native")
}

fn verify(sysfs: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(common::vnuma_bin())
        .arg("verify")
        .arg("--expect")
        .arg(root().join("examples/grace-hopper.toml"))
        .arg("--sysfs")
        .arg(sysfs)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn live_guest_tree_passes_with_qemu_order() {
    let (code, out) = verify(&fixture(), &["--order", "qemu"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("vnuma verify: PASS"), "{out}");
    // QEMU's GI order: PXM 7 first, so it became Linux node 2.
    assert!(out.contains("node2 (pxm 7)"), "{out}");
}

#[test]
fn canonical_plan_differs_from_qemu_tables_but_nodes_agree() {
    let (code, out) = verify(&fixture(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SRAT item"), "{out}");
    assert!(!out.contains("SLIT item"), "the SLIT is the same: {out}");
    assert!(!out.contains("has_generic_initiator: expected"), "{out}");
    assert!(!out.contains("distance: expected"), "{out}");
}

#[test]
fn node_picture_only() {
    let (code, out) = verify(&fixture(), &["--no-tables"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn each_kind_of_difference_is_reported() {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), d.path());
    let n = d.path().join("devices/system/node");
    std::fs::write(n.join("has_generic_initiator"), "2-8\n").unwrap();
    std::fs::write(n.join("node1/meminfo"), "Node 1 MemTotal:  100000 kB\n").unwrap();
    std::fs::write(n.join("node0/distance"), "10 21 80 80 80 80 80 80 80 80\n").unwrap();
    std::fs::write(n.join("node1/cpulist"), "2\n").unwrap();
    let (code, out) = verify(d.path(), &["--no-tables"]);
    assert_eq!(code, 1, "{out}");
    for want in [
        "has_generic_initiator: expected 2-9, guest shows 2-8",
        "node1 MemTotal: expected 524288 kB",
        "node0 distance: expected [10, 20, 80",
        "node1 cpulist: expected 2-3, guest shows 2",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn unreadable_sysfs_is_an_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let (code, out) = verify(d.path(), &[]);
    assert_eq!(code, 1);
    assert!(out.contains("vnuma: error: cannot read"), "{out}");
}

/// `vnuma verify` of a captured arm64 tree against a topology file.
fn verify_arm(tree: &str, topology: &Path) -> (i32, String) {
    let out = Command::new(common::vnuma_bin())
        .arg("verify")
        .arg("--expect")
        .arg(topology)
        .arg("--sysfs")
        .arg(root().join("tests/fixtures/verify").join(tree))
        .args(["--oem-revision", "2"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

// Both arm64 trees were captured from Linux 6.12 on QEMU 10.0.2 `virt` booted
// through EDK2 (AAVMF 2022.11), without -numa, tables from `vnuma initrd`
// (tests/boot/run-guest.sh, VNUMA_GUEST_ARCH=aarch64).

#[test]
fn arm_virt_edk2_tree_passes() {
    let (code, out) = verify_arm(
        "arm-virt-edk2-initrd",
        &root().join("tests/fixtures/verify/arm-virt-edk2-initrd/topology.toml"),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("node3 (pxm 3): distance 60 60 30 10"), "{out}");
    // The guest's SRAT ends with the entry for EDK2's variable-store flash.
    let srat = std::fs::read(
        root().join("tests/fixtures/verify/arm-virt-edk2-initrd/firmware/acpi/tables/SRAT"),
    )
    .unwrap();
    let s = vnuma::acpi::Srat::decode(&srat).unwrap();
    match s.entries.last() {
        Some(vnuma::acpi::SratEntry::Memory {
            proximity_domain: 0,
            base_address: 0x0400_0000,
            length: 0x0400_0000,
            flags: 1,
            ..
        }) => {}
        e => panic!("last SRAT entry: {e:?}"),
    }
}

#[test]
fn arm_virt_uncovered_flash_is_one_node_with_a_hint() {
    let dir = root().join("tests/fixtures/verify/arm-virt-edk2-uncovered-flash");
    let (code, out) = verify_arm("arm-virt-edk2-uncovered-flash", &dir.join("topology.toml"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("online: expected 0-3, guest shows 0"), "{out}");
    assert!(out.contains("variable-store flash"), "{out}");
    // The tables themselves are what that topology plans: only the nodes differ.
    assert!(!out.contains("SRAT item"), "{out}");
    // Planning with the default (EDK2) adds the flash entry the guest lacks.
    let (code, out) = verify_arm(
        "arm-virt-edk2-uncovered-flash",
        &root().join("examples/arm-virt.toml"),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SRAT item"), "{out}");
    assert!(out.contains("variable-store flash"), "{out}");
}
