//! libvirt 12.9 command lines (tests/data/libvirt, written by `virsh domxml-to-native`)
//! through vnuma's QEMU front end: JSON `-object`/`-device`, `-object monitor-qmp`,
//! libvirt's numbered GI ids, `-machine pflash0=`. Expectations: the SRAT GI orders the
//! live QEMU 10.0.2 / 11.1.3 built for these lines (tests/data/libvirt/gi-order.txt,
//! tests/data/qemu-11.1/gi-order.txt) and QEMU 11.1.3's SRAT bytes (tests/data/qemu-11.1/gi13).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;
mod trixie;

use trixie::{daemon_running, gi_pxms, runnable};

use vnuma::front::qemu::parse::parse_versioned;
use vnuma::front::qemu::report::qemu_report_versioned;
use vnuma::front::qemu::version::QemuVersion;
use vnuma::live::args::read_libvirt_log;

/// The measured orders of `gi-order.txt` for one QEMU section: K → PXMs.
fn measured(section: &str) -> Vec<(u32, Vec<u32>)> {
    let text = std::fs::read_to_string(common::data_dir().join("libvirt/gi-order.txt")).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for l in text.lines() {
        if let Some(h) = l.strip_prefix("== ") {
            inside = h == section;
            continue;
        }
        if let (true, Some(rest)) = (inside, l.strip_prefix("K=")) {
            let mut it = rest.split_whitespace();
            let k = it.next().unwrap().parse().unwrap();
            let pxms = it
                .next()
                .unwrap()
                .split(',')
                .map(|x| x.parse().unwrap())
                .collect();
            out.push((k, pxms));
        }
    }
    assert!(!out.is_empty(), "{section}");
    out
}

/// The libvirt line with GI ids gi<N> renumbered to gi<N+K> (libvirt's counter).
fn with_counter(args: &[String], k: u32) -> Vec<String> {
    args.iter()
        .map(|a| {
            if !a.contains("acpi-generic-initiator") {
                return a.clone();
            }
            let (head, tail) = a.split_once("\"id\":\"gi").unwrap();
            let (n, rest) = tail.split_once('"').unwrap();
            format!("{head}\"id\":\"gi{}\"{rest}", n.parse::<u32>().unwrap() + k)
        })
        .collect()
}

fn srat_order(args: &[String], v: QemuVersion) -> Vec<u32> {
    let (_, r) = qemu_report_versioned(args, None, v);
    let r = r.unwrap_or_else(|e| panic!("{e}"));
    gi_pxms(&r.tables.srat.as_ref().unwrap().encode())
}

#[test]
fn libvirt_lines_give_qemu_11_1_gi_order() {
    for (file, section) in [
        (
            "gh-q35.argv",
            "/var/cache/vnuma-trixie/bin/qemu-system-x86_64",
        ),
        (
            "two-gpus-q35.argv",
            "two-gpus /var/cache/vnuma-trixie/bin/qemu-system-x86_64",
        ),
    ] {
        let cmd = read_libvirt_log(&common::data_dir().join("libvirt").join(file)).unwrap();
        assert_eq!(cmd.binary, "/usr/bin/qemu-system-x86_64");
        assert!(cmd.env.iter().any(|e| e == "LC_ALL=C"));
        for (k, want) in measured(section) {
            let args = with_counter(&cmd.args, k);
            assert_eq!(srat_order(&args, QemuVersion::V11_1), want, "{file} K={k}");
        }
    }
}

#[test]
fn libvirt_arm_line_parses_with_pflash_firmware() {
    let cmd = read_libvirt_log(&common::data_dir().join("libvirt/gh-virt-aarch64.argv")).unwrap();
    let (_, r) = parse_versioned(&cmd.args, None, QemuVersion::V11_1);
    let p = r.unwrap();
    assert_eq!(p.machine_type, "virt-11.1");
    assert!(vnuma::front::qemu::report::has_firmware(&cmd.args));
    // The live QEMU 11.1.3 gives this line (K=0) the gh-q35 order too (measured
    // with the VARS image copied into the root, 2026-11-29).
    assert_eq!(
        srat_order(&cmd.args, QemuVersion::V11_1),
        [7, 6, 5, 4, 3, 9, 2, 8]
    );
}

#[test]
fn qemu_10_refuses_the_monitor_object_and_versioned_11_1_machine() {
    let cmd = read_libvirt_log(&common::data_dir().join("libvirt/gh-q35.argv")).unwrap();
    let (_, r) = parse_versioned(&cmd.args, None, QemuVersion::V10_0);
    // QEMU 10.0.2: `-object monitor-qmp,…` → this text (live, 2026-11-29).
    assert_eq!(
        r.unwrap_err().message,
        r#"-object {"qom-type":"monitor-qmp","id":"monitor","chardev":"charmonitor"}: Parameter 'qom-type' does not accept value 'monitor-qmp'"#
    );
}

