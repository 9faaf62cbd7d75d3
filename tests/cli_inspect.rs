//! `vnuma inspect` and `vnuma encode`, driven through the binary. Expected
//! values come from QEMU's golden blobs and MANIFEST.md "Decoded contents".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use common::{fix_checksum, vnuma};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn golden(rel: &str) -> PathBuf {
    common::golden_dir().join(rel)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

fn all_golden() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for arch in ["aarch64/virt", "riscv64/virt", "x86/pc", "x86/q35"] {
        for e in std::fs::read_dir(golden(arch)).unwrap() {
            out.push(e.unwrap().path());
        }
    }
    out.sort();
    out
}

const GX: &str = "x86/q35/SRAT.acpihmat-generic-x";

#[test]
fn text_shows_decoded_fields_with_offsets() {
    let o = vnuma(&["inspect", golden(GX).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    // GI at 0x1a0: PXM at +4, handle 0000:01:00.2 (bus at +10, devfn at +11).
    assert!(s.contains("[1A0h 0416   1]"), "{s}");
    assert!(s.contains("Subtable Type : 0x05 [Generic Initiator Affinity]"));
    let pd = s
        .lines()
        .find(|l| l.starts_with("[1A4h 0420   4]"))
        .unwrap();
    assert!(pd.ends_with("Proximity Domain : 0x00000001 (1)"), "{pd}");
    assert!(s.contains("Device Handle : PCI 0000:01:00.2"));
    let bus = s
        .lines()
        .find(|l| l.starts_with("[1AAh 0426   1]"))
        .unwrap();
    assert!(bus.ends_with("PCI Bus : 0x01 (1)"), "{bus}");
    // GP at 0x1c0: ACPI0016, UID 64.
    assert!(s.contains("ACPI HID : \"ACPI0016\""));
    let uid = s
        .lines()
        .find(|l| l.starts_with("[1D0h 0464   4]"))
        .unwrap();
    assert!(uid.ends_with("ACPI UID : 0x00000040 (64)"), "{uid}");
    // Hotplug entry: base 4G, length 0x90000000, PXM 5, flags 3.
    assert!(s.contains("Base Address : 0x0000000100000000"));
    assert!(s.contains("Address Length : 0x0000000090000000 (2304 MiB"));
    assert!(s.contains("Flags : 0x00000003 (Enabled, Hot Pluggable)"));
    assert!(s.contains("Checksum : 0x73 (valid)"));
    assert!(s.contains("Guest nodes"));
}

#[test]
fn hmat_text_shows_units_and_entries() {
    let o = vnuma(&[
        "inspect",
        golden("x86/q35/HMAT.acpihmat-generic-x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    // Latency base 10 ns = 10000 ps, bandwidth base 4 MB/s (MANIFEST).
    assert!(
        s.contains("Entry Base Unit : 0x0000000000002710 (10000 ps)"),
        "{s}"
    );
    assert!(s.contains("Entry Base Unit : 0x0000000000000004 (4 MB/s)"));
    // latency 0,0 = 10 ns: entry 1.
    assert!(s.contains("Entry [0 -> 0] : 0x0001 (10000 ps = 10 ns)"));
    // bandwidth 0,0 = 800 MB/s: entry 200.
    assert!(s.contains("Entry [0 -> 0] : 0x00C8 (800 MB/s)"));
    // MPDA of node 4: flags 0, initiator field 128.
    assert!(s.contains("Attached Initiator Proximity Domain : 0x00000080 (128)"));
}

#[test]
fn json_has_tables_findings_and_guest_nodes() {
    let p = golden(GX);
    let o = vnuma(&["inspect", "--json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let t = &v["tables"][0];
    assert_eq!(t["signature"], "SRAT");
    assert_eq!(t["revision"], 1);
    assert_eq!(t["oem_id"], "BOCHS ");
    assert_eq!(t["oem_table_id"], "BXPC    ");
    assert_eq!(t["length"], 520);
    assert_eq!(t["checksum_valid"], true);
    assert_eq!(t["source"], p.display().to_string());
    let entries = t["entries"].as_array().unwrap();
    let gi = entries
        .iter()
        .find(|e| e["type"] == "generic_initiator")
        .unwrap();
    assert_eq!(gi["proximity_domain"], 1);
    assert_eq!(gi["device_handle"]["pci"], "0000:01:00.2");
    assert_eq!(gi["flags"], 1);
    let gp = entries
        .iter()
        .find(|e| e["type"] == "generic_port")
        .unwrap();
    assert_eq!(gp["proximity_domain"], 2);
    assert_eq!(gp["device_handle"]["acpi"]["hid"], "ACPI0016");
    assert_eq!(gp["device_handle"]["acpi"]["uid"], 64);
    let lapics: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "local_apic")
        .collect();
    let pxms: Vec<u64> = lapics
        .iter()
        .map(|e| e["proximity_domain"].as_u64().unwrap())
        .collect();
    assert_eq!(pxms, [0, 3, 5]);
    // 5 padding entries: memory, flags 0.
    let pads = entries
        .iter()
        .filter(|e| e["type"] == "memory" && e["flags"] == 0 && e["length"] == 0)
        .count();
    assert_eq!(pads, 5);
    // Guest nodes: pass 1 maps LAPIC PXMs 0,3,5 then the GI's 1; pass 2 memory PXM 4;
    // the Generic Port's PXM 2 gets no node.
    let nodes: Vec<(u64, Option<u64>)> = v["guest_nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["pxm"].as_u64().unwrap(), g["node"].as_u64()))
        .collect();
    assert_eq!(
        nodes,
        [
            (0, Some(0)),
            (3, Some(1)),
            (5, Some(2)),
            (1, Some(3)),
            (4, Some(4)),
            (2, None)
        ]
    );
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"generic-port-no-node"), "{codes:?}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "error")
    );
}

#[test]
fn golden_blobs_give_no_error_findings() {
    for p in all_golden() {
        let o = vnuma(&["inspect", "--json", "--strict", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), stderr(&o));
        let v = json(&o);
        let errors: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    }
}

#[test]
fn directory_input_picks_numa_tables() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(golden(GX), d.path().join("SRAT")).unwrap();
    std::fs::copy(golden("x86/q35/SLIT.cphp"), d.path().join("slit.aml")).unwrap();
    std::fs::copy(
        golden("x86/q35/HMAT.acpihmat-generic-x"),
        d.path().join("HMAT.dat"),
    )
    .unwrap();
    std::fs::write(d.path().join("DSDT"), b"not a NUMA table").unwrap();
    std::fs::write(d.path().join("SRATX"), b"not picked").unwrap();
    let o = vnuma(&["inspect", "--json", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let sigs: Vec<&str> = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["signature"].as_str().unwrap())
        .collect();
    assert_eq!(sigs, ["HMAT", "SRAT", "SLIT"]);
    // The SLIT has 2 localities, the SRAT 6 proximity domains.
    let f = v["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|f| f["code"] == "slit-locality-count" && f["severity"] == "warning")
    );
}

#[test]
fn directory_without_tables_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("DSDT"), b"x").unwrap();
    let o = vnuma(&["inspect", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains(&d.path().display().to_string()), "{e}");
    assert!(e.contains("no NUMA table"), "{e}");
}

#[test]
fn unreadable_files_are_named() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nosuch").join("SRAT");
    let o = vnuma(&["inspect", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains(&missing.display().to_string()), "{e}");
    assert!(e.contains("No such file"), "{e}");

    // A directory named SRAT where a table file is expected: read fails.
    std::fs::create_dir(d.path().join("SRAT")).unwrap();
    let o = vnuma(&["inspect", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains(&d.path().join("SRAT").display().to_string()),
        "{e}"
    );
    assert!(e.contains("cannot read"), "{e}");
}

/// `inspect --json` then `encode` gives back every file byte for byte.
fn round_trip(files: &[PathBuf]) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["inspect", "--json"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let o = vnuma(&args);
    let v = json(&o);
    let json_path = out.path().join("in.json");
    std::fs::write(&json_path, &o.stdout).unwrap();
    let dir = out.path().join("tables");
    let e = vnuma(&[
        "encode",
        json_path.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(0), "{}", stderr(&e));
    let mut seen = std::collections::HashMap::new();
    for (t, src) in v["tables"].as_array().unwrap().iter().zip(files) {
        let sig = t["signature"].as_str().unwrap().to_string();
        let n = seen.entry(sig.clone()).or_insert(0);
        let name = if *n == 0 {
            format!("{sig}.dat")
        } else {
            format!("{sig}-{n}.dat")
        };
        *n += 1;
        let got = std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            got,
            std::fs::read(src).unwrap(),
            "{} -> {name}",
            src.display()
        );
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), files.len());
}

#[test]
fn inspect_encode_round_trips_every_golden_blob() {
    let files = all_golden();
    assert_eq!(files.len(), 28);
    round_trip(&files);
}

#[test]
fn encode_reads_stdin() {
    let o = vnuma(&[
        "inspect",
        "--json",
        golden("x86/q35/SLIT.cphp").to_str().unwrap(),
    ]);
    let d = tempfile::tempdir().unwrap();
    let mut child = Command::new(common::vnuma_bin())
        .args(["encode", "-", "-o", d.path().to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&o.stdout).unwrap();
    let r = child.wait_with_output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(
        std::fs::read(d.path().join("SLIT.dat")).unwrap(),
        std::fs::read(golden("x86/q35/SLIT.cphp")).unwrap()
    );
}

#[test]
fn unknown_structures_round_trip() {
    let d = tempfile::tempdir().unwrap();
    // SRAT + an unknown structure: type 0x42, length 6, 4 payload bytes.
    let mut srat = std::fs::read(golden(GX)).unwrap();
    srat.extend_from_slice(&[0x42, 0x06, 0xde, 0xad, 0xbe, 0xef]);
    let len = u32::try_from(srat.len()).unwrap();
    srat[4..8].copy_from_slice(&len.to_le_bytes());
    fix_checksum(&mut srat);
    // HMAT + an unknown structure: type 9 (u16), reserved, length 12 (u32), 4 bytes.
    let mut hmat = std::fs::read(golden("x86/q35/HMAT.acpihmat-generic-x")).unwrap();
    hmat.extend_from_slice(&[9, 0, 0, 0, 12, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd]);
    let len = u32::try_from(hmat.len()).unwrap();
    hmat[4..8].copy_from_slice(&len.to_le_bytes());
    fix_checksum(&mut hmat);
    let (s, h) = (d.path().join("s.bin"), d.path().join("h.bin"));
    std::fs::write(&s, &srat).unwrap();
    std::fs::write(&h, &hmat).unwrap();
    let o = vnuma(&["inspect", "--json", s.to_str().unwrap()]);
    let v = json(&o);
    let last = v["tables"][0]["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "unknown");
    assert_eq!(last["subtable_type"], 0x42);
    round_trip(&[s, h]);
}

#[test]
fn undecodable_table_exits_1_and_encodes_back_raw() {
    let d = tempfile::tempdir().unwrap();
    let mut b = std::fs::read(golden(GX)).unwrap();
    b[4] = b[4].wrapping_add(1); // Length no longer matches
    let p = d.path().join("SRAT.dat");
    std::fs::write(&p, &b).unwrap();
    let o = vnuma(&["inspect", "--json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = &v["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["offset"].as_u64()),
        (Some("decode-error"), Some(4))
    );
    round_trip(&[p]);
}

#[test]
fn strict_makes_error_findings_fail() {
    let d = tempfile::tempdir().unwrap();
    let mut b = std::fs::read(golden("x86/q35/SLIT.cphp")).unwrap();
    b[44] = 11; // diagonal [0][0]
    fix_checksum(&mut b);
    let p = d.path().join("SLIT");
    std::fs::write(&p, &b).unwrap();
    let o = vnuma(&["inspect", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("slit-invalid"));
    let o = vnuma(&["inspect", "--strict", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--strict"));
}

#[test]
fn encode_errors_name_table_index_and_field() {
    let o = vnuma(&["inspect", "--json", golden(GX).to_str().unwrap()]);
    let mut v = json(&o);
    v["tables"][0]["entries"][3]
        .as_object_mut()
        .unwrap()
        .remove("flags");
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.json");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = d.path().join("out");
    let e = vnuma(&["encode", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(1));
    let msg = stderr(&e);
    assert!(msg.contains("tables[0] (SRAT)"), "{msg}");
    assert!(msg.contains("entries[3]"), "{msg}");
    assert!(msg.contains("flags"), "{msg}");
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);

    // A value of the wrong type: the field is named too.
    v["tables"][0]["entries"][3]["flags"] = Value::from("x");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let e = vnuma(&["encode", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(1));
    let msg = stderr(&e);
    assert!(
        msg.contains("entries[3] (type \"memory\"): field `flags`"),
        "{msg}"
    );
    v["tables"][0]["entries"][3]["flags"] = Value::from(1);
    v["tables"][0]["oem_id"] = Value::from("TOOLONGID");
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    let e = vnuma(&["encode", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let msg = stderr(&e);
    assert!(msg.contains("field `oem_id`"), "{msg}");

    let e = vnuma(&[
        "encode",
        Path::new("/nonexistent/x.json").to_str().unwrap(),
        "-o",
        "/tmp",
    ]);
    assert_eq!(e.status.code(), Some(1));
    assert!(stderr(&e).contains("/nonexistent/x.json"));
}

/// Offsets (`[XXXh` prefixes) of the lines whose field name starts with `name`.
fn offsets_of(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('['))
        .filter(|l| {
            l.split_once(']')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(name))
        })
        .map(|l| l[..5].to_string())
        .collect()
}

#[test]
fn structure_offsets_match_iasl() {
    if !common::have_tool("iasl") {
        return;
    }
    for p in all_golden() {
        let d = tempfile::tempdir().unwrap();
        let copy = d.path().join("t.dat");
        std::fs::copy(&p, &copy).unwrap();
        let st = Command::new("iasl")
            .arg("-d")
            .arg(&copy)
            .current_dir(d.path())
            .output()
            .unwrap();
        assert!(st.status.success(), "iasl -d {}", p.display());
        let dsl = std::fs::read_to_string(d.path().join("t.dsl")).unwrap();
        let ours = stdout(&vnuma(&["inspect", p.to_str().unwrap()]));
        for name in ["Subtable Type", "Structure Type", "Entry"] {
            assert_eq!(
                offsets_of(&ours, name),
                offsets_of(&dsl, name),
                "{name} offsets of {}",
                p.display()
            );
        }
        assert!(!offsets_of(&ours, "Signature").is_empty());
    }
}

/// JSON that would encode into a different structure is refused, naming the entry:
/// an unknown entry whose bytes disagree with its type or Length, a raw device
/// handle that is not 16 bytes, a locality matrix of the wrong shape, a SLIT row
/// of the wrong length.
#[test]
fn encode_refuses_inconsistent_raw_structures() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.json");
    let out = d.path().join("out");
    let run = |doc: &Value| {
        std::fs::write(&p, serde_json::to_vec(doc).unwrap()).unwrap();
        let e = vnuma(&["encode", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(e.status.code(), Some(1), "{doc}");
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);
        stderr(&e)
    };
    let srat = json(&vnuma(&["inspect", "--json", golden(GX).to_str().unwrap()]));

    let mut v = srat.clone();
    // Type 9, Length 4, but only 3 bytes.
    v["tables"][0]["entries"][0] =
        serde_json::json!({"type": "unknown", "subtable_type": 9, "bytes": "090400"});
    let msg = run(&v);
    assert!(
        msg.contains("entries[0]") && msg.contains("Length byte is 4"),
        "{msg}"
    );

    let mut v = srat.clone();
    v["tables"][0]["entries"][0] =
        serde_json::json!({"type": "unknown", "subtable_type": 9, "bytes": "0a02"});
    assert!(run(&v).contains("subtable_type is 9"));

    let mut v = srat.clone();
    let gi = v["tables"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["type"] == "generic_initiator")
        .unwrap();
    v["tables"][0]["entries"][gi]["device_handle"] =
        serde_json::json!({"raw": {"handle_type": 7, "bytes": "0011"}});
    let msg = run(&v);
    assert!(
        msg.contains(&format!("entries[{gi}]")) && msg.contains("16"),
        "{msg}"
    );

    let mut v = json(&vnuma(&[
        "inspect",
        "--json",
        golden("x86/q35/HMAT.acpihmat-generic-x").to_str().unwrap(),
    ]));
    let loc = v["tables"][0]["structures"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["type"] == "locality_latency_bandwidth")
        .unwrap();
    v["tables"][0]["structures"][loc]["entries"][0]
        .as_array_mut()
        .unwrap()
        .pop();
    let msg = run(&v);
    assert!(
        msg.contains(&format!("structures[{loc}]")) && msg.contains("entries[0]"),
        "{msg}"
    );

    let mut v = json(&vnuma(&[
        "inspect",
        "--json",
        golden("x86/q35/SLIT.cphp").to_str().unwrap(),
    ]));
    v["tables"][0]["distances"][1]
        .as_array_mut()
        .unwrap()
        .push(Value::from(30));
    assert!(run(&v).contains("distances[1]: 3 values in a 2×2 matrix"));
}
