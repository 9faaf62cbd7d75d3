//! A model of GLib's `GHashTable` (GLib ≥ 2.60) iteration order for string keys.
//!
//! QEMU finds `acpi-generic-initiator`, `acpi-generic-port`, NVDIMM and SGX EPC
//! objects by walking QOM children, which live in a `GHashTable` keyed by the
//! object id (`g_str_hash`). The order of the resulting ACPI structures is therefore
//! the hash table's iteration order, which depends on every key in the table and
//! on the insertion order. This module reproduces it (spec §4.6):
//!
//! * hash: djb2 over *signed* chars (`h = h·33 + c`, 32-bit wrap); the values 0
//!   and 1 (empty / tombstone markers) become 2;
//! * table of 2^k buckets (k ≥ 3), home bucket `(hash·11) mod p` where p is the
//!   largest prime below 2^k; quadratic probing (`i += step; step += 1`, masked);
//! * after an insertion into a never-used bucket (not a tombstone), the table is
//!   resized when `size ≤ occupied + occupied/16` or shrunk when
//!   `size > 4·nodes && size > 8`; the new size is
//!   `2^bits(trunc(nodes·1.333))` (at least 8), and the table is rebuilt **in
//!   place**: old buckets are walked in index order and each entry is put at its
//!   first free (not yet reassigned) probe position, evicting whatever sat there,
//!   which is then placed the same way;
//! * iteration = bucket index order.

/// Bucket hash value of a never-used bucket.
const UNUSED: u32 = 0;
/// Bucket hash value of a removed entry.
const TOMBSTONE: u32 = 1;
/// log2 of the smallest table.
const MIN_SHIFT: u32 = 3;

/// Largest prime below 2^shift (GLib's `prime_mod` table), for shift 0..=31.
const PRIME_MOD: [u32; 32] = [
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
    262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689,
    268435399, 536870909, 1073741789, 2147483647,
];

/// GLib's `g_str_hash` (djb2 over signed chars), before the 0/1 → 2 fix-up.
pub fn str_hash(key: &str) -> u32 {
    key.bytes().fold(5381u32, |h, b| {
        // `signed char` addition: bytes >= 0x80 add a negative value.
        h.wrapping_mul(33)
            .wrapping_add(i32::from(i8::from_ne_bytes([b])).cast_unsigned())
    })
}

/// The bucket array of a `GHashTable`: per bucket a hash word and an entry `E`
/// (a key and tag, or only a tag whose key the caller knows).
#[derive(Debug, Clone)]
struct Table<E> {
    /// Per bucket: 0 unused, 1 tombstone, ≥ 2 the stored hash.
    hashes: Vec<u32>,
    /// Per bucket: the entry of a real one.
    slots: Vec<Option<E>>,
    shift: u32,
    nnodes: usize,
    noccupied: usize,
}

impl<E> Table<E> {
    /// An empty table (8 buckets), as `g_hash_table_new` creates it.
    fn new() -> Self {
        let size = 1usize << MIN_SHIFT;
        Table {
            hashes: vec![UNUSED; size],
            slots: (0..size).map(|_| None).collect(),
            shift: MIN_SHIFT,
            nnodes: 0,
            noccupied: 0,
        }
    }

    fn size(&self) -> usize {
        self.hashes.len()
    }

    fn mask(&self) -> usize {
        self.size() - 1
    }

    fn home(&self, hash: u32) -> usize {
        // PRIME_MOD is indexed by shift, which stays within 3..=31.
        let m = PRIME_MOD.get(self.shift as usize).copied().unwrap_or(1);
        (hash.wrapping_mul(11) % m) as usize
    }

    /// Bucket `i`'s hash word (buckets past the end read as unused).
    fn hash_at(&self, i: usize) -> u32 {
        self.hashes.get(i).copied().unwrap_or(UNUSED)
    }

    /// Sets bucket `i`'s hash word and entry (no-op past the end).
    fn set_bucket(&mut self, i: usize, hash: u32, entry: Option<E>) {
        if let (Some(h), Some(s)) = (self.hashes.get_mut(i), self.slots.get_mut(i)) {
            *h = hash;
            *s = entry;
        }
    }

