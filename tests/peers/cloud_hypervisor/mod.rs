//! Cloud Hypervisor v51's own parsing of the options the planner emits, shared by
//! the tests (tests/plan_cloud_hypervisor.rs, tests/plan_acceptance.rs): its option
//! grammar (`option_parser/src/lib.rs`, copied as option_parser.rs), its clap
//! definitions of `--cpus`, `--memory`, `--memory-zone`, `--numa`, `--device`
//! (`cloud-hypervisor/src/main.rs`), the option lists and conversions of
//! `NumaConfig::parse`, `MemoryConfig::parse` and `DeviceConfig::parse`
//! (`vmm/src/config.rs`), the checks of `NumaConfig::validate` and
//! `Vm::create_numa_nodes` (`vmm/src/vm.rs`), and `create_slit_table`
//! (`vmm/src/acpi.rs`).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(clippy::all, dead_code)]
pub mod option_parser;

use clap::{Arg, Command};
use option_parser::{ByteSized, IntegerList, OptionParser, StringList, Toggle, Tuple};
use std::collections::{BTreeMap, HashMap};

/// Cloud Hypervisor v51's clap definitions of the options the emitter writes.
pub fn app() -> Command {
    Command::new("cloud-hypervisor").args([
        Arg::new("cpus").long("cpus"),
        Arg::new("memory").long("memory"),
        Arg::new("memory-zone").long("memory-zone").num_args(1..),
        Arg::new("numa").long("numa").num_args(1..),
        Arg::new("device").long("device").num_args(1..),
    ])
}

#[derive(Debug, Default)]
pub struct Node {
    pub cpus: Vec<u32>,
    pub zones: Vec<String>,
    pub device: Option<String>,
    pub distances: Vec<(u32, u8)>,
}

/// What Cloud Hypervisor would build from the arguments.
#[derive(Debug)]
pub struct Parsed {
    pub boot_vcpus: u32,
    pub memory_size: u64,
    pub zones: HashMap<String, (u64, Option<u32>)>,
    pub nodes: BTreeMap<u32, Node>,
    pub devices: HashMap<String, String>,
}

fn parser(names: &[&str], value: &str) -> OptionParser {
    let mut p = OptionParser::new();
    for n in names {
        p.add(n);
    }
    p.parse(value).unwrap_or_else(|e| panic!("{value}: {e}"));
    p
}

pub fn parse(args: &[String]) -> Parsed {
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

/// create_slit_table.
pub fn slit(p: &Parsed) -> Vec<Vec<u8>> {
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
