//! `vnuma qemu` (the binary) turns every QEMU bios-tables-test NUMA case's exact
//! command line (`tests/data/qemu-golden/MANIFEST.md`) into QEMU's golden blobs,
//! byte for byte, and writes exactly the tables QEMU builds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod common;

use std::path::Path;
use std::process::Command;

/// What bios-tables-test adds around `params` on x86 (MANIFEST "How the test harness
/// builds the command line"): before and after.
const X86_PRE: &str = "-accel tcg -net none";
const X86_POST: &str =
    "-drive id=hd0,if=none,file=tests/acpi-test-disk.raw,format=raw -device ide-hd,drive=hd0";
/// The same for aarch64 virt (EDK2 in pflash: virt then has the acpi-ged device that
/// memory hotplug needs).
const ARM_PRE: &str = "-accel tcg -nodefaults -nographic -drive if=pflash,format=raw,file=pc-bios/edk2-aarch64-code.fd,readonly=on -drive if=pflash,format=raw,file=pc-bios/edk2-arm-vars.fd,snapshot=on -cdrom tests/data/uefi-boot-images/bios-tables-test.aarch64.iso.qcow2";

const CPHP: &str = "-smp 2,cores=3,sockets=2,maxcpus=6 -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
const NUMAMEM: &str =
    "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0";
const MEMHP: &str = "-m 128,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
const DIMMPXM: &str = "-machine nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4 -m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M -object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1 -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3 -object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2";
const ACPIHMAT: &str = "-machine hmat=on -smp 2,sockets=2 -m 128M,slots=2,maxmem=1G -object memory-backend-ram,size=64M,id=m0 -object memory-backend-ram,size=64M,id=m1 -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1,initiator=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=65534M -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=65534 -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=32767M -numa hmat-cache,node-id=0,size=10K,level=1,associativity=direct,policy=write-back,line=8 -numa hmat-cache,node-id=1,size=10K,level=1,associativity=direct,policy=write-back,line=8";
const NOINIT_NUMA: &str = "-smp 4,sockets=2 -m 128M -object memory-backend-ram,size=32M,id=ram0 -object memory-backend-ram,size=32M,id=ram1 -object memory-backend-ram,size=64M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1";
const VIRT_HMAT_NUMA: &str = "-machine hmat=on -cpu cortex-a57 -smp 4,sockets=2 -m 384M -object memory-backend-ram,size=128M,id=ram0 -object memory-backend-ram,size=128M,id=ram1 -object memory-backend-ram,size=128M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1";
const MMIO64: &str = "-m 128M,slots=1,maxmem=2G -cpu Opteron_G1 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0 -device pci-testdev,membar=2G";
const XAPIC: &str = "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0 -machine kernel-irqchip=on -smp 1,maxcpus=288";
const VIRT_NUMAMEM: &str =
    "-cpu cortex-a57 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0";
const VIRT_MEMHP: &str = "-bios QEMU_EFI.fd -machine nvdimm=on -cpu cortex-a57 -m 256M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=128M -object memory-backend-ram,id=ram1,size=128M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21 -object memory-backend-ram,id=ram2,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram2,node=0 -device nvdimm,id=dimm1,memdev=nvm0,node=1";

/// MANIFEST L1: the 12 hmat-lb options.
fn l1() -> String {
    let mut s = String::new();
    for (i, t, lat, bw) in [
        (0, 0, 10, 10485760),
        (0, 1, 20, 5242880),
        (0, 2, 30, 1048576),
        (1, 0, 20, 5242880),
        (1, 1, 10, 10485760),
        (1, 2, 30, 1048576),
    ] {
        s += &format!(
            " -numa hmat-lb,initiator={i},target={t},hierarchy=memory,data-type=access-latency,latency={lat}"
        );
        s += &format!(
            " -numa hmat-lb,initiator={i},target={t},hierarchy=memory,data-type=access-bandwidth,bandwidth={bw}"
        );
    }
    s
}

/// Runs `vnuma qemu --arch ARCH -o DIR -- ARGS` and compares DIR with the golden
/// blobs: exactly the tables named in `expect` (`(file in DIR, golden path)`).
fn run_case(arch: &str, args: &str, expect: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::vnuma_bin())
        .args(["qemu", "--arch", arch, "-o"])
        .arg(dir.path())
        .arg("--")
        .args(args.split_whitespace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    let mut want: Vec<String> = expect.iter().map(|(f, _)| f.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{args}");
    for (file, golden) in expect {
        let g = std::fs::read(common::golden_dir().join(golden)).unwrap();
        let b = std::fs::read(Path::new(dir.path()).join(file)).unwrap();
        assert_eq!(b, g, "{golden} from: {args}");
    }
}

fn x86(machine: &str, params: &str, expect: &[(&str, &str)]) {
    run_case(
        "x86_64",
        &format!("-machine {machine} {X86_PRE} {params} {X86_POST}"),
        expect,
    );
}

#[test]
fn pc_and_q35_cases() {
    for m in ["pc", "q35"] {
        let g = |sig: &str, v: &str| format!("x86/{m}/{sig}.{v}");
        x86(
            m,
            CPHP,
            &[
                ("SRAT.dat", &g("SRAT", "cphp")),
                ("SLIT.dat", &g("SLIT", "cphp")),
            ],
        );
        x86(m, NUMAMEM, &[("SRAT.dat", &g("SRAT", "numamem"))]);
        x86(
            m,
            MEMHP,
            &[
                ("SRAT.dat", &g("SRAT", "memhp")),
                ("SLIT.dat", &g("SLIT", "memhp")),
            ],
        );
        x86(m, DIMMPXM, &[("SRAT.dat", &g("SRAT", "dimmpxm"))]);
        x86(
            m,
            ACPIHMAT,
            &[
                ("SRAT.dat", &g("SRAT", "acpihmat")),
                ("HMAT.dat", &g("HMAT", "acpihmat")),
            ],
        );
    }
}

#[test]
fn q35_only_cases() {
    let noinit = format!("-machine hmat=on {NOINIT_NUMA}{}", l1());
    x86(
        "q35",
        &noinit,
        &[
            ("SRAT.dat", "x86/q35/SRAT.acpihmat-noinitiator"),
            ("HMAT.dat", "x86/q35/HMAT.acpihmat-noinitiator"),
        ],
    );
    x86(
        "q35",
        &common::g1(),
        &[
            ("SRAT.dat", "x86/q35/SRAT.acpihmat-generic-x"),
            ("HMAT.dat", "x86/q35/HMAT.acpihmat-generic-x"),
        ],
    );
    x86("q35", MMIO64, &[("SRAT.dat", "x86/q35/SRAT.mmio64")]);
    x86("q35", XAPIC, &[("SRAT.dat", "x86/q35/SRAT.xapic")]);
}

#[test]
fn virt_cases() {
    let arm = |params: &str, expect: &[(&str, &str)]| {
        run_case(
            "aarch64",
            &format!("-machine virt {ARM_PRE} {params}"),
            expect,
        )
    };
    arm(VIRT_NUMAMEM, &[("SRAT.dat", "aarch64/virt/SRAT.numamem")]);
    arm(
        VIRT_MEMHP,
        &[
            ("SRAT.dat", "aarch64/virt/SRAT.memhp"),
            ("SLIT.dat", "aarch64/virt/SLIT.memhp"),
        ],
    );
    arm(
        &format!("{VIRT_HMAT_NUMA}{}", l1()),
        &[
            ("SRAT.dat", "aarch64/virt/SRAT.acpihmatvirt"),
            ("HMAT.dat", "aarch64/virt/HMAT.acpihmatvirt"),
        ],
    );
}
