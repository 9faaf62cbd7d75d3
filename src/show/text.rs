//! The terminal view: one line per node (Linux node id, PXM, CPUs, memory,
//! devices), the nodes of one GPU under that GPU, the distances (in blocks of
//! alike nodes when the full matrix would not fit the width), the HMAT figures.
//! ANSI colour only when asked for ([`TextOptions::color`]; the CLI asks when
//! standard output is a terminal and `NO_COLOR` is unset).

use std::fmt::Write as _;

use super::blocks::block_value;
use super::{Node, View, figure_text, size_text};
use crate::linux::format_list;

/// How to lay the text out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours and bold.
    pub color: bool,
    /// The terminal width in columns (the distance matrix is fitted into it).
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            color: false,
            width: 80,
        }
    }
}

/// ANSI styles (empty strings without colour).
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn gpu(&self, s: &str) -> String {
        self.paint("1;35", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// A distance, coloured by how far it is on the view's scale.
    fn distance(&self, s: &str, d: u8, scale: &Scale) -> String {
        if !self.on {
            return s.to_string();
        }
        match scale.position(d) {
            None => self.dim(s),
            Some(t) if t <= 0.0 => s.to_string(),
            Some(t) if t < 0.34 => self.paint("32", s),
            Some(t) if t < 0.67 => self.paint("33", s),
            Some(_) => self.paint("31", s),
        }
    }
}

/// Where a distance lies between the smallest and the largest distance of a
/// view (255, "unreachable", left out).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The smallest distance (usually 10).
    pub min: u8,
    /// The largest distance below 255.
    pub max: u8,
}

impl Scale {
    /// The scale of a view's distances.
    pub fn of(v: &View) -> Scale {
        let all = v.distances.iter().flatten().copied().filter(|&d| d != 255);
        let min = all.clone().min().unwrap_or(10);
        let max = all.max().unwrap_or(min);
        Scale { min, max }
    }

    /// 0.0 (nearest) ..= 1.0 (farthest); `None` for 255 (unreachable).
    pub fn position(&self, d: u8) -> Option<f64> {
        if d == 255 {
            return None;
        }
        if self.max <= self.min {
            return Some(0.0);
        }
        let t = (f64::from(d) - f64::from(self.min)) / (f64::from(self.max) - f64::from(self.min));
        Some(t.clamp(0.0, 1.0))
    }
}

/// `a-b` or `a` for a run of node ids.
fn range_label(a: u32, b: u32) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// The CPUs, memory and devices of a node as the columns show them.
fn cells(n: &Node) -> (String, String, String) {
    let cpus = if n.cpus.is_empty() {
        "-".to_string()
    } else {
        format_list(&n.cpus)
    };
    let mem = if n.memory == 0 {
        "-".to_string()
    } else {
        size_text(n.memory)
    };
    let mut dev: Vec<String> = n
        .devices
        .iter()
        .map(|d| {
            let k = d.kind.tag();
            format!("{k} {}", d.label())
        })
        .collect();
    if n.hotplug > 0 {
        dev.push(format!("hotplug {}", size_text(n.hotplug)));
    }
    (cpus, mem, dev.join(", "))
}

fn pxm_text(n: &Node) -> String {
    n.pxm.map_or_else(|| "-".into(), |p| p.to_string())
}

