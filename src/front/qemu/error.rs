//! QEMU's error messages, kept exactly as QEMU 10.0.2 prints them.

use std::fmt;

/// How QEMU prints a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prefix {
    /// `error_report`/`error_setg` style: QEMU prints `qemu-system-<arch>: ` first
    /// (vnuma prints `vnuma: ` instead).
    Program,
    /// `error_printf` style (GI/GP table-build and property errors): printed verbatim.
    Bare,
    /// Not QEMU's message: vnuma's own, for a command line QEMU accepts but vnuma
    /// does not model (a machine type older than the modelled ones). Printed after
    /// the program name like [`Prefix::Program`]; [`super::report`] turns it into
    /// [`super::report::QemuReportError::Layout`].
    Unmodelled,
}

/// An error (or warning) exactly as QEMU prints it, minus the program-name prefix.
/// `message` may span several lines (hints); it has no trailing newline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QemuError {
    /// Whether QEMU prints its program name before the message.
    pub prefix: Prefix,
    /// The text after the prefix (includes the `-option arg: ` location when QEMU has one).
    pub message: String,
}

impl QemuError {
    /// A message QEMU prints after `qemu-system-<arch>: `.
    pub fn program(message: impl Into<String>) -> Self {
        QemuError {
            prefix: Prefix::Program,
            message: message.into(),
        }
    }

    /// vnuma's message for something QEMU accepts but vnuma does not model.
    pub fn unmodelled(message: impl Into<String>) -> Self {
        QemuError {
            prefix: Prefix::Unmodelled,
            message: message.into(),
        }
    }

    /// A message QEMU prints without any prefix.
    pub fn bare(message: impl Into<String>) -> Self {
        QemuError {
            prefix: Prefix::Bare,
            message: message.into(),
        }
    }

    /// The full text as printed by a program called `program` (e.g.
    /// `qemu-system-x86_64` or `vnuma`), without trailing newline. Only the first line
    /// gets the prefix (QEMU's hint lines follow unprefixed).
    pub fn render(&self, program: &str) -> String {
        match self.prefix {
            Prefix::Program | Prefix::Unmodelled => format!("{program}: {}", self.message),
            Prefix::Bare => self.message.clone(),
        }
    }
}

impl fmt::Display for QemuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QemuError {}
