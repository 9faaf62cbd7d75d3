//! Unit tests of the topology file front end.

use super::value::parse_num_list;
use super::*;
use crate::acpi::DeviceHandle;
use crate::topology::{Associativity, DataType, MachineKind};

fn examples_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn err(text: &str) -> FileError {
    parse_str(text, "t.toml").expect_err("must fail")
}

#[test]
fn sizes_parse() {
    assert_eq!(parse_size("512M"), Ok(512 << 20));
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    assert_eq!(parse_size("1GiB"), Ok(1 << 30));
    assert_eq!(parse_size("64KB"), Ok(64 << 10));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert!(parse_size("1X").is_err());
    assert!(parse_size("M").is_err());
    assert!(parse_size("99999999999E").is_err());
    assert_eq!(parse_latency("2us"), Ok(2000));
    assert_eq!(parse_num_list("2-4,7"), Ok(vec![2, 3, 4, 7]));
    assert!(parse_num_list("4-2").is_err());
    assert!(parse_num_list("1,1").is_err());
}

#[test]
fn grace_hopper_example() {
    let f = load(&examples_dir().join("grace-hopper.toml")).unwrap();
    let t = &f.topology;
    assert_eq!(t.machine, MachineKind::Q35);
    assert_eq!(t.memory.ram_size, 1 << 30);
    assert_eq!(t.nodes.len(), 10);
    assert_eq!(t.nodes[0].mem, 512 << 20);
    assert_eq!(t.nodes[1].mem, 512 << 20);
    assert!(t.nodes[2..].iter().all(|n| n.mem == 0));
    let nodes: Vec<u32> = t.cpus.iter().map(|c| c.node).collect();
    assert_eq!(nodes, [0, 0, 1, 1]);
    let gi: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
    assert_eq!(gi, (2..10).collect::<Vec<_>>());
    assert_eq!(
        t.generic_initiators[0].handle,
        DeviceHandle::Pci(PciHandle::new(0, 1, 0, 0))
    );
    let d = t.distances.as_ref().unwrap();
    assert_eq!(d[0], [10, 20, 80, 80, 80, 80, 80, 80, 80, 80]);
    assert_eq!(d[9], [80, 80, 20, 20, 20, 20, 20, 20, 20, 10]);
    assert!(!t.hmat);
    assert_eq!(f.smp.sockets, 2);
    assert_eq!(f.smp.cores, 2);
}

#[test]
fn every_example_parses() {
    let mut n = 0;
    for e in std::fs::read_dir(examples_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 4);
}

#[test]
fn hmat_example_values() {
    let f = load(&examples_dir().join("hmat-cache.toml")).unwrap();
    let t = &f.topology;
    assert!(t.hmat);
    assert!(t.hmat_lb.iter().any(|l| l.initiator == 0
        && l.target == 0
        && l.data_type == DataType::AccessLatency
        && l.value == 10));
    assert_eq!(t.hmat_caches.len(), 1);
    assert_eq!(t.hmat_caches[0].associativity, Associativity::Direct);
    assert_eq!(t.nodes[2].initiator, Some(0));
}

#[test]
fn errors_name_line_and_key() {
    let e = err("[machine]\ntype = \"q35\"\n\n[[node]]\nmemory = \"12Q\"\n");
    assert_eq!((e.line, e.key.as_str()), (5, "memory"), "{e}");
    assert!(e.to_string().starts_with("t.toml:5:10: memory: "), "{e}");

    let e = err("[machine]\ntype = \"q36\"\n");
    assert_eq!((e.line, e.column), (2, 8));
    assert_eq!(e.key, "machine.type");
    assert!(e.message.contains("q35"), "{e}");

    let e = err("[machine]\ntype = \"q35\"\nbogus = 1\n");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("unknown field `bogus`"), "{e}");
}

const BASE: &str = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 2\n";

#[test]
fn node_validation() {
    let e = err(&format!(
        "{BASE}[[node]]\nid = 0\nmemory = \"1G\"\ncpus = \"0-1\"\n[[node]]\nid = 2\n"
    ));
    assert!(e.message.contains("node 1 is missing"), "{e}");
    let e = err(&format!(
        "{BASE}[[node]]\nmemory = \"1G\"\ncpus = \"0-2\"\n"
    ));
    assert!(e.message.contains("CPU index (2)"), "{e}");
    assert_eq!(e.line, 7);
    let e = err("[machine]\ntype = \"q35\"\nmemory = \"2G\"\n[[node]]\nmemory = \"1G\"\n");
    assert!(e.message.contains("should equal RAM size"), "{e}");
    assert_eq!(e.key, "machine.memory");
    let e = err(&format!(
        "{BASE}[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nmemory = \"1G\"\n"
    ));
    assert!(e.message.contains("CPU 1 is not assigned"), "{e}");
}

