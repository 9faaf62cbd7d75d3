//! Where host discovery reads: the real file system ([`RealFs`]) or an in-memory
//! tree ([`MemFs`], for tests and fuzzing: no disk writes per input).

use crate::input::{InputError, InputKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file operations host discovery uses.
pub trait HostFs {
    /// A whole regular file of `kind`, bounded by the kind's limit
    /// ([`crate::input::read_bounded`]'s rules).
    fn read_bytes(&self, path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError>;

    /// The names in directory `path`, at most `max + 1` of them (the caller warns
    /// past `max`); an entry that cannot be read is an `Err` in the list.
    fn read_dir(
        &self,
        path: &Path,
        max: usize,
    ) -> std::io::Result<Vec<Result<std::ffi::OsString, std::io::Error>>>;

    /// The target of symbolic link `path`.
    fn read_link(&self, path: &Path) -> std::io::Result<PathBuf>;

    /// Whether `path` exists (a dangling link counts).
    fn exists(&self, path: &Path) -> bool;

    /// Whether `path` is a directory (following links).
    fn is_dir(&self, path: &Path) -> bool;

    /// A whole text file of `kind` ([`crate::input::read_text`]'s rules).
    /// Trailing NUL bytes are dropped: some kernels' attributes end in one
    /// (hwloc's corpus has `0-31\n\0` as a node's `cpulist` from an arm64
    /// host), and readers of sysfs stop at the first NUL.
    fn read_text(&self, path: &Path, kind: InputKind) -> Result<String, InputError> {
        let mut bytes = self.read_bytes(path, kind)?;
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
            path: path.to_path_buf(),
            offset: e.utf8_error().valid_up_to(),
        })
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl HostFs for RealFs {
    fn read_bytes(&self, path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
        crate::input::read_bounded(path, kind)
    }

    fn read_dir(
        &self,
        path: &Path,
        max: usize,
    ) -> std::io::Result<Vec<Result<std::ffi::OsString, std::io::Error>>> {
        Ok(std::fs::read_dir(path)?
            .take(max.saturating_add(1))
            .map(|e| e.map(|e| e.file_name()))
            .collect())
    }

    fn read_link(&self, path: &Path) -> std::io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn exists(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

/// One entry of a [`MemFs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemEntry {
    /// A regular file with these bytes.
    File(Vec<u8>),
    /// A symbolic link to this target.
    Link(PathBuf),
}

/// An in-memory tree: files and links by path; a directory exists when some
/// entry lies below it.
///
/// ```
/// use vnuma::front::host::fs::{MemFs, HostFs};
/// use vnuma::input::InputKind;
/// let mut fs = MemFs::default();
/// fs.file("/r/sys/devices/system/node/node0/cpulist", "0-3\n");
/// assert_eq!(fs.read_text("/r/sys/devices/system/node/node0/cpulist".as_ref(), InputKind::Sysfs).unwrap(), "0-3\n");
/// assert!(fs.exists("/r/sys/devices/system/node".as_ref()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    entries: BTreeMap<PathBuf, MemEntry>,
}

impl MemFs {
    /// Adds (or replaces) a regular file.
    pub fn file(&mut self, path: impl Into<PathBuf>, data: impl Into<Vec<u8>>) {
        self.entries
            .insert(path.into(), MemEntry::File(data.into()));
    }

    /// Adds (or replaces) a symbolic link.
    pub fn link(&mut self, path: impl Into<PathBuf>, target: impl Into<PathBuf>) {
        self.entries
            .insert(path.into(), MemEntry::Link(target.into()));
    }

    /// `path` with every link among its leading components replaced by its
    /// target (relative targets from the link's directory, `..` folded
    /// lexically), at most 40 links deep as Linux allows; the last component is
    /// left as it is.
    fn resolve(&self, path: &Path) -> PathBuf {
        let mut cur = PathBuf::new();
        let comps: Vec<_> = path.components().collect();
        let mut hops = 0;
        for (i, c) in comps.iter().enumerate() {
            cur.push(c.as_os_str());
            if i + 1 == comps.len() {
                break;
            }
            while let Some(MemEntry::Link(t)) = self.entries.get(&cur) {
                hops += 1;
                if hops > 40 {
                    return path.to_path_buf();
                }
                let base = cur.parent().map(Path::to_path_buf).unwrap_or_default();
                cur = normalize(&base.join(t));
            }
        }
        cur
    }

    fn has_below(&self, path: &Path) -> bool {
        self.entries
            .range(path.to_path_buf()..)
            .next()
            .is_some_and(|(p, _)| p != path && p.starts_with(path))
    }
}

/// `p` with `.` dropped and `..` folded into its parent, lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

fn not_found() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::NotFound)
}

impl HostFs for MemFs {
    fn read_bytes(&self, path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
        let real = self.resolve(path);
        match self.entries.get(&real) {
            Some(MemEntry::File(b)) => {
                let limit = kind.limit();
                if u64::try_from(b.len()).unwrap_or(u64::MAX) > limit {
                    return Err(InputError::TooLarge {
                        path: path.to_path_buf(),
                        limit,
                        kind,
                    });
                }
                Ok(b.clone())
            }
            Some(MemEntry::Link(t)) => {
                // One level of links, relative to the link's directory (sysfs style).
                let target = normalize(&real.parent().map_or_else(|| t.clone(), |d| d.join(t)));
                match self.entries.get(&target) {
                    Some(MemEntry::File(_)) => self.read_bytes(&target, kind),
                    _ => Err(InputError::Io {
                        path: path.to_path_buf(),
                        error: not_found(),
                    }),
                }
            }
            None if self.has_below(&real) => Err(InputError::NotRegular {
                path: path.to_path_buf(),
                what: "a directory",
                kind,
            }),
            None => Err(InputError::Io {
                path: path.to_path_buf(),
                error: not_found(),
            }),
        }
    }

    fn read_dir(
        &self,
        path: &Path,
        max: usize,
    ) -> std::io::Result<Vec<Result<std::ffi::OsString, std::io::Error>>> {
        let mut path = self.resolve(path);
        let mut hops = 0;
        while let Some(MemEntry::Link(t)) = self.entries.get(&path) {
            hops += 1;
            if hops > 40 {
                return Err(not_found());
            }
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            path = normalize(&base.join(t));
        }
        let path = path.as_path();
        if !self.has_below(path) {
            return Err(not_found());
        }
        let mut names: Vec<std::ffi::OsString> = Vec::new();
        for (p, _) in self.entries.range(path.to_path_buf()..) {
            let Ok(rest) = p.strip_prefix(path) else {
                break;
            };
            if let Some(first) = rest.components().next() {
                let n = first.as_os_str().to_os_string();
                if names.last() != Some(&n) {
                    names.push(n);
                }
            }
            if names.len() > max {
                break;
            }
        }
        Ok(names.into_iter().map(Ok).collect())
    }

    fn read_link(&self, path: &Path) -> std::io::Result<PathBuf> {
        match self.entries.get(&self.resolve(path)) {
            Some(MemEntry::Link(t)) => Ok(t.clone()),
            Some(MemEntry::File(_)) => Err(std::io::Error::from(std::io::ErrorKind::InvalidInput)),
            None => Err(not_found()),
        }
    }

    fn exists(&self, path: &Path) -> bool {
        let p = self.resolve(path);
        self.entries.contains_key(&p) || self.has_below(&p)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.read_dir(path, 0).is_ok()
    }
}