/// The 13-GI case without `-nodefaults`: QEMU 11.1's default monitor object moves
/// the GIs; byte-compared with QEMU's own SRAT of each version and mode.
#[test]
fn default_monitor_object_changes_gi_order_in_11_1_only() {
    let dir = common::data_dir().join("qemu-11.1");
    let base = vnuma::live::dump::read_args_file(&dir.join("gi13-args.txt")).unwrap();
    for (v, ver) in [
        (QemuVersion::V10_0, "10.0.2"),
        (QemuVersion::V11_1, "11.1.3"),
    ] {
        for (mode, extra) in [("defaults", None), ("nodefaults", Some("-nodefaults"))] {
            let mut args = base.clone();
            args.extend(extra.map(String::from));
            let (_, r) = qemu_report_versioned(&args, None, v);
            let srat = r.unwrap().tables.srat.unwrap().encode();
            let want = std::fs::read(dir.join(format!("gi13/{ver}-{mode}/SRAT.dat"))).unwrap();
            assert_eq!(srat, want, "{ver} {mode}");
        }
    }
}

/// An explicit monitor suppresses QEMU 11.1's default one but is an object itself
/// (tests/data/qemu-11.1/gi-order.txt, "-nodefaults + monitor").
#[test]
fn explicit_monitor_is_an_object_in_11_1() {
    let dir = common::data_dir().join("qemu-11.1");
    let mut args = vnuma::live::dump::read_args_file(&dir.join("gi13-args.txt")).unwrap();
    args.extend(
        [
            "-nodefaults",
            "-chardev",
            "null,id=mon0",
            "-mon",
            "chardev=mon0,mode=readline",
        ]
        .map(String::from),
    );
    assert_eq!(
        srat_order(&args, QemuVersion::V11_1),
        [11, 14, 3, 6, 9, 12, 4, 7, 10, 13, 2, 5, 8]
    );
    assert_eq!(
        srat_order(&args, QemuVersion::V10_0),
        [7, 14, 6, 13, 5, 11, 4, 10, 3, 9, 2, 8, 12]
    );
}

/// libvirt's GI ids come from a counter: the warning names the order of the next
/// ids, which must be the measured one (gi-order.txt, K=8: 6,5,4,3,2,8,9,7).
#[test]
fn counter_numbered_gi_ids_are_warned_with_the_next_order() {
    let cmd = read_libvirt_log(&common::data_dir().join("libvirt/gh-q35.argv")).unwrap();
    let (_, r) = qemu_report_versioned(&cmd.args, None, QemuVersion::V11_1);
    let w = r.unwrap().warnings();
    let w = w
        .iter()
        .find(|w| w.contains("libvirt's daemon-wide counter"))
        .expect("warning");
    assert!(
        w.contains("gives SRAT order 7,6,5,4,3,9,2,8 but the same domain started with the next ids (gi8…) gives 6,5,4,3,2,8,9,7"),
        "{w}"
    );
    // Hand-typed keyval GI objects with the same ids: no such warning.
    let dir = common::data_dir().join("qemu-11.1");
    let args = vnuma::live::dump::read_args_file(&dir.join("gi13-args.txt")).unwrap();
    let (_, r) = qemu_report_versioned(&args, None, QemuVersion::V11_1);
    assert!(!r.unwrap().warnings().iter().any(|w| w.contains("libvirt")));
}

/// libvirt 12.9 lines (tests/data/libvirt/NAME.argv) on which vnuma once disagreed
/// with the live QEMU 11.1.3, found by random domain XMLs with PCI expander buses,
/// memory devices and old machine types: vnuma's SRAT/SLIT/HMAT must be the bytes
/// QEMU built for the line (tests/data/libvirt/live/NAME/*.dat), or its refusal
/// QEMU's text (live/NAME/error.txt); tests/peers/libvirt-live.py wrote them.
#[test]
fn libvirt_lines_match_live_qemu_11_1_tables() {
    let dir = common::data_dir().join("libvirt");
    for name in [
        // A <hostdev> on an i440FX pci-expander-bus (busNr 64): behind the pxb's
        // internal pci-bridge, so its GI handle has bus 65.
        "pxb-pc",
        // virtio-mem before an NVDIMM: it takes device memory first, so the
        // NVDIMM's SRAT entry starts 128 MiB above the region.
        "nvdimm-virtio-mem-q35",
        // No <acpi/> and a DIMM: QEMU refuses the DIMM.
        "dimm-acpi-off-q35",
        // A domain kept on machine type pc-q35-5.2 (QEMU 11.1.3 still has it).
        "old-machine-q35-5.2",
        // An Intel IOMMU with interrupt remapping: libvirt writes
        // `-machine …,kernel_irqchip=split` (QEMU turns `_` into `-` in keys).
        "iommu-q35",
        // DIMM, NVDIMM and virtio-mem backends after libvirt's `monitor-qmp`
        // object: QEMU 11.1 creates monitor objects in command-line order among
        // the memory backends, which decides the GI order (5,4,3,2).
        "memdev-gi-order-q35",
        // A DIMM with <address type='dimm' base='0x140000000'/>: libvirt's JSON
        // `"addr":5368709120` is the DIMM's address, so the NVDIMM after it
        // starts the device-memory region.
        "dimm-base-q35",
        // arm virt without <acpi/> and an NVDIMM: QEMU 11.1 accepts a cold-plugged
        // NVDIMM without the ACPI GED device (10.0 refused it) and builds no tables.
        "nvdimm-acpi-off-virt",
    ] {
        let cmd = read_libvirt_log(&dir.join(format!("{name}.argv"))).unwrap();
        let live = dir.join("live").join(name);
        let (_, r) = qemu_report_versioned(&cmd.args, None, QemuVersion::V11_1);
        if let Ok(want) = std::fs::read_to_string(live.join("error.txt")) {
            let e = r
                .err()
                .unwrap_or_else(|| panic!("{name}: QEMU refused it: {want}"));
            let vnuma::front::qemu::report::QemuReportError::Qemu(e) = e else {
                panic!("{name}: not a QEMU refusal: {e}");
            };
            assert_eq!(e.message, want.trim_end(), "{name}");
            continue;
        }
        let ours = r.unwrap_or_else(|e| panic!("{name}: {e}")).tables.files();
        let mut want: Vec<String> = std::fs::read_dir(&live)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".dat"))
            .collect();
        want.sort();
        let mut got: Vec<String> = ours.iter().map(|(n, _)| n.clone()).collect();
        got.sort();
        assert_eq!(got, want, "{name}: tables");
        for (n, bytes) in &ours {
            assert!(
                *bytes == std::fs::read(live.join(n)).unwrap(),
                "{name}: {n} differs from QEMU 11.1.3's"
            );
        }
    }
}

