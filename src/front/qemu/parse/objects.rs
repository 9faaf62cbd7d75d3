//! `-object`: QAPI property checks (argv pass) and the early objects (generic
//! initiators and ports, created before the machine properties are set).

use super::super::error::QemuError;
use super::super::lexer::{self, CmdOption, Opts};
use super::values::{required, u16_list};
use super::{MAX_NODES, NumaState, idx, set_at};

/// One `-object`.
pub(super) struct ObjectDef {
    /// The option (for error locations).
    pub(super) opt: CmdOption,
    /// `qom-type=`.
    pub(super) qom_type: String,
    /// `id=`.
    pub(super) id: String,
    /// All properties.
    pub(super) props: Opts,
}

/// A generic initiator: object id, `pci-dev=`, nodes.
pub(super) struct GiDef {
    pub(super) id: String,
    pub(super) pci_dev: String,
    pub(super) nodes: Vec<u32>,
}

/// A generic port: object id, `pci-bus=`, node.
pub(super) struct GpDef {
    pub(super) id: String,
    pub(super) pci_bus: String,
    pub(super) node: u32,
}

/// The early objects' results.
pub(super) struct Objects {
    /// Indexes into the `-object` list in creation order (thread contexts first).
    pub(super) early: Vec<usize>,
    pub(super) gis: Vec<GiDef>,
    pub(super) gps: Vec<GpDef>,
}

/// Objects QEMU creates after the machine (`object_create_late`).
pub(super) fn is_late_object(t: &str) -> bool {
    t.starts_with("memory-backend-")
        || t.starts_with("pr-manager-")
        || matches!(
            t,
            "rng-egd"
                | "cryptodev-vhost-user"
                | "vhost-user-blk-server"
                | "filter-buffer"
                | "filter-dump"
                | "filter-mirror"
                | "filter-redirector"
                | "colo-compare"
                | "filter-rewriter"
                | "filter-replay"
        )
}

/// Known `-object` types and their QAPI members (in QAPI order; the first ones
/// listed after `!` are mandatory). Types not listed are accepted with any properties.
fn object_members(t: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const BACKEND: &[&str] = &[
        "dump",
        "host-nodes",
        "merge",
        "policy",
        "prealloc",
        "prealloc-threads",
        "prealloc-context",
        "share",
        "reserve",
        "size",
        "x-use-canonical-path-for-ramblock-id",
    ];
    Some(match t {
        "memory-backend-ram" => (&["size"], BACKEND),
        "memory-backend-memfd" => (&["size"], {
            const M: &[&str] = &[
                "dump",
                "host-nodes",
                "merge",
                "policy",
                "prealloc",
                "prealloc-threads",
                "prealloc-context",
                "share",
                "reserve",
                "size",
                "x-use-canonical-path-for-ramblock-id",
                "hugetlb",
                "hugetlbsize",
                "seal",
            ];
            M
        }),
        "memory-backend-file" => (&["mem-path"], {
            const F: &[&str] = &[
                "dump",
                "host-nodes",
                "merge",
                "policy",
                "prealloc",
                "prealloc-threads",
                "prealloc-context",
                "share",
                "reserve",
                "size",
                "x-use-canonical-path-for-ramblock-id",
                "align",
                "offset",
                "discard-data",
                "mem-path",
                "pmem",
                "readonly",
                "rom",
            ];
            F
        }),
        "acpi-generic-initiator" => (&["pci-dev", "node"], &["pci-dev", "node"]),
        "acpi-generic-port" => (&["pci-bus", "node"], &["pci-bus", "node"]),
        _ => return None,
    })
}

