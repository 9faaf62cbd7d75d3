//! The SVG picture of a [`View`], hand-written: nodes as boxes holding their
//! CPUs and memory, the nodes of a GPU in a frame labelled with the GPU, and
//! the distances as a heat map (pale = near, dark red = far) with a legend.
//! Sized for real hosts: a GB200 tray (34 nodes) or 4×GH200 (36 nodes) gives a
//! picture about 900 pixels wide whose labels stay at 10 px or more.
//!
//! Every node box is a `<rect class="node" data-node="N">`; every label is a
//! `<text>` element of its own (so a reader, a test or a screen reader finds it).

use std::fmt::Write as _;

use super::text::Scale;
use super::{Node, View, size_text};
use crate::linux::format_list;

const MARGIN: i64 = 20;
const MIN_WIDTH: i64 = 900;
const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";
/// Plain (non-GPU) node boxes.
const BOX_W: i64 = 168;
const BOX_H: i64 = 70;
const GAP: i64 = 12;
/// Node boxes inside a GPU frame.
const GBOX_W: i64 = 92;
const GBOX_H: i64 = 56;
const GGAP: i64 = 8;
const GCOLS: usize = 4;
const FRAME_PAD: i64 = 12;
const FRAME_HEAD: i64 = 28;

/// The YlOrRd ramp: pale yellow (near) to dark red (far).
const RAMP: [(f64, [u8; 3]); 5] = [
    (0.0, [0xff, 0xff, 0xcc]),
    (0.25, [0xfe, 0xd9, 0x76]),
    (0.5, [0xfd, 0x8d, 0x3c]),
    (0.75, [0xe3, 0x1a, 0x1c]),
    (1.0, [0x80, 0x00, 0x26]),
];
/// Distance 255: unreachable.
const UNREACHABLE: [u8; 3] = [0x4d, 0x4d, 0x4d];

/// The colour of a distance on `scale`.
pub fn heat_color(d: u8, scale: &Scale) -> [u8; 3] {
    let Some(t) = scale.position(d) else {
        return UNREACHABLE;
    };
    let mut prev = RAMP[0];
    for stop in RAMP {
        if t <= stop.0 {
            let span = stop.0 - prev.0;
            let f = if span > 0.0 { (t - prev.0) / span } else { 0.0 };
            let mix = |a: u8, b: u8| {
                (f64::from(a) + (f64::from(b) - f64::from(a)) * f)
                    .round()
                    .clamp(0.0, 255.0) as u8
            };
            return [
                mix(prev.1[0], stop.1[0]),
                mix(prev.1[1], stop.1[1]),
                mix(prev.1[2], stop.1[2]),
            ];
        }
        prev = stop;
    }
    prev.1
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Whether text on `c` should be white (a dark cell).
fn dark(c: [u8; 3]) -> bool {
    let l = 0.299 * f64::from(c[0]) + 0.587 * f64::from(c[1]) + 0.114 * f64::from(c[2]);
    l < 140.0
}

/// XML-escapes text and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 forbids.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// The SVG being written.
struct Svg {
    body: String,
}

impl Svg {
    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: i64, y: i64, size: i64, weight: &str, anchor: &str, fill: &str, s: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            escape(s)
        );
    }
    fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" {extra}/>"#
        );
    }
}

/// GPU colours, one per GPU in turn: (stroke / bar, dark text, node fill,
/// frame fill). Hues away from the heat map's yellow-red.
const GPU_COLORS: [(&str, &str, &str, &str); 6] = [
    ("#8e44ad", "#5b2c6f", "#f1e0f5", "#fbf6fc"),
    ("#138d75", "#0b5345", "#d5f0ea", "#f3fbf9"),
    ("#a93279", "#641e48", "#f5dcea", "#fcf5f9"),
    ("#5b8c2a", "#35521a", "#e3f0d6", "#f8fcf4"),
    ("#2e86c1", "#1b4f72", "#d6e9f6", "#f4f9fd"),
    ("#566573", "#2c3640", "#e3e7ea", "#f7f8f9"),
];

/// The colours of GPU `g`.
fn gpu_color(g: usize) -> (&'static str, &'static str, &'static str, &'static str) {
    GPU_COLORS
        .get(g % GPU_COLORS.len())
        .copied()
        .unwrap_or(("#8e44ad", "#5b2c6f", "#f1e0f5", "#fbf6fc"))
}