#[test]
fn distance_validation() {
    let two =
        format!("{BASE}[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nmemory = \"1G\"\ncpus = 1\n");
    let e = err(&format!("{two}[distances]\nmatrix = [[10, 20], [20, 9]]\n"));
    assert!(e.message.contains("local distance of node 1"), "{e}");
    assert_eq!(e.key, "distances.matrix[1][1]");
    let e = err(&format!(
        "{two}[distances]\nmatrix = [[10, 10], [20, 10]]\n"
    ));
    assert!(e.message.contains("larger than 10"), "{e}");
    let e = err(&format!(
        "{two}[distances]\npairs = [{{ from = 0, to = 5, value = 20 }}]\n"
    ));
    assert!(e.message.contains("node 5 is not declared"), "{e}");
    let ok = parse_str(
        &format!("{two}[distances]\npairs = [{{ from = 1, to = 0, value = 31 }}]\n"),
        "t",
    )
    .unwrap();
    assert_eq!(
        ok.topology.distances,
        Some(vec![vec![10, 31], vec![31, 10]])
    );
}

#[test]
fn generic_initiator_validation() {
    let base = format!("{BASE}[[node]]\nmemory = \"1G\"\ncpus = \"0-1\"\n[[node]]\nid = \"1-2\"\n");
    let e = err(&format!(
        "{base}[[generic-initiator]]\ndevice = \"gpu9\"\nnodes = \"1-2\"\n"
    ));
    assert!(e.message.contains("gpu9"), "{e}");
    assert_eq!(e.key, "generic-initiator[0].device");
    let e = err(&format!(
        "{base}[[generic-initiator]]\ndevice = \"0000:01:00.0\"\nnodes = \"1-3\"\n"
    ));
    assert!(e.message.contains("node 3 is not declared"), "{e}");
    let ok = parse_str(
        &format!(
            "{base}[[generic-initiator]]\ndevice = {{ hid = \"ACPI0017\", uid = 0 }}\nnodes = [2, 1]\n"
        ),
        "t",
    )
    .unwrap();
    let gi = &ok.topology.generic_initiators;
    assert_eq!(gi.iter().map(|g| g.node).collect::<Vec<_>>(), [1, 2]);
    assert!(matches!(&gi[0].handle, DeviceHandle::Acpi(a) if a.hid.0 == *b"ACPI0017"));
}

#[test]
fn edk2_flash_node() {
    let virt = "[machine]\ntype = \"virt\"\n[cpus]\ncount = 2\n";
    let nodes = "[[node]]\ncpus = 0\n[[node]]\nmemory = \"1G\"\ncpus = 1\n";
    // Default on virt: EDK2, flash on the first node with memory (node 1 here).
    let f = parse_str(&format!("{virt}{nodes}"), "t").unwrap();
    assert_eq!(f.firmware, Firmware::Edk2);
    assert_eq!(
        f.firmware_flash,
        Some(MemRange {
            base: 0x0400_0000,
            size: 64 << 20,
            node: 1
        })
    );
    // No NUMA nodes: no SRAT, nothing to cover.
    let f = parse_str(
        "[machine]\ntype = \"virt\"\nmemory = \"1G\"\n[cpus]\ncount = 2\n",
        "t",
    )
    .unwrap();
    assert_eq!(f.firmware_flash, None);
    let virt_fw = |fw: &str| format!("[machine]\ntype = \"virt\"\n{fw}[cpus]\ncount = 2\n");
    let f = parse_str(&format!("{}{nodes}", virt_fw("firmware = \"none\"\n")), "t").unwrap();
    assert_eq!((f.firmware, f.firmware_flash), (Firmware::None, None));
    let e = err(&format!("{}{nodes}", virt_fw("flash-node = 0\n")));
    assert_eq!((e.key.as_str(), e.line), ("machine.flash-node", 3));
    assert!(e.message.contains("node 0 has no memory"), "{e}");
    let e = err(&format!("{}{nodes}", virt_fw("flash-node = 2\n")));
    assert!(e.message.contains("node 2 does not exist"), "{e}");
    let e = err(&format!(
        "{}{nodes}",
        virt_fw("firmware = \"none\"\nflash-node = 1\n")
    ));
    assert_eq!(e.key, "machine.flash-node");
    let e = err(&format!("{}{nodes}", virt_fw("firmware = \"uboot\"\n")));
    assert!(e.message.contains("edk2, none"), "{e}");
    let e = err("[machine]\ntype = \"q35\"\nfirmware = \"edk2\"\nmemory = \"1G\"\n");
    assert_eq!(e.key, "machine.firmware");
}

