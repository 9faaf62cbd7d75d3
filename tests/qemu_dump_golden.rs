//! `qemu::dump` against QEMU's own bios-tables-test expected blobs: every
//! x86 (pc, q35) and aarch64 (virt) case of `tests/data/qemu-golden/MANIFEST.md`
//! is run through the live QEMU 10 with the test's exact parameters, and the
//! SRAT/SLIT/HMAT it dumps must equal the golden files byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use common::hmat_lb;

use vnuma::live::dump::{Arch, DumpError, DumpRequest, dump};

/// One bios-tables-test case.
struct Case {
    /// `<arch>/<machine>` directory under qemu-golden.
    dir: &'static str,
    /// Variant suffix of the expected files (`.cphp` → "cphp").
    variant: &'static str,
    /// The test's `params`, split at whitespace (no value contains a space).
    params: String,
    /// Expected NUMA tables.
    tables: &'static [&'static str],
}

const CPHP: &str = "-smp 2,cores=3,sockets=2,maxcpus=6 -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
const NUMAMEM: &str =
    "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0";
const MEMHP: &str = "-m 128,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=64M -object memory-backend-ram,id=ram1,size=64M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21";
const DIMMPXM: &str = "-machine nvdimm=on,nvdimm-persistence=cpu -smp 4,sockets=4 -m 128M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=32M -object memory-backend-ram,id=ram1,size=32M -object memory-backend-ram,id=ram2,size=32M -object memory-backend-ram,id=ram3,size=32M -numa node,memdev=ram0,nodeid=0 -numa node,memdev=ram1,nodeid=1 -numa node,memdev=ram2,nodeid=2 -numa node,memdev=ram3,nodeid=3 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=2,socket-id=2 -numa cpu,node-id=3,socket-id=3 -object memory-backend-ram,id=ram4,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram4,node=1 -device nvdimm,id=dimm1,memdev=nvm0,node=2";
const ACPIHMAT: &str = "-machine hmat=on -smp 2,sockets=2 -m 128M,slots=2,maxmem=1G -object memory-backend-ram,size=64M,id=m0 -object memory-backend-ram,size=64M,id=m1 -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1,initiator=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1 -numa hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,bandwidth=65534M -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=65534 -numa hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-bandwidth,bandwidth=32767M -numa hmat-cache,node-id=0,size=10K,level=1,associativity=direct,policy=write-back,line=8 -numa hmat-cache,node-id=1,size=10K,level=1,associativity=direct,policy=write-back,line=8";
const NOINIT_HEAD: &str = "-machine hmat=on -smp 4,sockets=2 -m 128M -object memory-backend-ram,size=32M,id=ram0 -object memory-backend-ram,size=32M,id=ram1 -object memory-backend-ram,size=64M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1";
const VIRT_HMAT_HEAD: &str = "-machine hmat=on -cpu cortex-a57 -smp 4,sockets=2 -m 384M -object memory-backend-ram,size=128M,id=ram0 -object memory-backend-ram,size=128M,id=ram1 -object memory-backend-ram,size=128M,id=ram2 -numa node,nodeid=0,memdev=ram0 -numa node,nodeid=1,memdev=ram1 -numa node,nodeid=2,memdev=ram2 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1 -numa cpu,node-id=1,socket-id=1";
const MMIO64: &str = "-m 128M,slots=1,maxmem=2G -cpu Opteron_G1 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0 -device pci-testdev,membar=2G";
const XAPIC: &str = "-object memory-backend-ram,id=ram0,size=128M -numa node -numa node,memdev=ram0 -machine kernel-irqchip=on -smp 1,maxcpus=288";
const MEMHP_VIRT: &str = "-machine nvdimm=on -cpu cortex-a57 -m 256M,slots=3,maxmem=1G -object memory-backend-ram,id=ram0,size=128M -object memory-backend-ram,id=ram1,size=128M -numa node,memdev=ram0 -numa node,memdev=ram1 -numa dist,src=0,dst=1,val=21 -object memory-backend-ram,id=ram2,size=128M -object memory-backend-ram,id=nvm0,size=128M -device pc-dimm,id=dimm0,memdev=ram2,node=0 -device nvdimm,id=dimm1,memdev=nvm0,node=1";

/// MANIFEST "L1": the 12 hmat-lb options shared by acpihmat-noinitiator and acpihmatvirt.
fn l1() -> String {
    hmat_lb(&[
        (0, 0, "latency", "10"),
        (0, 0, "bandwidth", "10485760"),
        (0, 1, "latency", "20"),
        (0, 1, "bandwidth", "5242880"),
        (0, 2, "latency", "30"),
        (0, 2, "bandwidth", "1048576"),
        (1, 0, "latency", "20"),
        (1, 0, "bandwidth", "5242880"),
        (1, 1, "latency", "10"),
        (1, 1, "bandwidth", "10485760"),
        (1, 2, "latency", "30"),
        (1, 2, "bandwidth", "1048576"),
    ])
}

