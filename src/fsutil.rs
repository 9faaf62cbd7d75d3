//! Output files and output sets, published whole or not at all.
//!
//! * A **set** (`vnuma build/qemu/encode/qemu-dump -o DIR`) is written into a
//!   fresh temporary directory beside `DIR` (`.NAME.vnuma-tmp-RANDOM`, created
//!   with `mkdir`, files created `O_EXCL|O_NOFOLLOW`), each file and the
//!   directory fsynced, then published in one step: `rename` when `DIR` does not
//!   exist, otherwise `renameat2(RENAME_EXCHANGE)` and the earlier set removed.
//!   Files in `DIR` that vnuma did not write ([`is_vnuma_file`] says which it
//!   may have) are regular files carried into the new directory as hard links;
//!   any other entry (subdirectory, FIFO, socket…) makes the run refuse.
//! * A **single file** (`vnuma initrd -o FILE`) is a temporary file beside it,
//!   fsynced, then renamed over it. Device nodes, FIFOs, sockets and directories
//!   (and symlinks to them) are refused; a symlink to a regular file is followed.
//! * Every publication into a parent directory holds an exclusive `flock` on that
//!   directory from the start, so concurrent runs go one after the other; the
//!   temporaries a killed run left behind are removed by the next run.
//! * Staging and publishing are separate ([`stage_dir`], [`stage_file`], then
//!   `commit`): the CLI writes its standard output in between, so a closed pipe
//!   or full disk on stdout publishes nothing. Dropping a staged output removes it.
//!
//! Also the names of table files ([`table_file_names`]).

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why an output could not be written or published. Every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output exists and is of a kind vnuma never replaces.
    #[error("{}: {kind}", path.display())]
    Refused {
        /// The output path.
        path: PathBuf,
        /// What it is.
        kind: String,
    },
    /// `DIR` holds an entry vnuma did not write and cannot carry into the new set.
    #[error(
        "{}: holds {entry:?}, which vnuma did not write and cannot carry over (it is not a regular file); \
         give a new or empty directory",
        dir.display()
    )]
    Foreign {
        /// The output directory.
        dir: PathBuf,
        /// The entry's name.
        entry: String,
    },
    /// A file name of the set is not a plain name (empty, `.`, `..`, or with `/`).
    #[error("{name:?} is not a plain file name")]
    BadName {
        /// The name.
        name: String,
    },
    /// An I/O operation failed.
    #[error("{}: cannot {op}", path.display())]
    Io {
        /// The path it failed on.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The system error.
        source: std::io::Error,
    },
}

impl OutputError {
    /// The error of writing a staged copy, named by the output it stands for
    /// (the user gave that path, not the hidden staging name beside it).
    fn named(self, output: &Path) -> OutputError {
        match self {
            OutputError::Io { op, source, .. } => OutputError::Io {
                path: output.to_path_buf(),
                op,
                source,
            },
            e => e,
        }
    }
}

fn io(path: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> OutputError + use<> {
    let path = path.to_path_buf();
    move |source| OutputError::Io { path, op, source }
}

fn rustix_io(e: rustix::io::Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e.raw_os_error())
}

