//! QEMU command-line front end against QEMU's own results:
//! (a) every MANIFEST case parsed and compared with the golden SRAT/SLIT/HMAT blobs
//!     QEMU 10.0.2 produced for the same parameters (decoded with the codec);
//! (b) every error message of spec §4.4/§5.2 triggered by a command line, asserting
//!     the exact text, and the same command line run through the live QEMU.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vnuma::acpi::{DeviceHandle, Hmat, HmatStructure, Slit, Srat, SratEntry};
use vnuma::front::qemu::parse::{Arch, parse, parse_full};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn golden(path: &str) -> Vec<u8> {
    std::fs::read(common::golden_dir().join(path)).unwrap()
}

const L1: &str = "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=10 \
-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=10485760 \
-numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=20 \
-numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=5242880 \
-numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-latency,latency=30 \
-numa hmat-lb,initiator=0,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=1048576 \
-numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-latency,latency=20 \
-numa hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=5242880 \
-numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-latency,latency=10 \
-numa hmat-lb,initiator=1,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=10485760 \
-numa hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-latency,latency=30 \
-numa hmat-lb,initiator=1,target=2,hierarchy=memory,data-type=access-bandwidth,bandwidth=1048576";

struct Case {
    arch: Arch,
    machine: &'static str,
    params: String,
    srat: &'static str,
    slit: Option<&'static str>,
    hmat: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let cphp = "-smp 2,cores=3,sockets=2,maxcpus=6 -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
    let numamem = "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0";
    let memhp = "-m 128,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
    let dimmpxm = "-machine nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4 -m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M -object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1 -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3 -object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2";
    let acpihmat = "-machine hmat=on -smp 2,sockets=2 -m 128M,slots=2,maxmem=1G -object memory-backend-ram,size=64M,id=m0 -object memory-backend-ram,size=64M,id=m1 -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1,initiator=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=65534M -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=65534 -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=32767M -numa hmat-cache,node-id=0,size=10K,level=1,associativity=direct,policy=write-back,line=8 -numa hmat-cache,node-id=1,size=10K,level=1,associativity=direct,policy=write-back,line=8";
    let noinit = format!(
        "-machine hmat=on -smp 4,sockets=2 -m 128M -object memory-backend-ram,size=32M,id=ram0 -object memory-backend-ram,size=32M,id=ram1 -object memory-backend-ram,size=64M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1 {L1}"
    );
    let virt_hmat = format!(
        "-machine hmat=on -cpu cortex-a57 -smp 4,sockets=2 -m 384M -object memory-backend-ram,size=128M,id=ram0 -object memory-backend-ram,size=128M,id=ram1 -object memory-backend-ram,size=128M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1 {L1}"
    );
    let x86 = |machine, params: &str, srat, slit, hmat| Case {
        arch: Arch::X86_64,
        machine,
        params: format!("-accel tcg -net none {params}"),
        srat,
        slit,
        hmat,
    };
    let mut v = Vec::new();
    for m in ["pc", "q35"] {
        let p = |s: &'static str| -> &'static str {
            Box::leak(format!("x86/{m}/{s}").into_boxed_str())
        };
        v.push(x86(m, cphp, p("SRAT.cphp"), Some(p("SLIT.cphp")), None));
        v.push(x86(m, numamem, p("SRAT.numamem"), None, None));
        v.push(x86(m, memhp, p("SRAT.memhp"), Some(p("SLIT.memhp")), None));
        v.push(x86(m, dimmpxm, p("SRAT.dimmpxm"), None, None));
        v.push(x86(
            m,
            acpihmat,
            p("SRAT.acpihmat"),
            None,
            Some(p("HMAT.acpihmat")),
        ));
    }
    v.push(x86(
        "q35",
        &noinit,
        "x86/q35/SRAT.acpihmat-noinitiator",
        None,
        Some("x86/q35/HMAT.acpihmat-noinitiator"),
    ));
    v.push(x86(
        "q35",
        &common::g1(),
        "x86/q35/SRAT.acpihmat-generic-x",
        None,
        Some("x86/q35/HMAT.acpihmat-generic-x"),
    ));
    v.push(x86(
        "q35",
        "-m 128M,slots=1,maxmem=2G -cpu Opteron_G1 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0 -device pci-testdev,membar=2G",
        "x86/q35/SRAT.mmio64",
        None,
        None,
    ));
    v.push(x86(
        "q35",
        "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0 -machine kernel-irqchip=on -smp 1,maxcpus=288",
        "x86/q35/SRAT.xapic",
        None,
        None,
    ));
    let virt = |params: String, srat, slit, hmat| Case {
        arch: Arch::Aarch64,
        machine: "virt",
        params: format!("-accel tcg -nodefaults -nographic {params}"),
        srat,
        slit,
        hmat,
    };
    v.push(virt(
        virt_hmat,
        "aarch64/virt/SRAT.acpihmatvirt",
        None,
        Some("aarch64/virt/HMAT.acpihmatvirt"),
    ));
    v.push(virt(
        "-cpu cortex-a57 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0"
            .into(),
        "aarch64/virt/SRAT.numamem",
        None,
        None,
    ));
    v.push(virt(
        "-bios QEMU_EFI.fd -machine nvdimm=on -cpu cortex-a57 -m 256M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=128M -object memory-backend-ram,id=ram1,size=128M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21 -object memory-backend-ram,id=ram2,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram2,node=0 -device nvdimm,id=dimm1,memdev=nvm0,node=1".into(),
        "aarch64/virt/SRAT.memhp",
        Some("aarch64/virt/SLIT.memhp"),
        None,
    ));
    v
}

