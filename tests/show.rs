//! `vnuma show` (terminal, JSON, SVG), `vnuma completions` and `vnuma man`,
//! driven through the binary.
//!
//! Expectations come from outside vnuma: the tables QEMU 10.0.2 dumped for the
//! Grace Hopper example (examples/grace-hopper/tables, whose GI order a booted
//! guest confirmed: PXM 7 is Linux node 2), the published GB200 tray topology
//! (NVIDIA's `numactl -H`: 2 CPU nodes, 4 GPUs × 8 nodes, distances 10/11/40/80/120),
//! a real SVG renderer (resvg) and XML parser (roxmltree), and bash itself.
//!
//! `VNUMA_WRITE_DOCS_IMG=1 cargo test --test show` also writes the pictures of
//! the README (docs/img/*.svg and *.png).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use std::path::Path;
use std::process::Command;

use common::{
    render_svg as render, root, vnuma, vnuma_bin, vnuma_json as json, vnuma_stdout as ok,
};
use serde_json::Value;

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn pixel(p: &resvg::tiny_skia::Pixmap, x: f64, y: f64) -> [u8; 3] {
    let c = p
        .pixel(x.round() as u32, y.round() as u32)
        .expect("inside the picture");
    [c.red(), c.green(), c.blue()]
}

fn attr_f(n: &roxmltree::Node, a: &str) -> f64 {
    n.attribute(a).unwrap().parse().unwrap()
}

/// Checks a picture: well-formed XML; every node and GPU label a `<text>`;
/// every node box painted (not background) once rendered; the heat map
/// darker for farther nodes. Returns the rendered pixmap.
fn check_svg(svg: &str, view: &Value) -> resvg::tiny_skia::Pixmap {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect();
    let nodes = view["nodes"].as_array().unwrap();
    for n in nodes {
        let label = format!("node {}", n["node"]);
        assert!(texts.contains(&label), "no text {label:?}");
        for d in n["devices"].as_array().unwrap() {
            let name = d["name"].as_str().unwrap_or(d["handle"].as_str().unwrap());
            assert!(
                texts.iter().any(|t| t.contains(name)),
                "no text naming device {name}"
            );
        }
    }
    for g in view["gpus"].as_array().unwrap() {
        let handle = g["handle"].as_str().unwrap();
        let name = g["name"].as_str().unwrap_or(handle);
        assert!(
            texts
                .iter()
                .any(|t| t.contains(handle) && t.contains(name) && t.starts_with("GPU")),
            "no GPU label for {name} {handle}"
        );
    }
    let pix = render(svg);
    let boxes: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("node"))
        .collect();
    assert_eq!(boxes.len(), nodes.len(), "one box per node");
    for b in &boxes {
        let (x, y, w, h) = (
            attr_f(b, "x"),
            attr_f(b, "y"),
            attr_f(b, "width"),
            attr_f(b, "height"),
        );
        assert!(w >= 90.0 && h >= 50.0, "box too small for its labels");
        let mut painted = 0;
        let mut total = 0;
        for i in 1..10 {
            for j in 1..10 {
                let c = pixel(
                    &pix,
                    x + w * f64::from(i) / 10.0,
                    y + h * f64::from(j) / 10.0,
                );
                total += 1;
                if c != [255, 255, 255] {
                    painted += 1;
                }
            }
        }
        assert_eq!(
            painted,
            total,
            "node box {:?} not painted",
            b.attribute("data-node")
        );
    }
    pix
}

/// The centre of the heat-map cell whose tooltip is `title`.
fn cell(svg: &str, title: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let r = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("rect")
                && n.children()
                    .any(|c| c.has_tag_name("title") && c.text() == Some(title))
        })
        .unwrap_or_else(|| panic!("no cell {title}"));
    (
        attr_f(&r, "x") + attr_f(&r, "width") / 2.0,
        attr_f(&r, "y") + attr_f(&r, "height") / 2.0,
    )
}

fn luminance(c: [u8; 3]) -> f64 {
    0.299 * f64::from(c[0]) + 0.587 * f64::from(c[1]) + 0.114 * f64::from(c[2])
}

/// With `VNUMA_WRITE_DOCS_IMG` set: `vnuma show examples/NAME.toml --svg
/// docs/img/NAME.svg` from the repository root (relative paths in the
/// picture's title), checked like any other picture and rasterized to
/// docs/img/NAME.png.
fn write_docs(name: &str) {
    if std::env::var_os("VNUMA_WRITE_DOCS_IMG").is_none() {
        return;
    }
    std::fs::create_dir_all(root().join("docs/img")).unwrap();
    let svg_path = format!("docs/img/{name}.svg");
    let src = format!("examples/{name}.toml");
    let o = Command::new(vnuma_bin())
        .current_dir(root())
        .args(["show", &src, "--svg", &svg_path])
        .output()
        .unwrap();
    assert!(o.status.success());
    let svg = std::fs::read_to_string(root().join(&svg_path)).unwrap();
    let v = json(&["show", &example(&format!("{name}.toml"))]);
    let pix = check_svg(&svg, &v);
    pix.save_png(root().join(format!("docs/img/{name}.png")))
        .unwrap();
}

