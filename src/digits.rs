//! Decimal and hexadecimal digits written into byte buffers without
//! `core::fmt`: the text and JSON views (`report`) print millions of numbers,
//! and lint's finding messages hundreds. Each writer gives exactly what the
//! `format!` spec in its documentation gives (`report`'s unit tests compare them).

/// Appends `v` in decimal, right-aligned in `width` columns padded with `pad`
/// (as `{v:0width$}` / `{v:width$}` print it).
#[inline]
pub(crate) fn push_uint(s: &mut Vec<u8>, v: u64, width: usize, pad: u8) {
    if v < 100_000_000 && width <= 8 && (pad == b'0' || pad == b' ') {
        let z = dec8(v as u32);
        // Digits, and where the leading zeros end (z is 0 only for v = 0).
        let digits = (8 - z.trailing_zeros() as usize / 8).max(1);
        let n = digits.max(width);
        let mut ascii = z + 0x3030_3030_3030_3030;
        if pad == b' ' {
            // The leading zeros become spaces ('0' - 0x10).
            let lead = 8 - digits;
            ascii -= ((1u64 << (8 * lead)) - 1) & 0x1010_1010_1010_1010;
        }
        let start = s.len();
        s.extend_from_slice(&(ascii >> (8 * (8 - n))).to_le_bytes());
        s.truncate(start + n);
        return;
    }
    if (100_000_000..10_000_000_000_000_000).contains(&v) && width <= 8 {
        // The digits above the last 8 (at least one), then those 8 in full.
        push_uint(s, v / 100_000_000, width.saturating_sub(8), pad);
        let z = dec8((v % 100_000_000) as u32);
        s.extend_from_slice(&(z + 0x3030_3030_3030_3030).to_le_bytes());
        return;
    }
    if v < 10_000_000_000_000_000 && width <= 16 {
        let (buf, n) = dec16(v, pad);
        put_last(s, buf, n.max(width));
        return;
    }
    let (buf, i) = dec_buf(v);
    let digits = buf.get(i..).unwrap_or_default();
    put_pad(s, width.saturating_sub(digits.len()), pad);
    s.extend_from_slice(digits);
}

