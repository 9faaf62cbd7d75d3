//! The planner's libvirt emitter against libvirt 12.9 and QEMU 11.1 (the trixie
//! root of `.ci/setup-trixie`): the domain XML validates (`virt-xml-validate`),
//! `virsh domxml-to-native` turns it into a command line whose GI objects are the
//! plan's, and the legacy form's line, run by the live QEMU 11.1.3 with a
//! pci-testdev in place of each vfio-pci, gives SRAT GI entries in ascending node
//! order and the planned SLIT. Plans: tests/plans (GH200, GB200 tray). With
//! CI=true a missing peer fails instead of skipping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plans;

use std::path::Path;
use std::process::Command;
use vnuma::live::args::read_libvirt_log;
use vnuma::live::dump::{DumpRequest, dump};
use vnuma::plan::GuestPlan;
use vnuma::plan::emit::libvirt::{
    DomainType, Form, LibvirtError, LibvirtOptions, emit_libvirt, legacy_gi_objects,
    legacy_object_keys,
};
use vnuma::plan::ids::Key;
use vnuma::topology::MachineKind;

const TRIXIE: &str = "/var/cache/vnuma-trixie";

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

/// The SLIT's matrix (ACPI 6.5 §5.2.17: header, u64 count, count² bytes).
fn slit_matrix(slit: &[u8]) -> Vec<Vec<u8>> {
    let n = u64::from_le_bytes(slit[36..44].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| slit[44 + i * n..44 + (i + 1) * n].to_vec())
        .collect()
}

fn have_trixie_peers() -> bool {
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
struct Daemon(bool);

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0 {
            let _ = Command::new(format!("{TRIXIE}/bin/libvirt-stop")).status();
        }
    }
}

