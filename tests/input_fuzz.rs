//! No input reaches a panic: topology files (random edits of every example) and
//! guest sysfs trees (random edits of a tree captured from a live guest). Each
//! case must end in `Ok` or in an error that names where the problem is.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use common::root;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn examples() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
        })
        .collect();
    v.sort();
    assert!(v.len() >= 4, "examples/*.toml missing");
    v
}

/// One random edit of a text: delete, duplicate or replace a line, or replace a
/// byte range with characters TOML cares about.
fn mutate(text: &str, op: u8, a: usize, b: usize, junk: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    match op % 4 {
        0 => {
            if !lines.is_empty() {
                lines.remove(a % n);
            }
            lines.join("\n")
        }
        1 => {
            let l = lines.get(a % n).copied().unwrap_or("");
            lines.insert(b % n, l);
            lines.join("\n")
        }
        2 => {
            if !lines.is_empty() {
                lines[a % n] = junk;
            }
            lines.join("\n")
        }
        _ => {
            let chars: Vec<char> = text.chars().collect();
            let (i, j) = (a % chars.len().max(1), b % chars.len().max(1));
            let (i, j) = (i.min(j), i.max(j).min(i + 8));
            let mut s: String = chars[..i].iter().collect();
            s.push_str(junk);
            s.extend(&chars[j..]);
            s
        }
    }
}

const JUNK: &[&str] = &[
    "",
    "=",
    "[[node]]",
    "[machine]",
    "id = \"9-2\"",
    "memory = \"-1G\"",
    "memory = \"18446744073709551615\"",
    "memory = 18446744073709551615",
    "count = 4294967295",
    "cpus = \"0-4294967295\"",
    "nodes = \"0-127\"",
    "value = 0",
    "bdf = \"ffff:ff:1f.7\"",
    "addr = \"ff.9\"",
    "slots = 99999999999",
    "{",
    "\"\u{0}\"",
    "é",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn topology_files_never_panic(ex in 0usize..64, op in any::<u8>(), a in any::<usize>(),
                                  b in any::<usize>(), j in 0usize..JUNK.len()) {
        let all = examples();
        let (name, text) = &all[ex % all.len()];
        let edited = mutate(text, op, a, b, JUNK[j]);
        if let Err(e) = vnuma::front::file::parse_str(&edited, name) {
            // Every error names the file and a line.
            let msg = e.to_string();
            prop_assert!(msg.starts_with(&format!("{name}:")), "{msg}");
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dst = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).unwrap();
        }
    }
}

fn files_under(d: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

const SYSFS_JUNK: &[&[u8]] = &[
    b"",
    b"\n",
    b"0-",
    b"5-2",
    b"0-4294967295",
    b"0,,1",
    b"10 20 abc",
    b"Node 0 MemTotal: x kB",
    b"Node 0 MemTotal: 18446744073709551615 kB",
    b"\xff\xfe",
    b"SRAT",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// `vnuma verify` reads a guest tree with one file replaced by junk (or
    /// removed): it never panics; it passes only if the file did not matter.
    #[test]
    fn sysfs_trees_never_panic(file in any::<usize>(), j in 0usize..SYSFS_JUNK.len(), remove in any::<bool>()) {
        let fixture = root().join("tests/fixtures/verify/gh-qemu-native");
        let d = tempfile::tempdir().unwrap();
        copy_tree(&fixture, d.path());
        let mut files = Vec::new();
        files_under(d.path(), &mut files);
        files.sort();
        let f = &files[file % files.len()];
        if remove {
            std::fs::remove_file(f).unwrap();
        } else {
            std::fs::write(f, SYSFS_JUNK[j]).unwrap();
        }
        let out = std::process::Command::new(common::vnuma_bin())
            .args(["verify", "--expect"])
            .arg(root().join("examples/grace-hopper.toml"))
            .args(["--order", "qemu", "--sysfs"])
            .arg(d.path())
            .output()
            .unwrap();
        let code = out.status.code();
        prop_assert!(code == Some(0) || code == Some(1), "{:?}: {}", code, String::from_utf8_lossy(&out.stderr));
        prop_assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
