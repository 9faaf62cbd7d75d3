//! Values with readable forms in a topology file: number lists, sizes,
//! latencies and device references.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::syntax::{self, ListError, SizeError};

/// Why a value string is not what its key takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not a size.
    #[error("\"{text}\" is not a size (use bytes or a suffix: 512M, 1G, 64K)")]
    Size {
        /// The text.
        text: String,
        /// Why.
        reason: SizeError,
    },
    /// Not a latency.
    #[error("\"{text}\" is not a latency (nanoseconds, or \"100ns\", \"2us\")")]
    Latency {
        /// The text.
        text: String,
    },
    /// A size or latency past 64 bits.
    #[error("\"{text}\" does not fit in 64 bits")]
    TooLarge {
        /// The text.
        text: String,
    },
    /// Not a number list.
    #[error(transparent)]
    List(#[from] ListError),
}

/// A list of numbers: `3`, `"2-9"`, `"0-1,4"`, `[0, 1, 4]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NumList(pub(super) Vec<u32>);

/// Parses `"0-3,5"` into numbers (ascending as written; duplicates are an error).
pub(super) fn parse_num_list(s: &str) -> Result<Vec<u32>, ValueError> {
    if s.trim().is_empty() {
        return Err(ListError::EmptyElement {
            list: s.to_string(),
        }
        .into());
    }
    // The messages quote the list as written.
    syntax::parse_list(s, syntax::MAX_LIST_LEN).map_err(|e| {
        ValueError::List(match e {
            ListError::EmptyElement { .. } => ListError::EmptyElement {
                list: s.to_string(),
            },
            ListError::Duplicate { value, .. } => ListError::Duplicate {
                value,
                list: s.to_string(),
            },
            other => other,
        })
    })
}

impl<'de> Deserialize<'de> for NumList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a list like \"0-3,5\", or an array of numbers")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumList, E> {
                u32::try_from(v)
                    .map(|v| NumList(vec![v]))
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumList, E> {
                u32::try_from(v)
                    .map(|v| NumList(vec![v]))
                    .map_err(|_| E::custom(format!("{v} is out of range")))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NumList, E> {
                parse_num_list(s).map(NumList).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<NumList, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element::<i64>()? {
                    let v = u32::try_from(v)
                        .map_err(|_| de::Error::custom(format!("{v} is out of range")))?;
                    if out.contains(&v) {
                        return Err(de::Error::custom(format!("{v} is listed twice")));
                    }
                    out.push(v);
                }
                Ok(NumList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A byte size: an integer (bytes) or a string with a binary suffix
/// (`"512M"`, `"1G"`, `"1GiB"`, `"64K"`, `"2T"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Size(pub(super) u64);

/// Parses a size by QEMU's rules ([`crate::syntax::parse_size`]: K/M/G/T/P/E
/// are powers of 1024, `1.5G`, `0x10`), also accepting a trailing `B` or `iB`
/// after the suffix (`1GiB`, `64KB`) and surrounding spaces.
pub fn parse_size(s: &str) -> Result<u64, ValueError> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .filter(|r| {
            r.ends_with(|c: char| c.is_ascii_alphabetic())
                && !r.to_ascii_lowercase().starts_with("0x")
        })
        .unwrap_or(t);
    // Spaces between the number and its suffix (`"512 M"`) are allowed.
    let (num, suffix) = t.split_at(
        t.find(|c: char| c.is_ascii_alphabetic() && c != 'x' && c != 'X')
            .unwrap_or(t.len()),
    );
    let joined = format!("{}{suffix}", num.trim_end());
    syntax::parse_size(&joined).map_err(|reason| match reason {
        SizeError::Overflow => ValueError::TooLarge {
            text: s.to_string(),
        },
        reason => ValueError::Size {
            text: s.to_string(),
            reason,
        },
    })
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size: bytes, or a string such as \"512M\" or \"1G\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Size, E> {
                parse_size(s).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A latency in nanoseconds: an integer, or a string with `ns`/`us`/`ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Latency(pub(super) u64);

/// Parses a latency: nanoseconds, or a number with `ns`, `us` or `ms`.
pub fn parse_latency(s: &str) -> Result<u64, ValueError> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let bad = || ValueError::Latency {
        text: s.to_string(),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mul = match unit.trim() {
        "" | "ns" => 1,
        "us" => 1000,
        "ms" => 1_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mul).ok_or_else(|| ValueError::TooLarge {
        text: s.to_string(),
    })
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Latency;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a latency: nanoseconds, or a string such as \"100ns\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Latency, E> {
                u64::try_from(v)
                    .map(Latency)
                    .map_err(|_| E::custom(format!("latency {v} is negative")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Latency, E> {
                Ok(Latency(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Latency, E> {
                parse_latency(s).map(Latency).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A device reference: a `[[pci]]` id, a BDF `"0000:01:00.0"`, or an ACPI
/// device `{ hid = "ACPI0017", uid = 0 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DeviceRef {
    Name(String),
    Acpi { hid: String, uid: u32 },
}

impl<'de> Deserialize<'de> for DeviceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DeviceRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a [[pci]] id, a PCI address \"0000:01:00.0\", or { hid = \"ACPI0017\", uid = 0 }",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DeviceRef, E> {
                Ok(DeviceRef::Name(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<DeviceRef, A::Error> {
                let mut hid = None;
                let mut uid = None;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "hid" => hid = Some(m.next_value::<String>()?),
                        "uid" => uid = Some(m.next_value::<u32>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["hid", "uid"]));
                        }
                    }
                }
                Ok(DeviceRef::Acpi {
                    hid: hid.ok_or_else(|| de::Error::missing_field("hid"))?,
                    uid: uid.ok_or_else(|| de::Error::missing_field("uid"))?,
                })
            }
        }
        d.deserialize_any(V)
    }
}