/// The 8 decimal digits of `v` (below 10^8, leading zeros included) in the
/// bytes of a little-endian `u64`, first digit in the lowest byte, as numbers
/// 0..=9: split into 4 + 4, 2 + 2 and 1 + 1 digits with multiplications by
/// reciprocals in parallel lanes (no loop).
pub(crate) fn dec8(v: u32) -> u64 {
    let v = u64::from(v);
    let z = (v / 10_000) | ((v % 10_000) << 32);
    // x / 100 = (x * 10486) >> 20 for x < 10^4 (43 699 in fact).
    let hundreds = ((z * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let z = hundreds | ((z - hundreds * 100) << 16);
    // x / 10 = (x * 103) >> 10 for x < 100 (179 in fact).
    let tens = ((z * 103) >> 10) & 0x000f_000f_000f_000f;
    tens | ((z - tens * 10) << 8)
}

/// The decimal digits of `v` (below 10^16) right-aligned in 16 bytes of `pad`,
/// and how many digits there are.
pub(crate) fn dec16(mut v: u64, pad: u8) -> ([u8; 16], usize) {
    let mut buf = [pad; 16];
    let mut i = 16;
    while v >= 100 && i >= 2 {
        let pair = DEC2.get((v % 100) as usize).copied().unwrap_or([b'0'; 2]);
        v /= 100;
        i -= 2;
        if let Some(d) = buf.get_mut(i..i + 2) {
            d.copy_from_slice(&pair);
        }
    }
    let pair = DEC2.get(v as usize).copied().unwrap_or([b'0'; 2]);
    if v >= 10 && i >= 2 {
        i -= 2;
        if let Some(d) = buf.get_mut(i..i + 2) {
            d.copy_from_slice(&pair);
        }
    } else if i >= 1 {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = pair[1];
        }
    }
    (buf, 16 - i)
}

/// Appends the last `n` (at most 16) bytes of `buf`: one fixed-size copy of
/// the bytes shifted to the front, then the length cut (no memcpy call).
pub(crate) fn put_last(s: &mut Vec<u8>, buf: [u8; 16], n: usize) {
    let n = n.min(16);
    let front = u128::from_be_bytes(buf)
        .checked_shl(8 * (16 - n) as u32)
        .unwrap_or(0);
    let start = s.len();
    s.extend_from_slice(&front.to_be_bytes());
    s.truncate(start + n);
}

/// The 8 hex digits of `v` (upper or lower case), by spreading its nibbles
/// into the bytes of a `u64` (no loop, no table).
pub(crate) fn hex8(v: u32, upper: bool) -> [u8; 8] {
    hex_ascii(nibbles(v), upper)
}

/// The 8 nibbles of `v`, one per byte, the last nibble in the lowest byte.
pub(crate) fn nibbles(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = ((x << 16) | x) & 0x0000_ffff_0000_ffff;
    x = ((x << 8) | x) & 0x00ff_00ff_00ff_00ff;
    ((x << 4) | x) & 0x0f0f_0f0f_0f0f_0f0f
}

/// [`nibbles`] as hex digits, first digit first.
pub(crate) fn hex_ascii(x: u64, upper: bool) -> [u8; 8] {
    // 1 in each byte whose nibble is 10 or more.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    let x = x + 0x3030_3030_3030_3030 + letters * if upper { 7 } else { 39 };
    x.to_be_bytes()
}

/// The 16 hex digits of `v`, leading zeros included.
pub(crate) fn hex16(v: u64, upper: bool) -> [u8; 16] {
    let [a, b, c, d, e, f, g, h] = hex8((v >> 32) as u32, upper);
    let [i, j, k, l, m, n, o, p] = hex8(v as u32, upper);
    [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
}

/// Appends `n` bytes `pad` (a fixed-size copy for the usual short runs).
pub(crate) fn put_pad(s: &mut Vec<u8>, n: usize, pad: u8) {
    const SPACES: [u8; 64] = [b' '; 64];
    const ZEROS: [u8; 64] = [b'0'; 64];
    let run = match pad {
        b' ' => SPACES.get(..n),
        b'0' => ZEROS.get(..n),
        _ => None,
    };
    match run {
        Some(run) => s.extend_from_slice(run),
        None => s.resize(s.len() + n, pad),
    }
}

/// `"00" "01" … "99"`: two decimal digits per entry. Evaluated at compile
/// time (an index out of range would fail the build).
#[allow(clippy::indexing_slicing)]
pub(crate) static DEC2: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut v = 0;
    while v < 100 {
        t[v] = [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        v += 1;
    }
    t
};

/// The decimal digits of `v`, right-aligned in a buffer, and the index of the
/// first one (two digits per step from [`DEC2`]; no division by a variable).
pub(crate) fn dec_buf(mut v: u64) -> ([u8; 20], usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while v >= 100 {
        let pair = DEC2.get((v % 100) as usize).copied().unwrap_or([b'0'; 2]);
        v /= 100;
        i -= 2;
        if let Some(d) = buf.get_mut(i..i + 2) {
            d.copy_from_slice(&pair);
        }
    }
    let pair = DEC2.get(v as usize).copied().unwrap_or([b'0'; 2]);
    if v >= 10 {
        i -= 2;
        if let Some(d) = buf.get_mut(i..i + 2) {
            d.copy_from_slice(&pair);
        }
    } else {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = pair[1];
        }
    }
    (buf, i)
}

/// Appends `v` in upper-case hex, zero-padded to `width` digits (`{v:0width$X}`).
pub(crate) fn put_hex(s: &mut Vec<u8>, v: u64, width: usize) {
    put_hex_digits(s, v, width, true);
}

/// Appends `v` in lower-case hex, zero-padded to `width` digits (`{v:0width$x}`).
pub(crate) fn put_hex_lower(s: &mut Vec<u8>, v: u64, width: usize) {
    put_hex_digits(s, v, width, false);
}

pub(crate) fn put_hex_digits(s: &mut Vec<u8>, v: u64, width: usize, upper: bool) {
    let n = ((64 - v.leading_zeros() as usize).div_ceil(4))
        .max(width)
        .max(1);
    if n > 16 {
        put_pad(s, n - 16, b'0');
    }
    put_last(s, hex16(v, upper), n);
}

/// Appends `v` in decimal (`{v}`).
#[inline]
pub(crate) fn push_dec(s: &mut Vec<u8>, v: u64) {
    let pair = |x: u64| DEC2.get(x as usize).copied().unwrap_or([b'0'; 2]);
    if v < 10 {
        s.push(b'0' + v as u8);
    } else if v < 100 {
        s.extend_from_slice(&pair(v));
    } else if v < 1000 {
        let [a, b] = pair(v % 100);
        s.extend_from_slice(&[b'0' + (v / 100) as u8, a, b]);
    } else if v < 10_000 {
        let ([a, b], [c, d]) = (pair(v / 100), pair(v % 100));
        s.extend_from_slice(&[a, b, c, d]);
    } else {
        push_uint(s, v, 0, b' ');
    }
}
