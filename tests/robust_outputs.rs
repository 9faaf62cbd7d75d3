//! Output robustness (docs/ROBUSTNESS.md, "Outputs"): sets published all or
//! nothing under SIGKILL and concurrent writers, no panic on a closed or full
//! standard output, `-o` refusing what it must not replace, and `build`
//! refusing values that would be written wrong.
//!
//! Expected table sets are QEMU's own blobs (tests/data/qemu-golden), never
//! vnuma's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{golden_dir, root, vnuma, vnuma_bin};

const X86_PRE: &str = "-machine pc -accel tcg -net none";
/// QEMU golden case "cphp" (SRAT + SLIT).
const CPHP: &str = "-smp 2,cores=3,sockets=2,maxcpus=6 -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
/// QEMU golden case "acpihmat" (SRAT + HMAT).
const ACPIHMAT: &str = "-machine hmat=on -smp 2,sockets=2 -m 128M,slots=2,maxmem=1G -object memory-backend-ram,size=64M,id=m0 -object memory-backend-ram,size=64M,id=m1 -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1,initiator=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=65534M -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=65534 -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=32767M -numa hmat-cache,node-id=0,size=10K,level=1,associativity=direct,policy=write-back,line=8 -numa hmat-cache,node-id=1,size=10K,level=1,associativity=direct,policy=write-back,line=8";
const X86_POST: &str =
    "-drive id=hd0,if=none,file=tests/acpi-test-disk.raw,format=raw -device ide-hd,drive=hd0";

type Set = BTreeMap<String, Vec<u8>>;

fn golden_set(files: &[(&str, &str)]) -> Set {
    files
        .iter()
        .map(|(n, g)| {
            (
                n.to_string(),
                std::fs::read(golden_dir().join("x86/pc").join(g)).unwrap(),
            )
        })
        .collect()
}

fn set_a() -> Set {
    golden_set(&[("SRAT.dat", "SRAT.cphp"), ("SLIT.dat", "SLIT.cphp")])
}

fn set_b() -> Set {
    golden_set(&[("SRAT.dat", "SRAT.acpihmat"), ("HMAT.dat", "HMAT.acpihmat")])
}

