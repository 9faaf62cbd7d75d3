//! `qemu-dump`: the ACPI tables the installed QEMU really builds, read without
//! booting a guest, as they land in guest memory.
//!
//! Method: QEMU runs with the user's arguments plus
//! `-S -display none -qtest stdio -qtest-log none` (and `-accel tcg` unless
//! the arguments choose an accelerator). No vCPU ever runs. Over the qtest
//! protocol vnuma then does what firmware does before it reads the tables:
//! it numbers the PCI bridges' buses depth-first (SeaBIOS `pci_bios_init_bus`,
//! with QEMU's bus-reserve capability and extra pxb root buses), and on q35
//! enables PCIEXBAR. Only then does it select fw_cfg `etc/acpi/tables`, which
//! makes QEMU rebuild the tables with those bus numbers (a Generic Initiator
//! behind a root port gets bus 1, as in a booted guest). The blob is split into
//! tables and each checksum is filled in, as the firmware's loader does.
//!
//! Not done (outside the NUMA tables, firmware-dependent): pointer fields
//! (RSDT/XSDT/FADT entries) hold offsets in the blob, not guest addresses, and
//! PCI resource windows in the DSDT reflect an unprogrammed PCI bus.

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::acpi::header::{HEADER_LEN, fill_checksum};
use crate::acpi::split_tables;
use crate::front::qemu::args::{ArgList, ArgsFileWords};

use super::qtest::{Machine, ProtocolError, Qtest};
pub use crate::front::qemu::Arch;

/// What to run: the QEMU binary (or the arch's default) and the user's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRequest {
    /// The QEMU binary; `None` runs [`Arch::program`] from `PATH`.
    pub qemu: Option<PathBuf>,
    /// The target; `None` infers it from `-machine`/`-M` in `args`, then from the
    /// binary's name, else x86_64 (whose default machine is `pc`).
    pub arch: Option<Arch>,
    /// The VM's QEMU arguments, as they would be given to QEMU.
    pub args: Vec<String>,
    /// How long QEMU may take before it is killed (default 20 s).
    pub timeout: Duration,
}

impl DumpRequest {
    /// A request for these arguments with the default binary, inferred arch and timeout.
    pub fn new<I, S>(args: I) -> DumpRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        DumpRequest {
            qemu: None,
            arch: None,
            args: args.into_iter().map(Into::into).collect(),
            timeout: Duration::from_secs(20),
        }
    }

    /// The arch this request runs for (see [`DumpRequest::arch`]).
    pub fn resolved_arch(&self) -> Result<Arch, DumpError> {
        if let Some(a) = self.arch {
            return Ok(a);
        }
        if let Some(m) = machine_type(&self.args) {
            return Arch::of_machine(&m).ok_or(DumpError::UnknownMachine { machine: m });
        }
        if let Some(q) = &self.qemu {
            let name = q
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if name.contains("aarch64") {
                return Ok(Arch::Aarch64);
            }
        }
        Ok(Arch::X86_64)
    }

    /// The binary this request runs.
    pub fn resolved_qemu(&self) -> Result<PathBuf, DumpError> {
        Ok(match &self.qemu {
            Some(q) => q.clone(),
            None => PathBuf::from(self.resolved_arch()?.program()),
        })
    }

    /// The full argument list given to QEMU: the user's, then vnuma's.
    pub fn qemu_args(&self) -> Vec<String> {
        let mut v = free_stdio(&self.args);
        if !chooses_accel(&self.args) {
            v.extend(["-accel".into(), "tcg".into()]);
        }
        v.extend(
            [
                "-S",
                "-display",
                "none",
                "-qtest",
                "stdio",
                "-qtest-log",
                "none",
            ]
            .into_iter()
            .map(String::from),
        );
        v
    }
}

