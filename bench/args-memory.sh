#!/usr/bin/env bash
# Peak memory and time of `vnuma qemu --args-file` on large argument files
# (issue 8's budget: peak RSS at most 4 x the argument bytes + 16 MiB).
#
#   bench/args-memory.sh            # VNUMA=path/to/vnuma (default target/release/vnuma)
#   WORK=dir bench/args-memory.sh   # keep the generated inputs in dir
#
# Inputs (generated, ~17 MB each):
#   dist:    bench/gen.py's 128-node line with every -numa dist pair, the pairs
#            repeated 64 times (QEMU applies each; the last wins);
#   ignored: 1.2 M options that do not shape the tables (-rtc base=utc);
#   objects: 400 k memory backends (-object memory-backend-ram,id=bN,size=1M);
#   json-objects: 250 k memory backends in JSON syntax, as libvirt writes them
#            (-object {"qom-type":"memory-backend-ram","id":"bN","size":1048576});
#   devices: 500 k -device pci-testdev,id=dN,bus=pcie.0 (QEMU refuses the 33rd:
#            the bus has 32 slots; the error path must stay within budget too);
#   numa-objects: 128 nodes, then 400 k memory backends (the /objects hash
#            order is computed over every id);
#   libvirt-gi: tests/data/qemu-11.1/gi13-args.txt with its 13 GIs in JSON
#            syntax (libvirt's counter ids: the line is parsed a second time
#            with the ids shifted), then 250 k JSON memory backends;
#   short-S, short-m, short-smp, short-object, short-device: the shortest
#            options, one a line (-S; -m 1G; -smp 2; -object x,id=bN;
#            -device x,id=dN): the argument list itself is most of the memory
#            (x stands for any object or device type).
set -euo pipefail
cd "$(dirname "$0")/.."
vnuma=${VNUMA:-target/release/vnuma}
[ -x "$vnuma" ] || cargo build --release -q
if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
python3 bench/gen.py qemu-args 128 "$work/a128.txt"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
lines = open(f"{w}/a128.txt").read().split("\n")
dist = [l for l in lines if "dist" in l]
other = [l for l in lines if l and "dist" not in l]
open(f"{w}/dist.txt", "w").write("\n".join(other + dist * 64) + "\n")
def gen(name, f, n=17_000_000):
    out, size, i = ["-machine q35", "-m 1G"], 0, 0
    while size < n:
        l = f(i); out.append(l); size += len(l) + 1; i += 1
    open(f"{w}/{name}.txt", "w").write("\n".join(out) + "\n")
gen("ignored", lambda i: "-rtc base=utc")
gen("objects", lambda i: f"-object memory-backend-ram,id=b{i},size=1M")
gen("json-objects",
    lambda i: '-object {"qom-type":"memory-backend-ram","id":"b%d","size":1048576}' % i)
gen("devices", lambda i: f"-device pci-testdev,id=d{i},bus=pcie.0")
numa = [l for l in lines if l.startswith(("-numa node", "-object", "-smp", "-m "))]
def gen_numa(i):
    return numa[i] if i < len(numa) else f"-object memory-backend-ram,id=x{i},size=1M"
gen("numa-objects", gen_numa)
gi13 = [l for l in open("tests/data/qemu-11.1/gi13-args.txt").read().split("\n") if l]
gi13 = [l for l in gi13 if "generic-initiator" not in l] + [
    '-object {"qom-type":"acpi-generic-initiator","id":"gi%d","pci-dev":"gpu0","node":%d}'
    % (i, i + 2) for i in range(13)]
def gen_gi(i):
    return gi13[i] if i < len(gi13) else (
        '-object {"qom-type":"memory-backend-ram","id":"x%d","size":1048576}' % i)
gen("libvirt-gi", gen_gi)
gen("short-S", lambda i: "-S")
gen("short-m", lambda i: "-m 1G")
gen("short-smp", lambda i: "-smp 2")
gen("short-object", lambda i: f"-object x,id=b{i}")
gen("short-device", lambda i: f"-device x,id=d{i}")
PY
printf '| input | bytes | peak RSS MiB | budget MiB (4x + 16) | seconds | exit | within |\n|---|---:|---:|---:|---:|---:|---|\n'
for f in dist ignored objects json-objects devices numa-objects libvirt-gi \
    short-S short-m short-smp short-object short-device; do
    bytes=$(stat -c %s "$work/$f.txt")
    rc=0
    /usr/bin/time -o "$work/time" -f '%M %e' "$vnuma" qemu --args-file "$work/$f.txt" >/dev/null 2>"$work/err" || rc=$?
    read -r kb secs < <(tail -n 1 "$work/time")
    python3 -c "
b=$bytes; kb=$kb; rss=kb/1024; budget=4*b/1048576+16
print(f'| $f | {b:,} | {rss:.1f} | {budget:.1f} | $secs | $rc | {\"yes\" if rss<=budget else \"no\"} |')"
done
