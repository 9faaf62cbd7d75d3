//! `vnuma build`: a topology file → SRAT/SLIT/HMAT (by the same
//! [`crate::machine::tables::build_tables`] the QEMU front end uses) and the VMM
//! arguments that give a guest those tables: QEMU ≥ 9.0 native options, or, for
//! any x86 QEMU, the same VM without `-numa` plus `-acpitable file=…`.

use std::path::Path;

use crate::acpi::DeviceHandle;
use crate::linux::list_runs;
use crate::machine::tables::{Tables, build_tables};
use crate::topology::file::{PciDevice, TopologyFile};
use crate::topology::{MachineKind, Topology};

/// Emission order of Generic Initiator / Generic Port entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Order {
    /// Ascending proximity domain: Linux node ids equal proximity domains.
    #[default]
    Canonical,
    /// The order QEMU 10 emits for the objects of the printed native command
    /// line (GLib hash order of their ids).
    Qemu,
}

/// The object id of the `k`-th generic initiator object on the native command line.
fn gi_id(k: usize) -> String {
    format!("gi{k}")
}

/// The memory backend id of node `n`.
fn mem_id(n: usize) -> String {
    format!("m{n}")
}

/// The topology with its GI/GP entries put in `order`.
pub fn ordered_topology(f: &TopologyFile, order: Order) -> anyhow::Result<Topology> {
    let mut t = f.topology.clone();
    match order {
        Order::Canonical => {
            t.generic_initiators.sort_by_key(|a| a.node);
            t.generic_ports.sort_by_key(|a| a.node);
        }
        Order::Qemu => {
            if !t.generic_ports.is_empty() {
                anyhow::bail!(
                    "--order qemu: generic ports have no object on the printed QEMU command line"
                );
            }
            if let Some(g) = t.generic_initiators.iter().find(|g| g.device.is_empty()) {
                anyhow::bail!(
                    "--order qemu: {} names no [[pci]] device with a driver, so QEMU would create no object for it",
                    g.label
                );
            }
            // QOM /objects children: early objects (the GI objects) in command-line
            // order, then late ones (memory backends).
            let mut keys: Vec<String> = (0..t.generic_initiators.len()).map(gi_id).collect();
            keys.extend(
                t.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.mem > 0)
                    .map(|(i, _)| mem_id(i)),
            );
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let n = t.generic_initiators.len();
            let order: Vec<usize> = crate::qemu::glib_hash::iteration_order(&refs)
                .into_iter()
                .filter(|&i| i < n)
                .collect();
            let gis = std::mem::take(&mut t.generic_initiators);
            t.generic_initiators = order
                .into_iter()
                .filter_map(|i| gis.get(i).cloned())
                .collect();
        }
    }
    Ok(t)
}

/// Builds the planned tables for a topology file in the given order.
pub fn plan_tables(f: &TopologyFile, order: Order) -> anyhow::Result<Tables> {
    let t = ordered_topology(f, order)?;
    build_tables(&t).map_err(|e| anyhow::anyhow!("{}: {}", f.file, e.message()))
}

/// A size as QEMU reads it, with the largest exact binary suffix (`512M`, `1G`).
pub fn qemu_size(v: u64) -> String {
    for (shift, suffix) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if v != 0 && v.is_multiple_of(1u64 << shift) {
            return format!("{}{suffix}", v >> shift);
        }
    }
    v.to_string()
}

fn machine_arg(f: &TopologyFile, native: bool) -> String {
    let t = &f.topology;
    let mut m = t.machine.name().to_string();
    if native && t.hmat {
        m.push_str(",hmat=on");
    }
    if let Some(b) = t.memory.max_ram_below_4g {
        m.push_str(&format!(",max-ram-below-4g={}", qemu_size(b)));
    }
    if native && t.oem != crate::topology::Oem::default() {
        let text = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .trim_end_matches(['\0'])
                .to_string()
        };
        m.push_str(&format!(
            ",x-oem-id={},x-oem-table-id={}",
            text(&t.oem.oem_id),
            text(&t.oem.oem_table_id)
        ));
    }
    m
}

fn common_args(f: &TopologyFile, native: bool) -> Vec<String> {
    let t = &f.topology;
    let mut a = vec![format!("-machine {}", machine_arg(f, native))];
    if t.machine == MachineKind::Virt {
        a.push("-cpu max".into());
    }
    a.push(format!("-smp {}", f.smp.qemu_arg(t.machine)));
    let mut m = qemu_size(t.memory.ram_size);
    if t.memory.slots > 0 {
        m.push_str(&format!(",slots={}", t.memory.slots));
    }
    if let Some(mm) = t.memory.max_ram {
        m.push_str(&format!(",maxmem={}", qemu_size(mm)));
    }
    a.push(format!("-m {m}"));
    a
}

fn device_args(pci: &[PciDevice]) -> Vec<String> {
    pci.iter()
        .filter_map(|d| d.qemu_arg().map(|v| format!("-device {v}")))
        .collect()
}

/// What the native QEMU command line cannot express.
pub fn native_gaps(f: &TopologyFile) -> Vec<String> {
    let mut gaps = Vec::new();
    let t = &f.topology;
    for g in &t.generic_initiators {
        let ok = matches!(g.handle, DeviceHandle::Pci(_))
            && f.pci.iter().any(|d| d.id == g.device && d.driver.is_some());
        if !ok {
            gaps.push(format!(
                "{} (node {}): QEMU's acpi-generic-initiator needs a PCI device it creates",
                g.label, g.node
            ));
        }
    }
    for g in &t.generic_ports {
        gaps.push(format!(
            "{} (node {}): acpi-generic-port needs a pxb-cxl host bridge",
            g.label, g.node
        ));
    }
    if t.oem.oem_revision != 1 {
        gaps.push("QEMU always writes OEM revision 1".into());
    }
    gaps
}