#[test]
fn manifest_cases_match_qemu_golden_tables() {
    for c in cases() {
        let mut args = words(&format!("-machine {}", c.machine));
        args.extend(words(&c.params));
        let p = parse(&args, Some(c.arch)).unwrap_or_else(|e| panic!("{}: {e}", c.srat));
        let t = &p.topology;
        // End to end: the tables built from the parsed topology are QEMU's bytes.
        let tables = vnuma::machine::tables::build_tables(t).unwrap();
        assert_eq!(
            tables.srat.as_ref().unwrap().encode(),
            golden(c.srat),
            "{}: bytes",
            c.srat
        );
        if let Some(s) = c.slit {
            assert_eq!(
                tables.slit.as_ref().unwrap().encode(),
                golden(s),
                "{s}: bytes"
            );
        }
        if let Some(h) = c.hmat {
            assert_eq!(
                tables.hmat.as_ref().unwrap().encode(),
                golden(h),
                "{h}: bytes"
            );
        }
        let srat = Srat::decode(&golden(c.srat)).unwrap();
        // CPUs: (arch id, node) in table order.
        let mut cpus = Vec::new();
        let mut gis = Vec::new();
        let mut gps = Vec::new();
        let mut nv = Vec::new();
        let mut hotplug = Vec::new();
        let mut ram_total = 0u64;
        for e in &srat.entries {
            match e {
                SratEntry::LocalApic {
                    proximity_domain,
                    apic_id,
                    ..
                } => cpus.push((u32::from(*apic_id), *proximity_domain)),
                SratEntry::X2apic {
                    proximity_domain,
                    x2apic_id,
                    ..
                } => cpus.push((*x2apic_id, *proximity_domain)),
                SratEntry::Gicc {
                    proximity_domain,
                    acpi_processor_uid,
                    ..
                } => cpus.push((*acpi_processor_uid, *proximity_domain)),
                SratEntry::GenericInitiator(g) => {
                    gis.push((g.proximity_domain, g.device_handle.clone()))
                }
                SratEntry::GenericPort(g) => {
                    gps.push((g.proximity_domain, g.device_handle.clone()))
                }
                SratEntry::Memory {
                    proximity_domain,
                    base_address,
                    length,
                    flags,
                    ..
                } => match flags {
                    5 => nv.push((*base_address, *length, *proximity_domain)),
                    3 => hotplug.push((*length, *proximity_domain)),
                    1 => ram_total += length,
                    _ => {}
                },
                _ => {}
            }
        }
        let ours: Vec<(u32, u32)> = t.cpus.iter().map(|c| (c.arch_id, c.node)).collect();
        assert_eq!(ours, cpus, "{}: cpus", c.srat);
        let ours: Vec<(u32, DeviceHandle)> = t
            .generic_initiators
            .iter()
            .map(|g| (g.node, g.handle.clone()))
            .collect();
        assert_eq!(ours, gis, "{}: GI", c.srat);
        let ours: Vec<(u32, DeviceHandle)> = t
            .generic_ports
            .iter()
            .map(|g| (g.node, g.handle.clone()))
            .collect();
        assert_eq!(ours, gps, "{}: GP", c.srat);
        let ours: Vec<(u64, u64, u32)> =
            t.nvdimms.iter().map(|n| (n.base, n.size, n.node)).collect();
        assert_eq!(ours, nv, "{}: NVDIMM", c.srat);
        // Hotplug region: (maxmem - ram) + slots * 1G, on the highest node.
        let m = &t.memory;
        let expect_hp: Vec<(u64, u32)> = match m.max_ram {
            Some(mx) if mx > m.ram_size || (m.slots > 0 && t.machine.name() == "virt") => vec![(
                mx - m.ram_size + m.slots * (1 << 30),
                u32::try_from(t.nodes.len() - 1).unwrap(),
            )],
            _ => vec![],
        };
        assert_eq!(expect_hp, hotplug, "{}: hotplug", c.srat);
        // RAM: node sizes sum to RAM; x86 loses the 384 KiB legacy hole.
        let sum: u64 = t.nodes.iter().map(|n| n.mem).sum();
        assert_eq!(sum, m.ram_size);
        let hole = if t.machine.is_x86() { 0x60000 } else { 0 };
        assert_eq!(ram_total + hole, m.ram_size, "{}: RAM", c.srat);
        if let Some(s) = c.slit {
            let slit = Slit::decode(&golden(s)).unwrap();
            assert_eq!(t.distances.as_ref(), Some(&slit.distances), "{s}");
        } else {
            assert_eq!(t.distances, None);
        }
        assert_eq!(t.hmat, c.hmat.is_some());
        if let Some(h) = c.hmat {
            let hmat = Hmat::decode(&golden(h)).unwrap();
            let mut n_lb = 0;
            for s in &hmat.structures {
                match s {
                    HmatStructure::LocalityLatencyBandwidth(l) => {
                        assert_eq!(l.initiators, t.initiator_nodes(), "{h}");
                        let nodes: Vec<u32> = (0..u32::try_from(t.nodes.len()).unwrap()).collect();
                        assert_eq!(l.targets, nodes, "{h}");
                        n_lb += l.entries.iter().flatten().filter(|e| **e != 0).count();
                    }
                    HmatStructure::MemoryProximityDomainAttributes {
                        flags,
                        initiator_proximity_domain,
                        memory_proximity_domain,
                        ..
                    } => {
                        let node = &t.nodes[usize::try_from(*memory_proximity_domain).unwrap()];
                        let has_cpu = t.cpus.iter().any(|c| c.node == *memory_proximity_domain);
                        let expect = if has_cpu {
                            Some(*memory_proximity_domain)
                        } else {
                            node.initiator
                        };
                        assert_eq!(*flags & 1 == 1, expect.is_some(), "{h}");
                        if let Some(e) = expect {
                            assert_eq!(*initiator_proximity_domain, e, "{h}");
                        }
                    }
                    HmatStructure::MemorySideCache { .. } => {}
                    _ => {}
                }
            }
            assert_eq!(
                n_lb,
                t.hmat_lb.iter().filter(|l| l.value != 0).count(),
                "{h}"
            );
        }
    }
}

/// The seed's Grace Hopper example: GPU behind a root port on bus 1.
#[test]
fn grace_hopper_example() {
    let mut s = String::from(
        "-machine q35 -smp 4,sockets=2 -m 1G -object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1",
    );
    for n in 2..10 {
        s.push_str(&format!(" -numa node,nodeid={n}"));
    }
    s.push_str(" -device pcie-root-port,id=rp0,chassis=1,bus=pcie.0,addr=04.0 -device pci-testdev,id=gpu0,bus=rp0,addr=00.0");
    for k in 0..8 {
        s.push_str(&format!(
            " -object acpi-generic-initiator,id=gi{k},pci-dev=gpu0,node={}",
            k + 2
        ));
    }
    s.push_str(" -numa dist,src=0,dst=1,val=20");
    for a in 0..2 {
        for b in 2..10 {
            s.push_str(&format!(" -numa dist,src={a},dst={b},val=80"));
        }
    }
    for a in 2..10 {
        for b in a + 1..10 {
            s.push_str(&format!(" -numa dist,src={a},dst={b},val=20"));
        }
    }
    let p = parse(&words(&s), None).unwrap();
    assert_eq!(p.topology.nodes.len(), 10);
    assert_eq!(p.generic_initiators.len(), 8);
    for g in &p.generic_initiators {
        assert_eq!((g.bus, g.devfn), (1, 0));
    }
    let d = p.topology.distances.unwrap();
    assert_eq!(d[9][0], 80);
    assert_eq!(d[3][2], 20);
    // v5 syntax expands to one structure per node, ascending.
    let v5 = s
        .split(" -object acpi-generic-initiator")
        .next()
        .unwrap()
        .to_string()
        + " -object acpi-generic-initiator,id=gi0,pci-dev=gpu0,host-nodes=2-9";
    let p = parse(&words(&v5), None).unwrap();
    let nodes: Vec<u32> = p.generic_initiators.iter().map(|g| g.node).collect();
    assert_eq!(nodes, (2..10).collect::<Vec<u32>>());
}

struct ErrCase {
    arch: Arch,
    args: String,
    expect: String,
}

fn e(args: &str, expect: &str) -> ErrCase {
    ErrCase {
        arch: Arch::X86_64,
        args: args.into(),
        expect: expect.into(),
    }
}

const P: &str = "qemu-system-x86_64: ";
const M128: &str = "-object memory-backend-ram,id=m0,size=128M";
const HM: &str = "-M q35,hmat=on -smp 2 -object memory-backend-ram,id=m0,size=64M -object memory-backend-ram,id=m1,size=64M -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,memdev=m1";

fn lb(i: u32, t: u32, ty: &str, v: &str) -> String {
    let key = if ty.ends_with("latency") {
        "latency"
    } else {
        "bandwidth"
    };
    format!("-numa hmat-lb,initiator={i},target={t},hierarchy=memory,data-type={ty},{key}={v}")
}

fn located(args: &str, opt: &str, msg: &str) -> ErrCase {
    e(args, &format!("{P}{opt}: {msg}"))
}

