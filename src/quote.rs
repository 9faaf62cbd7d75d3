//! Quoting for what vnuma prints and writes: POSIX shell words (printed command
//! lines a user pastes) and QEMU option values (QemuOpts' `,,` for a comma).
//!
//! ```
//! use vnuma::quote::{qemu_value, shell};
//! assert_eq!(shell("node,nodeid=0,cpus=0-1"), "node,nodeid=0,cpus=0-1");
//! assert_eq!(shell("file=/a b/x"), "'file=/a b/x'");
//! assert_eq!(qemu_value("/a,b/SRAT.dat"), "/a,,b/SRAT.dat");
//! ```

/// `word` as one word for a POSIX shell: as is when it holds only characters a
/// shell leaves alone (`[A-Za-z0-9_=,./:@%+-]`), else in single quotes (a `'`
/// inside written `'\''`). The empty word is `''`.
pub fn shell(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_=,./:@%+-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A value inside a QEMU `key=value,…` option: QemuOpts reads `,,` as a comma.
pub fn qemu_value(v: &str) -> String {
    v.replace(',', ",,")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        // POSIX (XCU 2.2.2): a single-quoted string keeps every character but `'`.
        assert_eq!(shell("cpus=[0-3]"), "'cpus=[0-3]'");
        assert_eq!(shell("it's"), r"'it'\''s'");
        assert_eq!(shell(""), "''");
        assert_eq!(shell("boot=4"), "boot=4");
        assert_eq!(shell("$HOME"), "'$HOME'");
    }

    #[test]
    fn qemu_commas() {
        assert_eq!(qemu_value("a,b,,c"), "a,,b,,,,c");
        assert_eq!(qemu_value("plain"), "plain");
    }
}
