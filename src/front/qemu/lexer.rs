//! QEMU command-line syntax: option splitting (`-opt value`, `--opt value`, options
//! without argument), QemuOpts strings (`key=value,...` with `,,` escaping a comma,
//! an implied first key, short-form booleans) and QEMU's number/size/bool parsers.
//!
//! QEMU 10 does not accept `-opt=value` (`-m=1G: invalid option`), and neither does
//! this lexer. A bare argument (not starting with `-`) is QEMU's implicit `-hda`.

use super::args::ArgList;
use super::error::QemuError;

/// Options that take no argument (QEMU 10 `qemu-options.hx`).
const NO_ARG: &[&str] = &[
    "S",
    "s",
    "daemonize",
    "enable-kvm",
    "full-screen",
    "h",
    "help",
    "version",
    "nodefaults",
    "nographic",
    "no-reboot",
    "no-shutdown",
    "no-user-config",
    "no-fd-bootchk",
    "win2k-hack",
    "snapshot",
    "usb",
    "mem-prealloc",
    "only-migratable",
    "preconfig",
    "enable-sync-profile",
    "perfmap",
    "jitdump",
    "semihosting",
    "old-param",
    "xen-attach",
    "xen-domid-restrict",
    "alt-grab",
    "ctrl-grab",
];

/// Options that take one argument.
const WITH_ARG: &[&str] = &[
    "machine",
    "M",
    "cpu",
    "accel",
    "smp",
    "numa",
    "add-fd",
    "set",
    "global",
    "boot",
    "m",
    "mem-path",
    "k",
    "audio",
    "audiodev",
    "device",
    "name",
    "uuid",
    "fda",
    "fdb",
    "hda",
    "hdb",
    "hdc",
    "hdd",
    "cdrom",
    "blockdev",
    "drive",
    "mtdblock",
    "sd",
    "pflash",
    "fsdev",
    "virtfs",
    "iscsi",
    "usbdevice",
    "display",
    "vga",
    "spice",
    "vnc",
    "acpitable",
    "smbios",
    "netdev",
    "nic",
    "net",
    "chardev",
    "tpmdev",
    "bios",
    "kernel",
    "shim",
    "append",
    "initrd",
    "dtb",
    "compat",
    "fw_cfg",
    "serial",
    "parallel",
    "monitor",
    "qmp",
    "qmp-pretty",
    "mon",
    "debugcon",
    "pidfile",
    "gdb",
    "d",
    "D",
    "dfilter",
    "seed",
    "L",
    "option-rom",
    "rtc",
    "icount",
    "watchdog-action",
    "echr",
    "incoming",
    "xen-domid",
    "readconfig",
    "loadvm",
    "action",
    "object",
    "msg",
    "dump-vmstate",
    "plugin",
    "trace",
    "overcommit",
    "run-with",
    "sandbox",
    "semihosting-config",
    "qtest",
    "qtest-log",
    "chroot",
    "runas",
    "g",
    "p",
    "tb-size",
];

/// One option of the command line, borrowing from the argument list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmdOption<'a> {
    /// Option name without dashes, canonical (`-M` becomes `machine`, a bare argument `hda`).
    pub name: &'static str,
    /// The option as typed (`-M`, `--numa`), for QEMU's location prefix.
    pub typed: &'a str,
    /// Its argument, if it takes one.
    pub arg: Option<&'a str>,
}

impl CmdOption<'_> {
    /// QEMU's location text for messages about this option: `-numa node,nodeid=1`.
    pub fn location(&self) -> String {
        match self.arg {
            Some(a) if self.typed.starts_with('-') => format!("{} {}", self.typed, a),
            Some(a) => a.to_string(),
            None => self.typed.to_string(),
        }
    }

    /// An error located at this option (`<prog>: -opt arg: text`).
    pub fn error(&self, text: impl Into<String>) -> QemuError {
        QemuError::program(format!("{}: {}", self.location(), text.into()))
    }
}

/// The static name of option `name` and whether it takes an argument (one
/// hash lookup instead of a walk through both tables for every option).
fn lookup_name(name: &str) -> Option<(&'static str, bool)> {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<&'static str, bool>> =
        std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        // NO_ARG first: a name in both tables is taken as one without argument.
        let with = WITH_ARG.iter().map(|n| (*n, true));
        with.chain(NO_ARG.iter().map(|n| (*n, false))).collect()
    });
    names.get_key_value(name).map(|(n, a)| (*n, *a))
}

