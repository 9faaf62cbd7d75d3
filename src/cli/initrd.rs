//! `vnuma initrd TOPOLOGY -o FILE.cpio`: a Linux initrd table-upgrade archive.

use std::path::PathBuf;

use vnuma::build::{Order, table_set};
use vnuma::front::file;
use vnuma::initrd::table_upgrade_cpio;

/// Write an uncompressed cpio with kernel/firmware/acpi/{SRAT,SLIT,HMAT}.aml, to
/// prepend to an initramfs (Linux CONFIG_ACPI_TABLE_UPGRADE).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file.
    #[arg(required_unless_present = "tables")]
    pub topology: Option<PathBuf>,
    /// Take the tables from this directory (SRAT.dat, SLIT.dat, HMAT.dat, as
    /// `vnuma build` writes them) instead of building them.
    #[arg(long, conflicts_with = "topology")]
    pub tables: Option<PathBuf>,
    /// Output archive (`-`: standard output). Device nodes, FIFOs, sockets and
    /// directories are refused.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// OEM revision written into every table. Linux replaces a firmware table only
    /// with a higher OEM revision (QEMU writes 1).
    #[arg(long, default_value_t = 2)]
    pub oem_revision: u32,
    /// Generic initiator order (see `vnuma build --order`).
    #[arg(long, value_enum, default_value_t = Order::Canonical)]
    pub order: Order,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let tables: Vec<Vec<u8>> = match (&args.tables, &args.topology) {
        (Some(dir), _) => vnuma::report::load_table_set(dir)?
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
        (None, Some(t)) => table_set(&file::load(t)?, args.order)?
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
        (None, None) => anyhow::bail!("give a topology file or --tables DIR"),
    };
    if tables.is_empty() {
        anyhow::bail!("the topology has no NUMA nodes: there is no table to install");
    }
    let archive = table_upgrade_cpio(&tables, Some(args.oem_revision))?;
    let summary = format!(
        "{} bytes, {} tables, OEM revision {}",
        archive.len(),
        tables.len(),
        args.oem_revision
    );
    if args.output.as_os_str() == "-" {
        // The archive itself goes to stdout; the note to stderr.
        super::out::stdout(&archive)?;
        super::out::errln(format!("wrote the archive to standard output ({summary})"));
        return Ok(0);
    }
    let staged = vnuma::fsutil::stage_file(&args.output, &archive)?;
    super::out::stdout(format!(
        "wrote {} ({summary}); prepend it to the initramfs:\n  cat {} initrd.img > initrd-numa.img\n",
        args.output.display(),
        args.output.display()
    ))?;
    staged.commit()?;
    Ok(0)
}
