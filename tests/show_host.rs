//! `vnuma show --sysfs ROOT` (the host) and `vnuma show --sysfs ROOT --gpu …`
//! (the planned guest beside the host), driven through the binary on the host
//! trees of tests/fixtures/hosts.
//!
//! Expectations come from the published facts that tests/fixtures/hosts/README.md
//! cites (F1–F5: each GPU's host nodes, the host SRAT's PXMs, which socket a GPU
//! belongs to), from the planner's rules as issue 10 states them (guest node id
//! = proximity domain, CPU nodes first, then per GPU in BDF order its nodes in
//! host order), from a real SVG renderer (resvg) and XML parser (roxmltree).
//!
//! `VNUMA_WRITE_DOCS_IMG=1 cargo test --test show_host` also writes the
//! README's pictures docs/img/gb200-host.{svg,png} and docs/img/gh200-plan.{svg,png}.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use std::process::Command;

use common::{
    render_svg as render, root, vnuma, vnuma_bin, vnuma_json as json, vnuma_stdout as ok,
};
use serde_json::Value;

fn host(name: &str) -> String {
    root()
        .join("tests/fixtures/hosts")
        .join(name)
        .display()
        .to_string()
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// A fixture and its GPUs with their host nodes.
type Fact = (&'static str, Vec<(&'static str, Vec<u64>)>);

/// (guest node, host node) pairs.
type Pairs = Vec<(u64, u64)>;

/// Each fixture's GPUs and their host nodes, as the README's facts say.
fn facts() -> Vec<Fact> {
    vec![
        ("gh200", vec![("0009:01:00.0", (1..=8).collect())]),
        ("gh200-srat", vec![("0009:01:00.0", (1..=8).collect())]),
        (
            "gb200",
            vec![
                ("0008:01:00.0", (2..=9).collect()),
                ("0009:01:00.0", (10..=17).collect()),
                ("0018:01:00.0", (18..=25).collect()),
                ("0019:01:00.0", (26..=33).collect()),
            ],
        ),
        (
            "4xgh200",
            vec![
                ("0009:01:00.0", (4..=11).collect()),
                ("0019:01:00.0", (12..=19).collect()),
                ("0029:01:00.0", (20..=27).collect()),
                ("0039:01:00.0", (28..=35).collect()),
            ],
        ),
    ]
}

#[test]
fn every_gpu_has_its_nodes_grouped_under_it() {
    for (name, gpus) in facts() {
        let v = json(&["show", "--sysfs", &host(name)]);
        assert_eq!(v["source"], "host");
        let got = v["gpus"].as_array().unwrap();
        assert_eq!(got.len(), gpus.len(), "{name}");
        for (g, (bdf, nodes)) in got.iter().zip(&gpus) {
            assert_eq!(g["handle"], *bdf, "{name}");
            assert_eq!(&u64s(&g["nodes"]), nodes, "{name} {bdf}");
            assert!(g["found_by"].as_str().is_some(), "{name}: how found");
            for n in nodes {
                let node = v["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["node"] == *n)
                    .unwrap();
                let gi = node["gpu"].as_u64().unwrap() as usize;
                assert_eq!(got[gi]["handle"], *bdf, "{name}: node {n}");
            }
        }
        // The text: each GPU's line, then its nodes under it (`│`), in order.
        let text = ok(&["show", "--sysfs", &host(name)]);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        for (bdf, nodes) in &gpus {
            let at = lines
                .iter()
                .position(|l| l.starts_with("  GPU ") && l.contains(bdf))
                .unwrap_or_else(|| panic!("{name}: no line for GPU {bdf}\n{text}"));
            let under: Vec<u64> = lines[at + 1..]
                .iter()
                .skip_while(|l| l.starts_with("      "))
                .take_while(|l| l.starts_with("  │"))
                .map(|l| {
                    l.trim_start_matches("  │")
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                })
                .collect();
            assert_eq!(&under, nodes, "{name} {bdf}\n{text}");
        }
    }
}

#[test]
fn host_pxms_come_from_the_host_srat() {
    // F4: socket s is PXM s; GPU g, partition p is PXM 4 + 4 + 8g + p; Linux
    // numbers nodes by first appearance (sockets first, then the GPU PXMs).
    let v = json(&["show", "--sysfs", &host("gh200-srat")]);
    let pxms: Vec<Value> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["pxm"].clone())
        .collect();
    let want: Vec<Value> = [0u64].into_iter().chain(8..=15).map(Value::from).collect();
    assert_eq!(pxms, want);
    let v = json(&["show", "--sysfs", &host("4xgh200")]);
    for (i, n) in v["nodes"].as_array().unwrap().iter().enumerate() {
        let want = if i < 4 { i } else { i + 4 };
        assert_eq!(n["pxm"], want as u64, "node {i}");
    }
    // No SRAT: no PXM.
    let v = json(&["show", "--sysfs", &host("gb200")]);
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["pxm"].is_null())
    );
    let t = ok(&["show", "--sysfs", &host("gh200-srat")]);
    assert!(t.contains("host SRAT"), "{t}");
}

