//! Differential suite against the live QEMU 10 (issue: `vnuma qemu`).
//!
//! * `valid_configs_match_live_qemu`: random valid configurations (pc, q35, virt with
//!   GICv2 or `gic-version=3` up to 16 CPUs; `-smp` with dies and modules on x86 and
//!   clusters on virt; 1–16 nodes, memoryless nodes, CPU mapping by `cpus=`, default,
//!   or `-numa cpu` at socket/die/module/cluster/core/thread granularity, sometimes
//!   partial; x86 CPU models of either vendor with `phys-bits=` and maxmem near 1 TiB
//!   (the AMD relocation); 2.5–4.5 GiB of RAM around the PCI hole with
//!   `max-ram-below-4g=`, a first node ending inside 640K–1M; 0–16 GI objects with
//!   varied ids, several per device and per node, devices on the root bus, in
//!   multifunction slots, behind root ports (with `bus-reserve=`), nested bridges
//!   (root port → pcie-pci-bridge → pci-bridge) and `pxb-pcie` root ports;
//!   `host-nodes=` lists, SLIT full / one-directional / asymmetric, HMAT with CPU and
//!   GI initiators and caches, hotplug memory, NVDIMMs mixed with named and anonymous
//!   pc-dimms between the other devices, generic ports on pxb-cxl): vnuma's
//!   SRAT/SLIT/HMAT must equal what `qemu-dump` reads out of the live QEMU, byte for
//!   byte, and vnuma's warnings must be QEMU's (TCG CPU-feature warnings aside).
//! * `invalid_configs_rejected_like_qemu`: one mutation of a valid configuration each:
//!   vnuma rejects exactly when QEMU rejects, with the same warnings and message.
//!
//! The base seed is printed; every failure prints its own seed and the one command that
//! reproduces it: `VNUMA_DIFF_SEED=<seed> VNUMA_DIFF_CASES=1 cargo test --release --test differential`.
//! Case counts: `VNUMA_DIFF_CASES` (valid, default 200), `VNUMA_DIFF_INVALID` (default 60).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "differential/cases.rs"]
mod cases;
mod common;

use std::sync::Mutex;
use vnuma::acpi::{Srat, SratEntry};
use vnuma::front::qemu::report::QemuReportError;
use vnuma::live::dump::{DumpError, DumpRequest, dump};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn base_seed() -> u64 {
    env_u64("VNUMA_DIFF_SEED").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        t % 1_000_000_007
    })
}

/// Tables, plus the warnings printed on the way.
type Side = (Vec<(String, Vec<u8>)>, Vec<String>);

/// What vnuma says for a command line: its tables and warnings, or its rendered
/// warnings and error.
fn vnuma_side(args: &[String]) -> Result<Side, String> {
    let prog = program_for(args);
    let (warnings, r) = vnuma::front::qemu::report::qemu_report(args, None);
    let warnings: Vec<String> = warnings.iter().map(|w| w.render(prog)).collect();
    match r {
        Ok(r) => Ok((r.tables.files(), warnings)),
        Err(QemuReportError::Qemu(e)) => {
            let mut lines = warnings;
            lines.push(e.render(prog));
            Err(lines.join("\n"))
        }
        Err(QemuReportError::Layout(e)) => Err(format!("vnuma layout error: {e}")),
    }
}

/// QEMU's stderr lines that vnuma models: everything but the CPU model's
/// feature warnings under TCG (they depend on the accelerator, not on NUMA).
fn modelled_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            !l.contains("TCG doesn't support requested feature")
                && !l.contains("doesn't support hyperthreading")
                && !l.contains("try enabling topoext")
                && !l.trim().is_empty()
        })
        .map(str::to_string)
        .collect()
}

fn program_for(args: &[String]) -> &'static str {
    let virt = args
        .windows(2)
        .any(|w| (w[0] == "-machine" || w[0] == "-M") && w[1].starts_with("virt"));
    if virt {
        "qemu-system-aarch64"
    } else {
        "qemu-system-x86_64"
    }
}

