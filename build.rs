//! Build script of the `vnuma` package: on GNU/Linux, links the `vnuma`
//! binary as a static PIE.
//!
//! A `vnuma` run is often short (a table or a command line in, a few hundred
//! kilobytes out), and most of such a run is process start-up: mapping,
//! relocating and binding `libc.so.6` and `libgcc_s.so.1` (whose set-up runs
//! `cpuid` dozens of times, each a trap to the hypervisor in a VM) and their
//! page faults. Linked statically the same binary starts in ~0.4 ms less CPU
//! time (docs/PERFORMANCE.md, "Fifth pass"). A static PIE keeps address-space
//! randomisation.
//!
//! Cargo cannot give `-C target-feature=+crt-static` to one binary: without
//! `--target` it would reach the proc-macro crates too (which then fail to
//! build), and `--target` moves the output out of `target/release/`. So the
//! binary's link gets `-static-pie` and a search directory whose `libc.so`,
//! `libm.so`, … are linker scripts naming the static archives
//! (`INPUT(libc.a)`), and whose `libgcc_s.so` names GCC's static unwinder
//! (`INPUT(-lgcc_eh)`, what `-static-libgcc` links): rustc asks for those
//! libraries by name, as for a dynamic link; GNU ld and lld both read such
//! scripts, and every `-L` is searched before the compiler's own directories.
//! Unwinding, panics and backtraces are unchanged. Only the `vnuma` binary is
//! linked this way: not the tests, not crates that use the library.
//!
//! The usual dynamic link is kept when not building natively for GNU/Linux,
//! when the C compiler does not find the static archives (`libc.a` is in
//! `libc6-dev`, `libgcc_eh.a` and `rcrt1.o` come with GCC), or when
//! `VNUMA_DYNAMIC_LINK` is set. Without `libc.a` but with `libgcc_eh.a`, only
//! the unwinder is linked statically.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries rustc names for a dynamic GNU/Linux link, besides `gcc_s`.
const LIBC_PARTS: [&str; 6] = ["c", "m", "pthread", "dl", "rt", "util"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VNUMA_DYNAMIC_LINK");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("TARGET") != var("HOST")
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || std::env::var_os("VNUMA_DYNAMIC_LINK").is_some()
    {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    if !found(&cc, "libgcc_eh.a") {
        return;
    }
    let static_libc = found(&cc, "libc.a") && found(&cc, "rcrt1.o");
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let dir = out.join("static-link");
    if write_scripts(&dir, static_libc).is_err() {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    if static_libc {
        println!("cargo:rustc-link-arg-bins=-static-pie");
    }
}

/// Whether the C compiler finds `file` in its library directories (GCC and
/// Clang print the bare name when they do not).
fn found(cc: &str, file: &str) -> bool {
    Command::new(cc)
        .arg(format!("-print-file-name={file}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|p| p.is_absolute() && p.is_file())
}

fn write_scripts(dir: &Path, static_libc: bool) -> std::io::Result<()> {
    // A previous build's scripts must not outlive a change of mind.
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("libgcc_s.so"), "INPUT(-lgcc_eh)\n")?;
    if static_libc {
        for l in LIBC_PARTS {
            std::fs::write(dir.join(format!("lib{l}.so")), format!("INPUT(lib{l}.a)\n"))?;
        }
    }
    Ok(())
}