fn svg_of(args: &[&str], out: &Path) -> String {
    let mut a = args.to_vec();
    let o = out.display().to_string();
    a.extend(["--svg", &o]);
    ok(&a);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn gb200_tray_shows_four_gpus_of_eight_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = example("gb200-tray.toml");
    let v = json(&["show", &src]);
    let gpus = v["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 4);
    for (g, first) in gpus.iter().zip([2u64, 10, 18, 26]) {
        let nodes: Vec<u64> = g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        assert_eq!(nodes, (first..first + 8).collect::<Vec<_>>());
    }
    // NVIDIA's numactl -H: the 34×34 matrix is 6×6 blocks.
    assert_eq!(
        v["distance_groups"],
        serde_json::json!([[0, 0], [1, 1], [2, 9], [10, 17], [18, 25], [26, 33]])
    );
    let text = ok(&["show", &src]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(!text.contains('\x1b'), "no colour into a pipe");
    assert!(
        text.contains("   2-9:    80   120    11    40    40    40"),
        "{text}"
    );
    assert!(
        text.contains("GPU gpu3 (0000:04:00.0): 8 nodes 26-33"),
        "{text}"
    );

    let svg = svg_of(&["show", &src], &tmp.path().join("tray.svg"));
    let pix = check_svg(&svg, &v);
    // At a glance: within a GPU is pale, a GPU of the other socket dark.
    let near = luminance(pixel(
        &pix,
        cell(&svg, "node 2 ↔ node 3: 11").0,
        cell(&svg, "node 2 ↔ node 3: 11").1,
    ));
    let mid = luminance(pixel(
        &pix,
        cell(&svg, "node 0 ↔ node 2: 80").0,
        cell(&svg, "node 0 ↔ node 2: 80").1,
    ));
    let far = luminance(pixel(
        &pix,
        cell(&svg, "node 0 ↔ node 18: 120").0,
        cell(&svg, "node 0 ↔ node 18: 120").1,
    ));
    assert!(near > mid + 40.0 && mid > far + 20.0, "{near} {mid} {far}");
    write_docs("gb200-tray");
}

#[test]
fn grace_hopper_from_qemu_tables_and_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    // QEMU 10.0.2's own tables: PXM 7 is the first GI entry, so Linux node 2.
    let tables = example("grace-hopper/tables");
    let v = json(&["show", &tables]);
    assert_eq!(v["nodes"].as_array().unwrap().len(), 10);
    assert_eq!(v["nodes"][2]["pxm"], 7);
    assert_eq!(v["nodes"][0]["cpus"], serde_json::json!([0, 1]));
    assert_eq!(v["gpus"][0]["handle"], "0000:01:00.0");
    assert_eq!(
        v["gpus"][0]["nodes"],
        serde_json::json!([2, 3, 4, 5, 6, 7, 8, 9])
    );
    // The same command line through QEMU 10.0's rules: the same nodes, named.
    let args = std::fs::read_to_string(example("grace-hopper/qemu-args.txt")).unwrap();
    let mut a: Vec<String> = vec![
        "show".into(),
        "--qemu-version".into(),
        "10.0".into(),
        "--json".into(),
        "--".into(),
    ];
    for l in args
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut it = l.splitn(2, char::is_whitespace);
        a.push(it.next().unwrap().into());
        if let Some(v) = it.next() {
            a.push(v.trim().into());
        }
    }
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let q: Value = serde_json::from_str(&ok(&refs)).unwrap();
    assert_eq!(q["nodes"].as_array().unwrap().len(), 10);
    for (x, y) in q["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v["nodes"].as_array().unwrap())
    {
        assert_eq!(x["pxm"], y["pxm"]);
        assert_eq!(x["cpus"], y["cpus"]);
        assert_eq!(x["memory"], y["memory"]);
    }
    assert_eq!(q["gpus"][0]["name"], "gpu0");
    assert_eq!(q["distances"], v["distances"]);

    // The seed example's picture.
    let src = example("grace-hopper.toml");
    let g = json(&["show", &src]);
    let svg = svg_of(&["show", &src], &tmp.path().join("gh.svg"));
    check_svg(&svg, &g);
    write_docs("grace-hopper");
}

#[test]
fn four_gh200_size_renders() {
    // 4×GH200: 36 nodes, CPUs on 0-3, GPUs 4-11, 12-19, 20-27, 28-35.
    let tmp = tempfile::tempdir().unwrap();
    let mut t = String::from(
        "[machine]\ntype = \"virt\"\nmemory = \"4G\"\n[cpus]\ncount = 8\nsockets = 4\n",
    );
    for i in 0..4 {
        t.push_str(&format!(
            "[[node]]\nmemory = \"1G\"\ncpus = \"{}-{}\"\n",
            2 * i,
            2 * i + 1
        ));
    }
    t.push_str("[[node]]\nid = \"4-35\"\n");
    for g in 0..4 {
        t.push_str(&format!(
            "[[pci]]\nid = \"rp{g}\"\ndriver = \"pcie-root-port\"\nbus = \"pcie.0\"\naddr = \"0{}.0\"\nprops = \"chassis={}\"\n\
             [[pci]]\nid = \"gpu{g}\"\ndriver = \"pci-testdev\"\nbus = \"rp{g}\"\naddr = \"00.0\"\n\
             [[generic-initiator]]\ndevice = \"gpu{g}\"\nnodes = \"{}-{}\"\n",
            g + 4,
            g + 1,
            4 + 8 * g,
            11 + 8 * g
        ));
    }
    let f = tmp.path().join("4gh200.toml");
    std::fs::write(&f, t).unwrap();
    let f = f.display().to_string();
    let v = json(&["show", &f]);
    assert_eq!(v["nodes"].as_array().unwrap().len(), 36);
    assert_eq!(v["gpus"].as_array().unwrap().len(), 4);
    let text = ok(&["show", &f]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let svg = svg_of(&["show", &f], &tmp.path().join("4gh200.svg"));
    check_svg(&svg, &v);
}

#[test]
fn svg_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let src = example("grace-hopper.toml");
    // A directory in the way: refused, nothing else written.
    let dir = tmp.path().join("pic.svg");
    std::fs::create_dir(&dir).unwrap();
    let o = vnuma(&["show", &src, "--svg", &dir.display().to_string()]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    // A missing source: exit 1, an error.
    let o = vnuma(&["show", "/nonexistent/topology.toml"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn bash_completion_loads() {
    if !common::have_tool("bash") {
        return;
    }
    let script = format!(
        "source <({} completions bash) && complete -p vnuma",
        vnuma_bin()
    );
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("vnuma"));
    for shell in ["zsh", "fish"] {
        let s = ok(&["completions", shell]);
        assert!(s.contains("show") && s.contains("inspect"), "{shell}");
    }
}

#[test]
fn man_pages_and_help_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let page = ok(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH vnuma"),
        "{page}"
    );
    ok(&["man", "-o", &tmp.path().display().to_string()]);
    let help = ok(&["--help"]);
    let subs: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| *s != "help")
        .collect();
    assert!(subs.len() >= 10, "{subs:?}");
    for s in &subs {
        let h = ok(&[s, "--help"]);
        assert!(h.contains("Example"), "vnuma {s} --help has no example");
        let man = tmp.path().join(format!("vnuma-{s}.1"));
        assert!(man.is_file(), "{}", man.display());
    }
    assert!(tmp.path().join("vnuma.1").is_file());
}

#[test]
fn libvirt_log_shows_the_scrambled_gpu_nodes() {
    // libvirt 12.9's command line for two <hostdev>s with nodesets 2-9 and
    // 10-17 (tests/data/libvirt/two-gpus-q35.xml); QEMU 11.1.3 builds the GI
    // structures in the PXM order of gi-order.txt (K=0), so Linux nodes 2..17
    // are these PXMs.
    let log = common::data_dir().join("libvirt/two-gpus-q35.argv");
    let v = json(&[
        "show",
        "--qemu-version",
        "11.1",
        "--libvirt-log",
        &log.display().to_string(),
    ]);
    let pxms: Vec<u64> = v["nodes"].as_array().unwrap()[2..]
        .iter()
        .map(|n| n["pxm"].as_u64().unwrap())
        .collect();
    assert_eq!(
        pxms,
        [11, 14, 17, 3, 6, 9, 12, 15, 4, 7, 10, 13, 16, 2, 5, 8]
    );
    let mut sets: Vec<Vec<u64>> = v["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let mut p: Vec<u64> = g["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| {
                    v["nodes"][n.as_u64().unwrap() as usize]["pxm"]
                        .as_u64()
                        .unwrap()
                })
                .collect();
            p.sort();
            p
        })
        .collect();
    sets.sort();
    assert_eq!(sets, [(2..10).collect::<Vec<u64>>(), (10..18).collect()]);
    assert_eq!(v["source"], "libvirt-log");
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    // util-linux `script` runs vnuma on a pseudo-terminal.
    if !common::have_tool("script") {
        return;
    }
    let src = example("grace-hopper.toml");
    let run = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &format!("{} show {src}", vnuma_bin()), "/dev/null"]);
        c.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).contains('\x1b')
    };
    assert!(run(None), "a terminal gets colour");
    assert!(!run(Some("1")), "NO_COLOR=1 turns it off");
    // And into a pipe: none.
    assert!(!ok(&["show", &src]).contains('\x1b'));
}

/// A tool, not a check: `VNUMA_RENDER_SVG=in.svg cargo test --test show
/// render_svg_file -- --ignored` writes in.svg.png with the renderer the tests use.
#[test]
#[ignore]
fn render_svg_file() {
    let Some(p) = std::env::var_os("VNUMA_RENDER_SVG") else {
        return;
    };
    let svg = std::fs::read_to_string(&p).unwrap();
    let mut out = std::path::PathBuf::from(&p).into_os_string();
    out.push(".png");
    render(&svg).save_png(out).unwrap();
}
