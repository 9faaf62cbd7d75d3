//! Disagreements between `vnuma qemu` and the live peers found by hand probes
//! (QEMU 10.0.2 on PATH, QEMU 11.1.3 of the trixie root), each fixed; the
//! expected text is what the live QEMU printed for the same command line, run as
//! `qemu-system-… ARGS -S -display none -accel tcg -qtest stdio -qtest-log none`
//! (as `vnuma qemu-dump` runs it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use vnuma::front::qemu::parse::parse_versioned;
use vnuma::front::qemu::report::{QemuReportError, qemu_report_versioned};
use vnuma::front::qemu::version::QemuVersion;

const V10: QemuVersion = QemuVersion::V10_0;
const V11: QemuVersion = QemuVersion::V11_1;

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

fn program(args: &[String]) -> &'static str {
    if args
        .windows(2)
        .any(|w| w[0] == "-machine" && w[1].starts_with("virt"))
    {
        "qemu-system-aarch64"
    } else {
        "qemu-system-x86_64"
    }
}

/// vnuma's stderr for a line QEMU rejects: its warnings, then the error.
fn rejection(version: QemuVersion, args: &str) -> String {
    let args = words(args);
    let prog = program(&args);
    let (warnings, r) = parse_versioned(&args, None, version);
    let mut lines: Vec<String> = warnings.iter().map(|w| w.render(prog)).collect();
    match r {
        Ok(_) => panic!(
            "vnuma accepts what QEMU {version} rejects: {}",
            args.join(" ")
        ),
        Err(e) => lines.push(e.render(prog)),
    }
    lines.join("\n")
}

/// Runs `tests/data/peer-regressions/NAME-args.txt` under `version` and asserts
/// that vnuma's SRAT is `NAME-SRAT-10.0.dat`, the SRAT live QEMU 10.0.2 built
/// for it (`vnuma qemu-dump --args-file …`); returns vnuma's warnings.
fn assert_live_srat(name: &str, version: QemuVersion) -> Vec<String> {
    let dir = common::data_dir().join("peer-regressions");
    let args = vnuma::live::dump::read_args_file(&dir.join(format!("{name}-args.txt"))).unwrap();
    let want = std::fs::read(dir.join(format!("{name}-SRAT-10.0.dat"))).unwrap();
    let (w, r) = qemu_report_versioned(&args, None, version);
    let r = r.unwrap_or_else(|e| panic!("{name}, {version}: {e}"));
    assert_eq!(
        r.tables.srat.as_ref().unwrap().encode(),
        want,
        "{name}, {version}"
    );
    w.iter().map(|w| w.render(program(&args))).collect()
}