/// The options of argv one by one, like QEMU's `lookup_opt`, without storing
/// them: an item is an error (`-foo: invalid option`, `-m: requires an
/// argument`), after which the iteration ends.
pub fn split_iter<L: ArgList + ?Sized>(args: &L) -> SplitArgs<'_, L> {
    SplitArgs {
        args,
        i: 0,
        done: false,
    }
}

/// The iterator of [`split_iter`].
#[derive(Debug)]
pub struct SplitArgs<'a, L: ?Sized> {
    args: &'a L,
    i: usize,
    done: bool,
}

impl<'a, L: ArgList + ?Sized> SplitArgs<'a, L> {
    fn next_word(&mut self) -> Option<&'a str> {
        let w = self.args.get(self.i)?;
        self.i += 1;
        Some(w)
    }
}

impl<'a, L: ArgList + ?Sized> Iterator for SplitArgs<'a, L> {
    type Item = Result<CmdOption<'a>, QemuError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let a = self.next_word()?;
        let Some(rest) = a.strip_prefix('-') else {
            return Some(Ok(CmdOption {
                name: "hda",
                typed: a,
                arg: Some(a),
            }));
        };
        let name = rest.strip_prefix('-').unwrap_or(rest);
        let found = lookup_name(name);
        if let Some((name, false)) = found {
            return Some(Ok(CmdOption {
                name,
                typed: a,
                arg: None,
            }));
        }
        if let Some((name, true)) = found {
            let Some(v) = self.next_word() else {
                self.done = true;
                return Some(Err(QemuError::program(format!(
                    "{a}: requires an argument"
                ))));
            };
            let canonical = if name == "M" { "machine" } else { name };
            return Some(Ok(CmdOption {
                name: canonical,
                typed: a,
                arg: Some(v),
            }));
        }
        self.done = true;
        Some(Err(QemuError::program(format!("{a}: invalid option"))))
    }
}

/// The options of a command line that [`split_args`] accepts, one by one
/// without storing them; nothing when it does not accept it.
pub fn valid_options<L: ArgList + ?Sized>(args: &L) -> impl Iterator<Item = CmdOption<'_>> {
    let ok = split_iter(args).all(|r| r.is_ok());
    let mut it = split_iter(args);
    it.done = !ok;
    it.filter_map(Result::ok)
}

/// Splits argv into options like QEMU's `lookup_opt`. Errors: `-foo: invalid option`,
/// `-m: requires an argument`.
pub fn split_args<L: ArgList + ?Sized>(args: &L) -> Result<Vec<CmdOption<'_>>, QemuError> {
    split_iter(args).collect()
}

/// A parsed QemuOpts / keyval string: `(key, value)` pairs in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// The pairs, in order (repeated keys kept).
    pub pairs: Vec<(String, String)>,
    /// Deprecation warnings produced while parsing (short-form booleans), QEMU's text.
    pub warnings: Vec<String>,
}

