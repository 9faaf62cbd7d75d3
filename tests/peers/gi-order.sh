#!/usr/bin/env bash
# The SRAT Generic Initiator order (PXMs in table order) that QEMU 10.0.2 (host) and QEMU 11.1.3
# (trixie root) build for the guest of gi-args.py (G GI nodes, objects gi<K>..). Rows: each QEMU with its
# default devices, with -nodefaults, and (11.1.3) -nodefaults plus one HMP monitor on a null
# chardev, which puts back the `compat_monitor0` object the default monitor adds to /objects.
# G=8, K=0 is examples/grace-hopper/qemu-args.txt without its distances.
# Usage: tests/peers/gi-order.sh [VNUMA] [G:K ...]   (default: 8:0 8:8 8:24 8:38 8:100 13:0 13:8)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
vnuma=${1:-$repo/target/release/vnuma}
shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(8:0 8:8 8:24 8:38 8:100 13:0 13:8)
trixie=${VNUMA_TRIXIE_DIR:-/var/cache/vnuma-trixie}/bin
q10=$(command -v qemu-system-x86_64)
q11=$trixie/qemu-system-x86_64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen() { python3 "$here/gi-args.py" "$1" "$2"; }
gi_pxms() { # SRAT.dat -> PXMs of its type-5 entries, in order
    python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, out = 48, []
while off + 2 <= len(b) and b[off + 1]:
    if b[off] == 5:
        out.append(str(struct.unpack_from("<I", b, off + 4)[0]))
    off += b[off + 1]
print(",".join(out))
PY
}
order() { # QEMU EXTRA-ARGS...
    local q=$1
    shift
    rm -rf "$work/out"
    "$vnuma" qemu-dump --qemu "$q" --args-file "$work/args.txt" -o "$work/out" -- "$@" >/dev/null
    gi_pxms "$work/out/SRAT.dat"
}
for c in "${cases[@]}"; do
    g=${c%:*} k=${c#*:}
    gen "$g" "$k" > "$work/args.txt"
    echo "G=$g K=$k"
    echo "  10.0.2                        $(order "$q10")"
    echo "  10.0.2 -nodefaults            $(order "$q10" -nodefaults)"
    echo "  11.1.3                        $(order "$q11")"
    echo "  11.1.3 -nodefaults            $(order "$q11" -nodefaults)"
    echo "  11.1.3 -nodefaults + monitor  $(order "$q11" -nodefaults -chardev null,id=mon0 -mon chardev=mon0,mode=readline)"
done