/// `-machine` keys with `_` (libvirt's `kernel_irqchip=split`): QEMU dashes them
/// before setting properties, and refuses a key given in both spellings. Messages
/// from the live QEMU 10.0.2 and 11.1.3 (2026-11-30, q35, 3 GiB in one node).
#[test]
fn machine_keys_with_underscores_are_dashed() {
    let base = [
        "-m",
        "3G",
        "-smp",
        "2",
        "-object",
        "memory-backend-ram,id=m0,size=3G",
        "-numa",
        "node,memdev=m0,cpus=0-1",
        "-nodefaults",
    ];
    let run = |machine: &str, v: QemuVersion| {
        let mut args = vec!["-machine".to_string(), machine.to_string()];
        args.extend(base.iter().map(|s| s.to_string()));
        parse_versioned(&args, None, v).1
    };
    for v in [QemuVersion::V10_0, QemuVersion::V11_1] {
        for ok in [
            "q35,kernel_irqchip=split",
            "q35,max_ram_below_4g=1G",
            "q35,dump_guest_core=off,mem_merge=off",
        ] {
            assert!(run(ok, v).is_ok(), "{ok}");
        }
        for (bad, msg) in [
            (
                "q35,kernel_irqchip=on,kernel-irqchip=off",
                "Conflict between 'kernel_irqchip' and 'kernel-irqchip'",
            ),
            (
                "q35,max_ram_below_4g=1G,max-ram-below-4g=2G",
                "Conflict between 'max_ram_below_4g' and 'max-ram-below-4g'",
            ),
        ] {
            assert_eq!(run(bad, v).unwrap_err().message, msg, "{bad}");
        }
    }
    assert_eq!(
        run("q35,foo_bar=1", QemuVersion::V11_1)
            .unwrap_err()
            .message,
        "Property 'pc-q35-11.1-machine.foo-bar' not found"
    );
}

/// arm `virt` with `acpi=off` (no ACPI GED device): a cold-plugged NVDIMM is
/// refused by QEMU 10.0.2 and accepted by 11.1.3; a `pc-dimm` by neither (live,
/// 2026-11-30).
#[test]
fn virt_cold_nvdimm_without_ged_per_version() {
    let line = |dev: &str| -> Vec<String> {
        [
            "-machine",
            "virt,gic-version=3,nvdimm=on,acpi=off",
            "-cpu",
            "cortex-a57",
            "-m",
            "1G,slots=2,maxmem=4G",
            "-nodefaults",
            "-object",
            "memory-backend-ram,id=m0,size=1G",
            "-numa",
            "node,memdev=m0",
            "-object",
            "memory-backend-ram,id=d,size=256M",
            "-device",
            dev,
        ]
        .map(String::from)
        .to_vec()
    };
    let refused = "memory hotplug is not enabled: missing acpi-ged device";
    let nv = line("nvdimm,memdev=d,id=n0");
    let (_, r) = parse_versioned(&nv, None, QemuVersion::V10_0);
    assert_eq!(
        r.unwrap_err().message,
        format!("-device nvdimm,memdev=d,id=n0: {refused}")
    );
    assert!(parse_versioned(&nv, None, QemuVersion::V11_1).1.is_ok());
    let dimm = line("pc-dimm,memdev=d,id=d0");
    for v in [QemuVersion::V10_0, QemuVersion::V11_1] {
        let (_, r) = parse_versioned(&dimm, None, v);
        assert_eq!(
            r.unwrap_err().message,
            format!("-device pc-dimm,memdev=d,id=d0: {refused}")
        );
    }
}

// ---------------------------------------------------------------------------
// Live suite: random domain XMLs → libvirt 12.9 (`virsh domxml-to-native`) →
// `vnuma qemu --qemu-version 11.1` against the live QEMU 11.1.3 (the trixie root of
// `.ci/setup-trixie`). Seed: `VNUMA_LIBVIRT_SEED` (printed), domains:
// `VNUMA_LIBVIRT_CASES` (default 12). Outside CI a missing peer skips the test.
// ---------------------------------------------------------------------------

