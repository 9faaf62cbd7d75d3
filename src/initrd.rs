//! Linux initrd ACPI table upgrade: an uncompressed `newc` cpio holding
//! `kernel/firmware/acpi/*.aml`.
//!
//! Linux (`CONFIG_ACPI_TABLE_UPGRADE`, `drivers/acpi/tables.c`) scans the start of
//! the initrd for an *uncompressed* cpio (via `find_cpio_data`, magic `070701`),
//! takes every regular file under `kernel/firmware/acpi/` whose size equals the
//! table's Length, whose signature is known (SRAT, SLIT and HMAT are) and whose
//! checksum is valid, and then:
//! * installs it when the firmware has no table with that signature;
//! * replaces the firmware's table of that signature only when the file's OEM
//!   revision is higher than the firmware table's (QEMU writes 1).
//!
//! Prepend the archive to the initramfs (`cat tables.cpio initrd.img > new.img`);
//! the kernel's initramfs unpacker then skips it (the trailer ends it on a 4-byte
//! boundary) and goes on with the next, possibly compressed, archive.

use crate::acpi::header::{HEADER_LEN, fill_checksum};

/// The directory Linux looks in.
pub const ACPI_DIR: &str = "kernel/firmware/acpi";

/// One cpio member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpioEntry {
    /// Path inside the archive (no leading `/`).
    pub name: String,
    /// Full `st_mode` (type bits included): `0o040755` directory, `0o100644` file.
    pub mode: u32,
    /// File contents (empty for directories).
    pub data: Vec<u8>,
}

impl CpioEntry {
    /// A directory entry.
    pub fn dir(name: &str) -> Self {
        CpioEntry {
            name: name.to_string(),
            mode: 0o040_755,
            data: Vec::new(),
        }
    }
    /// A regular file entry.
    pub fn file(name: &str, data: Vec<u8>) -> Self {
        CpioEntry {
            name: name.to_string(),
            mode: 0o100_644,
            data,
        }
    }
}

/// An error building an archive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitrdError {
    /// A member does not fit the newc format's 32-bit fields.
    #[error("cpio member {0} is too large for the newc format")]
    TooLarge(String),
    /// A table is not a whole ACPI table.
    #[error("{0} is not an ACPI table (shorter than its 36-byte header or its Length field)")]
    NotATable(String),
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn header(out: &mut Vec<u8>, fields: [u32; 13]) {
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
}

/// Writes a `newc` (SVR4, no CRC) archive: each member is a 110-byte ASCII
/// header, the NUL-terminated name padded to 4 bytes, then the data padded to
/// 4 bytes; the archive ends with the `TRAILER!!!` member. mtime, uid, gid are 0
/// (reproducible output); inode numbers count from 1.
pub fn newc_archive(entries: &[CpioEntry]) -> Result<Vec<u8>, InitrdError> {
    let mut out = Vec::new();
    let trailer = CpioEntry {
        name: "TRAILER!!!".into(),
        mode: 0,
        data: Vec::new(),
    };
    for (i, e) in entries.iter().chain(std::iter::once(&trailer)).enumerate() {
        let is_trailer = i == entries.len();
        let too_large = || InitrdError::TooLarge(e.name.clone());
        let namesize = u32::try_from(e.name.len() + 1).map_err(|_| too_large())?;
        let filesize = u32::try_from(e.data.len()).map_err(|_| too_large())?;
        let ino = if is_trailer {
            0
        } else {
            u32::try_from(i + 1).map_err(|_| too_large())?
        };
        let nlink = match e.mode & 0o170_000 {
            0o040_000 => 2,
            _ => 1,
        };
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
        // rdevmajor, rdevminor, namesize, check
        header(
            &mut out,
            [
                ino, e.mode, 0, 0, nlink, 0, filesize, 0, 0, 0, 0, namesize, 0,
            ],
        );
        out.extend_from_slice(e.name.as_bytes());
        out.push(0);
        pad4(&mut out);
        out.extend_from_slice(&e.data);
        pad4(&mut out);
    }
    Ok(out)
}