/// The arguments with every use of stdio moved off it, since qtest needs
/// stdin/stdout: `-nographic` becomes `-display none` (its default
/// `mon:stdio` serial would clash; the devices stay the same, only their
/// backends change), and `stdio` backends of `-serial`, `-parallel`,
/// `-monitor`, `-qmp` and `-chardev` become `null` ones. `-daemonize` is dropped.
pub fn free_stdio(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let opt = a
            .strip_prefix('-')
            .map(|s| s.strip_prefix('-').unwrap_or(s));
        match opt {
            Some("nographic") => out.extend(["-display".to_string(), "none".to_string()]),
            Some("daemonize") => {}
            Some("serial" | "parallel" | "monitor" | "qmp" | "qmp-pretty") => {
                out.push(a.clone());
                if let Some(v) = it.next() {
                    if v == "stdio" || v == "mon:stdio" {
                        out.push("null".into());
                    } else {
                        out.push(v.clone());
                    }
                }
            }
            Some("chardev") => {
                out.push(a.clone());
                if let Some(v) = it.next() {
                    let mut parts = v.split(',');
                    if parts.next() == Some("stdio") {
                        let keep: Vec<&str> = parts
                            .filter(|p| p.starts_with("id=") || p.starts_with("mux="))
                            .collect();
                        let mut n = String::from("null");
                        for p in keep {
                            n.push(',');
                            n.push_str(p);
                        }
                        out.push(n);
                    } else {
                        out.push(v.clone());
                    }
                }
            }
            _ => out.push(a.clone()),
        }
    }
    out
}

/// The machine type named by the last `-machine`/`-M` option (`q35`,
/// `type=q35,…` or `q35,hmat=on`), if any.
pub fn machine_type(args: &(impl ArgList + ?Sized)) -> Option<String> {
    let mut found = None;
    let mut it = args.words();
    while let Some(a) = it.next() {
        let val = match a {
            "-machine" | "--machine" | "-M" => it.next(),
            s => s
                .strip_prefix("-machine=")
                .or_else(|| s.strip_prefix("--machine=")),
        };
        let Some(val) = val else { continue };
        for (i, part) in val.split(',').enumerate() {
            if let Some(t) = part.strip_prefix("type=") {
                found = Some(t.to_string());
            } else if i == 0 && !part.contains('=') && !part.is_empty() {
                found = Some(part.to_string());
            }
        }
    }
    found
}

/// Whether the arguments already pick an accelerator (then vnuma adds no `-accel tcg`,
/// which QEMU would reject next to `-machine accel=`).
fn chooses_accel(args: &[String]) -> bool {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-accel" | "--accel" | "-enable-kvm" | "--enable-kvm" => return true,
            "-machine" | "--machine" | "-M"
                if it
                    .next()
                    .is_some_and(|v| v.split(',').any(|p| p.starts_with("accel="))) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Every ACPI table QEMU built, in blob order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The target the tables come from.
    pub arch: Arch,
    /// `(signature, bytes)` per table, checksums filled in, in blob order.
    pub tables: Vec<(String, Vec<u8>)>,
    /// What QEMU wrote on stderr while it built them (its warnings).
    pub stderr: String,
}

impl Dump {
    /// The first table with this signature.
    pub fn get(&self, signature: &str) -> Option<&[u8]> {
        self.tables
            .iter()
            .find(|(s, _)| s == signature)
            .map(|(_, b)| b.as_slice())
    }

    /// The SRAT, if QEMU built one (it does when the machine has NUMA nodes).
    pub fn srat(&self) -> Option<&[u8]> {
        self.get("SRAT")
    }

    /// The SLIT, if QEMU built one (it does when `-numa dist` was given).
    pub fn slit(&self) -> Option<&[u8]> {
        self.get("SLIT")
    }

    /// The HMAT, if QEMU built one (it does with `-machine hmat=on`).
    pub fn hmat(&self) -> Option<&[u8]> {
        self.get("HMAT")
    }

    /// The NUMA tables QEMU built, in the order SRAT, SLIT, HMAT.
    pub fn numa_tables(&self) -> Vec<(&str, &[u8])> {
        ["SRAT", "SLIT", "HMAT"]
            .into_iter()
            .filter_map(|s| self.get(s).map(|b| (s, b)))
            .collect()
    }