/// QEMU ≥ 9.0 native options, one option and its value per element.
pub fn qemu_native_args(f: &TopologyFile) -> Vec<String> {
    let t = &f.topology;
    let mut a = common_args(f, true);
    for (i, n) in t.nodes.iter().enumerate() {
        if n.mem > 0 {
            a.push(format!(
                "-object memory-backend-ram,id={},size={}",
                mem_id(i),
                qemu_size(n.mem)
            ));
        }
    }
    for (i, n) in t.nodes.iter().enumerate() {
        let mut s = format!("-numa node,nodeid={i}");
        let cpus: Vec<u32> = t
            .cpus
            .iter()
            .enumerate()
            .filter(|(_, c)| usize::try_from(c.node).is_ok_and(|x| x == i))
            .filter_map(|(k, _)| u32::try_from(k).ok())
            .collect();
        for r in list_runs(&cpus) {
            s.push_str(&format!(",cpus={r}"));
        }
        if n.mem > 0 {
            s.push_str(&format!(",memdev={}", mem_id(i)));
        }
        if let Some(init) = n.initiator {
            s.push_str(&format!(",initiator={init}"));
        }
        a.push(s);
    }
    a.extend(device_args(&f.pci));
    let mut k = 0;
    for g in &t.generic_initiators {
        if matches!(g.handle, DeviceHandle::Pci(_)) && !g.device.is_empty() {
            a.push(format!(
                "-object acpi-generic-initiator,id={},pci-dev={},node={}",
                gi_id(k),
                g.device,
                g.node
            ));
            k += 1;
        }
    }
    if let Some(d) = &t.distances {
        for (i, row) in d.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let back = d.get(j).and_then(|r| r.get(i)).copied();
                // One direction per symmetric pair (QEMU fills the other).
                if i < j || (i > j && back != Some(v)) {
                    a.push(format!("-numa dist,src={i},dst={j},val={v}"));
                }
            }
        }
    }
    for l in &t.hmat_lb {
        let value = if l.data_type.is_latency() {
            format!("latency={}", l.value)
        } else {
            format!("bandwidth={}", qemu_size(l.value))
        };
        a.push(format!(
            "-numa hmat-lb,initiator={},target={},hierarchy={},data-type={},{value}",
            l.initiator,
            l.target,
            l.hierarchy.name(),
            l.data_type.name()
        ));
    }
    for c in &t.hmat_caches {
        a.push(format!(
            "-numa hmat-cache,node-id={},size={},level={},associativity={},policy={},line={}",
            c.node,
            qemu_size(c.size),
            c.level,
            c.associativity.name(),
            c.policy.name(),
            c.line
        ));
    }
    a
}

/// Any x86 QEMU: the VM without `-numa`, plus `-acpitable file=DIR/…` for each
/// table file. `None` on arm (QEMU has no `-acpitable` there).
pub fn qemu_acpitable_args(f: &TopologyFile, dir: &Path, files: &[String]) -> Option<Vec<String>> {
    if !f.topology.machine.is_x86() {
        return None;
    }
    let mut a = common_args(f, false);
    a.extend(device_args(&f.pci));
    for name in files {
        a.push(format!("-acpitable file={}", dir.join(name).display()));
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh() -> TopologyFile {
        let p =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/grace-hopper.toml");
        crate::topology::file::load(&p).unwrap()
    }

    #[test]
    fn native_args_match_the_bundled_command_line() {
        // The command line of HELPERS.md (written by hand there), as a set of options.
        let a = qemu_native_args(&gh());
        for want in [
            "-machine q35",
            "-m 1G",
            "-object memory-backend-ram,id=m0,size=512M",
            "-numa node,nodeid=0,cpus=0-1,memdev=m0",
            "-numa node,nodeid=1,cpus=2-3,memdev=m1",
            "-numa node,nodeid=9",
            "-device pcie-root-port,id=rp0,bus=pcie.0,addr=04.0,chassis=1",
            "-device pci-testdev,id=gpu0,bus=rp0,addr=00.0",
            "-object acpi-generic-initiator,id=gi0,pci-dev=gpu0,node=2",
            "-object acpi-generic-initiator,id=gi7,pci-dev=gpu0,node=9",
            "-numa dist,src=0,dst=1,val=20",
            "-numa dist,src=1,dst=9,val=80",
            "-numa dist,src=2,dst=9,val=20",
        ] {
            assert!(a.iter().any(|x| x == want), "missing {want}: {a:#?}");
        }
        assert!(!a.iter().any(|x| x.starts_with("-numa dist,src=9,dst=2")));
        assert_eq!(a.iter().filter(|x| x.starts_with("-numa dist")).count(), 45);
    }

    #[test]
    fn qemu_order_is_the_measured_hash_order() {
        // qemu-numa-spec.md §4.6 [verified]: ids gi0..gi7 with nodes 2..9 come out
        // as nodes 7,6,5,4,3,9,2,8.
        let t = ordered_topology(&gh(), Order::Qemu).unwrap();
        let nodes: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
        assert_eq!(nodes, [7, 6, 5, 4, 3, 9, 2, 8]);
        let t = ordered_topology(&gh(), Order::Canonical).unwrap();
        let nodes: Vec<u32> = t.generic_initiators.iter().map(|g| g.node).collect();
        assert_eq!(nodes, (2..10).collect::<Vec<_>>());
    }

    #[test]
    fn sizes_for_qemu() {
        assert_eq!(qemu_size(512 << 20), "512M");
        assert_eq!(qemu_size(1 << 30), "1G");
        assert_eq!(qemu_size(1000), "1000");
    }
}