const TRIXIE: &str = "/var/cache/vnuma-trixie";

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Whether the trixie peers are there (root, wrappers, complete root); in CI their
/// absence fails.
fn have_trixie_peers() -> bool {
    let bin = std::path::Path::new(TRIXIE).join("bin");
    let ok = [
        "virsh",
        "libvirt-start",
        "libvirt-stop",
        "qemu-system-x86_64",
        "qemu-system-aarch64",
    ]
    .iter()
    .all(|t| bin.join(t).exists())
        && std::path::Path::new(TRIXIE)
            .join("root/.vnuma-trixie-complete")
            .exists()
        && std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("libvirt/QEMU 11.1 peers missing: run `bash .ci/setup-trixie` as root");
        }
        eprintln!("skipping: libvirt/QEMU 11.1 peers missing (run .ci/setup-trixie as root)");
    }
    ok
}

/// One random domain, q35 or (with `arm`) aarch64 `virt` with GICv3 and EDK2 pflash
/// (libvirt: "ACPI requires UEFI on this architecture"): cells with CPUs (memory or
/// none), memoryless CPU-less cells for 1–3 host devices' `<acpi nodeset>`, optional
/// full (sometimes asymmetric) `<distances>`.
fn random_domain(rng: &mut Rng, name: &str, arm: bool) -> String {
    let cpu_cells = rng.range(1, 3) as usize;
    let gpu_cells = rng.range(1, 8) as usize;
    let n = cpu_cells + gpu_cells;
    let cores = rng.range(1, 2);
    let sockets = cpu_cells as u64;
    let vcpus = sockets * cores;
    // Cell memory in MiB: the first cell always has memory.
    let mem: Vec<u64> = (0..n)
        .map(|i| {
            if i >= cpu_cells || (i > 0 && rng.chance(30)) {
                0
            } else {
                [256, 512, 768][rng.range(0, 2) as usize]
            }
        })
        .collect();
    let total: u64 = mem.iter().sum();
    let dist: Option<Vec<Vec<u64>>> = rng.chance(70).then(|| {
        let asym = rng.chance(20);
        let mut d = vec![vec![10u64; n]; n];
        let pairs = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j)));
        for (i, j) in pairs {
            let v = rng.range(11, 120);
            d[i][j] = v;
            d[j][i] = if asym { rng.range(11, 120) } else { v };
        }
        d
    });
    let (os, features, model, arch) = if arm {
        (
            format!(
                "<type arch='aarch64' machine='virt'>hvm</type>\n    \
                 <loader readonly='yes' type='pflash' format='raw'>/usr/share/AAVMF/AAVMF_CODE.no-secboot.fd</loader>\n    \
                 <nvram template='/usr/share/AAVMF/AAVMF_VARS.fd' format='raw'>/var/lib/libvirt/qemu/nvram/{name}_VARS.fd</nvram>"
            ),
            "<gic version='3'/>",
            "cortex-a57",
            "aarch64",
        )
    } else {
        (
            "<type arch='x86_64' machine='q35'>hvm</type>".to_string(),
            "<apic/>",
            "qemu64",
            "x86_64",
        )
    };
    let mut x = format!(
        "<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>{total}</memory>\n  \
         <vcpu placement='static'>{vcpus}</vcpu>\n  <os>\n    {os}\n  \
         </os>\n  <features>\n    <acpi/>\n    {features}\n  </features>\n  \
         <cpu mode='custom' match='exact' check='none'>\n    <model fallback='allow'>{model}</model>\n    \
         <topology sockets='{sockets}' dies='1' clusters='1' cores='{cores}' threads='1'/>\n    <numa>\n"
    );
    for (i, m) in mem.iter().enumerate() {
        let cpus = if i < cpu_cells {
            let lo = i as u64 * cores;
            format!(" cpus='{}-{}'", lo, lo + cores - 1)
        } else {
            String::new()
        };
        x += &format!("      <cell id='{i}'{cpus} memory='{m}' unit='MiB'>\n");
        if let Some(d) = &dist {
            x += "        <distances>\n";
            for (j, v) in d[i].iter().enumerate() {
                x += &format!("          <sibling id='{j}' value='{v}'/>\n");
            }
            x += "        </distances>\n";
        }
        x += "      </cell>\n";
    }
    x += &format!(
        "    </numa>\n  </cpu>\n  <devices>\n    <emulator>/usr/bin/qemu-system-{arch}</emulator>\n"
    );
    let devs = rng.range(1, 3.min(gpu_cells as u64));
    for k in 0..devs {
        // A contiguous or scattered subset of the GPU cells, never empty.
        let nodes: Vec<usize> = (cpu_cells..n).filter(|_| rng.chance(60)).collect();
        let nodes = if nodes.is_empty() {
            vec![cpu_cells + rng.range(0, gpu_cells as u64 - 1) as usize]
        } else {
            nodes
        };
        let set: Vec<String> = nodes.iter().map(ToString::to_string).collect();
        x += &format!(
            "    <hostdev mode='subsystem' type='pci' managed='no'>\n      <source>\n        \
             <address domain='0x{:04x}' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      \
             <acpi nodeset='{}'/>\n    </hostdev>\n",
            8 + k,
            set.join(",")
        );
    }
    x += "  </devices>\n</domain>\n";
    x
}