/// The terminal view of `v`.
pub fn render(v: &View, opt: &TextOptions) -> String {
    let st = Style { on: opt.color };
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", st.bold(&v.title), v.source);
    let _ = writeln!(s, "{}", v.summary());
    let cpu_w = v
        .nodes
        .iter()
        .map(|n| cells(n).0.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let head = format!(
        "  {:>4} {:>4}  {:<cpu_w$}  {:>9}  devices",
        "node", "PXM", "CPUs", "memory"
    );
    let _ = writeln!(s, "{}", st.bold(head.trim_end()));
    let line = |s: &mut String, n: &Node, indent: &str| {
        let (cpus, mem, dev) = cells(n);
        let l = format!(
            "{indent}{:>4} {:>4}  {cpus:<cpu_w$}  {mem:>9}  {dev}",
            n.node,
            pxm_text(n)
        );
        let _ = writeln!(s, "{}", l.trim_end());
    };
    let mut shown = vec![false; v.gpus.len()];
    for n in &v.nodes {
        match n.gpu {
            None => line(&mut s, n, "  "),
            Some(g) => {
                if shown.get(g).copied().unwrap_or(true) {
                    continue;
                }
                if let Some(x) = shown.get_mut(g) {
                    *x = true;
                }
                let Some(gpu) = v.gpus.get(g) else { continue };
                let mut head = format!(
                    "  GPU {}: {} node{} {}",
                    gpu.label(),
                    gpu.nodes.len(),
                    if gpu.nodes.len() == 1 { "" } else { "s" },
                    format_list(&gpu.nodes)
                );
                if let Some(f) = &gpu.found_by {
                    head.push_str(&format!(", {f}"));
                }
                for l in wrap(&head, opt.width, "      ") {
                    let _ = writeln!(s, "{}", st.gpu(&l));
                }
                for id in &gpu.nodes {
                    if let Some(m) = v.node(*id) {
                        line(&mut s, m, "  │");
                    }
                }
            }
        }
    }
    for g in &v.generic_ports {
        let _ = writeln!(
            s,
            "  generic port {} on PXM {} (no Linux node)",
            g.label(),
            g.pxm.map_or_else(|| "-".into(), |p| p.to_string())
        );
    }
    distances(&mut s, v, opt, &st);
    hmat(&mut s, v);
    for note in &v.notes {
        for l in wrap(&format!("note: {note}"), opt.width, "      ") {
            let _ = writeln!(s, "{}", st.dim(&l));
        }
    }
    s
}

/// `text` broken at spaces into lines of at most `width` characters (a word
/// longer than that stays whole); lines after the first start with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut words = 0usize;
    for w in text.split(' ') {
        if words > 0 && cur.chars().count() + 1 + w.chars().count() > width {
            out.push(std::mem::replace(&mut cur, indent.to_string()));
            words = 0;
        }
        if words > 0 {
            cur.push(' ');
        }
        cur.push_str(w);
        words += 1;
    }
    if words > 0 {
        out.push(cur);
    }
    out
}

/// The distance section of `v` alone (as [`render`] writes it).
pub fn distances_text(v: &View, opt: &TextOptions) -> String {
    let mut s = String::new();
    distances(&mut s, v, opt, &Style { on: opt.color });
    s
}