/// `vnuma qemu --arch x86_64 -o DIR -- …` for case A (`false`) or B (`true`).
fn qemu_cmd(dir: &Path, b: bool) -> Command {
    let mut c = Command::new(vnuma_bin());
    c.args(["qemu", "--arch", "x86_64", "-o"])
        .arg(dir)
        .arg("--")
        .args(X86_PRE.split_whitespace())
        .args(if b { ACPIHMAT } else { CPHP }.split_whitespace())
        .args(X86_POST.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn read_set(dir: &Path) -> Set {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Which complete set `dir` holds: 'A', 'B', or a panic naming what it holds.
fn which(dir: &Path, a: &Set, b: &Set) -> char {
    let got = read_set(dir);
    if &got == a {
        'A'
    } else if &got == b {
        'B'
    } else {
        panic!(
            "{} holds neither complete set: {:?}",
            dir.display(),
            got.keys().collect::<Vec<_>>()
        )
    }
}

/// Entries of `parent` that are temporaries (`.NAME.vnuma-tmp-…`).
fn temporaries(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".vnuma-tmp-"))
        .collect()
}

/// A small xorshift generator (no extra dependency), seeded from the clock.
struct Rng(u64);
impl Rng {
    fn new() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(t | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn sigkill_at_random_points_leaves_one_complete_set() {
    let (a, b) = (set_a(), set_b());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    // How long one run takes (the kill window).
    let t = Instant::now();
    assert!(qemu_cmd(&dir, false).status().unwrap().success());
    let run = t.elapsed().as_micros() as u64;
    assert_eq!(which(&dir, &a, &b), 'A');
    let mut rng = Rng::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let n = 150;
    for i in 0..n {
        let want_b = i % 2 == 1;
        let before = which(&dir, &a, &b);
        let mut child = qemu_cmd(&dir, want_b).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(run + run / 5)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let after = which(&dir, &a, &b);
        let key = format!(
            "{}, {before}->{after}",
            if status.success() {
                "finished"
            } else {
                "killed"
            }
        );
        *outcomes.entry(key).or_default() += 1;
        if status.success() {
            assert_eq!(after, if want_b { 'B' } else { 'A' });
        }
    }
    eprintln!("SIGKILL outcomes over {n} runs (run ~{run} us): {outcomes:?}");
    // A finished run cleans what killed runs left.
    assert!(qemu_cmd(&dir, false).status().unwrap().success());
    assert_eq!(which(&dir, &a, &b), 'A');
    assert_eq!(temporaries(parent.path()), Vec::<String>::new());
}

#[test]
fn two_concurrent_writers_leave_one_complete_set() {
    let (a, b) = (set_a(), set_b());
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    let mut outcomes: BTreeMap<char, usize> = BTreeMap::new();
    let n = 200;
    for i in 0..n {
        // Every other round starts from no directory at all.
        if i % 2 == 0 {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let mut x = qemu_cmd(&dir, false).spawn().unwrap();
        let mut y = qemu_cmd(&dir, true).spawn().unwrap();
        assert!(x.wait().unwrap().success());
        assert!(y.wait().unwrap().success());
        *outcomes.entry(which(&dir, &a, &b)).or_default() += 1;
        assert_eq!(temporaries(parent.path()), Vec::<String>::new());
    }
    eprintln!("race outcomes over {n} rounds: {outcomes:?}");
}

// --- closed pipe and full disk on stdout, for every subcommand ---

fn golden(rel: &str) -> PathBuf {
    golden_dir().join(rel)
}

/// Every subcommand with an output in `tmp` (`OUT` is replaced by a fresh path).
fn commands(tmp: &Path) -> Vec<(String, Vec<String>, Option<PathBuf>)> {
    let json = tmp.join("in.json");
    let o = vnuma(&[
        "inspect",
        "--json",
        golden("x86/pc/SRAT.cphp").to_str().unwrap(),
    ]);
    std::fs::write(&json, &o.stdout).unwrap();
    let ex = |n: &str| root().join("examples").join(n).display().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut v = vec![
        (
            "inspect".into(),
            s(&["inspect", golden("x86/pc/SRAT.cphp").to_str().unwrap()]),
            None,
        ),
        (
            "inspect --json".into(),
            s(&[
                "inspect",
                "--json",
                golden("x86/pc/HMAT.acpihmat").to_str().unwrap(),
            ]),
            None,
        ),
        (
            "encode".into(),
            s(&["encode", json.to_str().unwrap(), "-o"]),
            Some(tmp.join("enc")),
        ),
        (
            "build".into(),
            s(&["build", &ex("pc-two-nodes.toml"), "-o"]),
            Some(tmp.join("build")),
        ),
        (
            "initrd".into(),
            s(&["initrd", &ex("pc-two-nodes.toml"), "-o"]),
            Some(tmp.join("t.cpio")),
        ),
        (
            "initrd -o -".into(),
            s(&["initrd", &ex("pc-two-nodes.toml"), "-o", "-"]),
            None,
        ),
        (
            "verify".into(),
            s(&[
                "verify",
                "--expect",
                &ex("grace-hopper.toml"),
                "--order",
                "qemu",
                "--sysfs",
                root()
                    .join("tests/fixtures/verify/gh-qemu-native")
                    .to_str()
                    .unwrap(),
            ]),
            None,
        ),
        ("help".into(), s(&["--help"]), None),
        (
            "show".into(),
            s(&["show", &ex("gb200-tray.toml"), "--svg"]),
            Some(tmp.join("tray.svg")),
        ),
        (
            "show --json".into(),
            s(&["show", "--json", &ex("grace-hopper.toml")]),
            None,
        ),
        ("completions".into(), s(&["completions", "bash"]), None),
        ("man".into(), s(&["man"]), None),
    ];
    let mut q = s(&["qemu", "--arch", "x86_64", "-o"]);
    q.push("OUT".into());
    q.push("--".into());
    q.extend(X86_PRE.split_whitespace().map(String::from));
    q.extend(CPHP.split_whitespace().map(String::from));
    v.push(("qemu".into(), q, Some(tmp.join("qemu"))));
    if common::have_tool("qemu-system-x86_64") {
        let mut d = s(&[
            "qemu-dump",
            "-o",
            "OUT",
            "--",
            "-machine",
            "pc",
            "-net",
            "none",
        ]);
        d.extend(CPHP.split_whitespace().map(String::from));
        v.push(("qemu-dump".into(), d, Some(tmp.join("dump"))));
    }
    v
}

fn run_with(args: &[String], out: Option<&Path>, stdout: Stdio, stderr: Stdio) -> Output {
    let mut argv: Vec<String> = args.to_vec();
    if let Some(o) = out {
        match argv.iter().position(|a| a == "OUT") {
            Some(i) => argv[i] = o.display().to_string(),
            None => argv.push(o.display().to_string()),
        }
    }
    Command::new(vnuma_bin())
        .args(&argv)
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .unwrap()
}

fn closed_pipe() -> Stdio {
    let (r, w) = std::io::pipe().unwrap();
    drop(r);
    Stdio::from(w)
}

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

#[test]
fn closed_stdout_is_quiet_status_1_and_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args, out) in commands(tmp.path()) {
        let o = run_with(&args, out.as_deref(), closed_pipe(), Stdio::piped());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        // encode writes nothing to stdout: it succeeds.
        if name != "encode" {
            assert_eq!(o.status.code(), Some(1), "{name}: {err}");
            assert!(!err.contains("error"), "{name}: quiet on EPIPE, got {err}");
            if let Some(p) = &out {
                assert!(!p.exists(), "{name}: {} published", p.display());
            }
        }
    }
}

#[test]
fn full_stdout_is_one_error_status_1_and_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args, out) in commands(tmp.path()) {
        let o = run_with(&args, out.as_deref(), dev_full(), Stdio::piped());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        if name != "encode" {
            assert_eq!(o.status.code(), Some(1), "{name}: {err}");
            assert_eq!(
                err.matches("No space left on device").count(),
                1,
                "{name}: {err}"
            );
            if let Some(p) = &out {
                assert!(!p.exists(), "{name}: {} published", p.display());
            }
        }
    }
}