/// Whether a file of this name may have been written by vnuma in an output
/// directory: `qemu-native.args`, `qemu-acpitable.args`, `qemu-initrd.args`, or
/// a table file `SIG.dat` / `SIG-N.dat` (SIG four letters, digits or `_`, or
/// `TABLE`). Such files of an earlier set never survive beside a new set.
pub fn is_vnuma_file(name: &str) -> bool {
    if matches!(
        name,
        "qemu-native.args" | "qemu-acpitable.args" | "qemu-initrd.args"
    ) {
        return true;
    }
    let Some(stem) = name.strip_suffix(".dat") else {
        return false;
    };
    let sig = match stem.split_once('-') {
        Some((s, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => s,
        Some(_) => return false,
        None => stem,
    };
    sig == "TABLE"
        || (sig.len() == 4 && sig.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    if rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).is_err() {
        // Unpredictable enough without the syscall: the hasher's random keys.
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        b = h.finish().to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const TMP_MARK: &str = ".vnuma-tmp-";

/// The parent directory and final name of an output path.
fn split(path: &Path) -> Result<(PathBuf, String), OutputError> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(io(path, "find the current directory"))?
            .join(path)
    };
    // `.`/`..`/trailing components: resolve through the real directory.
    let name = abs.file_name().map(|n| n.to_string_lossy().into_owned());
    match (abs.parent(), name) {
        (Some(p), Some(n)) if n != "." && n != ".." => Ok((p.to_path_buf(), n)),
        _ => {
            let real = std::fs::canonicalize(&abs).map_err(io(path, "resolve the path"))?;
            match (real.parent(), real.file_name()) {
                (Some(p), Some(n)) => Ok((p.to_path_buf(), n.to_string_lossy().into_owned())),
                _ => Err(OutputError::Refused {
                    path: path.to_path_buf(),
                    kind: not_written("the root directory"),
                }),
            }
        }
    }
}

/// `what` as a refusal text.
fn not_written(what: &str) -> String {
    format!("is {what}; vnuma writes only regular files (give another -o)")
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_block_device() {
        "a block device"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// An exclusive `flock` on a directory, released when dropped (or when the
/// process dies).
struct DirLock {
    _dir: File,
}

fn lock_dir(dir: &Path) -> Result<DirLock, OutputError> {
    let f = File::open(dir).map_err(io(dir, "open the directory"))?;
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| io(dir, "lock the directory")(rustix_io(e)))?;
    Ok(DirLock { _dir: f })
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir, "sync the directory"))
}

/// One `syncfs(2)` of the file system holding `dir`: the data and metadata of
/// every file written there (a whole output set) reach the disk in one call.
fn sync_set(dir: &Path) -> Result<(), OutputError> {
    let f = File::open(dir).map_err(io(dir, "open the directory"))?;
    rustix::fs::syncfs(&f).map_err(|e| io(dir, "sync the output set (syncfs)")(rustix_io(e)))
}

/// Whether [`create_file`] syncs the file itself (a lone file) or leaves that to
/// one [`sync_set`] of the whole set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    File,
    Set,
}

fn create_file(path: &Path, data: &[u8], mode: u32) -> Result<(), OutputError> {
    create_file_with(path, data, mode, Durability::File)
}

fn create_file_with(
    path: &Path,
    data: &[u8],
    mode: u32,
    durability: Durability,
) -> Result<(), OutputError> {
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(i32::try_from(nofollow).unwrap_or(0))
        .open(path)
        .map_err(io(path, "create the file"))?;
    f.write_all(data).map_err(io(path, "write"))?;
    if durability == Durability::File {
        f.sync_all().map_err(io(path, "sync"))?;
    }
    Ok(())
}

/// Removes an old or abandoned set directory `old`: vnuma's files and the hard
/// links of entries still present in `dir` are removed; anything else (a file
/// someone added to `dir` while it was being replaced) is moved back into `dir`
/// when the name is free there, otherwise the directory is left in place.
fn dispose(old: &Path, dir: &Path) {
    let Ok(rd) = std::fs::read_dir(old) else {
        let _ = std::fs::remove_file(old);
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let twin = std::fs::symlink_metadata(dir.join(&name)).ok();
        let same = twin
            .as_ref()
            .is_some_and(|t| t.ino() == m.ino() && t.dev() == m.dev());
        if m.is_file() && (same || is_vnuma_file(&name.to_string_lossy())) {
            let _ = std::fs::remove_file(&p);
        } else if twin.is_none() {
            let _ = std::fs::rename(&p, dir.join(&name));
        }
    }
    let _ = std::fs::remove_dir(old);
}

/// Removes what killed runs left for `name` in `parent` (the caller holds the lock).
fn clean_leftovers(parent: &Path, name: &str, target: &Path) {
    let prefix = format!(".{name}{TMP_MARK}");
    let Ok(rd) = std::fs::read_dir(parent) else {
        return;
    };
    for e in rd.flatten() {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        match std::fs::symlink_metadata(e.path()) {
            Ok(m) if m.is_dir() => dispose(&e.path(), target),
            Ok(_) => {
                let _ = std::fs::remove_file(e.path());
            }
            Err(_) => {}
        }
    }
}

