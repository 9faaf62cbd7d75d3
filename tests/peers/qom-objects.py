#!/usr/bin/env python3
"""Lists the children of QEMU's QOM `/objects` container over QMP, and writes the raw transcript.

Usage: qom-objects.py QEMU OUT.qmp [QEMU ARGS...]

QEMU runs with the given arguments plus `-accel tcg -S -display none -preconfig -qmp stdio`.
Two snapshots are taken: one at `-preconfig` (before the machine is created) and one after
`x-exit-preconfig` (the state the ACPI tables are built from). When QEMU dies under
`-preconfig` (QEMU 11.1.3 does with default devices: "attempt to add duplicate property
'console[0]'"), that is logged and QEMU runs again without `-preconfig` (one snapshot).
Note: `-qmp` itself replaces the default monitor; in QEMU 11.1 every monitor is a QOM object
(`compat_monitor0`, type monitor-qmp/monitor-hmp) in `/objects`. Each
`qom-list` answer is in the iteration order of `/objects`' GLib hash table, the order in
which QEMU's ACPI code walks the Generic Initiator objects. Every line sent (`>>`) and
received (`<<`) goes to OUT.qmp; a summary goes to stdout.
"""
import json
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    qemu, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    log = []
    try:
        before, after = session(qemu, args, True, log)
    except QemuExited as e:
        log.append(f"# QEMU died under -preconfig: {e}")
        before, after = None, session(qemu, args, False, log)[1]
    with open(out, "w") as f:
        f.write("\n".join(log) + "\n")
    fmt = lambda l: " ".join(f"{n}({t[6:-1]})" for n, t in l) or "-"
    print("preconfig:", "(QEMU died under -preconfig)" if before is None else fmt(before))
    print("running:  ", fmt(after))
    return 0


class QemuExited(Exception):
    pass


def session(qemu, args, preconfig, log):
    cmd = [qemu, *args, "-accel", "tcg", "-S", "-display", "none", "-qmp", "stdio"]
    if preconfig:
        cmd.insert(-2, "-preconfig")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    log.append(f"# {' '.join(cmd)}")

    def recv():
        while True:
            line = p.stdout.readline()
            if not line:
                err = p.stderr.read()
                raise QemuExited(" ".join(err.split()))
            log.append("<< " + line.rstrip("\n"))
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def send(cmd, **arguments):
        req = {"execute": cmd}
        if arguments:
            req["arguments"] = arguments
        line = json.dumps(req)
        log.append(">> " + line)
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return recv()

    def children():
        r = send("qom-list", path="/objects")
        return [(c["name"], c["type"]) for c in r["return"] if c["type"].startswith("child<")]

    try:
        recv()  # greeting
        send("qmp_capabilities")
        before = None
        if preconfig:
            before = children()
            r = send("x-exit-preconfig")
            if "error" in r:
                raise QemuExited(f"x-exit-preconfig: {r['error']}")
        after = children()
        send("quit")
    finally:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    return before, after


if __name__ == "__main__":
    sys.exit(main())
