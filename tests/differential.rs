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
//!   (root port → pcie-pci-bridge → pci-bridge), `pxb-pcie` root ports and plain
//!   `pxb`s (pc; the device on the pxb's internal bridge, or behind one more);
//!   `host-nodes=` lists, SLIT full / one-directional / asymmetric, HMAT with CPU and
//!   GI initiators and caches, hotplug memory, NVDIMMs mixed with named and anonymous
//!   pc-dimms between the other devices, generic ports on pxb-cxl): vnuma's
//!   SRAT/SLIT/HMAT must equal what `qemu-dump` reads out of the live QEMU, byte for
//!   byte, and vnuma's warnings must be QEMU's (TCG CPU-feature warnings aside).
//! * `invalid_configs_rejected_like_qemu`: one mutation of a valid configuration each:
//!   vnuma rejects exactly when QEMU rejects, with the same warnings and message.
//!
//!
//! Each case runs in one of four modes, chosen by its seed (`seed % 4`, so every run of
//! four or more consecutive seeds covers all of them): QEMU 10.0.2 (the host's
//! `qemu-system-*`) or QEMU 11.1.3 (the trixie wrappers of `.ci/setup-trixie`,
//! `$VNUMA_TRIXIE_DIR/bin`, default `/var/cache/vnuma-trixie/bin`), each with or without
//! `-nodefaults` (put first on both command lines); vnuma runs with the matching
//! `--qemu-version`. Under `CI` a missing 11.1 wrapper fails the suite; elsewhere the
//! 11.1 modes are skipped with a message. The wrapper runs QEMU as `/usr/bin/qemu-system-…`
//! in a chroot, so that prefix of its stderr lines reads as the bare program name.
//!
//! The base seed is printed; every failure prints its own seed, its mode and the one
//! command that reproduces it: `VNUMA_DIFF_SEED=<seed> VNUMA_DIFF_CASES=1 cargo test --release --test differential`.
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
use vnuma::front::qemu::report::{QemuReportError, qemu_report_versioned};
use vnuma::front::qemu::version::QemuVersion;
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

/// Which QEMU a case runs against, and whether `-nodefaults` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode {
    version: QemuVersion,
    nodefaults: bool,
}

const MODES: [Mode; 4] = [
    Mode {
        version: QemuVersion::V10_0,
        nodefaults: false,
    },
    Mode {
        version: QemuVersion::V11_1,
        nodefaults: false,
    },
    Mode {
        version: QemuVersion::V10_0,
        nodefaults: true,
    },
    Mode {
        version: QemuVersion::V11_1,
        nodefaults: true,
    },
];

impl Mode {
    /// The mode of case `seed` among the `available` ones: `seed % 4` picks one of
    /// [`MODES`] (fewer when some are unavailable).
    fn of_seed(seed: u64, available: &[Mode]) -> Mode {
        let i = (seed % MODES.len() as u64) as usize;
        available[i % available.len()]
    }

    /// The case's arguments in this mode.
    fn args(self, args: &[String]) -> Vec<String> {
        let mut v = Vec::with_capacity(args.len() + 1);
        if self.nodefaults {
            v.push("-nodefaults".to_string());
        }
        v.extend(args.iter().cloned());
        v
    }

    /// The QEMU binary: `None` for the host's 10.0 on PATH.
    fn qemu(self, args: &[String]) -> Option<std::path::PathBuf> {
        match self.version {
            QemuVersion::V10_0 => None,
            QemuVersion::V11_1 => Some(trixie_bin().join(program_for(args))),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "QEMU {}{}",
            self.version.as_str(),
            if self.nodefaults { " -nodefaults" } else { "" }
        )
    }
}

/// Where `.ci/setup-trixie` puts the QEMU 11.1 wrappers.
fn trixie_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("VNUMA_TRIXIE_DIR").unwrap_or_else(|_| "/var/cache/vnuma-trixie".into()),
    )
    .join("bin")
}

/// The modes this run can use: all four, or (outside CI, without the QEMU 11.1
/// wrappers) the QEMU 10 ones, with a message.
fn available_modes() -> Vec<Mode> {
    let missing: Vec<String> = ["qemu-system-x86_64", "qemu-system-aarch64"]
        .iter()
        .map(|p| trixie_bin().join(p))
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return MODES.to_vec();
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "QEMU 11.1 wrapper missing: {} (run `bash .ci/setup-trixie`)",
            missing.join(", ")
        );
    }
    eprintln!(
        "skipping the QEMU 11.1 modes: {} missing (run `bash .ci/setup-trixie`)",
        missing.join(", ")
    );
    MODES
        .into_iter()
        .filter(|m| m.version == QemuVersion::V10_0)
        .collect()
}

/// Tables, plus the warnings printed on the way.
type Side = (Vec<(String, Vec<u8>)>, Vec<String>);

