#!/usr/bin/env python3
"""CPU time (user + sys, from getrusage of the children) of whole commands.

Usage: bench/cpu.py N CMD [CMD ...]   (each CMD one shell-quoted string)

Runs the commands interleaved (round 1: every command once, round 2: …), N
rounds, stdout and stderr to /dev/null, and prints per command the median and
minimum CPU ms, the mean user and sys ms (the split is tick-based, the sum is
not) and the minor page faults of the first run. Python stdlib only.
"""
import resource
import shlex
import subprocess
import sys


def main():
    n = int(sys.argv[1])
    cmds = sys.argv[2:]
    runs = {c: [] for c in cmds}
    for _ in range(n):
        for c in cmds:
            a = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(shlex.split(c), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            b = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[c].append((b.ru_utime - a.ru_utime, b.ru_stime - a.ru_stime, b.ru_minflt - a.ru_minflt))
    for c in cmds:
        r = runs[c]
        t = sorted(u + s for u, s, _ in r)
        print("%-60s med %.2f min %.2f | mean user %.2f sys %.2f | flt %d" % (
            c[:60], t[n // 2] * 1000, t[0] * 1000,
            sum(u for u, _, _ in r) / n * 1000, sum(s for _, s, _ in r) / n * 1000, r[0][2]))


if __name__ == "__main__":
    main()