#[test]
fn cpus_use_qemus_topology_rules() {
    // 2 sockets x 3 cores x 2 threads: APIC ids pack thread (1 bit) | core
    // (2 bits) | socket, so socket 1 starts at 8 (spec §2.3, QEMU
    // x86_apicid_from_cpu_idx); no CPU lists: node = socket mod nodes.
    let f = parse_str(
        "[machine]\ntype = \"q35\"\n[cpus]\ncount = 12\nsockets = 2\ncores = 3\nthreads = 2\n\
         [[node]]\nmemory = \"512M\"\n[[node]]\nmemory = \"512M\"\n",
        "t",
    )
    .unwrap();
    let ids: Vec<u32> = f.topology.cpus.iter().map(|c| c.arch_id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
    let nodes: Vec<u32> = f.topology.cpus.iter().map(|c| c.node).collect();
    assert_eq!(nodes, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    // QEMU's own message for a hierarchy that does not multiply out.
    let e = err(
        "[machine]\ntype = \"q35\"\nmemory = \"1G\"\n[cpus]\ncount = 5\nsockets = 2\ncores = 2\n",
    );
    assert!(
        e.message
            .starts_with("Invalid CPU topology: product of the hierarchy must match maxcpus"),
        "{e}"
    );
    assert_eq!(e.key, "cpus");
    let e = err("[machine]\ntype = \"virt\"\nmemory = \"1G\"\n[cpus]\ncount = 4\ndies = 2\n");
    assert_eq!(
        e.message,
        "dies > 1 not supported by this machine's CPU topology"
    );
}

const RP: &str = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 1\n[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nid = 1\n\
    [[pci]]\nid = \"rp0\"\ndriver = \"pcie-root-port\"\nprops = \"chassis=1\"\n";

#[test]
fn pci_addresses_come_from_qemus_pci_model() {
    // No addr anywhere: q35 has mch 00.0, then QEMU's VGA (01.0) and e1000e
    // (02.0); the root port gets 03.0 and its secondary bus number 1.
    let f = parse_str(
        &format!("{RP}[[pci]]\nid = \"gpu0\"\ndriver = \"pci-testdev\"\nbus = \"rp0\"\n[[generic-initiator]]\ndevice = \"gpu0\"\nnode = 1\n"),
        "t",
    )
    .unwrap();
    assert_eq!(f.pci[0].address, PciHandle::new(0, 0, 3, 0));
    assert_eq!(f.pci[1].address, PciHandle::new(0, 1, 0, 0));
    assert_eq!(
        f.topology.generic_initiators[0].handle,
        DeviceHandle::Pci(PciHandle::new(0, 1, 0, 0))
    );
    assert_eq!(
        f.pci[1].qemu_arg().unwrap(),
        "pci-testdev,id=gpu0,bus=rp0,addr=00.0"
    );
    // A bdf that agrees is accepted; one that does not is an error naming both.
    let with = |bdf: &str| {
        parse_str(
            &format!(
                "{RP}[[pci]]\nid = \"gpu0\"\ndriver = \"pci-testdev\"\nbus = \"rp0\"\nbdf = \"{bdf}\"\n"
            ),
            "t",
        )
    };
    assert!(with("0000:01:00.0").is_ok());
    let e = with("0000:02:00.0").unwrap_err();
    assert_eq!(e.key, "pci[1].bdf");
    assert!(e.message.contains("0000:01:00.0"), "{e}");
    // QEMU's own refusals.
    let e = err(&format!(
        "{RP}[[pci]]\nid = \"x\"\ndriver = \"pci-testdev\"\naddr = \"01.0\"\n"
    ));
    assert!(e.message.contains("in use by VGA"), "{e}");
    let e = err(&format!(
        "{RP}[[pci]]\nid = \"x\"\ndriver = \"pci-testdev\"\nbus = \"nope\"\n"
    ));
    assert!(e.message.contains("Bus 'nope' not found"), "{e}");
    // A device vnuma does not emit is named by its guest address only.
    let e = err(&format!(
        "{RP}[[pci]]\nid = \"x\"\nbus = \"rp0\"\naddr = \"00.0\"\n"
    ));
    assert!(e.message.contains("need a driver"), "{e}");
    let f = parse_str(
        &format!("{RP}[[pci]]\nid = \"x\"\nbdf = \"0000:07:00.1\"\n"),
        "t",
    )
    .unwrap();
    assert_eq!(f.pci[1].address, PciHandle::new(0, 7, 0, 1));
}

#[test]
fn generic_port_names_a_cxl_host_bridge() {
    let base = "[machine]\ntype = \"q35\"\n[cpus]\ncount = 1\n[[node]]\nmemory = \"1G\"\ncpus = 0\n[[node]]\nid = 1\n\
        [[pci]]\nid = \"cxl0\"\ndriver = \"pxb-cxl\"\nprops = \"bus_nr=12\"\n\
        [[pci]]\nid = \"d\"\ndriver = \"pci-testdev\"\nbus = \"pcie.0\"\n";
    let f = parse_str(
        &format!("{base}[[generic-port]]\ndevice = \"cxl0\"\nnode = 1\n"),
        "t",
    )
    .unwrap();
    match &f.topology.generic_ports[0].handle {
        DeviceHandle::Acpi(a) => assert_eq!((a.hid.0, a.uid), (*b"ACPI0016", 12)),
        h => panic!("{h:?}"),
    }
    let e = err(&format!(
        "{base}[[generic-port]]\ndevice = \"d\"\nnode = 1\n"
    ));
    assert!(e.message.contains("not a CXL host bridge"), "{e}");
}
