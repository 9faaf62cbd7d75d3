//! `vnuma encode`: the JSON of `vnuma inspect --json` back to binary tables.

use std::path::PathBuf;

use anyhow::Context;

use vnuma::report;

/// Long help of `vnuma encode`.
pub const LONG_ABOUT: &str = "Write binary ACPI tables from the JSON that `vnuma inspect --json` prints.\n\n\
INPUT is a JSON file, or - for standard input. It may be the whole inspect document \
({\"tables\": [...], ...}: findings and guest_nodes are ignored), an array of tables, or one \
table object. Each table is written to DIR as <SIGNATURE>.dat (SRAT.dat, SLIT.dat, HMAT.dat); \
when several tables share a signature the second is <SIG>-1.dat, the third <SIG>-2.dat, and so \
on, in input order. Length and Checksum are recomputed; the length/checksum/checksum_valid \
fields of the JSON are ignored. A table given as \"raw\" hex (one that inspect could not \
decode) is written unchanged. All files are written atomically: either all appear or none, and DIR then holds no table \
file of an earlier run (docs/ROBUSTNESS.md, Outputs).";

/// Arguments of `vnuma encode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// JSON input file, or - for standard input.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Output directory (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
}

/// Runs `vnuma encode`.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let text = if args.input.as_os_str() == "-" {
        let limit = vnuma::input::MAX_JSON_BYTES;
        let bytes = vnuma::input::read_bounded_from(std::io::stdin().lock(), limit)
            .context("cannot read standard input")?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "standard input is larger than {limit} bytes, the limit for a JSON input"
                )
            })?;
        String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "standard input: not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        })?
    } else {
        vnuma::input::read_text(&args.input, vnuma::input::InputKind::Json)?
    };
    let where_ = if args.input.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        args.input.display().to_string()
    };
    let tables = report::tables_from_json(&text).with_context(|| format!("in {where_}"))?;
    if tables.is_empty() {
        anyhow::bail!("{where_} holds no table");
    }
    let names =
        vnuma::fsutil::table_file_names(&tables.iter().map(|t| t.signature()).collect::<Vec<_>>());
    let files: Vec<(String, Vec<u8>)> = names
        .into_iter()
        .zip(tables.iter().map(|t| t.encode()))
        .collect();
    let staged = vnuma::fsutil::stage_dir(&args.output, &files)?;
    let mut s = String::new();
    for (name, bytes) in &files {
        s.push_str(&format!(
            "wrote {} ({} bytes)\n",
            args.output.join(name).display(),
            bytes.len()
        ));
    }
    staged.commit()?;
    super::out::err(s);
    Ok(0)
}