/// The distance section: the full matrix when it fits, else blocks.
fn distances(s: &mut String, v: &View, opt: &TextOptions, st: &Style) {
    let n = v.nodes.len();
    let scale = Scale::of(v);
    let from = if v.slit {
        "SLIT"
    } else {
        "no SLIT: Linux's defaults"
    };
    let label_w = v
        .nodes
        .last()
        .map_or(1, |l| l.node.to_string().len())
        .max(4);
    if label_w + 2 + 4 * n <= opt.width {
        let _ = writeln!(s, "{}", st.bold(&format!("distances ({from}):")));
        let mut h = format!("{:>label_w$}:", "node");
        for m in &v.nodes {
            let _ = write!(h, "{:>4}", m.node);
        }
        let _ = writeln!(s, "{h}");
        for (i, a) in v.nodes.iter().enumerate() {
            let mut l = format!("{:>label_w$}:", a.node);
            for j in 0..n {
                let d = v.distance(i, j).unwrap_or(0);
                l.push_str(&st.distance(&format!("{d:>4}"), d, &scale));
            }
            let _ = writeln!(s, "{l}");
        }
        return;
    }
    let groups: Vec<(usize, usize)> = v.distance_groups.iter().map(|g| (g[0], g[1])).collect();
    let id = |i: usize| v.nodes.get(i).map_or(0, |n| n.node);
    let labels: Vec<String> = groups
        .iter()
        .map(|&(a, b)| range_label(id(a), id(b)))
        .collect();
    let w = labels.iter().map(String::len).max().unwrap_or(1).max(3) + 1;
    let _ = writeln!(
        s,
        "{}",
        st.bold(&format!(
            "distances ({from}), {n} nodes in {} groups of alike nodes:",
            groups.len()
        ))
    );
    if w + 2 + w * groups.len() <= opt.width {
        let mut h = format!("{:>w$}:", "nodes");
        for l in &labels {
            let _ = write!(h, "{l:>w$}");
        }
        let _ = writeln!(s, "{h}");
        for (a, la) in groups.iter().zip(&labels) {
            let mut l = format!("{la:>w$}:");
            for b in &groups {
                let d = block_value(&v.distances, *a, *b).unwrap_or(0);
                l.push_str(&st.distance(&format!("{d:>w$}"), d, &scale));
            }
            let _ = writeln!(s, "{l}");
        }
        let _ = writeln!(
            s,
            "{}",
            st.dim("(any node of the row group to any other of the column group; to itself: 10)")
        );
        return;
    }
    for (i, (a, la)) in groups.iter().zip(&labels).enumerate() {
        for (b, lb) in groups.iter().zip(&labels).skip(i) {
            let d = block_value(&v.distances, *a, *b).unwrap_or(0);
            let back = block_value(&v.distances, *b, *a).unwrap_or(0);
            let val = st.distance(&d.to_string(), d, &scale);
            if back == d {
                let _ = writeln!(s, "  nodes {la} ↔ {lb}: {val}");
            } else {
                let bv = st.distance(&back.to_string(), back, &scale);
                let _ = writeln!(s, "  nodes {la} → {lb}: {val}, back: {bv}");
            }
        }
    }
}

/// The HMAT figures: per structure, per initiator, runs of targets with one value.
fn hmat(s: &mut String, v: &View) {
    let id = |n: &Option<u32>| n.map_or_else(|| "?".into(), |x| x.to_string());
    for f in &v.hmat {
        let _ = writeln!(s, "HMAT {} ({}):", f.data_type, f.hierarchy);
        for (i, row) in f.initiators.iter().zip(&f.values) {
            let mut runs: Vec<(usize, usize, Option<u64>)> = Vec::new();
            for (t, val) in row.iter().enumerate() {
                match runs.last_mut() {
                    Some(r) if r.2 == *val && r.1 + 1 == t => r.1 = t,
                    _ => runs.push((t, t, *val)),
                }
            }
            let parts: Vec<String> = runs
                .iter()
                .map(|&(a, b, val)| {
                    let ta = f.targets.get(a).map_or_else(|| "?".into(), &id);
                    let tb = f.targets.get(b).map_or_else(|| "?".into(), &id);
                    let to = if a == b { ta } else { format!("{ta}-{tb}") };
                    let val =
                        val.map_or_else(|| "no information".into(), |x| figure_text(x, &f.unit));
                    format!("{to}: {val}")
                })
                .collect();
            let _ = writeln!(s, "  from node {} to {}", id(i), parts.join(", "));
        }
    }
    for c in &v.caches {
        let _ = writeln!(
            s,
            "HMAT memory-side cache: node {} (PXM {}), level {}, {}",
            id(&c.node),
            c.pxm,
            c.level,
            size_text(c.size)
        );
    }
}

