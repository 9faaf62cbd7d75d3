//! The QEMU arguments as the front end reads them: any list of words with a
//! length and indexed access ([`ArgList`]). A slice of strings is one; so is
//! [`ArgsFileWords`], the words of an args file kept as one offset a word into
//! the file's text (4 bytes a word instead of a 16-byte `&str`), which is what
//! lets a file of very short options (`-S`, `-m 1G`) stay within the memory
//! budget of `vnuma qemu --args-file`.

/// A list of QEMU arguments (the words after the program name).
pub trait ArgList {
    /// The number of words.
    fn len(&self) -> usize;

    /// Word `i`, `None` past the end.
    fn get(&self, i: usize) -> Option<&str>;

    /// Whether there are no words.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The words in order.
    fn words(&self) -> Words<'_, Self> {
        Words { list: self, i: 0 }
    }
}

/// The iterator of [`ArgList::words`].
#[derive(Debug)]
pub struct Words<'a, L: ?Sized> {
    list: &'a L,
    i: usize,
}

impl<'a, L: ArgList + ?Sized> Iterator for Words<'a, L> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let w = self.list.get(self.i)?;
        self.i += 1;
        Some(w)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.list.len().saturating_sub(self.i);
        (n, Some(n))
    }
}

impl<S: AsRef<str>> ArgList for [S] {
    fn len(&self) -> usize {
        <[S]>::len(self)
    }
    fn get(&self, i: usize) -> Option<&str> {
        <[S]>::get(self, i).map(AsRef::as_ref)
    }
}

impl<S: AsRef<str>, const N: usize> ArgList for [S; N] {
    fn len(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> Option<&str> {
        self.as_slice().get(i).map(AsRef::as_ref)
    }
}

impl<S: AsRef<str>> ArgList for Vec<S> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> Option<&str> {
        self.as_slice().get(i).map(AsRef::as_ref)
    }
}

impl<L: ArgList + ?Sized> ArgList for &L {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, i: usize) -> Option<&str> {
        (**self).get(i)
    }
}

/// Where the words of an args file start in its text.
#[derive(Debug, Clone)]
enum Starts {
    /// Texts below 4 GiB: a `u32` a word.
    Narrow(Vec<u32>),
    /// Larger texts.
    Wide(Vec<usize>),
}

/// The words of an args file (one option per line, `OPT VALUE` split at the
/// first whitespace, the value trimmed; blank lines and `#` comments skipped),
/// kept as the start offset of each word in the text, then `tail` words
/// borrowed from elsewhere (arguments given after the file).
///
/// A word's end is derived again from the rules: a word with only whitespace
/// before it on its line is the option and ends at the first whitespace after
/// it; otherwise it is the value and ends where the trimmed line ends.
#[derive(Debug, Clone)]
pub struct ArgsFileWords<'a> {
    text: &'a str,
    starts: Starts,
    tail: Vec<&'a str>,
}

impl<'a> ArgsFileWords<'a> {
    /// The words of args-file `text` (the same words as
    /// [`crate::live::dump::args_file_words`]).
    pub fn new(text: &'a str) -> ArgsFileWords<'a> {
        let base = text.as_ptr() as usize;
        let offset = |w: &str| (w.as_ptr() as usize).wrapping_sub(base);
        let words = || {
            text.lines().flat_map(|line| {
                let l = line.trim();
                let (a, b) = if l.is_empty() || l.starts_with('#') {
                    (None, None)
                } else {
                    match l.split_once(char::is_whitespace) {
                        Some((opt, val)) => (Some(opt), Some(val.trim())),
                        None => (Some(l), None),
                    }
                };
                a.into_iter().chain(b)
            })
        };
        let starts = match u32::try_from(text.len()) {
            Ok(_) => {
                let mut v = Vec::with_capacity(words().count());
                v.extend(words().map(|w| u32::try_from(offset(w)).unwrap_or(u32::MAX)));
                Starts::Narrow(v)
            }
            Err(_) => {
                let mut v = Vec::with_capacity(words().count());
                v.extend(words().map(offset));
                Starts::Wide(v)
            }
        };
        ArgsFileWords {
            text,
            starts,
            tail: Vec::new(),
        }
    }

    /// Appends words after the file's.
    pub fn extend<I: IntoIterator<Item = &'a str>>(&mut self, words: I) {
        self.tail.extend(words);
    }