fn check_name(name: &str) -> Result<(), OutputError> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(OutputError::BadName { name: name.into() });
    }
    Ok(())
}

/// A set written into a temporary directory, not yet published. Dropping it
/// removes the temporary directory.
#[derive(Debug)]
pub struct StagedDir {
    _lock: Option<DirLockHandle>,
    tmp: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    exists: bool,
    done: bool,
}

/// Keeps the directory lock alive (opaque).
#[derive(Debug)]
pub struct DirLockHandle(#[allow(dead_code)] File);

impl From<DirLock> for DirLockHandle {
    fn from(l: DirLock) -> Self {
        DirLockHandle(l._dir)
    }
}

/// Stages `files` as the new content of directory `dir` (see the module doc).
/// Nothing is visible at `dir` until [`StagedDir::commit`].
pub fn stage_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<StagedDir, OutputError> {
    for (n, _) in files {
        check_name(n)?;
    }
    if dir.as_os_str() == "-" {
        return Err(OutputError::Refused {
            path: dir.into(),
            kind: "is not a directory: `-` (standard output) cannot hold a set of files; give a directory".into(),
        });
    }
    // A symlink to a directory: publish at the directory it names.
    let dir_real = match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(dir) {
            Ok(t) if t.is_dir() => {
                std::fs::canonicalize(dir).map_err(io(dir, "resolve the link"))?
            }
            Ok(t) => {
                return Err(OutputError::Refused {
                    path: dir.into(),
                    kind: not_written(&format!("a symbolic link to {}", kind_of(&t.file_type()))),
                });
            }
            Err(e) => return Err(io(dir, "follow the link")(e)),
        },
        _ => dir.to_path_buf(),
    };
    let (parent, name) = split(&dir_real)?;
    std::fs::create_dir_all(&parent).map_err(io(&parent, "create the directory"))?;
    let lock = lock_dir(&parent)?;
    let target = parent.join(&name);
    clean_leftovers(&parent, &name, &target);
    let old = match std::fs::symlink_metadata(&target) {
        Ok(m) if m.is_dir() => Some(m),
        Ok(m) => {
            return Err(OutputError::Refused {
                path: dir.into(),
                kind: format!(
                    "exists and is {}, not a directory (give a new or existing directory)",
                    kind_of(&m.file_type())
                ),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(dir, "look at the directory")(e)),
    };
    // Foreign entries: regular files are carried over, anything else refused.
    let mut carry = Vec::new();
    if old.is_some() {
        for e in std::fs::read_dir(&target).map_err(io(&target, "read the directory"))? {
            let e = e.map_err(io(&target, "read the directory"))?;
            let n = e.file_name().to_string_lossy().into_owned();
            if files.iter().any(|(f, _)| *f == n) || is_vnuma_file(&n) {
                // Replaced by the new set (or stale: dropped).
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    continue;
                }
            }
            if e.file_type().is_ok_and(|t| t.is_file()) {
                carry.push(e.file_name());
            } else {
                return Err(OutputError::Foreign {
                    dir: dir.into(),
                    entry: n,
                });
            }
        }
    }
    let tmp = parent.join(format!(".{name}{TMP_MARK}{}", random_suffix()));
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&tmp)
        .map_err(io(&tmp, "create the temporary directory"))?;
    let staged = StagedDir {
        _lock: Some(lock.into()),
        tmp: tmp.clone(),
        target: target.clone(),
        parent,
        exists: old.is_some(),
        done: false,
    };
    if let Some(m) = &old {
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(m.mode() & 0o7777));
    }
    for n in &carry {
        std::fs::hard_link(target.join(n), tmp.join(n)).map_err(io(
            &target.join(n),
            "carry the file into the new set (hard link)",
        ))?;
    }
    for (n, data) in files {
        create_file_with(&tmp.join(n), data, 0o644, Durability::Set)
            .map_err(|e| e.named(&target.join(n)))?;
    }
    // Durability once per set: one syncfs for every file and the staging
    // directory's entries; the publishing rename is synced by `commit`.
    sync_set(&tmp)?;
    Ok(staged)
}