    /// `g_hash_table_lookup_node`: the bucket holding the entry `is_key` picks
    /// (among those with `hash`), or the first tombstone met on the probe path,
    /// or the first unused bucket.
    fn lookup(&self, hash: u32, is_key: impl Fn(&E) -> bool) -> usize {
        let mut idx = self.home(hash);
        let mut step = 0usize;
        let mut first_tombstone = None;
        while self.hash_at(idx) != UNUSED {
            if self.hash_at(idx) == hash {
                if let Some(Some(e)) = self.slots.get(idx)
                    && is_key(e)
                {
                    return idx;
                }
            } else if self.hash_at(idx) == TOMBSTONE && first_tombstone.is_none() {
                first_tombstone = Some(idx);
            }
            step += 1;
            idx = (idx + step) & self.mask();
        }
        first_tombstone.unwrap_or(idx)
    }

    /// Inserts `entry` (hash `hash`) unless `is_key` finds it present.
    fn insert(&mut self, hash: u32, entry: E, is_key: impl Fn(&E) -> bool) -> bool {
        let idx = self.lookup(hash, is_key);
        let old = self.hash_at(idx);
        if old > TOMBSTONE {
            return false;
        }
        self.set_bucket(idx, hash, Some(entry));
        self.nnodes += 1;
        if old == UNUSED {
            self.noccupied += 1;
            self.maybe_resize();
        }
        true
    }

    /// Removes the entry `is_key` finds (leaving a tombstone, then maybe resizing).
    fn remove(&mut self, hash: u32, is_key: impl Fn(&E) -> bool) -> bool {
        let idx = self.lookup(hash, is_key);
        if self.hash_at(idx) <= TOMBSTONE {
            return false;
        }
        self.set_bucket(idx, TOMBSTONE, None);
        self.nnodes -= 1;
        self.maybe_resize();
        true
    }

    fn maybe_resize(&mut self) {
        let size = self.size();
        let occ = self.noccupied;
        if (size > self.nnodes * 4 && size > 1 << MIN_SHIFT) || size <= occ + occ / 16 {
            self.resize();
        }
    }

    /// `g_hash_table_resize` (in place, `resize_set`-style with a placed bitmap).
    fn resize(&mut self) {
        let old_size = self.size();
        // set_shift_from_size(nnodes * 1.333): number of significant bits of the
        // truncated product, at least MIN_SHIFT.
        let target = (self.nnodes as f64 * 1.333) as u64;
        let bits = 64 - target.leading_zeros();
        self.shift = bits.clamp(MIN_SHIFT, 31);
        let new_size = 1usize << self.shift;
        if new_size > old_size {
            self.hashes.resize(new_size, UNUSED);
            self.slots.resize_with(new_size, || None);
        }
        let mut placed = vec![false; new_size.max(old_size)];
        for i in 0..old_size {
            let node_hash = self.hash_at(i);
            if node_hash <= TOMBSTONE {
                self.set_bucket(i, UNUSED, None);
                continue;
            }
            if placed.get(i).copied().unwrap_or(true) {
                continue;
            }
            let entry = self.slots.get_mut(i).and_then(Option::take);
            self.set_bucket(i, UNUSED, None);
            self.reinsert_chain(&mut placed, new_size - 1, node_hash, entry);
        }
        if new_size < old_size {
            self.hashes.truncate(new_size);
            self.slots.truncate(new_size);
        }
        self.noccupied = self.nnodes;
    }

    /// Places one entry at its new home, then the entry it evicts, and so on
    /// until an empty bucket is reached.
    fn reinsert_chain(
        &mut self,
        placed: &mut [bool],
        mask: usize,
        mut node_hash: u32,
        mut entry: Option<E>,
    ) {
        loop {
            let mut h = self.home(node_hash);
            let mut step = 0usize;
            while placed.get(h).copied().unwrap_or(false) {
                step += 1;
                h = (h + step) & mask;
            }
            if let Some(p) = placed.get_mut(h) {
                *p = true;
            }
            let replaced = self.hash_at(h);
            let evicted = self
                .slots
                .get_mut(h)
                .and_then(|s| std::mem::replace(s, entry));
            if let Some(x) = self.hashes.get_mut(h) {
                *x = node_hash;
            }
            if replaced <= TOMBSTONE {
                break;
            }
            node_hash = replaced;
            entry = evicted;
        }
    }

    /// The entries in iteration (bucket index) order.
    fn iter(&self) -> impl Iterator<Item = &E> {
        self.hashes
            .iter()
            .zip(&self.slots)
            .filter(|(h, _)| **h > TOMBSTONE)
            .filter_map(|(_, s)| s.as_ref())
    }
}

/// The bucket hash of `key` (`g_str_hash` with 0 and 1 made 2).
fn key_hash(key: &str) -> u32 {
    let h = str_hash(key);
    if h <= TOMBSTONE { 2 } else { h }
}

