//! The planner's Cloud Hypervisor emitter, parsed back by Cloud Hypervisor's own
//! code (v51.0): its option grammar (`option_parser/src/lib.rs`, copied as
//! tests/peers/cloud_hypervisor/option_parser.rs), its clap definitions of
//! `--cpus`, `--memory`, `--memory-zone`, `--numa`, `--device`
//! (`cloud-hypervisor/src/main.rs`: `num_args(1..)`, default action), the
//! option lists and conversions of `NumaConfig::parse`, `MemoryConfig::parse`
//! (zones) and `DeviceConfig::parse` (`vmm/src/config.rs`), the checks of
//! `NumaConfig::validate` and `Vm::create_numa_nodes` (`vmm/src/vm.rs`), and the
//! SLIT rule of `create_slit_table` (`vmm/src/acpi.rs`: a node's own distance,
//! else the reverse one, else 20; 10 on the diagonal; nodes in guest-id order,
//! which is also the SRAT's, so GPU nodes' Generic Initiators ascend). No Cloud
//! Hypervisor binary is packaged for Debian trixie or trixie-backports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod plans;

#[allow(clippy::all, dead_code)]
#[path = "peers/cloud_hypervisor/option_parser.rs"]
mod option_parser;

use clap::{Arg, Command};
use option_parser::{ByteSized, IntegerList, OptionParser, StringList, Toggle, Tuple};
use std::collections::{BTreeMap, HashMap};
use vnuma::plan::GuestPlan;
use vnuma::plan::emit::cloud_hypervisor::{ChError, ChOptions, emit_cloud_hypervisor};
use vnuma::topology::MachineKind;

/// Cloud Hypervisor v51's clap definitions of the options the emitter writes.
fn app() -> Command {
    Command::new("cloud-hypervisor").args([
        Arg::new("cpus").long("cpus"),
        Arg::new("memory").long("memory"),
        Arg::new("memory-zone").long("memory-zone").num_args(1..),
        Arg::new("numa").long("numa").num_args(1..),
        Arg::new("device").long("device").num_args(1..),
    ])
}

#[derive(Debug, Default)]
struct Node {
    cpus: Vec<u32>,
    zones: Vec<String>,
    device: Option<String>,
    distances: Vec<(u32, u8)>,
}

/// What Cloud Hypervisor would build from the arguments.
#[derive(Debug)]
struct Parsed {
    boot_vcpus: u32,
    memory_size: u64,
    zones: HashMap<String, (u64, Option<u32>)>,
    nodes: BTreeMap<u32, Node>,
    devices: HashMap<String, String>,
}

fn parser(names: &[&str], value: &str) -> OptionParser {
    let mut p = OptionParser::new();
    for n in names {
        p.add(n);
    }
    p.parse(value).unwrap_or_else(|e| panic!("{value}: {e}"));
    p
}

