//! Replays every fuzz input kept in the repository through the fuzz harnesses on a stable
//! `cargo test`: the minimized corpora and every crash the fuzzers found
//! (`tests/data/fuzz/<target>/`), plus the seed inputs (QEMU's golden blobs for the table
//! targets, the example topology files, the example QEMU command lines). A harness panics
//! on a broken property, which fails this test with the input's path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.file_name().is_some_and(|n| n != "README.md") {
            out.push(p);
        }
    }
}

/// Seeds of a target taken from the test data (the same the fuzzers start from).
fn seeds(target: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    match target {
        "table_decode" | "roundtrip" | "inspect" => {
            files_under(&common::golden_dir(), &mut out);
            files_under(&root.join("tests/data/layout-live"), &mut out);
            out.retain(|p| p.extension().is_none_or(|e| e != "sh" && e != "md"));
        }
        "topology_toml" => {
            files_under(&root.join("examples"), &mut out);
            out.retain(|p| p.extension().is_some_and(|e| e == "toml"));
        }
        "sysfs" => {
            for t in ["gh-qemu-native", "arm-virt-edk2-initrd"] {
                let n = root
                    .join("tests/fixtures/verify")
                    .join(t)
                    .join("devices/system/node");
                out.push(n.join("online"));
                out.push(n.join("node0/distance"));
                out.push(n.join("node0/meminfo"));
            }
        }
        "host" => {
            for t in ["gh200", "gh200-srat", "gb200"] {
                let h = root.join("tests/fixtures/hosts").join(t);
                let parts: Vec<Vec<u8>> = harness::HOST_FILES
                    .iter()
                    .map(|f| std::fs::read(h.join(f)).unwrap_or_default())
                    .collect();
                // Same name and bytes on every run: nothing piles up in the temp dir.
                let p = std::env::temp_dir().join(format!("vnuma-fuzz-host-seed-{t}"));
                std::fs::write(&p, parts.join(&0x1e)).unwrap();
                out.push(p);
            }
        }
        "qemu_args" => {
            files_under(&root.join("examples"), &mut out);
            out.retain(|p| p.extension().is_some_and(|e| e == "txt"));
        }
        _ => {}
    }
    out
}

#[test]
fn every_kept_fuzz_input_passes_its_harness() {
    // The kept inputs include JSON nested 1,024 deep (QEMU's limit, which the
    // QEMU 10.0 parser model reaches by recursion like QEMU's own): fine on a
    // main thread's 8 MiB in any build, but an unoptimised build's frames
    // overflow a test thread's default 2 MiB. Give the replay a main thread's
    // stack.
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(replay_every_kept_input)
        .unwrap()
        .join()
        .unwrap();
}

fn replay_every_kept_input() {
    let data = common::data_dir().join("fuzz");
    let mut total = 0;
    for (name, harness) in harness::TARGETS {
        let mut inputs = seeds(name);
        let seeded = inputs.len();
        files_under(&data.join(name), &mut inputs);
        assert!(
            seeded > 0 || *name == "json_encode",
            "{name}: no seed inputs found"
        );
        for p in &inputs {
            let bytes = std::fs::read(p).unwrap();
            let r = std::panic::catch_unwind(|| harness(&bytes));
            assert!(r.is_ok(), "{name}: harness failed on {}", p.display());
        }
        eprintln!("{name}: {} inputs ({seeded} seeds)", inputs.len());
        total += inputs.len();
    }
    assert!(total > 0);
}
