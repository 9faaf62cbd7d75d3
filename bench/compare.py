#!/usr/bin/env python3
"""Side-by-side timing driver for bench/compare.sh (run that, not this).

Environment: VNUMA (the vnuma binary), N (paired runs per case), WORK (a
scratch directory holding the generated inputs under WORK/in), ROOT (the
repository root). Prints markdown to stdout.

Each case runs its commands interleaved (vnuma text, vnuma --json, peer, then
again) N times; the figure is the median wall time of a run, measured around
fork/exec/wait from Python (the same overhead for every command). Peak RSS is
GNU time's %M of one extra run of each command. Output bytes are what the
command printed (vnuma) or wrote (iasl's .dsl).
"""

import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

VNUMA = os.path.abspath(os.environ["VNUMA"])
N = int(os.environ.get("N", "5"))
WORK = os.environ["WORK"]
ROOT = os.environ["ROOT"]
INP = os.path.join(WORK, "in")
GNU_TIME = shutil.which("time", path="/usr/bin") or "/usr/bin/time"


class Cmd:
    """One command of a case: argv, working directory, file its output goes to."""

    def __init__(self, label, argv, cwd, out_file, out_is_stdout=True):
        self.label, self.argv, self.cwd = label, argv, cwd
        self.out_file, self.out_is_stdout = out_file, out_is_stdout
        self.times = []
        self.cpu = []  # user + sys seconds of the child, per run
        self.rss_kib = None
        self.out_bytes = None

    def run_once(self):
        stdout = open(self.out_file, "wb") if self.out_is_stdout and self.out_file else subprocess.DEVNULL
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(self.argv, cwd=self.cwd, stdout=stdout, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        if self.out_is_stdout:
            stdout.close()
        if p.returncode != 0:
            sys.stderr.write(f"{self.label}: exit {p.returncode}: {' '.join(self.argv)}\n")
            sys.stderr.write(p.stderr.decode(errors="replace")[-2000:])
            raise SystemExit(1)
        self.times.append(dt)

    def measure_rss(self):
        rss = os.path.join(WORK, "rss.txt")
        stdout = open(self.out_file, "wb") if self.out_is_stdout else subprocess.DEVNULL
        subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", rss] + self.argv,
            cwd=self.cwd, stdout=stdout, stderr=subprocess.DEVNULL, check=True,
        )
        if self.out_is_stdout:
            stdout.close()
        with open(rss) as f:
            self.rss_kib = int(f.read().split()[-1])
        self.out_bytes = os.path.getsize(self.out_file)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def cpu_median(self):
        return statistics.median(self.cpu)

    @property
    def spread(self):
        """(max - min) / median of the wall times: how noisy this command was."""
        return (max(self.times) - min(self.times)) / self.median


def run_case(cmds, rss=True):
    for c in cmds:  # warm-up (page cache, binary)
        c.run_once()
        c.times.clear()
        c.cpu.clear()
    for _ in range(N):
        for c in cmds:
            c.run_once()
    if rss:
        for c in cmds:
            c.measure_rss()
    return cmds


def inspect_cmds(path, tag):
    """vnuma inspect (text, JSON) and iasl -d on a copy named after the signature."""
    d = os.path.join(WORK, "run", tag)
    os.makedirs(d, exist_ok=True)
    sig = open(path, "rb").read(4).decode()
    copy = os.path.join(d, f"{sig}.dat")
    shutil.copyfile(path, copy)
    return [
        Cmd("vnuma inspect", [VNUMA, "inspect", copy], d, os.path.join(d, "vnuma.txt")),
        Cmd("vnuma inspect --json", [VNUMA, "inspect", "--json", copy], d, os.path.join(d, "vnuma.json")),
        Cmd("iasl -d", ["iasl", "-d", f"{sig}.dat"], d, os.path.join(d, f"{sig}.dsl"), out_is_stdout=False),
    ]