/// What vnuma says for a command line: its tables and warnings, or its rendered
/// warnings and error.
fn vnuma_side(args: &[String], version: QemuVersion) -> Result<Side, String> {
    let prog = program_for(args);
    let (warnings, r) = qemu_report_versioned(args, None, version);
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
/// feature warnings under TCG (they depend on the accelerator, not on NUMA). The
/// 11.1 wrapper's `/usr/bin/qemu-system-…:` prefix reads as `qemu-system-…:`.
fn modelled_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            !l.contains("TCG doesn't support requested feature")
                && !l.contains("doesn't support hyperthreading")
                && !l.contains("try enabling topoext")
                && !l.trim().is_empty()
        })
        .map(|l| l.strip_prefix("/usr/bin/").unwrap_or(l).to_string())
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
/// (without the TCG CPU-feature warnings). The outer `Err` is a failure of the
/// harness, not a verdict (QEMU could not be run or did not answer): a run that
/// timed out is retried once with a longer limit first, since with 4 QEMUs at a
/// time on a loaded 2-core machine a 255-CPU TCG start can take more than the
/// default 20 s (it takes 3 s alone).
fn qemu_side(args: &[String], mode: Mode) -> Result<Result<Side, String>, String> {
    let mut req = DumpRequest::new(args.iter().cloned());
    req.qemu = mode.qemu(args);
    let mut r = dump(&req);
    if matches!(r, Err(DumpError::Timeout { .. })) {
        req.timeout = std::time::Duration::from_secs(120);
        r = dump(&req);
    }
    match r {
        Ok(d) => Ok(Ok((
            d.numa_tables()
                .into_iter()
                .map(|(s, b)| (format!("{s}.dat"), b.to_vec()))
                .collect(),
            modelled_lines(&d.stderr),
        ))),
        Err(DumpError::Rejected { stderr, .. }) => Ok(Err(modelled_lines(&stderr).join("\n"))),
        Err(e) => Err(format!("qemu-dump failed (not a rejection): {e}")),
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
    mode: Mode,
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
    let _ = std::fs::write(
        dir.join("qemu-args.txt"),
        mode.args(&case.qemu_args).join("\n"),
    );
    let _ = std::fs::write(
        dir.join("vnuma-args.txt"),
        mode.args(&case.vnuma_args).join("\n"),
    );
    let _ = std::fs::write(
        dir.join("mode.txt"),
        format!(
            "{mode}\nvnuma qemu --qemu-version {}\n",
            mode.version.as_str()
        ),
    );
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
    let modes = available_modes();
    let n = env_u64("VNUMA_DIFF_CASES").unwrap_or(200);
    eprintln!(
        "differential (valid): base seed {base}, {n} cases over {} modes",
        modes.len()
    );
    let accepted = Mutex::new(0u64);
    let per_mode = Mutex::new(vec![0u64; modes.len()]);
    let seeds: Vec<u64> = (0..n).map(|i| base.wrapping_add(i)).collect();
    let failures = run_parallel(seeds, |seed| {
        let case = cases::valid(&mut cases::Rng::new(seed));
        let mode = Mode::of_seed(seed, &modes);
        let q = qemu_side(&mode.args(&case.qemu_args), mode);
        let v = vnuma_side(&mode.args(&case.vnuma_args), mode.version);
        let fail = |why: String| {
            Some(format!(
                "seed {seed} ({mode}; {}; {:?}): {why}\n  QEMU args: {}\n  reproduce: {}",
                case.machine,
                case.notes,
                mode.args(&case.qemu_args).join(" "),
                repro(seed, "valid")
            ))
        };
        let q = match q {
            Ok(q) => q,
            Err(e) => return fail(e),
        };
        match (v, q) {
            (Ok((v, vw)), Ok((q, qw))) => {
                *accepted.lock().unwrap() += 1;
                if let Some(i) = modes.iter().position(|m| *m == mode) {
                    per_mode.lock().unwrap()[i] += 1;
                }
                if let Err(why) = compare(&case, &v, &q) {
                    let dir = keep_failure(seed, mode, &case, &v, &q);
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
    for (m, c) in modes.iter().zip(per_mode.into_inner().unwrap()) {
        eprintln!("  {m}: {c}");
    }
}

#[test]
fn invalid_configs_rejected_like_qemu() {
    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let base = base_seed().wrapping_add(1 << 32);
    let modes = available_modes();
    let n = env_u64("VNUMA_DIFF_INVALID").unwrap_or(60);
    eprintln!(
        "differential (invalid): base seed {base}, {n} cases over {} modes",
        modes.len()
    );
    let rejected = Mutex::new(0u64);
    let seeds: Vec<u64> = (0..n).map(|i| base.wrapping_add(i)).collect();
    let failures = run_parallel(seeds, |seed| {
        let (case, what) = cases::invalid(&mut cases::Rng::new(seed));
        let mode = Mode::of_seed(seed, &modes);
        let q = qemu_side(&mode.args(&case.qemu_args), mode);
        let v = vnuma_side(&mode.args(&case.vnuma_args), mode.version);
        let fail = |why: String| {
            Some(format!(
                "seed {seed} ({mode}; {}; mutation: {what}): {why}\n  QEMU args: {}\n  reproduce: {}",
                case.machine,
                mode.args(&case.qemu_args).join(" "),
                repro(seed.wrapping_sub(1 << 32), "invalid")
            ))
        };
        let q = match q {
            Ok(q) => q,
            Err(e) => return fail(e),
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