/// (version, arguments, QEMU's stderr) — each line measured on the live peer.
const REJECTED: &[(QemuVersion, &str, &str)] = &[
    // The machine type's CPU limit names the resolved type (11.1: `pc` is
    // pc-i440fx-11.1) and depends on its version (q35: 288 up to 8.0, 1024 for
    // 8.1/8.2, 4096 from 9.0).
    (
        V11,
        "-machine pc -m 1G -smp 300",
        "qemu-system-x86_64: Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-11.1' is 255",
    ),
    (
        V10,
        "-machine pc-q35-8.0 -m 1G -smp 1,maxcpus=600",
        "qemu-system-x86_64: Invalid SMP CPUs 600. The max CPUs supported by machine 'pc-q35-8.0' is 288",
    ),
    (
        V11,
        "-machine pc-q35-8.2 -m 1G -smp 1,maxcpus=1100",
        "qemu-system-x86_64: Invalid SMP CPUs 1100. The max CPUs supported by machine 'pc-q35-8.2' is 1024",
    ),
    (
        V10,
        "-machine virt-8.0,gic-version=3 -m 1G -smp 1,maxcpus=600",
        "qemu-system-aarch64: Invalid SMP CPUs 600. The max CPUs supported by machine 'virt-8.0' is 512",
    ),
    // Only the machine type versions QEMU has, spelled its way.
    (
        V10,
        "-machine pc-q35-7.3 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-q35-7.3\"\nUse -machine help to list supported machines",
    ),
    (
        V11,
        "-machine pc-q35-10.3 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-q35-10.3\"\nUse -machine help to list supported machines",
    ),
    (
        V10,
        "-machine pc-q35-06.2 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-q35-06.2\"\nUse -machine help to list supported machines",
    ),
    // Deprecated machine types warn (10.0: up to 7.0; 11.1: up to 8.1), before -numa.
    (
        V10,
        "-machine pc-q35-7.0 -m 1G -numa node",
        "qemu-system-x86_64: warning: Machine type 'pc-q35-7.0' is deprecated: machines more than 3 years old are subject to deletion after 6 years\n\
         qemu-system-x86_64: total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)",
    ),
    (
        V11,
        "-machine pc-q35-8.1 -m 1G -numa node",
        "qemu-system-x86_64: warning: Machine type 'pc-q35-8.1' is deprecated: machines more than 3 years old are subject to deletion after 6 years\n\
         qemu-system-x86_64: total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)",
    ),
    // -object: the qom-type must be in QAPI's ObjectType enum (checked before id).
    (
        V10,
        "-machine q35 -m 1G -object foo,id=x",
        "qemu-system-x86_64: -object foo,id=x: Parameter 'qom-type' does not accept value 'foo'",
    ),
    (
        V11,
        "-machine q35 -m 1G -object foo",
        "qemu-system-x86_64: -object foo: Parameter 'qom-type' does not accept value 'foo'",
    ),
    (
        V10,
        "-machine q35 -m 1G -object [1]",
        "qemu-system-x86_64: -object [1]: Parameter 'qom-type' does not accept value '[1]'",
    ),
    (
        V11,
        "-machine q35 -m 1G -object {\"qom-type\":\"foo\",\"id\":\"x\"}",
        "qemu-system-x86_64: -object {\"qom-type\":\"foo\",\"id\":\"x\"}: Parameter 'qom-type' does not accept value 'foo'",
    ),
    (
        V10,
        "-machine q35 -m 1G -object tdx-guest,id=x",
        "qemu-system-x86_64: -object tdx-guest,id=x: Parameter 'qom-type' does not accept value 'tdx-guest'",
    ),
    // -device: the type must be one the binary has (`-device help`), looked up
    // before the id; an alias reports its real type.
    (
        V10,
        "-machine q35 -m 1G -device nosuchdev,id=x",
        "qemu-system-x86_64: -device nosuchdev,id=x: 'nosuchdev' is not a valid device model name",
    ),
    (
        V11,
        "-machine q35 -m 1G -device {\"driver\":\"nosuchdev\",\"id\":\"1x\"}",
        "qemu-system-x86_64: -device {\"driver\":\"nosuchdev\",\"id\":\"1x\"}: 'nosuchdev' is not a valid device model name",
    ),
    (
        V11,
        "-machine q35 -m 1G -device qxl-vga,id=x",
        "qemu-system-x86_64: -device qxl-vga,id=x: 'qxl-vga' is not a valid device model name",
    ),
    (
        V10,
        "-machine virt -m 1G -device e1000e,id=x -device VGA,id=y -device nosuch",
        "qemu-system-aarch64: -device nosuch: 'nosuch' is not a valid device model name",
    ),
    (
        V10,
        "-machine q35 -m 1G -device virtio-net,id=n0,addr=5 -device virtio-net-pci,id=n1,addr=5",
        "qemu-system-x86_64: -device virtio-net-pci,id=n1,addr=5: PCI: slot 5 function 0 not available for virtio-net-pci, in use by virtio-net-pci,id=n0",
    ),
    // A boot CPU with APIC ID >= 255 needs x2APIC in the CPU model; 10.0 aborts
    // (one more line), 11.1 reports it.
    (
        V10,
        "-machine q35 -m 1G -smp 256",
        "Unexpected error in apic_common_set_id() at hw/intc/apic_common.c:447:\n\
         qemu-system-x86_64: APIC ID 255 requires x2APIC feature in CPU\nTry x2apic=on in -cpu.",
    ),
    (
        V11,
        "-machine pc -m 1G -smp 195,sockets=3,cores=65 -cpu Skylake-Server,-x2apic",
        "qemu-system-x86_64: APIC ID 256 requires x2APIC feature in CPU\nTry x2apic=on in -cpu.",
    ),
    // SMBIOS 2.0 (q35 up to 8.0, or smbios-entry-point-type=32): at most 255
    // threads per socket.
    (
        V10,
        "-machine pc-q35-8.0 -m 1G -smp 1,maxcpus=256",
        "qemu-system-x86_64: SMBIOS 2.0 doesn't support number of processor cores/threads more than 255, use -machine smbios-entry-point-type=64 option to enable SMBIOS 3.0 support",
    ),
    (
        V11,
        "-machine q35,smbios-entry-point-type=32 -m 1G -smp 1,sockets=2,cores=128,threads=2,maxcpus=512",
        "qemu-system-x86_64: SMBIOS 2.0 doesn't support number of processor cores/threads more than 255, use -machine smbios-entry-point-type=64 option to enable SMBIOS 3.0 support",
    ),
    (
        V10,
        "-machine q35,smbios-entry-point-type=foo -m 1G",
        "qemu-system-x86_64: Parameter 'smbios-entry-point-type' does not accept value 'foo'",
    ),
    // -numa cpu: unsupported ids are checked bottom-up (module before die);
    // book-id/drawer-id are ignored.
    (
        V10,
        "-machine q35 -m 1G -smp 4 -numa node -numa cpu,node-id=0,die-id=0,module-id=0",
        "qemu-system-x86_64: -numa cpu,node-id=0,die-id=0,module-id=0: module-id is not supported",
    ),
    (
        V10,
        "-machine q35 -m 1G -smp 4 -numa node -numa cpu,node-id=0,book-id=0,die-id=0",
        "qemu-system-x86_64: -numa cpu,node-id=0,book-id=0,die-id=0: die-id is not supported",
    ),
    (
        V11,
        "-machine virt -m 1G -smp 4 -numa node -numa cpu,node-id=0,module-id=0,book-id=0",
        "qemu-system-aarch64: -numa cpu,node-id=0,module-id=0,book-id=0: module-id is not supported",
    ),
    (
        V10,
        "-machine q35 -m 1G -smp 4 -numa node -numa cpu,node-id=0,drawer-id=1",
        "qemu-system-x86_64: total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)",
    ),
    // Memory backend policy: QAPI's HostMemPolicy values; host-nodes needed for
    // every policy but default, refused for default; size mandatory for files.
    (
        V10,
        "-machine q35 -m 1G -object memory-backend-ram,id=m0,size=1G,policy=bind -numa node,memdev=m0",
        "qemu-system-x86_64: host-nodes must be set for policy bind",
    ),
    (
        V11,
        "-machine q35 -m 1G -object memory-backend-ram,id=m0,size=1G,host-nodes=0 -numa node,memdev=m0",
        "qemu-system-x86_64: host-nodes must be empty for policy default, or you should explicitly specify a policy other than default",
    ),
    (
        V10,
        "-machine q35 -m 1G -object memory-backend-ram,id=m0,size=1G,policy=local -numa node,memdev=m0",
        "qemu-system-x86_64: -object memory-backend-ram,id=m0,size=1G,policy=local: Parameter 'policy' does not accept value 'local'",
    ),
    (
        V11,
        "-machine q35 -m 1G -object memory-backend-file,id=m0,mem-path=/tmp -numa node,memdev=m0",
        "qemu-system-x86_64: -object memory-backend-file,id=m0,mem-path=/tmp: Parameter 'size' is missing",
    ),
    // CXL fixed memory windows: every target must be a pxb-cxl (machine done,
    // before the generic initiators).
    (
        V10,
        "-machine q35,cxl=on,cxl-fmw.0.targets.0=nosuch,cxl-fmw.0.size=4G -m 2G -object memory-backend-ram,id=m0,size=2G -numa node,memdev=m0 -numa node -device pxb-cxl,id=cxl0,bus=pcie.0,bus_nr=52 -object acpi-generic-initiator,id=g,pci-dev=nosuch,node=1",
        "qemu-system-x86_64: Could not resolve CXLFM target nosuch",
    ),
    (
        V11,
        "-machine q35,cxl=on -m 1G -device pxb-cxl,id=cxl0,bus=pcie.0,bus_nr=52 -device pcie-root-port,id=rp,chassis=3 -machine cxl-fmw.0.targets.0=rp,cxl-fmw.0.size=4G",
        "qemu-system-x86_64: Could not resolve CXLFM target rp",
    ),
    // One virtio balloon.
    (
        V11,
        "-machine q35 -m 1G -device virtio-balloon -device virtio-balloon-pci",
        "qemu-system-x86_64: -device virtio-balloon-pci: Only one balloon device is supported",
    ),
    // QAPI types this build has no class for: "invalid object type" when the
    // object is created (command-line order among the early objects, after the
    // id check, before -smp is checked). Measured on every ObjectType.
    (
        V10,
        "-machine q35 -m 1G -object pef-guest,id=x",
        "qemu-system-x86_64: invalid object type: pef-guest",
    ),
    (
        V10,
        "-machine q35 -m 1G -smp 2,sockets=3 -object thread-context,id=t1 -object cryptodev-backend-lkcf,id=c -object {\"qom-type\":\"iothread\",\"id\":\"1x\"}",
        "qemu-system-x86_64: invalid object type: cryptodev-backend-lkcf",
    ),
    (
        V11,
        "-machine q35 -m 1G -object s390-pv-guest,id=x",
        "qemu-system-x86_64: invalid object type: s390-pv-guest",
    ),
    (
        V11,
        "-machine virt -m 1G -object tdx-guest,id=x",
        "qemu-system-aarch64: invalid object type: tdx-guest",
    ),
    // The pxb realize checks, in QEMU's order: the bus kind, the node, then the
    // internal pci-bridge's chassis (the pxb's bus_nr, default 0).
    (
        V10,
        "-machine pc -m 1G -device pxb,id=p",
        "qemu-system-x86_64: -device pxb,id=p: Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.",
    ),
    (
        V11,
        "-machine pc -m 1G -device pxb,id=p",
        "qemu-system-x86_64: -device pxb,id=p: Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pxb,id=p,bus_nr=5,numa_node=127",
        "qemu-system-x86_64: -device pxb,id=p,bus_nr=5,numa_node=127: pxb devices cannot reside on a PCIe bus",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb-pcie,id=p,bus_nr=5",
        "qemu-system-x86_64: -device pxb-pcie,id=p,bus_nr=5: pxb-pcie devices cannot reside on a PCI bus",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb,id=p,bus_nr=0,numa_node=3",
        "qemu-system-x86_64: -device pxb,id=p,bus_nr=0,numa_node=3: Illegal numa node 3",
    ),
    (
        V11,
        "-machine q35 -m 1G -device pxb-pcie,id=p,bus_nr=0,numa_node=3",
        "qemu-system-x86_64: -device pxb-pcie,id=p,bus_nr=0,numa_node=3: Illegal numa node 3",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb,id=p,bus_nr=5,numa_node=x",
        "qemu-system-x86_64: -device pxb,id=p,bus_nr=5,numa_node=x: Parameter 'numa_node' expects integer",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb,id=p,bus_nr=5,numa_node=70000",
        "qemu-system-x86_64: -device pxb,id=p,bus_nr=5,numa_node=70000: Parameter 'numa_node' expects uint16_t",
    ),
    // The pxb's root bus is `pxb-internal`: only bridges go there.
    (
        V10,
        "-machine pc -m 1G -device pxb,id=pxb0,bus_nr=40 -device pci-testdev,id=g0,bus=pxb-internal",
        "qemu-system-x86_64: -device pci-testdev,id=g0,bus=pxb-internal: PCI: Only PCI/PCIe bridges can be plugged into pxb",
    ),
    // 11.1.3 warns about -mon while it reads the command line: before the error
    // of an earlier -numa (parsed later).
    (
        V11,
        "-machine q35 -m 512M -numa node,foo=1 -chardev null,id=c0 -mon c0",
        "qemu-system-x86_64: -mon c0: warning: '-mon' is deprecated, use '-object' with 'monitor-hmp' or 'monitor-qmp' types instead\nqemu-system-x86_64: -numa node,foo=1: Invalid parameter 'foo'",
    ),
    (
        V10,
        "-machine q35 -m 512M -numa node,foo=1 -chardev null,id=c0 -mon c0",
        "qemu-system-x86_64: -numa node,foo=1: Invalid parameter 'foo'",
    ),
    // Just below the oldest machine type each binary has (`-machine help`): QEMU's
    // own rejection (the older types it has are vnuma's limit, see
    // `older_machine_types_are_not_qemu_rejections`).
    (
        V10,
        "-machine pc-i440fx-2.3 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-i440fx-2.3\"\nUse -machine help to list supported machines",
    ),
    (
        V10,
        "-machine pc-i440fx-4.0.1 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-i440fx-4.0.1\"\nUse -machine help to list supported machines",
    ),
    (
        V10,
        "-machine virt-2.5 -m 1G",
        "qemu-system-aarch64: unsupported machine type: \"virt-2.5\"\nUse -machine help to list supported machines",
    ),
    (
        V11,
        "-machine pc-i440fx-5.1 -m 1G",
        "qemu-system-x86_64: unsupported machine type: \"pc-i440fx-5.1\"\nUse -machine help to list supported machines",
    ),
    (
        V10,
        "-machine virt -m 1G -object tdx-guest,id=x",
        "qemu-system-aarch64: -object tdx-guest,id=x: Parameter 'qom-type' does not accept value 'tdx-guest'",
    ), // Slot 0 behind a bridge whose own SHPC handles its bus (live 10.0.2 and
    // 11.1.3 alike): below an extra root bus (no ACPI hot-plug there), with the
    // chipset's bridge hot-plug off (`-global`, both spellings, or q35 before
    // 6.1), on `virt`, and for a bridge in slot 0 as for an endpoint.
    (
        V10,
        "-machine pc -m 1G -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V11,
        "-machine pc -m 1G -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pxb-pcie,id=px,bus_nr=40 -device pcie-pci-bridge,id=br,bus=px,addr=1.0 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pxb-pcie,id=px,bus_nr=40 -device pcie-root-port,id=rp,chassis=1,bus=px,hotplug=off -device pcie-pci-bridge,id=br,bus=rp -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V11,
        "-machine q35 -m 1G -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine q35 -m 1G -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off -device pcie-root-port,id=rp,chassis=1 -device pcie-pci-bridge,id=br,bus=rp -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine pc -m 1G -global driver=PIIX4_PM,property=acpi-pci-hotplug-with-bridge-support,value=off -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V11,
        "-machine pc -m 1G -global PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off -global PIIX4_PM.acpi-root-pci-hotplug=off -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine pc -m 1G -global PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off -device pci-bridge,id=br,chassis_nr=1 -device pci-bridge,id=b2,chassis_nr=2,bus=br,addr=0.0",
        "qemu-system-x86_64: -device pci-bridge,id=b2,chassis_nr=2,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine pc-q35-6.0 -m 1G -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: warning: Machine type 'pc-q35-6.0' is deprecated: machines more than 3 years old are subject to deletion after 6 years\nqemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=0.0 -device e1000,bus=br,addr=0.0",
        "qemu-system-x86_64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V11,
        "-machine virt -m 1G -nodefaults -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "qemu-system-aarch64: -device e1000,bus=br,addr=0.0: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.",
    ),
    (
        V10,
        "-machine pc -m 1G -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0,shpc=maybe",
        "qemu-system-x86_64: -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0,shpc=maybe: Parameter 'shpc' expects 'on' or 'off'",
    ), // A network card's netdev= must name a -netdev (keyval or JSON) no other
    // card took; set before addr= is checked; virtio-net's PCI proxies name
    // their virtio device (live 10.0.2 and 11.1.3).
    (
        V10,
        "-machine q35 -m 1G -device e1000,netdev=nx,addr=zz",
        "qemu-system-x86_64: -device e1000,netdev=nx,addr=zz: Property 'e1000.netdev' can't find value 'nx'",
    ),
    (
        V11,
        "-machine q35 -m 1G -netdev user,id=x -device e1000,netdev=x -device e1000,netdev=x",
        "qemu-system-x86_64: -device e1000,netdev=x: Property 'e1000.netdev' can't take value 'x', it's in use",
    ),
    (
        V10,
        "-machine pc -m 1G -netdev {\"type\":\"user\",\"id\":\"n0\"} -device virtio-net-pci,netdev=n1",
        "qemu-system-x86_64: -device virtio-net-pci,netdev=n1: Property 'virtio-net-device.netdev' can't find value 'n1'",
    ), // USB on (`usb=on`, `-usb`) puts the chipset's controllers in their slots
    // (live 10.0.2 and 11.1.3, `info pci`); a bad boolean is QEMU's text.
    (
        V10,
        "-machine q35,usb=on -m 1G -device pci-testdev,id=d,addr=1d.0",
        "qemu-system-x86_64: -device pci-testdev,id=d,addr=1d.0: PCI: slot 29 function 0 not available for pci-testdev, in use by ich9-usb-uhci1,id=(null)",
    ),
    (
        V11,
        "-machine q35 -m 1G -usb -device pci-testdev,id=d,addr=1d.7",
        "qemu-system-x86_64: -device pci-testdev,id=d,addr=1d.7: PCI: slot 29 function 7 not available for pci-testdev, in use by ich9-usb-ehci1,id=(null)",
    ),
    (
        V10,
        "-machine pc,usb=on -m 1G -device pci-testdev,id=d,addr=01.2",
        "qemu-system-x86_64: -device pci-testdev,id=d,addr=01.2: PCI: slot 1 function 2 not available for pci-testdev, in use by piix3-usb-uhci,id=(null)",
    ),
    (
        V11,
        "-machine q35,smbus=maybe -m 1G",
        "qemu-system-x86_64: Parameter 'smbus' expects 'on' or 'off'",
    ),
    (
        V10,
        "-machine virt,sata=off -m 1G",
        "qemu-system-aarch64: Property 'virt-10.0-machine.sata' not found",
    ), // Bridge realize checks: a pci-bridge needs chassis_nr > 0; PCIe slots
    // (root and downstream ports, CXL root ports) need distinct chassis/slot
    // pairs, both 0 by default; the integer properties' visitor texts.
    (
        V10,
        "-machine pc -m 1G -device pci-bridge,id=b1,shpc=off",
        "qemu-system-x86_64: -device pci-bridge,id=b1,shpc=off: Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.",
    ),
    (
        V11,
        "-machine q35 -m 1G -device pcie-root-port,id=rp1 -device pcie-root-port,id=rp2",
        "qemu-system-x86_64: -device pcie-root-port,id=rp2: Can't add chassis slot, error -16",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pcie-root-port,id=rp1,chassis=1 -device x3130-upstream,id=u,bus=rp1 -device xio3130-downstream,id=dn,bus=u,chassis=1",
        "qemu-system-x86_64: -device xio3130-downstream,id=dn,bus=u,chassis=1: Can't add chassis slot, error -16",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pxb-pcie,id=px,bus_nr=40 -device pcie-root-port,id=rp1,bus=px -device pcie-root-port,id=rp2",
        "qemu-system-x86_64: -device pcie-root-port,id=rp2: Can't add chassis slot, error -16",
    ),
    (
        V10,
        "-machine q35,cxl=on -m 1G -device pxb-cxl,id=cxl.0,bus_nr=12,bus=pcie.0 -device cxl-rp,id=r0,bus=cxl.0,port=0 -device cxl-rp,id=r1,bus=cxl.0,port=1",
        "qemu-system-x86_64: -device cxl-rp,id=r1,bus=cxl.0,port=1: Can't add chassis slot, error -16",
    ),
    (
        V11,
        "-machine q35 -m 1G -device pcie-root-port,id=rp1,chassis=300",
        "qemu-system-x86_64: -device pcie-root-port,id=rp1,chassis=300: Parameter 'chassis' expects uint8_t",
    ),
    (
        V10,
        "-machine q35 -m 1G -device pcie-root-port,id=rp1,chassis=x",
        "qemu-system-x86_64: -device pcie-root-port,id=rp1,chassis=x: Parameter 'chassis' expects integer",
    ), // x86 virtual IOMMUs: intel-iommu / amd-iommu are system-bus devices pc
    // does not take; one IOMMU per machine.
    (
        V10,
        "-machine pc -m 1G -device intel-iommu",
        "qemu-system-x86_64: -device intel-iommu: Parameter 'driver' expects a dynamic sysbus device type for the machine",
    ),
    (
        V11,
        "-machine q35 -m 1G -device intel-iommu -device amd-iommu",
        "qemu-system-x86_64: -device amd-iommu: QEMU does not support multiple vIOMMUs for x86 yet.",
    ),
    (
        V10,
        "-machine q35 -m 1G -device virtio-iommu-pci -device intel-iommu",
        "qemu-system-x86_64: -device intel-iommu: QEMU does not support multiple vIOMMUs for x86 yet.",
    ),
];