#[test]
fn full_or_closed_stderr_does_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args, out) in commands(tmp.path()) {
        for (k, stderr) in [("full", dev_full()), ("closed", closed_pipe())] {
            let o = run_with(&args, out.as_deref(), Stdio::null(), stderr);
            assert_ne!(o.status.code(), Some(101), "{name}, stderr {k}");
        }
        // An error path too (a missing input), with stderr full.
        let o = Command::new(vnuma_bin())
            .args(["inspect", "/nonexistent/SRAT"])
            .stderr(dev_full())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
    }
}

// --- -o refuses what it must not replace ---

fn initrd_to(out: &Path) -> Output {
    vnuma(&[
        "initrd",
        root().join("examples/pc-two-nodes.toml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

#[test]
fn output_refuses_fifo_socket_and_links_to_devices() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let sock = d.path().join("sock");
    let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let link = d.path().join("null-link");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    for (p, what) in [
        (&fifo, "FIFO"),
        (&sock, "socket"),
        (&link, "character device"),
    ] {
        let o = initrd_to(p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains(what) && err.contains(&*p.to_string_lossy()),
            "{err}"
        );
    }
    let m = |p: &Path| std::fs::symlink_metadata(p).unwrap().file_type();
    assert!(m(&fifo).is_fifo());
    assert!(m(&sock).is_socket());
    assert!(m(&link).is_symlink());
    // build/qemu/encode -o onto a FIFO: refused too.
    let o = vnuma(&[
        "build",
        root().join("examples/pc-two-nodes.toml").to_str().unwrap(),
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(m(&fifo).is_fifo());
}

#[test]
fn dash_is_stdout_for_initrd_and_refused_for_directories() {
    let d = tempfile::tempdir().unwrap();
    let topo = root().join("examples/pc-two-nodes.toml");
    let o = Command::new(vnuma_bin())
        .current_dir(d.path())
        .args(["initrd", topo.to_str().unwrap(), "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    // A newc cpio (magic 070701) ending with the trailer, on stdout.
    assert!(o.stdout.starts_with(b"070701"));
    assert!(o.stdout.windows(10).any(|w| w == b"TRAILER!!!"));
    let o = Command::new(vnuma_bin())
        .current_dir(d.path())
        .args(["build", topo.to_str().unwrap(), "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        0,
        "no file `-`"
    );
}

#[test]
fn existing_file_as_output_directory_is_named() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("plain");
    std::fs::write(&f, b"mine").unwrap();
    let o = vnuma(&[
        "build",
        root().join("examples/pc-two-nodes.toml").to_str().unwrap(),
        "-o",
        f.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains(&*f.to_string_lossy()) && err.contains("not a directory"),
        "{err}"
    );
    assert_eq!(std::fs::read(&f).unwrap(), b"mine");
}

#[test]
fn encode_leaves_no_stale_table_of_an_earlier_set() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("out");
    // An earlier set with SRAT, SLIT and HMAT (QEMU's acpihmat + cphp SLIT).
    std::fs::create_dir(&dir).unwrap();
    for (n, g) in [
        ("SRAT.dat", "SRAT.acpihmat"),
        ("SLIT.dat", "SLIT.cphp"),
        ("HMAT.dat", "HMAT.acpihmat"),
    ] {
        std::fs::copy(golden(&format!("x86/pc/{g}")), dir.join(n)).unwrap();
    }
    let json = d.path().join("srat.json");
    let o = vnuma(&[
        "inspect",
        "--json",
        golden("x86/pc/SRAT.numamem").to_str().unwrap(),
    ]);
    std::fs::write(&json, &o.stdout).unwrap();
    let e = vnuma(&[
        "encode",
        json.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        e.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    assert_eq!(read_set(&dir), golden_set(&[("SRAT.dat", "SRAT.numamem")]));
    // initrd --tables then packs only that SRAT.
    let cpio = d.path().join("t.cpio");
    let o = vnuma(&[
        "initrd",
        "--tables",
        dir.to_str().unwrap(),
        "-o",
        cpio.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let a = std::fs::read(&cpio).unwrap();
    assert!(a.windows(8).any(|w| w == b"SRAT.aml"));
    assert!(!a.windows(8).any(|w| w == b"SLIT.aml" || w == b"HMAT.aml"));
}

#[test]
fn leftovers_of_killed_runs_are_removed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("out");
    // What a run killed before publishing leaves: a temporary set directory,
    // and a temporary archive (the names an older vnuma used, too).
    let left = d.path().join(".out.vnuma-tmp-4242");
    std::fs::create_dir(&left).unwrap();
    std::fs::write(left.join("SRAT.dat"), b"half").unwrap();
    std::fs::write(d.path().join(".t.cpio.vnuma-tmp-4243"), b"half").unwrap();
    let mut c = qemu_cmd(&dir, false);
    assert!(c.status().unwrap().success());
    assert_eq!(which(&dir, &set_a(), &set_b()), 'A');
    assert!(initrd_to(&d.path().join("t.cpio")).status.success());
    assert_eq!(temporaries(d.path()), Vec::<String>::new());
}

#[test]
fn foreign_files_stay_and_stale_tables_go() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("out");
    assert!(qemu_cmd(&dir, true).status().unwrap().success());
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    assert!(qemu_cmd(&dir, false).status().unwrap().success());
    let mut want = set_a();
    want.insert("notes.txt".into(), b"mine".to_vec());
    assert_eq!(read_set(&dir), want);
    // A subdirectory vnuma did not write: refused, nothing changed.
    std::fs::create_dir(dir.join("sub")).unwrap();
    let o = qemu_cmd(&dir, true)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sub"));
    assert_eq!(read_set(&dir.join("sub")), Set::new());
}

// --- build refuses what it would write wrong ---

fn build_str(toml: &str) -> (Output, PathBuf, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let t = d.path().join("t.toml");
    std::fs::write(&t, toml).unwrap();
    let out = d.path().join("out");
    let o = vnuma(&["build", t.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    (o, out, d)
}

const TWO_NODES: &str = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 2\nsockets = 2\n\
[[node]]\nmemory = \"256M\"\ncpus = 0\n[[node]]\nmemory = \"256M\"\ncpus = 1\n";

fn refused(toml: &str, needle: &str) {
    let (o, out, _d) = build_str(toml);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "want {needle:?} in: {err}");
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn hmat_latency_that_wraps_its_16_bit_entry_is_refused() {
    // ACPI 6.5 HMAT: entries are 16-bit multiples of the Entry Base Unit. With
    // 10 and 196613 ns the unit is 1 ns and 196613 does not fit (QEMU writes 5).
    refused(
        &format!(
            "{TWO_NODES}[[hmat.latency]]\ninitiator = 0\ntarget = 0\nvalue = 196613\n\
             [[hmat.latency]]\ninitiator = 1\ntarget = 1\nvalue = 10\n"
        ),
        "196613",
    );
}

#[test]
fn hmat_bandwidth_whose_unit_wraps_is_refused() {
    // 15 EiB/s: QEMU's base 2^60 B/s is a unit of 2^40 MB/s, not a 32-bit value.
    refused(
        &format!("{TWO_NODES}[[hmat.bandwidth]]\ninitiator = 0\ntarget = 0\nvalue = \"15E\"\n"),
        "32-bit",
    );
}

#[test]
fn topology_qemu_refuses_is_refused_before_writing() {
    // QEMU 10 (q35, default phys-bits 40): "phys-bits too low (40)" for 1 TiB of RAM.
    refused(
        "[machine]\ntype = \"q35\"\n[cpus]\ncount = 2\nsockets = 2\n\
         [[node]]\nmemory = \"512G\"\ncpus = 0\n[[node]]\nmemory = \"512G\"\ncpus = 1\n",
        "phys-bits too low (40)",
    );
}

#[test]
fn newline_in_props_or_bad_id_is_refused() {
    let dev = |id: &str, props: &str| {
        format!(
            "{TWO_NODES}[[node]]\nid = 2\n[[pci]]\nid = \"{id}\"\ndriver = \"pci-testdev\"\n\
             bus = \"pcie.0\"\naddr = \"05.0\"\nprops = \"{props}\"\n\
             [[generic-initiator]]\ndevice = \"{id}\"\nnode = 2\n"
        )
    };
    refused(&dev("acc0", "x=1\\n-device virtio-net"), "props");
    // QEMU: "Parameter 'id' expects an identifier" for ids not starting with a letter.
    refused(&dev("0acc", "x=1"), "not a valid id");
}
