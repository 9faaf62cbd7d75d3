//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` next to the repository (QEMU golden blobs and specs).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Whether `tool` is on PATH. In CI (`CI` set) a missing tool fails the test:
/// `.ci/setup` installs it, so its absence is a real failure, never a silent skip.
pub fn have_tool(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{tool} is not installed (run .ci/setup)");
        }
        eprintln!("skipping: {tool} is not installed (run .ci/setup)");
    }
    found
}

/// A topology with QEMU's defaults: `ram` bytes, the given possible CPUs as
/// (arch id, node), nodes with the given memory, no extras.
pub fn topo(
    machine: vnuma::topology::MachineKind,
    ram: u64,
    cpus: &[(u32, u32)],
    node_mem: &[u64],
) -> vnuma::topology::Topology {
    use vnuma::topology::*;
    Topology {
        machine,
        memory: MemoryConfig {
            ram_size: ram,
            max_ram: None,
            slots: 0,
            max_ram_below_4g: None,
            above_4g_at_1tib: false,
        },
        cpus: cpus
            .iter()
            .map(|&(arch_id, node)| Cpu { arch_id, node })
            .collect(),
        nodes: node_mem
            .iter()
            .map(|&mem| Node {
                mem,
                initiator: None,
            })
            .collect(),
        distances: None,
        generic_initiators: vec![],
        generic_ports: vec![],
        nvdimms: vec![],
        sgx_epc: vec![],
        hmat: false,
        hmat_lb: vec![],
        hmat_caches: vec![],
        extra_initiators: vec![],
        oem: Oem::default(),
    }
}
