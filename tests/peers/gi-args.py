#!/usr/bin/env python3
"""QEMU arguments for a Grace-Hopper-like q35 guest: 2 CPU+memory nodes (backends m0, m1) and
one GPU (pci-testdev behind a PCIe root port) with G memoryless Generic Initiator nodes
2..G+1, whose objects are named gi<K>..gi<K+G-1> (K plays libvirt's daemon-wide counter).
G=8, K=0 is examples/grace-hopper/qemu-args.txt without its distances.

Usage: gi-args.py G K [--argv]   (default: args-file format, "-opt value" per line;
--argv: one argument per line)
"""
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    g, k = int(sys.argv[1]), int(sys.argv[2])
    pairs = [("-machine", "q35"), ("-smp", "4,sockets=2"), ("-m", "1G"),
             ("-object", "memory-backend-ram,id=m0,size=512M"),
             ("-object", "memory-backend-ram,id=m1,size=512M"),
             ("-numa", "node,nodeid=0,cpus=0-1,memdev=m0"),
             ("-numa", "node,nodeid=1,cpus=2-3,memdev=m1")]
    pairs += [("-numa", f"node,nodeid={i}") for i in range(2, 2 + g)]
    pairs += [("-device", "pcie-root-port,id=rp0,chassis=1,bus=pcie.0,addr=04.0"),
              ("-device", "pci-testdev,id=gpu0,bus=rp0,addr=00.0")]
    pairs += [("-object", f"acpi-generic-initiator,id=gi{k + p},pci-dev=gpu0,node={2 + p}")
              for p in range(g)]
    if "--argv" in sys.argv[3:]:
        print("\n".join(x for pair in pairs for x in pair))
    else:
        print("\n".join(f"{o} {v}" for o, v in pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
