//! `-object`: QAPI property checks (argv pass) and the early objects (generic
//! initiators and ports, created before the machine properties are set).

use super::super::Arch;
use super::super::error::QemuError;
use super::super::json::Json;
use super::super::lexer::{self, CmdOption, Opts};
use super::super::version::Profile;
use super::ids::IdSet;
use super::values::{required, u16_list};
use super::{MAX_NODES, NumaState, idx, set_at};

/// One `-object`, as compact as the later phases allow: its argument text
/// (the properties are parsed again when a phase needs them), its type and id
/// as numbers in [`ObjectList`]'s id sets, and a memory backend's size.
#[derive(Clone, Copy)]
pub(super) struct ObjectDef<'a> {
    /// The option's argument.
    arg: &'a str,
    /// Typed as `--object` (for error locations).
    long: bool,
    /// Given in JSON syntax (its id is checked when the object is created).
    json: bool,
    /// The number of its `qom-type` in [`ObjectList::types`].
    qom: u32,
    /// `size=` as a size (0 when absent or not a size).
    size: u64,
}

/// What the argv pass learns of one `-object`.
pub(super) struct Validated {
    /// `qom-type=`.
    pub(super) qom_type: String,
    /// `id=`.
    pub(super) id: String,
    /// `size=` as a size (0 when absent or not a size).
    pub(super) size: u64,
    /// Given in JSON syntax.
    pub(super) json: bool,
}

/// The `-object` options in command-line order. Object `i` has id number `i`
/// in [`ObjectList::ids`] (ids are unique, or the argv pass fails).
#[derive(Default)]
pub(super) struct ObjectList<'a> {
    defs: Vec<ObjectDef<'a>>,
    ids: IdSet,
    types: IdSet,
}

/// `--object` or `-object` as typed.
fn typed(long: bool) -> &'static str {
    if long { "--object" } else { "-object" }
}

impl<'a> ObjectList<'a> {
    /// An empty list with room for `n` objects.
    pub(super) fn with_capacity(n: usize) -> Self {
        ObjectList {
            defs: Vec::with_capacity(n),
            ids: IdSet::with_capacity(n),
            ..ObjectList::default()
        }
    }

    /// The number of objects.
    pub(super) fn len(&self) -> usize {
        self.defs.len()
    }

    /// Object `i`'s id.
    pub(super) fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    /// Object `i`'s `qom-type`.
    pub(super) fn qom_type(&self, i: usize) -> &str {
        self.defs
            .get(i)
            .map_or("", |d| self.types.get(d.qom as usize))
    }

    /// Object `i`'s option (for error locations).
    pub(super) fn opt(&self, i: usize) -> CmdOption<'a> {
        let (arg, long) = self.defs.get(i).map_or(("", false), |d| (d.arg, d.long));
        CmdOption {
            name: "object",
            typed: typed(long),
            arg: Some(arg),
        }
    }

    /// Object `i`'s `size=` as a size (0 when absent or not a size).
    pub(super) fn size(&self, i: usize) -> u64 {
        self.defs.get(i).map_or(0, |d| d.size)
    }

    /// The object with id `id`.
    pub(super) fn find(&self, id: &str) -> Option<usize> {
        self.ids.find(id)
    }

    /// The size of memory backend `id` (any `memory-backend-*` object).
    pub(super) fn backend_size(&self, id: &str) -> Option<u64> {
        let i = self.find(id)?;
        let d = self.defs.get(i)?;
        self.qom_type(i)
            .starts_with("memory-backend-")
            .then_some(d.size)
    }

    /// Appends a validated object (`Duplicate ID` when its id is taken).
    pub(super) fn push(&mut self, o: &CmdOption<'a>, v: &Validated) -> Result<(), QemuError> {
        let too_many = || o.error("too many objects (vnuma: at most 2^31)");
        match self.ids.insert(&v.id) {
            Ok(_) => {}
            Err(Some(_)) => {
                return Err(o.error(format!("Duplicate ID '{}' for object", v.id)));
            }
            Err(None) => return Err(too_many()),
        }
        let qom = match self.types.insert(&v.qom_type) {
            Ok(n) | Err(Some(n)) => u32::try_from(n).map_err(|_| too_many())?,
            Err(None) => return Err(too_many()),
        };
        self.defs.push(ObjectDef {
            arg: o.arg.unwrap_or_default(),
            long: o.typed.starts_with("--"),
            json: v.json,
            qom,
            size: v.size,
        });
        Ok(())
    }

    /// Object `i`'s properties as keyval text (parsed again from its argument;
    /// a JSON object's members converted as in the argv pass).
    pub(super) fn props(&self, i: usize, profile: &Profile) -> Opts {
        let Some(d) = self.defs.get(i) else {
            return Opts::default();
        };
        if d.json {
            let o = self.opt(i);
            super::options::json_dict(&o, d.arg, profile)
                .and_then(|dict| validate_object_json(&o, &dict, profile))
                .map(|(_, p)| p)
                .unwrap_or_default()
        } else {
            lexer::parse_opts(d.arg, Some("qom-type"))
        }
    }

    /// Every object number in command-line order whose type passes `keep`.
    pub(super) fn select(&self, keep: impl Fn(&str) -> bool) -> impl Iterator<Item = usize> {
        (0..self.len()).filter(move |&i| keep(self.qom_type(i)))
    }

    /// The early objects in creation order: thread contexts, then the other
    /// non-late objects in command-line order.
    pub(super) fn early(&self) -> impl Iterator<Item = usize> {
        self.select(|t| t == "thread-context")
            .chain(self.select(|t| t != "thread-context" && !is_late_object(t)))
    }

    /// The creation-time id check of a JSON `-object` (QEMU prints no location).
    pub(super) fn check_created_id(&self, i: usize) -> Result<(), QemuError> {
        if self.defs.get(i).is_some_and(|d| d.json) && !id_wellformed(self.id(i)) {
            return Err(QemuError::program(BAD_ID));
        }
        Ok(())
    }
}