    /// File names for every table: `SIG.dat`, and `SIG-2.dat`, `SIG-3.dat`, …
    /// for later tables with the same signature (e.g. several SSDTs).
    pub fn files(&self) -> Vec<(String, &[u8])> {
        let mut seen: Vec<&str> = Vec::new();
        self.tables
            .iter()
            .map(|(s, b)| {
                let n = seen.iter().filter(|x| **x == s.as_str()).count();
                seen.push(s);
                let name = if n == 0 {
                    format!("{}.dat", file_safe(s))
                } else {
                    format!("{}-{}.dat", file_safe(s), n + 1)
                };
                (name, b.as_slice())
            })
            .collect()
    }
}

/// A signature made safe as a file name (non-alphanumeric bytes become `_`).
fn file_safe(sig: &str) -> String {
    sig.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Why a dump failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The QEMU binary could not be found or started.
    #[error("cannot run QEMU `{}` (install QEMU 10 or pass --qemu BIN)", qemu.display())]
    NotFound {
        /// The binary that was tried.
        qemu: PathBuf,
        /// The error from starting it.
        source: std::io::Error,
    },
    /// QEMU refused the command line (or otherwise exited before answering):
    /// it printed `stderr` and exited with `status`.
    #[error("QEMU rejected the command line (exit status {status}): {}", stderr.trim_end())]
    Rejected {
        /// QEMU's exit status; 128 + the signal number when a signal ended it.
        status: i32,
        /// Everything QEMU wrote on stderr, unchanged.
        stderr: String,
    },
    /// QEMU did not answer within the timeout and was killed.
    #[error("QEMU did not answer within {} s and was killed", timeout.as_secs())]
    Timeout {
        /// The timeout that passed.
        timeout: Duration,
        /// What QEMU wrote on stderr.
        stderr: String,
    },
    /// QEMU answered the qtest protocol unexpectedly.
    #[error("qtest protocol failure: {detail}{}", stderr_suffix(stderr))]
    Protocol {
        /// What went wrong.
        detail: String,
        /// What QEMU wrote on stderr.
        stderr: String,
    },
    /// The machine exposes no `etc/acpi/tables` (ACPI off, or a machine without ACPI).
    #[error(
        "QEMU built no ACPI tables (no fw_cfg file etc/acpi/tables; is ACPI off or the machine type without ACPI?)"
    )]
    NoAcpiTables,
    /// The table blob could not be split into tables.
    #[error("QEMU's etc/acpi/tables blob is malformed: {0}")]
    BadBlob(String),
    /// The machine type in the arguments has no known arch.
    #[error("cannot tell the QEMU target of machine `{machine}`; pass --arch x86_64|aarch64")]
    UnknownMachine {
        /// The machine type.
        machine: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    let s = stderr.trim_end();
    if s.is_empty() {
        String::new()
    } else {
        format!("; QEMU said: {s}")
    }
}

fn status_code(st: ExitStatus) -> i32 {
    if let Some(c) = st.code() {
        return c;
    }
    use std::os::unix::process::ExitStatusExt;
    st.signal().map(|s| 128 + s).unwrap_or(1)
}

/// Runs QEMU and returns every ACPI table it built, as the guest would see them.
pub fn dump(req: &DumpRequest) -> Result<Dump, DumpError> {
    let arch = req.resolved_arch()?;
    let qemu = req.resolved_qemu()?;
    let mut child = Command::new(&qemu)
        .args(req.qemu_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| DumpError::NotFound {
            qemu: qemu.clone(),
            source,
        })?;
    let stderr_thread = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = e.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
        (Some(i), Some(o)) => (i, o),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DumpError::Protocol {
                detail: "QEMU's stdin/stdout pipes are missing".into(),
                stderr: String::new(),
            });
        }
    };
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let qt = Qtest::new(BufReader::with_capacity(1 << 16, stdout), stdin);
        let r = read_blob(qt, arch);
        let _ = tx.send(());
        r
    });
    let timed_out = rx.recv_timeout(req.timeout).is_err() && !worker.is_finished();
    let result = if timed_out {
        finish(&mut child);
        let _ = worker.join();
        None
    } else {
        worker.join().ok()
    };
    // Whatever happened, QEMU is ended and reaped here (qtest has no quit command).
    let status = match &result {
        Some(Ok(_)) => {
            finish(&mut child);
            None
        }
        _ => {
            // On a protocol failure QEMU has usually exited by itself (rejected
            // command line); give it a moment, then make sure.
            wait_briefly(&mut child)
        }
    };
    let stderr = stderr_thread
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    if timed_out {
        return Err(DumpError::Timeout {
            timeout: req.timeout,
            stderr,
        });
    }
    match result {
        Some(Ok(blob)) => Ok(Dump {
            arch,
            tables: split_blob(&blob)?,
            stderr,
        }),
        Some(Err(BlobError::NoTables)) => Err(DumpError::NoAcpiTables),
        Some(Err(BlobError::Protocol(e))) => match status {
            Some(st) => Err(DumpError::Rejected {
                status: status_code(st),
                stderr,
            }),
            None => Err(DumpError::Protocol {
                detail: e.0,
                stderr,
            }),
        },
        None => Err(DumpError::Protocol {
            detail: "the qtest worker thread panicked".into(),
            stderr,
        }),
    }
}