/// Stops libvirtd when dropped, if this test started it.
struct Daemon(bool);

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0 {
            let _ = std::process::Command::new(format!("{TRIXIE}/bin/libvirt-stop")).status();
        }
    }
}

/// Serializes the tests that start and stop the libvirt daemon (the first to
/// finish would stop a daemon the other still uses).
static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What both random suites start with: the live lock, the seed
/// (`VNUMA_LIBVIRT_SEED`, default time-based) and the case count (`cases_var`),
/// printed, and libvirtd running (stopped again when the [`Daemon`] drops, if
/// this test started it; it drops before the lock).
fn live_suite(
    what: &str,
    cases_var: &str,
    default_cases: u64,
) -> (std::sync::MutexGuard<'static, ()>, u64, u64, Daemon) {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    let seed = std::env::var("VNUMA_LIBVIRT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 % 1_000_000_007)
                .unwrap_or(1)
        });
    let cases: u64 = std::env::var(cases_var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    eprintln!("{what}: seed {seed}, {cases} domains (VNUMA_LIBVIRT_SEED={seed} to reproduce)");
    let started = !daemon_running();
    assert!(
        std::process::Command::new(format!("{TRIXIE}/bin/libvirt-start"))
            .status()
            .unwrap()
            .success(),
        "libvirt-start"
    );
    (live, seed, cases, Daemon(started))
}

#[test]
fn random_libvirt_domains_match_live_qemu_11_1() {
    use vnuma::live::dump::{DumpRequest, dump};
    if !have_trixie_peers() {
        return;
    }
    let (_live, seed, cases, _daemon) = live_suite("libvirt suite", "VNUMA_LIBVIRT_CASES", 12);
    let bin = format!("{TRIXIE}/bin");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed);
    let (mut total_gis, mut arm_domains) = (0, 0);
    for case in 0..cases {
        let name = format!("vnuma-rand-{case}");
        let arm = rng.chance(30);
        let xml = random_domain(&mut rng, &name, arm);
        let xml_path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&xml_path, &xml).unwrap();
        let ctx = format!("seed {seed} domain {case}:\n{xml}");
        // virt-xml-validate inside the root.
        let in_root = format!("{TRIXIE}/root/tmp/{name}.xml");
        std::fs::write(&in_root, &xml).unwrap();
        let v = std::process::Command::new("chroot")
            .args([&format!("{TRIXIE}/root"), "virt-xml-validate"])
            .arg(format!("/tmp/{name}.xml"))
            .arg("domain")
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&in_root);
        assert!(
            v.status.success(),
            "virt-xml-validate: {}{}\n{ctx}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        let o = std::process::Command::new(format!("{bin}/virsh"))
            .args(["domxml-to-native", "qemu-argv"])
            .arg(&xml_path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "virsh: {}\n{ctx}",
            String::from_utf8_lossy(&o.stderr)
        );
        let argv_path = dir.path().join(format!("{name}.argv"));
        std::fs::write(&argv_path, &o.stdout).unwrap();
        let cmd = read_libvirt_log(&argv_path).unwrap_or_else(|e| panic!("{e}\n{ctx}"));
        let ctx = format!(
            "{ctx}\nlibvirt line: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        let (_, r) = qemu_report_versioned(&cmd.args, None, QemuVersion::V11_1);
        let ours = r
            .unwrap_or_else(|e| panic!("vnuma: {e}\n{ctx}"))
            .tables
            .files();
        // The variable store, copied from libvirt's template into the root.
        let vars = format!("/tmp/{name}_VARS.fd");
        if arm {
            std::fs::copy(
                format!("{TRIXIE}/root/usr/share/AAVMF/AAVMF_VARS.fd"),
                format!("{TRIXIE}/root{vars}"),
            )
            .unwrap();
        }
        let mut req = DumpRequest::new(runnable(&cmd.args, &vars));
        let arch = if arm { "aarch64" } else { "x86_64" };
        req.qemu = Some(format!("{bin}/qemu-system-{arch}").into());
        let live = dump(&req);
        if arm {
            let _ = std::fs::remove_file(format!("{TRIXIE}/root{vars}"));
        }
        let live = live.unwrap_or_else(|e| panic!("live QEMU 11.1: {e}\n{ctx}"));
        let gis = gi_pxms(live.srat().unwrap_or_else(|| panic!("no SRAT\n{ctx}")));
        assert!(!gis.is_empty(), "no GI in the live SRAT\n{ctx}");
        total_gis += gis.len();
        arm_domains += u64::from(arm);
        let live: Vec<(String, Vec<u8>)> = live
            .numa_tables()
            .into_iter()
            .map(|(s, b)| (format!("{s}.dat"), b.to_vec()))
            .collect();
        let names = |t: &[(String, Vec<u8>)]| t.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&ours), names(&live), "{ctx}");
        for ((n, a), (_, b)) in ours.iter().zip(&live) {
            assert!(a == b, "{n} differs (vnuma vs live QEMU 11.1.3)\n{ctx}");
        }
    }
    eprintln!(
        "libvirt suite: {cases} domains ({arm_domains} aarch64 virt), {total_gis} GI entries, all equal to QEMU 11.1.3's"
    );
}

