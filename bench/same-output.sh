#!/usr/bin/env bash
# Byte comparison of `vnuma inspect` (text and --json, stdout, stderr and exit
# status) between two vnuma binaries, over every table blob in the repository
# (tests/ with its QEMU golden blobs, examples/), each blob's
# directory, bench/gen.py's size sweep and a few broken tables (truncated,
# trailing bytes, bad checksum). Used for issue 11: the streamed views must
# print exactly what the String/Value views printed.
#
# Usage: bench/same-output.sh OLD_VNUMA NEW_VNUMA    (exit 0: identical)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 bench/gen.py tables "$work/in" 64 128 256 512 1024 >&2
python3 - "$work/in" <<'PY'
import struct, sys
d = sys.argv[1]
slit = open(f"{d}/slit-64.dat", "rb").read()
open(f"{d}/bad-slit-trunc.dat", "wb").write(slit[:-5])
b = bytearray(slit + b"\x01\x02\x03"); b[4:8] = struct.pack("<I", len(b))
open(f"{d}/bad-slit-trail.dat", "wb").write(bytes(b))
open(f"{d}/bad-hmat-trunc.dat", "wb").write(open(f"{d}/hmat-64.dat", "rb").read()[:200])
b = bytearray(open(f"{d}/srat-64.dat", "rb").read()); b[9] ^= 0x55
open(f"{d}/bad-srat-cksum.dat", "wb").write(bytes(b))
PY
list=$work/list
{
    find tests examples -type f 2>/dev/null |
        grep -E '/(SRAT|SLIT|HMAT)[^/]*$|\.dat$' | sort
    find "$work/in" -type f | sort
    find tests examples -type f 2>/dev/null |
        grep -E '/(SRAT|SLIT|HMAT)[^/]*$' | xargs -n1 dirname | sort -u
} > "$list"
run() { # BIN OUT
    mkdir -p "$2"; local i=0
    while read -r f; do
        i=$((i + 1))
        for mode in text json; do
            flag=; [ $mode = json ] && flag=--json
            set +e; "$1" inspect $flag "$f" > "$2/$i.$mode" 2> "$2/$i.$mode.err"; echo $? >> "$2/$i.$mode.err"; set -e
        done
    done < "$list"
}
run "$old" "$work/old"; run "$new" "$work/new"
n=$(wc -l < "$list")
if diff -rq "$work/old" "$work/new"; then
    echo "identical: $n inputs x (text, --json), $(du -sb "$work/new" | cut -f1) bytes of output"
else
    exit 1
fi
