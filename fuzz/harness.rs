//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by
//! the stable replay test (`tests/fuzz_replay.rs`), which runs every committed corpus and
//! regression input through the same functions on every `cargo test`.
#![allow(dead_code)]

use vnuma::lint::{LoadedTable, lint};
use vnuma::report::{findings_text, json_report, table_text};
use vnuma_acpi::{Hmat, Slit, Srat, Table};

/// A harness: panics when a property breaks.
pub type Harness = fn(&[u8]);

/// Every harness, by target name (the corpus folder's name).
pub const TARGETS: &[(&str, Harness)] = &[
    ("table_decode", table_decode),
    ("roundtrip", roundtrip),
    ("json_encode", json_encode),
    ("inspect", inspect),
    ("qemu_args", qemu_args),
    ("topology_toml", topology_toml),
    ("sysfs", sysfs),
    ("host", host),
];

/// Every decoder on arbitrary bytes: no panic, and an error's offset lies inside the input.
pub fn table_decode(data: &[u8]) {
    let checks = [
        Table::decode(data).err(),
        Srat::decode(data).err(),
        Slit::decode(data).err(),
        Hmat::decode(data).err(),
    ];
    for e in checks.into_iter().flatten() {
        assert!(
            e.offset <= data.len(),
            "offset {} past {} bytes",
            e.offset,
            data.len()
        );
    }
    let _ = vnuma_acpi::split_tables(data);
}

/// decode → encode → decode gives the same table, and re-encoding is byte-stable.
pub fn roundtrip(data: &[u8]) {
    if let Ok(t) = Table::decode(data) {
        let bytes = t.encode();
        let again = Table::decode(&bytes).expect("an encoded table decodes");
        // Length and checksum are recomputed on encode; everything else survives.
        let mut a = t.clone();
        let mut b = again.clone();
        for h in [a.header_mut(), b.header_mut()] {
            h.length = 0;
            h.checksum = 0;
        }
        assert_eq!(a, b);
        assert_eq!(again.encode(), bytes);
    }
}

/// The JSON form of `vnuma encode`: arbitrary JSON never panics; what is accepted encodes
/// into a table that decodes again.
pub fn json_encode(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(t) = Table::from_json(v) {
        let bytes = t.encode();
        assert!(
            Table::decode(&bytes).is_ok(),
            "accepted JSON encodes to undecodable bytes"
        );
    }
}

/// What `vnuma inspect` does with table files: decode, lint (the findings and the Linux
/// node numbering), the iasl-style text and the JSON view. A blob of several tables is
/// split at each header's Length, as a table directory would hold them.
pub fn inspect(data: &[u8]) {
    let tables: Vec<LoadedTable> = match vnuma_acpi::split_tables(data) {
        Ok(parts) if !parts.is_empty() => parts
            .into_iter()
            .map(|(_, b)| LoadedTable::decode(None, b.to_vec()))
            .collect(),
        _ => vec![LoadedTable::decode(None, data.to_vec())],
    };
    let report = lint(&tables);
    for t in &tables {
        let _ = table_text(t);
    }
    let _ = findings_text(&report);
    let _ = json_report(&tables, &report);
}

/// The QEMU command-line front end: arguments are the input split at NUL or newline bytes
/// (both option syntaxes, as `--args-file` would give them). Never a panic; an accepted
/// command line becomes tables.
pub fn qemu_args(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args: Vec<String> = text
        .split(['\0', '\n'])
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    if args.len() > 256 {
        return;
    }
    let _ = vnuma::front::qemu::report::qemu_report(&args, None);
}

/// The topology file front end (`vnuma build`): arbitrary text never panics.
pub fn topology_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = vnuma::front::file::parse_str(text, "fuzz.toml");
}

/// The guest sysfs parsers of `vnuma verify`: the input is split at 0x1e bytes into a
/// node list (`online`), a `distance` row and a `meminfo`; each parser either accepts
/// or names the file, never panics, and its result stays within the documented limits.
pub fn sysfs(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1e}');
    let path = std::path::Path::new("/sys/devices/system/node/online");
    let max = vnuma::input::MAX_LINUX_NODES;
    let list = parts.next().unwrap_or("");
    if let Ok(ids) = vnuma::verify::parse_id_list(path, list, "online", max) {
        assert!(ids.len() <= max as usize && ids.iter().all(|&i| i < max));
    }
    if let Ok(row) = vnuma::verify::parse_distance(path, parts.next().unwrap_or("")) {
        assert!(row.len() <= vnuma::input::MAX_LINUX_NODES as usize);
    }
    let _ = vnuma::verify::parse_meminfo(path, parts.next().unwrap_or(""));
}

/// The files of the small host tree [`host`] writes, in the order of the input's parts.
pub const HOST_FILES: &[&str] = &[
    "sys/devices/system/node/has_cpu",
    "sys/devices/system/node/has_memory",
    "sys/devices/system/node/has_generic_initiator",
    "sys/devices/system/node/node0/cpulist",
    "sys/devices/system/node/node0/meminfo",
    "sys/devices/system/node/node0/distance",
    "sys/devices/system/node/node1/cpumap",
    "sys/devices/system/node/node1/meminfo",
    "sys/devices/system/node/node1/distance",
    "sys/bus/pci/devices/0009:01:00.0/vendor",
    "sys/bus/pci/devices/0009:01:00.0/device",
    "sys/bus/pci/devices/0009:01:00.0/class",
    "sys/bus/pci/devices/0009:01:00.0/numa_node",
    "proc/driver/nvidia/gpus/0009:01:00.0/numa_status",
    "sys/firmware/acpi/tables/SRAT",
];

/// Host discovery on a tree whose files hold the input's parts (split at 0x1e, in
/// [`HOST_FILES`] order): no panic, a result (the node directory exists), GPU nodes
/// that exist, every warning naming a path under the root, and a text report.
pub fn host(data: &[u8]) {
    // An in-memory tree (no files written per input): the same reader as on disk
    // (tests/host_discovery.rs checks every fixture reads alike both ways).
    let root = std::path::Path::new("/fuzz-host");
    let mut fs = vnuma::front::host::fs::MemFs::default();
    let mut parts = data.split(|&b| b == 0x1e);
    for f in HOST_FILES {
        fs.file(root.join(f), parts.next().unwrap_or_default());
    }
    let r = vnuma::front::host::discover_in(&fs, root, &Default::default());
    let t = r.expect("the node directory exists");
    assert_eq!(t.nodes.len(), 2);
    for g in &t.gpus {
        assert!(g.nodes.iter().all(|&n| t.node(n).is_some()), "{g:?}");
    }
    let prefix = root.display().to_string();
    assert!(t.warnings.iter().all(|w| w.path.starts_with(&prefix)));
    let _ = t.text();
}
