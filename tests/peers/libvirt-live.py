#!/usr/bin/env python3
"""Runs libvirt-generated command lines (tests/data/libvirt/NAME.argv) on the live QEMU 11.1.3
of the trixie root through `vnuma qemu-dump` and stores what QEMU built: OUT/NAME/SRAT.dat,
SLIT.dat, HMAT.dat (those QEMU built), OUT/NAME/no-tables.txt when QEMU accepts the line but
builds no ACPI tables at all, or OUT/NAME/error.txt with QEMU's error line (its timestamp and
program name removed) when it refuses the line.

Usage: libvirt-live.py VNUMA OUT NAME.argv...
       (e.g. tests/peers/libvirt-live.py target/debug/vnuma tests/data/libvirt/live
             tests/data/libvirt/pxb-pc.argv)

The line is split as a shell would and only what cannot run here is replaced, every id kept
(as tests/trixie/mod.rs `runnable` does): vfio-pci → pci-testdev with the same id, bus and
addr; the `secret` object gets inline `data`; the monitor's socket chardev → a null chardev;
a memory backend's `mem-path` → /tmp inside the root (a directory: QEMU makes its own file);
the EDK2 variable store → a copy of the root's AAVMF_VARS.fd.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

TRIXIE = os.environ.get("VNUMA_TRIXIE_DIR", "/var/cache/vnuma-trixie")
ROOT = TRIXIE + "/root"
TABLES = ("SRAT", "SLIT", "HMAT")


def runnable(words, vars_path):
    while words and "=" in words[0] and not words[0].startswith("/"):
        words = words[1:]
    binary, words = words[0], words[1:]
    out = []
    it = iter(words)
    for w in it:
        if w in ("-object", "-device", "-blockdev"):
            v = next(it)
            if v.startswith("{"):
                o = json.loads(v)
                if o.get("driver") == "vfio-pci":
                    o = {k: o[k] for k in ("id", "bus", "addr") if k in o} | {"driver": "pci-testdev"}
                elif o.get("qom-type") == "secret":
                    o.pop("file", None)
                    o["data"] = "vnuma"
                elif "mem-path" in o:
                    o["mem-path"] = "/tmp"
                elif str(o.get("filename", "")).startswith("/var/lib/libvirt/qemu/nvram/"):
                    o["filename"] = vars_path
                v = json.dumps(o, separators=(",", ":"))
            out += [w, v]
        elif w == "-chardev":
            v = next(it)
            if v.startswith("socket,"):
                cid = [p for p in v.split(",") if p.startswith("id=")][0]
                v = "null," + cid
            out += [w, v]
        else:
            out.append(w)
    return os.path.basename(binary), out


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    vnuma, outdir = sys.argv[1:3]
    for argv in sys.argv[3:]:
        name = os.path.basename(argv).rsplit(".", 1)[0]
        vars_path = f"/tmp/vnuma-live-{name}_VARS.fd"
        binary, args = runnable(shlex.split(open(argv).read()), vars_path)
        if "aarch64" in binary:
            shutil.copy(f"{ROOT}/usr/share/AAVMF/AAVMF_VARS.fd", ROOT + vars_path)
        dest = os.path.join(outdir, name)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        tmp = dest + ".tmp"
        r = subprocess.run([vnuma, "qemu-dump", "--qemu", f"{TRIXIE}/bin/{binary}", "--timeout", "120",
                            "-o", tmp, "--"] + args, capture_output=True, text=True)
        if os.path.exists(ROOT + vars_path):
            os.remove(ROOT + vars_path)
        if r.returncode == 0:
            for t in TABLES:
                if os.path.exists(f"{tmp}/{t}.dat"):
                    shutil.copy(f"{tmp}/{t}.dat", f"{dest}/{t}.dat")
            print(f"{name}: {' '.join(sorted(os.listdir(dest)))}")
        elif "QEMU built no ACPI tables" in r.stderr:
            # QEMU accepted the line and built no ACPI at all (e.g. acpi=off).
            open(f"{dest}/no-tables.txt", "w").write(r.stderr.strip().splitlines()[-1] + "\n")
            print(f"{name}: no tables")
        else:
            line = [l for l in r.stderr.splitlines() if l.strip()][-1]
            line = re.sub(r"^\S+Z ", "", line)
            line = re.sub(r"^qemu-system-\w+: ", "", line)
            open(f"{dest}/error.txt", "w").write(line + "\n")
            print(f"{name}: error: {line}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