/// What the live QEMU says: its SRAT/SLIT/HMAT and warnings, or its stderr
/// (without the TCG CPU-feature warnings).
fn qemu_side(args: &[String]) -> Result<Side, String> {
    match dump(&DumpRequest::new(args.iter().cloned())) {
        Ok(d) => Ok((
            d.numa_tables()
                .into_iter()
                .map(|(s, b)| (format!("{s}.dat"), b.to_vec()))
                .collect(),
            modelled_lines(&d.stderr),
        )),
        Err(DumpError::Rejected { stderr, .. }) => Err(modelled_lines(&stderr).join("\n")),
        Err(e) => panic!(
            "qemu-dump failed (not a rejection): {e}\n  QEMU args: {}",
            args.join(" ")
        ),
    }
}

/// GI and GP structures sorted within their runs, for cases where QEMU got one object
/// per node (host-nodes expansion): its set of object ids differs from vnuma's by
/// construction, and so does the GLib hash order of both runs.
fn normalize_affinities(srat: &[u8]) -> Vec<SratEntry> {
    let mut s = Srat::decode(srat).expect("decodes").entries;
    for want in [5u8, 6] {
        if let Some(start) = s.iter().position(|e| e.type_id() == want) {
            let end = start
                + s[start..]
                    .iter()
                    .take_while(|e| e.type_id() == want)
                    .count();
            s[start..end].sort_by_key(|e| format!("{e:?}"));
        }
    }
    s
}

fn first_diff(a: &[u8], b: &[u8]) -> String {
    let i = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    format!(
        "lengths {} vs {}, first difference at byte {i} (0x{i:x})",
        a.len(),
        b.len()
    )
}

fn compare(
    case: &cases::Case,
    v: &[(String, Vec<u8>)],
    q: &[(String, Vec<u8>)],
) -> Result<(), String> {
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if names(v) != names(q) {
        return Err(format!(
            "tables differ: vnuma {:?}, QEMU {:?}",
            names(v),
            names(q)
        ));
    }
    for ((name, vb), (_, qb)) in v.iter().zip(q) {
        if vb == qb {
            continue;
        }
        if case.gi_as_multiset
            && name == "SRAT.dat"
            && normalize_affinities(vb) == normalize_affinities(qb)
        {
            continue;
        }
        return Err(format!("{name}: {}", first_diff(vb, qb)));
    }
    Ok(())
}

