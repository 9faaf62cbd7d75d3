#!/usr/bin/env python3
"""Runs a libvirt-generated command line (tests/data/libvirt/NAME.argv) through `vnuma qemu-dump`
and prints the SRAT Generic Initiator order (PXMs in table order), for several starting values
K of libvirt's GI id counter (ids gi<K>.. instead of gi0..).

Usage: libvirt-gi-order.py VNUMA QEMU NAME.argv [K...]   (default K: 0 38 100)

The command line is split as a shell would (it is one shell-quoted line with leading
VAR=value words), and only what cannot run here is replaced, keeping every object id (the ids
decide the GI order): the vfio-pci host device becomes a pci-testdev with the same id, bus and
addr; the `secret` object gets inline `data` instead of its file; the monitor's socket chardev
becomes a null chardev with the same id. For a QEMU without the `monitor-qmp` object type
(10.0.2) the monitor object becomes `-mon chardev=charmonitor,id=monitor,mode=control`, as
libvirt writes for such a QEMU, and the versioned machine type (pc-q35-11.1) becomes the
unversioned alias (q35).
"""
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile


def adapt(words, k, qmp_object):
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]
    words = words[1:]  # the binary
    out = []
    it = iter(words)
    for w in it:
        if w in ("-object", "-device"):
            v = next(it)
            if v.startswith("{"):
                o = json.loads(v)
                if o.get("driver") == "vfio-pci":
                    o = {"driver": "pci-testdev", "id": o["id"], "bus": o["bus"], "addr": o["addr"]}
                elif o.get("qom-type") == "secret":
                    o.pop("file", None)
                    o["data"] = "vnuma"
                elif o.get("qom-type") == "acpi-generic-initiator":
                    o["id"] = f"gi{int(o['id'][2:]) + k}"
                elif o.get("qom-type") == "monitor-qmp" and not qmp_object:
                    out += ["-mon", f"chardev={o['chardev']},id={o['id']},mode=control"]
                    continue
                v = json.dumps(o, separators=(",", ":"))
            out += [w, v]
        elif w == "-machine" and not qmp_object:
            # pc-q35-11.1 / virt-11.1 do not exist in an older QEMU: use its newest version.
            t, _, rest = next(it).partition(",")
            t = {"pc-q35": "q35", "virt": "virt", "pc-i440fx": "pc"}.get(t.rsplit("-", 1)[0], t)
            out += [w, t + ("," + rest if rest else "")]
        elif w == "-chardev":
            v = next(it)
            if v.startswith("socket,"):
                cid = [p for p in v.split(",") if p.startswith("id=")][0]
                v = "null," + cid
            out += [w, v]
        else:
            out.append(w)
    return out


def gi_pxms(path):
    b = open(path, "rb").read()
    off, out = 48, []
    while off + 2 <= len(b) and b[off + 1]:
        if b[off] == 5:
            out.append(str(struct.unpack_from("<I", b, off + 4)[0]))
        off += b[off + 1]
    return ",".join(out)


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    vnuma, qemu, argv = sys.argv[1:4]
    ks = [int(x) for x in sys.argv[4:]] or [0, 38, 100]
    words = shlex.split(open(argv).read())
    helptext = subprocess.run([qemu, "-object", "help"], capture_output=True, text=True).stdout
    qmp_object = "monitor-qmp" in helptext
    for k in ks:
        with tempfile.TemporaryDirectory() as d:
            args = adapt(words, k, qmp_object)
            r = subprocess.run([vnuma, "qemu-dump", "--qemu", qemu, "-o", d, "--", *args],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"K={k}: qemu-dump failed: {r.stderr.strip()}")
                continue
            print(f"K={k:<4} {gi_pxms(os.path.join(d, 'SRAT.dat'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