fn error_cases() -> Vec<ErrCase> {
    let mut v = Vec::new();
    let hd = "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with -machine hmat=on before using any of hmat specific options";
    // argv / option syntax
    v.push(e("-M q35 -foo", &format!("{P}-foo: invalid option")));
    v.push(e("-M q35 -m=1G", &format!("{P}-m=1G: invalid option")));
    v.push(e("-M q35 -m", &format!("{P}-m: requires an argument")));
    v.push(located("-M q35 -m 1X", "-m 1X", "Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively."));
    v.push(e(
        "-M q35 -m 128M,slots=2",
        &format!("{P}slots specified but no max-size"),
    ));
    v.push(e("-M q35 -m 128M,slots=2,maxmem=128M", &format!("{P}invalid value of maxmem: memory slots were specified but maximum memory size (0x8000000) is equal to the initial memory size (0x8000000)")));
    v.push(e(
        "-M foo",
        &format!(
            "{P}unsupported machine type: \"foo\"\nUse -machine help to list supported machines"
        ),
    ));
    v.push(e(
        "-M q35,hmat=foo",
        &format!("{P}Parameter 'hmat' expects 'on' or 'off'"),
    ));
    v.push(e(
        "-M q35,x-oem-id=TOOLONG1",
        &format!("{P}User specified x-oem-id value is bigger than 6 bytes in size"),
    ));
    v.push(e("-M q35 -smp 4,sockets=3", &format!("{P}Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * dies (1) * modules (1) * cores (1) * threads (1) != maxcpus (4)")));
    v.push(e(
        "-M q35 -smp 0",
        &format!("{P}Invalid CPU topology: CPU topology parameters must be greater than zero"),
    ));
    v.push(e(
        "-M pc -smp 300",
        &format!(
            "{P}Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-10.0' is 255"
        ),
    ));
    // -numa node
    v.push(located(
        "-M q35 -numa node,nodeid=1000",
        "-numa node,nodeid=1000",
        "Max number of NUMA nodes reached: 1000",
    ));
    v.push(located(
        "-M q35 -numa node,nodeid=0 -numa node,nodeid=0",
        "-numa node,nodeid=0",
        "Duplicate NUMA nodeid: 0",
    ));
    v.push(located(
        "-M q35 -numa node,initiator=0",
        "-numa node,initiator=0",
        hd,
    ));
    v.push(located(
        "-M q35 -smp 1 -numa node,cpus=1",
        "-numa node,cpus=1",
        "CPU index (1) should be smaller than maxcpus (1)",
    ));
    v.push(located(
        "-M q35 -smp 2 -numa node,cpus=0 -numa node,cpus=0",
        "-numa node,cpus=0",
        "CPU is already assigned to node-id: 0",
    ));
    v.push(located(
        "-M q35 -object memory-backend-ram,id=m0,size=64M -numa node,memdev=m0 -numa node,mem=64M",
        "-numa node,mem=64M",
        "numa configuration should use either mem= or memdev=,mixing both is not allowed",
    ));
    v.push(located("-M q35 -numa node,mem=128M", "-numa node,mem=128M", "Parameter -numa node,mem is not supported by this machine type\nUse -numa node,memdev instead"));
    v.push(located(
        "-M q35 -numa node,memdev=nosuch",
        "-numa node,memdev=nosuch",
        "memdev=nosuch is ambiguous",
    ));
    v.push(located(
        "-M q35 -numa foo",
        "-numa foo",
        "Parameter 'type' does not accept value 'foo'",
    ));
    v.push(located(
        "-M q35 -numa node,foo=1",
        "-numa node,foo=1",
        "Invalid parameter 'foo'",
    ));
    v.push(located(
        "-M q35 -numa node,nodeid=70000",
        "-numa node,nodeid=70000",
        "Parameter 'nodeid' expects uint16_t",
    ));
    // initiator >= 128: message printed, option does not fail, the node is not created.
    v.push(e(
        &format!("-M q35,hmat=on -smp 2 {M128} -numa node,nodeid=0,cpus=0-1 -numa node,nodeid=1,initiator=200 -numa node,nodeid=2,memdev=m0"),
        &format!("{P}-numa node,nodeid=1,initiator=200: The initiator id 200 expects an integer between 0 and 127\n{P}numa: Node ID missing: 1"),
    ));
    // -numa dist
    v.push(located(
        "-M q35 -numa node -numa dist,src=0,dst=200,val=20",
        "-numa dist,src=0,dst=200,val=20",
        "Parameter 'dst' expects an integer between 0 and 127",
    ));
    v.push(located("-M q35 -numa node -numa dist,src=0,dst=1,val=20", "-numa dist,src=0,dst=1,val=20", "Source/Destination NUMA node is missing. Please use '-numa node' option to declare it first."));
    v.push(located(
        "-M q35 -numa node -numa node -numa dist,src=0,dst=1,val=9",
        "-numa dist,src=0,dst=1,val=9",
        "NUMA distance (9) is invalid, it shouldn't be less than 10.",
    ));
    v.push(located(
        "-M q35 -numa node -numa node -numa dist,src=1,dst=1,val=20",
        "-numa dist,src=1,dst=1,val=20",
        "Local distance of node 1 should be 10.",
    ));
    v.push(located(
        "-M q35 -numa node -numa node -numa dist,src=0,dst=1,val=300",
        "-numa dist,src=0,dst=1,val=300",
        "Parameter 'val' expects uint8_t",
    ));
    v.push(e(&format!("-M q35 {M128} -numa node,memdev=m0 -numa node -numa node -numa dist,src=0,dst=1,val=20"), &format!("{P}The distance between node 0 and 2 is missing, at least one distance value between each nodes should be provided.")));
    v.push(e(&format!("-M q35 {M128} -numa node,memdev=m0 -numa node -numa node -numa dist,src=0,dst=1,val=20 -numa dist,src=1,dst=0,val=30 -numa dist,src=0,dst=2,val=20 -numa dist,src=1,dst=2,val=20"), &format!("{P}At least one asymmetrical pair of distances is given, please provide distances for both directions of all node pairs.")));
    // -numa cpu
    v.push(located(
        "-M q35 -numa node -numa cpu,socket-id=0",
        "-numa cpu,socket-id=0",
        "Missing mandatory node-id property",
    ));
    v.push(located("-M q35 -numa node -numa cpu,node-id=2,socket-id=0", "-numa cpu,node-id=2,socket-id=0", "Invalid node-id=2, NUMA node must be defined with -numa node,nodeid=ID before it's used with -numa cpu,node-id=ID"));
    v.push(located(
        "-M q35 -smp 2,sockets=2 -numa node -numa cpu,node-id=0,socket-id=5",
        "-numa cpu,node-id=0,socket-id=5",
        "no match found",
    ));
    v.push(located(
        "-M q35 -numa node -numa cpu,node-id=0,cluster-id=0",
        "-numa cpu,node-id=0,cluster-id=0",
        "cluster-id is not supported",
    ));
    v.push(located(
        "-M q35 -numa node -numa cpu,node-id=0,die-id=0",
        "-numa cpu,node-id=0,die-id=0",
        "die-id is not supported",
    ));
    v.push(located(&format!("-M q35,hmat=on -smp 2 {M128} -numa node,memdev=m0 -numa node,initiator=0 -numa cpu,node-id=1,socket-id=0"), "-numa cpu,node-id=1,socket-id=0", "The initiator of CPU NUMA node 1 should be itself (got 0)"));
    // machine level
    v.push(e(
        "-M q35 -object memory-backend-ram,id=m0,size=64M -numa node,memdev=m0",
        &format!("{P}total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)"),
    ));
    v.push(e(
        &format!("-M q35,memory-backend=m0 {M128} -numa node,memdev=m0"),
        &format!(
            "{P}'-machine memory-backend' and '-numa memdev' properties are mutually exclusive"
        ),
    ));
    v.push(e(
        &format!("-M q35,hmat=on {M128} -numa node,cpus=0,memdev=m0 -numa node,initiator=5"),
        &format!("{P}NUMA node 5 is missing, use '-numa node' option to declare it first"),
    ));
    v.push(e(&format!("-M q35,hmat=on -smp 2 {M128} -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1 -numa node,nodeid=2,initiator=1"), &format!("{P}The initiator of NUMA node 2 is invalid")));
    v.push(e(
        &format!("-M q35 {M128} -numa node,nodeid=1,memdev=m0"),
        &format!("{P}numa: Node ID missing: 0"),
    ));
    // hmat-lb
    let hl = |extra: String, opt: &str, msg: &str| located(&format!("{HM} {extra}"), opt, msg);
    let l = lb(3, 0, "access-latency", "10");
    v.push(hl(
        l.clone(),
        &l,
        "Invalid initiator=3, it should be less than 2",
    ));
    let l = lb(0, 3, "access-latency", "10");
    v.push(hl(
        l.clone(),
        &l,
        "Invalid target=3, it should be less than 2",
    ));
    let l = lb(1, 0, "access-latency", "10");
    v.push(hl(
        l.clone(),
        &l,
        "Invalid initiator=1, it isn't an initiator proximity domain",
    ));
    let l = lb(0, 2, "access-latency", "10");
    v.push(hl(
        l.clone(),
        &l,
        "The target=2 should point to an existing node",
    ));
    let l =
        "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency".to_string();
    v.push(hl(l.clone(), &l, "Missing 'latency' option"));
    let l = "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth"
        .to_string();
    v.push(hl(l.clone(), &l, "Missing 'bandwidth' option"));
    let l = "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1,bandwidth=1M".to_string();
    v.push(hl(
        l.clone(),
        &l,
        "Invalid option 'bandwidth' since the data type is latency",
    ));
    let l = "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,latency=1,bandwidth=1M".to_string();
    v.push(hl(
        l.clone(),
        &l,
        "Invalid option 'latency' since the data type is bandwidth",
    ));
    let l = lb(0, 1, "access-bandwidth", "1000");
    v.push(hl(
        l.clone(),
        &l,
        "Bandwidth 1000 between initiator=0 and target=1 should be 1MB aligned",
    ));
    let l = lb(0, 1, "access-latency", "10");
    v.push(hl(
        format!("{l} {l}"),
        &l,
        "Duplicate configuration of the latency for initiator=0 and target=1",
    ));
    let l = lb(0, 1, "access-bandwidth", "1M");
    v.push(hl(
        format!("{l} {l}"),
        &l,
        "Duplicate configuration of the bandwidth for initiator=0 and target=1",
    ));
    let l = lb(0, 1, "access-latency", "70000");
    v.push(hl(format!("{} {l}", lb(0, 0, "access-latency", "1")), &l, "Latency 70000 between initiator=0 and target=1 should not differ from previously entered min or max values on more than 65534"));
    let l = lb(0, 1, "access-bandwidth", "64G");
    v.push(hl(format!("{} {l}", lb(0, 0, "access-bandwidth", "1M")), &l, "Bandwidth 68719476736 between initiator=0 and target=1 should not differ from previously entered values on more than 65534"));
    let l = lb(0, 0, "access-latency", "10");
    v.push(located(&format!("-M q35 -numa node,cpus=0 {l}"), &l, hd));
    let l = "-numa hmat-lb,initiator=0,target=0,hierarchy=foo,data-type=access-latency,latency=1"
        .to_string();
    v.push(hl(
        l.clone(),
        &l,
        "Parameter 'hierarchy' does not accept value 'foo'",
    ));
    // hmat-cache
    let both = format!(
        "{} {}",
        lb(0, 0, "access-latency", "10"),
        lb(0, 0, "access-bandwidth", "1M")
    );
    let cache = |node: u32, size: &str, level: u32| {
        format!(
            "-numa hmat-cache,node-id={node},size={size},level={level},associativity=direct,policy=write-back,line=8"
        )
    };
    let c = cache(2, "10K", 1);
    v.push(hl(
        format!("{both} {c}"),
        &c,
        "Invalid node-id=2, it should be less than 2",
    ));
    let c = cache(0, "10K", 1);
    v.push(hl(c.clone(), &c, "The latency and bandwidth information of node-id=0 should be provided before memory side cache attributes"));
    let c = cache(0, "10K", 0);
    v.push(hl(
        format!("{both} {c}"),
        &c,
        "Invalid level=0, it should be larger than 0 and less than or equal to 3",
    ));
    let c = cache(0, "10K", 1);
    v.push(hl(
        format!("{both} {c} {c}"),
        &c,
        "Duplicate configuration of the side cache for node-id=0 and level=1",
    ));
    let c = cache(0, "10K", 2);
    v.push(hl(
        format!("{both} {c}"),
        &c,
        "Cache level=1 shall be defined first",
    ));
    let c = cache(0, "5K", 2);
    v.push(hl(
        format!("{both} {} {c}", cache(0, "10K", 1)),
        &c,
        "Invalid size=5120, the size of level=2 should be larger than the size(10240) of level=1",
    ));
    let c = cache(0, "10K", 1);
    v.push(located(&format!("-M q35 -numa node {c}"), &c, hd));
    // GI / GP: property time
    let o = "-object acpi-generic-initiator,id=gi0,node=1";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'pci-dev' is missing",
    ));
    let o = "-object acpi-generic-initiator,id=gi0,pci-dev=d";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'node' is missing",
    ));
    let o = "-object acpi-generic-port,id=gp0,node=1";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'pci-bus' is missing",
    ));
    let o = "-object acpi-generic-initiator,id=gi0,pci-dev=d,node=abc";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'node' expects a uint64 value",
    ));
    let o = "-object acpi-generic-initiator,id=gi0,pci-dev=d,node=-1";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'node' expects a uint64 value",
    ));
    v.push(e(
        "-M q35 -object acpi-generic-initiator,id=gi0,pci-dev=d,node=200",
        "acpi-generic-initiator: Invalid NUMA node specified",
    ));
    v.push(e(
        "-M q35 -object acpi-generic-port,id=gp0,pci-bus=b,node=128",
        "acpi-generic-initiator: Invalid NUMA node specified",
    ));
    // GI node check happens before -numa is parsed.
    v.push(e(
        "-M q35 -numa node,nodeid=1000 -object acpi-generic-initiator,id=gi0,pci-dev=d,node=200",
        "acpi-generic-initiator: Invalid NUMA node specified",
    ));
    // GI / GP: table-build time (no prefix)
    let base = format!("-M q35 {M128} -numa node,memdev=m0 -device pci-testdev,id=d");
    v.push(e(
        &format!("{base} -object acpi-generic-initiator,id=gi0,pci-dev=d,node=1"),
        "acpi-generic-initiator: Specified node 1 is invalid.",
    ));
    v.push(e(
        &format!("{base} -object acpi-generic-initiator,id=gi0,pci-dev=nosuch,node=0"),
        "acpi-generic-initiator: Specified device must be a PCI device.",
    ));
    v.push(e(
        &format!("{base} -object acpi-generic-port,id=gp0,pci-bus=pcie.0,node=1"),
        "acpi-generic-port: node 1 is invalid.",
    ));
    v.push(e(
        &format!("{base} -object acpi-generic-port,id=gp0,pci-bus=pcie.0,node=0"),
        "acpi-generic-port: device must be a CXL host bridge.",
    ));
    // All GIs before any GP, whatever the command-line order.
    v.push(e(&format!("{base} -object acpi-generic-port,id=gp0,pci-bus=pcie.0,node=0 -object acpi-generic-initiator,id=gi0,pci-dev=nosuch,node=0"), "acpi-generic-initiator: Specified device must be a PCI device."));
    // -object / -device
    let o = "-object memory-backend-ram,id=m0";
    v.push(located(
        &format!("-M q35 {o}"),
        o,
        "Parameter 'size' is missing",
    ));
    let o = "-object memory-backend-ram,id=m0,size=1M";
    v.push(located(
        &format!("-M q35 {o} {o}"),
        o,
        "Duplicate ID 'm0' for object",
    ));
    let o = "-device pci-testdev,addr=03.1";
    v.push(located(
        &format!("-M q35 -device pci-testdev,addr=03.0 {o}"),
        o,
        "PCI: single function device can't be populated in function 3.1",
    ));
    // Without bus=, QEMU picks the newest pxb root bus, where endpoints are refused.
    let o = "-device pci-testdev";
    v.push(located("-M q35 -device pxb-pcie,bus_nr=64,id=pa -device pxb-pcie,bus_nr=96,id=pb,bus=pcie.0 -device pci-testdev", o, "PCI: Only PCI/PCIe bridges can be plugged into pxb-pcie"));
    let o = "-device pci-testdev,bus=nosuch";
    v.push(located(&format!("-M q35 {o}"), o, "Bus 'nosuch' not found"));
    // Memory map errors come from machine::memory with QEMU's text.
    v.push(e(
        "-M q35 -m 128M,slots=300,maxmem=1G",
        &format!("{P}unsupported amount of memory slots: 300"),
    ));
    v.push(e(
        "-M q35,max-ram-below-4g=8G",
        &format!(
            "{P}Machine option 'max-ram-below-4g=8589934592' expects size less than or equal to 4G"
        ),
    ));
    let o = "-device pc-dimm,memdev=m1";
    v.push(located(
        &format!("-M q35 -m 128M,slots=2,maxmem=1G -object memory-backend-ram,id=m1,size=1M {o}"),
        o,
        "backend memory size must be multiple of 0x200000",
    ));
    let o = "-device pc-dimm,memdev=c,id=dc";
    v.push(located(
        &format!("-M q35 -m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=a,size=256M -object memory-backend-ram,id=b,size=256M -object memory-backend-ram,id=c,size=512M -device pc-dimm,memdev=a,id=da -device pc-dimm,memdev=b,id=db {o}"),
        o,
        "not enough space, currently 0x20000000 in use of total space for memory devices 0x38000000",
    ));
    let o = "-device pc-dimm,memdev=m0,node=3";
    v.push(located(
        &format!("-M q35 -m 128M,slots=2,maxmem=1G {M128} {o}"),
        o,
        "'DIMM property node has value 3' which exceeds the number of numa nodes: 1",
    ));
    // value syntax of the other -numa types
    v.push(located(
        "-M q35 -numa node -numa cpu,node-id=abc",
        "-numa cpu,node-id=abc",
        "Parameter 'node-id' expects an int64 value",
    ));
    let l =
        "-numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=abc";
    v.push(located(
        &format!("-M q35,hmat=on -numa node,cpus=0 {l}"),
        l,
        "Parameter 'latency' expects a uint64 value",
    ));
    v.push(located(
        "-M q35 -numa node,mem=abc",
        "-numa node,mem=abc",
        "Parameter 'mem' expects a size value",
    ));
    v.push(located(
        "-M q35,hmat=on -numa node,cpus=0 -numa hmat-cache,node-id=0",
        "-numa hmat-cache,node-id=0",
        "Parameter 'size' is missing",
    ));
    v.push(located(
        "-M q35 -numa dist,src=0",
        "-numa dist,src=0",
        "Parameter 'dst' is missing",
    ));
    v.push(located(
        "-M q35 -numa nodeid=0",
        "-numa nodeid=0",
        "Parameter 'type' is missing",
    ));
    v.push(e(
        "-M q35 -smp cpus=x",
        &format!("{P}Parameter 'smp.cpus' expects integer"),
    ));
    v.push(e(
        "-M q35 -numa node,nodeid=0,nodeid=1",
        &format!("{P}numa: Node ID missing: 0"),
    ));
    // short-form boolean: warning, then the error
    v.push(e("-M q35 -numa node,nodeid", &format!("{P}-numa node,nodeid: warning: short-form boolean option 'nodeid' deprecated\nPlease use deid=off instead\n{P}-numa node,nodeid: Invalid parameter 'deid'")));
    // RAM, device memory and the 64-bit PCI hole must fit in phys-bits (40 on TCG).
    // q35: hole64 = 32 GiB; the AMD relocation to 1 TiB happens when the highest
    // used address (hole end - 1) reaches 0xfd00000000, then the check fails.
    let one = "-object memory-backend-ram,id=a,size=4G -numa node,memdev=a";
    v.push(e(
        &format!("-M q35 -m 4G,slots=2,maxmem=977G {one}"),
        &format!("{P}Address space limit 0xffffffffff < 0x1fc3fffffff phys-bits too low (40)"),
    ));
    // cxl=on: the 1 MiB CXL register window precedes the hole (976G is fine without).
    v.push(e(
        &format!("-M q35,cxl=on -m 4G,slots=2,maxmem=976G {one}"),
        &format!("{P}Address space limit 0xffffffffff < 0x1fc3fffffff phys-bits too low (40)"),
    ));
    // pc: hole64 = 2 GiB.
    v.push(e(
        &format!("-M pc -m 4G,slots=2,maxmem=1008G {one}"),
        &format!("{P}Address space limit 0xffffffffff < 0x1fc3fffffff phys-bits too low (40)"),
    ));
    // Intel vendor: no relocation, but 1T + hole does not fit 40 bits.
    v.push(e(
        &format!("-M q35 -m 4G,slots=2,maxmem=1100G -cpu qemu64,vendor=GenuineIntel {one}"),
        &format!("{P}Address space limit 0xffffffffff < 0x11bffffffff phys-bits too low (40)"),
    ));
    // virt creates its acpi-ged (memory hotplug) only with firmware loaded.
    v.push(ErrCase {
        arch: Arch::Aarch64,
        args: "-M virt -cpu cortex-a57 -m 256M,slots=2,maxmem=1G -object memory-backend-ram,id=a,size=256M -numa node,memdev=a -object memory-backend-ram,id=d,size=128M -device pc-dimm,id=dm,memdev=d".into(),
        expect: "qemu-system-aarch64: -device pc-dimm,id=dm,memdev=d: memory hotplug is not enabled: missing acpi-ged device".into(),
    });
    // pc-dimms and NVDIMMs share the slots (pc_dimm_get_free_slot); the setter of
    // max-ram-below-4g warns below 1 MiB first.
    v.push(e(
        "-M q35,nvdimm=on,max-ram-below-4g=0 -m 512M,slots=1,maxmem=2G -object memory-backend-ram,id=a,size=512M -numa node,memdev=a -object memory-backend-ram,id=d1,size=128M -object memory-backend-ram,id=d2,size=128M -device pc-dimm,memdev=d1 -device nvdimm,id=nv,memdev=d2",
        &format!("{P}warning: Only 0 bytes of RAM below the 4GiB boundary,BIOS may not work with less than 1MiB\n{P}-device nvdimm,id=nv,memdev=d2: no free slots available"),
    ));
    // The max-ram-below-4g limit is checked when the property is set, before the
    // NUMA warnings (differential seed 4294999313).
    v.push(e(
        "-M q35,max-ram-below-4g=5G -smp 2 -m 64M -object memory-backend-ram,id=a,size=64M -numa node,memdev=a -numa node -numa cpu,node-id=1,socket-id=1",
        &format!("{P}Machine option 'max-ram-below-4g=5368709120' expects size less than or equal to 4G"),
    ));
    // pxb_register_bus: a root port's secondary bus reads 0 before firmware runs,
    // so bus_nr=0 collides with it; bus_nr values collide with each other; pxbs
    // only on the host bus. (Differential seed 4969063109.)
    let one = "-M q35 -m 128M -object memory-backend-ram,id=a,size=128M -numa node,memdev=a";
    v.push(e(
        &format!("{one} -device pcie-root-port,id=r0,chassis=1 -device pxb-pcie,bus_nr=0,id=px,bus=pcie.0"),
        &format!("{P}-device pxb-pcie,bus_nr=0,id=px,bus=pcie.0: Bus 0 is already in use"),
    ));
    v.push(e(
        &format!("{one} -device pxb-pcie,bus_nr=9,id=px,bus=pcie.0 -device pxb-pcie,bus_nr=9,id=py,bus=pcie.0"),
        &format!("{P}-device pxb-pcie,bus_nr=9,id=py,bus=pcie.0: Bus 9 is already in use"),
    ));
    v.push(e(
        &format!("{one} -device pcie-root-port,id=r0,chassis=1 -device pxb-pcie,bus_nr=9,id=px,bus=r0"),
        &format!("{P}-device pxb-pcie,bus_nr=9,id=px,bus=r0: PXB devices can be attached only to root bus"),
    ));
    v.push(ErrCase {
        arch: Arch::Aarch64,
        args: "-M virt -smp 4,dies=2".into(),
        expect: "qemu-system-aarch64: dies > 1 not supported by this machine's CPU topology".into(),
    });
    v.push(ErrCase {
        arch: Arch::Aarch64,
        args: "-M virt -numa node -numa cpu,node-id=0,die-id=0".into(),
        expect: "qemu-system-aarch64: -numa cpu,node-id=0,die-id=0: die-id is not supported".into(),
    });
    v
}

