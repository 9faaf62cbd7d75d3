//! Issue 10's acceptance, end to end through the CLI, for every host fixture
//! with GPUs (tests/fixtures/hosts, iterated; expectations from the fixture
//! README's facts F1–F5 and, for hwloc's tree, the driver's own `numa_status`
//! files): `vnuma plan --json` finds each GPU's nodes; `--emit qemu --stand-in`
//! run by the live QEMU 10.0.2 and 11.1.3 (with and without `-nodefaults`, as
//! planned) gives SRAT Generic Initiators in ascending PXM order at device 0
//! function 0, guest node id = PXM (Linux's numbering, `vnuma::linux`), and the
//! planned SLIT; `--emit topology` through `vnuma build --order canonical`
//! gives the same tables; `--emit qemu-legacy -o DIR` writes them too, and its
//! `-acpitable` line (a comma in DIR) runs on QEMU 10; the libvirt XML
//! validates with libvirt 12.9 and its legacy form, through `domxml-to-native`
//! and the live QEMU 11.1, gives ascending GIs; the Cloud Hypervisor options
//! parse back with Cloud Hypervisor's own parser. With CI=true a missing peer
//! fails instead of skipping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod trixie;

#[path = "peers/cloud_hypervisor/mod.rs"]
mod ch_peer;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use vnuma::acpi::Table;
use vnuma::acpi::srat::{DeviceHandle, PciHandle, Srat, SratEntry};
use vnuma::live::dump::{DumpRequest, dump};
use vnuma::topology::MachineKind;

const QEMU11: &str = "/var/cache/vnuma-trixie/bin/qemu-system-x86_64";
const QEMU11_ARM: &str = "/var/cache/vnuma-trixie/bin/qemu-system-aarch64";

