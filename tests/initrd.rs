//! `vnuma initrd` archives read back by GNU cpio (the outside oracle).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use std::process::Command;
use vnuma::initrd::table_upgrade_cpio;

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(common::golden_dir().join("x86/q35").join(name)).unwrap()
}

#[test]
fn gnu_cpio_lists_and_extracts_the_tables() {
    if !common::have_tool("cpio") {
        return;
    }
    let srat = golden("SRAT.cphp");
    let slit = golden("SLIT.cphp");
    let archive = table_upgrade_cpio(&[srat.clone(), slit.clone()], Some(2)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.cpio");
    std::fs::write(&path, &archive).unwrap();

    let list = Command::new("cpio")
        .args(["-t", "-H", "newc", "-F"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let names: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        names,
        [
            "kernel",
            "kernel/firmware",
            "kernel/firmware/acpi",
            "kernel/firmware/acpi/SRAT.aml",
            "kernel/firmware/acpi/SLIT.aml"
        ]
    );

    let out = dir.path().join("x");
    std::fs::create_dir(&out).unwrap();
    let st = Command::new("cpio")
        .args(["-i", "-d", "-H", "newc", "--quiet", "-F"])
        .arg(&path)
        .current_dir(&out)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(out.join("kernel/firmware/acpi").is_dir());
    for (name, orig) in [("SRAT.aml", &srat), ("SLIT.aml", &slit)] {
        let got = std::fs::read(out.join("kernel/firmware/acpi").join(name)).unwrap();
        assert_eq!(got.len(), orig.len());
        // OEM Revision (offset 24) raised to 2; every byte but it and the checksum (9) kept.
        assert_eq!(&got[24..28], &[2, 0, 0, 0]);
        for (i, (a, b)) in got.iter().zip(orig.iter()).enumerate() {
            if i != 9 && !(24..28).contains(&i) {
                assert_eq!(a, b, "{name} byte {i}");
            }
        }
        assert_eq!(
            got.iter().fold(0u8, |s, b| s.wrapping_add(*b)),
            0,
            "{name} checksum"
        );
    }
}

#[test]
fn archive_without_revision_change_keeps_table_bytes() {
    if !common::have_tool("cpio") {
        return;
    }
    let srat = golden("SRAT.numamem");
    let archive = table_upgrade_cpio(std::slice::from_ref(&srat), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("sh")
        .arg("-c")
        .arg("cpio -i -d -H newc --quiet")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&archive)?;
            c.wait()
        })
        .unwrap();
    assert!(st.success());
    assert_eq!(
        std::fs::read(dir.path().join("kernel/firmware/acpi/SRAT.aml")).unwrap(),
        srat
    );
}

/// `vnuma initrd --tables DIR`: packs an existing table set (here QEMU's own
/// golden tables, in HMAT/SLIT/SRAT file order on disk) in SRAT, SLIT, HMAT
/// order; a table that does not decode, or two tables with one signature, are
/// refused with the file named and no archive written.
#[test]
fn initrd_from_a_table_directory() {
    if !common::have_tool("cpio") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let tables = d.path().join("t");
    std::fs::create_dir(&tables).unwrap();
    std::fs::write(tables.join("HMAT.dat"), golden("HMAT.acpihmat")).unwrap();
    std::fs::write(tables.join("SRAT.aml"), golden("SRAT.acpihmat")).unwrap();
    let cpio = d.path().join("a.cpio");
    let run = |extra: &[&str]| {
        Command::new(common::vnuma_bin())
            .args(["initrd", "--tables"])
            .arg(&tables)
            .arg("-o")
            .arg(&cpio)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new("cpio")
        .args(["-t", "-H", "newc", "-F"])
        .arg(&cpio)
        .output()
        .unwrap();
    let names = String::from_utf8(list.stdout).unwrap();
    assert!(
        names.ends_with("kernel/firmware/acpi/SRAT.aml\nkernel/firmware/acpi/HMAT.aml\n"),
        "{names}"
    );

    std::fs::remove_file(&cpio).unwrap();
    std::fs::write(tables.join("SLIT.dat"), b"SLIT\x10\x00\x00\x00").unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SLIT.dat"), "{err}");
    assert!(!cpio.exists());

    std::fs::write(tables.join("SLIT.dat"), golden("SLIT.cphp")).unwrap();
    std::fs::write(tables.join("SRAT1.dat"), golden("SRAT.cphp")).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than one SRAT"));
}
