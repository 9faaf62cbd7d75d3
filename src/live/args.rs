//! Reading QEMU command lines from files: vnuma's `--args-file` format and the
//! per-domain log libvirt writes (`/var/log/libvirt/qemu/NAME.log`).
//!
//! Both inputs are bounded: a file larger than [`MAX_INPUT_BYTES`] is refused
//! before it is read (from its size, and again while reading, for a file that
//! grows), and only regular files are read (a FIFO or `/dev/zero` is refused
//! without reading).

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The largest arguments file (and libvirt command line) vnuma reads
/// ([`crate::input::MAX_ARGS_FILE_BYTES`], 64 MiB).
pub const MAX_INPUT_BYTES: u64 = crate::input::MAX_ARGS_FILE_BYTES;

/// Why an arguments file or libvirt log gives no command line.
#[derive(Debug, thiserror::Error)]
pub enum ArgsFileError {
    /// The file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a regular file (a FIFO, a device, a directory).
    #[error("{path}: not a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
    },
    /// Larger than [`MAX_INPUT_BYTES`].
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// Not UTF-8 text.
    #[error("{path}:{line}: not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A NUL byte (QEMU arguments cannot hold one).
    #[error("{path}:{line}: NUL byte in the arguments")]
    Nul {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// An `--args-file` line inside an arguments file.
    #[error("{path}:{line}: --args-file cannot be nested in an arguments file")]
    Nested {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A libvirt log without a QEMU command line.
    #[error(
        "{path}: no QEMU command line found (libvirt writes one per start: `VAR=value … /usr/bin/qemu-system-… -name …`)"
    )]
    NoCommandLine {
        /// The file.
        path: PathBuf,
    },
    /// A libvirt log line vnuma cannot split like a shell (unterminated quote).
    #[error("{path}:{line}: unterminated quote in the QEMU command line")]
    BadQuoting {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
}

/// Reads `path` whole, refusing non-regular and oversized files first.
fn read_bounded(path: &Path) -> Result<Vec<u8>, ArgsFileError> {
    let io = |source| ArgsFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ArgsFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let too_large = || ArgsFileError::TooLarge {
        path: path.to_path_buf(),
        limit: MAX_INPUT_BYTES,
    };
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

/// Reads an arguments file (format: [`super::dump::parse_args_file`]): bounded,
/// regular files only; NUL bytes, non-UTF-8 text and nested `--args-file` lines
/// are errors naming `file:line`.
pub fn read_args_file(path: &Path) -> Result<Vec<String>, ArgsFileError> {
    Ok(super::dump::parse_args_file(&read_args_text(path)?))
}

/// The checked text of an arguments file (see [`read_args_file`]); split it with
/// [`super::dump::args_file_words`] to parse a large file without copying it.
pub fn read_args_text(path: &Path) -> Result<String, ArgsFileError> {
    let bytes = read_bounded(path)?;
    let line_of = |off: usize| 1 + bytes.iter().take(off).filter(|b| **b == b'\n').count();
    if let Some(off) = bytes.iter().position(|b| *b == 0) {
        return Err(ArgsFileError::Nul {
            path: path.to_path_buf(),
            line: line_of(off),
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let off = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = 1 + bytes.iter().take(off).filter(|b| **b == b'\n').count();
            return Err(ArgsFileError::NotText {
                path: path.to_path_buf(),
                line,
            });
        }
    };
    for (i, l) in text.lines().enumerate() {
        let first = l.split_whitespace().next().unwrap_or("");
        let name = first.split('=').next().unwrap_or("");
        if name == "--args-file" || name == "-args-file" {
            return Err(ArgsFileError::Nested {
                path: path.to_path_buf(),
                line: i + 1,
            });
        }
    }
    Ok(text)
}

/// A QEMU command line found in a libvirt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCommand {
    /// The 1-based line it was on.
    pub line: usize,
    /// The leading `VAR=value` environment words.
    pub env: Vec<String>,
    /// The QEMU binary (`/usr/bin/qemu-system-x86_64`).
    pub binary: String,
    /// The arguments after the binary.
    pub args: Vec<String>,
}

/// Splits a line like a POSIX shell (no expansions): blanks separate words,
/// `'…'` is literal, `"…"` honours `\"`, `\\`, `\$`, `` \` ``, a backslash
/// outside quotes escapes the next character. `None` on an unterminated quote.
pub fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut it = line.chars();
    while let Some(c) = it.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match it.next()? {
                        '"' => break,
                        '\\' => {
                            let x = it.next()?;
                            if !matches!(x, '"' | '\\' | '$' | '`') {
                                cur.push('\\');
                            }
                            cur.push(x);
                        }
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = it.next() {
                    cur.push(x);
                }
            }
            x => {
                in_word = true;
                cur.push(x);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// Whether `w` is a shell `VAR=value` assignment word.
fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            let mut c = name.chars();
            c.next()
                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        }
        None => false,
    }
}

