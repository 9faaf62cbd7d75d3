//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` next to the repository (QEMU golden blobs and specs).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
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
