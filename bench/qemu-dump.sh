#!/usr/bin/env bash
# Times N `vnuma qemu-dump` runs (default 20) of the bundled Grace Hopper example
# (q35, 10 NUMA nodes, 8 Generic Initiators behind a root port) and, for
# comparison, of a 1-node pc machine. Prints mean and min/max wall time per dump.
# Usage: bench/qemu-dump.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
cargo build --release --quiet
bin=target/release/vnuma
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bench() {
    local label=$1; shift
    : > "$out/times"
    for _ in $(seq "$n"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$bin" qemu-dump -o "$out" "$@" >/dev/null
        t1=$(date +%s.%N)
        echo "$t0 $t1" >> "$out/times"
    done
    awk -v label="$label" '
        { d = $2 - $1; s += d; if (NR == 1 || d < lo) lo = d; if (d > hi) hi = d }
        END { printf "%-36s n=%d mean=%.3f s min=%.3f s max=%.3f s\n", label, NR, s / NR, lo, hi }
    ' "$out/times"
}

bench "grace-hopper (q35, 10 nodes, 8 GI)" --args-file examples/grace-hopper/qemu-args.txt
bench "pc, 1 node" -- -machine pc -m 128M -object memory-backend-ram,id=m0,size=128M -numa node,memdev=m0
