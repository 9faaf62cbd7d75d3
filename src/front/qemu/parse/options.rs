//! Phase 1: the argv pass, in command-line order. Every option is looked up and
//! its syntax checked (QemuOpts, `-m` values, `-object` QAPI properties, duplicate
//! object ids); the options are sorted by kind for the later phases.

use super::super::args::ArgList;
use super::super::error::QemuError;
use super::super::json::{self, Json};
use super::super::lexer::{self, CmdOption, Opts};
use super::super::version::Profile;
use super::objects::{
    BAD_ID, ObjectList, id_wellformed, scalar_text, validate_object, validate_object_json,
};
use crate::machine::memory::MIB;
use crate::machine::pci;

/// The command line sorted by option kind.
#[derive(Default)]
pub(super) struct CmdLine<'a> {
    /// `-machine` key/value pairs, all of them in order.
    pub(super) machine_pairs: Vec<(String, String)>,
    /// `-m` pairs (all `-m` options merged).
    pub(super) mem_opts: Opts,
    /// `-smp` pairs (all `-smp` options merged).
    pub(super) smp_opts: Opts,
    /// `-numa` options in order.
    pub(super) numa_opts: Vec<NumaOpt<'a>>,
    /// `-object` definitions in order.
    pub(super) objects: ObjectList<'a>,
    /// `-device` options in order.
    pub(super) devices: Vec<DeviceArg<'a>>,
    /// `-cpu` model.
    pub(super) cpu_model: Option<String>,
    /// `-cpu …,vendor=`.
    pub(super) cpu_vendor: Option<String>,
    /// `-cpu …,phys-bits=`.
    pub(super) cpu_phys_bits: Option<String>,
    /// `-cpu …,+x2apic` / `x2apic=on` (`Some(true)`), `-x2apic` / `x2apic=off`.
    pub(super) cpu_x2apic: Option<bool>,
    /// Firmware loaded (`-bios`, `-pflash`, `-drive if=pflash`): virt creates its
    /// ACPI GED (memory hotplug) only then.
    pub(super) firmware: bool,
    /// `-nodefaults`.
    pub(super) nodefaults: bool,
    /// No default VGA (`-vga none` or a VGA `-device`).
    pub(super) vga_none: bool,
    /// The default NIC is created (no `-net`/`-netdev`/`-nic`).
    pub(super) default_nic: bool,
    /// Options that do not shape the NUMA tables.
    pub(super) ignored: Vec<String>,
    /// Ignored options beyond the first [`IGNORED_LISTED`], counted only.
    pub(super) ignored_more: usize,
    /// The number of pairs the last `-machine` added to `machine_pairs`.
    pub(super) machine_last: usize,
    /// The number of pairs the last `-smp` added to `smp_opts`.
    pub(super) smp_last: usize,
    /// `-monitor`/`-qmp`/`-mon` options that create a monitor (not `none`).
    pub(super) monitors: usize,
    /// Whether the `-mon` deprecation warning was printed (QEMU warns once).
    mon_warned: bool,
    /// Whether any `-monitor`/`-qmp`/`-mon` was given (no default monitor then).
    pub(super) monitor_option: bool,
    /// `-netdev` ids in order (`None`: one vnuma cannot follow, a `hubport` or
    /// one it could not read).
    pub(super) netdevs: Vec<Option<String>>,
    /// A `-net` vnuma does not follow (`vlan=`, `netdev=`, no type): hubs
    /// other than the one `-net nic` and `-net user`/`tap`/… share.
    pub(super) net_odd: bool,
    /// `-net` backends (`user`, `tap`, …: hub 0's other ports).
    pub(super) hub_backends: usize,
    /// The `model=` of each `-nic` other than `none`: cards the machine makes.
    nic_models: Vec<Option<String>>,
    /// The `model=` of each `-net nic`: cards the machine makes on hub 0.
    pub(super) hub_nic_models: Vec<Option<String>>,
    /// `id=` / `name=` of the backends of `-net` (not `nic`) and `-nic`:
    /// clients wired to a hub or card, so a `netdev=` naming one finds it in use.
    pub(super) net_names: Vec<String>,
    /// `-global` defaults that shape where PCI devices may go, in order:
    /// (driver, property, value).
    globals: Vec<(String, String, String)>,
}

/// The `-global` drivers whose properties vnuma reads (the chipsets' ACPI PCI
/// hot-plug, `pci-bridge`'s SHPC); others are listed as ignored only.
const GLOBAL_DRIVERS: &[&str] = &["PIIX4_PM", "ICH9-LPC", "pci-bridge"];