/// Whether a program path names a QEMU system emulator.
fn is_qemu_binary(w: &str) -> bool {
    let base = w.rsplit('/').next().unwrap_or(w);
    base.starts_with("qemu-system-") || base == "qemu-kvm"
}

/// The last QEMU command line in a libvirt per-domain log: a line of
/// `VAR=value` words, then a `qemu-system-*` (or `qemu-kvm`) binary, then the
/// arguments, split like a shell. Read line by line (bounded memory besides
/// the last command line found); regular files only.
pub fn read_libvirt_log(path: &Path) -> Result<LoggedCommand, ArgsFileError> {
    let io = |source| ArgsFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ArgsFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let f = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut last: Option<(usize, String)> = None;
    let mut read = 0u64;
    for (i, l) in f.split(b'\n').enumerate() {
        let l = l.map_err(io)?;
        read += l.len() as u64 + 1;
        if read > MAX_INPUT_BYTES.saturating_mul(16) {
            return Err(ArgsFileError::TooLarge {
                path: path.to_path_buf(),
                limit: MAX_INPUT_BYTES.saturating_mul(16),
            });
        }
        let Ok(s) = std::str::from_utf8(&l) else {
            continue;
        };
        let mut words = s.split_whitespace().skip_while(|w| is_assignment(w));
        if words.next().is_some_and(is_qemu_binary) {
            if l.len() as u64 > MAX_INPUT_BYTES {
                return Err(ArgsFileError::TooLarge {
                    path: path.to_path_buf(),
                    limit: MAX_INPUT_BYTES,
                });
            }
            last = Some((i + 1, s.to_string()));
        }
    }
    let Some((line, text)) = last else {
        return Err(ArgsFileError::NoCommandLine {
            path: path.to_path_buf(),
        });
    };
    if text.contains('\0') {
        return Err(ArgsFileError::Nul {
            path: path.to_path_buf(),
            line,
        });
    }
    let words = shell_words(&text).ok_or_else(|| ArgsFileError::BadQuoting {
        path: path.to_path_buf(),
        line,
    })?;
    let n_env = words.iter().take_while(|w| is_assignment(w)).count();
    let mut rest = words.into_iter();
    let env: Vec<String> = rest.by_ref().take(n_env).collect();
    let binary = rest.next().unwrap_or_default();
    Ok(LoggedCommand {
        line,
        env,
        binary,
        args: rest.collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_splitting() {
        assert_eq!(
            shell_words(r#"A=1 /usr/bin/qemu-system-x86_64 -object '{"a":"b c"}' "x\"y" a\ b"#)
                .unwrap(),
            [
                "A=1",
                "/usr/bin/qemu-system-x86_64",
                "-object",
                r#"{"a":"b c"}"#,
                "x\"y",
                "a b"
            ]
        );
        assert_eq!(shell_words("'abc"), None);
        assert!(is_assignment("LC_ALL=C"));
        assert!(!is_assignment("-m=1"));
    }
}