    fn file_len(&self) -> usize {
        match &self.starts {
            Starts::Narrow(v) => v.len(),
            Starts::Wide(v) => v.len(),
        }
    }

    /// The file word starting at byte `s`.
    fn word_at(&self, s: usize) -> Option<&'a str> {
        let text = self.text;
        let before = text.get(..s)?;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let rest = text.get(s..)?;
        let is_option = before
            .get(line_start..)
            .is_some_and(|p| p.chars().all(char::is_whitespace));
        let end = if is_option {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        } else {
            let line = rest
                .find('\n')
                .map_or(rest, |e| rest.get(..e).unwrap_or(rest));
            line.trim_end().len()
        };
        rest.get(..end)
    }
}

impl ArgList for ArgsFileWords<'_> {
    fn len(&self) -> usize {
        self.file_len() + self.tail.len()
    }

    fn get(&self, i: usize) -> Option<&str> {
        let start = match &self.starts {
            Starts::Narrow(v) => v.get(i).map(|&s| s as usize),
            Starts::Wide(v) => v.get(i).copied(),
        };
        match start {
            Some(s) => self.word_at(s),
            None => <[&str]>::get(&self.tail, i - self.file_len()).copied(),
        }
    }
}

/// `base` with some words replaced (sorted by index, each index at most once).
#[derive(Debug, Clone)]
pub(crate) struct Replaced<'a, L: ?Sized> {
    pub(crate) base: &'a L,
    pub(crate) replaced: Vec<(usize, String)>,
}

impl<L: ArgList + ?Sized> ArgList for Replaced<'_, L> {
    fn len(&self) -> usize {
        self.base.len()
    }

    fn get(&self, i: usize) -> Option<&str> {
        match self.replaced.binary_search_by_key(&i, |(j, _)| *j) {
            Ok(k) => self.replaced.get(k).map(|(_, s)| s.as_str()),
            Err(_) => self.base.get(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_file_words_match_the_slices() {
        let text = "# c\n-machine q35\n  -m   1G  \n\n-S\r\n-numa\tnode,nodeid=0 \r\n \
                    -object {\"a\": 1}\n-x y z\n#x y\n  -nographic";
        let want = crate::live::dump::args_file_words(text);
        let mut got = ArgsFileWords::new(text);
        assert_eq!(got.len(), want.len());
        let words: Vec<&str> = got.words().collect();
        assert_eq!(words, want);
        got.extend(["-smp", "2"]);
        assert_eq!(got.len(), want.len() + 2);
        assert_eq!(got.get(want.len() + 1), Some("2"));
        assert_eq!(got.get(want.len() + 2), None);
        let empty = ArgsFileWords::new("");
        assert!(empty.is_empty());
    }

    #[test]
    fn generated_texts_match_the_slices() {
        let alphabet = [
            " ", "\t", "\r", "\n", "#", "\u{a0}", "\u{2003}", "a", "-", "é", "{", "\r\n",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let n = (x >> 59) as usize;
            for _ in 0..n {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push_str(alphabet[(x >> 33) as usize % alphabet.len()]);
            }
            let want = crate::live::dump::args_file_words(&text);
            let list = ArgsFileWords::new(&text);
            let got: Vec<&str> = list.words().collect();
            assert_eq!(got, want, "{text:?}");
            assert_eq!(list.len(), want.len());
        }
    }

    #[test]
    fn unicode_whitespace_and_values() {
        let text = "\u{a0}-m\u{2003}1G\u{a0}\n-machine\u{85}é,x=ü";
        let want = crate::live::dump::args_file_words(text);
        let list = ArgsFileWords::new(text);
        let got: Vec<&str> = list.words().collect();
        assert_eq!(got, want);
    }
}