/// One `-numa` option, kept as its argument (24 bytes; its QemuOpts are parsed
/// again when the option is applied). A well-formed `-numa dist` (the one
/// option a command line repeats by the thousand: every node pair) also keeps
/// its three numbers.
#[derive(Clone, Copy)]
pub(super) struct NumaOpt<'a> {
    /// The option's argument.
    arg: &'a str,
    /// `src=` of a compact dist.
    src: u16,
    /// `dst=` of a compact dist.
    dst: u16,
    /// `val=` of a compact dist.
    val: u8,
    /// Typed as `--numa`.
    long: bool,
    /// `-numa dist,src=S,dst=D,val=V` with exactly these keys (besides
    /// `type`), each a valid number within its type's range.
    dist: bool,
}

impl<'a> NumaOpt<'a> {
    /// The option (for error locations).
    pub(super) fn opt(&self) -> CmdOption<'a> {
        CmdOption {
            name: "numa",
            typed: if self.long { "--numa" } else { "-numa" },
            arg: Some(self.arg),
        }
    }

    /// The `src`, `dst` and `val` of a compact `-numa dist`.
    pub(super) fn dist(&self) -> Option<(u16, u16, u8)> {
        self.dist.then_some((self.src, self.dst, self.val))
    }

    /// The option's QemuOpts, unless it is a compact `-numa dist`.
    pub(super) fn full(&self) -> Option<Opts> {
        (!self.dist).then(|| lexer::parse_opts(self.arg, Some("type")))
    }
}

/// One `-device`: its argument, parsed again when the device is plugged (a
/// command line may hold hundreds of thousands; each costs 24 bytes here).
#[derive(Clone, Copy)]
pub(super) struct DeviceArg<'a> {
    /// The option's argument.
    arg: &'a str,
    /// Typed as `--device`.
    long: bool,
}

impl<'a> DeviceArg<'a> {
    /// The option (for error locations).
    pub(super) fn opt(&self) -> CmdOption<'a> {
        CmdOption {
            name: "device",
            typed: if self.long { "--device" } else { "-device" },
            arg: Some(self.arg),
        }
    }

    /// Its properties as keyval text, as the argv pass read them.
    pub(super) fn opts(&self, profile: &Profile) -> Opts {
        if self.arg.starts_with('{') {
            json_dict(&self.opt(), self.arg, profile)
                .map(|d| device_from_json(&d))
                .unwrap_or_default()
        } else {
            lexer::parse_opts(self.arg, Some("driver"))
        }
    }
}

/// A `-numa dist` whose keys are exactly `type`, `src`, `dst`, `val` (each
/// `src`/`dst`/`val` present, a plain number in range): its numbers.
fn compact_dist(n: &Opts) -> Option<(u16, u16, u8)> {
    if n.get("type") != Some("dist") || n.unknown_key(&["type", "src", "dst", "val"]).is_some() {
        return None;
    }
    let num = |k: &str| n.get(k).and_then(lexer::parse_u64);
    let src = u16::try_from(num("src")?).ok()?;
    let dst = u16::try_from(num("dst")?).ok()?;
    let val = u8::try_from(num("val")?).ok()?;
    Some((src, dst, val))
}

/// How many ignored options [`CmdLine::ignore`] lists (the rest are counted).
pub(super) const IGNORED_LISTED: usize = 1000;

/// The key under which a JSON `-device`'s deferred error travels in its [`Opts`]
/// (QEMU reports property type errors when it creates the device).
pub(super) const DEFERRED_ERROR: &str = "\u{0}error";

/// QEMU's syntax error for an `-m` size value.
const SIZE_SYNTAX: &str = "expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.";

/// The `-smp` keys QEMU knows.
const SMP_KEYS: &[&str] = &[
    "cpus", "maxcpus", "drawers", "books", "sockets", "dies", "clusters", "modules", "cores",
    "threads",
];

/// Runs the argv pass.
pub(super) fn collect<'a, L: ArgList + ?Sized>(
    args: &'a L,
    profile: &Profile,
    warnings: &mut Vec<QemuError>,
) -> Result<CmdLine<'a>, QemuError> {
    // QEMU looks every option up before it acts on any: a first pass for the
    // lookup errors (and the number of -numa options), storing nothing.
    let (mut numa, mut objects, mut devices) = (0usize, 0usize, 0usize);
    for o in lexer::split_iter(args) {
        match o?.name {
            "numa" => numa += 1,
            "object" => objects += 1,
            "device" => devices += 1,
            _ => {}
        }
    }
    let mut cmd = CmdLine {
        default_nic: true,
        numa_opts: Vec::with_capacity(numa),
        objects: ObjectList::with_capacity(objects),
        devices: Vec::with_capacity(devices),
        ..CmdLine::default()
    };
    for o in lexer::split_iter(args) {
        cmd.add(&o?, profile, warnings)?;
    }
    Ok(cmd)
}