/// (guest node, host node) of each node line of a side-by-side text.
fn pairs(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .filter_map(|l| {
            let (a, b) = l.split_once(" │ ")?;
            let g = a.split_whitespace().next()?.parse().ok()?;
            let h = b.split_whitespace().next()?.parse().ok()?;
            Some((g, h))
        })
        .collect()
}

#[test]
fn side_by_side_pairs_each_guest_node_with_its_host_node() {
    // (fixture, GPUs, the expected (guest, host) pairs): the CPU node local to
    // each GPU (F2: GPUs 0008/0009 on socket 0, 0018/0019 on socket 1; F3:
    // GPU g on socket g) first, then each GPU's host nodes in order.
    let gb = {
        let mut p: Vec<(u64, u64)> = vec![(0, 0), (1, 1)];
        p.extend((2..10).map(|i| (i, i)));
        p.extend((10..18).map(|i| (i, i + 8)));
        p
    };
    let cases: Vec<(&str, Vec<&str>, Pairs)> = vec![
        (
            "gh200",
            vec!["0009:01:00.0"],
            (0..9).map(|i| (i, i)).collect(),
        ),
        (
            "gh200-srat",
            vec!["0009:01:00.0"],
            (0..9).map(|i| (i, i)).collect(),
        ),
        ("gb200", vec!["0008:01:00.0", "0018:01:00.0"], gb),
        (
            "4xgh200",
            vec!["0029:01:00.0"],
            [(0, 2)]
                .into_iter()
                .chain((1..9).map(|i| (i, i + 19)))
                .collect(),
        ),
    ];
    for (name, gpus, want) in cases {
        let root = host(name);
        let mut args = vec!["show", "--sysfs", root.as_str()];
        for g in &gpus {
            args.extend(["--gpu", g]);
        }
        args.extend(["--vcpus", "8", "--memory", "16G"]);
        let text = ok(&args);
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let got = pairs(&text);
        assert_eq!(&got[..want.len()], &want[..], "{name}\n{text}");
        // The rest are host nodes the guest leaves out, after the marker.
        assert!(
            got.len() == want.len() || text.contains("(not in the guest:)"),
            "{text}"
        );
        let v = json(&args);
        let gn = v["guest"]["nodes"].as_array().unwrap();
        assert_eq!(gn.len(), want.len(), "{name}");
        for (n, (g, h)) in gn.iter().zip(&want) {
            assert_eq!(n["node"], *g);
            assert_eq!(n["host_node"], *h);
        }
        assert_eq!(v["host"]["source"], "host");
        assert_eq!(v["guest"]["gpus"].as_array().unwrap().len(), gpus.len());
    }
}

#[test]
fn a_gb200_tray_fits_80_columns() {
    let root = host("gb200");
    let all = [
        "0008:01:00.0",
        "0009:01:00.0",
        "0018:01:00.0",
        "0019:01:00.0",
    ];
    let mut args = vec!["show", "--sysfs", root.as_str()];
    for g in &all {
        args.extend(["--gpu", g]);
    }
    for a in [vec!["show", "--sysfs", root.as_str()], args] {
        let o = Command::new(vnuma_bin())
            .args(&a)
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        assert!(o.status.success());
        let t = String::from_utf8(o.stdout).unwrap();
        assert!(t.lines().count() >= 34, "{t}");
        for l in t.lines() {
            assert!(
                l.chars().count() <= 80,
                "{} columns: {l}",
                l.chars().count()
            );
        }
        // NVIDIA's numactl -H, in blocks: within a GPU 11, other socket 120.
        assert!(
            t.contains("   2-9:    80   120    11    40    40    40"),
            "{t}"
        );
    }
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

/// Every node of `view` has its `node N` label; every GPU a `GPU …` label
/// with its handle; the node boxes are large enough to read.
fn check_labels(svg: &str, texts: &[String], view: &Value) {
    for n in view["nodes"].as_array().unwrap() {
        let label = format!("node {}", n["node"]);
        assert!(texts.contains(&label), "no text {label:?}");
        if let Some(h) = n["host_node"].as_u64() {
            let label = format!("host node {h}");
            assert!(texts.contains(&label), "no text {label:?}");
        }
    }
    for g in view["gpus"].as_array().unwrap() {
        let handle = g["handle"].as_str().unwrap();
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("GPU") && t.contains(handle)),
            "no GPU label for {handle}"
        );
    }
    let doc = roxmltree::Document::parse(svg).unwrap();
    for b in doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("node"))
    {
        let w: f64 = b.attribute("width").unwrap().parse().unwrap();
        let h: f64 = b.attribute("height").unwrap().parse().unwrap();
        assert!(w >= 90.0 && h >= 50.0);
    }
    // Every label at 8 px or more (heat-map labels of 36 nodes; the rest 10+).
    for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let size: f64 = t.attribute("font-size").unwrap().parse().unwrap();
        assert!(size >= 8.0, "{:?}", t.text());
    }
}