fn cases() -> Vec<Case> {
    let c = |dir, variant, params: String, tables| Case {
        dir,
        variant,
        params,
        tables,
    };
    let mut v = Vec::new();
    for m in ["x86/pc", "x86/q35"] {
        v.push(c(m, "cphp", CPHP.into(), &["SRAT", "SLIT"][..]));
        v.push(c(m, "numamem", NUMAMEM.into(), &["SRAT"]));
        v.push(c(m, "memhp", MEMHP.into(), &["SRAT", "SLIT"]));
        v.push(c(m, "dimmpxm", DIMMPXM.into(), &["SRAT"]));
        v.push(c(m, "acpihmat", ACPIHMAT.into(), &["SRAT", "HMAT"]));
    }
    let q = "x86/q35";
    v.push(c(
        q,
        "acpihmat-noinitiator",
        format!("{NOINIT_HEAD}{}", l1()),
        &["SRAT", "HMAT"],
    ));
    v.push(c(q, "acpihmat-generic-x", common::g1(), &["SRAT", "HMAT"]));
    v.push(c(q, "mmio64", MMIO64.into(), &["SRAT"]));
    // The KVM-only xapic case: QEMU 10 accepts kernel-irqchip=on under TCG too.
    v.push(c(q, "xapic", XAPIC.into(), &["SRAT"]));
    let a = "aarch64/virt";
    v.push(c(
        a,
        "acpihmatvirt",
        format!("{VIRT_HMAT_HEAD}{}", l1()),
        &["SRAT", "HMAT"],
    ));
    v.push(c(
        a,
        "numamem",
        "-cpu cortex-a57 -object memory-backend-ram,id=ram0,size=128M -numa node,memdev=ram0"
            .into(),
        &["SRAT"],
    ));
    v.push(c(a, "memhp", MEMHP_VIRT.into(), &["SRAT", "SLIT"]));
    v
}