fn parse(args: &[String]) -> Parsed {
    let m = app()
        .try_get_matches_from(
            std::iter::once("cloud-hypervisor".to_string()).chain(args.iter().cloned()),
        )
        .unwrap_or_else(|e| panic!("clap: {e}"));
    let many = |id: &str| -> Vec<String> {
        m.get_many::<String>(id)
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    };
    // CpusConfig / MemoryConfig (only the options written).
    let cpus = parser(&["boot"], m.get_one::<String>("cpus").unwrap());
    let memory = parser(&["size"], m.get_one::<String>("memory").unwrap());
    let mut zones = HashMap::new();
    for z in many("memory-zone") {
        let p = parser(
            &[
                "id",
                "size",
                "file",
                "shared",
                "hugepages",
                "hugepage_size",
                "host_numa_node",
                "hotplug_size",
                "hotplugged_size",
                "prefault",
            ],
            &z,
        );
        let id = p.get("id").expect("zone id");
        let size = p
            .convert::<ByteSized>("size")
            .unwrap()
            .expect("zone size")
            .0;
        let host = p.convert::<u32>("host_numa_node").unwrap();
        assert!(zones.insert(id, (size, host)).is_none(), "zone {z} twice");
    }
    let mut nodes = BTreeMap::new();
    for v in many("numa") {
        let p = parser(
            &[
                "guest_numa_id",
                "cpus",
                "distances",
                "device_id",
                "memory_zones",
                "pci_segments",
            ],
            &v,
        );
        let id = p
            .convert::<u32>("guest_numa_id")
            .unwrap()
            .expect("guest_numa_id");
        let cpus = p
            .convert::<IntegerList>("cpus")
            .unwrap()
            .map(|l| l.0.iter().map(|&c| c as u32).collect::<Vec<_>>());
        let distances = p
            .convert::<Tuple<u64, u64>>("distances")
            .unwrap()
            .map(|t| t.0.iter().map(|&(d, v)| (d as u32, v as u8)).collect())
            .unwrap_or_default();
        let device = p.get("device_id");
        let memory_zones = p
            .convert::<StringList>("memory_zones")
            .unwrap()
            .map(|l| l.0);
        // NumaConfig::parse + validate.
        match (&device, &cpus, &memory_zones) {
            (Some(d), None, None) => assert!(!d.is_empty()),
            (None, Some(c), _) => assert!(!c.is_empty(), "{v}"),
            (None, None, Some(z)) => assert!(!z.is_empty(), "{v}"),
            _ => panic!("invalid numa config {v}"),
        }
        let n = Node {
            cpus: cpus.unwrap_or_default(),
            zones: memory_zones.unwrap_or_default(),
            device,
            distances,
        };
        assert!(nodes.insert(id, n).is_none(), "node {id} twice");
    }
    let mut devices = HashMap::new();
    for d in many("device") {
        let p = parser(
            &[
                "path",
                "id",
                "iommu",
                "pci_segment",
                "x_nv_gpudirect_clique",
            ],
            &d,
        );
        assert!(p.convert::<Toggle>("iommu").unwrap().unwrap().0);
        devices.insert(
            p.get("id").expect("device id"),
            p.get("path").expect("path"),
        );
    }
    // create_numa_nodes: destinations exist and are set once, zones exist and
    // belong to one node; device ids name a --device.
    let mut owner = HashMap::new();
    for (id, n) in &nodes {
        let mut seen = Vec::new();
        for (dest, _) in &n.distances {
            assert!(nodes.contains_key(dest), "unknown destination {dest}");
            assert!(!seen.contains(dest), "destination {dest} set twice");
            seen.push(*dest);
        }
        for z in &n.zones {
            assert!(zones.contains_key(z), "unknown zone {z}");
            assert!(owner.insert(z.clone(), *id).is_none(), "zone {z} twice");
        }
        if let Some(d) = &n.device {
            assert!(devices.contains_key(d), "unknown device {d}");
        }
    }
    Parsed {
        boot_vcpus: cpus.convert::<u32>("boot").unwrap().unwrap(),
        memory_size: memory.convert::<ByteSized>("size").unwrap().unwrap().0,
        zones,
        nodes,
        devices,
    }
}

/// The clap definitions refuse a second `--numa` (so the emitter writes one).
#[test]
fn clap_refuses_a_repeated_flag() {
    let r = app().try_get_matches_from([
        "cloud-hypervisor",
        "--numa",
        "guest_numa_id=0",
        "--numa",
        "guest_numa_id=1",
    ]);
    let e = r.unwrap_err().to_string();
    assert!(e.contains("cannot be used multiple times"), "{e}");
}

/// create_slit_table.
fn slit(p: &Parsed) -> Vec<Vec<u8>> {
    p.nodes
        .iter()
        .map(|(i, n)| {
            p.nodes
                .keys()
                .map(|j| {
                    if i == j {
                        10
                    } else if let Some((_, d)) = n.distances.iter().find(|(k, _)| k == j) {
                        *d
                    } else {
                        p.nodes[j]
                            .distances
                            .iter()
                            .find(|(k, _)| k == i)
                            .map_or(20, |(_, d)| *d)
                    }
                })
                .collect()
        })
        .collect()
}

