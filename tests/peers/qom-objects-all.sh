#!/usr/bin/env bash
# Records QOM /objects (qom-list over QMP) for QEMU 10.0.2 (host) and QEMU 11.1.3 (trixie
# root, .ci/setup-trixie) on q35, pc and virt, with and without -nodefaults, plus the Grace
# Hopper example (examples/grace-hopper/qemu-args.txt) and gi-args.py's guest with 13 GI nodes
# (gi0..gi12: the smallest such case where QEMU 11.1.3's GI order depends on -nodefaults, see
# gi-order.sh). Each run adds `-qmp stdio`, which stands in for the default monitor (same
# object name, compat_monitor0, in QEMU 11.1); with -nodefaults it is one object more than a
# run without any monitor has. Transcripts go to
# tests/data/qemu-11.1/qom-objects/<version>/<case>.qmp, the summary to .../summary.txt.
# Usage: tests/peers/qom-objects-all.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/tests/data/qemu-11.1/qom-objects}
trixie=${VNUMA_TRIXIE_DIR:-/var/cache/vnuma-trixie}/bin
mapfile -t gh < <(grep -v '^#' "$repo/examples/grace-hopper/qemu-args.txt" | grep . \
    | sed 's/ /\n/' )

mapfile -t gi13 < <(python3 "$here/gi-args.py" 13 0 --argv)
summary=$out/summary.txt
mkdir -p "$out"
: > "$summary"
for ver in 10.0.2 11.1.3; do
    if [ "$ver" = 10.0.2 ]; then x86=qemu-system-x86_64 arm=qemu-system-aarch64
    else x86=$trixie/qemu-system-x86_64 arm=$trixie/qemu-system-aarch64; fi
    d=$out/qemu-$ver
    mkdir -p "$d"
    echo "== QEMU $("$x86" --version | head -1)" >> "$summary"
    run() { # CASE BINARY ARGS...
        local case=$1 bin=$2; shift 2
        echo "-- $case: $* [+ -accel tcg -S -display none (-preconfig) -qmp stdio]" | cut -c1-200 >> "$summary"
        python3 "$here/qom-objects.py" "$bin" "$d/$case.qmp" "$@" >> "$summary" 2>&1 \
            || echo "FAILED" >> "$summary"
    }
    run q35 "$x86" -machine q35
    run q35-nodefaults "$x86" -machine q35 -nodefaults
    run pc "$x86" -machine pc
    run pc-nodefaults "$x86" -machine pc -nodefaults
    run virt "$arm" -machine virt
    run virt-nodefaults "$arm" -machine virt -nodefaults
    run grace-hopper "$x86" "${gh[@]}"
    run grace-hopper-nodefaults "$x86" "${gh[@]}" -nodefaults
    run gi13 "$x86" "${gi13[@]}"
    run gi13-nodefaults "$x86" "${gi13[@]}" -nodefaults
done
cat "$summary"