/// The pflash code image: EDK2 from the Debian packages. The firmware never runs
/// (no vCPU starts); its presence is what makes `virt` create the acpi-ged device
/// that memory hotplug (`pc-dimm`) needs.
fn aarch64_firmware() -> Option<PathBuf> {
    [
        "/usr/share/AAVMF/AAVMF_CODE.fd",
        "/usr/share/qemu/edk2-aarch64-code.fd",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The harness's machine arguments followed by the case's params.
fn request(case: &Case, firmware: Option<&PathBuf>) -> DumpRequest {
    let machine = case.dir.rsplit('/').next().unwrap_or("pc");
    let mut args: Vec<String> = vec![
        "-machine".into(),
        machine.into(),
        "-accel".into(),
        "tcg".into(),
    ];
    if case.dir.starts_with("x86") {
        args.extend(["-net".into(), "none".into()]);
    } else {
        args.extend(["-nodefaults".into(), "-nographic".into()]);
        if let Some(fw) = firmware {
            args.push("-drive".into());
            args.push(format!(
                "if=pflash,format=raw,file={},readonly=on",
                fw.display()
            ));
        }
    }
    args.extend(case.params.split_whitespace().map(String::from));
    DumpRequest::new(args)
}

#[test]
fn dumps_match_qemu_golden_blobs() {
    if !common::have_tool("qemu-system-x86_64") || !common::have_tool("qemu-system-aarch64") {
        return;
    }
    let firmware = aarch64_firmware();
    if firmware.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no aarch64 EDK2 image (install qemu-efi-aarch64)"
        );
    }
    let golden = common::golden_dir();
    let cases = cases();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let fw = firmware.as_ref();
                let golden = &golden;
                s.spawn(move || -> Vec<String> {
                    let name = format!("{}/{}", case.dir, case.variant);
                    if case.variant == "memhp" && case.dir.starts_with("aarch64") && fw.is_none() {
                        eprintln!("skipping {name}: no aarch64 firmware image");
                        return Vec::new();
                    }
                    let req = request(case, fw);
                    let d = match dump(&req) {
                        Ok(d) => d,
                        Err(e) => return vec![format!("{name}: dump failed: {e}")],
                    };
                    let mut errs = Vec::new();
                    for sig in ["SRAT", "SLIT", "HMAT"] {
                        let got = d.get(sig);
                        if case.tables.contains(&sig) {
                            let path = golden
                                .join(case.dir)
                                .join(format!("{sig}.{}", case.variant));
                            let want = std::fs::read(&path).expect("golden blob");
                            match got {
                                Some(g) if g == want.as_slice() => {}
                                Some(g) => errs.push(format!(
                                    "{name}: {sig} differs from {} (got {} bytes, want {})",
                                    path.display(),
                                    g.len(),
                                    want.len()
                                )),
                                None => errs.push(format!("{name}: QEMU built no {sig}")),
                            }
                        } else if got.is_some() {
                            errs.push(format!("{name}: unexpected {sig}"));
                        }
                    }
                    errs
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["a case panicked".into()]))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arch_is_inferred_for_golden_cases() {
    let cases = cases();
    for case in &cases {
        let arch = request(case, None).resolved_arch().unwrap();
        let want = if case.dir.starts_with("x86") {
            Arch::X86_64
        } else {
            Arch::Aarch64
        };
        assert_eq!(arch, want, "{}", case.dir);
    }
}

#[test]
fn rejected_command_line_passes_qemu_error_through() {
    if !common::have_tool("qemu-system-x86_64") {
        return;
    }
    let req = DumpRequest::new(["-machine", "q35", "-numa", "node,nodeid=200"]);
    match dump(&req) {
        Err(DumpError::Rejected { status, stderr }) => {
            assert_eq!(status, 1);
            // qemu-numa-spec.md §5.2: "Max number of NUMA nodes reached: N".
            assert_eq!(
                stderr,
                "qemu-system-x86_64: -numa node,nodeid=200: Max number of NUMA nodes reached: 200\n"
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn rejected_generic_initiator_has_no_program_prefix() {
    if !common::have_tool("qemu-system-x86_64") {
        return;
    }
    // qemu-numa-spec.md §4.4: table-build-time GI error, no program-name prefix.
    let req = DumpRequest::new([
        "-machine",
        "q35",
        "-object",
        "memory-backend-ram,id=m0,size=128M",
        "-numa",
        "node,nodeid=0,memdev=m0",
        "-device",
        "pci-testdev,id=gpu0",
        "-object",
        "acpi-generic-initiator,id=gi0,pci-dev=gpu0,node=3",
    ]);
    match dump(&req) {
        Err(DumpError::Rejected { status, stderr }) => {
            assert_eq!(status, 1);
            assert_eq!(
                stderr,
                "acpi-generic-initiator: Specified node 3 is invalid.\n"
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn missing_qemu_binary_is_a_clear_error() {
    let mut req = DumpRequest::new(["-machine", "q35"]);
    req.qemu = Some(PathBuf::from("/nonexistent/qemu-system-x86_64"));
    let e = dump(&req).unwrap_err();
    assert!(matches!(e, DumpError::NotFound { .. }), "{e:?}");
    assert!(
        e.to_string().contains("/nonexistent/qemu-system-x86_64"),
        "{e}"
    );
}

#[test]
fn grace_hopper_example_matches_live_qemu() {
    if !common::have_tool("qemu-system-x86_64") {
        return;
    }
    let dir = common::root().join("examples/grace-hopper");
    let args = vnuma::live::dump::read_args_file(&dir.join("qemu-args.txt")).expect("args file");
    let d = dump(&DumpRequest::new(args)).expect("dump");
    let srat = std::fs::read(dir.join("tables/SRAT.dat")).expect("SRAT.dat");
    let slit = std::fs::read(dir.join("tables/SLIT.dat")).expect("SLIT.dat");
    assert_eq!(d.srat(), Some(srat.as_slice()));
    assert_eq!(d.slit(), Some(slit.as_slice()));
    assert_eq!(d.hmat(), None);
    // Independent of the dump: the first GI entry (after 4 LAPIC x 16 and 12 memory
    // x 40 bytes, from offset 48) carries PCI segment 0, bus 1, devfn 0.
    let gi = 48 + 4 * 16 + 12 * 40;
    assert_eq!(srat[gi], 5, "type 5 = Generic Initiator");
    assert_eq!(srat[gi + 3], 1, "handle type 1 = PCI");
    assert_eq!(
        &srat[gi + 8..gi + 12],
        &[0, 0, 1, 0],
        "segment 0, bus 1, devfn 0"
    );
    // SLIT: 10 localities, row 0 = 10 20 80 x 8.
    assert_eq!(&slit[36..44], &10u64.to_le_bytes());
    assert_eq!(&slit[44..54], &[10, 20, 80, 80, 80, 80, 80, 80, 80, 80]);
}

#[test]
fn cli_writes_numa_tables_and_passes_rejections_through() {
    if !common::have_tool("qemu-system-x86_64") {
        return;
    }
    let bin = common::vnuma_bin();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("t");
    let run = |extra: &[&str]| {
        std::process::Command::new(bin)
            .args(["qemu-dump", "-o"])
            .arg(&dir)
            .arg("--")
            .args(["-machine", "pc", "-net", "none"])
            .args(extra)
            .output()
            .unwrap()
    };
    // pc/memhp from the golden set: SRAT + SLIT, nothing else.
    let o = run(&MEMHP.split_whitespace().collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["SLIT.dat", "SRAT.dat"]);
    let golden = common::golden_dir().join("x86/pc");
    assert_eq!(
        std::fs::read(dir.join("SRAT.dat")).unwrap(),
        std::fs::read(golden.join("SRAT.memhp")).unwrap()
    );
    // A rejected command line: QEMU's stderr unchanged, QEMU's exit status.
    let o = run(&[
        "-numa",
        "node",
        "-numa",
        "node",
        "-numa",
        "dist,src=0,dst=1,val=9",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "qemu-system-x86_64: -numa dist,src=0,dst=1,val=9: NUMA distance (9) is invalid, it shouldn't be less than 10.\n"
    );
}
