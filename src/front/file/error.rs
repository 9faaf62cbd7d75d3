//! Errors of the topology file front end, and the context that places them
//! (file, line, column, key).

use std::ops::Range;

use toml::Spanned;

/// A topology file error: where (file, line, column, key) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}{sep}{message}", sep = if key.is_empty() { "" } else { ": " })]
pub struct FileError {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The key (path such as `node[2].memory`), empty when unknown.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Why [`super::load`] gives no topology.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read topology file {path}: {error}")]
    Read {
        /// The path as given.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a regular file, too large or not UTF-8 (see [`crate::input`]).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The file is not a valid topology.
    #[error(transparent)]
    Invalid(#[from] FileError),
}

/// The text being parsed, to turn byte spans into positions and keys.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'a> {
    /// File name for messages.
    pub(super) file: &'a str,
    /// The whole text.
    pub(super) src: &'a str,
}

impl Ctx<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let off = offset.min(self.src.len());
        let before = self.src.get(..off).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let column = self
            .src
            .get(line_start..off)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// An error at `span` for `key`.
    pub(super) fn err(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> FileError {
        let (line, column) = self.line_col(span.start);
        FileError {
            file: self.file.to_string(),
            line,
            column,
            key: crate::input::cap_message(key.into()),
            message: crate::input::cap_message(msg.into()),
        }
    }

    /// The key written before `=` on the line of `offset`, if any.
    pub(super) fn key_at(&self, offset: usize) -> String {
        let off = offset.min(self.src.len());
        let before = self.src.get(..off).unwrap_or("");
        let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let line_end = self
            .src
            .get(line_start..)
            .and_then(|s| s.find('\n'))
            .map_or(self.src.len(), |p| line_start + p);
        let line = self.src.get(line_start..line_end).unwrap_or("");
        let rel = off - line_start;
        match line.get(..rel).and_then(|s| s.rfind('=')) {
            Some(eq) => {
                let k = line.get(..eq).unwrap_or("").trim();
                let k = k.rsplit(['{', ',']).next().unwrap_or(k).trim();
                k.to_string()
            }
            None => {
                let t = line.trim();
                if t.starts_with('[') {
                    t.trim_matches(|c| c == '[' || c == ']').to_string()
                } else {
                    String::new()
                }
            }
        }
    }

    /// The choice named by `v`, or an error listing the names.
    pub(super) fn parse_enum<T: Copy>(
        &self,
        v: &Spanned<String>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<T, FileError> {
        choices
            .iter()
            .find(|(n, _)| *n == v.get_ref().as_str())
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                self.err(
                    v.span(),
                    key,
                    format!("\"{}\" is not one of: {}", v.get_ref(), names.join(", ")),
                )
            })
    }
}
