//! Two more sources of a [`View`], built directly (not from tables): a host
//! read under a root ([`View::from_host`], the planner's host view) and a
//! planned guest ([`View::from_plan`]), whose nodes each name the host node
//! they stand for ([`super::Node::host_node`]).

use std::path::Path;

use super::{Device, DeviceKind, Gpu, Node, View};
use crate::acpi::Srat;
use crate::front::host::{HostOptions, HostTopology, NodeSource, discover};
use crate::input::InputKind;
use crate::plan::GuestPlan;

/// Where the host SRAT lies under a root.
const SRAT_PATH: &str = "sys/firmware/acpi/tables/SRAT";

impl View {
    /// The view of a host: one node per host node (Linux id; PXM from `srat`,
    /// the host SRAT, through Linux's first-appearance numbering, else none),
    /// its CPUs and `MemTotal`; each GPU of [`HostTopology::gpus`] with its
    /// nodes and how they were found; the host distance matrix; the host
    /// front end's warnings as notes.
    pub fn from_host(title: &str, host: &HostTopology, srat: Option<&Srat>) -> View {
        let mut v = View::empty(title, "host");
        let order = srat.map(crate::linux::linux_node_order);
        if srat.is_some() {
            v.tables.push("SRAT".into());
        }
        v.nodes = host
            .nodes
            .iter()
            .map(|n| Node {
                node: n.node,
                pxm: order
                    .as_ref()
                    .and_then(|o| o.get(usize::try_from(n.node).ok()?).copied()),
                cpus: n.cpus.clone(),
                memory: n.memory,
                hotplug: 0,
                devices: Vec::new(),
                gpu: None,
                host_node: None,
            })
            .collect();
        for g in host.gpus.iter().filter(|g| !g.nodes.is_empty()) {
            let handle = g.device.bdf.to_string();
            let kind = if g.source == NodeSource::Srat {
                DeviceKind::GenericInitiator
            } else {
                DeviceKind::Gpu
            };
            for id in &g.nodes {
                if let Some(n) = v.nodes.iter_mut().find(|n| n.node == *id) {
                    n.devices.push(Device {
                        kind,
                        handle: handle.clone(),
                        name: None,
                        pxm: n.pxm,
                    });
                }
            }
            v.gpus.push(Gpu {
                handle,
                name: g.device.driver.clone(),
                nodes: g.nodes.clone(),
                found_by: Some(found_by(g.source).to_string()),
            });
        }
        for g in host.gpus.iter().filter(|g| g.nodes.is_empty()) {
            v.notes.push(format!(
                "GPU {} ({:04x}:{:04x}): no NUMA nodes found",
                g.device.bdf, g.device.vendor, g.device.device
            ));
        }
        match host.distance_matrix() {
            Some(d) => {
                v.distances = d;
                v.slit = true;
            }
            None => {
                v.distances = defaults(v.nodes.len());
                v.notes.push(
                    "the host's distance rows are missing or incomplete: Linux's 10/20 shown"
                        .into(),
                );
            }
        }
        v.notes.extend(
            host.warnings
                .iter()
                .map(|w| format!("{}: {}", w.path, w.message)),
        );
        v.finish();
        v
    }

    /// The view of a planned guest: guest node id = proximity domain, each
    /// node with the host node it stands for, its vCPUs and memory; each GPU
    /// at its guest address, named by its guest id, its nodes tied to it by
    /// Generic Initiators; the planned SLIT; the plan's warnings as notes.
    pub fn from_plan(title: &str, plan: &GuestPlan) -> View {
        let mut v = View::empty(title, "plan");
        v.tables = vec!["SRAT".into(), "SLIT".into()];
        v.nodes = plan
            .nodes
            .iter()
            .map(|n| {
                let gpu = n
                    .generic_initiator
                    .and_then(|b| plan.gpus.iter().find(|g| g.host_bdf == b));
                Node {
                    node: n.node,
                    pxm: Some(n.node),
                    cpus: n.cpus.clone(),
                    memory: n.memory,
                    hotplug: 0,
                    devices: gpu
                        .map(|g| Device {
                            kind: DeviceKind::GenericInitiator,
                            handle: g.guest_bdf.to_string(),
                            name: Some(g.id.clone()),
                            pxm: Some(n.node),
                        })
                        .into_iter()
                        .collect(),
                    gpu: None,
                    host_node: Some(n.host_node),
                }
            })
            .collect();
        v.gpus = plan
            .gpus
            .iter()
            .map(|g| Gpu {
                handle: g.guest_bdf.to_string(),
                name: Some(g.id.clone()),
                nodes: g.nodes.clone(),
                found_by: Some(format!("passed through from host {}", g.host_bdf)),
            })
            .collect();
        v.distances = plan.distances.clone();
        v.slit = true;
        let w = plan.warnings();
        if !w.is_empty() {
            v.notes.push(format!(
                "{} distance{} 255 (\"unreachable\"), kept as the host gives {}",
                w.len(),
                if w.len() == 1 { " is" } else { "s are" },
                if w.len() == 1 { "it" } else { "them" }
            ));
        }
        v.finish();
        v
    }