/// A random domain with what the first suite leaves out: i440FX (`pc`) besides
/// q35 and aarch64 `virt`; PCI expander buses (`pci-expander-bus` /
/// `pcie-expander-bus` with a NUMA node) with a host device behind them; memory
/// devices (`dimm`, `nvdimm`, `virtio-mem`, some at a fixed `base`) under
/// `<maxMemory>`; HMAT `<interconnects>` with memory-side caches; an Intel IOMMU
/// (`kernel_irqchip=split`); machine types back to 5.2.
fn random_device_domain(rng: &mut Rng, name: &str, case: u64) -> String {
    let kind = ["q35", "q35", "pc", "virt"][rng.range(0, 3) as usize];
    let arm = kind == "virt";
    let sockets = rng.range(1, 2);
    let cores = rng.range(1, 2);
    let vcpus = sockets * cores;
    let gpu_cells = rng.range(1, 4);
    let n = sockets + gpu_cells;
    let mem: Vec<u64> = (0..n)
        .map(|i| {
            if i < sockets {
                [256, 512][rng.range(0, 1) as usize]
            } else {
                0
            }
        })
        .collect();
    let machine = if arm {
        ["virt", "virt", "virt-9.2", "virt-6.1", "virt-5.2"][rng.range(0, 4) as usize]
    } else if kind == "pc" {
        [
            "pc",
            "pc",
            "pc-i440fx-9.0",
            "pc-i440fx-6.0",
            "pc-i440fx-5.2",
        ][rng.range(0, 4) as usize]
    } else {
        ["q35", "q35", "pc-q35-9.2", "pc-q35-6.1", "pc-q35-5.2"][rng.range(0, 4) as usize]
    };
    // HMAT: access latency and bandwidth from cell 0 to every cell, sometimes a
    // memory-side cache (sizes growing with the level) on a cell.
    let hmat = rng.chance(30);
    let caches: Vec<u64> = (0..n)
        .map(|_| {
            if hmat && rng.chance(40) {
                rng.range(1, 2)
            } else {
                0
            }
        })
        .collect();
    // Memory devices.
    let mut memdevs = Vec::new();
    if rng.chance(50) {
        for _ in 0..rng.range(1, 3) {
            let model = ["dimm", "nvdimm", "virtio-mem"][rng.range(0, 2) as usize];
            memdevs.push((
                model,
                [128u64, 256][rng.range(0, 1) as usize],
                rng.range(0, n - 1),
            ));
        }
    }
    let dev_mem: u64 = memdevs.iter().map(|m| m.1).sum();
    let total: u64 = mem.iter().sum::<u64>() + dev_mem;
    let (os, features, model, arch) = if arm {
        (
            format!(
                "<type arch='aarch64' machine='{machine}'>hvm</type>\n    \
                 <loader readonly='yes' type='pflash' format='raw'>/usr/share/AAVMF/AAVMF_CODE.no-secboot.fd</loader>\n    \
                 <nvram template='/usr/share/AAVMF/AAVMF_VARS.fd' format='raw'>/var/lib/libvirt/qemu/nvram/{name}_VARS.fd</nvram>"
            ),
            "<gic version='3'/>".to_string(),
            "cortex-a57",
            "aarch64",
        )
    } else {
        let iommu = kind == "q35" && rng.chance(20);
        (
            format!("<type arch='x86_64' machine='{machine}'>hvm</type>"),
            if iommu {
                "<apic/>\n    <ioapic driver='qemu'/>".to_string()
            } else {
                "<apic/>".to_string()
            },
            "qemu64",
            "x86_64",
        )
    };
    let iommu = features.contains("ioapic");
    let mut x = format!("<domain type='qemu'>\n  <name>{name}</name>\n");
    if !memdevs.is_empty() {
        x += &format!(
            "  <maxMemory slots='4' unit='MiB'>{}</maxMemory>\n",
            total + 2048
        );
    }
    x += &format!(
        "  <memory unit='MiB'>{total}</memory>\n  <vcpu placement='static'>{vcpus}</vcpu>\n  \
         <os>\n    {os}\n  </os>\n  <features>\n    <acpi/>\n    {features}\n  </features>\n  \
         <cpu mode='custom' match='exact' check='none'>\n    <model fallback='allow'>{model}</model>\n    \
         <topology sockets='{sockets}' dies='1' clusters='1' cores='{cores}' threads='1'/>\n    <numa>\n"
    );
    for (i, m) in mem.iter().enumerate() {
        let i = i as u64;
        let cpus = if i < sockets {
            format!(" cpus='{}-{}'", i * cores, i * cores + cores - 1)
        } else {
            String::new()
        };
        x += &format!("      <cell id='{i}'{cpus} memory='{m}' unit='MiB'>\n");
        for level in 1..=caches[i as usize] {
            x += &format!(
                "        <cache level='{level}' associativity='direct' policy='writeback'>\
                 <size value='{}' unit='KiB'/><line value='64' unit='B'/></cache>\n",
                256 << (2 * level)
            );
        }
        x += "      </cell>\n";
    }
    if hmat {
        x += "      <interconnects>\n";
        for t in 0..n {
            x += &format!(
                "        <latency initiator='0' target='{t}' type='access' value='{}'/>\n",
                rng.range(5, 200)
            );
            x += &format!(
                "        <bandwidth initiator='0' target='{t}' type='access' value='{}' unit='MiB'/>\n",
                rng.range(1, 64) * 1024
            );
            for level in 1..=caches[t as usize] {
                x += &format!(
                    "        <latency initiator='0' target='{t}' cache='{level}' type='access' value='{}'/>\n",
                    rng.range(1, 20)
                );
            }
        }
        x += "      </interconnects>\n";
    }
    x += &format!(
        "    </numa>\n  </cpu>\n  <devices>\n    <emulator>/usr/bin/qemu-system-{arch}</emulator>\n"
    );
    // A PCI expander bus (index 1, busNr 64) with the first host device behind it.
    let pxb = rng.chance(60);
    if pxb {
        let (root, expander) = if kind == "pc" {
            ("pci-root", "pci-expander-bus")
        } else {
            ("pcie-root", "pcie-expander-bus")
        };
        x += &format!(
            "    <controller type='pci' index='0' model='{root}'/>\n    \
             <controller type='pci' index='1' model='{expander}'><target busNr='64'><node>{}</node></target></controller>\n",
            rng.range(0, n - 1)
        );
        if kind != "pc" {
            x += "    <controller type='pci' index='2' model='pcie-root-port'>\
                   <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></controller>\n";
        }
    }
    for k in 0..rng.range(1, 2) {
        let nodes: Vec<String> = (sockets..n)
            .filter(|_| rng.chance(70))
            .map(|c| c.to_string())
            .collect();
        let nodes = if nodes.is_empty() {
            vec![sockets.to_string()]
        } else {
            nodes
        };
        let addr = match (pxb && k == 0, kind) {
            (false, _) => String::new(),
            (true, "pc") => {
                "<address type='pci' domain='0x0000' bus='0x01' slot='0x03' function='0x0'/>".into()
            }
            (true, _) => {
                "<address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>".into()
            }
        };
        x += &format!(
            "    <hostdev mode='subsystem' type='pci' managed='no'><source>\
             <address domain='0x{:04x}' bus='0x01' slot='0x00' function='0x0'/></source>\
             <acpi nodeset='{}'/>{addr}</hostdev>\n",
            8 + k,
            nodes.join(",")
        );
    }
    if iommu {
        x += "    <iommu model='intel'><driver intremap='on'/></iommu>\n";
    }
    let mut slot = 0;
    for (i, (model, size, node)) in memdevs.iter().enumerate() {
        let target = format!("<size unit='MiB'>{size}</size><node>{node}</node>");
        let mut base = String::new();
        if *model != "virtio-mem" {
            if rng.chance(30) {
                let start: u64 = if arm { 0x40_0000_0000 } else { 0x1_0000_0000 };
                base = format!(
                    "<address type='dimm' slot='{slot}' base='{:#x}'/>",
                    start + (3 - slot) * 0x2000_0000
                );
            }
            slot += 1;
        }
        x += &match *model {
            "dimm" => {
                format!("    <memory model='dimm'><target>{target}</target>{base}</memory>\n")
            }
            "nvdimm" => format!(
                "    <memory model='nvdimm'><source><path>/tmp/vnuma-rand-{case}-nvdimm{i}</path></source>\
                 <target>{target}</target>{base}</memory>\n"
            ),
            _ => format!(
                "    <memory model='virtio-mem'><target>{target}<block unit='MiB'>2</block>\
                 <requested unit='MiB'>{}</requested></target></memory>\n",
                size / 2
            ),
        };
    }
    x += "  </devices>\n</domain>\n";
    x
}

