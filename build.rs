//! Build script of the `vnuma` package: links GCC's unwinder into the `vnuma`
//! binary statically on GNU/Linux.
//!
//! Rust's standard library asks for `-lgcc_s` (the unwinder, `_Unwind_*`).
//! Loading `libgcc_s.so.1` at every start (a second shared library to map,
//! relocate and bind, whose constructor runs `cpuid` a dozen times) costs
//! ~0.1 ms of CPU per run, a large part of a short `vnuma inspect` (see
//! docs/PERFORMANCE.md, "Fifth pass"). GCC's own answer is `-static-libgcc`,
//! which does not reach an explicit `-lgcc_s`; so the binaries' link gets a
//! search directory whose `libgcc_s.so` is a linker script naming the static
//! archive, `INPUT(-lgcc_eh)` (GNU ld and lld both accept it; every `-L`
//! comes before the compiler's own library directories). Unwinding, panics and
//! backtraces work the same (the archive is the unwinder `-static-libgcc`
//! links); only the `vnuma` binary is affected, not tests or dependents.
//!
//! Skipped (the usual dynamic link) when not building for GNU/Linux on the
//! build host, when the C compiler does not find `libgcc_eh.a`, or when
//! `VNUMA_DYNAMIC_LIBGCC` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VNUMA_DYNAMIC_LIBGCC");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    if !native
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || std::env::var_os("VNUMA_DYNAMIC_LIBGCC").is_some()
    {
        return;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let found = Command::new(&cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    // GCC prints the bare name when it does not find the file.
    if !found.is_some_and(|p| p.is_absolute() && p.is_file()) {
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let dir = out.join("static-libgcc");
    if write_script(&dir).is_ok() {
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    }
}

fn write_script(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("libgcc_s.so"), "INPUT(-lgcc_eh)\n")
}
