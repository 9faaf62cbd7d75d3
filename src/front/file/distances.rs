//! Phase: `[distances]` (a full matrix, or pairs filled symmetrically) → the
//! SLIT matrix.

use std::ops::Range;

use toml::Spanned;

use super::error::FileError;
use super::raw::{RawDistances, RawPair};
use super::resolve::Resolver;

/// The matrix being filled: `cells[i][j]`, `None` while unknown.
struct Grid {
    cells: Vec<Vec<Option<u8>>>,
}

impl Grid {
    fn new(n: usize) -> Self {
        Grid {
            cells: vec![vec![None; n]; n],
        }
    }

    fn get(&self, i: usize, j: usize) -> Option<u8> {
        self.cells.get(i).and_then(|r| r.get(j)).copied().flatten()
    }

    fn set(&mut self, i: usize, j: usize, v: u8) {
        if let Some(c) = self.cells.get_mut(i).and_then(|r| r.get_mut(j)) {
            *c = Some(v);
        }
    }
}

impl Resolver<'_> {
    /// The distance matrix of `n` nodes.
    pub(super) fn distances(&self, d: &RawDistances, n: u32) -> Result<Vec<Vec<u8>>, FileError> {
        let dspan = d
            .matrix
            .as_ref()
            .map(|m| m.span())
            .or_else(|| d.pairs.first().map(|p| p.span()))
            .unwrap_or(0..0);
        let nn = usize::try_from(n).unwrap_or(0);
        if n == 0 {
            return Err(self.err(dspan, "distances", "distances need NUMA nodes"));
        }
        let mut grid = Grid::new(nn);
        match (&d.matrix, d.pairs.is_empty()) {
            (Some(_), false) => {
                return Err(self.err(dspan, "distances", "give either matrix or pairs, not both"));
            }
            (None, true) => {
                return Err(self.err(dspan, "distances", "give matrix or pairs"));
            }
            (Some(mat), true) => self.distance_matrix(mat, n, &mut grid)?,
            (None, false) => {
                for (k, p) in d.pairs.iter().enumerate() {
                    self.distance_pair(p.get_ref(), k, n, &mut grid)?;
                }
                fill_symmetric(&mut grid, nn);
            }
        }
        let mut out = Vec::with_capacity(nn);
        for i in 0..nn {
            let mut row = Vec::with_capacity(nn);
            for j in 0..nn {
                row.push(grid.get(i, j).ok_or_else(|| {
                    self.err(
                        dspan.clone(),
                        "distances",
                        format!("the distance between node {i} and {j} is missing"),
                    )
                })?);
            }
            out.push(row);
        }
        Ok(out)
    }

    /// `matrix = [[…], …]`: exactly `n` rows of `n` entries.
    fn distance_matrix(
        &self,
        mat: &Spanned<Vec<Vec<Spanned<u32>>>>,
        n: u32,
        grid: &mut Grid,
    ) -> Result<(), FileError> {
        let nn = usize::try_from(n).unwrap_or(0);
        if mat.get_ref().len() != nn {
            return Err(self.err(
                mat.span(),
                "distances.matrix",
                format!("the matrix has {} rows for {n} nodes", mat.get_ref().len()),
            ));
        }
        for (i, row) in mat.get_ref().iter().enumerate() {
            if row.len() != nn {
                return Err(self.err(
                    mat.span(),
                    "distances.matrix",
                    format!("row {i} has {} entries for {n} nodes", row.len()),
                ));
            }
            for (j, v) in row.iter().enumerate() {
                let key = format!("distances.matrix[{i}][{j}]");
                grid.set(i, j, self.check_distance(v, i, j, &key)?);
            }
        }
        Ok(())
    }

    /// One `{ from, to, value }` pair (lists on both sides; `from == to` skipped).
    fn distance_pair(
        &self,
        rp: &RawPair,
        k: usize,
        n: u32,
        grid: &mut Grid,
    ) -> Result<(), FileError> {
        let key = format!("distances.pairs[{k}]");
        for (list, what) in [(&rp.from, "from"), (&rp.to, "to")] {
            if let Some(bad) = list.get_ref().0.iter().find(|&&v| v >= n) {
                return Err(self.err(
                    list.span(),
                    format!("{key}.{what}"),
                    format!("node {bad} is not declared"),
                ));
            }
        }
        for &a in &rp.from.get_ref().0 {
            for &b in rp.to.get_ref().0.iter().filter(|&&b| b != a) {
                let (i, j) = (a as usize, b as usize);
                let v = self.check_distance(&rp.value, i, j, &format!("{key}.value"))?;
                if let Some(prev) = grid.get(i, j)
                    && prev != v
                {
                    return Err(self.err(
                        rp.value.span(),
                        format!("{key}.value"),
                        format!("distance {a}->{b} is given twice ({prev} and {v})"),
                    ));
                }
                grid.set(i, j, v);
            }
        }
        Ok(())
    }

    /// A distance value: at most 255, 10 on the diagonal, above 10 elsewhere.
    fn check_distance(
        &self,
        v: &Spanned<u32>,
        i: usize,
        j: usize,
        key: &str,
    ) -> Result<u8, FileError> {
        let val = *v.get_ref();
        let span: Range<usize> = v.span();
        let b = u8::try_from(val).map_err(|_| {
            self.err(
                span.clone(),
                key,
                format!("distance {val} is larger than 255"),
            )
        })?;
        if i == j && b != 10 {
            return Err(self.err(
                span,
                key,
                format!("local distance of node {i} should be 10 (got {b})"),
            ));
        }
        if i != j && b <= 10 {
            return Err(self.err(
                span,
                key,
                format!("distance {i}->{j} is {b}: distances between different nodes must be larger than 10"),
            ));
        }
        Ok(b)
    }
}

/// Pairs: the diagonal is 10, and a distance given one way holds both ways.
fn fill_symmetric(grid: &mut Grid, nn: usize) {
    for i in 0..nn {
        grid.set(i, i, 10);
    }
    for i in 0..nn {
        for j in 0..nn {
            if grid.get(i, j).is_none()
                && let Some(t) = grid.get(j, i)
            {
                grid.set(i, j, t);
            }
        }
    }
}