/// Appends one option's pairs to `pairs`, unless they are the pairs the
/// previous such option appended (`last` of them, at the end): the same option
/// again sets the same values in the same order, which changes nothing that is
/// read from the pairs (last value of each key, keys in order of their last
/// occurrence, the first bad pair), so that a repeated option costs no memory.
fn extend_unless_repeated(
    pairs: &mut Vec<(String, String)>,
    last: &mut usize,
    new: Vec<(String, String)>,
) {
    let tail = pairs.len().checked_sub(*last).and_then(|s| pairs.get(s..));
    if tail == Some(new.as_slice()) {
        return;
    }
    *last = new.len();
    pairs.extend(new);
}

/// Records QemuOpts' own warnings for `o`.
fn push_warnings(w: &mut Vec<QemuError>, o: &CmdOption, opts: &Opts) {
    w.extend(opts.warnings.iter().map(|t| o.error(t.clone())));
}

/// Parses `arg` as QemuOpts with `implied` as the implied key, keeping the warnings.
fn opts_of(o: &CmdOption, arg: &str, implied: &str, w: &mut Vec<QemuError>) -> Opts {
    let parsed = lexer::parse_opts(arg, Some(implied));
    push_warnings(w, o, &parsed);
    parsed
}

impl<'a> CmdLine<'a> {
    /// Records an option that does not shape the tables: its text for the
    /// first [`IGNORED_LISTED`], a count beyond.
    pub(super) fn ignore(&mut self, text: impl FnOnce() -> String) {
        if self.ignored.len() < IGNORED_LISTED {
            self.ignored.push(text());
        } else {
            self.ignored_more += 1;
        }
    }

    /// Sorts one option in.
    fn add(
        &mut self,
        o: &CmdOption<'a>,
        profile: &Profile,
        warnings: &mut Vec<QemuError>,
    ) -> Result<(), QemuError> {
        let arg = o.arg.unwrap_or_default();
        match o.name {
            "machine" => {
                let kv =
                    lexer::parse_keyval(arg, Some("type")).map_err(|e| o.error(e.to_string()))?;
                // `pflash0=<blockdev>` (libvirt's way) loads firmware like -pflash.
                if kv.has("pflash0") {
                    self.firmware = true;
                }
                extend_unless_repeated(&mut self.machine_pairs, &mut self.machine_last, kv.pairs);
            }
            "m" => self.add_memory(o, opts_of(o, arg, "size", warnings))?,
            "smp" => {
                let s = opts_of(o, arg, "cpus", warnings);
                if let Some(k) = s.unknown_key(SMP_KEYS) {
                    return Err(o.error(format!("Invalid parameter '{k}'")));
                }
                extend_unless_repeated(&mut self.smp_opts.pairs, &mut self.smp_last, s.pairs);
            }
            "numa" => {
                let n = opts_of(o, arg, "type", warnings);
                let dist = compact_dist(&n);
                let (src, dst, val) = dist.unwrap_or_default();
                self.numa_opts.push(NumaOpt {
                    arg,
                    src,
                    dst,
                    val,
                    long: o.typed.starts_with("--"),
                    dist: dist.is_some(),
                });
            }
            "object" => {
                let def = if arg.starts_with('{') {
                    let dict = json_dict(o, arg, profile)?;
                    validate_object_json(o, &dict, profile)?.0
                } else {
                    validate_object(o, &opts_of(o, arg, "qom-type", warnings), profile)?
                };
                self.objects.push(o, &def)?;
            }
            "device" => {
                let d = if arg.starts_with('{') {
                    device_from_json(&json_dict(o, arg, profile)?)
                } else {
                    let d = opts_of(o, arg, "driver", warnings);
                    if d.get("id").is_some_and(|i| !id_wellformed(i)) {
                        return Err(o.error(BAD_ID));
                    }
                    d
                };
                if d.get("driver").is_some_and(pci::is_vga) {
                    self.vga_none = true;
                }
                self.devices.push(DeviceArg {
                    arg,
                    long: o.typed.starts_with("--"),
                });
            }
            "cpu" => self.add_cpu(arg),
            "global" => {
                self.add_global(arg);
                self.add_other(o, arg);
            }
            // `-usb` is `-machine usb=on` at this place of the line.
            "usb" => {
                self.machine_pairs.push(("usb".into(), "on".into()));
                self.add_other(o, arg);
            }
            "netdev" => {
                self.netdevs.push(netdev_id(o, arg, profile));
                self.add_other(o, arg);
            }
            "net" | "nic" => {
                let p = lexer::parse_opts(arg, Some("type"));
                let model = p.get("model").map(str::to_string);
                if !(o.name == "net" && p.get("type") == Some("nic")) {
                    for key in ["id", "name"] {
                        self.net_names.extend(p.get(key).map(str::to_string));
                    }
                }
                let odd = p.get("vlan").is_some() || p.get("netdev").is_some();
                match (o.name, p.get("type")) {
                    (_, Some("none")) => {}
                    ("nic", Some(_)) => self.nic_models.push(model),
                    ("net", Some("nic")) => {
                        self.hub_nic_models.push(model);
                        self.net_odd |= odd;
                    }
                    ("net", Some(_)) => {
                        self.hub_backends += 1;
                        self.net_odd |= odd;
                    }
                    _ => self.net_odd = true,
                }
                self.add_other(o, arg);
            }
            // 11.1.3 warns once, at the first -mon, while it reads the command
            // line (before any later error, even of an earlier option).
            "mon" if profile.mon_deprecated && !self.mon_warned => {
                self.mon_warned = true;
                warnings.push(o.error(
                    "warning: '-mon' is deprecated, use '-object' with 'monitor-hmp' or 'monitor-qmp' types instead",
                ));
                self.add_other(o, arg);
            }
            _ => self.add_other(o, arg),
        }
        Ok(())
    }

