//! Output files are written whole or not at all: to a temporary file in the
//! same directory, then renamed over the destination. Also the names of table
//! files ([`table_file_names`]).

use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` atomically (temp file + fsync + rename).
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.vnuma-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes several files into `dir` (created if missing). Every file is first
/// written to a temporary name; only when all succeeded are they renamed into
/// place, so a failure leaves no partial set of new files behind.
pub fn write_files_atomic(dir: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut temps = Vec::new();
    let result = (|| {
        for (name, data) in files {
            let tmp = dir.join(format!(".{name}.vnuma-tmp-{}", std::process::id()));
            temps.push((tmp.clone(), dir.join(name)));
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
        }
        for (tmp, dst) in &temps {
            std::fs::rename(tmp, dst)?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

/// After a set of files was written into `dir`: removes the files among `managed`
/// that the set does not contain, so that `dir` never mixes a new table set with a
/// table left from an earlier run (say, an HMAT the new topology no longer has).
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