/// The second suite (`random_device_domain`): `VNUMA_LIBVIRT_SEED` (printed),
/// `VNUMA_LIBVIRT_DEVICE_CASES` (default 10). Both tables and refusals must be
/// QEMU 11.1.3's (the generator aims at valid domains; a refusal must then be
/// QEMU's text too).
#[test]
fn random_libvirt_device_domains_match_live_qemu_11_1() {
    use vnuma::live::dump::{DumpRequest, dump};
    if !have_trixie_peers() {
        return;
    }
    let (_live, seed, cases, _daemon) =
        live_suite("libvirt device suite", "VNUMA_LIBVIRT_DEVICE_CASES", 10);
    let bin = format!("{TRIXIE}/bin");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed ^ 0x5eed_d0e5);
    let mut tables = 0;
    for case in 0..cases {
        let name = format!("vnuma-rand-dev-{case}");
        let xml = random_device_domain(&mut rng, &name, case);
        trixie::validate(&name, &xml);
        let ctx = format!("seed {seed} device domain {case}:\n{xml}");
        let args = trixie::to_native(dir.path(), &name, &xml);
        let arm = args.iter().any(|a| a.starts_with("virt"));
        let (_, ours) = qemu_report_versioned(&args, None, QemuVersion::V11_1);
        let vars = format!("/tmp/{name}_VARS.fd");
        if arm {
            std::fs::copy(
                format!("{TRIXIE}/root/usr/share/AAVMF/AAVMF_VARS.fd"),
                format!("{TRIXIE}/root{vars}"),
            )
            .unwrap();
        }
        let mut req = DumpRequest::new(runnable(&args, &vars));
        let arch = if arm { "aarch64" } else { "x86_64" };
        req.qemu = Some(format!("{bin}/qemu-system-{arch}").into());
        req.timeout = std::time::Duration::from_secs(120);
        let live = dump(&req);
        let _ = std::fs::remove_file(format!("{TRIXIE}/root{vars}"));
        for i in 0..3 {
            let _ = std::fs::remove_file(format!("{TRIXIE}/root/tmp/vnuma-rand-{case}-nvdimm{i}"));
        }
        let ctx = format!("{ctx}\nlibvirt line: {args:?}");
        match (ours, live) {
            (Ok(r), Ok(live)) => {
                let ours = r.tables.files();
                let live: Vec<(String, Vec<u8>)> = live
                    .numa_tables()
                    .into_iter()
                    .map(|(s, b)| (format!("{s}.dat"), b.to_vec()))
                    .collect();
                let names =
                    |t: &[(String, Vec<u8>)]| t.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
                assert_eq!(names(&ours), names(&live), "{ctx}");
                for ((n, a), (_, b)) in ours.iter().zip(&live) {
                    assert!(a == b, "{n} differs (vnuma vs live QEMU 11.1.3)\n{ctx}");
                }
                tables += 1;
            }
            (Err(e), Err(l)) => {
                let l = l.to_string();
                assert!(l.contains(&e.to_string()), "vnuma: {e}\nlive: {l}\n{ctx}");
            }
            (Ok(_), Err(l)) => panic!("live QEMU 11.1 refused it: {l}\n{ctx}"),
            (Err(e), Ok(_)) => panic!("vnuma refused it: {e}\n{ctx}"),
        }
    }
    eprintln!("libvirt device suite: {cases} domains, {tables} with tables equal to QEMU 11.1.3's");
}