/// Kills and reaps QEMU.
fn finish(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits up to 2 s for QEMU to exit by itself; kills it otherwise. Returns the
/// exit status when QEMU exited by itself.
fn wait_briefly(child: &mut Child) -> Option<ExitStatus> {
    for _ in 0..200 {
        match child.try_wait() {
            Ok(Some(st)) => return Some(st),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break,
        }
    }
    finish(child);
    None
}

enum BlobError {
    NoTables,
    Protocol(ProtocolError),
}

impl From<ProtocolError> for BlobError {
    fn from(e: ProtocolError) -> Self {
        BlobError::Protocol(e)
    }
}

/// The firmware's part: number PCI buses, then read `etc/acpi/tables`.
fn read_blob<R: std::io::BufRead, W: std::io::Write>(
    qt: Qtest<R, W>,
    arch: Arch,
) -> Result<Vec<u8>, BlobError> {
    let mut m = Machine::new(qt, arch == Arch::Aarch64)?;
    let files = m.fw_cfg_files()?;
    let find = |name: &str| files.iter().find(|f| f.name == name).cloned();
    let extra_roots = match find("etc/extra-pci-roots") {
        Some(f) => {
            let len = usize::try_from(f.size).unwrap_or(0).min(8);
            let b = m.fw_cfg_read(f.select, len)?;
            b.iter().any(|&x| x != 0)
        }
        None => false,
    };
    m.number_pci_buses(extra_roots)?;
    m.setup_q35_pciexbar()?;
    let tables = find("etc/acpi/tables").ok_or(BlobError::NoTables)?;
    let len = usize::try_from(tables.size).unwrap_or(0);
    Ok(m.fw_cfg_read(tables.select, len)?)
}

/// Splits QEMU's table blob (trailing zero padding allowed) and fills each
/// table's checksum. FACS has no checksum and is kept as is.
pub fn split_blob(blob: &[u8]) -> Result<Vec<(String, Vec<u8>)>, DumpError> {
    // Find the end of the tables: QEMU pads the blob with zeros.
    let mut end = 0usize;
    while end < blob.len() {
        let rest = blob.get(end..).unwrap_or(&[]);
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let len = rest
            .get(4..8)
            .and_then(|l| <[u8; 4]>::try_from(l).ok())
            .map(u32::from_le_bytes)
            .and_then(|l| usize::try_from(l).ok())
            .ok_or_else(|| DumpError::BadBlob(format!("truncated table header at offset {end}")))?;
        if len < HEADER_LEN || len > rest.len() {
            // Let split_tables produce the precise error below.
            end = blob.len();
            break;
        }
        end += len;
    }
    let parts = split_tables(blob.get(..end).unwrap_or(blob))
        .map_err(|e| DumpError::BadBlob(e.to_string()))?;
    Ok(parts
        .into_iter()
        .map(|(_, t)| {
            let sig: String = t
                .get(..4)
                .unwrap_or(&[])
                .iter()
                .map(|&b| char::from(b))
                .collect();
            let mut bytes = t.to_vec();
            if sig != "FACS" {
                fill_checksum(&mut bytes);
            }
            (sig, bytes)
        })
        .collect())
}

/// Reads a QEMU arguments file: one option and its value per line (`-m 1G`),
/// or a lone option (`-nodefaults`); blank lines and lines starting with `#`
/// are ignored. Each line is split at the first run of whitespace only, so
/// values keep any further spaces.
pub fn parse_args_file(text: &str) -> Vec<String> {
    args_file_words(text)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// [`parse_args_file`] without copying: the words are slices of `text` (the
/// vector is sized exactly, so a large file costs its text plus 16 bytes a word).
pub fn args_file_words(text: &str) -> Vec<&str> {
    let words = |l: &str| -> usize {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            0
        } else if l.contains(char::is_whitespace) {
            2
        } else {
            1
        }
    };
    let mut out = Vec::with_capacity(text.lines().map(words).sum());
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l.split_once(char::is_whitespace) {
            Some((opt, val)) => {
                out.push(opt);
                out.push(val.trim());
            }
            None => out.push(l),
        }
    }
    out
}

