//! Value syntax shared by the front ends: QEMU's byte sizes (`qemu_strtosz`) and
//! the number lists of Linux and QEMU (`0-3,5`).
//!
//! Both parsers return typed errors; the front ends word them in their own terms.

/// Why a string is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// No digits where the number should start (or an empty hex number).
    #[error("no number")]
    NoNumber,
    /// Hex digits expected after `0x`.
    #[error("bad hexadecimal number")]
    BadHex,
    /// A character that is not one of the suffixes `B K M G T P E`.
    #[error("'{0}' is not a size suffix (B, K, M, G, T, P, E)")]
    BadSuffix(char),
    /// Characters after the suffix.
    #[error("trailing characters")]
    Trailing,
    /// A fraction needs an explicit suffix (`1.5G`, not `1.5`).
    #[error("a fraction needs a suffix")]
    FractionWithoutSuffix,
    /// The value does not fit in 64 bits.
    #[error("the value does not fit in 64 bits")]
    Overflow,
}

/// The multiplier of a size suffix letter (any case), as QEMU's `suffix_mul`.
fn suffix_mul(c: char) -> Option<u64> {
    Some(match c.to_ascii_uppercase() {
        'B' => 1,
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        'T' => 1 << 40,
        'P' => 1 << 50,
        'E' => 1 << 60,
        _ => return None,
    })
}

/// The length of the leading ASCII-digit run of `s`.
fn digits_len(s: &str) -> usize {
    s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())
}

/// Parses a size as QEMU's `qemu_strtosz` family: decimal digits, an optional
/// fraction (only with an explicit suffix), an optional suffix `B K M G T P E`
/// (any case, powers of 1024), or a hex number `0x…` without fraction or suffix.
/// `default_unit` multiplies a number without suffix (1 for bytes, 1 MiB for
/// QEMU's `-m`). A fraction is truncated to whole bytes after multiplying.
pub fn parse_size_with(s: &str, default_unit: u64) -> Result<u64, SizeError> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(SizeError::BadHex);
        }
        return u64::from_str_radix(h, 16)
            .ok()
            .and_then(|v| v.checked_mul(default_unit))
            .ok_or(SizeError::Overflow);
    }
    let int_end = digits_len(s);
    let (int, mut rest) = s.split_at(int_end);
    if int.is_empty() {
        return Err(SizeError::NoNumber);
    }
    let whole: u64 = int.parse().map_err(|_| SizeError::Overflow)?;
    let mut frac: Option<&str> = None;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let (f, r) = after_dot.split_at(digits_len(after_dot));
        frac = Some(f);
        rest = r;
    }
    let mut chars = rest.chars();
    let (mul, explicit) = match chars.next() {
        Some(c) => (suffix_mul(c).ok_or(SizeError::BadSuffix(c))?, true),
        None => (default_unit, false),
    };
    if chars.next().is_some() {
        return Err(SizeError::Trailing);
    }
    if frac.is_some() && !explicit {
        return Err(SizeError::FractionWithoutSuffix);
    }
    let mut v = whole.checked_mul(mul).ok_or(SizeError::Overflow)?;
    if let Some(f) = frac {
        let fv: f64 = format!("0.{f}").parse().map_err(|_| SizeError::NoNumber)?;
        // QEMU: fraction * multiplier, truncated to an integer.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let add = (fv * mul as f64) as u64;
        v = v.checked_add(add).ok_or(SizeError::Overflow)?;
    }
    Ok(v)
}

/// A size in bytes (`qemu_strtosz`): [`parse_size_with`] with unit 1.
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    parse_size_with(s, 1)
}

/// Why a string is not a number list. Echoed input (elements, lists) is cut to
/// [`crate::input::MAX_ECHO_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// An element between commas is empty (`"1,,2"`).
    #[error("\"{list}\" has an empty element")]
    EmptyElement {
        /// The whole list.
        list: String,
    },
    /// An element is neither `N` nor `A-B`.
    #[error("\"{element}\" is not a number or range A-B")]
    NotANumber {
        /// The element.
        element: String,
    },
    /// A range ends before it starts (`3-1`).
    #[error("range \"{element}\" ends before it starts")]
    Reversed {
        /// The element.
        element: String,
    },
    /// The list expands to more numbers than allowed.
    #[error("range \"{element}\" is too long")]
    TooLong {
        /// The element that crosses the bound.
        element: String,
    },
    /// A number appears twice.
    #[error("{value} is listed twice in \"{list}\"")]
    Duplicate {
        /// The number.
        value: u32,
        /// The whole list.
        list: String,
    },
}

/// Most numbers a list may expand to (65536, QEMU's and vnuma's bound on a range).
pub const MAX_LIST_LEN: usize = 65536;