/// arm `virt` through EDK2: libvirt's `-machine pflash0=` → `-blockdev` chain leads
/// to the code image; Debian bookworm's EDK2 2022.11 (the build path
/// `edk2-2022.11/Build/ArmVirtQemu-AARCH64` is inside the image) reports its flash
/// as RAM and Linux 6.12 falls back to one node; trixie's 2025.02 does not, and an
/// image that cannot be read keeps today's warning.
#[test]
fn libvirt_arm_line_predicts_the_edk2_2022_11_one_node_fallback() {
    let bookworm = "/usr/share/AAVMF/AAVMF_CODE.fd";
    let trixie = format!("{TRIXIE}/root/usr/share/AAVMF/AAVMF_CODE.fd");
    if !std::path::Path::new(bookworm).exists() {
        assert!(
            std::env::var("CI").is_err(),
            "{bookworm} missing (qemu-efi-aarch64, .ci/setup)"
        );
        eprintln!("skipping: {bookworm} missing");
        return;
    }
    let image = std::fs::read(bookworm).unwrap();
    assert_eq!(
        vnuma::machine::guest::edk2_build_version(&image).as_deref(),
        Some("2022.11")
    );
    let cmd = read_libvirt_log(&common::data_dir().join("libvirt/gh-virt-aarch64.argv")).unwrap();
    let with_code = |code: &str| -> Vec<String> {
        cmd.args
            .iter()
            .map(|a| a.replace("/usr/share/AAVMF/AAVMF_CODE.no-secboot.fd", code))
            .collect()
    };
    let args = with_code(bookworm);
    assert_eq!(
        vnuma::front::qemu::report::firmware_files(&args),
        [bookworm.to_string()]
    );
    let (_, r) = qemu_report_versioned(&args, None, QemuVersion::V11_1);
    let r = r.unwrap();
    assert_eq!(r.view.nodes.len(), 1);
    assert_eq!(r.view.nodes[0].cpus, [0, 1, 2, 3]);
    assert_eq!(r.view.nodes[0].memory, 1 << 30);
    assert!(r.view.nodes[0].generic_initiators.is_empty());
    let w = r.warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("EDK2 2022.11") && w.contains("falls back to a single node")),
        "{w:?}"
    );
    // The JSON view carries the same one node.
    let j = serde_json::to_value(&r.view).unwrap();
    assert_eq!(j["nodes"].as_array().unwrap().len(), 1);

    // Unreadable here (libvirt's own path): today's warning, the full topology.
    let (_, r) = qemu_report_versioned(&cmd.args, None, QemuVersion::V11_1);
    let r = r.unwrap();
    assert_eq!(r.view.nodes.len(), 10);
    if std::path::Path::new(&trixie).exists() {
        let image = std::fs::read(&trixie).unwrap();
        assert_eq!(
            vnuma::machine::guest::edk2_build_version(&image).as_deref(),
            Some("2025.02")
        );
        let (_, r) = qemu_report_versioned(&with_code(&trixie), None, QemuVersion::V11_1);
        let r = r.unwrap();
        assert_eq!(r.view.nodes.len(), 10);
        // Measured: Linux 6.12 keeps every node under EDK2 2025.02, so no
        // warning says it may fall back.
        let w = r.warnings();
        assert!(!w.iter().any(|w| w.contains("single node")), "{w:?}");
    }
}