/// Colours of a node box: (fill, stroke).
fn node_colors(n: &Node) -> (&'static str, &'static str) {
    if let Some(g) = n.gpu {
        let c = gpu_color(g);
        (c.2, c.0)
    } else if !n.cpus.is_empty() {
        ("#dbe9f6", "#2f6aa3")
    } else if n.memory > 0 {
        ("#e2f1dc", "#4d8a3c")
    } else {
        ("#eeeeee", "#888888")
    }
}

/// A text that fits `max` characters (an ellipsis at the end otherwise).
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Draws one node box with its lines of text.
fn node_box(svg: &mut Svg, n: &Node, x: i64, y: i64, w: i64, h: i64, small: bool) {
    let (fill, stroke) = node_colors(n);
    svg.rect(
        x,
        y,
        w,
        h,
        &format!(
            r#"class="node" data-node="{}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5""#,
            n.node
        ),
    );
    let cx = x + w / 2;
    let (big, line, step) = if small { (13, 11, 14) } else { (14, 12, 16) };
    let max = usize::try_from((w - 8) / 7).unwrap_or(10);
    svg.text(
        cx,
        y + 18,
        big,
        "bold",
        "middle",
        "#111",
        &format!("node {}", n.node),
    );
    let mut lines: Vec<String> = Vec::new();
    if let Some(h) = n.host_node {
        lines.push(format!("host node {h}"));
    }
    // A host without an SRAT gives no PXMs: the line says nothing then.
    let pxm = n.pxm.map(|p| format!("PXM {p}"));
    let cpus = if n.cpus.is_empty() {
        "no CPUs".to_string()
    } else {
        format!("CPUs {}", format_list(&n.cpus))
    };
    match (&pxm, small) {
        (Some(p), true) => lines.push(p.clone()),
        (None, true) => {}
        (Some(p), false) => lines.push(format!("{p} · {cpus}")),
        (None, false) => lines.push(cpus),
    }
    if small && !n.cpus.is_empty() {
        lines.push(format!("CPUs {}", format_list(&n.cpus)));
    }
    lines.push(if n.memory == 0 {
        "no memory".into()
    } else {
        size_text(n.memory)
    });
    if !small {
        for d in &n.devices {
            let k = d.kind.tag();
            lines.push(format!("{k} {}", d.label()));
        }
    }
    let room = usize::try_from((h - 22) / step).unwrap_or(1);
    for (i, l) in lines.iter().take(room).enumerate() {
        let ly = y + 18 + step * (i64::try_from(i).unwrap_or(0) + 1);
        svg.text(cx, ly, line, "normal", "middle", "#222", &fit(l, max));
    }
}

/// The SVG picture of `v`.
pub fn render(v: &View) -> String {
    let (body, width, height) = draw(v);
    let mut out = head(width, height, &v.title);
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// The start of an SVG document of `width`×`height` titled `title`, on white.
fn head(width: i64, height: i64, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}">
<title>{}</title>
<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##,
        escape(title)
    );
    out
}