const BASE: &str = "-S -display none -accel tcg -nodefaults";

/// Runs the live QEMU on `args`; returns stderr (None when it did not exit in time).
fn run_qemu(arch: Arch, args: &[String]) -> Option<String> {
    let mut child = Command::new(arch.program())
        .args(words(BASE))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let start = Instant::now();
    loop {
        if child.try_wait().ok()?.is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut s = String::new();
    child.stderr.take()?.read_to_string(&mut s).ok()?;
    Some(s)
}

#[test]
fn error_messages_match_qemu() {
    let cases = error_cases();
    let mut failures = Vec::new();
    for c in &cases {
        let mut args = words(BASE);
        args.extend(words(&c.args));
        let prog = c.arch.program();
        let (warnings, r) = parse_full(&args, Some(c.arch));
        match r {
            Ok(p) => failures.push(format!("accepted: {} (warnings {:?})", c.args, p.warnings)),
            Err(err) => {
                let mut text: Vec<String> = warnings.iter().map(|w| w.render(prog)).collect();
                text.push(err.render(prog));
                let got = text.join("\n");
                if got != c.expect {
                    failures.push(format!("{}\n  want: {}\n  got:  {}", c.args, c.expect, got));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let results: Vec<(String, Option<String>, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|c| {
                s.spawn(move || {
                    let out = run_qemu(c.arch, &words(&c.args));
                    (c.args.clone(), out, c.expect.clone())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut bad = Vec::new();
    for (args, out, expect) in results {
        match out {
            None => bad.push(format!("{args}: QEMU did not exit")),
            Some(o) if o.trim_end() != expect => bad.push(format!(
                "{args}\n  qemu: {}\n  want: {expect}",
                o.trim_end()
            )),
            _ => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn partial_cpu_mapping_warns_like_qemu() {
    let args = words(&format!(
        "{BASE} -M q35 -smp 4,sockets=2 {M128} -numa node,cpus=0-1,memdev=m0 -numa node"
    ));
    let p = parse(&args, Some(Arch::X86_64)).unwrap();
    let w: Vec<String> = p
        .warnings
        .iter()
        .map(|w| w.render("qemu-system-x86_64"))
        .collect();
    let expect = vec![
        format!(
            "{P}warning: CPU(s) not present in any NUMA nodes: CPU 2 [socket-id: 1, core-id: 0, thread-id: 0], CPU 3 [socket-id: 1, core-id: 1, thread-id: 0]"
        ),
        format!(
            "{P}warning: All CPU(s) up to maxcpus should be described in NUMA config, ability to start up with partial NUMA mappings is obsoleted and will be removed in future"
        ),
    ];
    assert_eq!(w, expect);
    let nodes: Vec<u32> = p.topology.cpus.iter().map(|c| c.node).collect();
    assert_eq!(nodes, vec![0, 0, 0, 0]);
    if !common::have_tool("qemu-system-x86_64") {
        return;
    }
    // The live QEMU must print exactly these warnings (it is stopped with `quit`).
    let mut child = Command::new("qemu-system-x86_64")
        .args(&args)
        .args(["-monitor", "stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"quit\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let got = String::from_utf8_lossy(&out.stderr);
    assert_eq!(got.trim_end(), expect.join("\n"));
}

/// The bundled example (examples/grace-hopper, dumped from the live QEMU 10.0.2 with
/// firmware bus numbering): parse its command line, build the tables, compare bytes.
/// Spec §4.6 (verified): gi0..gi7 (nodes 2..9) come out as nodes 7,6,5,4,3,9,2,8.
#[test]
fn grace_hopper_example_tables_match_live_qemu_dump() {
    let dir = common::root().join("examples/grace-hopper");
    let Ok(text) = std::fs::read_to_string(dir.join("qemu-args.txt")) else {
        eprintln!("skipping: examples/grace-hopper not in this checkout");
        return;
    };
    let mut args = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(char::is_whitespace) {
            Some((o, v)) => {
                args.push(o.to_string());
                args.push(v.trim().to_string());
            }
            None => args.push(line.to_string()),
        }
    }
    let p = parse(&args, None).unwrap();
    let nodes: Vec<u32> = p.generic_initiators.iter().map(|g| g.node).collect();
    assert_eq!(nodes, vec![7, 6, 5, 4, 3, 9, 2, 8]);
    let tables = vnuma::machine::tables::build_tables(&p.topology).unwrap();
    let srat = std::fs::read(dir.join("tables/SRAT.dat")).unwrap();
    let slit = std::fs::read(dir.join("tables/SLIT.dat")).unwrap();
    assert_eq!(tables.srat.unwrap().encode(), srat);
    assert_eq!(tables.slit.unwrap().encode(), slit);
}

/// Runs the live QEMU with `-monitor stdio`, sends `quit`; returns (exit ok, stderr).
fn run_qemu_accepting(arch: Arch, args: &[String]) -> Option<(bool, String)> {
    use std::io::Write;
    let mut child = Command::new(arch.program())
        .args(words(BASE))
        .args(args)
        .args(["-monitor", "stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(b"quit\n").ok()?;
    let start = Instant::now();
    while child.try_wait().ok()?.is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Lines QEMU accepts (some with warnings): vnuma accepts them and prints the same.
#[test]
fn accepted_lines_match_qemu() {
    let cases: Vec<(Arch, String)> = vec![
        // acpi=off: no tables, no GI validation
        (
            Arch::X86_64,
            format!(
                "-M q35,acpi=off {M128} -numa node,memdev=m0 -object acpi-generic-initiator,id=g,pci-dev=nosuch,node=5"
            ),
        ),
        // no NUMA node: GI objects silently ignored
        (
            Arch::X86_64,
            "-M q35 -object acpi-generic-initiator,id=g,pci-dev=nosuch,node=5".into(),
        ),
        // initiator >= 128: message, the node is not created, the rest is fine
        (
            Arch::X86_64,
            format!(
                "-M q35,hmat=on {M128} -numa node,memdev=m0,cpus=0 -numa node,nodeid=1,initiator=200"
            ),
        ),
        // short-form boolean with deprecation warning
        (
            Arch::X86_64,
            format!("-M q35 {M128},noshare -numa node,memdev=m0"),
        ),
        // function 7 without function 0, duplicate GIs, GI on a root port
        (
            Arch::X86_64,
            format!(
                "-M q35 {M128} -numa node,memdev=m0 -numa node -device pci-testdev,id=f7,addr=05.7 -device pcie-root-port,id=rp,chassis=1 -object acpi-generic-initiator,id=a,pci-dev=f7,node=1 -object acpi-generic-initiator,id=b,pci-dev=f7,node=1 -object acpi-generic-initiator,id=c,pci-dev=rp,node=1"
            ),
        ),
        // -machine memory-backend gives the RAM size
        (
            Arch::X86_64,
            "-M q35,memory-backend=m0 -object memory-backend-ram,id=m0,size=256M".into(),
        ),
        // arm: GI on virt, default mapping by socket
        (
            Arch::Aarch64,
            format!(
                "-M virt -smp 4,sockets=2 {M128} -numa node,memdev=m0 -numa node -device pci-testdev,id=d -object acpi-generic-initiator,id=g,pci-dev=d,node=1"
            ),
        ),
    ];
    let mut failures = Vec::new();
    let mut ours = Vec::new();
    for (arch, a) in &cases {
        let mut args = words(BASE);
        args.extend(words(a));
        match parse(&args, Some(*arch)) {
            Ok(p) => {
                let w: Vec<String> = p
                    .warnings
                    .iter()
                    .map(|w| w.render(arch.program()))
                    .collect();
                ours.push(w.join("\n"));
            }
            Err(e) => {
                failures.push(format!("{a}: rejected: {e}"));
                ours.push(String::new());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // spot checks of the resolved topology
    let p = parse(
        &words(&format!("{BASE} {}", cases[4].1)),
        Some(Arch::X86_64),
    )
    .unwrap();
    let gi: Vec<(u8, u8, u32)> = p
        .generic_initiators
        .iter()
        .map(|g| (g.bus, g.devfn, g.node))
        .collect();
    assert_eq!(gi.len(), 3);
    assert!(gi.contains(&(0, 0x2f, 1)));
    assert!(
        gi.contains(&(0, 0x08, 1)),
        "root port auto-assigned to 01.0: {gi:?}"
    );
    let p = parse(
        &words(&format!("{BASE} {}", cases[5].1)),
        Some(Arch::X86_64),
    )
    .unwrap();
    assert_eq!(p.topology.memory.ram_size, 256 << 20);
    let p = parse(
        &words(&format!("{BASE} {}", cases[6].1)),
        Some(Arch::Aarch64),
    )
    .unwrap();
    let nodes: Vec<u32> = p.topology.cpus.iter().map(|c| c.node).collect();
    assert_eq!(nodes, vec![0, 0, 1, 1]);
    assert_eq!(
        (p.generic_initiators[0].bus, p.generic_initiators[0].devfn),
        (0, 0x08)
    );

    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let results: Vec<Option<(bool, String)>> = std::thread::scope(|s| {
        let hs: Vec<_> = cases
            .iter()
            .map(|(arch, a)| s.spawn(move || run_qemu_accepting(*arch, &words(a))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((_, a), (r, want)) in cases.iter().zip(results.into_iter().zip(ours)) {
        match r {
            None => failures.push(format!("{a}: QEMU did not exit")),
            Some((ok, err)) => {
                if !ok || err.trim_end() != want {
                    failures.push(format!(
                        "{a}\n  qemu (ok={ok}): {}\n  ours: {want}",
                        err.trim_end()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

mod no_panic {
    use proptest::prelude::*;
    use vnuma::front::qemu::parse::{Arch, parse};

    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "-M",
                "-machine",
                "-m",
                "-smp",
                "-numa",
                "-object",
                "-device",
                "-cpu",
                "q35",
                "pc",
                "virt",
                "node",
                "dist",
                "cpu",
                "hmat-lb",
                "hmat-cache",
                "-nodefaults",
                "node,nodeid=0",
                "node,cpus=0-3",
                "node,memdev=m0",
                "dist,src=0,dst=1,val=20",
                "memory-backend-ram,id=m0,size=128M",
                "q35,hmat=on,cxl=on",
                "4,sockets=2",
                "128M,slots=2,maxmem=1G",
                "pcie-root-port,id=rp,chassis=1",
                "pci-testdev,id=d,bus=rp",
                "pxb-cxl,id=c,bus_nr=64",
                "acpi-generic-port,id=p,pci-bus=c,node=0",
                "acpi-generic-initiator,id=g,pci-dev=d,node=1",
                "acpi-generic-initiator,id=h,pci-dev=d,host-nodes=0-200",
                "cpu,node-id=0,socket-id=1",
                "hmat-cache,node-id=0,size=1K,level=1,associativity=none,policy=none,line=8",
                "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=5",
                "pc-dimm,memdev=m0",
                "nvdimm,memdev=m0,node=1",
                "1,maxcpus=4096",
                "0x",
                "1.5G",
            ])
            .prop_map(str::to_string),
            "[-a-z0-9=,.:]{0,24}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn parse_never_panics(args in prop::collection::vec(token(), 0..16), arm in any::<bool>()) {
            let arch = if arm { Arch::Aarch64 } else { Arch::X86_64 };
            let _ = parse(&args, Some(arch));
            let _ = parse(&args, None);
        }
    }
}

/// The SRAT memory ranges (base, length, flags) vnuma computes for `args`.
fn srat_memory(args: &str) -> Vec<(u64, u64, u32)> {
    let args = words(args);
    let r = vnuma::front::qemu::report::qemu_report(&args, None)
        .1
        .unwrap_or_else(|e| panic!("rejected: {e:?}"));
    let files = r.tables.files();
    let srat = &files.iter().find(|(n, _)| n == "SRAT.dat").expect("SRAT").1;
    Srat::decode(srat)
        .expect("decodes")
        .entries
        .iter()
        .filter_map(|e| match e {
            SratEntry::Memory {
                base_address,
                length,
                flags,
                ..
            } => Some((*base_address, *length, *flags)),
            _ => None,
        })
        .collect()
}

#[test]
fn amd_1tib_relocation_boundary_matches_qemu() {
    // Expected ranges from the live QEMU 10.0.2 (`vnuma qemu-dump`, SRAT memory
    // affinity structures: base, length, flags 1 = enabled, 3 = enabled|hotpluggable).
    // q35 4G: RAM above 4G ends at 6G, device memory 6G..980G; the hole64 ends at
    // 1012G = 0xfd00000000 exactly, so the highest used address is below
    // AMD_HT_START: no relocation for the default AMD-vendor qemu64.
    // qemu-system-x86_64 -M q35 -m 4G,slots=2,maxmem=976G
    //   -object memory-backend-ram,id=a,size=4G -numa node,memdev=a -net none
    assert_eq!(
        srat_memory(
            "-M q35 -m 4G,slots=2,maxmem=976G -object memory-backend-ram,id=a,size=4G -numa node,memdev=a -net none"
        ),
        vec![
            (0, 0xa0000, 1),
            (0x100000, 0x7ff00000, 1),
            (0x1_0000_0000, 0x8000_0000, 1),
            (0x1_8000_0000, 0xf3_8000_0000, 3),
        ]
    );
    // pc: the i440FX hole64 is 2 GiB, so 1005G of maxmem stays below the HT window.
    // qemu-system-x86_64 -M pc -m 4G,slots=2,maxmem=1005G -cpu EPYC,phys-bits=42
    //   -object memory-backend-ram,id=a,size=4G -numa node,memdev=a -net none
    assert_eq!(
        srat_memory(
            "-M pc -m 4G,slots=2,maxmem=1005G -cpu EPYC,phys-bits=42 -object memory-backend-ram,id=a,size=4G -numa node,memdev=a -net none"
        ),
        vec![
            (0, 0xa0000, 1),
            (0x100000, 0xbff00000, 1),
            (0x1_0000_0000, 0x4000_0000, 1),
            (0x1_4000_0000, 0xfa_c000_0000, 3),
        ]
    );
}

/// The (bus, device, function) of every Generic Initiator vnuma computes for `args`.
fn gi_handles(args: &str) -> Vec<(u8, u8, u8)> {
    let args = words(args);
    let r = vnuma::front::qemu::report::qemu_report(&args, None)
        .1
        .unwrap_or_else(|e| panic!("rejected: {e:?}"));
    let files = r.tables.files();
    let srat = &files.iter().find(|(n, _)| n == "SRAT.dat").expect("SRAT").1;
    Srat::decode(srat)
        .expect("decodes")
        .entries
        .iter()
        .filter_map(|e| match e {
            SratEntry::GenericInitiator(g) => match &g.device_handle {
                DeviceHandle::Pci(p) => Some((p.bus, p.device, p.function)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn bus_reserve_below_subtree_reuses_bus_numbers_like_seabios() {
    // SeaBIOS's bus-reserve arithmetic: root port 0d.0 (bus-reserve=1) gets
    // secondary 2 and a subtree up to 4; 2 + 1 <= 4, so the "reserve" becomes
    // the raw value 1 and numbering restarts there. The next root port (17.0)
    // then gets 2 again, its PCIe-PCI bridge 3, its PCI bridge 4; QEMU's
    // pci_find_bus_nr resolves bus 2 and 3 to the first chain (newest child
    // first / exact match), so the second PCI bridge is never programmed and
    // gpu-0's bus reads 0. Live QEMU 10.0.2 (`vnuma qemu-dump`, differential seed
    // 50657) gives gpu2 at 04:04.0 and gpu-0 at 00:01.0:
    // qemu-system-x86_64 -machine q35 -net none -m 128M
    //   -object memory-backend-ram,id=m0,size=128M -numa node,nodeid=0,memdev=m0
    //   -numa node,nodeid=1 -numa node,nodeid=2
    //   -device pcie-root-port,id=nrp0,chassis=1,addr=17.0
    //   -device pcie-pci-bridge,id=ppb0,bus=nrp0,addr=00.0
    //   -device pci-bridge,id=nb0,bus=ppb0,chassis_nr=2,addr=05.0
    //   -device pci-testdev,id=gpu-0,bus=nb0,addr=01.0
    //   -device pcie-root-port,id=nrp2,chassis=4,addr=0d.0,bus-reserve=1
    //   -device pcie-pci-bridge,id=ppb2,bus=nrp2,addr=00.0
    //   -device pci-bridge,id=nb2,bus=ppb2,chassis_nr=5,addr=07.0
    //   -device pci-testdev,id=gpu2,bus=nb2,addr=04.0
    //   -object acpi-generic-initiator,id=gi0,pci-dev=gpu2,node=1
    //   -object acpi-generic-initiator,id=gi1,pci-dev=gpu-0,node=2
    //   -device pcie-root-port,id=br1,chassis=3,addr=04.0
    //   -device pci-testdev,id=GPU145,bus=br1,addr=00.0
    let args = "-machine q35 -net none -m 128M -object memory-backend-ram,id=m0,size=128M -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1 -numa node,nodeid=2 -device pcie-root-port,id=nrp0,chassis=1,addr=17.0 -device pcie-pci-bridge,id=ppb0,bus=nrp0,addr=00.0 -device pci-bridge,id=nb0,bus=ppb0,chassis_nr=2,addr=05.0 -device pci-testdev,id=gpu-0,bus=nb0,addr=01.0 -device pcie-root-port,id=nrp2,chassis=4,addr=0d.0,bus-reserve=1 -device pcie-pci-bridge,id=ppb2,bus=nrp2,addr=00.0 -device pci-bridge,id=nb2,bus=ppb2,chassis_nr=5,addr=07.0 -device pci-testdev,id=gpu2,bus=nb2,addr=04.0 -object acpi-generic-initiator,id=gi0,pci-dev=gpu2,node=1 -object acpi-generic-initiator,id=gi1,pci-dev=gpu-0,node=2 -device pcie-root-port,id=br1,chassis=3,addr=04.0 -device pci-testdev,id=GPU145,bus=br1,addr=00.0";
    let mut got = gi_handles(args);
    got.sort();
    assert_eq!(got, vec![(0, 1, 0), (4, 4, 0)]);
}

fn rendered_warnings(args: &str, arch: Arch) -> Vec<String> {
    let p = parse(&words(args), Some(arch)).unwrap_or_else(|e| panic!("rejected: {e:?}"));
    p.warnings
        .iter()
        .map(|w| w.render(arch.program()))
        .collect()
}

#[test]
fn ram_split_and_cluster_warnings_match_qemu() {
    // Expected text printed by the live QEMU 10.0.2 for each command line.
    // qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 4,sockets=1,clusters=2,cores=2
    //   -m 256M -object memory-backend-ram,id=a,size=256M -numa node,nodeid=0,memdev=a
    //   -numa node,nodeid=1 -numa cpu,node-id=0,socket-id=0,cluster-id=0,core-id=0
    //   -numa cpu,node-id=1,socket-id=0,cluster-id=0,core-id=1
    //   -numa cpu,node-id=1,socket-id=0,cluster-id=1
    assert_eq!(
        rendered_warnings(
            "-M virt -cpu cortex-a57 -smp 4,sockets=1,clusters=2,cores=2 -m 256M -object memory-backend-ram,id=a,size=256M -numa node,nodeid=0,memdev=a -numa node,nodeid=1 -numa cpu,node-id=0,socket-id=0,cluster-id=0,core-id=0 -numa cpu,node-id=1,socket-id=0,cluster-id=0,core-id=1 -numa cpu,node-id=1,socket-id=0,cluster-id=1",
            Arch::Aarch64
        ),
        vec![
            "qemu-system-aarch64: warning: CPU-0 and CPU-1 in socket-0-cluster-0 have been associated with node-0 and node-1 respectively. It can cause OSes like Linux to misbehave"
        ]
    );
    // qemu-system-x86_64 -M pc,max-ram-below-4g=2560M -m 2560M -net none
    assert_eq!(
        rendered_warnings(
            "-M pc,max-ram-below-4g=2560M -m 2560M -net none",
            Arch::X86_64
        ),
        vec![
            "qemu-system-x86_64: warning: Large machine and max_ram_below_4g (2684354560) not a multiple of 1G; possible bad performance."
        ]
    );
    // qemu-system-x86_64 -M q35,max-ram-below-4g=1536M -m 6G -net none
    assert_eq!(
        rendered_warnings(
            "-M q35,max-ram-below-4g=1536M -m 6G -net none",
            Arch::X86_64
        ),
        vec![
            "qemu-system-x86_64: warning: There is possibly poor performance as the ram size  (0x180000000) is more then twice the size of max-ram-below-4g (1610612736) and max-ram-below-4g is not a multiple of 1G."
        ]
    );
    // No warning: pc's low memory is clamped to 3G (aligned) for 3968M.
    // qemu-system-x86_64 -M pc,max-ram-below-4g=3968M -m 4G -net none
    assert!(
        rendered_warnings("-M pc,max-ram-below-4g=3968M -m 4G -net none", Arch::X86_64).is_empty()
    );
}

#[test]
fn bridge_below_bus_nr_255_is_reported_not_looped() {
    // qemu-system-x86_64 -M q35 ... -device pxb-pcie,bus_nr=255,id=pxbx,bus=pcie.0
    //   -device pcie-root-port,id=pxbxrp,bus=pxbx,chassis=99
    // QEMU starts, but firmware bus numbering wraps past 255 and never ends
    // (`vnuma qemu-dump` times out after 20 s): vnuma says so instead of hanging.
    let args = words(
        "-M q35 -m 128M -object memory-backend-ram,id=a,size=128M -numa node,memdev=a -device pcie-root-port,id=r0,chassis=1 -device pxb-pcie,bus_nr=255,id=pxbx,bus=pcie.0 -device pcie-root-port,id=pxbxrp,bus=pxbx,chassis=99 -device pci-testdev,id=d,bus=pxbxrp -object acpi-generic-initiator,id=g,pci-dev=d,node=0 -net none",
    );
    let err = parse(&args, Some(Arch::X86_64)).expect_err("must be refused");
    let text = err.render("qemu-system-x86_64");
    assert!(text.contains("bus numbering never finishes"), "{text}");
}

#[test]
fn max_ram_below_4g_zero_means_default() {
    // 0 is "not set" for the RAM split (pc_q35_init): 512M stays below 4G and
    // device memory starts at 4G. Live QEMU 10.0.2 SRAT memory structures:
    // qemu-system-x86_64 -M q35,max-ram-below-4g=0 -m 512M,slots=1,maxmem=2G
    //   -object memory-backend-ram,id=a,size=512M -numa node,memdev=a -net none
    assert_eq!(
        srat_memory(
            "-M q35,max-ram-below-4g=0 -m 512M,slots=1,maxmem=2G -object memory-backend-ram,id=a,size=512M -numa node,memdev=a -net none"
        ),
        vec![
            (0, 0xa0000, 1),
            (0x100000, 0x1ff00000, 1),
            (0, 0, 0),
            (0x1_0000_0000, 0xa000_0000, 3),
        ]
    );
}

/// `-machine cxl-fmw.N.…` (live QEMU 10.0.2 and 11.1.3, 2026-11-29: these texts, no
/// location; a valid window leaves the SRAT byte-identical, see check_cxl_fmw).
#[test]
fn cxl_fixed_memory_windows() {
    let base = "-machine q35,cxl=on -m 1G -object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0 -numa node -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 -object acpi-generic-port,id=gp0,pci-bus=cxl.1,node=1 -machine ";
    for (m, want) in [
        (
            "cxl-fmw.0.size=4G",
            Some("Parameter 'cxl-fmw.0.targets' is missing"),
        ),
        (
            "cxl-fmw.0.targets.0=cxl.1",
            Some("Parameter 'cxl-fmw.0.size' is missing"),
        ),
        (
            "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.bogus=1",
            Some("Parameter 'cxl-fmw.0.bogus' is unexpected"),
        ),
        (
            "cxl-fmw.x.size=4G",
            Some("Invalid parameter type for 'cxl-fmw', expected: array"),
        ),
        ("cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G", None),
        (
            "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G,cxl-fmw.0.interleave-granularity=8k",
            None,
        ),
    ] {
        let args: Vec<String> = format!("{base}{m}")
            .split_whitespace()
            .map(String::from)
            .collect();
        let with = parse(&args, None);
        match want {
            Some(w) => assert_eq!(with.unwrap_err().message, w, "{m}"),
            None => {
                let without = parse(&args[..args.len() - 2], None).unwrap();
                assert_eq!(with.unwrap().topology, without.topology, "{m}");
            }
        }
    }
}