/// The argv-pass checks of one `-object` (QAPI: mandatory members, typed
/// values, unknown members; the vnuma `host-nodes=` GI extension).
pub(super) fn validate_object(o: &CmdOption, p: Opts) -> Result<ObjectDef, QemuError> {
    let qom_type = required(o, p.get("qom-type").map(str::to_string), "qom-type")?;
    let id = required(o, p.get("id").map(str::to_string), "id")?;
    if let Some((mandatory, members)) = object_members(&qom_type) {
        let gi_v5 = qom_type == "acpi-generic-initiator" && !p.has("node") && p.has("host-nodes");
        if let Some(m) = mandatory
            .iter()
            .find(|m| (!gi_v5 || **m != "node") && !p.has(m))
        {
            return Err(o.error(format!("Parameter '{m}' is missing")));
        }
        for m in members {
            if let Some(v) = p.get(m) {
                check_member(o, m, v)?;
            }
        }
        let extra: &[&str] = if gi_v5 { &["host-nodes"] } else { &[] };
        if let Some(k) =
            p.pairs.iter().map(|(k, _)| k.as_str()).find(|k| {
                *k != "qom-type" && *k != "id" && !members.contains(k) && !extra.contains(k)
            })
        {
            return Err(o.error(format!("Invalid parameter '{k}'")));
        }
        if gi_v5 {
            u16_list(o, &p.get_all("host-nodes"), "host-nodes")?;
        }
    }
    Ok(ObjectDef {
        opt: o.clone(),
        qom_type,
        id,
        props: p,
    })
}

/// The QAPI type check of one member value.
fn check_member(o: &CmdOption, m: &str, v: &str) -> Result<(), QemuError> {
    match m {
        "size" | "align" | "offset" | "hugetlbsize" if lexer::parse_size(v).is_none() => {
            Err(o.error(format!("Parameter '{m}' expects a size value")))
        }
        "node" => {
            let n = lexer::parse_u64(v)
                .ok_or_else(|| o.error(format!("Parameter '{m}' expects a uint64 value")))?;
            if n > u64::from(u32::MAX) {
                return Err(o.error(format!("Parameter '{m}' expects uint32_t")));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// QEMU's error for a GI/GP node id ≥ `MAX_NODES` (both objects print the GI's text).
fn invalid_node() -> QemuError {
    QemuError::bare("acpi-generic-initiator: Invalid NUMA node specified")
}

/// Creates the early objects in QEMU's order: thread contexts, then the other
/// non-late objects in command-line order. GIs and GPs check their node here.
pub(super) fn early_objects(
    objects: &[ObjectDef],
    numa: &mut NumaState,
) -> Result<Objects, QemuError> {
    let thread_ctx = |o: &ObjectDef| o.qom_type == "thread-context";
    let early: Vec<usize> = (objects.iter().enumerate())
        .filter(|(_, o)| thread_ctx(o))
        .chain(
            (objects.iter().enumerate())
                .filter(|(_, o)| !thread_ctx(o) && !is_late_object(&o.qom_type)),
        )
        .map(|(i, _)| i)
        .collect();
    let mut out = Objects {
        early: early.clone(),
        gis: Vec::new(),
        gps: Vec::new(),
    };
    for ob in early.iter().filter_map(|&i| objects.get(i)) {
        match ob.qom_type.as_str() {
            "acpi-generic-initiator" => {
                let nodes = gi_nodes(ob)?;
                for n in &nodes {
                    set_at(&mut numa.has_gi, idx(u64::from(*n)), true);
                }
                out.gis.push(GiDef {
                    id: ob.id.clone(),
                    pci_dev: ob.props.get("pci-dev").unwrap_or_default().to_string(),
                    nodes,
                });
            }
            "acpi-generic-port" => {
                let n = ob.props.get("node").and_then(lexer::parse_u64).unwrap_or(0);
                if n >= MAX_NODES {
                    return Err(invalid_node());
                }
                out.gps.push(GpDef {
                    id: ob.id.clone(),
                    pci_bus: ob.props.get("pci-bus").unwrap_or_default().to_string(),
                    node: u32::try_from(n).unwrap_or(0),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A GI's nodes: `node=`, or (vnuma) the seed v5 `host-nodes=<list>`, ascending.
fn gi_nodes(ob: &ObjectDef) -> Result<Vec<u32>, QemuError> {
    if let Some(n) = ob.props.get("node") {
        let n = lexer::parse_u64(n).unwrap_or(0);
        if n >= MAX_NODES {
            return Err(invalid_node());
        }
        return Ok(vec![u32::try_from(n).unwrap_or(0)]);
    }
    let mut l = u16_list(&ob.opt, &ob.props.get_all("host-nodes"), "host-nodes")?;
    l.sort_unstable();
    l.dedup();
    if let Some(bad) = l.iter().find(|n| **n >= MAX_NODES) {
        return Err(ob.opt.error(format!("Invalid host-nodes value: {bad}")));
    }
    Ok(l.iter().filter_map(|n| u32::try_from(*n).ok()).collect())
}
