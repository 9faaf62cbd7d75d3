//! End-to-end: boot Debian's Linux 6.12 under QEMU (TCG) with a busybox initramfs
//! that runs a statically linked `vnuma verify`, and read the verdict from the
//! serial console. The guest kernel is the oracle: it must show the planned nodes,
//! distances and tables.
//!
//! Needs `.ci/setup-guest` (kernel in /var/cache/vnuma-guest/vmlinuz, or
//! VNUMA_GUEST_KERNEL), qemu-system-x86_64, busybox and cpio. In CI (`CI` set) a
//! missing piece fails the tests; locally they are skipped.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kernel() -> Option<PathBuf> {
    let p = std::env::var_os("VNUMA_GUEST_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/vnuma-guest/vmlinuz"));
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "guest kernel {} is missing (run .ci/setup-guest)",
            p.display()
        );
    }
    eprintln!(
        "skipping: guest kernel {} is missing (run .ci/setup-guest)",
        p.display()
    );
    None
}

/// A statically linked vnuma for the guest (no libc there), built once.
fn static_vnuma() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("VNUMA_STATIC_BIN") {
            return PathBuf::from(p);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .current_dir(root())
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .args([
                "build",
                "--release",
                "--bin",
                "vnuma",
                "--target",
                "x86_64-unknown-linux-gnu",
                "--target-dir",
                "target/static",
            ])
            .status()
            .expect("run cargo");
        assert!(st.success(), "static build of vnuma failed");
        root().join("target/static/x86_64-unknown-linux-gnu/release/vnuma")
    })
    .clone()
}

fn ready() -> Option<PathBuf> {
    let k = kernel()?;
    for t in ["qemu-system-x86_64", "busybox", "cpio"] {
        if !common::have_tool(t) {
            return None;
        }
    }
    Some(k)
}

fn vnuma(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vnuma"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vnuma {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Boots; returns the serial console text.
fn boot(
    kernel: &Path,
    work: &Path,
    topology: &Path,
    verify_args: &str,
    qemu_args: &Path,
    prepend: Option<&Path>,
) -> String {
    let mut c = Command::new("bash");
    c.arg(root().join("tests/boot/run-guest.sh"))
        .arg(work)
        .arg(kernel)
        .arg(static_vnuma())
        .arg(topology)
        .arg(verify_args)
        .arg(qemu_args);
    if let Some(p) = prepend {
        c.arg(p);
    }
    let out = c.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "guest run failed: {text}");
    text
}

fn assert_pass(log: &str, lines: &[&str]) {
    assert!(
        log.contains("VNUMA-RESULT: PASS"),
        "guest did not verify:\n{log}"
    );
    for l in lines {
        assert!(
            log.lines().any(|x| x.trim_end() == *l),
            "guest log lacks \"{l}\":\n{log}"
        );
    }
}

const GH_PICTURE: [&str; 6] = [
    "NODE online 0-9",
    "NODE has_cpu 0-1",
    "NODE has_memory 0-1",
    "NODE has_generic_initiator 2-9",
    "NODE node0 distance 10 20 80 80 80 80 80 80 80 80 cpulist 0-1",
    "NODE node2 distance 80 80 10 20 20 20 20 20 20 20 cpulist",
];

#[test]
fn grace_hopper_native_qemu_numa() {
    // QEMU's own tables (native -numa + acpi-generic-initiator): the guest's SRAT
    // and SLIT must equal `vnuma build --order qemu` byte for byte.
    let Some(k) = ready() else { return };
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/grace-hopper.toml");
    let out = d.path().join("out");
    vnuma(&[
        "build",
        topo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--order",
        "qemu",
    ]);
    let log = boot(
        &k,
        d.path(),
        &topo,
        "--order qemu",
        &out.join("qemu-native.args"),
        None,
    );
    assert_pass(&log, &GH_PICTURE);
    // QEMU's hash order: PXM 7 becomes Linux node 2.
    assert!(log.contains("node2 (pxm 7)"), "{log}");
}

#[test]
fn grace_hopper_injected_with_acpitable_no_numa() {
    let Some(k) = ready() else { return };
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/grace-hopper.toml");
    let out = d.path().join("out");
    vnuma(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let args = std::fs::read_to_string(out.join("qemu-acpitable.args")).unwrap();
    assert!(!args.contains("-numa"), "{args}");
    let log = boot(
        &k,
        d.path(),
        &topo,
        "",
        &out.join("qemu-acpitable.args"),
        None,
    );
    assert_pass(&log, &GH_PICTURE);
    assert!(
        log.contains("node2 (pxm 2)"),
        "canonical order keeps node = pxm:\n{log}"
    );
}

#[test]
fn slit_and_hmat_injected() {
    let Some(k) = ready() else { return };
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/hmat-cache.toml");
    let out = d.path().join("out");
    vnuma(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let log = boot(
        &k,
        d.path(),
        &topo,
        "",
        &out.join("qemu-acpitable.args"),
        None,
    );
    assert_pass(
        &log,
        &[
            "NODE online 0-2",
            "NODE has_cpu 0-1",
            "NODE has_memory 0-2",
            "NODE node2 distance 31 41 10 cpulist",
        ],
    );
    assert!(log.contains("tables: HMAT SLIT SRAT"), "{log}");
}

#[test]
fn pc_machine_injected() {
    let Some(k) = ready() else { return };
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/pc-two-nodes.toml");
    let out = d.path().join("out");
    vnuma(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let log = boot(
        &k,
        d.path(),
        &topo,
        "",
        &out.join("qemu-acpitable.args"),
        None,
    );
    assert_pass(
        &log,
        &[
            "NODE online 0-2",
            "NODE has_cpu 0-1",
            "NODE has_memory 0-1",
            "NODE has_generic_initiator 2",
            "NODE node0 distance 10 21 40 cpulist 0",
        ],
    );
}

#[test]
fn grace_hopper_initrd_table_upgrade() {
    // No -numa and no -acpitable: the tables arrive only through the cpio
    // prepended to the initramfs.
    let Some(k) = ready() else { return };
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/grace-hopper.toml");
    let out = d.path().join("out");
    vnuma(&["build", topo.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let plain: String = std::fs::read_to_string(out.join("qemu-acpitable.args"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-acpitable"))
        .map(|l| format!("{l}\n"))
        .collect();
    let plain_path = d.path().join("plain.args");
    std::fs::write(&plain_path, plain).unwrap();
    let cpio = d.path().join("tables.cpio");
    vnuma(&[
        "initrd",
        topo.to_str().unwrap(),
        "-o",
        cpio.to_str().unwrap(),
    ]);
    let log = boot(
        &k,
        d.path(),
        &topo,
        "--oem-revision 2",
        &plain_path,
        Some(&cpio),
    );
    assert_pass(&log, &GH_PICTURE);
}
