//! libvirt domain XML for a planned guest.
//!
//! Two forms ([`Form`]):
//! - [`Form::NodeSet`] (libvirt ≥ 11.8): each GPU's `<hostdev>` carries
//!   `<acpi nodeset='2-9'/>` and libvirt creates one `acpi-generic-initiator`
//!   object per node. libvirt numbers those objects from a daemon-wide counter
//!   (`gi0`, `gi1`, … and higher ids on later starts), and QEMU orders the SRAT's
//!   Generic Initiator entries by the GLib hash of the ids, so the guest's Linux
//!   node ids for the GPU nodes may change from one start to the next.
//! - [`Form::Legacy`] (any libvirt with `<qemu:commandline>`): no `<acpi nodeset>`;
//!   the GI objects are passed as `-object acpi-generic-initiator,id=…` with ids
//!   chosen by [`crate::plan::ids::stable_ids`] so that QEMU's order is ascending
//!   node, given the other `/objects` keys libvirt 12.9 puts on its command line
//!   (see [`legacy_object_keys`]).
//!
//! The GPUs sit at device 0 function 0 behind their own `pcie-root-port`: on
//! `q35` the port is on `pcie.0` at slot `0x10 + i`; on `virt` it is behind the
//! GPU's own `pcie-expander-bus` (`pxb-pcie`, `busNr` 32·(i+1), `<node>` the guest
//! CPU node nearest the GPU), as the shared design (plan-design) lays them out.

use crate::linux::format_list;
use crate::plan::ids::{Key, stable_ids};
use crate::plan::{GuestGpu, GuestPlan};
use crate::topology::MachineKind;
use serde::Serialize;

/// The XML namespace of libvirt's QEMU passthrough elements.
pub const QEMU_NAMESPACE: &str = "http://libvirt.org/schemas/domain/qemu/1.0";

/// The libvirt release whose command line [`legacy_object_keys`] models.
pub const MODELLED_LIBVIRT: &str = "12.9";

/// The most GPUs on `q35`: root ports at `pcie.0` slots 0x10..=0x1e (0x1f is
/// the ICH9 LPC/SATA/SMBus slot).
pub const MAX_Q35_GPUS: usize = 15;

/// Which way the GPUs' Generic Initiators are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// `<acpi nodeset>` in each `<hostdev>` (libvirt ≥ 11.8); GI ids from libvirt's counter.
    #[default]
    NodeSet,
    /// `<qemu:commandline>` GI objects with stable ids (any libvirt).
    Legacy,
}

impl Form {
    /// The emitter's name (`vnuma plan --emit`): `libvirt` or `libvirt-legacy`.
    pub fn emitter_name(self) -> &'static str {
        match self {
            Form::NodeSet => "libvirt",
            Form::Legacy => "libvirt-legacy",
        }
    }
}

/// The domain's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainType {
    /// `kvm`, with `<cpu mode='host-passthrough'>`.
    #[default]
    Kvm,
    /// `qemu` (TCG), with a named CPU model (`qemu64`, `cortex-a57`): to try a plan
    /// on a host that cannot run it under KVM.
    Qemu,
}

/// Choices for [`emit_libvirt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtOptions {
    /// The domain's `<name>`.
    pub name: String,
    /// `<acpi nodeset>` or `<qemu:commandline>`.
    pub form: Form,
    /// `kvm` or `qemu`.
    pub domain_type: DomainType,
    /// Bind each memory cell to the host node it stands for (`<numatune>` with
    /// `<memnode mode='strict'>`).
    pub numatune: bool,
}

impl Default for LibvirtOptions {
    fn default() -> Self {
        LibvirtOptions {
            name: "vnuma-guest".into(),
            form: Form::NodeSet,
            domain_type: DomainType::Kvm,
            numatune: true,
        }
    }
}

/// One `acpi-generic-initiator` object of the legacy form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GiObject {
    /// The object id (chosen for its hash order).
    pub id: String,
    /// The QEMU device id of the GPU (its libvirt user alias, `ua-gpu0`).
    pub pci_dev: String,
    /// The guest node.
    pub node: u32,
}