fn daemon_running() -> bool {
    std::fs::read_to_string(format!("{TRIXIE}/root/run/libvirtd.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|p| Path::new(&format!("/proc/{p}")).exists())
}

/// Serializes this file's tests that use the daemon (the first to finish would
/// stop a daemon the other still uses).
static PEERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start_daemon() -> Daemon {
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
fn validate(name: &str, xml: &str) {
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
fn to_native(dir: &Path, name: &str, xml: &str) -> Vec<String> {
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
fn gi_objects(args: &[String]) -> Vec<(String, String, u32)> {
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
fn runnable(args: &[String], vars: &str) -> Vec<String> {
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
fn live(name: &str, machine: MachineKind, args: &[String]) -> (Vec<u32>, Vec<Vec<u8>>) {
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

fn cases() -> Vec<(&'static str, GuestPlan)> {
    vec![
        ("gh200-q35", plans::gh200(MachineKind::Q35, 11)),
        ("gh200-virt", plans::gh200(MachineKind::Virt, 11)),
        ("gb200-q35", plans::gb200(MachineKind::Q35)),
        ("gb200-virt", plans::gb200(MachineKind::Virt)),
        ("gh200-old-fw-q35", plans::gh200(MachineKind::Q35, 255)),
    ]
}

fn opts(name: &str, form: Form, numatune: bool) -> LibvirtOptions {
    LibvirtOptions {
        name: name.to_string(),
        form,
        domain_type: DomainType::Qemu,
        numatune,
    }
}

/// The GPU nodes of a plan, ascending, with the GPU's user alias.
fn planned_gis(plan: &GuestPlan) -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = plan
        .gpus
        .iter()
        .flat_map(|g| g.nodes.iter().map(move |&n| (n, format!("ua-{}", g.id))))
        .collect();
    v.sort();
    v
}

#[test]
fn emitted_domains_through_libvirt_and_live_qemu_11_1() {
    if !have_trixie_peers() {
        return;
    }
    let _serial = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    let _daemon = start_daemon();
    let dir = tempfile::tempdir().unwrap();
    for (case, plan) in cases() {
        for form in [Form::NodeSet, Form::Legacy] {
            let name = format!(
                "vnuma-plan-{case}-{}",
                if form == Form::Legacy {
                    "legacy"
                } else {
                    "nodeset"
                }
            );
            // With <numatune> it validates; the live run binds no host node (this
            // host has one).
            let tuned = emit_libvirt(&plan, &opts(&name, form, true)).unwrap();
            validate(&name, &tuned.xml);
            // The KVM domain (host-passthrough CPU) validates too.
            let kvm = LibvirtOptions {
                domain_type: DomainType::Kvm,
                ..opts(&name, form, true)
            };
            let kvm = emit_libvirt(&plan, &kvm).unwrap();
            assert!(kvm.xml.contains("<domain type='kvm'"));
            assert!(kvm.xml.contains("<cpu mode='host-passthrough'>"));
            validate(&name, &kvm.xml);
            let dom = emit_libvirt(&plan, &opts(&name, form, false)).unwrap();
            validate(&name, &dom.xml);
            let args = to_native(dir.path(), &name, &dom.xml);
            let ctx = format!("{name}\n{}\n{}", dom.xml, args.join(" "));
            // libvirt's -numa nodes: the plan's cpus and memory.
            for n in &plan.nodes {
                let cpus = if n.cpus.is_empty() {
                    String::new()
                } else {
                    format!(",cpus={}", vnuma::linux::format_list(&n.cpus))
                };
                let mem = if n.memory > 0 {
                    format!(",memdev=ram-node{}", n.node)
                } else {
                    String::new()
                };
                let want = format!("node,nodeid={}{cpus}{mem}", n.node);
                assert!(args.contains(&want), "{want}\n{ctx}");
                if n.memory > 0 {
                    let backend = format!(
                        r#"{{"qom-type":"memory-backend-ram","id":"ram-node{}","size":{}}}"#,
                        n.node, n.memory
                    );
                    assert!(args.contains(&backend), "{backend}\n{ctx}");
                }
            }
            // vfio-pci devices: the host BDF, id = user alias, at addr 0 on a root port.
            for g in &plan.gpus {
                let dev = args
                    .iter()
                    .find(|a| a.contains("\"vfio-pci\"") && a.contains(&format!("\"ua-{}\"", g.id)))
                    .unwrap_or_else(|| panic!("no vfio-pci for {}\n{ctx}", g.id));
                assert!(
                    dev.contains(&format!("\"host\":\"{}\"", g.host_bdf)),
                    "{ctx}"
                );
                assert!(dev.contains("\"addr\":\"0x0\""), "{ctx}");
            }
            // The GPU's PCIe place: q35 root port i at pcie.0 slot 0x10+i; virt pxb i
            // with bus_nr 32·(i+1) on the GPU's socket (GB200: GPU g on socket g/2).
            for (i, g) in plan.gpus.iter().enumerate() {
                let dev = |needle: &str| {
                    args.iter()
                        .find(|a| a.contains(needle))
                        .map(|a| serde_json::from_str::<serde_json::Value>(a).unwrap())
                        .unwrap_or_else(|| panic!("no {needle}\n{ctx}"))
                };
                let vfio = dev(&format!("\"id\":\"ua-{}\"", g.id));
                let port = dev(&format!("\"id\":\"{}\"", vfio["bus"].as_str().unwrap()));
                assert_eq!(port["driver"], "pcie-root-port", "{ctx}");
                match plan.machine {
                    MachineKind::Virt => {
                        let pxb = dev(&format!("\"id\":\"{}\"", port["bus"].as_str().unwrap()));
                        assert_eq!(pxb["driver"], "pxb-pcie", "{ctx}");
                        assert_eq!(pxb["bus_nr"], 32 * (i + 1), "{ctx}");
                        let socket = if case.starts_with("gb200") { i / 2 } else { 0 };
                        assert_eq!(pxb["numa_node"], socket, "{ctx}");
                    }
                    _ => {
                        assert_eq!(port["bus"], "pcie.0", "{ctx}");
                        assert_eq!(port["addr"], format!("0x{:x}", 0x10 + i), "{ctx}");
                    }
                }
            }
            // Nothing else on the PCIe tree (no USB controller, no balloon).
            let devices: Vec<&String> = args
                .windows(2)
                .filter(|w| w[0] == "-device")
                .map(|w| &w[1])
                .collect();
            let per_gpu = if plan.machine == MachineKind::Virt {
                3
            } else {
                2
            };
            assert_eq!(devices.len(), per_gpu * plan.gpus.len(), "{ctx}");
            let gis = gi_objects(&args);
            // Every other /objects key libvirt writes is the emitter's model of them.
            let others: Vec<String> = args
                .windows(2)
                .filter(|w| w[0] == "-object" && !w[1].contains("acpi-generic-initiator"))
                .map(|w| {
                    serde_json::from_str::<serde_json::Value>(&w[1]).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            let model: Vec<String> = legacy_object_keys(&plan, 0)
                .into_iter()
                .map(|k| match k {
                    Key::Fixed(s) => s,
                    Key::Chosen(_) => unreachable!(),
                })
                .collect();
            // In command-line order (masterKey0, ram-nodeN…, monitor).
            assert_eq!(others, model, "{ctx}");
            if plan.nodes.iter().all(|n| n.memory == 0 || n.host_node == 0) {
                // <numatune> through libvirt (this host has node 0 only).
                let tuned_args = to_native(dir.path(), &name, &tuned.xml);
                for n in plan.nodes.iter().filter(|n| n.memory > 0) {
                    let b = format!(
                        r#"{{"qom-type":"memory-backend-ram","id":"ram-node{}","size":{},"host-nodes":[0],"policy":"bind"}}"#,
                        n.node, n.memory
                    );
                    assert!(tuned_args.contains(&b), "{b}\n{}", tuned_args.join(" "));
                }
            }
            let mut got: Vec<(u32, String)> = gis
                .iter()
                .map(|(_, dev, node)| (*node, dev.clone()))
                .collect();
            got.sort();
            assert_eq!(got, planned_gis(&plan), "{ctx}");
            match form {
                Form::NodeSet => {
                    assert!(dom.generic_initiators.is_empty());
                    assert!(dom.xml.contains("daemon-wide counter"), "{ctx}");
                    // libvirt's own counter ids.
                    assert!(gis.iter().all(|(id, _, _)| id.starts_with("gi")), "{ctx}");
                }
                Form::Legacy => {
                    let ours: Vec<(String, String, u32)> = dom
                        .generic_initiators
                        .iter()
                        .map(|g| (g.id.clone(), g.pci_dev.clone(), g.node))
                        .collect();
                    assert_eq!(gis, ours, "{ctx}");
                    let (pxms, slit) = live(&name, plan.machine, &args);
                    let want: Vec<u32> = planned_gis(&plan).iter().map(|g| g.0).collect();
                    assert_eq!(pxms, want, "SRAT GI order (live QEMU 11.1)\n{ctx}");
                    assert_eq!(slit, plan.distances, "SLIT (live QEMU 11.1)\n{ctx}");
                    let ids: Vec<&str> = gis.iter().map(|g| g.0.as_str()).collect();
                    eprintln!("{name}: ids {ids:?} → live SRAT GI order {pxms:?}");
                }
            }
        }
    }
}

/// The nodeset form's GI order follows libvirt's counter: the same domain's line
/// with the ids libvirt gives on later starts (gi38…, gi100…; the counter values
/// of ../shared/ecosystem-facts.md) gives another SRAT order on the live QEMU.
#[test]
fn nodeset_form_order_moves_with_libvirts_counter() {
    if !have_trixie_peers() {
        return;
    }
    let _serial = PEERS.lock().unwrap_or_else(|e| e.into_inner());
    let _daemon = start_daemon();
    let dir = tempfile::tempdir().unwrap();
    let plan = plans::gh200(MachineKind::Q35, 11);
    let name = "vnuma-plan-counter";
    let dom = emit_libvirt(&plan, &opts(name, Form::NodeSet, false)).unwrap();
    let args = to_native(dir.path(), name, &dom.xml);
    let mut orders = Vec::new();
    for k in [0u32, 38, 100] {
        let shifted: Vec<String> = args
            .iter()
            .map(|a| {
                if !a.contains("acpi-generic-initiator") {
                    return a.clone();
                }
                let (head, tail) = a.split_once("\"id\":\"gi").unwrap();
                let (n, rest) = tail.split_once('"').unwrap();
                format!("{head}\"id\":\"gi{}\"{rest}", n.parse::<u32>().unwrap() + k)
            })
            .collect();
        let (pxms, _) = live(name, plan.machine, &shifted);
        let mut sorted = pxms.clone();
        sorted.sort();
        assert_eq!(sorted, (1..=8).collect::<Vec<u32>>());
        orders.push(pxms);
    }
    eprintln!("nodeset form, GI order at counter 0/38/100: {orders:?}");
    assert!(
        orders.iter().any(|o| o != &orders[0]),
        "the counter did not move the order: {orders:?}"
    );
    // The legacy form of the same plan: ascending (checked live above).
    let gis = legacy_gi_objects(&plan).unwrap();
    assert_eq!(
        gis.iter().map(|g| g.node).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
}

#[test]
fn refusals_are_typed() {
    let mut plan = plans::gh200(MachineKind::Pc, 11);
    assert_eq!(
        emit_libvirt(&plan, &LibvirtOptions::default()).unwrap_err(),
        LibvirtError::Machine("pc")
    );
    plan.machine = MachineKind::Q35;
    plan.gpus[0].id = "gpu 0".into();
    assert!(matches!(
        emit_libvirt(&plan, &LibvirtOptions::default()),
        Err(LibvirtError::GpuId(_))
    ));
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.distances.pop();
    assert!(matches!(
        emit_libvirt(&plan, &LibvirtOptions::default()),
        Err(LibvirtError::Distances { nodes: 9 })
    ));
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.nodes[0].memory += 1;
    assert!(matches!(
        emit_libvirt(&plan, &LibvirtOptions::default()),
        Err(LibvirtError::Memory { node: 0, .. })
    ));
    let plan = plans::gh200(MachineKind::Q35, 11);
    let bad = LibvirtOptions {
        name: String::new(),
        ..LibvirtOptions::default()
    };
    assert_eq!(emit_libvirt(&plan, &bad).unwrap_err(), LibvirtError::Name);
    // A name with XML characters is escaped; the 255 distance is reported.
    let plan = plans::gh200(MachineKind::Q35, 255);
    let o = LibvirtOptions {
        name: "a<b>&'c\"".into(),
        ..LibvirtOptions::default()
    };
    let d = emit_libvirt(&plan, &o).unwrap();
    assert!(
        d.xml.contains("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>"),
        "{}",
        d.xml
    );
    assert!(d.notes.iter().any(|n| n.contains("255")), "{:?}", d.notes);
}