    /// `(guest node, host node)` for every node that names the host node it
    /// stands for: the map [`super::text::side_by_side`] takes.
    pub fn host_map(&self) -> Vec<(u32, u32)> {
        self.nodes
            .iter()
            .filter_map(|n| Some((n.node, n.host_node?)))
            .collect()
    }
}

/// How a host GPU's nodes were found, as the view says it.
fn found_by(s: NodeSource) -> &'static str {
    match s {
        NodeSource::Srat => "from the host SRAT's Generic Initiators",
        NodeSource::NumaStatus => "from the NVIDIA driver's numa_status",
        NodeSource::Distances => "guessed from the distance pattern",
        NodeSource::User => "given with --gpu",
        _ => "not found",
    }
}

/// Linux's 10 (local) / 20 (remote) for `n` nodes.
fn defaults(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 10 } else { 20 }).collect())
        .collect()
}

/// The host SRAT under `root`, if present and valid (nothing said otherwise:
/// host discovery already warns about it).
pub fn read_host_srat(root: &Path) -> Option<Srat> {
    let b = crate::input::read_bounded(&root.join(SRAT_PATH), InputKind::Table).ok()?;
    Srat::decode(&b).ok()
}

/// Reads the host under `root` ([`discover`]) and gives it with its view.
pub fn from_host_root(
    root: &Path,
    opts: &HostOptions,
) -> Result<(HostTopology, View), super::ShowError> {
    let host = discover(root, opts)?;
    let srat = read_host_srat(root);
    let v = View::from_host(&format!("host {}", root.display()), &host, srat.as_ref());
    Ok((host, v))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::acpi::PciHandle;
    use crate::front::host::{HostGpu, HostNode, HostPciDevice};

    fn host() -> HostTopology {
        let node = |id: u32, cpus: Vec<u32>, d: Vec<u8>| HostNode {
            node: id,
            memory: if cpus.is_empty() { 0 } else { 1 << 30 },
            has_cpu: !cpus.is_empty(),
            has_memory: !cpus.is_empty(),
            has_generic_initiator: false,
            cpus,
            distances: d,
        };
        HostTopology {
            nodes: vec![
                node(0, vec![0, 1], vec![10, 80, 80]),
                node(1, vec![], vec![80, 10, 255]),
                node(2, vec![], vec![80, 255, 10]),
            ],
            pci: Vec::new(),
            gpus: vec![HostGpu {
                device: HostPciDevice {
                    bdf: PciHandle::new(9, 1, 0, 0),
                    vendor: 0x10de,
                    device: 0x2342,
                    class: 0x030200,
                    driver: Some("nvidia".into()),
                    numa_node: Some(0),
                    iommu_group: None,
                },
                nodes: vec![1, 2],
                source: NodeSource::NumaStatus,
            }],
            warnings: Vec::new(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any host (ragged distances, GPU nodes the host lacks, ids out of
        /// order) gives a view, a text, a side-by-side text and a two-panel
        /// SVG, without panicking.
        #[test]
        fn any_host_renders(
            nodes in proptest::collection::vec((0u32..64, 0u32..4, proptest::collection::vec(0u8..=255, 0..12)), 0..12),
            gpu_nodes in proptest::collection::vec(proptest::collection::vec(0u32..70, 0..10), 0..4),
            width in 0usize..160,
        ) {
            let mut h = host();
            h.nodes = nodes
                .iter()
                .map(|(id, c, d)| HostNode {
                    node: *id,
                    cpus: (0..*c).collect(),
                    memory: u64::from(*c) << 30,
                    distances: d.clone(),
                    has_cpu: *c > 0,
                    has_memory: *c > 0,
                    has_generic_initiator: false,
                })
                .collect();
            let template = h.gpus[0].clone();
            h.gpus = gpu_nodes
                .iter()
                .map(|n| HostGpu { nodes: n.clone(), ..template.clone() })
                .collect();
            let v = View::from_host("h", &h, None);
            let opt = super::super::text::TextOptions { color: true, width };
            let _ = super::super::text::render(&v, &opt);
            let mut g = v.clone();
            for (i, n) in g.nodes.iter_mut().enumerate() {
                n.host_node = Some(u32::try_from(i).unwrap());
            }
            let _ = super::super::text::side_by_side(&g, &v, &g.host_map(), &opt);
            let svg = super::super::svg::render_pair("p", &g, &v);
            proptest::prop_assert!(svg.ends_with("</svg>\n"));
        }
    }

    #[test]
    fn host_view_groups_gpu_nodes() {
        let v = View::from_host("h", &host(), None);
        assert_eq!(v.gpus.len(), 1);
        assert_eq!(v.gpus[0].nodes, [1, 2]);
        assert_eq!(v.nodes[1].gpu, Some(0));
        assert_eq!(v.nodes[0].pxm, None);
        assert_eq!(v.distance(1, 2), Some(255));
        assert!(v.slit);
    }
}
