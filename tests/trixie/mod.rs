//! libvirt 12.9 and QEMU 11.1.3 in the trixie root of `.ci/setup-trixie`, shared by
//! the tests (tests/plan_libvirt.rs, tests/plan_acceptance.rs): peer checks (with
//! CI=true a missing peer fails), the libvirt daemon, `virt-xml-validate`,
//! `virsh domxml-to-native`, and libvirt's line made runnable on the live QEMU 11.1.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;
use vnuma::live::args::read_libvirt_log;
use vnuma::live::dump::{DumpRequest, dump};
use vnuma::topology::MachineKind;

pub const TRIXIE: &str = "/var/cache/vnuma-trixie";

/// The PXMs of the SRAT's Generic Initiator entries, in table order.
pub fn gi_pxms(srat: &[u8]) -> Vec<u32> {
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

/// The SLIT's matrix (ACPI 6.5 §5.2.17: header, u64 count, count² bytes).
pub fn slit_matrix(slit: &[u8]) -> Vec<Vec<u8>> {
    let n = u64::from_le_bytes(slit[36..44].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| slit[44 + i * n..44 + (i + 1) * n].to_vec())
        .collect()
}

pub fn have_trixie_peers() -> bool {
    let bin = Path::new(TRIXIE).join("bin");
    let ok = [
        "virsh",
        "libvirt-start",
        "libvirt-stop",
        "qemu-system-x86_64",
        "qemu-system-aarch64",
    ]
    .iter()
    .all(|t| bin.join(t).exists())
        && Path::new(TRIXIE)
            .join("root/.vnuma-trixie-complete")
            .exists()
        && Path::new(TRIXIE)
            .join("root/usr/bin/virt-xml-validate")
            .exists()
        && Command::new("id")
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

/// Stops libvirtd when dropped, if this test started it.
pub struct Daemon(pub bool);

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0 {
            let _ = Command::new(format!("{TRIXIE}/bin/libvirt-stop")).status();
        }
    }
}

