#!/usr/bin/env bash
# Side by side with the peers, in one run on one machine (issue 11):
#   * `vnuma inspect FILE` and `vnuma inspect --json FILE` vs `iasl -d` (ACPICA)
#     on the seed tables (examples/grace-hopper/tables), a SLIT with 1024
#     localities (1 MiB), an SRAT with 1024 memory + 1024 Generic Initiator
#     structures and an HMAT at 1024 x 1024;
#   * `vnuma qemu --args-file` (the model) vs `vnuma qemu-dump --args-file`
#     (live QEMU 10 builds the same tables) on the seed command line and on a
#     generated 128-node one with every `-numa dist` pair;
#   * a size sweep (64 .. 1024 domains; 16 .. 128 QEMU nodes) for linearity.
# Inputs come from bench/gen.py (Python stdlib, independent of vnuma's encoder).
# Prints markdown to stdout; progress and errors go to stderr.
#
# Usage: bench/compare.sh [inspect|qemu|sweep ...]   (default: all three)
# Environment: N (paired runs per case, default 5), SIZES (sweep sizes,
# default "64 128 256 512 1024"; the largest is also the headline size),
# VNUMA (binary; default: build target/release/vnuma), KEEP=1 keeps the scratch dir.
# The codec and encode throughput against rust-vmm acpi_tables is
# `cargo bench --bench peers` (benches/peers.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v /usr/bin/time >/dev/null 2>&1; then
    echo "installing GNU time (peak RSS)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q time >&2; else sudo apt-get install -y -q time >&2; fi
fi
for tool in iasl python3; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done
if [[ " $* " == *" qemu "* || $# -eq 0 ]]; then
    command -v qemu-system-x86_64 >/dev/null || { echo "compare.sh: qemu-system-x86_64 not found" >&2; exit 1; }
fi

if [ -z "${VNUMA:-}" ]; then
    cargo build --release --quiet --bin vnuma >&2
    VNUMA=$root/target/release/vnuma
fi
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "scratch: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

sizes=${SIZES:-64 128 256 512 1024}
# shellcheck disable=SC2086
python3 bench/gen.py tables "$work/in" $sizes
for n in 16 32 64 128; do
    python3 bench/gen.py qemu-args "$n" "$work/in/qemu-$n.txt"
done

echo "# vnuma side by side with peers"
echo
echo "Host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"\
     "load average at start $(cut -d' ' -f1-3 /proc/loadavg). $(date -u '+%Y-%m-%d %H:%M UTC')."
echo "vnuma $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(iasl -v 2>/dev/null | grep -o 'version [0-9]*' | head -1 | sed 's/^/iasl /'),"\
     "$(qemu-system-x86_64 --version 2>/dev/null | head -1), N=${N:-5}."
echo

VNUMA=$VNUMA WORK=$work ROOT=$root N=${N:-5} SIZES=$sizes python3 bench/compare.py "$@"
