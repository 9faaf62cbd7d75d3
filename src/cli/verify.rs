//! `vnuma verify --expect TOPOLOGY`: inside a guest, compare Linux's view with the plan.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vnuma::build::{Order, table_set};
use vnuma::front::file;
use vnuma::verify::{Options, compare, read_sysfs};

use super::out::outln;

/// Check that the running Linux shows the planned NUMA topology and tables.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file the guest was built from.
    #[arg(long)]
    pub expect: PathBuf,
    /// The sysfs root to read.
    #[arg(long, default_value = "/sys")]
    pub sysfs: PathBuf,
    /// Compare the guest's tables with the files in this directory (SRAT.dat …)
    /// instead of tables built from the topology.
    #[arg(long)]
    pub tables: Option<PathBuf>,
    /// Do not compare tables, only the node picture.
    #[arg(long, conflicts_with = "tables")]
    pub no_tables: bool,
    /// Generic initiator order of the planned tables (see `vnuma build --order`).
    #[arg(long, value_enum, default_value_t = Order::Canonical)]
    pub order: Order,
    /// OEM revision of the planned tables (`vnuma initrd` writes 2).
    #[arg(long)]
    pub oem_revision: Option<u32>,
    /// Allowed MemTotal shortfall per node, percent of the planned size
    /// (at least 96 MiB is always allowed).
    #[arg(long, default_value_t = 15.0)]
    pub mem_tolerance: f64,
}

/// Runs the command: exit 0 when the guest agrees, 1 otherwise.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut f = file::load(&args.expect)?;
    if let Some(r) = args.oem_revision {
        f.topology.oem.oem_revision = r;
    }
    let planned: BTreeMap<String, Vec<u8>> = if args.no_tables {
        BTreeMap::new()
    } else if let Some(dir) = &args.tables {
        vnuma::report::load_table_set(dir)?.into_iter().collect()
    } else {
        table_set(&f, args.order)?.into_iter().collect()
    };
    let guest = read_sysfs(&args.sysfs)?;
    let opts = Options {
        mem_fraction: args.mem_tolerance / 100.0,
        compare_tables: !args.no_tables,
        ..Options::default()
    };
    let report = compare(&f, &planned, &guest, &opts);
    let mut s = String::new();
    for l in &report.summary {
        outln!(s, "{l}");
    }
    let tables: Vec<&str> = guest.tables.keys().map(String::as_str).collect();
    outln!(s, "tables: {}", tables.join(" "));
    if report.ok() {
        outln!(s, "vnuma verify: PASS ({} matches the guest)", f.file);
        super::out::stdout(s)?;
        Ok(0)
    } else {
        outln!(s, "vnuma verify: FAIL ({} differences)", report.diffs.len());
        for d in &report.diffs {
            outln!(s, "  {d}");
        }
        super::out::stdout(s)?;
        Ok(1)
    }
}
