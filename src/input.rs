//! Bounded input: the limits vnuma puts on everything it reads, and readers that
//! keep to them.
//!
//! Every file vnuma reads goes through [`read_bounded`] (or [`read_bounded_from`]
//! for standard input): a path that is not a regular file (a FIFO, a character or
//! block device such as `/dev/zero`, a socket) is refused from its metadata before
//! it is opened, so a FIFO never blocks; a regular file is read with
//! `take(limit + 1)`, so a file past its limit costs at most `limit + 1` bytes of
//! memory before it is refused. Errors name the path and the limit.
//!
//! The limits (documented with their reasons in `docs/ROBUSTNESS.md`, section
//! "Limits"):
//!
//! | input | limit |
//! |---|---|
//! | one ACPI table file | [`MAX_TABLE_BYTES`] |
//! | topology file (TOML) | [`MAX_TOPOLOGY_BYTES`] |
//! | QEMU `--args-file` | [`MAX_ARGS_FILE_BYTES`] |
//! | JSON for `vnuma encode` | [`MAX_JSON_BYTES`] |
//! | one sysfs file | [`MAX_SYSFS_BYTES`] |
//! | Linux node ids / node lists | [`MAX_LINUX_NODES`] |
//! | Linux CPU ids / cpulists | [`MAX_LINUX_CPUS`] |
//! | findings of one code | [`MAX_FINDINGS_PER_CODE`] |
//! | input echoed in a message | [`MAX_ECHO_CHARS`] characters |
//! | a message quoting input | [`MAX_MESSAGE_CHARS`] characters |

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest table file: 16 MiB. The largest legal SRAT/SLIT/HMAT vnuma handles is
/// far smaller (a SLIT of Linux's 1024 nodes is 1 MiB; an SRAT of 8192 CPUs and
/// 1024 memory ranges is under 200 KiB); 16 MiB leaves room for hand-made tables
/// while keeping `inspect --json` of the largest accepted file within a few hundred MB.
pub const MAX_TABLE_BYTES: u64 = 16 << 20;
/// Largest topology file (TOML): 4 MiB (a file of 128 nodes, 8192 CPUs and
/// hundreds of devices is under 1 MiB).
pub const MAX_TOPOLOGY_BYTES: u64 = 4 << 20;
/// Largest QEMU `--args-file` (and libvirt command line): 64 MiB. A real command line
/// holds at most 2 MiB by default (argv + envp ≤ a quarter of the 8 MiB stack limit),
/// but the front end's memory benchmark feeds it far larger generated lines.
pub const MAX_ARGS_FILE_BYTES: u64 = 64 << 20;
/// Largest JSON input of `vnuma encode`: 64 MiB (the `inspect --json` of a
/// [`MAX_TABLE_BYTES`] table given as raw hex is 32 MiB plus its envelope).
pub const MAX_JSON_BYTES: u64 = 64 << 20;
/// Largest sysfs file read by `vnuma verify`: 64 KiB. Sysfs attributes are at most
/// one page (`PAGE_SIZE`, 4 KiB on x86, up to 64 KiB on arm64); the ACPI tables
/// under `firmware/acpi/tables` are tables and use [`MAX_TABLE_BYTES`].
pub const MAX_SYSFS_BYTES: u64 = 64 << 10;
/// Linux node ids are below 1024 (`MAX_NUMNODES` is at most `1 << NODES_SHIFT`,
/// and `NODES_SHIFT` is at most 10): node lists (`online`, `has_cpu`, …) hold at
/// most this many ids and a `distance` row at most this many numbers.
pub const MAX_LINUX_NODES: u32 = 1024;
/// Linux CPU ids are below 8192 (`NR_CPUS` with x86 `CONFIG_MAXSMP`, the largest
/// of any architecture's default maximum): a node's `cpulist` holds at most this
/// many ids.
pub const MAX_LINUX_CPUS: u32 = 8192;
/// Findings of one code that `lint` lists; the rest are summarised in one finding
/// ("… and N more").
pub const MAX_FINDINGS_PER_CODE: usize = 100;
/// Characters of input a message echoes; longer values are cut with "…".
pub const MAX_ECHO_CHARS: usize = 80;

/// Characters of one error message that quotes input (e.g. a topology file's
/// `key: "value" is not …`); longer messages lose their middle to "…".
pub const MAX_MESSAGE_CHARS: usize = 400;

/// What kind of input a file is: decides its limit and names it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// One ACPI table ([`MAX_TABLE_BYTES`]).
    Table,
    /// A topology file ([`MAX_TOPOLOGY_BYTES`]).
    Topology,
    /// A QEMU argument file ([`MAX_ARGS_FILE_BYTES`]).
    ArgsFile,
    /// JSON tables for `vnuma encode` ([`MAX_JSON_BYTES`]).
    Json,
    /// A sysfs attribute ([`MAX_SYSFS_BYTES`]).
    Sysfs,
}

impl InputKind {
    /// The size limit in bytes.
    pub fn limit(self) -> u64 {
        match self {
            InputKind::Table => MAX_TABLE_BYTES,
            InputKind::Topology => MAX_TOPOLOGY_BYTES,
            InputKind::ArgsFile => MAX_ARGS_FILE_BYTES,
            InputKind::Json => MAX_JSON_BYTES,
            InputKind::Sysfs => MAX_SYSFS_BYTES,
        }
    }

