//! Hand-built guest plans (the planner's output shape) for the emitter tests,
//! from the published host facts (quoted as facts F1–F5 in tests/fixtures/hosts/README.md):
//! - GH200 (1 superchip): host node 0 = Grace CPUs + LPDDR5X, nodes 1–8 = the
//!   GPU's nodes; CPU↔GPU 80, GPU↔GPU 11 (newer firmware) or 255 (older).
//! - GB200 tray (2 Grace + 4 GPUs): CPU nodes 0, 1; GPU g on nodes 2+8g … 9+8g;
//!   CPU↔CPU 40, CPU↔own GPUs 80, CPU↔other socket's GPUs 120, within a GPU 11,
//!   between GPUs 40.
//!
//! Guest node id = index; CPU nodes first, then per GPU 8 memoryless nodes.
#![allow(dead_code)]

use vnuma::acpi::PciHandle;
use vnuma::front::qemu::version::QemuVersion;
use vnuma::plan::{GuestGpu, GuestNode, GuestPlan};
use vnuma::topology::MachineKind;

/// The guest BDF the shared design gives GPU `i`: bus i+1 (q35, root port on
/// pcie.0) or the root port's secondary bus behind pxb `bus_nr` 32·(i+1) (virt).
pub fn guest_bdf(machine: MachineKind, i: usize) -> PciHandle {
    let bus = match machine {
        MachineKind::Virt => 32 * (i + 1) + 1,
        _ => i + 1,
    };
    PciHandle::new(0, bus as u8, 0, 0)
}

/// A plan from CPU nodes (vCPUs, MiB) and GPUs (host BDF, nodes), with a host
/// distance function over guest indexes.
pub fn build(
    machine: MachineKind,
    cpu_nodes: &[(u32, u64)],
    gpus: &[(&str, u16, usize)],
    dist: impl Fn(usize, usize) -> u8,
) -> GuestPlan {
    let mut nodes = Vec::new();
    let mut cpu = 0;
    for (i, &(n, mib)) in cpu_nodes.iter().enumerate() {
        nodes.push(GuestNode {
            node: i as u32,
            host_node: i as u32,
            cpus: (cpu..cpu + n).collect(),
            memory: mib << 20,
            generic_initiator: None,
        });
        cpu += n;
    }
    let mut out_gpus = Vec::new();
    for (i, &(bdf, device, count)) in gpus.iter().enumerate() {
        let host_bdf = PciHandle::parse(bdf).unwrap();
        let first = nodes.len() as u32;
        for k in 0..count as u32 {
            nodes.push(GuestNode {
                node: first + k,
                host_node: first + k,
                cpus: vec![],
                memory: 0,
                generic_initiator: Some(host_bdf),
            });
        }
        out_gpus.push(GuestGpu {
            host_bdf,
            vendor: 0x10de,
            device,
            id: format!("gpu{i}"),
            nodes: (first..first + count as u32).collect(),
            guest_bdf: guest_bdf(machine, i),
        });
    }
    let n = nodes.len();
    let distances = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { 10 } else { dist(i, j) })
                .collect()
        })
        .collect();
    GuestPlan {
        machine,
        qemu_version: QemuVersion::V11_1,
        nodes,
        distances,
        gpus: out_gpus,
        hmat: false,
    }
}

/// GH200: guest node 0 (4 vCPUs, 1 GiB) + the GPU's 8 nodes 1–8; `gpu_gpu` is
/// 11 (newer firmware) or 255 (older).
pub fn gh200(machine: MachineKind, gpu_gpu: u8) -> GuestPlan {
    build(
        machine,
        &[(4, 1024)],
        &[("0009:01:00.0", 0x2342, 8)],
        |i, j| if i == 0 || j == 0 { 80 } else { gpu_gpu },
    )
}

/// GB200 tray: guest nodes 0, 1 (2 vCPUs, 512 MiB each) + 4 GPUs × 8 nodes (2–33).
pub fn gb200(machine: MachineKind) -> GuestPlan {
    // GPU g (0..4) sits on CPU socket g / 2.
    let gpu_of = |i: usize| (i >= 2).then(|| (i - 2) / 8);
    build(
        machine,
        &[(2, 512), (2, 512)],
        &[
            ("0008:01:00.0", 0x2941, 8),
            ("0009:01:00.0", 0x2941, 8),
            ("0018:01:00.0", 0x2941, 8),
            ("0019:01:00.0", 0x2941, 8),
        ],
        move |i, j| match (gpu_of(i), gpu_of(j)) {
            (None, None) => 40,
            (None, Some(g)) => {
                if g / 2 == i {
                    80
                } else {
                    120
                }
            }
            (Some(g), None) => {
                if g / 2 == j {
                    80
                } else {
                    120
                }
            }
            (Some(a), Some(b)) => {
                if a == b {
                    11
                } else {
                    40
                }
            }
        },
    )
}