    /// The `model=` of every card the machine makes, in QEMU's order: all
    /// `-nic` first, then `-net nic`.
    pub(super) fn machine_nic_models(&self) -> impl Iterator<Item = Option<&str>> {
        self.nic_models
            .iter()
            .chain(&self.hub_nic_models)
            .map(Option::as_deref)
    }

    /// `-global DRIVER.PROP=VALUE` or `-global driver=D,property=P,value=V`
    /// (`qemu_global_option`); kept when vnuma reads that driver's properties.
    fn add_global(&mut self, arg: &str) {
        let short = arg.split_once('=').and_then(|(dp, v)| {
            let (d, p) = dp.split_once('.')?;
            (!d.is_empty() && !p.is_empty()).then(|| (d.to_string(), p.to_string(), v.to_string()))
        });
        let g = short.or_else(|| {
            let o = lexer::parse_opts(arg, None);
            Some((
                o.get("driver")?.to_string(),
                o.get("property")?.to_string(),
                o.get("value")?.to_string(),
            ))
        });
        if let Some(g) = g.filter(|g| GLOBAL_DRIVERS.contains(&g.0.as_str())) {
            self.globals.push(g);
        }
    }

    /// The last `-global` value of `driver.property`, as a boolean (a value
    /// that is not one is left to QEMU: vnuma keeps the default).
    pub(super) fn global_bool(&self, driver: &str, property: &str) -> Option<bool> {
        self.globals
            .iter()
            .rev()
            .find(|(d, p, _)| d == driver && p == property)
            .and_then(|(_, _, v)| lexer::parse_bool(v))
    }

    /// `-m`: keys and value syntax.
    fn add_memory(&mut self, o: &CmdOption, m: Opts) -> Result<(), QemuError> {
        if let Some(k) = m.unknown_key(&["size", "slots", "maxmem"]) {
            return Err(o.error(format!("Invalid parameter '{k}'")));
        }
        for (k, v) in &m.pairs {
            let bad = match k.as_str() {
                "size" => lexer::parse_size_with(v, MIB).is_none(),
                "maxmem" => lexer::parse_size(v).is_none(),
                "slots" if lexer::parse_u64(v).is_none() => {
                    return Err(o.error("Parameter 'slots' expects a number"));
                }
                _ => false,
            };
            if bad {
                return Err(o.error(format!("Parameter '{k}' {SIZE_SYNTAX}")));
            }
        }
        // Only the last value of each key is ever read.
        for (k, v) in m.pairs {
            match self.mem_opts.pairs.iter_mut().find(|(a, _)| *a == k) {
                Some(p) => p.1 = v,
                None => self.mem_opts.pairs.push((k, v)),
            }
        }
        Ok(())
    }

