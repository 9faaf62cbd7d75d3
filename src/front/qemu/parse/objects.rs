//! `-object`: QAPI property checks (argv pass) and the early objects (generic
//! initiators and ports, created before the machine properties are set).

use super::super::error::QemuError;
use super::super::json::Json;
use super::super::lexer::{self, CmdOption, Opts};
use super::super::version::Profile;
use super::values::{required, u16_list};
use super::{MAX_NODES, NumaState, idx, set_at};

/// One `-object`.
pub(super) struct ObjectDef<'a> {
    /// The option (for error locations).
    pub(super) opt: CmdOption<'a>,
    /// `qom-type=`.
    pub(super) qom_type: String,
    /// `id=`.
    pub(super) id: String,
    /// All properties.
    pub(super) props: Opts,
    /// Given in JSON syntax (its id is checked when the object is created).
    pub(super) json: bool,
}

/// QEMU's `id_wellformed`: letters, digits, '-', '.', '_', starting with a letter.
pub(super) fn id_wellformed(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '-' | '.' | '_'))
}

/// QEMU's message for an ill-formed id (two lines).
pub(super) const BAD_ID: &str = "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.";

/// The creation-time id check of a JSON `-object` (QEMU prints no location).
pub(super) fn check_created_id(ob: &ObjectDef) -> Result<(), QemuError> {
    if ob.json && !id_wellformed(&ob.id) {
        return Err(QemuError::program(BAD_ID));
    }
    Ok(())
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
        "memory-backend-file" => (&["size", "mem-path"], {
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
pub(super) fn validate_object<'a>(
    o: &CmdOption<'a>,
    p: Opts,
    profile: &Profile,
) -> Result<ObjectDef<'a>, QemuError> {
    let qom_type = required(o, p.get("qom-type").map(str::to_string), "qom-type")?;
    if !profile.has_object_type(&qom_type) {
        return Err(o.error(format!(
            "Parameter 'qom-type' does not accept value '{qom_type}'"
        )));
    }
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
    if !id_wellformed(&id) {
        return Err(o.error(BAD_ID));
    }
    Ok(ObjectDef {
        opt: *o,
        qom_type,
        id,
        props: p,
        json: false,
    })
}

/// QAPI type of an `-object` member given in JSON.
#[derive(Clone, Copy)]
enum JType {
    Size,
    U32,
    Bool,
    Str,
    List,
}

/// The QAPI type of member `m` (only for the types [`object_members`] knows).
fn member_type(m: &str) -> JType {
    match m {
        "size" | "align" | "offset" | "hugetlbsize" => JType::Size,
        "node" | "prealloc-threads" => JType::U32,
        "host-nodes" => JType::List,
        "dump"
        | "merge"
        | "prealloc"
        | "share"
        | "reserve"
        | "hugetlb"
        | "seal"
        | "discard-data"
        | "pmem"
        | "readonly"
        | "x-use-canonical-path-for-ramblock-id" => JType::Bool,
        _ => JType::Str,
    }
}

/// A JSON scalar as the string the keyval path would hold (`None`: not a scalar).
pub(super) fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::Str(s) => Some(s.clone()),
        Json::Int(i) => Some(i.to_string()),
        Json::UInt(u) => Some(u.to_string()),
        Json::Bool(b) => Some(if *b { "on" } else { "off" }.to_string()),
        Json::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// One JSON member value, type-checked as QEMU's QObject input visitor does,
/// as keyval text.
fn json_member(o: &CmdOption, m: &str, v: &Json) -> Result<Vec<String>, QemuError> {
    let wrong = |t: &str| o.error(format!("Invalid parameter type for '{m}', expected: {t}"));
    match (member_type(m), v) {
        (JType::Size, Json::Int(i)) => Ok(vec![u64::from_ne_bytes(i.to_ne_bytes()).to_string()]),
        (JType::Size, Json::UInt(u)) => Ok(vec![u.to_string()]),
        (JType::Size, _) => Err(o.error(format!("Parameter '{m}' expects uint64"))),
        (JType::U32, Json::Int(i)) => u32::try_from(*i)
            .map(|n| vec![n.to_string()])
            .map_err(|_| o.error(format!("Parameter '{m}' expects uint32_t"))),
        (JType::U32, Json::UInt(_)) => Err(o.error(format!("Parameter '{m}' expects uint32_t"))),
        (JType::U32, _) => Err(o.error(format!("Parameter '{m}' expects uint64"))),
        (JType::Str, Json::Str(t)) if m == "policy" && !HOST_MEM_POLICIES.contains(&t.as_str()) => {
            Err(o.error(format!("Parameter '{m}' does not accept value '{t}'")))
        }
        (JType::Bool, Json::Bool(_)) | (JType::Str, Json::Str(_)) => {
            Ok(scalar_text(v).into_iter().collect())
        }
        (JType::Bool, _) => Err(wrong("boolean")),
        (JType::Str, _) => Err(wrong("string")),
        (JType::List, Json::List(items)) => items
            .iter()
            .map(|x| match x {
                Json::Int(i) if (0..=i64::from(u16::MAX)).contains(i) => Ok(i.to_string()),
                Json::Int(_) | Json::UInt(_) => {
                    Err(o.error(format!("Parameter '{m}' expects uint16_t")))
                }
                _ => Err(o.error(format!("Parameter '{m}' expects uint64"))),
            })
            .collect(),
        (JType::List, _) => Err(wrong("array")),
    }
}

/// The argv-pass checks of a JSON `-object '{…}'` (QAPI's QObject input
/// visitor: `qom-type`, `id`, then the type's members in QAPI order, then
/// unexpected members); the properties become keyval text for the later phases.
pub(super) fn validate_object_json<'a>(
    o: &CmdOption<'a>,
    dict: &[(String, Json)],
    profile: &Profile,
) -> Result<ObjectDef<'a>, QemuError> {
    let get = |k: &str| dict.iter().find(|(x, _)| x == k).map(|(_, v)| v);
    let string_of = |k: &str| -> Result<String, QemuError> {
        match get(k) {
            None => Err(o.error(format!("Parameter '{k}' is missing"))),
            Some(Json::Str(s)) => Ok(s.clone()),
            Some(_) => Err(o.error(format!(
                "Invalid parameter type for '{k}', expected: string"
            ))),
        }
    };
    let qom_type = string_of("qom-type")?;
    if !profile.has_object_type(&qom_type) {
        return Err(o.error(format!(
            "Parameter 'qom-type' does not accept value '{qom_type}'"
        )));
    }
    let id = string_of("id")?;
    let mut props = Opts::default();
    props.pairs.push(("qom-type".into(), qom_type.clone()));
    props.pairs.push(("id".into(), id.clone()));
    if let Some((mandatory, members)) = object_members(&qom_type) {
        for m in members {
            match get(m) {
                None if mandatory.contains(m) => {
                    return Err(o.error(format!("Parameter '{m}' is missing")));
                }
                None => {}
                Some(v) => {
                    for text in json_member(o, m, v)? {
                        props.pairs.push(((*m).to_string(), text));
                    }
                }
            }
        }
        if let Some((k, _)) = dict
            .iter()
            .find(|(k, _)| k != "qom-type" && k != "id" && !members.contains(&k.as_str()))
        {
            return Err(o.error(format!("Parameter '{k}' is unexpected")));
        }
    } else {
        for (k, v) in dict.iter().filter(|(k, _)| k != "qom-type" && k != "id") {
            if let Some(t) = scalar_text(v) {
                props.pairs.push((k.clone(), t));
            }
        }
    }
    Ok(ObjectDef {
        opt: *o,
        qom_type,
        id,
        props,
        json: true,
    })
}

/// The QAPI type check of one member value.
/// QAPI's `HostMemPolicy` values (a memory backend's `policy=`).
const HOST_MEM_POLICIES: [&str; 4] = ["default", "preferred", "bind", "interleave"];

fn check_member(o: &CmdOption, m: &str, v: &str) -> Result<(), QemuError> {
    match m {
        "policy" if !HOST_MEM_POLICIES.contains(&v) => {
            Err(o.error(format!("Parameter '{m}' does not accept value '{v}'")))
        }
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
        check_created_id(ob)?;
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