/// [`args_file_words`] as a compact list: 4 bytes a word (an offset into
/// `text`) instead of 16, for parsing a large file within the memory budget.
pub fn args_file_list(text: &str) -> ArgsFileWords<'_> {
    ArgsFileWords::new(text)
}

pub use super::args::read_args_file;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn machine_type_and_arch() {
        assert_eq!(machine_type(&s(&["-M", "q35,hmat=on"])), Some("q35".into()));
        assert_eq!(
            machine_type(&s(&["-machine", "virt", "-machine", "hmat=on"])),
            Some("virt".into())
        );
        assert_eq!(
            machine_type(&s(&["-machine", "hmat=on,type=pc"])),
            Some("pc".into())
        );
        assert_eq!(machine_type(&s(&["-m", "1G"])), None);
        let r = DumpRequest::new(["-M", "virt"]);
        assert_eq!(r.resolved_arch().unwrap(), Arch::Aarch64);
        assert_eq!(
            r.resolved_qemu().unwrap(),
            PathBuf::from("qemu-system-aarch64")
        );
        let r = DumpRequest::new(["-m", "1G"]);
        assert_eq!(r.resolved_arch().unwrap(), Arch::X86_64);
        let r = DumpRequest::new(["-M", "sbsa-ref"]);
        assert!(matches!(
            r.resolved_arch(),
            Err(DumpError::UnknownMachine { .. })
        ));
        assert_eq!("aarch64".parse::<Arch>(), Ok(Arch::Aarch64));
        assert!("riscv64".parse::<Arch>().is_err());
    }

    #[test]
    fn stdio_is_freed_for_qtest() {
        let a = free_stdio(&s(&[
            "-nographic",
            "-serial",
            "mon:stdio",
            "-chardev",
            "stdio,id=c0,mux=on,signal=off",
            "-monitor",
            "stdio",
            "-m",
            "1G",
        ]));
        assert_eq!(
            a,
            s(&[
                "-display",
                "none",
                "-serial",
                "null",
                "-chardev",
                "null,id=c0,mux=on",
                "-monitor",
                "null",
                "-m",
                "1G"
            ])
        );
    }

    #[test]
    fn accel_added_only_when_not_chosen() {
        let a = DumpRequest::new(["-M", "q35"]).qemu_args();
        assert!(a.windows(2).any(|w| w == ["-accel", "tcg"]));
        let a = DumpRequest::new(["-M", "q35,accel=kvm"]).qemu_args();
        assert!(!a.iter().any(|x| x == "tcg"));
        assert!(a.iter().any(|x| x == "stdio"));
    }

    #[test]
    fn split_blob_skips_padding_and_fills_checksums() {
        // Two tables by hand: a 36-byte "TST1" header-only table and a 64-byte FACS.
        let mut t1 = vec![0u8; 36];
        t1[..4].copy_from_slice(b"TST1");
        t1[4] = 36; // Length
        t1[8] = 1; // Revision
        let mut facs = vec![0u8; 64];
        facs[..4].copy_from_slice(b"FACS");
        facs[4] = 64; // Length
        facs[9] = 0x55; // part of the hardware signature, not a checksum
        let mut blob = facs.clone();
        blob.extend(&t1);
        blob.extend(vec![0u8; 100]); // padding
        let t = split_blob(&blob).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0], ("FACS".to_string(), facs));
        assert_eq!(t[1].0, "TST1");
        let sum = [b'T', b'S', b'T', b'1', 36, 1]
            .iter()
            .fold(0u8, |a, b| a.wrapping_add(*b));
        assert_eq!(t[1].1[9], 0u8.wrapping_sub(sum));
        // A truncated table is an error, not a panic.
        assert!(split_blob(&blob[..80]).is_err());
    }

    #[test]
    fn args_file_format() {
        let a = parse_args_file("# comment\n-machine q35\n\n  -nodefaults \n-numa node,nodeid=0\n");
        assert_eq!(
            a,
            s(&["-machine", "q35", "-nodefaults", "-numa", "node,nodeid=0"])
        );
    }

    #[test]
    fn files_are_numbered_for_repeated_signatures() {
        let d = Dump {
            arch: Arch::X86_64,
            tables: vec![
                ("SSDT".into(), vec![1]),
                ("SRAT".into(), vec![2]),
                ("SSDT".into(), vec![3]),
            ],
            stderr: String::new(),
        };
        let f: Vec<_> = d.files().into_iter().map(|(n, _)| n).collect();
        assert_eq!(f, ["SSDT.dat", "SRAT.dat", "SSDT-2.dat"]);
        assert_eq!(d.srat(), Some(&[2u8][..]));
        assert_eq!(d.numa_tables().len(), 1);
    }
}