def inspect_cmds_null(path, tag):
    """inspect_cmds with no output sink: vnuma's stdout and iasl's .dsl (a link to
    /dev/null, which iasl opens and writes like a file) both go to /dev/null."""
    d = os.path.join(WORK, "run", tag + "-null")
    os.makedirs(d, exist_ok=True)
    sig = open(path, "rb").read(4).decode()
    copy = os.path.join(d, f"{sig}.dat")
    shutil.copyfile(path, copy)
    dsl = os.path.join(d, f"{sig}.dsl")
    if os.path.lexists(dsl):
        os.remove(dsl)
    os.symlink("/dev/null", dsl)
    return [
        Cmd("vnuma inspect", [VNUMA, "inspect", copy], d, None, out_is_stdout=False),
        Cmd("vnuma inspect --json", [VNUMA, "inspect", "--json", copy], d, None, out_is_stdout=False),
        Cmd("iasl -d", ["iasl", "-d", f"{sig}.dat"], d, None, out_is_stdout=False),
    ]


def ms(s):
    return f"{s * 1e3:.1f}" if s >= 0.01 else f"{s * 1e3:.2f}"


def mib(kib):
    return f"{kib / 1024:.1f}"


def fmt_bytes(b):
    return f"{b:,}".replace(",", " ")


def verdict(ok):
    return "met" if ok else "**not met**"


def target_lines(cases, results, how, measure):
    """One line per case with a target: iasl's measure over vnuma's, text and JSON."""
    for label, _, target in cases:
        if target is None:
            continue
        t, j, i = (measure(c) for c in results[label])
        rt, rj = i / t, i / j
        print(f"* target, {how}: {label}: vnuma >= {target}x faster than iasl -d: "
              f"text {rt:.1f}x ({verdict(rt >= target)}), json {rj:.1f}x ({verdict(rj >= target)})")
    print()


