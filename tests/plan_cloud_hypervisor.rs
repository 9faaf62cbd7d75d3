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

#[path = "peers/cloud_hypervisor/mod.rs"]
mod ch_peer;

use ch_peer::{app, parse, slit};
use vnuma::plan::GuestPlan;
use vnuma::plan::emit::cloud_hypervisor::{ChError, ChOptions, emit_cloud_hypervisor};
use vnuma::topology::MachineKind;

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
