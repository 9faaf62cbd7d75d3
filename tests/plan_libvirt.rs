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
mod trixie;

use trixie::{PEERS, gi_objects, have_trixie_peers, live, start_daemon, to_native, validate};
use vnuma::plan::GuestPlan;
use vnuma::plan::emit::libvirt::{
    DomainType, Form, LibvirtError, LibvirtOptions, emit_libvirt, legacy_gi_objects,
    legacy_object_keys,
};
use vnuma::plan::ids::Key;
use vnuma::topology::MachineKind;

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
/// of the facts quoted in tests/fixtures/hosts/README.md) gives another SRAT order on the live QEMU.
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