fn check(plan: &GuestPlan, bind: bool) {
    let cmd = emit_cloud_hypervisor(
        plan,
        &ChOptions {
            bind_host_nodes: bind,
        },
    )
    .unwrap();
    let p = parse(&cmd.args);
    let ctx = cmd.shell("cloud-hypervisor");
    assert_eq!(p.memory_size, 0, "{ctx}");
    let vcpus: usize = plan.nodes.iter().map(|n| n.cpus.len()).sum();
    assert_eq!(p.boot_vcpus as usize, vcpus, "{ctx}");
    // Nodes: the plan's, by id (SRAT order = guest id order, so GIs ascend).
    assert_eq!(
        p.nodes.keys().copied().collect::<Vec<_>>(),
        plan.nodes.iter().map(|n| n.node).collect::<Vec<_>>(),
        "{ctx}"
    );
    for n in &plan.nodes {
        let c = &p.nodes[&n.node];
        assert_eq!(c.cpus, n.cpus, "node {} cpus\n{ctx}", n.node);
        let mem: u64 = c.zones.iter().map(|z| p.zones[z].0).sum();
        assert_eq!(mem, n.memory, "node {} memory\n{ctx}", n.node);
        for z in &c.zones {
            assert_eq!(p.zones[z].1, bind.then_some(n.host_node), "{ctx}");
        }
        let want_dev = plan
            .gpus
            .iter()
            .find(|g| g.nodes.contains(&n.node))
            .map(|g| g.id.clone());
        assert_eq!(c.device, want_dev, "node {} device\n{ctx}", n.node);
        if let Some(d) = &c.device {
            let gpu = plan.gpus.iter().find(|g| &g.id == d).unwrap();
            assert_eq!(n.generic_initiator, Some(gpu.host_bdf));
            assert_eq!(
                p.devices[d],
                format!("/sys/bus/pci/devices/{}", gpu.host_bdf),
                "{ctx}"
            );
        }
    }
    assert_eq!(p.devices.len(), plan.gpus.len());
    assert_eq!(slit(&p), plan.distances, "SLIT\n{ctx}");
    // The printed command: every bracketed value quoted for the shell.
    for a in cmd.args.iter().filter(|a| a.contains('[')) {
        assert!(ctx.contains(&format!("'{a}'")), "{a} unquoted\n{ctx}");
    }
}

#[test]
fn options_parse_back_to_the_plan() {
    for m in [MachineKind::Q35, MachineKind::Virt] {
        for bind in [true, false] {
            check(&plans::gh200(m, 11), bind);
            check(&plans::gh200(m, 255), bind);
            check(&plans::gb200(m), bind);
        }
    }
    // Uneven vCPUs and a memory-only node.
    let mut plan = plans::build(
        MachineKind::Q35,
        &[(3, 768), (1, 256), (0, 512)],
        &[("0000:41:00.0", 0x2342, 2)],
        |i, j| 20 + (i + j) as u8,
    );
    plan.nodes[2].cpus.clear();
    check(&plan, true);
}

#[test]
fn gh200_example_text() {
    // The whole GH200 command, as printed (Cloud Hypervisor docs/memory.md form).
    let cmd =
        emit_cloud_hypervisor(&plans::gh200(MachineKind::Virt, 11), &ChOptions::default()).unwrap();
    let s = cmd.shell("cloud-hypervisor");
    assert!(s.starts_with("cloud-hypervisor \\\n  --cpus boot=4 \\\n  --memory size=0 \\\n  --memory-zone id=mem0,size=1G,host_numa_node=0 \\\n  --numa 'guest_numa_id=0,cpus=[0-3],memory_zones=[mem0],distances=[1@80,2@80,3@80,4@80,5@80,6@80,7@80,8@80]' 'guest_numa_id=1,device_id=gpu0,distances=[0@80,2@11,3@11,4@11,5@11,6@11,7@11,8@11]'"), "{s}");
    assert!(
        s.ends_with("\\\n  --device id=gpu0,path=/sys/bus/pci/devices/0009:01:00.0,iommu=on\n"),
        "{s}"
    );
    assert!(
        cmd.notes
            .iter()
            .any(|n| n.contains("device 0 is its host bridge"))
    );
}

#[test]
fn refusals_are_typed() {
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.nodes[1].memory = 1 << 20;
    assert_eq!(
        emit_cloud_hypervisor(&plan, &ChOptions::default()).unwrap_err(),
        ChError::GpuNodeNotEmpty {
            node: 1,
            gpu: "gpu0".into()
        }
    );
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.gpus[0].id = "gpu,0".into();
    assert!(matches!(
        emit_cloud_hypervisor(&plan, &ChOptions::default()),
        Err(ChError::GpuId(_))
    ));
    let mut plan = plans::gb200(MachineKind::Q35);
    plan.gpus[1].nodes.push(2);
    assert_eq!(
        emit_cloud_hypervisor(&plan, &ChOptions::default()).unwrap_err(),
        ChError::SharedNode(2)
    );
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.gpus[0].nodes.push(40);
    assert!(matches!(
        emit_cloud_hypervisor(&plan, &ChOptions::default()),
        Err(ChError::GpuNode { node: 40, .. })
    ));
    let mut plan = plans::gh200(MachineKind::Q35, 11);
    plan.gpus.clear();
    assert_eq!(
        emit_cloud_hypervisor(&plan, &ChOptions::default()).unwrap_err(),
        ChError::EmptyNode(1)
    );
}
