//! Small value types shared by the tables: fixed-width ASCII fields and raw byte strings,
//! with a JSON form that people can read and that round-trips exactly.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

#[cfg(feature = "serde")]
use serde::de::{self, Deserializer};
#[cfg(feature = "serde")]
use serde::ser::Serializer;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::error::HexError;

/// A fixed-width byte field that normally holds ASCII (signatures, OEM IDs, `_HID`).
///
/// JSON form: a string when every byte is printable ASCII, possibly followed by
/// NUL padding (the NULs are dropped: `"TEST"` for `TEST\0\0`); otherwise an array
/// of the byte values. Decoding a string pads it with NULs to the width.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedAscii<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedAscii<N> {
    /// The field as text when it is printable ASCII plus trailing NULs.
    pub fn as_text(&self) -> Option<&str> {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        let (text, pad) = self.0.split_at(end);
        if pad.iter().all(|&b| b == 0) && text.iter().all(|b| (0x20..0x7f).contains(b)) {
            core::str::from_utf8(text).ok()
        } else {
            None
        }
    }

    /// Builds a field from text of at most `N` bytes, NUL-padded.
    pub fn from_text(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() > N {
            return None;
        }
        let mut out = [0u8; N];
        for (o, x) in out.iter_mut().zip(b) {
            *o = *x;
        }
        Some(FixedAscii(out))
    }
}

impl<const N: usize> fmt::Debug for FixedAscii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl<const N: usize> fmt::Display for FixedAscii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_text() {
            Some(t) => write!(f, "\"{t}\""),
            None => write!(f, "{}", super::header::sig_to_string(&self.0)),
        }
    }
}

#[cfg(feature = "serde")]
impl<const N: usize> Serialize for FixedAscii<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_text() {
            Some(t) => s.serialize_str(t),
            None => self.0.as_slice().serialize(s),
        }
    }
}

#[cfg(feature = "serde")]
impl<'de, const N: usize> Deserialize<'de> for FixedAscii<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Bytes(Vec<u8>),
        }
        match Either::deserialize(d)? {
            Either::Text(t) => FixedAscii::from_text(&t).ok_or_else(|| {
                de::Error::custom(alloc::format!("\"{t}\" is longer than {N} bytes"))
            }),
            Either::Bytes(b) => {
                let arr: [u8; N] = b.as_slice().try_into().map_err(|_| {
                    de::Error::custom(alloc::format!("expected {N} bytes, got {}", b.len()))
                })?;
                Ok(FixedAscii(arr))
            }
        }
    }
}

/// Raw bytes, shown in JSON as a lowercase hex string (`"0a1b..."`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Vec<u8>);

impl HexBytes {
    /// Whether every byte is zero (or there are none).
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

/// Lowercase hex of a byte string, no separators.
pub fn to_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Parses lowercase or uppercase hex (whitespace allowed between bytes).
pub fn from_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddDigits);
    }
    digits
        .chunks_exact(2)
        .map(|p| {
            let (hi, lo) = match p {
                [h, l] => (char::from(*h).to_digit(16), char::from(*l).to_digit(16)),
                _ => (None, None),
            };
            match (hi, lo) {
                (Some(h), Some(l)) => u8::try_from(h * 16 + l).map_err(|_| HexError::NotHex {
                    pair: String::from_utf8_lossy(p).into_owned(),
                }),
                _ => Err(HexError::NotHex {
                    pair: String::from_utf8_lossy(p).into_owned(),
                }),
            }
        })
        .collect()
}

#[cfg(feature = "serde")]
impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        from_hex(&s).map(HexBytes).map_err(de::Error::custom)
    }
}

/// A fixed-size reserved area, kept so that re-encoding is exact. JSON: hex string.
pub type Reserved = HexBytes;

/// serde helper: skip a numeric field when it is zero (also: whether `v` is its type's default).
pub fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
