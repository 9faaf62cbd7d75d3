//! Object ids whose GLib hash order is the order wanted.
//!
//! QEMU emits one SRAT Generic Initiator structure per `acpi-generic-initiator`
//! object in the iteration order of the QOM `/objects` hash table (keyed by id),
//! and a Linux guest numbers GI nodes in SRAT order. [`stable_ids`] picks ids so
//! that this order is the wanted one (ascending node), given every other key of
//! `/objects` in insertion order.

use crate::front::qemu::glib_hash::{GHashModel, iteration_order};

/// One key of `/objects`, in insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A key that is given (a memory backend, a monitor, another object).
    Fixed(String),
    /// The id of the object of this rank (0 first) in the wanted order.
    Chosen(usize),
}

/// Candidate ids tried per rank.
const CANDIDATES: usize = 1024;

/// Sweeps of the local search before giving up.
const SWEEPS: usize = 64;

/// Picks one id per [`Key::Chosen`] rank so that, after inserting `keys` in order
/// into a `GHashTable` (QEMU's `/objects`), the chosen ids iterate in rank order.
///
/// `name(rank, k)` gives the `k`-th candidate id for a rank (k = 0 first: the
/// plainest, e.g. `gi2`); candidates must be distinct across ranks and from the
/// fixed keys. `None` when no choice was found.
///
/// The search first gives each id its own home bucket in ascending order (then
/// nothing probes and bucket order is rank order); where the table is too full
/// for that, it improves the choice rank by rank against the model of GLib's
/// table ([`crate::front::qemu::glib_hash`]) until the order is right.
///
/// ```
/// use vnuma::plan::ids::{stable_ids, Key};
/// let keys = vec![Key::Chosen(0), Key::Chosen(1), Key::Chosen(2), Key::Fixed("ram-node0".into())];
/// let ids = stable_ids(&keys, |r, k| format!("gi{r}-{k}")).unwrap();
/// assert_eq!(ids.len(), 3);
/// ```
pub fn stable_ids(keys: &[Key], name: impl Fn(usize, usize) -> String) -> Option<Vec<String>> {
    let ranks = keys.iter().filter(|k| matches!(k, Key::Chosen(_))).count();
    let fixed: Vec<&str> = keys
        .iter()
        .filter_map(|k| match k {
            Key::Fixed(s) => Some(s.as_str()),
            Key::Chosen(_) => None,
        })
        .collect();
    let cands: Vec<Vec<String>> = (0..ranks)
        .map(|r| {
            (0..CANDIDATES)
                .map(|k| name(r, k))
                .filter(|id| !fixed.contains(&id.as_str()))
                .collect()
        })
        .collect();
    // The final table size depends only on the number of keys.
    let mut t = GHashModel::new();
    for i in 0..keys.len() {
        t.insert(&format!("\u{1}{i}"), i);
    }
    let shift = t.shift();
    let taken: Vec<usize> = fixed
        .iter()
        .map(|k| GHashModel::home_bucket(k, shift))
        .collect();
    let mut pick: Vec<usize> = vec![0; ranks];
    let mut prev: Option<usize> = None;
    let mut homes: Vec<usize> = Vec::with_capacity(ranks);
    for (rank, c) in cands.iter().enumerate() {
        let best = c
            .iter()
            .enumerate()
            .map(|(k, id)| (GHashModel::home_bucket(id, shift), k))
            .filter(|(h, _)| {
                prev.is_none_or(|p| *h > p) && !taken.contains(h) && !homes.contains(h)
            })
            .min();
        if let (Some((h, k)), Some(p)) = (best, pick.get_mut(rank)) {
            *p = k;
            prev = Some(h);
            homes.push(h);
        }
    }
    let ids = |pick: &[usize]| -> Vec<String> {
        pick.iter()
            .zip(&cands)
            .map(|(&k, c)| c.get(k).cloned().unwrap_or_default())
            .collect()
    };
    let max = ranks * ranks.saturating_sub(1) / 2;
    // Deterministic restarts from scrambled picks when a descent gets stuck.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for restart in 0..RESTARTS {
        if restart > 0 {
            for p in pick.iter_mut() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                *p = usize::try_from(seed >> 33).unwrap_or(0) % CANDIDATES;
            }
        }
        if let Some(found) = descend(keys, &cands, &mut pick, max, &ids) {
            return Some(found);
        }
    }
    None
}

/// Restarts of the local search.
const RESTARTS: usize = 32;

/// Coordinate descent from `pick`: the ids when every pair is in order.
fn descend(
    keys: &[Key],
    cands: &[Vec<String>],
    pick: &mut Vec<usize>,
    max: usize,
    ids: &impl Fn(&[usize]) -> Vec<String>,
) -> Option<Vec<String>> {
    let ranks = pick.len();
    let mut best = score(keys, &ids(pick));
    for _ in 0..SWEEPS {
        if best == max {
            let chosen = ids(pick);
            let mut sorted = chosen.clone();
            sorted.sort();
            sorted.dedup();
            return (sorted.len() == chosen.len()).then_some(chosen);
        }
        let before = best;
        for rank in 0..ranks {
            let n = cands.get(rank).map_or(0, Vec::len);
            for k in 0..n {
                let mut trial = pick.clone();
                if let Some(p) = trial.get_mut(rank) {
                    *p = k;
                }
                let s = score(keys, &ids(&trial));
                if s > best {
                    best = s;
                    *pick = trial;
                }
            }
        }
        if best == before {
            break;
        }
    }
    None
}

/// The number of rank pairs that iterate in the right order (all: the order is right).
fn score(keys: &[Key], chosen: &[String]) -> usize {
    let all: Vec<&str> = keys
        .iter()
        .map(|k| match k {
            Key::Fixed(s) => s.as_str(),
            Key::Chosen(r) => chosen.get(*r).map_or("", String::as_str),
        })
        .collect();
    let order: Vec<usize> = iteration_order(&all)
        .into_iter()
        .filter_map(|i| match keys.get(i) {
            Some(Key::Chosen(r)) => Some(*r),
            _ => None,
        })
        .collect();
    if order.len() != chosen.len() {
        return 0;
    }
    let mut good = 0;
    for (i, a) in order.iter().enumerate() {
        good += order.iter().skip(i + 1).filter(|b| a < b).count();
    }
    good
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(r: usize, k: usize) -> String {
        if k == 0 {
            format!("gi{}", r + 2)
        } else {
            format!("gi{}-{k}", r + 2)
        }
    }

    #[test]
    fn ascending_for_many_sizes() {
        for n in 1..=64 {
            for extra in 0..6 {
                let mut keys: Vec<Key> = (0..n).map(Key::Chosen).collect();
                keys.extend((0..extra).map(|i| Key::Fixed(format!("ram-node{i}"))));
                let ids =
                    stable_ids(&keys, name).unwrap_or_else(|| panic!("none n={n} extra={extra}"));
                let refs: Vec<String> = keys
                    .iter()
                    .map(|k| match k {
                        Key::Fixed(s) => s.clone(),
                        Key::Chosen(r) => ids[*r].clone(),
                    })
                    .collect();
                let r: Vec<&str> = refs.iter().map(String::as_str).collect();
                let order: Vec<usize> =
                    iteration_order(&r).into_iter().filter(|&i| i < n).collect();
                assert_eq!(order, (0..n).collect::<Vec<_>>(), "n={n} extra={extra}");
            }
        }
    }
}