fn run_parallel<F: Fn(u64) -> Option<String> + Sync>(seeds: Vec<u64>, f: F) -> Vec<String> {
    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(seeds.into_iter());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let seed = match next.lock().unwrap().next() {
                        Some(x) => x,
                        None => break,
                    };
                    if let Some(msg) = f(seed) {
                        failures.lock().unwrap().push(msg);
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// Keeps both table sets and the arguments of a failing case for inspection
/// (`vnuma inspect DIR/vnuma DIR/qemu`).
fn keep_failure(
    seed: u64,
    case: &cases::Case,
    v: &[(String, Vec<u8>)],
    q: &[(String, Vec<u8>)],
) -> String {
    let dir =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("differential-{seed}"));
    for (side, tables) in [("vnuma", v), ("qemu", q)] {
        let d = dir.join(side);
        let _ = std::fs::create_dir_all(&d);
        for (name, bytes) in tables {
            let _ = std::fs::write(d.join(name), bytes);
        }
    }
    let _ = std::fs::write(dir.join("qemu-args.txt"), case.qemu_args.join("\n"));
    let _ = std::fs::write(dir.join("vnuma-args.txt"), case.vnuma_args.join("\n"));
    dir.display().to_string()
}

fn repro(seed: u64, test: &str) -> String {
    format!(
        "VNUMA_DIFF_SEED={seed} VNUMA_DIFF_CASES=1 VNUMA_DIFF_INVALID=1 cargo test --release --test differential {test}"
    )
}

#[test]
fn valid_configs_match_live_qemu() {
    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let base = base_seed();
    let n = env_u64("VNUMA_DIFF_CASES").unwrap_or(200);
    eprintln!("differential (valid): base seed {base}, {n} cases");
    let accepted = Mutex::new(0u64);
    let seeds: Vec<u64> = (0..n).map(|i| base.wrapping_add(i)).collect();
    let failures = run_parallel(seeds, |seed| {
        let case = cases::valid(&mut cases::Rng::new(seed));
        let q = qemu_side(&case.qemu_args);
        let v = vnuma_side(&case.vnuma_args);
        let fail = |why: String| {
            Some(format!(
                "seed {seed} ({}; {:?}): {why}\n  QEMU args: {}\n  reproduce: {}",
                case.machine,
                case.notes,
                case.qemu_command(),
                repro(seed, "valid")
            ))
        };
        match (v, q) {
            (Ok((v, vw)), Ok((q, qw))) => {
                *accepted.lock().unwrap() += 1;
                if let Err(why) = compare(&case, &v, &q) {
                    let dir = keep_failure(seed, &case, &v, &q);
                    fail(format!("{why} (tables kept in {dir})"))
                } else if vw != qw {
                    fail(format!(
                        "different warnings:\n    QEMU:  {qw:?}\n    vnuma: {vw:?}"
                    ))
                } else {
                    None
                }
            }
            (Err(e), Ok(_)) => fail(format!("vnuma rejected what QEMU accepts: {e}")),
            (Ok(_), Err(e)) => fail(format!(
                "generator made a config QEMU rejects (vnuma accepted it): {e}"
            )),
            (Err(v), Err(q)) => fail(format!(
                "generator made an invalid config: QEMU: {q}; vnuma: {v}"
            )),
        }
    });
    let accepted = accepted.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        accepted, n,
        "every generated configuration must be compared"
    );
    eprintln!("differential (valid): {accepted} configurations byte-identical");
}

#[test]
fn invalid_configs_rejected_like_qemu() {
    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let base = base_seed().wrapping_add(1 << 32);
    let n = env_u64("VNUMA_DIFF_INVALID").unwrap_or(60);
    eprintln!("differential (invalid): base seed {base}, {n} cases");
    let rejected = Mutex::new(0u64);
    let seeds: Vec<u64> = (0..n).map(|i| base.wrapping_add(i)).collect();
    let failures = run_parallel(seeds, |seed| {
        let (case, what) = cases::invalid(&mut cases::Rng::new(seed));
        let q = qemu_side(&case.qemu_args);
        let v = vnuma_side(&case.vnuma_args);
        let fail = |why: String| {
            Some(format!(
                "seed {seed} ({}; mutation: {what}): {why}\n  QEMU args: {}\n  reproduce: {}",
                case.machine,
                case.qemu_command(),
                repro(seed.wrapping_sub(1 << 32), "invalid")
            ))
        };
        match (v, q) {
            (Err(v), Err(q)) => {
                *rejected.lock().unwrap() += 1;
                // Warnings first, then the error: all of it must agree.
                if q == v {
                    None
                } else {
                    fail(format!(
                        "different messages:\n    QEMU:  {q}\n    vnuma: {v}"
                    ))
                }
            }
            (Ok((v, vw)), Ok((q, qw))) => match compare(&case, &v, &q) {
                Err(why) => fail(why),
                Ok(()) if vw != qw => fail(format!(
                    "different warnings:\n    QEMU:  {qw:?}\n    vnuma: {vw:?}"
                )),
                Ok(()) => None,
            },
            (Err(v), Ok(_)) => fail(format!("vnuma rejects, QEMU accepts: {v}")),
            (Ok(_), Err(q)) => fail(format!("QEMU rejects, vnuma accepts: {q}")),
        }
    });
    let rejected = rejected.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {n} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        rejected * 2 >= n,
        "too few mutations were invalid ({rejected} of {n})"
    );
    eprintln!(
        "differential (invalid): {rejected} rejections agree, {} accepted by both",
        n - rejected
    );
}
