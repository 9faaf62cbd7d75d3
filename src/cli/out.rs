//! The one place the CLI writes standard output and standard error.
//!
//! Nothing here panics (`print!`/`eprint!` do when the write fails). Standard
//! output is written with [`stdout`], which returns an error: a closed pipe
//! (EPIPE) becomes [`StdoutClosed`], which `main` turns into exit status 1
//! without a message (the reader went away; nothing is published after it);
//! any other failure (ENOSPC, EIO) is an ordinary error, reported once on
//! stderr with status 1. Standard error is written best effort ([`err`]):
//! there is nowhere to report its failure.

use std::io::Write;

/// Standard output was closed by its reader (EPIPE).
#[derive(Debug, thiserror::Error)]
#[error("standard output is closed")]
pub struct StdoutClosed;

/// Writes `text` to standard output and flushes it.
pub fn stdout(text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    stdout_result(o.write_all(text.as_ref()).and_then(|()| o.flush()))
}

/// Streams to standard output from a writer that collects its own chunks (the
/// report writers hand over 128 KiB at a time: no output-sized string in memory):
/// straight to the locked standard output, no second buffer and no copy into
/// it, with the same error mapping as [`stdout`].
pub fn stream(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    stdout_result(write(&mut o).and_then(|()| o.flush()))
}

/// A write to standard output as the CLI reports it: EPIPE is [`StdoutClosed`].
fn stdout_result(r: std::io::Result<()>) -> anyhow::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write standard output")),
    }
}

/// Writes `text` to standard error, ignoring failures.
pub fn err(text: impl AsRef<[u8]>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_ref()).and_then(|()| e.flush());
}

/// `err` with a newline.
pub fn errln(text: impl std::fmt::Display) {
    err(format!("{text}\n"));
}

/// Appends a formatted line to a `String` (formatting into a String cannot fail).
macro_rules! outln {
    ($buf:expr) => { $buf.push('\n') };
    ($buf:expr, $($arg:tt)*) => {{
        $buf.push_str(&format!($($arg)*));
        $buf.push('\n');
    }};
}
pub(crate) use outln;
