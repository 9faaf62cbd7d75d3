#!/usr/bin/env bash
# Boots a Linux guest under QEMU (TCG) with a busybox initramfs that runs
# `vnuma verify` and powers off. Prints the serial console on stdout.
#
#   run-guest.sh WORKDIR KERNEL VNUMA TOPOLOGY "VERIFY ARGS" QEMU-ARGS-FILE [PREPEND.cpio]
#
# QEMU-ARGS-FILE holds the VM's options, one option and its value per line
# (as `vnuma build` writes them). PREPEND.cpio (optional) is put in front of the
# initramfs (Linux initrd ACPI table upgrade).
set -euo pipefail
work=$1 kernel=$2 vnuma=$3 topo=$4 verify_args=$5 qargs=$6 prepend=${7:-}

root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tables}
cp "$(command -v busybox)" "$root/bin/busybox"
cp "$vnuma" "$root/bin/vnuma"
strip "$root/bin/vnuma" 2>/dev/null || true
cp "$topo" "$root/topology.toml"
printf '%s\n' "$verify_args" > "$root/verify-args"
# VNUMA_BOOT_DUMP=1: also print the node files and tables (base64) for fixtures.
[ -n "${VNUMA_BOOT_DUMP:-}" ] && touch "$root/dump"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
n=/sys/devices/system/node
for f in online has_cpu has_memory has_generic_initiator; do
    [ -e $n/$f ] && echo "NODE $f $(cat $n/$f)"
done
for d in $n/node*; do
    echo "NODE $(basename $d) distance $(cat $d/distance) cpulist $(cat $d/cpulist)"
done
if [ -e /dump ]; then
    for f in $n/online $n/has_cpu $n/has_memory $n/has_generic_initiator $n/node*/distance $n/node*/cpulist $n/node*/meminfo; do
        echo "DUMP-FILE ${f#/sys/}"; cat $f; echo "DUMP-END"
    done
    for t in SRAT SLIT HMAT; do
        [ -e /sys/firmware/acpi/tables/$t ] && { echo "DUMP-B64 firmware/acpi/tables/$t"; base64 /sys/firmware/acpi/tables/$t; echo "DUMP-END"; }
    done
fi
/bin/vnuma verify --expect /topology.toml $(cat /verify-args)
rc=$?
if [ $rc = 0 ]; then echo "VNUMA-RESULT: PASS"; else echo "VNUMA-RESULT: FAIL rc=$rc"; fi
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/initramfs.cpio"
initrd=$work/initramfs.cpio
if [ -n "$prepend" ]; then
    cat "$prepend" "$work/initramfs.cpio" > "$work/initrd-combined.img"
    initrd=$work/initrd-combined.img
fi

mapfile -t opts < "$qargs"
args=()
for o in "${opts[@]}"; do
    [ -z "$o" ] && continue
    # "-option value" -> two argv elements
    args+=("${o%% *}")
    [ "${o#* }" != "$o" ] && args+=("${o#* }")
done
accel=${VNUMA_BOOT_ACCEL:-tcg}
exec timeout "${VNUMA_BOOT_TIMEOUT:-120}" qemu-system-x86_64 \
    -accel "$accel" -nodefaults -display none -no-reboot \
    -serial stdio -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
    "${args[@]}" < /dev/null
