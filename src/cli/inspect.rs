//! `vnuma inspect`: decode, check and show ACPI NUMA tables.

use std::path::PathBuf;

use vnuma::report;

/// Long help of `vnuma inspect`.
pub const LONG_ABOUT: &str = "Decode SRAT/SLIT/HMAT tables, check them, and show the Linux node each proximity domain becomes.\n\n\
Each PATH is a table file (any name) or a directory such as /sys/firmware/acpi/tables, \
from which the files named SRAT, SLIT or HMAT (any case, optionally followed by a number \
such as SRAT1 or SRAT-1, and by a suffix such as .dat or .aml) are read.\n\n\
The text output is one field per line with byte offsets, as iasl -d prints it, followed by \
the findings (error, warning, info) and the guest node table. --json prints \
{\"tables\": [...], \"findings\": [...], \"guest_nodes\": [...]}; `vnuma encode` turns that \
JSON back into table files.\n\n\
Exit status: 0 when every table decoded (findings do not change it, unless --strict); \
1 when a file cannot be read, a table does not decode, or --strict is given and there is \
an error finding.";

/// Arguments of `vnuma inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when there is any error-severity finding.
    #[arg(long)]
    pub strict: bool,
    /// Table files or directories (e.g. /sys/firmware/acpi/tables).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Runs `vnuma inspect`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let (tables, rep) = report::inspect(&args.paths)?;
    // Streamed to standard output in the report writers' own chunks (no
    // report-sized string in memory, no second buffer).
    super::out::stream(|out| {
        if args.json {
            report::write_json_report(out, &tables, &rep)?;
            out.write_all(
                b"
",
            )
        } else {
            report::write_text_report(out, &tables, &rep)
        }
    })?;
    let undecodable = tables.iter().filter(|t| t.table.is_err()).count();
    let errors = rep.count(vnuma::lint::Severity::Error);
    // The process ends next: its memory goes back with it, so the decoded
    // tables and the findings are not freed one allocation at a time (for a
    // large SRAT that is a tenth of the instructions of the whole run).
    std::mem::forget((tables, rep));
    if undecodable > 0 {
        super::out::errln(format!(
            "vnuma: error: {undecodable} table(s) did not decode (see the decode-error findings)"
        ));
        return Ok(1);
    }
    if args.strict && errors > 0 {
        super::out::errln(format!(
            "vnuma: error: {errors} error finding(s) (--strict)"
        ));
        return Ok(1);
    }
    Ok(0)
}