/// One element of a list: `N` or `A-B` (decimal, spaces around the numbers allowed).
pub fn parse_range(element: &str) -> Result<(u32, u32), ListError> {
    let part = element.trim();
    let (a, b) = part.split_once('-').unwrap_or((part, part));
    let num = |x: &str| {
        x.trim().parse::<u32>().map_err(|_| ListError::NotANumber {
            element: crate::input::echo(part),
        })
    };
    let (a, b) = (num(a)?, num(b)?);
    if b < a {
        return Err(ListError::Reversed {
            element: crate::input::echo(part),
        });
    }
    Ok((a, b))
}

/// One element of a QEMU integer-list option value (`-numa node,cpus=A-B`, the
/// opts visitor's ranges): `N` or `A-B` with numbers as [`parse_uint`] reads
/// them (decimal, `0x` hex, leading-`0` octal), at most [`MAX_LIST_LEN`]
/// numbers long.
pub fn parse_qemu_range(element: &str) -> Result<(u64, u64), ListError> {
    let not_a_number = || ListError::NotANumber {
        element: crate::input::echo(element),
    };
    let (a, b) = element.split_once('-').unwrap_or((element, element));
    let a = parse_uint(a).ok_or_else(not_a_number)?;
    let b = parse_uint(b).ok_or_else(not_a_number)?;
    if b < a {
        return Err(ListError::Reversed {
            element: crate::input::echo(element),
        });
    }
    if b - a >= MAX_LIST_LEN as u64 {
        return Err(ListError::TooLong {
            element: crate::input::echo(element),
        });
    }
    Ok((a, b))
}

/// Parses a Linux / QEMU number list (`0-3,8`): comma-separated numbers and
/// inclusive ranges, in the order written. Surrounding whitespace (a sysfs file's
/// newline) is ignored; an empty list is empty. Empty elements, reversed ranges,
/// duplicates and lists expanding to more than `max_len` numbers are errors.
pub fn parse_list(s: &str, max_len: usize) -> Result<Vec<u32>, ListError> {
    let list = s.trim();
    let mut out: Vec<u32> = Vec::new();
    if list.is_empty() {
        return Ok(out);
    }
    let mut seen = std::collections::BTreeSet::new();
    for part in list.split(',') {
        if part.trim().is_empty() {
            return Err(ListError::EmptyElement {
                list: crate::input::echo(list),
            });
        }
        let (a, b) = parse_range(part)?;
        let len = usize::try_from(b - a).map_or(usize::MAX, |n| n.saturating_add(1));
        if out.len().saturating_add(len) > max_len {
            return Err(ListError::TooLong {
                element: crate::input::echo(part.trim()),
            });
        }
        for v in a..=b {
            if !seen.insert(v) {
                return Err(ListError::Duplicate {
                    value: v,
                    list: crate::input::echo(list),
                });
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// QEMU's `parse_uint` with base 0: decimal, `0x` hex, leading-`0` octal; no
/// sign, no spaces.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with(['-', '+', ' ']) {
        return None;
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() {
            return None;
        }
        return u64::from_str_radix(h, 16).ok();
    }
    if s.len() > 1
        && let Some(o) = s.strip_prefix('0')
    {
        return u64::from_str_radix(o, 8).ok();
    }
    s.parse().ok()
}

/// QEMU's boolean parser (`qapi_bool_parse`): on/yes/true/y, off/no/false/n.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "on" | "yes" | "true" | "y" => Some(true),
        "off" | "no" | "false" | "n" => Some(false),
        _ => None,
    }
}

/// Reads a QemuOpts value up to an unescaped comma (`,,` is one comma); returns
/// the value and the rest after the comma.
fn take_opts_value(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut rest = s;
    loop {
        match rest.split_once(',') {
            None => {
                out.push_str(rest);
                return (out, "");
            }
            Some((value, after)) => {
                out.push_str(value);
                match after.strip_prefix(',') {
                    Some(a) => {
                        out.push(',');
                        rest = a;
                    }
                    None => return (out, after),
                }
            }
        }
    }
}