/// Two views in one picture, side by side: `left` (a planned guest, whose
/// node boxes name the host node each stands for) and `right` (the host),
/// each a panel of its own (a `<g class="panel">` moved into place), under
/// the heading `title`.
pub fn render_pair(title: &str, left: &View, right: &View) -> String {
    let (lb, lw, lh) = draw(left);
    let (rb, rw, rh) = draw(right);
    let top = MARGIN + 30;
    let width = lw + rw;
    let height = top + lh.max(rh);
    let mut out = head(width, height, title);
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="22" font-weight="bold" text-anchor="start" fill="#111">{}</text>"##,
        MARGIN + 16,
        escape(title)
    );
    let _ = writeln!(
        out,
        r##"<line x1="{lw}" y1="{top}" x2="{lw}" y2="{}" stroke="#999999" stroke-width="2" stroke-dasharray="6 4"/>"##,
        height - MARGIN
    );
    for (body, x) in [(lb, 0), (rb, lw)] {
        let _ = writeln!(out, r#"<g class="panel" transform="translate({x},{top})">"#);
        out.push_str(&body);
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// The body (everything inside `<svg>`), width and height of `v`'s picture.
fn draw(v: &View) -> (String, i64, i64) {
    let mut svg = Svg {
        body: String::new(),
    };
    let n = v.nodes.len();
    let width = MIN_WIDTH;
    let inner = width - 2 * MARGIN;
    let mut y = MARGIN + 14;
    svg.text(MARGIN, y, 20, "bold", "start", "#111", &v.title);
    y += 22;
    svg.text(MARGIN, y, 13, "normal", "start", "#444", &v.summary());
    y += 26;

    // Plain nodes, in rows.
    let plain: Vec<&Node> = v.nodes.iter().filter(|n| n.gpu.is_none()).collect();
    if !plain.is_empty() {
        svg.text(MARGIN, y, 13, "bold", "start", "#555", "NUMA nodes");
        y += 8;
        let per_row = usize::try_from((inner + GAP) / (BOX_W + GAP))
            .unwrap_or(1)
            .max(1);
        for (i, node) in plain.iter().enumerate() {
            let col = i64::try_from(i % per_row).unwrap_or(0);
            let row = i64::try_from(i / per_row).unwrap_or(0);
            node_box(
                &mut svg,
                node,
                MARGIN + col * (BOX_W + GAP),
                y + row * (BOX_H + GAP),
                BOX_W,
                BOX_H,
                false,
            );
        }
        let rows = i64::try_from(plain.len().div_ceil(per_row)).unwrap_or(1);
        y += rows * (BOX_H + GAP) + 10;
    }

    // GPU frames, flowing left to right.
    if !v.gpus.is_empty() {
        svg.text(
            MARGIN,
            y,
            13,
            "bold",
            "start",
            "#555",
            "GPUs and their nodes",
        );
        y += 8;
        let mut x = MARGIN;
        let mut row_h = 0;
        for (gi, g) in v.gpus.iter().enumerate() {
            let (stroke, dark, _, frame) = gpu_color(gi);
            let cols = g.nodes.len().clamp(1, GCOLS);
            let rows = g.nodes.len().div_ceil(GCOLS).max(1);
            let cols_i = i64::try_from(cols).unwrap_or(1);
            let rows_i = i64::try_from(rows).unwrap_or(1);
            let fw = (2 * FRAME_PAD + cols_i * GBOX_W + (cols_i - 1) * GGAP).max(220);
            let foot = if g.found_by.is_some() { 16 } else { 0 };
            let fh = FRAME_HEAD + rows_i * (GBOX_H + GGAP) - GGAP + FRAME_PAD + foot;
            if x > MARGIN && x + fw > MARGIN + inner {
                x = MARGIN;
                y += row_h + 16;
                row_h = 0;
            }
            svg.rect(
                x,
                y,
                fw,
                fh,
                &format!(
                    r#"class="gpu" rx="10" fill="{frame}" stroke="{stroke}" stroke-width="2""#
                ),
            );
            let label = match &g.name {
                Some(name) if name != &g.handle => format!("GPU {name} · {}", g.handle),
                _ => format!("GPU {}", g.handle),
            };
            svg.text(x + FRAME_PAD, y + 19, 13, "bold", "start", dark, &label);
            svg.text(
                x + fw - FRAME_PAD,
                y + 19,
                11,
                "normal",
                "end",
                dark,
                &format!("nodes {}", format_list(&g.nodes)),
            );
            if let Some(f) = &g.found_by {
                let chars = usize::try_from((fw - 2 * FRAME_PAD) / 6).unwrap_or(10);
                svg.text(
                    x + FRAME_PAD,
                    y + fh - FRAME_PAD + 2,
                    11,
                    "normal",
                    "start",
                    dark,
                    &fit(f, chars),
                );
            }
            for (i, id) in g.nodes.iter().enumerate() {
                let Some(node) = v.node(*id) else { continue };
                let c = i64::try_from(i % GCOLS).unwrap_or(0);
                let r = i64::try_from(i / GCOLS).unwrap_or(0);
                node_box(
                    &mut svg,
                    node,
                    x + FRAME_PAD + c * (GBOX_W + GGAP),
                    y + FRAME_HEAD + r * (GBOX_H + GGAP),
                    GBOX_W,
                    GBOX_H,
                    true,
                );
            }
            x += fw + 16;
            row_h = row_h.max(fh);
        }
        y += row_h + 24;
    }

    // Heat map.
    let scale = Scale::of(v);
    let ni = i64::try_from(n).unwrap_or(1).max(1);
    let cell = (520 / ni).clamp(10, 40);
    let label_font = (cell * 7 / 10).clamp(8, 12);
    let title = if v.slit {
        "Distances (SLIT): pale = near, dark = far"
    } else {
        "Distances (no SLIT: Linux's 10 local, 20 remote)"
    };
    svg.text(MARGIN, y, 13, "bold", "start", "#555", title);
    y += 10;
    let gpu_bar = if v.gpus.is_empty() { 0 } else { 18 };
    let left = MARGIN + 60;
    let top = y + gpu_bar + label_font + 8;
    // GPU bars over the columns and beside the rows, one per run of
    // consecutive nodes of the GPU; the GPU's name on its longest run.
    for (gi, g) in v.gpus.iter().enumerate() {
        let color = gpu_color(gi).0;
        let mut idx: Vec<i64> = g
            .nodes
            .iter()
            .filter_map(|id| v.nodes.iter().position(|m| m.node == *id))
            .filter_map(|i| i64::try_from(i).ok())
            .collect();
        idx.sort_unstable();
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for i in idx {
            match runs.last_mut() {
                Some(r) if r.1 + 1 == i => r.1 = i,
                _ => runs.push((i, i)),
            }
        }
        for &(a, b) in &runs {
            let span = (b - a + 1) * cell;
            svg.rect(
                left + a * cell + 1,
                y,
                span - 2,
                12,
                &format!(r#"rx="3" fill="{color}""#),
            );
            svg.rect(
                left - 16,
                top + a * cell + 1,
                10,
                span - 2,
                &format!(r#"rx="3" fill="{color}""#),
            );
        }
        if let Some(&(a, b)) = runs.iter().max_by_key(|r| (r.1 - r.0, -r.0)) {
            let span = (b - a + 1) * cell;
            let chars = usize::try_from(span / 7).unwrap_or(0);
            // The name, unless another GPU has it too (a host's GPUs all
            // named after one driver): then the handle.
            let name = match &g.name {
                Some(n) if v.gpus.iter().filter(|o| o.name.as_ref() == Some(n)).count() == 1 => {
                    n.clone()
                }
                _ => g.handle.clone(),
            };
            if chars >= 3 {
                svg.text(
                    left + a * cell + span / 2,
                    y + 10,
                    10,
                    "bold",
                    "middle",
                    "#ffffff",
                    &fit(&name, chars),
                );
            }
        }
    }
    for (i, node) in v.nodes.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        // Column labels, and row labels left of the GPU bars.
        svg.text(
            left + i * cell + cell / 2,
            top - 4,
            label_font,
            "normal",
            "middle",
            "#333",
            &node.node.to_string(),
        );
        svg.text(
            left - 20,
            top + i * cell + cell / 2 + label_font / 3,
            label_font,
            "normal",
            "end",
            "#333",
            &node.node.to_string(),
        );
    }
    let _ = writeln!(svg.body, r#"<g class="heatmap">"#);
    for i in 0..n {
        for j in 0..n {
            let d = v.distance(i, j).unwrap_or(0);
            let c = heat_color(d, &scale);
            let (xi, yi) = (i64::try_from(j).unwrap_or(0), i64::try_from(i).unwrap_or(0));
            let _ = writeln!(
                svg.body,
                r#"<rect x="{}" y="{}" width="{cell}" height="{cell}" fill="{}"><title>node {} ↔ node {}: {d}</title></rect>"#,
                left + xi * cell,
                top + yi * cell,
                hex(c),
                v.nodes.get(i).map_or(0, |x| x.node),
                v.nodes.get(j).map_or(0, |x| x.node),
            );
            if cell >= 26 {
                svg.text(
                    left + xi * cell + cell / 2,
                    top + yi * cell + cell / 2 + 4,
                    10,
                    "normal",
                    "middle",
                    if dark(c) { "#ffffff" } else { "#222222" },
                    &d.to_string(),
                );
            }
        }
    }
    // Lines between groups of alike nodes.
    for g in v.distance_groups.iter().skip(1) {
        let at = i64::try_from(g[0]).unwrap_or(0) * cell;
        let _ = writeln!(
            svg.body,
            r##"<line x1="{}" y1="{top}" x2="{}" y2="{}" stroke="#ffffff" stroke-width="2"/><line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#ffffff" stroke-width="2"/>"##,
            left + at,
            left + at,
            top + ni * cell,
            top + at,
            left + ni * cell,
            top + at,
        );
    }
    let _ = writeln!(svg.body, "</g>");
    svg.rect(
        left,
        top,
        ni * cell,
        ni * cell,
        r##"fill="none" stroke="#666" stroke-width="1""##,
    );

    // Legend.
    let lx = left + ni * cell + 40;
    let mut ly = top;
    svg.text(lx, ly + 4, 12, "bold", "start", "#333", "distance");
    ly += 14;
    let mut values: Vec<u8> = v.distances.iter().flatten().copied().collect();
    values.sort_unstable();
    values.dedup();
    if values.len() <= 16 {
        for d in &values {
            svg.rect(
                lx,
                ly,
                22,
                18,
                &format!(
                    r##"fill="{}" stroke="#666" stroke-width="0.5""##,
                    hex(heat_color(*d, &scale))
                ),
            );
            let what = match *d {
                10 => "10 (the node itself)".to_string(),
                255 => "255 (unreachable)".to_string(),
                x => x.to_string(),
            };
            svg.text(lx + 30, ly + 14, 12, "normal", "start", "#333", &what);
            ly += 24;
        }
    } else {
        let _ = writeln!(
            svg.body,
            r#"<defs><linearGradient id="ramp" x1="0" y1="0" x2="0" y2="1">{}</linearGradient></defs>"#,
            RAMP.iter()
                .map(|(o, c)| format!(r#"<stop offset="{o}" stop-color="{}"/>"#, hex(*c)))
                .collect::<String>()
        );
        svg.rect(
            lx,
            ly,
            22,
            160,
            r##"fill="url(#ramp)" stroke="#666" stroke-width="0.5""##,
        );
        svg.text(
            lx + 30,
            ly + 12,
            12,
            "normal",
            "start",
            "#333",
            &scale.min.to_string(),
        );
        svg.text(
            lx + 30,
            ly + 160,
            12,
            "normal",
            "start",
            "#333",
            &scale.max.to_string(),
        );
        ly += 176;
    }
    y = (top + ni * cell).max(ly) + 24;

    // HMAT, generic ports, notes: one line each.
    let mut lines: Vec<String> = Vec::new();
    for g in &v.generic_ports {
        lines.push(format!(
            "generic port {} on PXM {} (no Linux node)",
            g.label(),
            g.pxm.map_or_else(|| "-".into(), |p| p.to_string())
        ));
    }
    for f in &v.hmat {
        let mut vals: Vec<u64> = f.values.iter().flatten().flatten().copied().collect();
        vals.sort_unstable();
        if let (Some(a), Some(b)) = (vals.first(), vals.last()) {
            lines.push(format!(
                "HMAT {} ({}): {} to {} over {} initiator(s) × {} target(s)",
                f.data_type,
                f.hierarchy,
                super::figure_text(*a, &f.unit),
                super::figure_text(*b, &f.unit),
                f.initiators.len(),
                f.targets.len()
            ));
        }
    }
    for c in &v.caches {
        lines.push(format!(
            "HMAT memory-side cache on PXM {}: level {}, {}",
            c.pxm,
            c.level,
            size_text(c.size)
        ));
    }
    lines.extend(v.notes.iter().map(|s| format!("note: {s}")));
    for l in &lines {
        svg.text(MARGIN, y, 12, "normal", "start", "#444", &fit(l, 130));
        y += 18;
    }
    let height = y + MARGIN;
    (svg.body, width, height)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn ramp_ends() {
        let s = Scale { min: 10, max: 120 };
        assert_eq!(heat_color(10, &s), [0xff, 0xff, 0xcc]);
        assert_eq!(heat_color(120, &s), [0x80, 0x00, 0x26]);
        assert_eq!(heat_color(255, &s), UNREACHABLE);
        assert_eq!(escape("a<b&\"c'"), "a&lt;b&amp;&quot;c&apos;");
    }
}