    /// The kind in words, for messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Table => "table file",
            InputKind::Topology => "topology file",
            InputKind::ArgsFile => "argument file",
            InputKind::Json => "JSON input",
            InputKind::Sysfs => "sysfs file",
        }
    }
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file cannot be opened or read (the hint says " (need root?)" for a
    /// permission error).
    #[error("cannot read {}: {error}{}", path.display(), need_root(error))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The path is not a regular file (a FIFO, a device, a socket, a directory).
    #[error("cannot read {}: it is {what}, not a regular file (expected a {})", path.display(), kind.name())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead ("a FIFO", "a character device", …).
        what: &'static str,
        /// What it was to be read as.
        kind: InputKind,
    },
    /// The file is larger than the limit of its kind.
    #[error("cannot read {}: larger than {limit} bytes, the limit for a {}", path.display(), kind.name())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
        /// Its kind.
        kind: InputKind,
    },
    /// The file is not UTF-8 text.
    #[error("cannot read {}: not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

impl InputError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }

    /// Whether the file could not be read for lack of permission.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, InputError::Io { error, .. } if error.kind() == std::io::ErrorKind::PermissionDenied)
    }
}

fn need_root(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (need root?)"
    } else {
        ""
    }
}

/// What a non-regular file is, in words.
fn file_type_name(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Reads at most `limit` bytes from `r`; `Ok(None)` when there are more.
/// Memory: at most `limit + 1` bytes (plus the vector's growth slack).
pub fn read_bounded_from(r: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    read_bounded_sized(r, limit, 0)
}

/// [`read_bounded_from`] into a buffer sized for `expected` bytes first (the
/// file's size: one read instead of a doubling series; a wrong size only costs
/// the growth it would have had anyway).
fn read_bounded_sized(r: impl Read, limit: u64, expected: u64) -> std::io::Result<Option<Vec<u8>>> {
    let hint = usize::try_from(expected.min(limit).saturating_add(1)).unwrap_or(0);
    let mut buf = Vec::with_capacity(if expected == 0 { 0 } else { hint });
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok((u64::try_from(buf.len()).unwrap_or(u64::MAX) <= limit).then_some(buf))
}

/// Reads a whole regular file of `kind`, refusing other file types before opening
/// them (a FIFO never blocks) and files over the kind's limit.
pub fn read_bounded(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let io = |error| InputError::Io {
        path: path.to_path_buf(),
        error,
    };
    let not_regular = |t| InputError::NotRegular {
        path: path.to_path_buf(),
        what: file_type_name(t),
        kind,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The path may have been replaced between the two calls: check what was opened.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let limit = kind.limit();
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            limit,
            kind,
        });
    }
    // The size in the metadata may lie (sysfs, /proc): the read is bounded anyway.
    read_bounded_sized(file, limit, meta.len())
        .map_err(io)?
        .ok_or_else(|| InputError::TooLarge {
            path: path.to_path_buf(),
            limit,
            kind,
        })
}

/// [`read_bounded`] for text: the bytes must be UTF-8.
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let bytes = read_bounded(path, kind)?;
    String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// `s` for a message: at most [`MAX_ECHO_CHARS`] characters, cut with "…" (and
/// the total length) when longer; control characters are escaped (`\n`,
/// `\u{0}`), so an echoed value never breaks a message's line or hides bytes.
pub fn echo(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(4 * MAX_ECHO_CHARS));
    for (i, c) in s.chars().enumerate() {
        if i == MAX_ECHO_CHARS {
            out.push_str(&format!("… ({} bytes in all)", s.len()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A message for display: at most [`MAX_MESSAGE_CHARS`] characters; a longer
/// one keeps its first 240 and last 120 characters (the explanation that follows
/// an echoed value) around "… (N bytes cut) …".
pub fn cap_message(s: String) -> String {
    let n = s.chars().count();
    if n <= MAX_MESSAGE_CHARS {
        return s;
    }
    let head: String = s.chars().take(240).collect();
    let tail: String = s.chars().skip(n - 120).collect();
    let cut = s.len() - head.len() - tail.len();
    format!("{head}… ({cut} bytes cut) …{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_escapes_control_characters() {
        assert_eq!(echo("0-31\n\0"), "0-31\\n\\u{0}");
        assert_eq!(echo("a\tb é"), "a\\tb é");
    }

    #[test]
    fn echo_cuts_long_values() {
        assert_eq!(echo("abc"), "abc");
        let long = "x".repeat(200);
        let e = echo(&long);
        assert!(e.starts_with(&"x".repeat(80)) && e.contains("…") && e.contains("200 bytes"));
        let wide = "é".repeat(100);
        assert!(echo(&wide).starts_with(&"é".repeat(80)));
    }

    #[test]
    fn long_messages_lose_their_middle() {
        let m = format!("\"{}\" is not a size", "9".repeat(10_000));
        let c = cap_message(m);
        assert!(c.chars().count() < MAX_MESSAGE_CHARS + 40, "{c}");
        assert!(
            c.ends_with("\" is not a size") && c.contains("bytes cut"),
            "{c}"
        );
        assert_eq!(cap_message("short".into()), "short");
    }

    #[test]
    fn bounded_reads() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t");
        std::fs::write(&p, vec![0u8; 10]).unwrap();
        assert_eq!(read_bounded(&p, InputKind::Sysfs).unwrap().len(), 10);
        assert_eq!(read_bounded_from(&[0u8; 10][..], 9).unwrap(), None);
        assert_eq!(
            read_bounded_from(&[0u8; 10][..], 10)
                .unwrap()
                .unwrap()
                .len(),
            10
        );
        let e = read_bounded(d.path(), InputKind::Table).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let e = read_bounded(Path::new("/dev/zero"), InputKind::Table).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        assert!(
            read_bounded(&d.path().join("none"), InputKind::Table)
                .unwrap_err()
                .is_not_found()
        );
    }
}