/// Returns `table` with its OEM Revision set to `revision` and the checksum
/// recomputed.
pub fn set_oem_revision(table: &[u8], revision: u32) -> Vec<u8> {
    let mut t = table.to_vec();
    if let Some(f) = t.get_mut(24..28) {
        f.copy_from_slice(&revision.to_le_bytes());
    }
    fill_checksum(&mut t);
    t
}

/// The table-upgrade archive: directories `kernel`, `kernel/firmware`,
/// `kernel/firmware/acpi`, then one `SIG.aml` per table (named after each
/// table's signature). `oem_revision`, when given, replaces every table's OEM
/// Revision (checksums recomputed).
pub fn table_upgrade_cpio(
    tables: &[Vec<u8>],
    oem_revision: Option<u32>,
) -> Result<Vec<u8>, InitrdError> {
    let mut entries = vec![
        CpioEntry::dir("kernel"),
        CpioEntry::dir("kernel/firmware"),
        CpioEntry::dir(ACPI_DIR),
    ];
    for (i, t) in tables.iter().enumerate() {
        let declared = t
            .get(4..8)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| u32::from_le_bytes(b) as usize);
        let sig = match t.get(..4) {
            Some(sig) if t.len() >= HEADER_LEN && declared == Some(t.len()) => sig,
            _ => return Err(InitrdError::NotATable(format!("table {i}"))),
        };
        let sig = crate::acpi::header::sig_to_string(sig);
        let data = match oem_revision {
            Some(r) => set_oem_revision(t, r),
            None => t.clone(),
        };
        entries.push(CpioEntry::file(&format!("{ACPI_DIR}/{sig}.aml"), data));
    }
    newc_archive(&entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_archive_bytes_by_hand() {
        let a = newc_archive(&[CpioEntry::file("ab", b"xyz".to_vec())]).unwrap();
        let mut want = Vec::new();
        // magic, then 13 fields of 8 hex digits
        want.extend_from_slice(b"070701");
        want.extend_from_slice(b"00000001"); // ino 1
        want.extend_from_slice(b"000081A4"); // mode 0100644
        want.extend_from_slice(b"00000000"); // uid
        want.extend_from_slice(b"00000000"); // gid
        want.extend_from_slice(b"00000001"); // nlink
        want.extend_from_slice(b"00000000"); // mtime
        want.extend_from_slice(b"00000003"); // filesize 3
        want.extend_from_slice(b"00000000"); // devmajor
        want.extend_from_slice(b"00000000"); // devminor
        want.extend_from_slice(b"00000000"); // rdevmajor
        want.extend_from_slice(b"00000000"); // rdevminor
        want.extend_from_slice(b"00000003"); // namesize: "ab" + NUL
        want.extend_from_slice(b"00000000"); // check
        want.extend_from_slice(b"ab\0"); // 110 + 3 = 113 -> pad to 116
        want.extend_from_slice(&[0; 3]);
        want.extend_from_slice(b"xyz\0"); // data 3 -> pad to 4
        want.extend_from_slice(b"070701");
        want.extend_from_slice(b"00000000"); // trailer ino 0
        want.extend_from_slice(b"00000000"); // mode 0
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000001"); // nlink 1
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000000"); // size 0
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"0000000B"); // "TRAILER!!!" + NUL = 11
        want.extend_from_slice(b"00000000");
        want.extend_from_slice(b"TRAILER!!!\0"); // 110 + 11 = 121 -> pad to 124
        want.extend_from_slice(&[0; 3]);
        assert_eq!(a, want);
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn oem_revision_patch_keeps_checksum() {
        // A header-only table, written by hand: "TEST", length 36, rev 1, checksum,
        // OEM ID, table ID, OEM revision 1, creator.
        let mut t = Vec::new();
        t.extend_from_slice(b"SLIT");
        t.extend_from_slice(&36u32.to_le_bytes());
        t.push(1);
        t.push(0);
        t.extend_from_slice(b"BOCHS BXPC    ");
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(b"BXPC");
        t.extend_from_slice(&1u32.to_le_bytes());
        let p = set_oem_revision(&t, 7);
        assert_eq!(&p[24..28], &[7, 0, 0, 0]);
        assert_eq!(p.iter().fold(0u8, |a, b| a.wrapping_add(*b)), 0);
        assert!(table_upgrade_cpio(&[t[..30].to_vec()], None).is_err());
    }
}