impl GiObject {
    /// The `-object` value: `acpi-generic-initiator,id=…,pci-dev=…,node=N`.
    pub fn qemu_arg(&self) -> String {
        format!(
            "acpi-generic-initiator,id={},pci-dev={},node={}",
            crate::quote::qemu_value(&self.id),
            crate::quote::qemu_value(&self.pci_dev),
            self.node
        )
    }
}

/// An emitted domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibvirtDomain {
    /// The domain XML.
    pub xml: String,
    /// What the user should know (also written as XML comments where it concerns the domain).
    pub notes: Vec<String>,
    /// The legacy form's GI objects, in command-line (= ascending node) order; empty
    /// for the nodeset form, whose ids libvirt chooses.
    pub generic_initiators: Vec<GiObject>,
}

/// Why a plan cannot be written as a libvirt domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LibvirtError {
    /// The machine has no PCIe root ports.
    #[error("libvirt emitter: machine `{0}` has no PCIe root ports (use q35 or virt)")]
    Machine(&'static str),
    /// The plan has no node.
    #[error("libvirt emitter: the plan has no nodes")]
    NoNodes,
    /// A node id is not its index.
    #[error("libvirt emitter: node {index} has id {node} (node ids must be 0, 1, …)")]
    NodeId {
        /// Index in the plan.
        index: usize,
        /// Its id.
        node: u32,
    },
    /// The distance matrix does not match the nodes.
    #[error("libvirt emitter: the distance matrix is not {nodes}×{nodes}")]
    Distances {
        /// Number of nodes.
        nodes: usize,
    },
    /// A node's memory is not a whole number of KiB.
    #[error("libvirt emitter: node {node} has {memory} bytes of memory, not a whole number of KiB")]
    Memory {
        /// The node.
        node: u32,
        /// Its memory in bytes.
        memory: u64,
    },
    /// A GPU id that cannot be part of a libvirt user alias.
    #[error(
        "libvirt emitter: GPU id `{0}` cannot be a libvirt user alias (letters, digits, `_`, `-`)"
    )]
    GpuId(String),
    /// A GPU names a node the plan does not have, or none.
    #[error("libvirt emitter: GPU {gpu} is tied to node {node}, which is not in the plan")]
    GpuNode {
        /// The GPU id.
        gpu: String,
        /// The node.
        node: u32,
    },
    /// More GPUs than root-port slots.
    #[error(
        "libvirt emitter: {gpus} GPUs do not fit on q35 (at most {max} root ports at slots 0x10..0x1e)"
    )]
    TooManyGpus {
        /// GPUs in the plan.
        gpus: usize,
        /// The most that fit.
        max: usize,
    },
    /// The domain name is empty.
    #[error("libvirt emitter: the domain name is empty")]
    Name,
    /// No GI ids with an ascending hash order were found.
    #[error(
        "libvirt emitter: no ids found for {count} GI objects whose QEMU {version} order is ascending"
    )]
    NoStableIds {
        /// The QEMU version modelled.
        version: &'static str,
        /// Number of GI objects.
        count: usize,
    },
}

/// The libvirt user alias of a GPU (`ua-gpu0`): libvirt passes it to QEMU as the device id.
pub fn user_alias(gpu: &GuestGpu) -> String {
    format!("ua-{}", gpu.id)
}

/// The note on libvirt's GI counter (nodeset form).
pub const COUNTER_NOTE: &str = "libvirt numbers the acpi-generic-initiator objects of <acpi nodeset> \
from a daemon-wide counter (gi0, gi1, ..., then higher ids on later starts); QEMU orders the SRAT's \
Generic Initiator entries by the hash of these ids, so the guest's node ids for the GPU nodes may \
change from one start to the next. For a stable order use the libvirt-legacy form (vnuma plan, \
emitter libvirt-legacy), whose <qemu:commandline> objects have chosen ids.";