/// Two views side by side: each node of `left` (a guest) beside the node of
/// `right` (the host) it stands for, as `map` says (`(left node, right node)`);
/// then the right nodes no left node stands for.
pub fn side_by_side(left: &View, right: &View, map: &[(u32, u32)], opt: &TextOptions) -> String {
    let st = Style { on: opt.color };
    let half = opt.width.saturating_sub(3) / 2;
    let compact = |n: &Node| {
        let (cpus, mem, dev) = cells(n);
        // A GPU's nodes stand under the GPU's line: no device column.
        let gpu = if dev.is_empty() || n.gpu.is_some() {
            String::new()
        } else {
            format!(" {dev}")
        };
        format!("{:>4} {:>4} {cpus:<9} {mem:>9}{gpu}", n.node, pxm_text(n))
    };
    let pad = |t: &str| {
        let c = t.chars().count();
        if c > half {
            let mut x: String = t.chars().take(half.saturating_sub(1)).collect();
            x.push('…');
            x
        } else {
            format!("{t}{}", " ".repeat(half - c))
        }
    };
    let rest = opt.width.saturating_sub(half + 3).max(1);
    let cut = |t: &str| {
        let t = t.trim_end();
        if t.chars().count() > rest {
            let mut x: String = t.chars().take(rest.saturating_sub(1)).collect();
            x.push('…');
            x
        } else {
            t.to_string()
        }
    };
    let gpu_head = |v: &View, g: Option<usize>| {
        g.and_then(|g| v.gpus.get(g))
            .map(|g| format!("GPU {}", g.label()))
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} │ {}",
        st.bold(&pad(&left.title)),
        st.bold(&cut(&right.title))
    );
    let head = format!(
        "{:>4} {:>4} {:<9} {:>9} devices",
        "node", "PXM", "CPUs", "memory"
    );
    let _ = writeln!(s, "{} │ {}", pad(&head), cut(&head));
    let mut shown: Vec<usize> = Vec::new();
    for n in &left.nodes {
        let r = map
            .iter()
            .find(|(g, _)| *g == n.node)
            .and_then(|(_, h)| right.node(*h));
        // A GPU's first node: the GPU on both sides.
        if let Some(g) = n.gpu
            && !shown.contains(&g)
        {
            shown.push(g);
            let l = gpu_head(left, Some(g)).unwrap_or_default();
            let rh = gpu_head(right, r.and_then(|r| r.gpu)).unwrap_or_default();
            let _ = writeln!(s, "{} │ {}", st.gpu(&pad(&l)), st.gpu(&cut(&rh)));
        }
        let r = r.map_or_else(String::new, compact);
        let _ = writeln!(s, "{} │ {}", pad(&compact(n)), cut(&r));
    }
    let unmapped: Vec<&Node> = right
        .nodes
        .iter()
        .filter(|h| !map.iter().any(|(_, x)| *x == h.node))
        .collect();
    if !unmapped.is_empty() {
        let _ = writeln!(s, "{} │ {}", pad(""), st.dim("(not in the guest:)"));
        for h in unmapped {
            let _ = writeln!(s, "{} │ {}", pad(""), cut(&compact(h)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn gh() -> View {
        let t = crate::machine::guest::tests::grace_hopper();
        let tables = crate::machine::tables::build_tables(&t).unwrap();
        let mut v = super::super::source::view_of_tables("gh", "test", &tables);
        v.name_devices_from(&t);
        v
    }

    #[test]
    fn grace_hopper_text() {
        let v = gh();
        let s = render(&v, &TextOptions::default());
        assert!(s.contains("GPU gpu0 (0000:01:00.0): 8 nodes 2-9"), "{s}");
        assert!(s.contains("  │   2    7"), "{s}");
        assert!(!s.contains('\x1b'));
        assert!(s.lines().all(|l| l.chars().count() <= 80), "{s}");
        let c = render(
            &v,
            &TextOptions {
                color: true,
                width: 80,
            },
        );
        assert!(c.contains("\x1b[1;35m"));
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("aa bb cc", 5, "  "), ["aa bb", "  cc"]);
        assert_eq!(wrap("aaaaaaa b", 3, ""), ["aaaaaaa", "b"]);
    }

    #[test]
    fn side_by_side_maps_nodes() {
        let v = gh();
        let map: Vec<(u32, u32)> = (0..10).map(|i| (i, i)).collect();
        let s = side_by_side(&v, &v, &map, &TextOptions::default());
        // Title, head, one GPU line on both sides, 10 nodes.
        assert_eq!(s.lines().count(), 2 + 1 + 10, "{s}");
    }
}
