//! The `vnuma` program: parses the command line, runs the command, prints an
//! error with its causes and picks the exit status. The work lives in the
//! library; `cli` holds the argument definitions.

mod cli;

use clap::Parser;

/// Parses `std::env::args`, runs the command, prints errors (the whole chain)
/// and exits with 0 on success (a closed standard output: 1, quietly), 1 on any error (usage errors included), or the
/// status a command chose.
fn main() {
    let parsed = cli::try_parse_inspect().map_or_else(cli::Cli::try_parse, Ok);
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            // Bad arguments are bad input like any other: exit status 1.
            let code = if e.use_stderr() { 1 } else { 0 };
            // --help/--version on a closed or full stdout: status 1 (quiet on EPIPE).
            let code = match e.print() {
                Ok(()) => code,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => 1,
                Err(err) => {
                    cli::out::errln(format!("vnuma: error: cannot write standard output: {err}"));
                    1
                }
            };
            std::process::exit(code);
        }
    };
    let code = match cli::run(cli) {
        Ok(code) => code,
        // The reader of stdout went away: quietly, status 1 (nothing published).
        Err(e) if e.downcast_ref::<cli::out::StdoutClosed>().is_some() => 1,
        Err(e) => {
            report_error(&e);
            1
        }
    };
    std::process::exit(code);
}

/// Prints an error and its causes as `vnuma: error: …` / `  caused by: …`.
fn report_error(e: &anyhow::Error) {
    let mut s = format!("vnuma: error: {e}\n");
    for cause in e.chain().skip(1) {
        s.push_str(&format!("  caused by: {cause}\n"));
    }
    cli::out::err(s);
}