/// The `/objects` keys of libvirt 12.9's QEMU command line for this plan, in
/// insertion order, with the legacy GI objects as [`Key::Chosen`] ranks (0 = the
/// lowest node).
///
/// Measured with `virsh domxml-to-native` (libvirt 12.9, QEMU 11.1): the `secret`
/// `masterKey0` (an early object, first on the line), then the
/// `<qemu:commandline>` arguments, last on the line but early objects too, then
/// the late `memory-backend-ram` objects `ram-node{cell}` (one per cell with
/// memory), then the `monitor-qmp` object `monitor` where QEMU has monitor
/// objects (11.1; libvirt gives QEMU 10.0 `-mon` instead).
pub fn legacy_object_keys(plan: &GuestPlan, gis: usize) -> Vec<Key> {
    let mut keys = vec![Key::Fixed("masterKey0".into())];
    keys.extend((0..gis).map(Key::Chosen));
    keys.extend(
        plan.nodes
            .iter()
            .filter(|n| n.memory > 0)
            .map(|n| Key::Fixed(format!("ram-node{}", n.node))),
    );
    if plan.qemu_version.profile().has_object_type("monitor-qmp") {
        keys.push(Key::Fixed("monitor".into()));
    }
    keys
}

/// The legacy form's GI objects: one per GPU node, ascending node, with ids
/// (`gi{node}`, else `gi{node}-{k}`) whose hash order under the plan's QEMU
/// version is ascending.
pub fn legacy_gi_objects(plan: &GuestPlan) -> Result<Vec<GiObject>, LibvirtError> {
    check(plan)?;
    let mut ties: Vec<(u32, String)> = plan
        .gpus
        .iter()
        .flat_map(|g| g.nodes.iter().map(move |&n| (n, user_alias(g))))
        .collect();
    ties.sort();
    let keys = legacy_object_keys(plan, ties.len());
    let nodes: Vec<u32> = ties.iter().map(|t| t.0).collect();
    let name = |rank: usize, k: usize| {
        let node = nodes.get(rank).copied().unwrap_or(u32::MAX);
        if k == 0 {
            format!("gi{node}")
        } else {
            format!("gi{node}-{k}")
        }
    };
    let ids = stable_ids(&keys, name).ok_or(LibvirtError::NoStableIds {
        version: plan.qemu_version.as_str(),
        count: ties.len(),
    })?;
    Ok(ties
        .into_iter()
        .zip(ids)
        .map(|((node, pci_dev), id)| GiObject { id, pci_dev, node })
        .collect())
}