impl Opts {
    /// The last value given for `key` (QemuOpts: last wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `key`, in order (list-valued keys such as `cpus`).
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` was given.
    pub fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The first key not in `known`, if any.
    pub fn unknown_key(&self, known: &[&str]) -> Option<&str> {
        self.pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !known.contains(k))
    }
}

/// Reads a value up to an unescaped comma; `,,` stands for one comma.
fn take_value(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut rest = s;
    loop {
        match rest.find(',') {
            None => {
                out.push_str(rest);
                return (out, "");
            }
            Some(i) => {
                out.push_str(&rest[..i]);
                let after = &rest[i + 1..];
                if let Some(a) = after.strip_prefix(',') {
                    out.push(',');
                    rest = a;
                } else {
                    return (out, after);
                }
            }
        }
    }
}

/// Parses a QemuOpts string (`opts_do_parse`). `implied` is the option's implied
/// first key (`type` for `-numa`, `size` for `-m`, …). An element without `=` after
/// the first is a short-form boolean (`foo` = `foo=on`, `nofoo` = `foo=off`), which
/// QEMU 10 accepts with a deprecation warning (recorded in [`Opts::warnings`]).
pub fn parse_opts(s: &str, implied: Option<&str>) -> Opts {
    let mut opts = Opts::default();
    let mut rest = s;
    let mut first = true;
    while !rest.is_empty() {
        let len = rest.find(['=', ',']).unwrap_or(rest.len());
        let is_pair = rest.as_bytes().get(len) == Some(&b'=');
        if !is_pair {
            if let (true, Some(key)) = (first, implied) {
                let (v, r) = take_value(rest);
                opts.pairs.push((key.into(), v));
                rest = r;
            } else {
                let name = &rest[..len];
                let (key, value, prefix) = match name.strip_prefix("no") {
                    Some(n) => (n.to_string(), "off", "no"),
                    None => (name.to_string(), "on", ""),
                };
                if key != "help" && key != "?" {
                    opts.warnings.push(format!(
                        "warning: short-form boolean option '{prefix}{key}' deprecated\nPlease use {key}={value} instead"
                    ));
                }
                opts.pairs.push((key, value.into()));
                rest = rest.get(len + 1..).unwrap_or("");
            }
        } else {
            let key = rest[..len].to_string();
            let (v, r) = take_value(&rest[len + 1..]);
            opts.pairs.push((key, v));
            rest = r;
        }
        first = false;
    }
    opts
}

/// Why a keyval string is refused (QEMU's text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyvalError {
    /// An element without `=` after the first.
    #[error("Expected '=' after parameter '{0}'")]
    ExpectedEquals(String),
    /// An empty key (`=v`).
    #[error("Invalid parameter ''")]
    EmptyKey,
}

/// Parses a keyval string (`-object`, `-machine`): like [`parse_opts`] but an element
/// without `=` after the first is an error (`Expected '=' after parameter 'foo'`).
pub fn parse_keyval(s: &str, implied: Option<&str>) -> Result<Opts, KeyvalError> {
    let mut opts = Opts::default();
    let mut rest = s;
    let mut first = true;
    while !rest.is_empty() {
        let len = rest.find(['=', ',']).unwrap_or(rest.len());
        let (key, tail) = rest.split_at_checked(len).unwrap_or((rest, ""));
        if let Some(after_eq) = tail.strip_prefix('=') {
            if key.is_empty() {
                return Err(KeyvalError::EmptyKey);
            }
            let (v, r) = take_value(after_eq);
            opts.pairs.push((key.to_string(), v));
            rest = r;
        } else {
            match (first, implied) {
                (true, Some(implied_key)) => {
                    let (v, r) = take_value(rest);
                    opts.pairs.push((implied_key.into(), v));
                    rest = r;
                }
                _ => return Err(KeyvalError::ExpectedEquals(key.to_string())),
            }
        }
        first = false;
    }
    Ok(opts)
}

/// QEMU `parse_uint` with base 0: decimal, `0x` hex, leading-`0` octal; no sign
/// (the shared parser, [`crate::syntax::parse_uint`]).
pub fn parse_u64(s: &str) -> Option<u64> {
    crate::syntax::parse_uint(s)
}

/// QEMU `qemu_strtosz` family ([`crate::syntax::parse_size_with`]); `None` where
/// QEMU refuses the value. `default_mul` applies when no suffix is given (1 for
/// bytes, 1 MiB for `-m`).
pub fn parse_size_with(s: &str, default_mul: u64) -> Option<u64> {
    crate::syntax::parse_size_with(s, default_mul).ok()
}

/// A size in bytes (`qemu_strtosz`).
pub fn parse_size(s: &str) -> Option<u64> {
    parse_size_with(s, 1)
}

/// QEMU's boolean parser (`qapi_bool_parse`): on/yes/true/y, off/no/false/n.
pub fn parse_bool(s: &str) -> Option<bool> {
    crate::syntax::parse_bool(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opts_escape_and_implied() {
        let o = parse_opts("node,memdev=a,,b,cpus=0-1,cpus=3", Some("type"));
        assert_eq!(o.get("type"), Some("node"));
        assert_eq!(o.get("memdev"), Some("a,b"));
        assert_eq!(o.get_all("cpus"), vec!["0-1", "3"]);
        let o = parse_opts("node,nodeid", Some("type"));
        assert_eq!(o.get("deid"), Some("off"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1.5G"), Some(3 << 29));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("1.5"), None);
        assert_eq!(parse_size("0x1G"), None);
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size_with("128", 1 << 20), Some(128 << 20));
    }

    #[test]
    fn argv() {
        let a: Vec<String> = ["--m", "1G", "-S", "-M", "q35"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = split_args(&a).unwrap();
        assert_eq!(o[0].name, "m");
        assert_eq!(o[2].name, "machine");
        let bad = vec!["-m=1G".to_string()];
        assert_eq!(
            split_args(&bad).unwrap_err().message,
            "-m=1G: invalid option"
        );
    }
}