pub fn daemon_running() -> bool {
    std::fs::read_to_string(format!("{TRIXIE}/root/run/libvirtd.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|p| Path::new(&format!("/proc/{p}")).exists())
}

/// Serializes this file's tests that use the daemon (the first to finish would
/// stop a daemon the other still uses).
pub static PEERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn start_daemon() -> Daemon {
    let started = !daemon_running();
    assert!(
        Command::new(format!("{TRIXIE}/bin/libvirt-start"))
            .status()
            .unwrap()
            .success(),
        "libvirt-start"
    );
    Daemon(started)
}

/// `virt-xml-validate` (libvirt 12.9) inside the root.
pub fn validate(name: &str, xml: &str) {
    let in_root = format!("{TRIXIE}/root/tmp/{name}.xml");
    std::fs::write(&in_root, xml).unwrap();
    let v = Command::new("chroot")
        .args([&format!("{TRIXIE}/root"), "virt-xml-validate"])
        .arg(format!("/tmp/{name}.xml"))
        .arg("domain")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&in_root);
    assert!(
        v.status.success(),
        "virt-xml-validate: {}{}\n{xml}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// `virsh domxml-to-native qemu-argv`: the QEMU arguments.
pub fn to_native(dir: &Path, name: &str, xml: &str) -> Vec<String> {
    let xml_path = dir.join(format!("{name}.xml"));
    std::fs::write(&xml_path, xml).unwrap();
    let o = Command::new(format!("{TRIXIE}/bin/virsh"))
        .args(["domxml-to-native", "qemu-argv"])
        .arg(&xml_path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "virsh: {}\n{xml}",
        String::from_utf8_lossy(&o.stderr)
    );
    let argv = dir.join(format!("{name}.argv"));
    std::fs::write(&argv, &o.stdout).unwrap();
    read_libvirt_log(&argv).unwrap().args
}

/// The `acpi-generic-initiator` objects of a line, in order: (id, pci-dev, node),
/// from libvirt's JSON or our keyval `-object`.
pub fn gi_objects(args: &[String]) -> Vec<(String, String, u32)> {
    let mut out = Vec::new();
    for w in args.windows(2) {
        if w[0] != "-object" || !w[1].contains("acpi-generic-initiator") {
            continue;
        }
        let v = &w[1];
        if v.starts_with('{') {
            let j: serde_json::Value = serde_json::from_str(v).unwrap();
            out.push((
                j["id"].as_str().unwrap().to_string(),
                j["pci-dev"].as_str().unwrap().to_string(),
                j["node"].as_u64().unwrap() as u32,
            ));
        } else {
            let kv: std::collections::HashMap<&str, &str> = v
                .split(',')
                .skip(1)
                .map(|p| p.split_once('=').unwrap())
                .collect();
            out.push((
                kv["id"].to_string(),
                kv["pci-dev"].to_string(),
                kv["node"].parse().unwrap(),
            ));
        }
    }
    out
}

/// The libvirt line made runnable here (as tests/libvirt.rs does), every object id
/// kept: vfio-pci → pci-testdev with the same id, bus and addr; the secret gets
/// inline data; the monitor's socket chardev → a null one; the EDK2 variable
/// store becomes `vars` (a path inside the root).
pub fn runnable(args: &[String], vars: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-blockdev" => {
                let v = it.next().unwrap();
                let v = match v.split_once("\"filename\":\"/var/lib/libvirt/qemu/nvram/") {
                    Some((head, tail)) => {
                        let (_, rest) = tail.split_once('"').unwrap();
                        format!("{head}\"filename\":\"{vars}\"{rest}")
                    }
                    None => v.clone(),
                };
                out.extend([w.clone(), v]);
            }
            "-object" | "-device" => {
                let v = it.next().unwrap();
                let v = if v.starts_with('{') && v.contains("\"vfio-pci\"") {
                    let j: serde_json::Value = serde_json::from_str(v).unwrap();
                    format!(
                        r#"{{"driver":"pci-testdev","id":"{}","bus":"{}","addr":"{}"}}"#,
                        j["id"].as_str().unwrap(),
                        j["bus"].as_str().unwrap(),
                        j["addr"].as_str().unwrap()
                    )
                } else if v.contains("\"qom-type\":\"secret\"") {
                    let (head, _) = v.split_once(",\"file\":").unwrap();
                    format!("{head},\"data\":\"vnuma\"}}")
                } else {
                    v.clone()
                };
                out.extend([w.clone(), v]);
            }
            "-chardev" => {
                let v = it.next().unwrap();
                let v = match v.strip_prefix("socket,") {
                    Some(rest) => {
                        let id = rest.split(',').find(|p| p.starts_with("id=")).unwrap();
                        format!("null,{id}")
                    }
                    None => v.clone(),
                };
                out.extend([w.clone(), v]);
            }
            _ => out.push(w.clone()),
        }
    }
    out
}

/// Runs a libvirt line on the live QEMU 11.1.3: (SRAT GI PXMs, SLIT matrix).
pub fn live(name: &str, machine: MachineKind, args: &[String]) -> (Vec<u32>, Vec<Vec<u8>>) {
    let arm = machine == MachineKind::Virt;
    let vars = format!("/tmp/{name}_VARS.fd");
    if arm {
        // The template of the code image libvirt chose (.ms.fd → VARS.ms.fd).
        let code = args
            .iter()
            .find_map(|a| {
                let (_, t) = a.split_once("\"filename\":\"/usr/share/AAVMF/AAVMF_CODE")?;
                Some(t.split_once('"')?.0.to_string())
            })
            .expect("AAVMF code image");
        let template = format!("{TRIXIE}/root/usr/share/AAVMF/AAVMF_VARS{code}");
        std::fs::copy(&template, format!("{TRIXIE}/root{vars}"))
            .unwrap_or_else(|e| panic!("{template}: {e}"));
    }
    let mut req = DumpRequest::new(runnable(args, &vars));
    let arch = if arm { "aarch64" } else { "x86_64" };
    req.qemu = Some(format!("{TRIXIE}/bin/qemu-system-{arch}").into());
    req.timeout = std::time::Duration::from_secs(120);
    let d = dump(&req);
    if arm {
        let _ = std::fs::remove_file(format!("{TRIXIE}/root{vars}"));
    }
    let d = d.unwrap_or_else(|e| panic!("live QEMU 11.1 ({name}): {e}\n{args:?}"));
    (
        gi_pxms(d.srat().expect("SRAT")),
        slit_matrix(d.slit().expect("SLIT")),
    )
}