/// A `GHashTable` with string keys, tracking only bucket positions.
///
/// Entries are identified by the caller's `usize` tag (e.g. an index into a key list).
#[derive(Debug, Clone)]
pub struct GHashModel {
    table: Table<(String, usize)>,
}

impl Default for GHashModel {
    fn default() -> Self {
        Self::new()
    }
}

impl GHashModel {
    /// An empty table (8 buckets), as `g_hash_table_new` creates it.
    pub fn new() -> Self {
        GHashModel {
            table: Table::new(),
        }
    }

    /// Inserts `key` with `tag`. Returns false (and changes nothing) when the key
    /// is already present (QEMU would reject a duplicate id anyway).
    pub fn insert(&mut self, key: &str, tag: usize) -> bool {
        self.table
            .insert(key_hash(key), (key.to_string(), tag), |(k, _)| k == key)
    }

    /// Removes `key` (leaving a tombstone, then maybe resizing). Returns whether it was present.
    pub fn remove(&mut self, key: &str) -> bool {
        self.table.remove(key_hash(key), |(k, _)| k == key)
    }

    /// log2 of the number of buckets.
    pub fn shift(&self) -> u32 {
        self.table.shift
    }

    /// The bucket `key` is first probed at in a table of `2^shift` buckets.
    pub fn home_bucket(key: &str, shift: u32) -> usize {
        let m = PRIME_MOD.get(shift as usize).copied().unwrap_or(1);
        (key_hash(key).wrapping_mul(11) % m) as usize
    }

    /// The tags of the entries in iteration (bucket index) order.
    pub fn iter_tags(&self) -> Vec<usize> {
        self.table.iter().map(|(_, t)| *t).collect()
    }

    /// The keys in iteration order.
    pub fn iter_keys(&self) -> Vec<&str> {
        self.table.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Iteration order of a `GHashTable` after inserting `keys` in the given order:
/// the indices of `keys`, in the order `g_hash_table_iter_next` returns them.
/// A repeated key is ignored after its first occurrence.
pub fn iteration_order(keys: &[&str]) -> Vec<usize> {
    iteration_order_by(keys.len(), |i| keys.get(i).copied().unwrap_or(""))
}

/// [`iteration_order`] for `n` keys given by `key(i)`, without a copy of any
/// key: the table holds only the indices (a few bytes per key).
pub fn iteration_order_by<'k>(n: usize, key: impl Fn(usize) -> &'k str) -> Vec<usize> {
    let mut t: Table<u32> = Table::new();
    for i in 0..n {
        let Ok(tag) = u32::try_from(i) else {
            break;
        };
        let k = key(i);
        t.insert(key_hash(k), tag, |&j| key(j as usize) == k);
    }
    t.iter().map(|&j| j as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_hash_matches_djb2() {
        // Hand-computed: "" = 5381; "a" = 5381*33 + 97 = 177670.
        assert_eq!(str_hash(""), 5381);
        assert_eq!(str_hash("a"), 177_670);
        // Signed chars: "é" is bytes c3 a9, which add -61 and -87:
        // (5381*33 - 61) * 33 - 87 = 5857809.
        assert_eq!(str_hash("é"), 5_857_809);
    }

    #[test]
    fn index_table_orders_like_the_string_table() {
        // The two entry kinds share one bucket algorithm; repeated keys are
        // ignored after their first occurrence by both.
        let keys: Vec<String> = (0..20_000)
            .map(|i| format!("k{}", (i * 7919) % 15_000))
            .collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut m = GHashModel::new();
        for (i, k) in refs.iter().enumerate() {
            m.insert(k, i);
        }
        assert_eq!(iteration_order(&refs), m.iter_tags());
        assert_eq!(iteration_order(&refs).len(), 15_000);
    }

    #[test]
    fn grace_hopper_example_order() {
        // Spec §4.6 [verified with QEMU 10.0.2]: gi0..gi7 (nodes 2..9), then the
        // late memory backends m0, m1 → GI nodes 7,6,5,4,3,9,2,8.
        let keys = [
            "gi0", "gi1", "gi2", "gi3", "gi4", "gi5", "gi6", "gi7", "m0", "m1",
        ];
        let order = iteration_order(&keys);
        let nodes: Vec<usize> = order.iter().filter(|&&i| i < 8).map(|&i| i + 2).collect();
        assert_eq!(nodes, vec![7, 6, 5, 4, 3, 9, 2, 8]);
    }
}