/// Writes the plan as a libvirt domain.
pub fn emit_libvirt(
    plan: &GuestPlan,
    opts: &LibvirtOptions,
) -> Result<LibvirtDomain, LibvirtError> {
    check(plan)?;
    if opts.name.is_empty() {
        return Err(LibvirtError::Name);
    }
    let legacy = opts.form == Form::Legacy;
    let gis = if legacy {
        legacy_gi_objects(plan)?
    } else {
        Vec::new()
    };
    let mut notes = Vec::new();
    let mut x = String::new();
    let ns = if legacy {
        format!(" xmlns:qemu='{QEMU_NAMESPACE}'")
    } else {
        String::new()
    };
    let dtype = match opts.domain_type {
        DomainType::Kvm => "kvm",
        DomainType::Qemu => "qemu",
    };
    x += &format!("<domain type='{dtype}'{ns}>\n");
    x += &comment(
        "  ",
        &format!(
            "vnuma plan: {} guest nodes ({} with CPUs), {} GPU(s); guest node id = proximity domain",
            plan.nodes.len(),
            plan.nodes.iter().filter(|n| !n.cpus.is_empty()).count(),
            plan.gpus.len()
        ),
    );
    if legacy {
        let note = format!(
            "The acpi-generic-initiator ids in <qemu:commandline> are chosen so that QEMU {} \
             lists the GPU nodes in ascending order with the objects libvirt {MODELLED_LIBVIRT} \
             creates (masterKey0, ram-nodeN, monitor); another libvirt or QEMU, or more objects \
             in this domain, may change the order: check it with vnuma qemu on the command line \
             libvirt logs in /var/log/libvirt/qemu/{}.log.",
            plan.qemu_version.as_str(),
            opts.name
        );
        x += &comment("  ", &note);
        notes.push(note);
    } else {
        x += &comment("  ", COUNTER_NOTE);
        notes.push(COUNTER_NOTE.to_string());
    }
    x += &format!("  <name>{}</name>\n", text(&opts.name));
    let total_kib: u64 = plan.nodes.iter().map(|n| n.memory / 1024).sum();
    x += &format!("  <memory unit='KiB'>{total_kib}</memory>\n");
    let vcpus = plan
        .nodes
        .iter()
        .flat_map(|n| n.cpus.iter())
        .map(|&c| u64::from(c) + 1)
        .max()
        .unwrap_or(0);
    x += &format!("  <vcpu placement='static'>{vcpus}</vcpu>\n");
    if opts.numatune {
        x += &numatune(plan);
    }
    let (arch, features, model) = match plan.machine {
        MachineKind::Virt => ("aarch64", "<gic version='3'/>", "cortex-a57"),
        _ => ("x86_64", "<apic/>", "qemu64"),
    };
    if plan.machine == MachineKind::Virt {
        // ACPI on arm needs UEFI; libvirt picks the firmware from its descriptors.
        x += "  <os firmware='efi'>\n";
    } else {
        x += "  <os>\n";
    }
    x += &format!(
        "    <type arch='{arch}' machine='{}'>hvm</type>\n  </os>\n",
        plan.machine.name()
    );
    x += &format!("  <features>\n    <acpi/>\n    {features}\n  </features>\n");
    match opts.domain_type {
        DomainType::Kvm => x += "  <cpu mode='host-passthrough'>\n",
        DomainType::Qemu => {
            x += &format!(
                "  <cpu mode='custom' match='exact' check='none'>\n    <model fallback='allow'>{model}</model>\n"
            );
        }
    }
    if let Some((sockets, cores)) = even_topology(plan) {
        x += &format!("    <topology sockets='{sockets}' cores='{cores}' threads='1'/>\n");
    }
    x += "    <numa>\n";
    for n in &plan.nodes {
        let cpus = if n.cpus.is_empty() {
            String::new()
        } else {
            format!(" cpus='{}'", format_list(&n.cpus))
        };
        x += &format!(
            "      <cell id='{}'{cpus} memory='{}' unit='KiB'>\n        <distances>\n",
            n.node,
            n.memory / 1024
        );
        let row = plan
            .distances
            .get(n.node as usize)
            .map_or(&[][..], Vec::as_slice);
        for (j, d) in row.iter().enumerate() {
            x += &format!("          <sibling id='{j}' value='{d}'/>\n");
        }
        x += "        </distances>\n      </cell>\n";
    }
    x += "    </numa>\n  </cpu>\n  <devices>\n";
    x += "    <controller type='pci' index='0' model='pcie-root'/>\n";
    for (i, g) in plan.gpus.iter().enumerate() {
        let port = match plan.machine {
            MachineKind::Virt => {
                let pxb = 2 * i + 1;
                let node = local_cpu_node(plan, g);
                x += &format!(
                    "    <controller type='pci' index='{pxb}' model='pcie-expander-bus'>\n      \
                     <model name='pxb-pcie'/>\n      <target busNr='{}'>\n        <node>{node}</node>\n      \
                     </target>\n    </controller>\n",
                    32 * (i + 1)
                );
                x += &format!(
                    "    <controller type='pci' index='{}' model='pcie-root-port'>\n      \
                     <model name='pcie-root-port'/>\n      <target chassis='{}'/>\n      \
                     <address type='pci' domain='0x0000' bus='0x{pxb:02x}' slot='0x00' function='0x0'/>\n    \
                     </controller>\n",
                    pxb + 1,
                    i + 1
                );
                pxb + 1
            }
            _ => {
                x += &format!(
                    "    <controller type='pci' index='{}' model='pcie-root-port'>\n      \
                     <model name='pcie-root-port'/>\n      <target chassis='{}'/>\n      \
                     <address type='pci' domain='0x0000' bus='0x00' slot='0x{:02x}' function='0x0'/>\n    \
                     </controller>\n",
                    i + 1,
                    i + 1,
                    0x10 + i
                );
                i + 1
            }
        };
        let h = &g.host_bdf;
        x += &comment(
            "    ",
            &format!(
                "GPU {} ({:04x}:{:04x}) at host {h}: guest nodes {}",
                g.id,
                g.vendor,
                g.device,
                format_list(&g.nodes)
            ),
        );
        x += &format!(
            "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        \
             <address domain='0x{:04x}' bus='0x{:02x}' slot='0x{:02x}' function='0x{:x}'/>\n      \
             </source>\n      <alias name='{}'/>\n      \
             <address type='pci' domain='0x0000' bus='0x{port:02x}' slot='0x00' function='0x0'/>\n",
            h.segment,
            h.bus,
            h.device,
            h.function,
            attr(&user_alias(g))
        );
        if !legacy {
            x += &format!("      <acpi nodeset='{}'/>\n", format_list(&g.nodes));
        }
        x += "    </hostdev>\n";
    }
    // Nothing else on the PCIe tree: libvirt would add root ports for these.
    x += "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n";
    x += "  </devices>\n";
    if legacy && !gis.is_empty() {
        x += "  <qemu:commandline>\n";
        for gi in &gis {
            x += &format!(
                "    <qemu:arg value='-object'/>\n    <qemu:arg value='{}'/>\n",
                attr(&gi.qemu_arg())
            );
        }
        x += "  </qemu:commandline>\n";
    }
    x += "</domain>\n";
    notes.extend(distance_notes(plan));
    Ok(LibvirtDomain {
        xml: x,
        notes,
        generic_initiators: gis,
    })
}