#[test]
fn host_and_plan_pictures_render_with_every_label() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, gpus) in facts() {
        let root = host(name);
        let out = tmp.path().join(format!("{name}.svg"));
        let o = out.display().to_string();
        ok(&["show", "--sysfs", &root, "--svg", &o]);
        let svg = std::fs::read_to_string(&out).unwrap();
        let v = json(&["show", "--sysfs", &root]);
        let t = texts(&svg);
        check_labels(&svg, &t, &v);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let boxes = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("node"))
            .count();
        assert_eq!(boxes, v["nodes"].as_array().unwrap().len(), "{name}");
        render(&svg);

        // The plan: guest and host panels in one picture.
        let out = tmp.path().join(format!("{name}-plan.svg"));
        let o = out.display().to_string();
        let mut args = vec!["show", "--sysfs", root.as_str()];
        for (bdf, _) in &gpus {
            args.extend(["--gpu", bdf]);
        }
        let j = json(&args);
        args.extend(["--svg", &o]);
        ok(&args);
        let svg = std::fs::read_to_string(&out).unwrap();
        let t = texts(&svg);
        check_labels(&svg, &t, &j["guest"]);
        check_labels(&svg, &t, &j["host"]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(
            doc.descendants()
                .filter(|n| n.attribute("class") == Some("panel"))
                .count(),
            2
        );
        let boxes = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("node"))
            .count();
        assert_eq!(
            boxes,
            j["guest"]["nodes"].as_array().unwrap().len()
                + j["host"]["nodes"].as_array().unwrap().len()
        );
        // Each guest GPU names the host GPU it is.
        for (bdf, _) in &gpus {
            assert!(
                t.iter().any(|x| x.contains(&format!("from host {bdf}"))),
                "{name}: {bdf}"
            );
        }
        render(&svg);
    }
}

#[test]
fn bad_plans_fail_cleanly() {
    let root = host("gh200");
    // --gpu needs --sysfs; an unknown GPU or node is an error, not a panic.
    for args in [
        vec!["show", "--gpu", "0009:01:00.0", "x.toml"],
        vec!["show", "--sysfs", &root, "--gpu", "0001:01:00.0"],
        vec!["show", "--sysfs", &root, "--gpu", "0009:01:00.0=40"],
        vec!["show", "--sysfs", "/nonexistent-root"],
        vec![
            "show",
            "--sysfs",
            &root,
            "--gpu",
            "0009:01:00.0",
            "--vcpus",
            "0",
        ],
    ] {
        let o = vnuma(&args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// With `VNUMA_WRITE_DOCS_IMG` set: the README's pictures, from the repository
/// root (relative paths in their titles), checked and rasterized to PNG.
#[test]
fn docs_pictures() {
    if std::env::var_os("VNUMA_WRITE_DOCS_IMG").is_none() {
        return;
    }
    std::fs::create_dir_all(root().join("docs/img")).unwrap();
    let pictures: [(&str, Vec<&str>); 2] = [
        (
            "gb200-host",
            vec!["show", "--sysfs", "tests/fixtures/hosts/gb200"],
        ),
        (
            "gh200-plan",
            vec![
                "show",
                "--sysfs",
                "tests/fixtures/hosts/gh200",
                "--gpu",
                "0009:01:00.0",
                "--vcpus",
                "16",
                "--memory",
                "64G",
            ],
        ),
    ];
    for (name, args) in pictures {
        let svg_path = format!("docs/img/{name}.svg");
        let mut a = args.clone();
        a.extend(["--svg", &svg_path]);
        let o = Command::new(vnuma_bin())
            .current_dir(root())
            .args(&a)
            .output()
            .unwrap();
        assert!(o.status.success());
        let svg = std::fs::read_to_string(root().join(&svg_path)).unwrap();
        let t = texts(&svg);
        let mut ja = args.clone();
        ja.push("--json");
        let o = Command::new(vnuma_bin())
            .current_dir(root())
            .args(&ja)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        match v.get("guest") {
            Some(g) => {
                check_labels(&svg, &t, g);
                check_labels(&svg, &t, &v["host"]);
            }
            None => check_labels(&svg, &t, &v),
        }
        render(&svg)
            .save_png(root().join(format!("docs/img/{name}.png")))
            .unwrap();
    }
}
