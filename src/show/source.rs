//! The sources of a [`View`]: topology files, table files and directories,
//! QEMU command lines and libvirt logs. Each ends in [`View::from_tables`].

use std::path::{Path, PathBuf};

use super::View;
use crate::acpi::{Hmat, Slit, Srat, SratEntry, Table};
use crate::front::qemu::error::QemuError;
use crate::front::qemu::parse::Arch;
use crate::front::qemu::report::{QemuReportError, qemu_report_versioned};
use crate::front::qemu::version::QemuVersion;
use crate::lint::LoadedTable;
use crate::machine::tables::Tables;

/// Why a source gives no view.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShowError {
    /// A topology file cannot be read or is not valid.
    #[error(transparent)]
    Topology(#[from] crate::front::file::LoadError),
    /// A topology file cannot be turned into tables.
    #[error(transparent)]
    Build(#[from] crate::build::BuildError),
    /// Table files cannot be read.
    #[error(transparent)]
    Tables(#[from] crate::report::ReportError),
    /// A table file does not decode.
    #[error("{file}: {error}")]
    Decode {
        /// The file.
        file: String,
        /// The decode error.
        error: crate::acpi::DecodeError,
    },
    /// Two tables of one signature were given.
    #[error("more than one {signature} table ({first} and {second})")]
    Duplicate {
        /// The signature.
        signature: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
    /// A topology file was given with other paths.
    #[error(
        "{}: a topology file is shown alone (table files and directories may be given together)",
        path.display()
    )]
    MixedSources {
        /// The topology file.
        path: PathBuf,
    },
    /// QEMU rejects the command line (its message), or vnuma cannot lay it out.
    #[error("{0}")]
    Qemu(QemuReportError),
    /// A host root cannot be read.
    #[error(transparent)]
    Host(#[from] crate::front::host::HostError),
    /// No guest can be planned on the host.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// A libvirt log gives no command line.
    #[error(transparent)]
    LibvirtLog(#[from] crate::live::args::ArgsFileError),
}

/// Whether `path` is a topology file rather than an ACPI table: a name ending
/// in `.toml`, or a file that does not start with an ACPI signature (four
/// upper-case letters or digits).
fn is_topology_file(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return true;
    }
    let mut head = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok();
    !(ok && head
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

/// The view of `paths`: one topology file, or table files and directories
/// (`/sys/firmware/acpi/tables` included).
pub fn from_paths(paths: &[PathBuf]) -> Result<View, ShowError> {
    if let Some(p) = paths.iter().find(|p| is_topology_file(p)) {
        if paths.len() > 1 {
            return Err(ShowError::MixedSources { path: p.clone() });
        }
        return from_topology_file(p);
    }
    from_table_paths(paths)
}

/// The view of a topology file: the tables `vnuma build` plans for it
/// (canonical order), devices named after the file's `[[pci]]` ids.
pub fn from_topology_file(path: &Path) -> Result<View, ShowError> {
    let f = crate::front::file::load(path)?;
    let mut tables = crate::build::plan_tables(&f, crate::build::Order::Canonical)?;
    // EDK2's flash entry is in the planned SRAT so that Linux keeps its nodes;
    // it is `nomap` memory, not the node's RAM.
    let mut flash_note = None;
    if let (Some(r), Some(srat)) = (&f.firmware_flash, tables.srat.as_mut()) {
        let before = srat.entries.len();
        srat.entries.retain(|e| {
            !matches!(e, SratEntry::Memory { base_address, length, .. }
                if *base_address == r.base && *length == r.size)
        });
        if srat.entries.len() < before {
            flash_note = Some(format!(
                "the SRAT also covers EDK2's {} variable-store flash on PXM {} (not counted as memory)",
                super::size_text(r.size),
                r.node
            ));
        }
    }
    let mut v = view_of_tables(&path.display().to_string(), "topology", &tables);
    v.name_devices_from(&f.topology);
    v.notes.extend(flash_note);
    Ok(v)
}

/// The view of table files and directories.
pub fn from_table_paths(paths: &[PathBuf]) -> Result<View, ShowError> {
    let loaded = crate::report::load(paths)?;
    let title = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    from_loaded(&title, &loaded)
}

/// The view of loaded tables (each signature at most once; other tables are
/// left out).
pub fn from_loaded(title: &str, loaded: &[LoadedTable]) -> Result<View, ShowError> {
    let mut srat: Option<(&Srat, String)> = None;
    let mut slit: Option<(&Slit, String)> = None;
    let mut hmat: Option<(&Hmat, String)> = None;
    for t in loaded {
        let src = t.source.clone().unwrap_or_default();
        let table = t.table.as_ref().map_err(|e| ShowError::Decode {
            file: src.clone(),
            error: e.clone(),
        })?;
        let dup = |sig: &str, first: &String| ShowError::Duplicate {
            signature: sig.into(),
            first: first.clone(),
            second: src.clone(),
        };
        match table {
            Table::Srat(s) => match &srat {
                Some((_, f)) => return Err(dup("SRAT", f)),
                None => srat = Some((s, src.clone())),
            },
            Table::Slit(s) => match &slit {
                Some((_, f)) => return Err(dup("SLIT", f)),
                None => slit = Some((s, src.clone())),
            },
            Table::Hmat(h) => match &hmat {
                Some((_, f)) => return Err(dup("HMAT", f)),
                None => hmat = Some((h, src.clone())),
            },
            _ => {}
        }
    }
    Ok(View::from_tables(
        title,
        "tables",
        srat.map(|x| x.0),
        slit.map(|x| x.0),
        hmat.map(|x| x.0),
    ))
}

/// The view of a built table set.
pub fn view_of_tables(title: &str, source: &str, t: &Tables) -> View {
    View::from_tables(
        title,
        source,
        t.srat.as_ref(),
        t.slit.as_ref(),
        t.hmat.as_ref(),
    )
}

/// The view of the tables QEMU `version` builds for a command line (the
/// options after the program name), devices named by their QEMU ids. Returns
/// QEMU's warnings too (also on failure).
pub fn from_qemu_args(
    args: &[String],
    arch: Option<Arch>,
    version: QemuVersion,
) -> (Vec<QemuError>, Result<View, ShowError>) {
    let (warnings, report) = qemu_report_versioned(args, arch, version);
    let r = report.map_err(ShowError::Qemu).map(|r| {
        let mut v = view_of_tables(&format!("QEMU {version} command line"), "qemu", &r.tables);
        v.name_devices_from(&r.parsed.topology);
        v
    });
    (warnings, r)
}

/// The view of the last command line a libvirt log holds (see
/// [`crate::live::args::read_libvirt_log`]).
pub fn from_libvirt_log(
    path: &Path,
    version: QemuVersion,
) -> (Vec<QemuError>, Result<View, ShowError>) {
    let cmd = match crate::live::args::read_libvirt_log(path) {
        Ok(c) => c,
        Err(e) => return (Vec::new(), Err(e.into())),
    };
    let base = cmd.binary.rsplit('/').next().unwrap_or(&cmd.binary);
    let arch = base
        .strip_prefix("qemu-system-")
        .and_then(|a| a.parse().ok());
    let (w, r) = from_qemu_args(&cmd.args, arch, version);
    let r = r.map(|mut v| {
        v.title = format!("{}:{} ({})", path.display(), cmd.line, v.title);
        v.source = "libvirt-log".into();
        v
    });
    (w, r)
}
