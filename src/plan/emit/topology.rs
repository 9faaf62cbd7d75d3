//! `--emit topology`: the plan as a topology file (TOML, `docs/topology.md`),
//! the input of `vnuma build`, `vnuma initrd` and `vnuma verify`.
//!
//! The file spells out the layout of [`crate::plan`]: one `[[node]]` per CPU
//! node with its CPUs and memory, one memoryless `[[node]]` group per GPU, the
//! PCI devices (q35: a `pcie-root-port` at slot 0x10+i per GPU; virt: a
//! `pxb-pcie` with `bus_nr` 32·(i+1) and a root port behind it), each GPU at
//! 00.0 (`vfio-pci` with `host=`, or `pci-testdev` as a stand-in), its
//! `[[generic-initiator]]` and the full `[distances]` matrix.

use crate::build::qemu_size;
use crate::front::file::{TopologyFile, parse_str};
use crate::linux::list_runs;
use crate::plan::{GuestPlan, emit::EmitError, emit::EmitOptions};
use crate::topology::MachineKind;

/// A TOML string.
fn s(v: &str) -> String {
    toml::Value::String(v.to_string()).to_string()
}

/// `[a-b]` runs of `v` in TOML list form (`"0-3,8"`).
fn runs(v: &[u32]) -> String {
    s(&list_runs(v).join(","))
}

/// The CPU sockets of the plan: one per CPU node when the vCPUs split evenly,
/// else one (so that no socket spans two nodes where that can be avoided).
pub fn sockets(plan: &GuestPlan) -> u32 {
    let n = u32::try_from(plan.cpu_nodes().count()).unwrap_or(1).max(1);
    let v = plan.vcpus();
    if v.is_multiple_of(n) { n } else { 1 }
}

/// The topology file text of `plan`.
pub fn emit_topology(plan: &GuestPlan, opts: &EmitOptions) -> String {
    let mut o = String::new();
    let gpus: Vec<String> = plan.gpus.iter().map(|g| g.host_bdf.to_string()).collect();
    o.push_str(&format!(
        "# vnuma plan: {} guest for GPU(s) {}.\n\
         # Guest node id = proximity domain; each guest node stands for the host node named.\n\n",
        plan.machine.name(),
        gpus.join(", ")
    ));
    o.push_str(&format!(
        "[machine]\ntype = {}\nmemory = {}\n\n",
        s(plan.machine.name()),
        s(&qemu_size(plan.memory()))
    ));
    o.push_str(&format!(
        "[cpus]\ncount = {}\nsockets = {}\n\n",
        plan.vcpus(),
        sockets(plan)
    ));
    for n in plan.cpu_nodes() {
        o.push_str(&format!(
            "[[node]]              # host node {}\nid = {}\nmemory = {}\n",
            n.host_node,
            n.node,
            s(&qemu_size(n.memory))
        ));
        if !n.cpus.is_empty() {
            o.push_str(&format!("cpus = {}\n", runs(&n.cpus)));
        }
        o.push('\n');
    }
    for g in &plan.gpus {
        let hosts: Vec<u32> = g
            .nodes
            .iter()
            .filter_map(|&id| plan.nodes.get(usize::try_from(id).ok()?))
            .map(|n| n.host_node)
            .collect();
        o.push_str(&format!(
            "[[node]]              # GPU {} ({}): host nodes {}\nid = {}\n\n",
            g.host_bdf,
            g.id,
            list_runs(&hosts).join(","),
            runs(&g.nodes)
        ));
    }
    for (i, g) in plan.gpus.iter().enumerate() {
        let rp = format!("rp{i}");
        let chassis = i + 1;
        match plan.machine {
            MachineKind::Virt => {
                let pxb = format!("pxb{i}");
                let numa = plan.gpu_cpu_node(g).unwrap_or(0);
                o.push_str(&format!(
                    "[[pci]]\nid = {}\ndriver = \"pxb-pcie\"\nbus = \"pcie.0\"\nprops = {}\n\n",
                    s(&pxb),
                    s(&format!("bus_nr={},numa_node={numa}", 32 * (i + 1)))
                ));
                o.push_str(&format!(
                    "[[pci]]\nid = {}\ndriver = \"pcie-root-port\"\nbus = {}\naddr = \"00.0\"\nprops = {}\n\n",
                    s(&rp),
                    s(&pxb),
                    s(&format!("chassis={chassis}"))
                ));
            }
            _ => {
                o.push_str(&format!(
                    "[[pci]]\nid = {}\ndriver = \"pcie-root-port\"\nbus = \"pcie.0\"\naddr = {}\nprops = {}\n\n",
                    s(&rp),
                    s(&format!("{:02x}.0", 0x10 + i)),
                    s(&format!("chassis={chassis}"))
                ));
            }
        }
        if opts.stand_in {
            o.push_str(&format!(
                "[[pci]]               # stand-in for {}\nid = {}\ndriver = \"pci-testdev\"\nbus = {}\naddr = \"00.0\"\n\n",
                g.host_bdf,
                s(&g.id),
                s(&rp)
            ));
        } else {
            o.push_str(&format!(
                "[[pci]]\nid = {}\ndriver = \"vfio-pci\"\nbus = {}\naddr = \"00.0\"\nprops = {}\n\n",
                s(&g.id),
                s(&rp),
                s(&format!(
                    "host={}",
                    crate::quote::qemu_value(&g.host_bdf.to_string())
                ))
            ));
        }
    }
    for g in &plan.gpus {
        o.push_str(&format!(
            "[[generic-initiator]]\ndevice = {}\nnodes = {}\n\n",
            s(&g.id),
            runs(&g.nodes)
        ));
    }
    o.push_str("[distances]\nmatrix = [\n");
    for row in &plan.distances {
        let r: Vec<String> = row.iter().map(u8::to_string).collect();
        o.push_str(&format!("    [{}],\n", r.join(", ")));
    }
    o.push_str("]\n");
    o
}

/// The plan's topology file, resolved by the topology front end (as `vnuma
/// build` reads it): the guest PCI addresses, CPU ids and tables follow from it.
pub fn topology_file(plan: &GuestPlan, opts: &EmitOptions) -> Result<TopologyFile, EmitError> {
    Ok(parse_str(&emit_topology(plan, opts), "<plan>")?)
}

/// `vnuma lint` on the planner's own output: the tables `vnuma build` makes
/// from the emitted topology (canonical order, guest node id = PXM), checked
/// as `vnuma inspect` checks a guest's tables. Findings that a plan can have
/// are e.g. `slit-unreachable` (a host 255 distance kept, older GH200
/// firmware) and `gi-pci-devfn` (a GPU not at device 0 function 0, which the
/// planner never emits).
pub fn lint_plan(plan: &GuestPlan, opts: &EmitOptions) -> Result<crate::lint::Report, EmitError> {
    let f = topology_file(plan, opts)?;
    let tables = crate::build::table_set(&f, crate::build::Order::Canonical)?;
    let loaded: Vec<crate::lint::LoadedTable> = tables
        .into_iter()
        .map(|(sig, bytes)| crate::lint::LoadedTable::decode(Some(format!("<plan>/{sig}")), bytes))
        .collect();
    Ok(crate::lint::lint(&loaded))
}