/// Structural checks shared by both forms.
fn check(plan: &GuestPlan) -> Result<(), LibvirtError> {
    if plan.machine == MachineKind::Pc {
        return Err(LibvirtError::Machine(plan.machine.name()));
    }
    if plan.nodes.is_empty() {
        return Err(LibvirtError::NoNodes);
    }
    let n = plan.nodes.len();
    for (index, node) in plan.nodes.iter().enumerate() {
        if node.node as usize != index {
            return Err(LibvirtError::NodeId {
                index,
                node: node.node,
            });
        }
        if !node.memory.is_multiple_of(1024) {
            return Err(LibvirtError::Memory {
                node: node.node,
                memory: node.memory,
            });
        }
    }
    if plan.distances.len() != n || plan.distances.iter().any(|r| r.len() != n) {
        return Err(LibvirtError::Distances { nodes: n });
    }
    if plan.machine == MachineKind::Q35 && plan.gpus.len() > MAX_Q35_GPUS {
        return Err(LibvirtError::TooManyGpus {
            gpus: plan.gpus.len(),
            max: MAX_Q35_GPUS,
        });
    }
    for g in &plan.gpus {
        if g.id.is_empty()
            || !g
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(LibvirtError::GpuId(g.id.clone()));
        }
        if g.nodes.is_empty() {
            return Err(LibvirtError::GpuNode {
                gpu: g.id.clone(),
                node: u32::MAX,
            });
        }
        if let Some(&node) = g.nodes.iter().find(|&&m| m as usize >= n) {
            return Err(LibvirtError::GpuNode {
                gpu: g.id.clone(),
                node,
            });
        }
    }
    Ok(())
}

/// `(sockets, cores)` when the CPU nodes hold equal, consecutive vCPU ranges from 0.
fn even_topology(plan: &GuestPlan) -> Option<(usize, usize)> {
    let cpu_nodes: Vec<&Vec<u32>> = plan
        .nodes
        .iter()
        .map(|n| &n.cpus)
        .filter(|c| !c.is_empty())
        .collect();
    let cores = cpu_nodes.first()?.len();
    let mut next = 0u32;
    for c in &cpu_nodes {
        if c.len() != cores {
            return None;
        }
        for &cpu in c.iter() {
            if cpu != next {
                return None;
            }
            next += 1;
        }
    }
    Some((cpu_nodes.len(), cores))
}

