#!/usr/bin/env bash
# Regenerates tests/data/libvirt/NAME.argv from NAME.xml with libvirt 12.9 in the trixie root
# (.ci/setup-trixie): `virsh -c qemu:///system domxml-to-native qemu-argv NAME.xml`, each on a
# freshly started libvirtd (its Generic Initiator id counter is daemon-wide, so the ids in an
# .argv depend on what the daemon converted before). Also validates each XML with
# virt-xml-validate, and then records the GI id counter's behaviour (gi-counter.txt).
# Usage: tests/peers/libvirt-argv.sh [DATADIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:-$(cd "$here/../data/libvirt" && pwd)}
tdir=${VNUMA_TRIXIE_DIR:-/var/cache/vnuma-trixie}
bin=$tdir/bin
root=$tdir/root
restart() { "$bin/libvirt-stop"; "$bin/libvirt-start"; }
trap '"$bin/libvirt-stop"' EXIT

for x in "$data"/*.xml; do
    n=$(basename "$x" .xml)
    restart
    "$bin/virsh" domxml-to-native qemu-argv "$x" > "$data/$n.argv"
    cp "$x" "$root/tmp/$n.xml"
    printf '%s: ' "$n"
    chroot "$root" virt-xml-validate "/tmp/$n.xml" domain 2>&1 | tail -1
    rm -f "$root/tmp/$n.xml"
done

# GI ids: what one domain's command line gets on successive conversions.
gi_ids() { grep -o '"id":"gi[0-9]*"' | sed 's/"id":"\(gi[0-9]*\)"/\1/' | tr '\n' ' '; echo; }
x=$data/gh-q35.xml
{
    echo "# GI ids libvirt $("$bin/virsh" --version 2>/dev/null || true) gives gh-q35.xml (8 GI objects per conversion)"
    restart
    for i in 1 2 3; do echo "fresh daemon, domxml-to-native #$i: $("$bin/virsh" domxml-to-native qemu-argv "$x" | gi_ids)"; done
    restart
    echo "after daemon restart:               $("$bin/virsh" domxml-to-native qemu-argv "$x" | gi_ids)"
    "$bin/virsh" define "$x" >/dev/null
    echo "defined, --domain #1:               $("$bin/virsh" domxml-to-native qemu-argv --domain vnuma-gh-q35 | gi_ids)"
    echo "defined, --domain #2:               $("$bin/virsh" domxml-to-native qemu-argv --domain vnuma-gh-q35 | gi_ids)"
    "$bin/virsh" undefine vnuma-gh-q35 >/dev/null
    "$bin/virsh" define "$x" >/dev/null
    echo "undefined+defined, --domain:        $("$bin/virsh" domxml-to-native qemu-argv --domain vnuma-gh-q35 | gi_ids)"
    restart
    echo "daemon restarted (still defined):   $("$bin/virsh" domxml-to-native qemu-argv --domain vnuma-gh-q35 | gi_ids)"
    "$bin/virsh" undefine vnuma-gh-q35 >/dev/null
    echo "other domain first (two-gpus, 16 GIs) then gh-q35:"
    restart
    echo "  two-gpus:                         $("$bin/virsh" domxml-to-native qemu-argv "$data/two-gpus-q35.xml" | gi_ids)"
    echo "  gh-q35:                           $("$bin/virsh" domxml-to-native qemu-argv "$x" | gi_ids)"
} | tee "$data/gi-counter.txt"