impl StagedDir {
    /// Publishes the set: after this, the directory holds exactly the new set
    /// (plus the foreign regular files it held).
    pub fn commit(mut self) -> Result<(), OutputError> {
        if self.exists {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.tmp,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .map_err(|e| {
                io(
                    &self.target,
                    "swap in the new set (renameat2 RENAME_EXCHANGE)",
                )(rustix_io(e))
            })?;
            // `tmp` now holds the earlier set.
            self.done = true;
            dispose(&self.tmp, &self.target);
        } else {
            std::fs::rename(&self.tmp, &self.target)
                .map_err(io(&self.target, "publish the set"))?;
            self.done = true;
        }
        sync_dir(&self.parent)
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.done && !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// A file written to a temporary name, not yet published. Dropping it removes it.
#[derive(Debug)]
pub struct StagedFile {
    _lock: DirLockHandle,
    tmp: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    done: bool,
}

/// Checks an output file path: refuses directories, device nodes, FIFOs,
/// sockets and symlinks to them; returns the path to publish at (a symlink to a
/// regular file resolved).
pub fn check_output_file(path: &Path) -> Result<PathBuf, OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::metadata(path) {
            Ok(t) if t.is_file() => {
                std::fs::canonicalize(path).map_err(io(path, "resolve the link"))
            }
            Ok(t) => Err(OutputError::Refused {
                path: path.into(),
                kind: not_written(&format!("a symbolic link to {}", kind_of(&t.file_type()))),
            }),
            // A dangling link: refused rather than created through.
            Err(_) => Err(OutputError::Refused {
                path: path.into(),
                kind: not_written("a symbolic link to nothing"),
            }),
        },
        Ok(m) if m.is_file() => Ok(path.to_path_buf()),
        Ok(m) => Err(OutputError::Refused {
            path: path.into(),
            kind: not_written(kind_of(&m.file_type())),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(path.to_path_buf()),
        Err(e) => Err(io(path, "look at the file")(e)),
    }
}

/// Stages `data` as the new content of file `path` (see the module doc).
pub fn stage_file(path: &Path, data: &[u8]) -> Result<StagedFile, OutputError> {
    let real = check_output_file(path)?;
    let (parent, name) = split(&real)?;
    let lock = lock_dir(&parent)?;
    let target = parent.join(&name);
    clean_leftovers(&parent, &name, &target);
    // Checked again under the lock.
    check_output_file(&target)?;
    let mode = std::fs::metadata(&target).map_or(0o644, |m| m.mode() & 0o7777);
    let tmp = parent.join(format!(".{name}{TMP_MARK}{}", random_suffix()));
    let staged = StagedFile {
        _lock: lock.into(),
        tmp: tmp.clone(),
        target,
        parent,
        done: false,
    };
    create_file(&tmp, data, mode).map_err(|e| e.named(&staged.target))?;
    Ok(staged)
}

impl StagedFile {
    /// Publishes the file (rename over the target).
    pub fn commit(mut self) -> Result<(), OutputError> {
        std::fs::rename(&self.tmp, &self.target).map_err(io(&self.target, "publish the file"))?;
        self.done = true;
        sync_dir(&self.parent)
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn to_io(e: OutputError) -> std::io::Error {
    match e {
        OutputError::Io { source, .. } => source,
        e => std::io::Error::other(e.to_string()),
    }
}

/// Writes `data` to `path` atomically ([`stage_file`] then commit).
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    stage_file(path, data)
        .and_then(StagedFile::commit)
        .map_err(to_io)
}

/// Writes a set of files as the content of `dir`, all or nothing
/// ([`stage_dir`] then commit).
pub fn write_files_atomic(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    stage_dir(dir, files)
        .and_then(StagedDir::commit)
        .map_err(to_io)
}

/// Removes the files among `managed` that `written` does not contain. With
/// [`write_files_atomic`] there are none left (a new set never keeps a file of
/// an earlier one); kept for callers that write into `dir` by other means.
pub fn remove_stale(
    dir: &Path,
    managed: &[&str],
    written: &[(String, Vec<u8>)],
) -> std::io::Result<()> {
    for name in managed {
        if written.iter().any(|(n, _)| n == name) {
            continue;
        }
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// A file-name-safe version of a signature.
fn signature_stem(sig: &str) -> String {
    let s: String = sig
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "TABLE".into() } else { s }
}

/// Output file names for tables with these signatures, in order: `SIG.dat`, then
/// `SIG-1.dat`, `SIG-2.dat`... for further tables with the same signature. Characters
/// other than ASCII letters, digits and `_` become `_`; an empty signature is `TABLE`.
pub fn table_file_names(signatures: &[String]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    signatures
        .iter()
        .map(|sig| {
            let stem = signature_stem(sig);
            let n = seen.entry(stem.clone()).or_insert(0);
            let name = if *n == 0 {
                format!("{stem}.dat")
            } else {
                format!("{stem}-{n}.dat")
            };
            *n += 1;
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_name_the_output_not_the_staging_copy() {
        // ENOSPC (errno 28) while writing the staged copy of out/SLIT.dat.
        let staged = OutputError::Io {
            path: PathBuf::from("out/.out.vnuma-tmp1234/SLIT.dat"),
            op: "write",
            source: std::io::Error::from_raw_os_error(28),
        };
        let e = staged.named(Path::new("out/SLIT.dat"));
        assert_eq!(e.to_string(), "out/SLIT.dat: cannot write");
        let src = std::error::Error::source(&e).unwrap().to_string();
        assert!(src.contains("os error 28"), "{src}");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("SRAT.dat");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_managed_files_are_removed_others_kept() {
        let d = tempfile::tempdir().unwrap();
        for n in ["SRAT.dat", "HMAT.dat", "notes.txt"] {
            std::fs::write(d.path().join(n), b"old").unwrap();
        }
        let set = vec![("SRAT.dat".to_string(), b"new".to_vec())];
        write_files_atomic(d.path(), &set).unwrap();
        remove_stale(d.path(), &["SRAT.dat", "SLIT.dat", "HMAT.dat"], &set).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["SRAT.dat", "notes.txt"]);
    }

    #[test]
    fn repeated_signatures_are_numbered() {
        let sigs: Vec<String> = ["SRAT", "SLIT", "SRAT", "S/T", "", "SRAT"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            table_file_names(&sigs),
            [
                "SRAT.dat",
                "SLIT.dat",
                "SRAT-1.dat",
                "S_T.dat",
                "TABLE.dat",
                "SRAT-2.dat"
            ]
        );
    }

    #[test]
    fn vnuma_file_names() {
        for n in [
            "SRAT.dat",
            "SLIT-1.dat",
            "TABLE.dat",
            "S_T_.dat",
            "qemu-native.args",
        ] {
            assert!(is_vnuma_file(n), "{n}");
        }
        for n in [
            "notes.txt",
            "notes.dat",
            "SRAT-.dat",
            "SRAT-x.dat",
            "qemu.args",
            "SRAT",
        ] {
            assert!(!is_vnuma_file(n), "{n}");
        }
    }

    #[test]
    fn staged_set_is_invisible_until_commit_and_dropped_cleanly() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("out");
        let set = vec![("SRAT.dat".to_string(), b"new".to_vec())];
        let s = stage_dir(&dir, &set).unwrap();
        assert!(!dir.exists());
        drop(s);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        stage_dir(&dir, &set).unwrap().commit().unwrap();
        assert_eq!(std::fs::read(dir.join("SRAT.dat")).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn output_file_checks() {
        let d = tempfile::tempdir().unwrap();
        assert!(check_output_file(Path::new("/dev/null")).is_err());
        assert!(check_output_file(d.path()).is_err());
        let f = d.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        assert_eq!(
            check_output_file(&l).unwrap(),
            std::fs::canonicalize(&f).unwrap()
        );
        write_atomic(&l, b"y").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"y");
        assert!(
            std::fs::symlink_metadata(&l)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn failed_set_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let files = vec![
            ("A.dat".to_string(), b"a".to_vec()),
            ("no/such/dir/B.dat".to_string(), b"b".to_vec()),
        ];
        assert!(write_files_atomic(d.path(), &files).is_err());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