/// QEMU's `id_wellformed`: letters, digits, '-', '.', '_', starting with a letter.
pub(super) fn id_wellformed(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '-' | '.' | '_'))
}

/// QEMU's message for an ill-formed id (two lines).
pub(super) const BAD_ID: &str = "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.";

/// Objects QEMU creates after the machine (`object_create_late`).
pub(super) fn is_late_object(t: &str) -> bool {
    // QEMU 11.1's monitor objects (only that version accepts the types) are
    // late too, created in command-line order among the memory backends (live
    // 11.1.3: `-object monitor-qmp,…,chardev=nope` before a bad backend fails
    // first, after one second; before a bad `secret` second; the `/objects`
    // order of a libvirt line whose NVDIMM / virtio-mem backends follow its
    // monitor is the order of that insertion sequence).
    t.starts_with("memory-backend-")
        || t == "monitor-qmp"
        || t == "monitor-hmp"
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
pub(super) fn validate_object(
    o: &CmdOption,
    p: &Opts,
    profile: &Profile,
) -> Result<Validated, QemuError> {
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
    Ok(Validated {
        qom_type,
        id,
        size: size_of(p),
        json: false,
    })
}

/// `size=` as a size (0 when absent or not a size).
fn size_of(p: &Opts) -> u64 {
    p.get("size").and_then(lexer::parse_size).unwrap_or(0)
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
pub(super) fn validate_object_json(
    o: &CmdOption,
    dict: &[(String, Json)],
    profile: &Profile,
) -> Result<(Validated, Opts), QemuError> {
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
    let v = Validated {
        qom_type,
        id,
        size: size_of(&props),
        json: true,
    };
    Ok((v, props))
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
    objects: &ObjectList,
    numa: &mut NumaState,
    profile: &Profile,
    arch: Arch,
) -> Result<(), QemuError> {
    for i in objects.early() {
        // user_creatable_add_type: the id, then the class (live 10.0.2/11.1.3).
        objects.check_created_id(i)?;
        let t = objects.qom_type(i);
        if profile.is_unbuilt_object_type(arch, t) {
            return Err(QemuError::program(format!("invalid object type: {t}")));
        }
        match t {
            "acpi-generic-initiator" => {
                for n in gi_nodes(objects, i, profile)? {
                    set_at(&mut numa.has_gi, idx(u64::from(n)), true);
                }
            }
            "acpi-generic-port" => {
                gp_node(objects, i, profile)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A GI's `pci-dev=` (empty when absent).
pub(super) fn gi_pci_dev(objects: &ObjectList, i: usize, profile: &Profile) -> String {
    (objects.props(i, profile).get("pci-dev"))
        .unwrap_or_default()
        .to_string()
}

/// A GP's `pci-bus=` and node.
pub(super) fn gp_node(
    objects: &ObjectList,
    i: usize,
    profile: &Profile,
) -> Result<(String, u32), QemuError> {
    let p = objects.props(i, profile);
    let n = p.get("node").and_then(lexer::parse_u64).unwrap_or(0);
    if n >= MAX_NODES {
        return Err(invalid_node());
    }
    let bus = p.get("pci-bus").unwrap_or_default().to_string();
    Ok((bus, u32::try_from(n).unwrap_or(0)))
}

/// A GI's nodes: `node=`, or (vnuma) the seed v5 `host-nodes=<list>`, ascending.
pub(super) fn gi_nodes(
    objects: &ObjectList,
    i: usize,
    profile: &Profile,
) -> Result<Vec<u32>, QemuError> {
    let props = objects.props(i, profile);
    if let Some(n) = props.get("node") {
        let n = lexer::parse_u64(n).unwrap_or(0);
        if n >= MAX_NODES {
            return Err(invalid_node());
        }
        return Ok(vec![u32::try_from(n).unwrap_or(0)]);
    }
    let o = objects.opt(i);
    let mut l = u16_list(&o, &props.get_all("host-nodes"), "host-nodes")?;
    l.sort_unstable();
    l.dedup();
    if let Some(bad) = l.iter().find(|n| **n >= MAX_NODES) {
        return Err(o.error(format!("Invalid host-nodes value: {bad}")));
    }
    Ok(l.iter().filter_map(|n| u32::try_from(*n).ok()).collect())
}