/// The `(key, value)` pairs of a QemuOpts string without implied key
/// (`opts_do_parse`): `,,` escapes a comma, an element without `=` is a
/// short-form boolean (`foo` = `foo=on`, `nofoo` = `foo=off`).
pub fn qemu_opts_pairs(s: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let len = rest.find(['=', ',']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(len);
        match after.strip_prefix('=') {
            Some(value) => {
                let (v, r) = take_opts_value(value);
                pairs.push((name.to_string(), v));
                rest = r;
            }
            None => {
                let (key, value) = match name.strip_prefix("no") {
                    Some(n) => (n.to_string(), "off"),
                    None => (name.to_string(), "on"),
                };
                pairs.push((key, value.to_string()));
                rest = after.strip_prefix(',').unwrap_or(after);
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations from QEMU's documentation of size values (qemu-options.hx,
    // `-m`: "optional suffix M or G"; util/cutils.c qemu_strtosz: suffixes
    // B/K/M/G/T/P/E, powers of 1024, any case; a fraction needs a suffix and hex
    // takes none) and its unit tests (tests/unit/test-cutils.c).
    #[test]
    fn sizes_follow_qemu_strtosz() {
        assert_eq!(parse_size("1G"), Ok(1_073_741_824));
        assert_eq!(parse_size("1g"), Ok(1_073_741_824));
        assert_eq!(parse_size("1.5G"), Ok(1_610_612_736));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("12345"), Ok(12345));
        assert_eq!(parse_size("0x10"), Ok(16));
        assert_eq!(parse_size("8B"), Ok(8));
        assert_eq!(parse_size("1E"), Ok(1 << 60));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size_with("128", 1 << 20), Ok(128 << 20));
        assert_eq!(parse_size("1.5"), Err(SizeError::FractionWithoutSuffix));
        assert_eq!(parse_size("0x1G"), Err(SizeError::BadHex));
        assert_eq!(parse_size("1Q"), Err(SizeError::BadSuffix('Q')));
        assert_eq!(parse_size("1GiB"), Err(SizeError::Trailing));
        assert_eq!(parse_size("M"), Err(SizeError::NoNumber));
        assert_eq!(parse_size(""), Err(SizeError::NoNumber));
        assert_eq!(parse_size("-1"), Err(SizeError::NoNumber));
        assert_eq!(parse_size("16E"), Err(SizeError::Overflow));
        assert_eq!(parse_size("18446744073709551616"), Err(SizeError::Overflow));
    }

    // Linux lists (Documentation/admin-guide/cputopology.rst: "0-3,8" style) and
    // QEMU's `cpus=A-B` ranges.
    #[test]
    fn lists() {
        assert_eq!(parse_list("0-3,8\n", 100), Ok(vec![0, 1, 2, 3, 8]));
        assert_eq!(parse_list("\n", 100), Ok(vec![]));
        assert_eq!(parse_list("2-4,7", 100), Ok(vec![2, 3, 4, 7]));
        assert!(matches!(
            parse_list("3-1", 100),
            Err(ListError::Reversed { .. })
        ));
        assert!(matches!(
            parse_list("1,1", 100),
            Err(ListError::Duplicate { value: 1, .. })
        ));
        assert!(matches!(
            parse_list("1,,2", 100),
            Err(ListError::EmptyElement { .. })
        ));
        assert!(matches!(
            parse_list("a", 100),
            Err(ListError::NotANumber { .. })
        ));
        assert!(matches!(
            parse_list("0-4294967295", MAX_LIST_LEN),
            Err(ListError::TooLong { .. })
        ));
        assert_eq!(
            parse_list("0-65535", MAX_LIST_LEN).map(|v| v.len()),
            Ok(65536)
        );
        assert!(parse_list("0-2,3-4", 4).is_err());
        // QEMU ranges (qemu-options.hx: "cpus=firstcpu[-lastcpu]"), base-0 numbers.
        assert_eq!(parse_qemu_range("0-3"), Ok((0, 3)));
        assert_eq!(parse_qemu_range("5"), Ok((5, 5)));
        assert_eq!(parse_qemu_range("0x2-0x4"), Ok((2, 4)));
        assert!(matches!(
            parse_qemu_range("4-2"),
            Err(ListError::Reversed { .. })
        ));
        assert!(matches!(
            parse_qemu_range("0-65536"),
            Err(ListError::TooLong { .. })
        ));
        assert!(matches!(
            parse_qemu_range("-1"),
            Err(ListError::NotANumber { .. })
        ));
    }

    // QEMU docs (docs/devel/qapi-code-gen / qemu-options.hx): booleans on/off,
    // yes/no, true/false; `,,` escapes a comma in option values; numbers take
    // 0x hex and leading-0 octal (parse_uint base 0).
    #[test]
    fn opts_numbers_bools() {
        assert_eq!(parse_uint("0x10"), Some(16));
        assert_eq!(parse_uint("010"), Some(8));
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("maybe"), None);
        let p = qemu_opts_pairs("chassis=1,multifunction,a=x,,y,nofoo");
        let want: Vec<(String, String)> = [
            ("chassis", "1"),
            ("multifunction", "on"),
            ("a", "x,y"),
            ("foo", "off"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(p, want);
    }
}