/// One GPU the facts name: BDF, host nodes, how discovery finds them.
type Gpu = (&'static str, &'static [u32], &'static str);

/// Per fixture with GPUs, what discovery must find (tests/fixtures/hosts/README.md).
const FIXTURES: &[(&str, &[Gpu])] = &[
    // F1 + F5: driver loaded, numa_status names node 1; nodes 2–8 empty (MIG).
    (
        "gh200",
        &[("0009:01:00.0", &[1, 2, 3, 4, 5, 6, 7, 8], "numa_status")],
    ),
    // F1 + F4 + F5 (vfio): the SRAT's GIs in PXMs 8–15 → nodes 1–8.
    (
        "gh200-srat",
        &[("0009:01:00.0", &[1, 2, 3, 4, 5, 6, 7, 8], "srat")],
    ),
    // F1 (newer firmware) + F5 (vfio): only the distance pattern tells.
    (
        "gh200-distances",
        &[("0009:01:00.0", &[1, 2, 3, 4, 5, 6, 7, 8], "distances")],
    ),
    // F2 + F5: HBM on 2, 10, 18, 26, each with its 7 empty nodes.
    (
        "gb200",
        &[
            ("0008:01:00.0", &[2, 3, 4, 5, 6, 7, 8, 9], "numa_status"),
            (
                "0009:01:00.0",
                &[10, 11, 12, 13, 14, 15, 16, 17],
                "numa_status",
            ),
            (
                "0018:01:00.0",
                &[18, 19, 20, 21, 22, 23, 24, 25],
                "numa_status",
            ),
            (
                "0019:01:00.0",
                &[26, 27, 28, 29, 30, 31, 32, 33],
                "numa_status",
            ),
        ],
    ),
    // F3 + F4: GPU g on nodes 4+8g … 11+8g, from the SRAT.
    (
        "4xgh200",
        &[
            ("0009:01:00.0", &[4, 5, 6, 7, 8, 9, 10, 11], "srat"),
            ("0019:01:00.0", &[12, 13, 14, 15, 16, 17, 18, 19], "srat"),
            ("0029:01:00.0", &[20, 21, 22, 23, 24, 25, 26, 27], "srat"),
            ("0039:01:00.0", &[28, 29, 30, 31, 32, 33, 34, 35], "srat"),
        ],
    ),
    // hwloc's P9 + V100 tree: the driver's numa_status files name 255 … 250.
    (
        "hwloc-nvidiagpunumanodes",
        &[
            ("0004:05:00.0", &[255], "numa_status"),
            ("0004:06:00.0", &[254], "numa_status"),
            ("0006:00:00.0", &[253], "numa_status"),
            ("0007:00:00.0", &[252], "numa_status"),
            ("0035:04:00.0", &[251], "numa_status"),
            ("0035:05:00.0", &[250], "numa_status"),
        ],
    ),
];

fn hosts_dir() -> PathBuf {
    common::root().join("tests/fixtures/hosts")
}

/// Every fixture directory (a root with `sys/`).
fn fixture_dirs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(hosts_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("sys").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn expected(name: &str) -> Option<&'static [Gpu]> {
    FIXTURES.iter().find(|(n, _)| *n == name).map(|(_, g)| *g)
}

/// The fixtures with GPUs (from the directory), each with its expectations.
fn gpu_fixtures() -> Vec<(String, &'static [Gpu])> {
    let dirs = fixture_dirs();
    for (n, _) in FIXTURES {
        assert!(dirs.iter().any(|d| d == n), "fixture {n} missing");
    }
    dirs.into_iter()
        .filter_map(|d| {
            let json = host_json(&d);
            let has = !json["host"]["gpus"].as_array().unwrap().is_empty();
            match expected(&d) {
                Some(g) => {
                    assert!(has, "{d}: no GPU found");
                    Some((d, g))
                }
                None => {
                    assert!(!has, "{d} has GPUs: add it to FIXTURES\n{json}");
                    None
                }
            }
        })
        .collect()
}

fn vnuma_ok(args: &[&str]) -> (String, String) {
    let o = common::vnuma(args);
    let out = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(o.status.success(), "vnuma {args:?}: {err}\n{out}");
    (out, err)
}

fn fixture(name: &str) -> String {
    hosts_dir().join(name).to_string_lossy().into_owned()
}

fn host_json(name: &str) -> Value {
    let (out, _) = vnuma_ok(&["plan", "--sysfs", &fixture(name), "--json"]);
    serde_json::from_str(&out).unwrap()
}

/// `vnuma plan --sysfs F --gpu … --vcpus 4 --memory 2G EXTRA…`.
fn plan(name: &str, gpus: &[&str], extra: &[&str]) -> (String, String) {
    let f = fixture(name);
    let mut a: Vec<&str> = vec!["plan", "--sysfs", &f];
    for g in gpus {
        a.extend(["--gpu", g]);
    }
    a.extend(["--vcpus", "4", "--memory", "2G"]);
    a.extend(extra);
    vnuma_ok(&a)
}

fn plan_json(name: &str, gpus: &[&str], extra: &[&str]) -> Value {
    let mut e = extra.to_vec();
    e.push("--json");
    serde_json::from_str(&plan(name, gpus, &e).0).unwrap()
}

/// The words of the first printed command starting with `program` (after the
/// line starting with `after`, if given), split by `sh` (the printed text is
/// shell).
fn command_words(text: &str, program: &str, after: Option<&str>) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let from = after.map_or(0, |a| {
        lines
            .iter()
            .position(|l| l.starts_with(a))
            .unwrap_or_else(|| panic!("no {a}\n{text}"))
    });
    let start = (from..lines.len())
        .find(|&i| lines[i].starts_with(&format!("{program} ")))
        .unwrap_or_else(|| panic!("no {program} command\n{text}"));
    let mut cmd = String::new();
    for l in &lines[start..] {
        cmd.push_str(l);
        cmd.push('\n');
        if !l.ends_with('\\') {
            break;
        }
    }
    let script = format!("printf '%s\\0' {}", &cmd[program.len()..]);
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(o.status.success(), "sh: {cmd}");
    String::from_utf8(o.stdout)
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn have_qemu() -> bool {
    common::have_tool("qemu-system-x86_64") && common::have_tool("qemu-system-aarch64")
}

/// The trixie root's QEMU 11.1.3 (the same check as the libvirt tests).
fn have_qemu11() -> bool {
    trixie::have_trixie_peers()
}

struct Tables {
    srat: Vec<u8>,
    slit: Vec<u8>,
}

fn run_live(qemu: Option<&str>, args: &[String], ctx: &str) -> Tables {
    let mut req = DumpRequest::new(args.to_vec());
    req.qemu = qemu.map(PathBuf::from);
    req.timeout = std::time::Duration::from_secs(120);
    let d = dump(&req).unwrap_or_else(|e| panic!("live QEMU {qemu:?}: {e}\n{ctx}"));
    Tables {
        srat: d.srat().expect("SRAT").to_vec(),
        slit: d.slit().expect("SLIT").to_vec(),
    }
}

fn srat(bytes: &[u8]) -> Srat {
    match Table::decode(bytes).unwrap() {
        Table::Srat(s) => s,
        t => panic!("not an SRAT: {}", t.signature()),
    }
}

/// The SLIT's matrix (ACPI 6.5 §5.2.17).
fn slit_matrix(slit: &[u8]) -> Vec<Vec<u64>> {
    trixie::slit_matrix(slit)
        .into_iter()
        .map(|r| r.into_iter().map(u64::from).collect())
        .collect()
}

fn matrix(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect()
}

/// The guest GPU nodes of the --json plan, ascending, with their host BDF.
fn planned_gi(guest: &Value) -> Vec<(u32, String)> {
    guest["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| {
            Some((
                n["node"].as_u64().unwrap() as u32,
                n["generic_initiator"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Checks live (or built) tables against the --json plan: GIs ascending by
/// PXM, one PCI handle per GPU at device 0 function 0, guest node id = PXM in
/// Linux's numbering, SLIT = the plan's distances.
fn check_tables(t: &Tables, guest: &Value, ctx: &str) {
    let s = srat(&t.srat);
    let gis: Vec<(u32, PciHandle)> = s
        .entries
        .iter()
        .filter_map(|e| match e {
            SratEntry::GenericInitiator(g) => match &g.device_handle {
                DeviceHandle::Pci(h) => Some((g.proximity_domain, *h)),
                h => panic!("GI handle {h:?}\n{ctx}"),
            },
            _ => None,
        })
        .collect();
    let want = planned_gi(guest);
    assert_eq!(
        gis.iter().map(|g| g.0).collect::<Vec<_>>(),
        want.iter().map(|g| g.0).collect::<Vec<_>>(),
        "SRAT GI order\n{ctx}"
    );
    // One handle per GPU, device 0 function 0, distinct between GPUs.
    let mut per_gpu: Vec<(String, PciHandle)> = Vec::new();
    for ((_, h), (_, bdf)) in gis.iter().zip(&want) {
        assert_eq!((h.device, h.function), (0, 0), "GI handle {h}\n{ctx}");
        match per_gpu.iter().find(|(b, _)| b == bdf) {
            Some((_, h0)) => assert_eq!(h0, h, "{bdf}: two handles\n{ctx}"),
            None => {
                assert!(
                    per_gpu.iter().all(|(_, h0)| h0 != h),
                    "{bdf} shares a handle\n{ctx}"
                );
                per_gpu.push((bdf.clone(), *h));
            }
        }
    }
    // Guest node id = PXM (Linux numbers nodes by first appearance).
    let order = vnuma::linux::linux_node_order(&s);
    let nodes = guest["nodes"].as_array().unwrap().len();
    assert_eq!(
        order,
        (0..nodes as u32).collect::<Vec<_>>(),
        "Linux node order\n{ctx}"
    );
    assert_eq!(
        slit_matrix(&t.slit),
        matrix(&guest["distances"]),
        "SLIT\n{ctx}"
    );
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn set(k: &[&'static str]) -> BTreeSet<&'static str> {
    k.iter().copied().collect()
}

/// a. `vnuma plan --json`: the GPUs' nodes and sources as the facts say, the
/// contract's keys exactly, and (with `--gpu`) the guest's layout rules.
#[test]
fn json_finds_the_gpus_nodes_as_the_facts_say() {
    for (name, gpus) in gpu_fixtures() {
        let j = host_json(&name);
        assert_eq!(keys(&j), set(&["host"]), "{name}");
        let host = &j["host"];
        assert_eq!(keys(host), set(&["nodes", "distances", "gpus"]), "{name}");
        for n in host["nodes"].as_array().unwrap() {
            assert_eq!(keys(n), set(&["node", "cpus", "memory"]), "{name}");
        }
        let got: Vec<(String, Vec<u64>, String)> = host["gpus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                assert_eq!(
                    keys(g),
                    set(&[
                        "bdf",
                        "vendor",
                        "device",
                        "driver",
                        "numa_node",
                        "nodes",
                        "source"
                    ]),
                    "{name}"
                );
                assert_eq!(g["vendor"], "0x10de", "{name}");
                (
                    g["bdf"].as_str().unwrap().to_string(),
                    g["nodes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n.as_u64().unwrap())
                        .collect(),
                    g["source"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(String, Vec<u64>, String)> = gpus
            .iter()
            .map(|(b, n, s)| {
                (
                    b.to_string(),
                    n.iter().map(|&x| u64::from(x)).collect(),
                    s.to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        if name == "hwloc-nvidiagpunumanodes" {
            // The driver's own files say so.
            for (bdf, nodes, _) in gpus {
                let f = hosts_dir()
                    .join(&name)
                    .join(format!("proc/driver/nvidia/gpus/{bdf}/numa_status"));
                let t = std::fs::read_to_string(&f).unwrap();
                assert!(
                    t.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
                        == ["Node:", &nodes[0].to_string()]),
                    "{}: {t}",
                    f.display()
                );
            }
        }
        // The guest for all GPUs: layout rules of the issue.
        let bdfs: Vec<&str> = gpus.iter().map(|g| g.0).collect();
        let p = plan_json(&name, &bdfs, &["--stand-in"]);
        assert_eq!(keys(&p), set(&["host", "guest"]), "{name}");
        let guest = &p["guest"];
        assert_eq!(keys(guest), set(&["nodes", "distances"]), "{name}");
        let gnodes = guest["nodes"].as_array().unwrap();
        let host_nodes: Vec<u64> = host["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["node"].as_u64().unwrap())
            .collect();
        let hd = matrix(&host["distances"]);
        let gd = matrix(&guest["distances"]);
        let mut gpu_nodes = Vec::new();
        for (i, n) in gnodes.iter().enumerate() {
            assert_eq!(
                keys(n),
                set(&["node", "host_node", "cpus", "memory", "generic_initiator"]),
                "{name}"
            );
            assert_eq!(n["node"].as_u64().unwrap(), i as u64, "{name}");
            if let Some(bdf) = n["generic_initiator"].as_str() {
                assert_eq!(n["memory"], 0, "{name}");
                gpu_nodes.push((bdf.to_string(), n["host_node"].as_u64().unwrap()));
            }
            for (j, m) in gnodes.iter().enumerate() {
                let hi = |v: &Value| {
                    host_nodes
                        .iter()
                        .position(|&h| h == v["host_node"].as_u64().unwrap())
                        .unwrap()
                };
                let want = if i == j { 10 } else { hd[hi(n)][hi(m)] };
                assert_eq!(gd[i][j], want, "{name}: guest distance {i}->{j}");
            }
        }
        // Per GPU in BDF order, its host nodes ascending.
        let want: Vec<(String, u64)> = gpus
            .iter()
            .flat_map(|(b, n, _)| n.iter().map(move |&x| (b.to_string(), u64::from(x))))
            .collect();
        assert_eq!(gpu_nodes, want, "{name}");
        let mem: u64 = gnodes.iter().map(|n| n["memory"].as_u64().unwrap()).sum();
        assert_eq!(mem, 2 << 30, "{name}");
    }
}

/// b. + c. + f.: the native options on the live QEMU 10.0.2 and 11.1.3, with
/// and without -nodefaults; the topology through `vnuma build`; qemu-legacy.
#[test]
fn qemu_native_legacy_and_topology_give_the_planned_tables() {
    if !have_qemu() {
        return;
    }
    let qemu11 = have_qemu11();
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    let mut runs = 0;
    for (name, gpus) in gpu_fixtures() {
        let all: Vec<&str> = gpus.iter().map(|g| g.0).collect();
        let sets: Vec<Vec<&str>> = if all.len() > 1 {
            vec![all.clone(), vec![all[all.len() - 1]]]
        } else {
            vec![all.clone()]
        };
        for (k, set) in sets.iter().enumerate() {
            let guest = plan_json(&name, set, &["--stand-in"])["guest"].clone();
            // c. The topology, built in the canonical (planned) order.
            let (toml, _) = plan(&name, set, &["--stand-in", "--emit", "topology"]);
            let case = dir.path().join(format!("{name}-{k}"));
            std::fs::create_dir_all(&case).unwrap();
            let tf = case.join("guest.toml");
            std::fs::write(&tf, &toml).unwrap();
            let built = case.join("built");
            vnuma_ok(&[
                "build",
                tf.to_str().unwrap(),
                "-o",
                built.to_str().unwrap(),
                "--order",
                "canonical",
            ]);
            let b = Tables {
                srat: std::fs::read(built.join("SRAT.dat")).unwrap(),
                slit: std::fs::read(built.join("SLIT.dat")).unwrap(),
            };
            check_tables(&b, &guest, &format!("{name} {set:?}: vnuma build\n{toml}"));
            // b. The live QEMUs.
            for (version, qemu) in [("10.0", None), ("11.1", Some(QEMU11))] {
                if qemu.is_some() && !qemu11 {
                    continue;
                }
                for nodefaults in [false, true] {
                    let mut extra = vec!["--stand-in", "--emit", "qemu", "--qemu-version", version];
                    if nodefaults {
                        extra.push("--nodefaults");
                    }
                    let (out, _) = plan(&name, set, &extra);
                    let args = command_words(&out, "qemu-system-x86_64", None);
                    assert_eq!(args.iter().any(|a| a == "-nodefaults"), nodefaults);
                    assert!(args.iter().all(|a| !a.contains("vfio-pci")));
                    let ctx =
                        format!("{name} {set:?} QEMU {version} nodefaults={nodefaults}\n{out}");
                    let live = run_live(qemu, &args, &ctx);
                    runs += 1;
                    check_tables(&live, &guest, &ctx);
                    same_tables(&b, &live, &ctx);
                }
            }
            // f. qemu-legacy into a directory with a comma.
            let out_dir = case.join("legacy,out");
            let (out, _) = plan(
                &name,
                set,
                &[
                    "--stand-in",
                    "--emit",
                    "qemu-legacy",
                    "-o",
                    out_dir.to_str().unwrap(),
                ],
            );
            for t in ["SRAT.dat", "SLIT.dat"] {
                assert_eq!(
                    std::fs::read(out_dir.join(t)).unwrap(),
                    std::fs::read(built.join(t)).unwrap(),
                    "{name} {set:?}: qemu-legacy {t} = vnuma build's"
                );
            }
            let args = command_words(&out, "qemu-system-x86_64", Some("# QEMU < 9"));
            assert!(!args.iter().any(|a| a == "-numa"), "{out}");
            let escaped = out_dir.to_str().unwrap().replace(',', ",,");
            for t in ["SRAT.dat", "SLIT.dat"] {
                let want = format!("file={escaped}/{t}");
                assert!(args.contains(&want), "{want}\n{out}");
            }
            let ctx = format!("{name} {set:?} qemu-legacy\n{out}");
            let live = run_live(None, &args, &ctx);
            runs += 1;
            assert_eq!(live.srat, b.srat, "-acpitable SRAT\n{ctx}");
            assert_eq!(live.slit, b.slit, "-acpitable SLIT\n{ctx}");
        }
    }
    eprintln!(
        "{runs} live QEMU runs in {:.1} s (QEMU 11.1: {qemu11})",
        t0.elapsed().as_secs_f64()
    );
}

/// The built tables equal QEMU's: byte for byte when the headers agree, else
/// everything after the header (and signature, length, revision).
fn same_tables(built: &Tables, live: &Tables, ctx: &str) {
    for (what, a, b) in [
        ("SRAT", &built.srat, &live.srat),
        ("SLIT", &built.slit, &live.slit),
    ] {
        if a[..36] == b[..36] {
            assert_eq!(a, b, "{what}: vnuma build vs live\n{ctx}");
        } else {
            assert_eq!(a[..9], b[..9], "{what} header\n{ctx}");
            assert_eq!(a[36..], b[36..], "{what} body: vnuma build vs live\n{ctx}");
        }
    }
}

/// b. on arm64 `virt` (pxb-pcie per GPU): GB200's four GPUs on the live
/// qemu-system-aarch64 10.0.2 and 11.1.3.
#[test]
fn virt_native_options_on_live_qemu_aarch64() {
    if !have_qemu() {
        return;
    }
    let qemu11 = have_qemu11();
    let name = "gb200";
    let all: Vec<&str> = expected(name).unwrap().iter().map(|g| g.0).collect();
    let guest = plan_json(name, &all, &["--stand-in", "--machine", "virt"])["guest"].clone();
    for (version, qemu) in [("10.0", None), ("11.1", Some(QEMU11_ARM))] {
        if qemu.is_some() && !qemu11 {
            continue;
        }
        for nodefaults in [false, true] {
            let mut extra = vec![
                "--stand-in",
                "--machine",
                "virt",
                "--emit",
                "qemu",
                "--qemu-version",
                version,
            ];
            if nodefaults {
                extra.push("--nodefaults");
            }
            let (out, _) = plan(name, &all, &extra);
            let args = command_words(&out, "qemu-system-aarch64", None);
            assert_eq!(
                args.iter().filter(|a| a.starts_with("pxb-pcie,")).count(),
                all.len()
            );
            let ctx = format!("virt QEMU {version} nodefaults={nodefaults}\n{out}");
            check_tables(&run_live(qemu, &args, &ctx), &guest, &ctx);
        }
    }
}

/// d. libvirt XML (both forms, every fixture) validates with libvirt 12.9; the
/// legacy form of GH200 and GB200, through `domxml-to-native` twice and the
/// live QEMU 11.1, gives the same GI ids on each start and ascending GIs.
#[test]
fn libvirt_xml_validates_and_legacy_runs_in_ascending_order() {
    if !have_qemu11() {
        return;
    }
    let _serial = trixie::PEERS.lock().unwrap_or_else(|e| e.into_inner());
    let _daemon = trixie::start_daemon();
    let dir = tempfile::tempdir().unwrap();
    for (name, gpus) in gpu_fixtures() {
        let all: Vec<&str> = gpus.iter().map(|g| g.0).collect();
        let guest = plan_json(&name, &all, &["--stand-in"])["guest"].clone();
        for emit in ["libvirt", "libvirt-legacy"] {
            let dom = format!("vnuma-accept-{name}-{emit}");
            let (xml, err) = plan(&name, &all, &["--stand-in", "--emit", emit, "--name", &dom]);
            trixie::validate(&dom, &xml);
            if emit == "libvirt" {
                assert!(
                    err.contains("counter"),
                    "{name}: no note on libvirt's ids\n{err}"
                );
            }
            if emit == "libvirt" || !(name == "gh200" || name == "gb200") {
                continue;
            }
            // This host has node 0 only: the live run binds no host node.
            let (head, tail) = xml.split_once("  <numatune>").unwrap();
            let (_, tail) = tail.split_once("</numatune>\n").unwrap();
            let xml = format!("{head}{tail}");
            let args = trixie::to_native(dir.path(), &dom, &xml);
            let again = trixie::to_native(dir.path(), &dom, &xml);
            let ids = |a: &[String]| -> Vec<(String, String, u32)> { trixie::gi_objects(a) };
            assert_eq!(
                ids(&args),
                ids(&again),
                "{name}: GI objects differ between starts"
            );
            let (pxms, slit) = trixie::live(&dom, MachineKind::Q35, &args);
            let want: Vec<u32> = planned_gi(&guest).iter().map(|g| g.0).collect();
            assert_eq!(
                pxms, want,
                "{name}: SRAT GI order (libvirt → QEMU 11.1)\n{xml}"
            );
            let slit: Vec<Vec<u64>> = slit
                .into_iter()
                .map(|r| r.into_iter().map(u64::from).collect())
                .collect();
            assert_eq!(slit, matrix(&guest["distances"]), "{name}: SLIT\n{xml}");
        }
    }
}

/// e. Cloud Hypervisor options parse back (Cloud Hypervisor v51's own parser)
/// to the --json plan.
#[test]
fn cloud_hypervisor_options_parse_back_to_the_plan() {
    for (name, gpus) in gpu_fixtures() {
        let all: Vec<&str> = gpus.iter().map(|g| g.0).collect();
        let guest = plan_json(&name, &all, &[])["guest"].clone();
        let (out, _) = plan(&name, &all, &["--emit", "cloud-hypervisor"]);
        let args = command_words(&out, "cloud-hypervisor", None);
        let p = ch_peer::parse(&args);
        let gnodes = guest["nodes"].as_array().unwrap();
        assert_eq!(
            p.nodes.keys().map(|&k| u64::from(k)).collect::<Vec<_>>(),
            gnodes
                .iter()
                .map(|n| n["node"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            "{name}\n{out}"
        );
        for n in gnodes {
            let c = &p.nodes[&(n["node"].as_u64().unwrap() as u32)];
            let cpus = vnuma::linux::parse_list(n["cpus"].as_str().unwrap_or("")).unwrap();
            assert_eq!(c.cpus, cpus, "{name}\n{out}");
            let mem: u64 = c.zones.iter().map(|z| p.zones[z].0).sum();
            assert_eq!(mem, n["memory"].as_u64().unwrap(), "{name}\n{out}");
            let dev = c.device.as_ref().map(|d| p.devices[d].clone());
            let want = n["generic_initiator"]
                .as_str()
                .map(|b| format!("/sys/bus/pci/devices/{b}"));
            assert_eq!(dev, want, "{name}\n{out}");
        }
        let slit: Vec<Vec<u64>> = ch_peer::slit(&p)
            .into_iter()
            .map(|r| r.into_iter().map(u64::from).collect())
            .collect();
        assert_eq!(slit, matrix(&guest["distances"]), "{name}\n{out}");
        assert_eq!(p.boot_vcpus, 4);
    }
}

/// Issue item 7: `vnuma plan` lints its own tables. F1: the GH200 trees with
/// older firmware (`gh200`, `gh200-srat`) have GPU<->GPU 255, reported as
/// `slit-unreachable`; newer firmware (`gh200-distances`, 11) and GB200 give
/// no finding.
#[test]
fn plan_lints_its_own_tables() {
    for (name, unreachable) in [
        ("gh200", true),
        ("gh200-srat", true),
        ("gh200-distances", false),
        ("gb200", false),
    ] {
        let gpus: Vec<&str> = expected(name).unwrap().iter().map(|g| g.0).collect();
        let (_, err) = plan(name, &gpus, &["--stand-in", "--emit", "topology"]);
        let lint: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("vnuma: lint:"))
            .collect();
        if unreachable {
            assert_eq!(lint.len(), 1, "{name}: {err}");
            assert!(
                lint[0].starts_with("vnuma: lint: info slit-unreachable:"),
                "{err}"
            );
        } else {
            assert!(lint.is_empty(), "{name}: {err}");
        }
    }
}

/// The fixture list is the directory's: every fixture is either a GPU host in
/// the table or has no GPU (a Matrox VGA is not an NVIDIA GPU).
#[test]
fn every_fixture_is_covered() {
    let g = gpu_fixtures();
    assert_eq!(g.len(), FIXTURES.len());
    assert!(fixture_dirs().len() > FIXTURES.len());
    assert!(Path::new(&fixture("gh200")).is_dir());
}
