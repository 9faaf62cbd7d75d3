#!/usr/bin/env bash
# Boots a Linux guest under QEMU (TCG) with a busybox initramfs that runs
# `vnuma verify` and powers off. Prints the serial console on stdout.
#
#   run-guest.sh WORKDIR KERNEL VNUMA TOPOLOGY "VERIFY ARGS" QEMU-ARGS-FILE [PREPEND.cpio]
#
# QEMU-ARGS-FILE holds the VM's options, one option and its value per line
# (as `vnuma build` writes them). PREPEND.cpio (optional) is put in front of the
# initramfs (Linux initrd ACPI table upgrade).
#
# VNUMA "-": no vnuma in the guest (e.g. an arm64 guest: there is no aarch64 Rust
# target here). The guest then only prints the sysfs files `vnuma verify` reads and
# the ACPI tables, between DUMP-* markers, and the host runs `vnuma verify --sysfs`
# on a tree rebuilt from them. VNUMA_BOOT_DUMP=1 prints them in any case.
#
# Environment: VNUMA_GUEST_ARCH (x86_64, default, or aarch64: `virt` booted through
# EDK2/AAVMF, console ttyAMA0), VNUMA_GUEST_BUSYBOX (a static busybox for the guest's
# architecture; default: the host's), VNUMA_AAVMF_CODE / VNUMA_AAVMF_VARS (aarch64
# firmware), VNUMA_BOOT_TIMEOUT (s, default 120), VNUMA_BOOT_ACCEL (default tcg),
# VNUMA_GUEST_QEMU (the QEMU binary; default qemu-system-ARCH from PATH),
# VNUMA_GUEST_QEMU_ROOT (that binary runs chrooted there, e.g. the trixie root's
# QEMU 11.1: WORKDIR must lie inside it; the kernel is copied into WORKDIR and the
# paths given to QEMU are relative to the root), VNUMA_BOOT_NODEFAULTS=0 (no
# -nodefaults: QEMU's default devices, as on a hand-typed command line).
set -euo pipefail
work=$1 kernel=$2 vnuma=$3 topo=$4 verify_args=$5 qargs=$6 prepend=${7:-}
arch=${VNUMA_GUEST_ARCH:-x86_64}
busybox=${VNUMA_GUEST_BUSYBOX:-$(command -v busybox)}

root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tables}
cp "$busybox" "$root/bin/busybox"
if [ "$vnuma" != - ]; then
    cp "$vnuma" "$root/bin/vnuma"
    strip "$root/bin/vnuma" 2>/dev/null || true
fi
cp "$topo" "$root/topology.toml"
printf '%s\n' "$verify_args" > "$root/verify-args"
# VNUMA_BOOT_DUMP=1 (or no vnuma in the guest): print the node files and tables (base64).
if [ -n "${VNUMA_BOOT_DUMP:-}" ] || [ "$vnuma" = - ]; then touch "$root/dump"; fi
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
n=/sys/devices/system/node
for f in online has_cpu has_memory has_generic_initiator; do
    [ -e $n/$f ] && echo "NODE $f $(cat $n/$f)"
done
echo "NODE cpu_present $(cat /sys/devices/system/cpu/present)"
for d in $n/node*; do
    echo "NODE $(basename $d) distance $(cat $d/distance) cpulist $(cat $d/cpulist)"
done
if [ -e /dump ]; then
    echo "DUMP-BEGIN"
    for f in $n/online $n/possible $n/has_cpu $n/has_memory $n/has_generic_initiator $n/node*/distance $n/node*/cpulist $n/node*/meminfo; do
        [ -e $f ] && { echo "DUMP-FILE ${f#/sys/}"; cat $f; echo "DUMP-END"; }
    done
    for t in SRAT SLIT HMAT; do
        [ -e /sys/firmware/acpi/tables/$t ] && { echo "DUMP-B64 firmware/acpi/tables/$t"; base64 /sys/firmware/acpi/tables/$t; echo "DUMP-END"; }
    done
    echo "DUMP-DONE"
fi
if [ -x /bin/vnuma ]; then
    /bin/vnuma verify --expect /topology.toml $(cat /verify-args)
    rc=$?
    if [ $rc = 0 ]; then echo "VNUMA-RESULT: PASS"; else echo "VNUMA-RESULT: FAIL rc=$rc"; fi
fi
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
qemu_root=${VNUMA_GUEST_QEMU_ROOT:-}
if [ -n "$qemu_root" ]; then
    qemu_root=${qemu_root%/}
    case $work in
    "$qemu_root"/*) ;;
    *) echo "run-guest.sh: WORKDIR $work is not inside VNUMA_GUEST_QEMU_ROOT $qemu_root" >&2; exit 2 ;;
    esac
    cp "$kernel" "$work/vmlinuz"
    kernel=${work#"$qemu_root"}/vmlinuz
    initrd=${initrd#"$qemu_root"}
fi
nodefaults=(-nodefaults)
[ "${VNUMA_BOOT_NODEFAULTS:-1}" = 0 ] && nodefaults=()
case $arch in
x86_64)
    # no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can
    # miss its ticks and panic ("IO-APIC + timer doesn't work") before init runs.
    qemu=qemu-system-x86_64 console="ttyS0 no_timer_check" fw=()
    ;;
aarch64)
    # EDK2 on pflash: code read-only, the variable store as a throwaway snapshot.
    qemu=qemu-system-aarch64 console=ttyAMA0
    fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=${VNUMA_AAVMF_CODE:-/usr/share/AAVMF/AAVMF_CODE.fd}"
        -drive "if=pflash,format=raw,unit=1,snapshot=on,file=${VNUMA_AAVMF_VARS:-/usr/share/AAVMF/AAVMF_VARS.fd}")
    ;;
*)
    echo "run-guest.sh: VNUMA_GUEST_ARCH=$arch: use x86_64 or aarch64" >&2
    exit 2
    ;;
esac
exec timeout "${VNUMA_BOOT_TIMEOUT:-120}" "${VNUMA_GUEST_QEMU:-$qemu}" \
    -accel "$accel" "${nodefaults[@]}" -display none -no-reboot \
    -serial stdio "${fw[@]}" -kernel "$kernel" -initrd "$initrd" \
    -append "console=$console panic=-1 quiet loglevel=3 rdinit=/init" \
    "${args[@]}" < /dev/null