/// The dump against the real firmware: SeaBIOS boots under TCG (vCPUs run,
/// no `-S`), installs the tables in guest RAM, and they are read from there
/// over qtest (RSDP in 0xE0000..0xFFFFF, then the RSDT). The NUMA tables must
/// equal the dump's, for PCI topologies the golden blobs do not cover.
#[cfg(test)]
mod seabios_tests {
    use super::*;
    use std::io::BufReader;

    fn have_qemu() -> bool {
        let ok = Command::new("qemu-system-x86_64")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "qemu-system-x86_64 missing in CI"
            );
            eprintln!("skipping: qemu-system-x86_64 is not installed");
        }
        ok
    }

    fn le32(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
    }

    /// Boots SeaBIOS and returns the NUMA tables it installed.
    fn booted_numa_tables(args: &[String]) -> Vec<(String, Vec<u8>)> {
        let mut child = Command::new("qemu-system-x86_64")
            .args(args)
            .args(["-accel", "tcg", "-display", "none"])
            .args(["-qtest", "stdio", "-qtest-log", "none"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut qt = Qtest::new(BufReader::new(stdout), stdin);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let rsdt = loop {
            assert!(
                std::time::Instant::now() < deadline,
                "SeaBIOS never installed an RSDP"
            );
            let bios = qt.read_mem(0xe0000, 0x20000).unwrap();
            let found = (0..bios.len() - 20).step_by(16).find(|&i| {
                bios[i..i + 8] == *b"RSD PTR "
                    && bios[i..i + 20].iter().fold(0u8, |a, b| a.wrapping_add(*b)) == 0
            });
            if let Some(i) = found {
                break u64::from(le32(&bios, i + 16));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let head = qt.read_mem(rsdt, 36).unwrap();
        let len = le32(&head, 4) as usize;
        let body = qt.read_mem(rsdt, len).unwrap();
        let mut out = Vec::new();
        for k in 0..(len - 36) / 4 {
            let addr = u64::from(le32(&body, 36 + 4 * k));
            let h = qt.read_mem(addr, 8).unwrap();
            let sig = String::from_utf8_lossy(&h[..4]).into_owned();
            if ["SRAT", "SLIT", "HMAT"].contains(&sig.as_str()) {
                out.push((sig, qt.read_mem(addr, le32(&h, 4) as usize).unwrap()));
            }
        }
        finish(&mut child);
        out
    }

    fn check(args: &str) {
        let args: Vec<String> = args.split_whitespace().map(String::from).collect();
        let d = dump(&DumpRequest::new(args.clone())).unwrap();
        let dumped: Vec<(String, Vec<u8>)> = d
            .numa_tables()
            .into_iter()
            .map(|(s, b)| (s.to_string(), b.to_vec()))
            .collect();
        let booted = booted_numa_tables(&args);
        assert!(!booted.is_empty());
        assert_eq!(dumped, booted, "dump differs from SeaBIOS for {args:?}");
    }

    const NODES: &str = "-m 128M -object memory-backend-ram,id=m0,size=128M \
        -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1 -numa node,nodeid=2";

    #[test]
    fn nested_bridges_and_bus_reserve_match_seabios() {
        if !have_qemu() {
            return;
        }
        // q35: a root port reserving 4 extra buses (QEMU's resource-reserve
        // capability), then a root port -> PCIe-PCI bridge -> PCI bridge chain.
        check(&format!(
            "-machine q35 -net none {NODES} \
             -device pcie-root-port,id=rp0,chassis=1,bus-reserve=4,addr=03.0 \
             -device pcie-root-port,id=rp1,chassis=2,addr=04.0 \
             -device pcie-pci-bridge,id=pb,bus=rp1 \
             -device pci-bridge,id=b2,bus=pb,chassis_nr=3,addr=02.0 \
             -device pci-testdev,id=d1,bus=b2,addr=05.0 \
             -device pci-testdev,id=d2,bus=rp0 \
             -object acpi-generic-initiator,id=gi0,pci-dev=d1,node=1 \
             -object acpi-generic-initiator,id=gi1,pci-dev=d2,node=2"
        ));
    }

    #[test]
    fn bus_reserve_smaller_than_subtree_matches_seabios() {
        if !have_qemu() {
            return;
        }
        // SeaBIOS hands bus numbers 2..4 out twice (bus-reserve=1 on a root port
        // whose subtree needs 3 buses); QEMU's routing decides which bridge the
        // second round programs.
        check(&format!(
            "-machine q35 -net none {NODES} \
             -device pcie-root-port,id=nrp0,chassis=1,addr=17.0 \
             -device pcie-pci-bridge,id=ppb0,bus=nrp0,addr=00.0 \
             -device pci-bridge,id=nb0,bus=ppb0,chassis_nr=2,addr=05.0 \
             -device pci-testdev,id=d0,bus=nb0,addr=01.0 \
             -device pcie-root-port,id=nrp2,chassis=4,addr=0d.0,bus-reserve=1 \
             -device pcie-pci-bridge,id=ppb2,bus=nrp2,addr=00.0 \
             -device pci-bridge,id=nb2,bus=ppb2,chassis_nr=5,addr=07.0 \
             -device pci-testdev,id=d2,bus=nb2,addr=04.0 \
             -device pcie-root-port,id=br1,chassis=3,addr=04.0 \
             -object acpi-generic-initiator,id=gi0,pci-dev=d2,node=1 \
             -object acpi-generic-initiator,id=gi1,pci-dev=d0,node=2"
        ));
    }

    #[test]
    fn pxb_and_pc_bridges_match_seabios() {
        if !have_qemu() {
            return;
        }
        // q35 with an extra root bus (pxb-pcie, bus_nr 64) holding a root port.
        check(&format!(
            "-machine q35 -net none {NODES} \
             -device pxb-pcie,bus_nr=64,bus=pcie.0,id=pxb1 \
             -device pcie-root-port,id=rp1,bus=pxb1,chassis=2 \
             -device pci-testdev,id=d1,bus=rp1 \
             -device pcie-root-port,id=rp0,chassis=1 \
             -device pci-testdev,id=d2,bus=rp0 \
             -object acpi-generic-initiator,id=gi0,pci-dev=d1,node=1 \
             -object acpi-generic-initiator,id=gi1,pci-dev=d2,node=2"
        ));
        // pc (i440fx) with two nested PCI bridges.
        check(&format!(
            "-machine pc -net none {NODES} \
             -device pci-bridge,id=b1,chassis_nr=1,addr=05.0 \
             -device pci-bridge,id=b2,bus=b1,chassis_nr=2,addr=03.0 \
             -device pci-testdev,id=d1,bus=b2,addr=04.0 \
             -object acpi-generic-initiator,id=gi0,pci-dev=d1,node=1"
        ));
    }
}
