//! Option value helpers shared by the phases (QemuOpts/QAPI typing, QEMU's messages).

use super::super::error::QemuError;
use super::super::lexer::{self, CmdOption, Opts};

/// A uint option value at most `max` (`ty` names the C type in the error).
pub(super) fn numa_uint(
    o: &CmdOption,
    opts: &Opts,
    key: &str,
    max: u64,
    ty: &str,
) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = lexer::parse_u64(v)
                .ok_or_else(|| o.error(format!("Parameter '{key}' expects a uint64 value")))?;
            if n > max {
                return Err(o.error(format!("Parameter '{key}' expects {ty}")));
            }
            Ok(Some(n))
        }
    }
}

/// An int64 `-numa cpu` property. Negative values can never match a slot or a
/// node, so they are kept as `u64::MAX`.
pub(super) fn numa_int(o: &CmdOption, opts: &Opts, key: &str) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => {
            let bad = || o.error(format!("Parameter '{key}' expects an int64 value"));
            match v.strip_prefix('-') {
                Some(neg) => lexer::parse_u64(neg)
                    .filter(|n| *n <= 1u64 << 63)
                    .map(|_| Some(u64::MAX))
                    .ok_or_else(bad),
                None => lexer::parse_u64(v)
                    .filter(|n| *n <= 0x7FFF_FFFF_FFFF_FFFF)
                    .map(Some)
                    .ok_or_else(bad),
            }
        }
    }
}

/// A size option value.
pub(super) fn numa_size(o: &CmdOption, opts: &Opts, key: &str) -> Result<Option<u64>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => lexer::parse_size(v)
            .map(Some)
            .ok_or_else(|| o.error(format!("Parameter '{key}' expects a size value"))),
    }
}

/// A mandatory value (QEMU: `Parameter 'key' is missing`).
pub(super) fn required<T>(o: &CmdOption, v: Option<T>, key: &str) -> Result<T, QemuError> {
    v.ok_or_else(|| o.error(format!("Parameter '{key}' is missing")))
}

/// An enum option value looked up in a (name, value) table.
pub(super) fn enum_val<T: Copy>(
    o: &CmdOption,
    opts: &Opts,
    key: &str,
    table: &[(&str, T)],
) -> Result<Option<T>, QemuError> {
    match opts.get(key) {
        None => Ok(None),
        Some(v) => lookup(table, v)
            .map(Some)
            .ok_or_else(|| o.error(format!("Parameter '{key}' does not accept value '{v}'"))),
    }
}

/// The value named `v` in a (name, value) table.
pub(super) fn lookup<T: Copy>(table: &[(&str, T)], v: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == v).map(|(_, t)| *t)
}

/// Parses a uint16 list (`cpus=`/`host-nodes=` values: `N` or `A-B`, repeatable).
pub(super) fn u16_list(o: &CmdOption, vals: &[&str], key: &str) -> Result<Vec<u64>, QemuError> {
    let mut out = Vec::new();
    let bad = || o.error(format!("Parameter '{key}' expects a uint64 value or range"));
    for v in vals {
        let (a, b) = match v.split_once('-') {
            Some((a, b)) => (
                lexer::parse_u64(a).ok_or_else(bad)?,
                lexer::parse_u64(b).ok_or_else(bad)?,
            ),
            None => {
                let a = lexer::parse_u64(v).ok_or_else(bad)?;
                (a, a)
            }
        };
        if b < a || b - a >= 65536 {
            return Err(bad());
        }
        for x in a..=b {
            if x > u64::from(u16::MAX) {
                return Err(o.error(format!("Parameter '{key}' expects uint16_t")));
            }
            out.push(x);
        }
    }
    Ok(out)
}

/// QEMU's error for HMAT options without `-machine hmat=on`.
pub(super) const HMAT_DISABLED: &str = "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with -machine hmat=on before using any of hmat specific options";