    /// `-cpu model,vendor=…,phys-bits=…`.
    fn add_cpu(&mut self, arg: &str) {
        let mut parts = arg.split(',');
        self.cpu_model = parts.next().map(str::to_string);
        for p in parts {
            if let Some(v) = p.strip_prefix("vendor=") {
                self.cpu_vendor = Some(v.to_string());
            }
            if let Some(v) = p.strip_prefix("phys-bits=") {
                self.cpu_phys_bits = Some(v.to_string());
            }
            match p {
                "+x2apic" => self.cpu_x2apic = Some(true),
                "-x2apic" => self.cpu_x2apic = Some(false),
                _ => {
                    if let Some(v) = p.strip_prefix("x2apic=") {
                        self.cpu_x2apic = lexer::parse_bool(v).or(self.cpu_x2apic);
                    }
                }
            }
        }
    }

    /// Options that only matter through a flag (firmware, defaults), or not at all.
    fn add_other(&mut self, o: &CmdOption, arg: &str) {
        match o.name {
            "nodefaults" => {
                self.nodefaults = true;
                return;
            }
            "bios" | "pflash" => self.firmware = true,
            "drive" if lexer::parse_opts(arg, None).get("if") == Some("pflash") => {
                self.firmware = true;
            }
            "vga" if arg == "none" => self.vga_none = true,
            "net" | "netdev" | "nic" => self.default_nic = false,
            "monitor" | "qmp" | "qmp-pretty" | "mon" => {
                self.monitor_option = true;
                if o.name == "mon" || !arg.starts_with("none") {
                    self.monitors += 1;
                }
            }
            _ => {}
        }
        self.ignore(|| o.location());
    }
}

/// A JSON option value (QEMU: the value starts with `{`), as a dict. The
/// top-level value of such a text is always an object.
pub(super) fn json_dict(
    o: &CmdOption,
    arg: &str,
    profile: &Profile,
) -> Result<Vec<(String, Json)>, QemuError> {
    match json::parse(arg, profile.json).map_err(|e| o.error(e))? {
        Json::Dict(d) => Ok(d),
        _ => Err(o.error("Parameter 'qom-type' is missing")),
    }
}

/// A `-netdev`'s id (keyval or JSON), unless it is a `hubport` or unreadable.
fn netdev_id(o: &CmdOption, arg: &str, profile: &Profile) -> Option<String> {
    if arg.starts_with('{') {
        let d = json_dict(o, arg, profile).ok()?;
        let get = |key: &str| {
            d.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
                Json::Str(s) => Some(s.clone()),
                _ => None,
            })
        };
        return (get("type")? != "hubport").then(|| get("id")).flatten();
    }
    let p = lexer::parse_opts(arg, Some("type"));
    (p.get("type")? != "hubport")
        .then(|| p.get("id").map(str::to_string))
        .flatten()
}

/// A JSON `-device` as keyval text: `driver` only when it is a string (QEMU:
/// `Parameter 'driver' is missing` otherwise), an integer `addr` is a devfn
/// (`3` = `0.3`; a DIMM's stays a number), booleans are `on`/`off`. A non-boolean `multifunction` is
/// QEMU's property type error, reported when the device is created.
fn device_from_json(dict: &[(String, Json)]) -> Opts {
    let mut d = Opts::default();
    // A DIMM's `addr` is its uint64 guest-physical address (libvirt writes it
    // for `<address type='dimm' base=…>`), not a devfn.
    let dimm = dict.iter().any(|(k, v)| {
        k == "driver" && matches!(v, Json::Str(s) if s == "pc-dimm" || s == "nvdimm")
    });
    for (k, v) in dict {
        match (k.as_str(), v) {
            ("driver", Json::Str(s)) => d.pairs.push((k.clone(), s.clone())),
            ("driver", _) => {}
            ("addr", Json::Int(n)) if !dimm => {
                let devfn = u64::from_ne_bytes(n.to_ne_bytes());
                d.pairs
                    .push((k.clone(), format!("{:x}.{:x}", devfn >> 3, devfn & 7)));
            }
            ("multifunction", v) if !matches!(v, Json::Bool(_)) => {
                d.pairs.push((
                    DEFERRED_ERROR.into(),
                    "Invalid parameter type for 'multifunction', expected: boolean".into(),
                ));
            }
            _ => {
                if let Some(t) = scalar_text(v) {
                    d.pairs.push((k.clone(), t));
                }
            }
        }
    }
    d
}
