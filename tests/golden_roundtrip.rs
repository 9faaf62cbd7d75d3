//! Every QEMU golden blob decodes and re-encodes byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
use std::path::PathBuf;
use vnuma::acpi::Table;

fn golden_dir() -> PathBuf {
    common::golden_dir()
}

fn golden_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![golden_dir()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "MANIFEST.md" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn golden_blobs_round_trip() {
    let files = golden_files();
    assert!(
        files.len() >= 27,
        "expected the 27 golden blobs, found {}",
        files.len()
    );
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        let t = Table::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(!matches!(t, Table::Other(_)), "{}", p.display());
        assert_eq!(t.encode(), bytes, "{}", p.display());
        let json = serde_json::to_string(&t).unwrap();
        let back: Table = serde_json::from_str(&json).unwrap();
        assert_eq!(back.encode(), bytes, "json round trip {}", p.display());
    }
}