/// The guest CPU node nearest the GPU's first node (lowest id on ties).
pub(crate) fn local_cpu_node(plan: &GuestPlan, gpu: &GuestGpu) -> u32 {
    let first = gpu.nodes.first().copied().unwrap_or(0) as usize;
    let row = plan.distances.get(first);
    plan.nodes
        .iter()
        .filter(|n| !n.cpus.is_empty())
        .min_by_key(|n| {
            (
                row.and_then(|r| r.get(n.node as usize))
                    .copied()
                    .unwrap_or(u8::MAX),
                n.node,
            )
        })
        .map_or(0, |n| n.node)
}

/// `<numatune>`: each memory cell strictly on the host node it stands for.
fn numatune(plan: &GuestPlan) -> String {
    let mem: Vec<_> = plan.nodes.iter().filter(|n| n.memory > 0).collect();
    if mem.is_empty() {
        return String::new();
    }
    let mut hosts: Vec<u32> = mem.iter().map(|n| n.host_node).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let mut x = format!(
        "  <numatune>\n    <memory mode='strict' nodeset='{}'/>\n",
        format_list(&hosts)
    );
    for n in mem {
        x += &format!(
            "    <memnode cellid='{}' mode='strict' nodeset='{}'/>\n",
            n.node, n.host_node
        );
    }
    x += "  </numatune>\n";
    x
}

/// Notes on distances libvirt and QEMU treat specially.
pub(crate) fn distance_notes(plan: &GuestPlan) -> Vec<String> {
    let mut pairs = Vec::new();
    for (i, row) in plan.distances.iter().enumerate() {
        for (j, &d) in row.iter().enumerate() {
            if d == 255 && i != j {
                pairs.push(format!("{i}->{j}"));
            }
        }
    }
    if pairs.is_empty() {
        return Vec::new();
    }
    let n = pairs.len();
    let shown = pairs.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    vec![format!(
        "{n} distance{} {} 255 (unreachable), copied from the host: {shown}{}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" },
        if n > 8 { ", …" } else { "" }
    )]
}

/// An XML comment (one line; `--` cannot appear in a comment).
fn comment(indent: &str, s: &str) -> String {
    let mut t = s.replace("--", "- -");
    if t.ends_with('-') {
        t.push(' ');
    }
    format!("{indent}<!-- {t} -->\n")
}

/// Escapes an attribute value written between single quotes.
pub fn attr(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\'' => o.push_str("&apos;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes element text.
fn text(s: &str) -> String {
    attr(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_object_only_where_qemu_has_them() {
        use crate::front::qemu::version::QemuVersion;
        let plan = |v| GuestPlan {
            machine: MachineKind::Q35,
            qemu_version: v,
            nodes: vec![crate::plan::GuestNode {
                node: 0,
                host_node: 0,
                cpus: vec![0],
                memory: 1 << 20,
                generic_initiator: None,
            }],
            distances: vec![vec![10]],
            gpus: vec![],
            hmat: false,
        };
        let fixed = |p: &GuestPlan| -> Vec<String> {
            legacy_object_keys(p, 1)
                .into_iter()
                .map(|k| match k {
                    Key::Fixed(s) => s,
                    Key::Chosen(r) => format!("#{r}"),
                })
                .collect()
        };
        assert_eq!(
            fixed(&plan(QemuVersion::V11_1)),
            ["masterKey0", "#0", "ram-node0", "monitor"]
        );
        assert_eq!(
            fixed(&plan(QemuVersion::V10_0)),
            ["masterKey0", "#0", "ram-node0"]
        );
        assert_eq!(Form::Legacy.emitter_name(), "libvirt-legacy");
    }

    #[test]
    fn escapes() {
        assert_eq!(attr("a'b\"<&>"), "a&apos;b&quot;&lt;&amp;&gt;");
        assert_eq!(comment("", "x --emit y-"), "<!-- x - -emit y-  -->\n");
        assert_eq!(crate::quote::qemu_value("a,b"), "a,,b");
    }
}
