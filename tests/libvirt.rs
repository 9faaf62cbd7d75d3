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

use vnuma::front::qemu::parse::parse_versioned;
use vnuma::front::qemu::report::qemu_report_versioned;
use vnuma::front::qemu::version::QemuVersion;
use vnuma::live::args::read_libvirt_log;

/// The PXMs of the SRAT's Generic Initiator entries, in table order.
fn gi_pxms(srat: &[u8]) -> Vec<u32> {
    let mut off = 48;
    let mut out = Vec::new();
    while off + 2 <= srat.len() && srat[off + 1] != 0 {
        if srat[off] == 5 {
            out.push(u32::from_le_bytes(
                srat[off + 4..off + 8].try_into().unwrap(),
            ));
        }
        off += usize::from(srat[off + 1]);
    }
    out
}

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
