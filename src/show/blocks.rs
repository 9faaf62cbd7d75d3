//! A distance matrix compressed into blocks: runs of consecutive nodes whose
//! rows and columns are alike become one group, and the matrix between two
//! groups is one number (`nodes 2-9 ↔ 2-9: 11`). A GB200 tray's 34×34 SLIT
//! becomes 6×6 blocks.
//!
//! A group `[s, e]` is a run of consecutive indexes such that every member has
//! the same distance to (and from) every index outside the run, the same
//! distance to itself, and one distance to every other member. Between two
//! groups, then, the matrix is constant. [`partition`] takes the longest such
//! run from the left, then the next, each node joining the run it extends.

/// The groups of `d` (an n×n matrix; a ragged one is read with missing cells
/// as 0), as inclusive index ranges `(first, last)` covering `0..n` in order.
pub fn partition(d: &[Vec<u8>]) -> Vec<(usize, usize)> {
    let n = d.len();
    let at = |i: usize, j: usize| d.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut s = 0;
    while s < n {
        let mut e = s;
        // The distance between two members (known once the group has two).
        let mut within: Option<u8> = None;
        while e + 1 < n {
            let c = e + 1;
            // c alike to s on everything outside [s, c].
            let outside = (0..n)
                .filter(|&k| k < s || k > c)
                .all(|k| at(c, k) == at(s, k) && at(k, c) == at(k, s));
            let w = at(s, c);
            let inside = at(c, c) == at(s, s)
                && within.is_none_or(|x| x == w)
                && (s..=e).all(|x| at(x, c) == w && at(c, x) == w);
            if !(outside && inside) {
                break;
            }
            within = Some(w);
            e = c;
        }
        out.push((s, e));
        s = e + 1;
    }
    out
}

/// The distance between two groups: `d[a.0][b.0]`, or within a group of more
/// than one node, the distance between two of its members.
pub fn block_value(d: &[Vec<u8>], a: (usize, usize), b: (usize, usize)) -> Option<u8> {
    let (i, j) = if a == b && a.1 > a.0 {
        (a.0, a.0 + 1)
    } else {
        (a.0, b.0)
    };
    d.get(i)?.get(j).copied()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    /// The GB200 tray of NVIDIA's published `numactl -H` (2 CPU nodes, 4 GPUs
    /// × 8 nodes; CPU↔CPU 40, own GPUs 80, other socket's 120, within a GPU 11,
    /// between GPUs 40).
    fn gb200() -> Vec<Vec<u8>> {
        let gpu = |n: usize| (n >= 2).then(|| (n - 2) / 8);
        (0..34)
            .map(|i| {
                (0..34)
                    .map(|j| match (i, j, gpu(i), gpu(j)) {
                        _ if i == j => 10,
                        (_, _, None, None) => 40,
                        (c, _, None, Some(g)) | (_, c, Some(g), None) => {
                            if (g < 2) == (c == 0) {
                                80
                            } else {
                                120
                            }
                        }
                        (_, _, Some(a), Some(b)) => {
                            if a == b {
                                11
                            } else {
                                40
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn gb200_tray_is_six_blocks() {
        let d = gb200();
        let p = partition(&d);
        assert_eq!(p, [(0, 0), (1, 1), (2, 9), (10, 17), (18, 25), (26, 33)]);
        assert_eq!(block_value(&d, (2, 9), (2, 9)), Some(11));
        assert_eq!(block_value(&d, (0, 0), (0, 0)), Some(10));
        assert_eq!(block_value(&d, (1, 1), (2, 9)), Some(120));
        assert_eq!(block_value(&d, (0, 0), (2, 9)), Some(80));
    }

    #[test]
    fn no_false_groups() {
        // Asymmetric: 0→2 differs from 1→2.
        let d = vec![vec![10, 20, 30], vec![20, 10, 40], vec![30, 40, 10]];
        assert_eq!(partition(&d), [(0, 0), (1, 1), (2, 2)]);
        // Two nodes alike outside but with different self-distances.
        let d = vec![vec![10, 20], vec![20, 11]];
        assert_eq!(partition(&d), [(0, 0), (1, 1)]);
        // A chain 0-1-2 whose ends are farther apart: no group.
        let d = vec![vec![10, 11, 12], vec![11, 10, 11], vec![12, 11, 10]];
        assert_eq!(partition(&d), [(0, 0), (1, 1), (2, 2)]);
        let d = vec![vec![10, 11, 20], vec![11, 10, 20], vec![20, 20, 10]];
        assert_eq!(partition(&d), [(0, 1), (2, 2)]);
        assert!(partition(&[]).is_empty());
        // Ragged input does not panic.
        let _ = partition(&[vec![10], vec![]]);
    }
}