def inspect_section(cases):
    print("## `vnuma inspect` vs `iasl -d` (ACPICA 20200925)\n")
    print(f"Median of {N} interleaved runs each; wall time per run. RSS: peak resident set "
          "(GNU time %M). Memory budget: 2 x printed output + 8 MiB.\n")
    print("| input | bytes | vnuma text ms | vnuma --json ms | iasl -d ms | iasl/text | iasl/json "
          "| text out B | json out B | dsl out B | text RSS MiB | json RSS MiB | iasl RSS MiB "
          "| text RSS budget | json RSS budget |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    results = {}
    for label, path, _ in cases:
        t, j, i = run_case(inspect_cmds(path, label.replace(" ", "_").replace("/", "_")))
        size = os.path.getsize(path)
        budget = [c.rss_kib * 1024 <= 2 * c.out_bytes + 8 * 1024 * 1024 for c in (t, j)]
        results[label] = (t, j, i)
        print(f"| {label} | {fmt_bytes(size)} | {ms(t.median)} | {ms(j.median)} | {ms(i.median)} "
              f"| {i.median / t.median:.1f}x | {i.median / j.median:.1f}x "
              f"| {fmt_bytes(t.out_bytes)} | {fmt_bytes(j.out_bytes)} | {fmt_bytes(i.out_bytes)} "
              f"| {mib(t.rss_kib)} | {mib(j.rss_kib)} | {mib(i.rss_kib)} | {verdict(budget[0])} | {verdict(budget[1])} |")
        sys.stdout.flush()
    print()
    target_lines(cases, results, "wall time with file output", lambda c: c.median)
    print("CPU time (user + sys of the process, median of the same runs; less sensitive to other "
          "load on the machine than wall time) and the wall-time spread ((max - min) / median):\n")
    print("| input | vnuma text CPU ms | vnuma --json CPU ms | iasl -d CPU ms | iasl/text | iasl/json "
          "| wall spread text / json / iasl |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, _, _ in cases:
        t, j, i = results[label]
        ct, cj, ci = (max(c.cpu_median, 1e-4) for c in (t, j, i))
        print(f"| {label} | {ms(ct)} | {ms(cj)} | {ms(ci)} | {ci / ct:.1f}x | {ci / cj:.1f}x "
              f"| {t.spread:.0%} / {j.spread:.0%} / {i.spread:.0%} |")
    print()
    print(f"CPU time with no output sink (median of {N} more interleaved runs): vnuma's stdout and "
          "iasl's .dsl both go to /dev/null, so the figures are each tool's own work. Above, both "
          "write their output into files, and putting megabytes into the page cache is a cost of "
          "the same kind for both (for the 1.8 MB of SRAT text, more than 1 ms on this VM's ext4):\n")
    print("| input | vnuma text CPU ms | vnuma --json CPU ms | iasl -d CPU ms | iasl/text | iasl/json |")
    print("|---|---:|---:|---:|---:|---:|")
    null = {}
    for label, path, _ in cases:
        t, j, i = run_case(inspect_cmds_null(path, label.replace(" ", "_").replace("/", "_")), rss=False)
        null[label] = (t, j, i)
        ct, cj, ci = (max(c.cpu_median, 1e-4) for c in (t, j, i))
        print(f"| {label} | {ms(ct)} | {ms(cj)} | {ms(ci)} | {ci / ct:.1f}x | {ci / cj:.1f}x |")
        sys.stdout.flush()
    print()
    target_lines(cases, null, "CPU time with no output sink", lambda c: max(c.cpu_median, 1e-4))


def qemu_section(cases):
    print("## `vnuma qemu` (model) vs `vnuma qemu-dump` (live QEMU 10 builds the tables)\n")
    print(f"Median of {N} interleaved runs; `-o DIR` for both; the SRAT/SLIT/HMAT files of the two "
          "are compared byte for byte after the runs.\n")
    print("| command line | args lines | vnuma qemu ms | qemu-dump ms | ratio | vnuma qemu RSS MiB "
          "| qemu-dump RSS MiB (largest of vnuma, QEMU) | tables equal |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, args_file in cases:
        d = os.path.join(WORK, "run", "qemu-" + label.replace(" ", "_"))
        om, oq = os.path.join(d, "model"), os.path.join(d, "live")
        os.makedirs(om, exist_ok=True)
        os.makedirs(oq, exist_ok=True)
        m = Cmd("vnuma qemu", [VNUMA, "qemu", "-o", om, "--args-file", args_file], d,
                os.path.join(d, "model.txt"))
        q = Cmd("vnuma qemu-dump", [VNUMA, "qemu-dump", "-o", oq, "--args-file", args_file], d,
                os.path.join(d, "live.txt"))
        run_case([m, q])
        equal = True
        for name in ("SRAT.dat", "SLIT.dat", "HMAT.dat"):
            a, b = os.path.join(om, name), os.path.join(oq, name)
            if os.path.exists(a) != os.path.exists(b):
                equal = False
            elif os.path.exists(a) and open(a, "rb").read() != open(b, "rb").read():
                equal = False
        lines = sum(1 for ln in open(args_file) if ln.strip() and not ln.lstrip().startswith("#"))
        print(f"| {label} | {lines} | {ms(m.median)} | {ms(q.median)} | {q.median / m.median:.1f}x "
              f"| {mib(m.rss_kib)} | {mib(q.rss_kib)} | {'yes' if equal else '**NO**'} |")
        sys.stdout.flush()
    print()


def exponent(rows):
    """rows: (size, input_bytes, seconds), ascending. The scaling exponent k in
    t ~ bytes^k between the middle and the largest size (1: linear, 2:
    quadratic); start-up weighs less there than at the small sizes."""
    (_, b0, t0), (_, b1, t1) = rows[len(rows) // 2], rows[-1]
    return math.log(t1 / t0) / math.log(b1 / b0)


def sweep_section(kinds, sizes):
    print("## Size sweep (time vs input bytes)\n")
    print("Median wall per run. `marginal ns/B` is the slope from the previous size "
          "(start-up cancels out); a linear command keeps it roughly constant, a quadratic one "
          "doubles it at each doubling of the input.\n")
    print("| table | N | input bytes | vnuma text ms | marginal ns/B | vnuma --json ms | marginal ns/B "
          "| iasl -d ms | marginal ns/B |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary = []
    for kind in kinds:
        rows = {"t": [], "j": [], "i": []}
        for n in sizes:
            path = os.path.join(INP, f"{kind}-{n}.dat")
            t, j, i = run_case(inspect_cmds(path, f"sweep-{kind}-{n}"))
            b = os.path.getsize(path)
            for k, c in (("t", t), ("j", j), ("i", i)):
                rows[k].append((n, b, c.median))
            cells = []
            for k in ("t", "j", "i"):
                r = rows[k]
                slope = "" if len(r) < 2 else f"{(r[-1][2] - r[-2][2]) / (r[-1][1] - r[-2][1]) * 1e9:.2f}"
                cells += [ms(r[-1][2]), slope]
            print(f"| {kind.upper()} | {n} | {fmt_bytes(b)} | " + " | ".join(cells) + " |")
            sys.stdout.flush()
        mid = rows["t"][len(sizes) // 2][0]
        for k, name in (("t", "vnuma inspect"), ("j", "vnuma inspect --json"), ("i", "iasl -d")):
            r = rows[k]
            summary.append((kind.upper(), name, mid, sizes[-1], exponent(r),
                            r[-1][2] / r[-1][1] * 1e9))
    print()
    print("Scaling exponent k (time ~ input bytes^k) between the middle and the largest size; "
          "1 is linear. ns/B: time per input byte at the largest size, start-up included.\n")
    print("| table | command | sizes | k | ns/B at largest |")
    print("|---|---|---|---:|---:|")
    for kind, name, lo, hi, k, nspb in summary:
        print(f"| {kind} | {name} | {lo} -> {hi} | {k:.2f} | {nspb:.0f} |")
    print()


def qemu_sweep_section(files):
    print("## `vnuma qemu` size sweep (every `-numa dist` pair, so the arguments grow as N^2)\n")
    print("| nodes | args bytes | vnuma qemu ms | marginal ns/B |")
    print("|---:|---:|---:|---:|")
    prev = None
    rows = []
    for n, f in files:
        d = os.path.join(WORK, "run", f"qsweep-{n}")
        os.makedirs(d, exist_ok=True)
        (m,) = run_case([Cmd("vnuma qemu", [VNUMA, "qemu", "-o", d, "--args-file", f], d,
                             os.path.join(d, "model.txt"))])
        b = os.path.getsize(f)
        slope = "" if prev is None else f"{(m.median - prev[1]) / (b - prev[0]) * 1e9:.2f}"
        prev = (b, m.median)
        rows.append((n, b, m.median))
        print(f"| {n} | {fmt_bytes(b)} | {ms(m.median)} | {slope} |")
        sys.stdout.flush()
    print()
    print(f"Scaling exponent k between {rows[len(rows) // 2][0]} and {rows[-1][0]} nodes: "
          f"{exponent(rows):.2f} (1: linear in the argument bytes).\n")


def main():
    what = sys.argv[1:] or ["inspect", "qemu", "sweep"]
    seed = os.path.join(ROOT, "examples/grace-hopper")
    sizes = [int(s) for s in os.environ.get("SIZES", "64 128 256 512 1024").split()]
    big = max(sizes)
    if "inspect" in what:
        inspect_section([
            ("seed SLIT (grace-hopper, 10)", os.path.join(seed, "tables/SLIT.dat"), None),
            ("seed SRAT (grace-hopper)", os.path.join(seed, "tables/SRAT.dat"), None),
            (f"SLIT {big} localities", os.path.join(INP, f"slit-{big}.dat"), 20),
            (f"SRAT {big} mem + {big} GI", os.path.join(INP, f"srat-{big}.dat"), 10),
            (f"HMAT {big} x {big}", os.path.join(INP, f"hmat-{big}.dat"), None),
        ])
    if "qemu" in what:
        qemu_section([
            ("grace-hopper seed (10 nodes, 8 GI)", os.path.join(seed, "qemu-args.txt")),
            ("128 nodes, all dist pairs", os.path.join(INP, "qemu-128.txt")),
        ])
    if "sweep" in what:
        sweep_section(["slit", "srat", "hmat"], sizes)
        qemu_sweep_section([(n, os.path.join(INP, f"qemu-{n}.txt")) for n in (16, 32, 64, 128)])


if __name__ == "__main__":
    main()
