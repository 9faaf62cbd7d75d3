//! A compact set of ids (`-object` and `-device` ids), numbered in insertion
//! order: the texts share one buffer, the set is an open-addressing table of
//! `u32` numbers. A command line may hold hundreds of thousands of ids; each
//! costs its bytes plus about 20, not a `String` and a hash-set slot.

use std::hash::{BuildHasher, RandomState};

/// "Empty" in [`IdSet::table`].
const EMPTY: u32 = u32::MAX;

/// Ids in insertion order; looking one up is a hash probe.
#[derive(Default)]
pub(super) struct IdSet {
    /// Every id's text, one after the other.
    text: String,
    /// Per id: the end of its text in `text` (the start is the previous end).
    ends: Vec<u32>,
    /// Open addressing (linear probing), at most half full: per slot an id
    /// number ([`EMPTY`]: none) and the low 32 bits of its hash (the slot
    /// position and a cheap comparison before the texts are compared).
    table: Vec<(u32, u32)>,
    /// The (randomly keyed) hash of the table.
    hasher: RandomState,
}

impl IdSet {
    /// An empty set whose table holds `n` ids without growing (a table that
    /// doubles keeps the old one alongside the new while it re-enters the
    /// ids: half as much again at the peak).
    pub(super) fn with_capacity(n: usize) -> Self {
        let slots = n
            .saturating_add(1)
            .saturating_mul(2)
            .checked_next_power_of_two();
        let mut s = IdSet::default();
        if let Some(slots) = slots.filter(|&x| x > 16) {
            s.table = vec![(EMPTY, 0); slots];
            s.ends.reserve(n);
        }
        s
    }

    /// The number of ids.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Id number `i`'s text (empty when out of range).
    pub(super) fn get(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// The hash of `id` (its low 32 bits).
    fn hash(&self, id: &str) -> u32 {
        // Truncation intended: the table has at most 2^32 slots.
        #[allow(clippy::cast_possible_truncation)]
        let h = self.hasher.hash_one(id) as u32;
        h
    }

    /// The table slot of `id` (hash `h`): where it is, or the empty slot where
    /// it would go. The table is never full.
    fn slot(&self, id: &str, h: u32) -> usize {
        let mask = self.table.len().wrapping_sub(1);
        let mut s = h as usize & mask;
        loop {
            match self.table.get(s).copied() {
                Some((n, hn)) if n != EMPTY && (hn != h || self.get(n as usize) != id) => {
                    s = (s + 1) & mask;
                }
                _ => return s,
            }
        }
    }

    /// The number of `id`, if present.
    pub(super) fn find(&self, id: &str) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        let (n, _) = self.table.get(self.slot(id, self.hash(id))).copied()?;
        (n != EMPTY).then_some(n as usize)
    }

    /// Adds `id`: `Ok(number)` when new, `Err(Some(number))` when present,
    /// `Err(None)` when the set is full (more than `u32` can count).
    pub(super) fn insert(&mut self, id: &str) -> Result<usize, Option<usize>> {
        if self.table.len() < 2 * (self.len() + 1) {
            self.grow();
        }
        let h = self.hash(id);
        let s = self.slot(id, h);
        match self.table.get(s).copied() {
            Some((n, _)) if n != EMPTY => return Err(Some(n as usize)),
            _ => {}
        }
        let n = u32::try_from(self.len())
            .ok()
            .filter(|n| *n < EMPTY / 2)
            .ok_or(None)?;
        let end = u32::try_from(self.text.len() + id.len()).map_err(|_| None)?;
        self.text.push_str(id);
        self.ends.push(end);
        if let Some(x) = self.table.get_mut(s) {
            *x = (n, h);
        }
        Ok(n as usize)
    }

    /// Doubles the table (at least 16 slots) and re-enters every id.
    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        let old = std::mem::replace(&mut self.table, vec![(EMPTY, 0); size]);
        let mask = size - 1;
        for (n, h) in old.into_iter().filter(|(n, _)| *n != EMPTY) {
            let mut s = h as usize & mask;
            while self.table.get(s).is_some_and(|(x, _)| *x != EMPTY) {
                s = (s + 1) & mask;
            }
            if let Some(x) = self.table.get_mut(s) {
                *x = (n, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_insertion_order() {
        let mut s = IdSet::default();
        assert_eq!(s.find("a"), None);
        for i in 0..1000 {
            assert_eq!(s.insert(&format!("id{i}")), Ok(i));
        }
        assert_eq!(s.insert("id7"), Err(Some(7)));
        assert_eq!(s.insert(""), Ok(1000));
        assert_eq!(s.insert(""), Err(Some(1000)));
        assert_eq!(s.find("id999"), Some(999));
        assert_eq!(s.find("id1000"), None);
        assert_eq!(s.get(3), "id3");
        assert_eq!(s.get(1000), "");
        assert_eq!(s.len(), 1001);
        let mut t = IdSet::with_capacity(1000);
        let slots = t.table.len();
        assert_eq!(slots, 2048);
        for i in 0..1024 {
            assert_eq!(t.insert(&format!("id{i}")), Ok(i));
        }
        assert_eq!(t.table.len(), slots);
        assert_eq!(t.insert(""), Ok(1024));
        assert_eq!(t.table.len(), 2 * slots);
        assert_eq!(t.find("id500"), Some(500));
    }
}