#[test]
fn rejections_match_the_live_peers() {
    let mut bad = Vec::new();
    for (version, args, qemu) in REJECTED {
        let ours = rejection(*version, args);
        if ours != *qemu {
            bad.push(format!(
                "QEMU {version}: {args}\n  QEMU:  {qemu}\n  vnuma: {ours}"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Versioned machine types QEMU has before the ones vnuma models (5.2 on): live
/// 10.0.2 accepts each line (warning that the type is deprecated, then waiting on
/// qtest); vnuma used to answer QEMU's "unsupported machine type". Now it refuses
/// them as its own limitation (`QemuReportError::Layout`), never as QEMU's error.
/// (11.1.3 has nothing older than 5.2.)
#[test]
fn older_machine_types_are_not_qemu_rejections() {
    for (v, args) in [
        (
            V10,
            "-machine pc-i440fx-5.0 -m 1G -smp 2 -numa node,mem=512M -numa node,mem=512M",
        ),
        (V10, "-machine pc-q35-4.0.1 -m 1G"),
        (V10, "-machine pc-q35-5.1 -m 1G"),
        (V10, "-machine virt-2.6 -m 1G"),
        (V10, "-machine virt-5.1 -m 1G"),
    ] {
        let (_, r) = qemu_report_versioned(&words(args), None, v);
        match r {
            Err(QemuReportError::Layout(m)) => {
                assert!(m.contains("does not model"), "QEMU {v}: {args}: {m}")
            }
            Err(QemuReportError::Qemu(e)) => panic!(
                "QEMU {v} accepts {args}, vnuma says QEMU rejects it: {}",
                e.render(program(&words(args)))
            ),
            Ok(_) => panic!("QEMU {v}: {args}: vnuma claims to model it"),
        }
    }
}

/// x2APIC-capable models and `+x2apic` / `x2apic=on` take 256 boot CPUs; so do
/// q35 ≥ 8.1 and `smbios-entry-point-type=64` with 256 threads per socket
/// (accepted by live 10.0.2 and 11.1.3).
#[test]
fn x2apic_and_smbios_3_accept_many_cpus() {
    for (v, args) in [
        (V10, "-machine q35 -m 1G -smp 256 -cpu Skylake-Server"),
        (V11, "-machine q35 -m 1G -smp 256 -cpu qemu64,x2apic=on"),
        (V10, "-machine q35 -m 1G -smp 256 -cpu max"),
        (V10, "-machine pc-q35-8.1 -m 1G -smp 1,maxcpus=256"),
        (
            V11,
            "-machine pc-q35-8.0,smbios-entry-point-type=64 -m 1G -smp 1,maxcpus=256",
        ),
    ] {
        let (_, r) = parse_versioned(&words(args), None, v);
        assert!(r.is_ok(), "{args}: {:?}", r.err());
    }
}

/// Accepted lines: QEMU 11.1.3 warns for a deprecated machine type and builds
/// the tables; a type QEMU 10.0.2 still supports without deprecation does not warn.
#[test]
fn deprecated_machine_type_warns_and_builds() {
    let args = words(
        "-machine pc-q35-8.1 -m 1G -smp 2 -object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0",
    );
    let (w, r) = parse_versioned(&args, None, V11);
    assert!(r.is_ok());
    let w: Vec<String> = w.iter().map(|w| w.render("qemu-system-x86_64")).collect();
    assert_eq!(
        w,
        [
            "qemu-system-x86_64: warning: Machine type 'pc-q35-8.1' is deprecated: machines more than 3 years old are subject to deletion after 6 years"
        ]
    );
    let (w, r) = parse_versioned(&args, None, V10);
    assert!(r.is_ok());
    assert!(w.is_empty(), "{w:?}");
}

/// Device aliases (`virtio-net` → virtio-net-pci, `e1000-82540em` → e1000) and
/// PCI types vnuma had no rule for (`ich9-ahci`) are PCI devices: the GI device
/// handles equal the SRAT QEMU 10.0.2 built (`vnuma qemu-dump --args-file
/// tests/data/peer-regressions/device-aliases-args.txt`).
#[test]
fn device_aliases_are_placed_like_qemu() {
    assert_live_srat("device-aliases", V10);
}

/// `-mon` (what libvirt before 12.9 writes for its monitor): QEMU 11.1.3 warns
/// once, at the first `-mon`, that it is deprecated; 10.0.2 says nothing (both
/// build the tables).
#[test]
fn mon_deprecated_in_11_1() {
    let args = words(
        "-machine q35 -m 1G -object memory-backend-ram,id=m0,size=1G -numa node,memdev=m0 -chardev null,id=c0 -chardev null,id=c1 -mon chardev=c0 -mon chardev=c1,mode=control",
    );
    let (w, r) = qemu_report_versioned(&args, None, V11);
    assert!(r.is_ok());
    let w: Vec<String> = w.iter().map(|w| w.render("qemu-system-x86_64")).collect();
    assert_eq!(
        w,
        [
            "qemu-system-x86_64: -mon chardev=c0: warning: '-mon' is deprecated, use '-object' with 'monitor-hmp' or 'monitor-qmp' types instead"
        ]
    );
    let (w, r) = qemu_report_versioned(&args, None, V10);
    assert!(r.is_ok());
    assert!(w.is_empty(), "{w:?}");
}

/// A plain `pxb` puts a `pci-bridge` named after it at 00.0 of its root bus, so
/// `bus=pxb0` is that bridge's secondary bus: an endpoint may go there (vnuma
/// used to refuse it as "Only PCI/PCIe bridges can be plugged into pxb"), and
/// devices behind it are one bus further down (QEMU 10.0.2, `vnuma qemu-dump
/// --args-file tests/data/peer-regressions/pxb-internal-bridge-args.txt`; 11.1.3
/// builds the same SRAT): GI handles 41:03.0, 42:01.0 (behind a bridge behind the
/// pxb), 01:01.0, and 00:04.0 for `pci-dev=pxb0` (the pxb itself).
#[test]
fn pxb_internal_bridge_like_qemu() {
    for v in [V10, V11] {
        let w = assert_live_srat("pxb-internal-bridge", v);
        assert!(w.is_empty(), "{v}: {w:?}");
    }
}

/// The AMD 1 TiB relocation of device memory (`enforce_amd_1tb_hole`) exists
/// from machine type 7.1 on: pc-i440fx-6.2 keeps the hotplug range at 4 GiB,
/// 7.1 moves it to 1 TiB (QEMU 10.0.2, `vnuma qemu-dump --args-file
/// tests/data/peer-regressions/amd-1tib-<v>-args.txt`).
#[test]
fn amd_1tib_relocation_from_machine_type_7_1() {
    for v in ["6.2", "7.1"] {
        assert_live_srat(&format!("amd-1tib-{v}"), V10);
    }
}

/// Slot 0 behind bridges whose bus the chipset's ACPI PCI hot-plug owns, and
/// behind a `pci-bridge` with `shpc=off` (`-global` or property), is accepted
/// and placed like QEMU (10.0.2, `vnuma qemu-dump --args-file
/// tests/data/peer-regressions/shpc-slot0-args.txt`; 11.1.3 builds the same
/// SRAT): GI handles 01:00.0, 03:00.0 and 2a:01.0.
#[test]
fn slot_zero_behind_acpi_hotplug_bridges_like_qemu() {
    for v in [V10, V11] {
        assert_live_srat("shpc-slot0", v);
    }
    // Accepted by live 10.0.2 (no SRAT without nodes: the line is checked only).
    for args in [
        "-machine pc -m 1G -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "-machine pc -m 1G -global PIIX4_PM.acpi-root-pci-hotplug=off -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "-machine pc -m 1G -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0,shpc=off -device e1000,bus=br,addr=0.0",
        "-machine pc -m 1G -global pci-bridge.shpc=off -device pxb,id=px,bus_nr=40,bus=pci.0 -device pci-bridge,id=br,chassis_nr=1,bus=px,addr=1.0 -device e1000,bus=br,addr=0.0",
        "-machine q35 -m 1G -device i82801b11-bridge,id=dmi -device pci-bridge,id=br,chassis_nr=1,bus=dmi -device e1000,bus=br,addr=0.0",
        "-machine q35 -m 1G -global pci-bridge.shpc=off -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
        "-machine pc-q35-6.1 -m 1G -device pci-bridge,id=br,chassis_nr=1 -device e1000,bus=br,addr=0.0",
    ] {
        let (_, r) = parse_versioned(&words(args), None, V10);
        assert!(r.is_ok(), "{args}: {:?}", r.err().map(|e| e.render("qemu")));
    }
}

/// `net_check_clients` once QEMU's default network is off (`-nodefaults`, or
/// any `-net`/`-netdev`/`-nic`): each netdev no card took, then each card
/// without a netdev, named by its id or `TYPE.N` (N counts the cards of that
/// type before it, named or not); stderr of live 10.0.2 and 11.1.3 (equal).
#[test]
fn network_cards_without_peers_warn_like_qemu() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "-machine q35 -m 1G -nodefaults -device e1000 -device e1000,id=n1 -device virtio-net -device e1000",
            &[
                "warning: nic e1000.0 has no peer",
                "warning: nic n1 has no peer",
                "warning: nic virtio-net-pci.0 has no peer",
                "warning: nic e1000.2 has no peer",
            ],
        ),
        (
            "-machine q35 -m 1G -netdev user,id=a -netdev user,id=b -device e1000,netdev=b -device rtl8139",
            &[
                "warning: netdev a has no peer",
                "warning: nic rtl8139.0 has no peer",
            ],
        ),
        (
            "-machine pc -m 1G -net none -device e1000",
            &["warning: nic e1000.0 has no peer"],
        ),
        // QEMU's default network: no check.
        ("-machine pc -m 1G -device e1000", &[]),
        // Cards of -nic / -net nic have peers and count in the names.
        (
            "-machine q35 -m 1G -nic user,model=e1000 -device e1000 -netdev user,id=q",
            &[
                "warning: netdev q has no peer",
                "warning: nic e1000.1 has no peer",
            ],
        ),
    ];
    for (args, want) in cases {
        for v in [V10, V11] {
            let (w, r) = parse_versioned(&words(args), None, v);
            assert!(r.is_ok(), "{v}: {args}");
            let w: Vec<String> = w.iter().map(|w| w.render("qemu-system-x86_64")).collect();
            let want: Vec<String> = want
                .iter()
                .map(|l| format!("qemu-system-x86_64: {l}"))
                .collect();
            assert_eq!(w, want, "{v}: {args}");
        }
    }
}

/// `-nic` and `-net nic` cards are created with the machine, first-free after
/// the VGA and before every `-device`; an unsupported model takes no slot. The
/// GI handles of automatically placed devices equal QEMU's (10.0.2, `vnuma
/// qemu-dump --args-file tests/data/peer-regressions/nic-options-args.txt`;
/// 11.1.3 builds the same SRAT): 00:05.0 and 00:06.0 (vnuma had 02.0, 03.0).
#[test]
fn nic_options_take_slots_like_qemu() {
    for v in [V10, V11] {
        assert_live_srat("nic-options", v);
    }
}

/// Machine properties QEMU has that vnuma used to refuse as "not found", and
/// chipset functions turned off or on (accepted by live 10.0.2 and 11.1.3; the
/// slots named are free or taken as QEMU's `info pci` shows).
#[test]
fn chipset_properties_like_qemu() {
    for (v, args) in [
        (
            V10,
            "-machine q35,sata=off -m 1G -device pci-testdev,id=d,addr=1f.2",
        ),
        (
            V11,
            "-machine q35,smbus=off -m 1G -device pci-testdev,id=d,addr=1f.3",
        ),
        (
            V10,
            "-machine q35 -m 1G -usb -device pci-testdev,id=d,addr=1d.3",
        ),
        (
            V11,
            "-machine pc -m 1G -usb -machine usb=off -device pci-testdev,id=d,addr=01.2",
        ),
        (
            V10,
            "-machine q35,pic=off,fd-bootchk=off,max-fw-size=8M,smp-cache.0.cache=l1d,smp-cache.0.topology=core -m 1G",
        ),
        (V10, "-machine pc,aux-ram-share=off -m 1G"),
        (V11, "-machine q35,wdat=off -m 1G"),
        (V11, "-machine virt,dtb-kaslr-seed=off,msi=auto -m 1G"),
    ] {
        let (_, r) = parse_versioned(&words(args), None, v);
        assert!(
            r.is_ok(),
            "{v}: {args}: {:?}",
            r.err().map(|e| e.render("qemu"))
        );
    }
}

/// Only QEMU's default-VGA list replaces the default VGA (a `secondary-vga`
/// does not; vnuma took any name with "vga"): the GI handle of the device
/// placed after them is QEMU's, 00:05.0 (10.0.2, `vnuma qemu-dump --args-file
/// tests/data/peer-regressions/vga-default-args.txt`; 11.1.3 the same).
#[test]
fn default_vga_kept_like_qemu() {
    for v in [V10, V11] {
        assert_live_srat("vga-default", v);
    }
}

/// `amd-iommu` plugs an `AMDVI-PCI` function first-free on the host bus when
/// it is realized, so the device after it moves one slot: GI handle 00:04.0
/// (10.0.2, `vnuma qemu-dump --args-file
/// tests/data/peer-regressions/amd-iommu-args.txt`; 11.1.3 the same).
#[test]
fn amd_iommu_takes_a_slot_like_qemu() {
    for v in [V10, V11] {
        assert_live_srat("amd-iommu", v);
    }
}
