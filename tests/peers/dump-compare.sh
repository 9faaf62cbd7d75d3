#!/usr/bin/env bash
# Dumps the Grace Hopper example's ACPI tables (vnuma qemu-dump --all) with QEMU 10.0.2 (host)
# and QEMU 11.1.3 (the trixie root's wrapper), with and without -nodefaults, and compares
# every table byte for byte. Usage: tests/peers/dump-compare.sh [VNUMA] [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
vnuma=${1:-$repo/target/release/vnuma}
out=${2:-$(mktemp -d)}
trixie=${VNUMA_TRIXIE_DIR:-/var/cache/vnuma-trixie}/bin
args=$repo/examples/grace-hopper/qemu-args.txt
for ver in 10.0.2 11.1.3; do
    if [ "$ver" = 10.0.2 ]; then q=$(command -v qemu-system-x86_64); else q=$trixie/qemu-system-x86_64; fi
    for nd in defaults nodefaults; do
        extra=()
        [ "$nd" = nodefaults ] && extra=(-nodefaults)
        d=$out/$ver-$nd
        rm -rf "$d"
        start=$(date +%s.%N)
        "$vnuma" qemu-dump --all --qemu "$q" --args-file "$args" -o "$d" -- "${extra[@]}"
        end=$(date +%s.%N)
        printf '%s %-10s %s tables, %.2f s\n' "$ver" "$nd" "$(ls "$d" | wc -l)" "$(echo "$end - $start" | bc)"
    done
done
echo "== byte comparison (table: result)"
for a in 10.0.2-defaults 10.0.2-nodefaults 11.1.3-defaults; do
    for b in 10.0.2-nodefaults 11.1.3-defaults 11.1.3-nodefaults; do
        [[ "$a" < "$b" ]] || continue
        diffs=()
        for f in $(cd "$out/$a" && ls) $(cd "$out/$b" && ls); do
            cmp -s "$out/$a/$f" "$out/$b/$f" 2>/dev/null || diffs+=("$f")
        done
        mapfile -t diffs < <(printf '%s\n' "${diffs[@]}" | sort -u | grep .)
        echo "$a vs $b: ${diffs[*]:-identical}"
    done
done
echo "dumps in $out"
