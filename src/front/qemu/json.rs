//! QEMU's JSON syntax for `-object '{…}'` and `-device '{…}'` (what libvirt writes).
//!
//! QEMU takes an option value as JSON when its first character is `{`. The text is
//! split by QEMU's JSON lexer (`qobject/json-lexer.c`: RFC 8259 plus single-quoted
//! strings and a `\'` escape; control characters in strings and malformed numbers
//! are "stray" tokens, after which the lexer skips to the next structural character),
//! then parsed. The two modelled QEMU versions parse differently and word their
//! errors differently ([`JsonDialect`]):
//!
//! - QEMU 10.0 (`qobject/json-streamer.c` + recursive `json-parser.c`) collects the
//!   tokens of one brace-balanced value first (a lexical error in them wins), then
//!   parses them: `JSON parse error, premature EOI`, `… expected separator in dict`,
//!   `… key is not a string in object`, `… missing : in object pair`, no position.
//! - QEMU 11.1 parses token by token (a push parser): the first error in input
//!   order wins, prefixed with `LINE:COLUMN: ` of the offending token:
//!   `1:62: JSON parse error, premature end of input`, `… expected ',' or '}'`,
//!   `… expecting key`, `… expecting ':'`.
//!
//! Both: a second value or any token after the first value is
//! `Expecting at most one JSON value`; a repeated key is `JSON parse error,
//! duplicate key`; nesting deeper than 1024 is refused (QEMU's `MAX_NESTING`).
//! Every message text here was checked against the live QEMU 10.0.2 and 11.1.3
//! (tests/qemu_parse.rs, `json_*`).

/// A JSON value as QEMU's `QObject` holds it (dict keys in input order).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX` that fits `u64`.
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    List(Vec<Json>),
    /// An object, keys unique, in input order.
    Dict(Vec<(String, Json)>),
}

impl Json {
    /// Whether the value is a number (QNum).
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Int(_) | Json::UInt(_) | Json::Float(_))
    }
}

/// Which QEMU's JSON parser to model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonDialect {
    /// QEMU 10.0: value-at-once parser, errors without position.
    Qemu10,
    /// QEMU 11.1: token-by-token parser, errors prefixed with `line:column: `.
    Qemu11,
}

/// QEMU's `MAX_NESTING`.
const MAX_NESTING: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    LCurly,
    RCurly,
    LSquare,
    RSquare,
    Colon,
    Comma,
    Str,
    Int,
    Float,
    Keyword,
    Error,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    line: u32,
    col: u32,
}

/// QEMU's JSON lexer: tokens (error tokens included) and a final `End`.
fn lex(s: &str) -> Vec<Token> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    // Position of byte i: line and 1-based column (QEMU: x++ per byte, x = 0 at '\n').
    let mut line = 1u32;
    let mut col = 0u32;
    let mut i = 0usize;
    let pos_of = |upto: usize, i: &mut usize, line: &mut u32, col: &mut u32| {
        while *i < upto {
            if b.get(*i) == Some(&b'\n') {
                *line += 1;
                *col = 0;
            } else {
                *col += 1;
            }
            *i += 1;
        }
    };
    let mut j = 0usize; // next byte to scan
    let mut flushed_token = false;
    let text =
        |a: usize, z: usize| String::from_utf8_lossy(b.get(a..z).unwrap_or_default()).into_owned();
    while j < b.len() {
        let c = b.get(j).copied().unwrap_or(0);
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            j += 1;
            continue;
        }
        pos_of(j + 1, &mut i, &mut line, &mut col);
        let (tl, tc) = (line, col);
        let single = match c {
            b'{' => Some(Kind::LCurly),
            b'}' => Some(Kind::RCurly),
            b'[' => Some(Kind::LSquare),
            b']' => Some(Kind::RSquare),
            b':' => Some(Kind::Colon),
            b',' => Some(Kind::Comma),
            _ => None,
        };
        let start = j;
        // (kind, end exclusive); Error tokens: end includes the offending byte if consumed.
        let (kind, end) = if let Some(k) = single {
            (k, j + 1)
        } else if c == b'"' || c == b'\'' {
            lex_string(b, j, c)
        } else if c == b'-' || c.is_ascii_digit() {
            lex_number(b, j)
        } else if c.is_ascii_lowercase() {
            let mut e = j + 1;
            while b.get(e).is_some_and(u8::is_ascii_lowercase) {
                e += 1;
            }
            (Kind::Keyword, e)
        } else {
            // A byte no token starts with; a whole UTF-8 character is shown.
            let w = s
                .get(j..)
                .and_then(|r| r.chars().next())
                .map_or(1, char::len_utf8);
            (Kind::Error, j + w)
        };
        flushed_token = end >= b.len() && matches!(kind, Kind::Int | Kind::Float | Kind::Keyword);
        out.push(Token {
            kind,
            text: text(start, end),
            line: tl,
            col: tc,
        });
        j = end;
        if kind == Kind::Error {
            // Recovery: skip to a structural or control character (not '\t').
            while let Some(&x) = b.get(j) {
                if matches!(x, b'[' | b']' | b'{' | b'}' | b':' | b',') || (x < 0x20 && x != b'\t')
                {
                    break;
                }
                j += 1;
            }
        }
    }
    pos_of(b.len(), &mut i, &mut line, &mut col);
    out.push(Token {
        kind: Kind::End,
        text: String::new(),
        line,
        col: col + 1 + u32::from(flushed_token),
    });
    out
}

/// A string token from `b[j]` (the quote); an unterminated one or one with a
/// control character is an error token.
fn lex_string(b: &[u8], j: usize, quote: u8) -> (Kind, usize) {
    let mut e = j + 1;
    loop {
        let Some(&x) = b.get(e) else {
            return (Kind::Error, e);
        };
        if x < 0x20 {
            return (Kind::Error, e + 1);
        }
        if x == b'\\' {
            match b.get(e + 1) {
                None => return (Kind::Error, e + 1),
                Some(&y) if y < 0x20 => return (Kind::Error, e + 2),
                Some(_) => e += 2,
            }
            continue;
        }
        if x == quote {
            return (Kind::Str, e + 1);
        }
        e += 1;
    }
}

/// A number token from `b[j]` (QEMU's number states; a malformed number is an
/// error token that includes the offending byte).
fn lex_number(b: &[u8], j: usize) -> (Kind, usize) {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Sign,
        Zero,
        Digits,
        Mantissa,
        MantissaDigits,
        ExpE,
        ExpSign,
        ExpDigits,
    }
    let first = b.get(j).copied().unwrap_or(0);
    let mut st = match first {
        b'-' => S::Sign,
        b'0' => S::Zero,
        _ => S::Digits,
    };
    let mut e = j + 1;
    loop {
        let x = b.get(e).copied();
        let next = match (st, x) {
            (S::Sign, Some(b'0')) => Some(S::Zero),
            (S::Sign, Some(b'1'..=b'9')) => Some(S::Digits),
            (S::Zero, Some(b'.')) => Some(S::Mantissa),
            (S::Zero, Some(b'0'..=b'9')) => return (Kind::Error, e + 1),
            (S::Digits, Some(b'0'..=b'9')) => Some(S::Digits),
            (S::Digits, Some(b'.')) => Some(S::Mantissa),
            (S::Digits | S::MantissaDigits, Some(b'e' | b'E')) => Some(S::ExpE),
            (S::Mantissa | S::MantissaDigits, Some(b'0'..=b'9')) => Some(S::MantissaDigits),
            (S::ExpE, Some(b'-' | b'+')) => Some(S::ExpSign),
            (S::ExpE | S::ExpSign | S::ExpDigits, Some(b'0'..=b'9')) => Some(S::ExpDigits),
            _ => None,
        };
        match next {
            Some(n) => {
                st = n;
                e += 1;
            }
            None => {
                return match st {
                    S::Zero | S::Digits => (Kind::Int, e),
                    S::MantissaDigits | S::ExpDigits => (Kind::Float, e),
                    // Non-terminal state: the byte is consumed into the error
                    // (at the end of input nothing is left to consume).
                    _ => (Kind::Error, if x.is_some() { e + 1 } else { e }),
                };
            }
        }
    }
}

/// A parse error: the message after `JSON parse error, ` and the offending token.
struct PErr {
    msg: String,
    line: u32,
    col: u32,
}

fn perr(t: &Token, msg: impl Into<String>) -> PErr {
    PErr {
        msg: msg.into(),
        line: t.line,
        col: t.col,
    }
}

/// QEMU's `is_valid_codepoint` (no surrogates, no noncharacters).
fn valid_codepoint(cp: u32) -> bool {
    cp <= 0x10FFFF
        && !(0xFDD0..=0xFDEF).contains(&cp)
        && (cp & 0xFFFE) != 0xFFFE
        && !(0xD800..=0xDFFF).contains(&cp)
}

/// Four hex digits at `s[i..]` (QEMU's `cvt4hex`).
fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let mut cp = 0u32;
    for k in 0..4 {
        let d = char::from(*s.get(i + k)?).to_digit(16)?;
        cp = (cp << 4) | d;
    }
    Some(cp)
}

/// A string token's value (QEMU's `parse_string`).
fn string_value(t: &Token) -> Result<String, PErr> {
    let s = t.text.as_bytes();
    let quote = s.first().copied().unwrap_or(b'"');
    let mut out = String::new();
    let mut p = 1usize;
    let body_end = s.len().saturating_sub(1);
    while p < body_end {
        let c = s.get(p).copied().unwrap_or(quote);
        if c == quote {
            break;
        }
        if c == b'\\' {
            let beg = p;
            let e = s.get(p + 1).copied().unwrap_or(0);
            p += 2;
            let simple = match e {
                b'"' => Some('"'),
                b'\'' => Some('\''),
                b'\\' => Some('\\'),
                b'/' => Some('/'),
                b'b' => Some('\u{8}'),
                b'f' => Some('\u{c}'),
                b'n' => Some('\n'),
                b'r' => Some('\r'),
                b't' => Some('\t'),
                _ => None,
            };
            if let Some(ch) = simple {
                out.push(ch);
                continue;
            }
            if e != b'u' {
                return Err(perr(t, "invalid escape sequence in string"));
            }
            let mut cp = hex4(s, p);
            p += 4;
            if let Some(hi) = cp.filter(|c| (0xD800..=0xDBFF).contains(c))
                && s.get(p) == Some(&b'\\')
                && s.get(p + 1) == Some(&b'u')
            {
                cp = match hex4(s, p + 2) {
                    Some(lo) if (0xDC00..=0xDFFF).contains(&lo) => {
                        p += 6;
                        Some(0x10000 + ((hi & 0x3FF) << 10) + (lo & 0x3FF))
                    }
                    _ => None,
                };
            }
            match cp.filter(|c| valid_codepoint(*c)).and_then(char::from_u32) {
                Some(ch) => out.push(ch),
                None => {
                    let shown =
                        String::from_utf8_lossy(s.get(beg..p.min(s.len())).unwrap_or_default());
                    return Err(perr(t, format!("{shown} is not a valid Unicode character")));
                }
            }
            continue;
        }
        // One UTF-8 character (the token text is valid UTF-8).
        let rest = t.text.get(p..).unwrap_or_default();
        let Some(ch) = rest.chars().next() else { break };
        if !valid_codepoint(u32::from(ch)) {
            return Err(perr(t, "invalid UTF-8 sequence in string"));
        }
        out.push(ch);
        p += ch.len_utf8();
    }
    Ok(out)
}

/// A number token's value (QNum: i64, else u64, else double).
fn number_value(t: &Token) -> Json {
    if t.kind == Kind::Int {
        if let Ok(v) = t.text.parse::<i64>() {
            return Json::Int(v);
        }
        if let Ok(v) = t.text.parse::<u64>() {
            return Json::UInt(v);
        }
    }
    Json::Float(t.text.parse::<f64>().unwrap_or(0.0))
}

/// A keyword token's value.
fn keyword_value(t: &Token) -> Result<Json, PErr> {
    match t.text.as_str() {
        "true" => Ok(Json::Bool(true)),
        "false" => Ok(Json::Bool(false)),
        "null" => Ok(Json::Null),
        k => Err(perr(t, format!("invalid keyword '{k}'"))),
    }
}

/// QEMU 10.0's recursive parser over one value's tokens (first error wins).
struct Parser10<'a> {
    toks: &'a [Token],
    pos: usize,
    depth: usize,
}

impl Parser10<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn pop(&mut self) -> Option<&Token> {
        let t = self.toks.get(self.pos);
        self.pos += 1;
        t
    }
    fn eoi() -> PErr {
        PErr {
            msg: "premature EOI".into(),
            line: 0,
            col: 0,
        }
    }
    fn value(&mut self) -> Result<Json, PErr> {
        let t = self.peek().ok_or_else(Self::eoi)?.clone();
        match t.kind {
            Kind::LCurly => self.object(),
            Kind::LSquare => self.array(),
            Kind::Int | Kind::Float => {
                self.pos += 1;
                Ok(number_value(&t))
            }
            Kind::Str => {
                self.pos += 1;
                string_value(&t).map(Json::Str)
            }
            Kind::Keyword => {
                self.pos += 1;
                keyword_value(&t)
            }
            _ => Err(perr(&t, "expecting value")),
        }
    }
    fn nest(&mut self) -> Result<(), PErr> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(PErr {
                msg: "nesting".into(),
                line: 0,
                col: 0,
            });
        }
        Ok(())
    }
    fn object(&mut self) -> Result<Json, PErr> {
        self.nest()?;
        self.pos += 1;
        let mut dict: Vec<(String, Json)> = Vec::new();
        let first = self.peek().ok_or_else(Self::eoi)?;
        if first.kind == Kind::RCurly {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Dict(dict));
        }
        loop {
            let key_tok = self.peek().ok_or_else(Self::eoi)?.clone();
            let key = match self.value()? {
                Json::Str(k) => k,
                _ => return Err(perr(&key_tok, "key is not a string in object")),
            };
            let colon = self.pop().ok_or_else(Self::eoi)?.clone();
            if colon.kind != Kind::Colon {
                return Err(perr(&colon, "missing : in object pair"));
            }
            let v = self.value()?;
            if dict.iter().any(|(k, _)| *k == key) {
                return Err(perr(&colon, "duplicate key"));
            }
            dict.push((key, v));
            let sep = self.pop().ok_or_else(Self::eoi)?.clone();
            match sep.kind {
                Kind::RCurly => break,
                Kind::Comma => {}
                _ => return Err(perr(&sep, "expected separator in dict")),
            }
        }
        self.depth -= 1;
        Ok(Json::Dict(dict))
    }
    fn array(&mut self) -> Result<Json, PErr> {
        self.nest()?;
        self.pos += 1;
        let mut list = Vec::new();
        let first = self.peek().ok_or_else(Self::eoi)?;
        if first.kind == Kind::RSquare {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::List(list));
        }
        loop {
            list.push(self.value()?);
            let sep = self.pop().ok_or_else(Self::eoi)?.clone();
            match sep.kind {
                Kind::RSquare => break,
                Kind::Comma => {}
                _ => return Err(perr(&sep, "expected separator in list")),
            }
        }
        self.depth -= 1;
        Ok(Json::List(list))
    }
}

/// Text of the nesting-limit error.
const NESTING: &str = "JSON nesting depth limit exceeded";
/// Text of the second-value error.
const AT_MOST_ONE: &str = "Expecting at most one JSON value";

/// QEMU 10.0: brace-balanced units, lexical errors first.
fn parse10(toks: &[Token]) -> Result<Json, String> {
    let mut result: Option<Json> = None;
    let mut unit: Vec<Token> = Vec::new();
    let (mut braces, mut brackets) = (0i64, 0i64);
    let emit = |r: Result<Json, String>, result: &mut Option<Json>| -> Result<(), String> {
        if result.is_some() {
            return Err(AT_MOST_ONE.into());
        }
        *result = Some(r?);
        Ok(())
    };
    for t in toks {
        match t.kind {
            Kind::Error => {
                emit(
                    Err(format!("JSON parse error, stray '{}'", t.text)),
                    &mut result,
                )?;
                continue;
            }
            Kind::End => {
                if !unit.is_empty() {
                    emit(parse_unit10(&unit), &mut result)?;
                }
                break;
            }
            Kind::LCurly => braces += 1,
            Kind::RCurly => braces -= 1,
            Kind::LSquare => brackets += 1,
            Kind::RSquare => brackets -= 1,
            _ => {}
        }
        if braces + brackets > MAX_NESTING as i64 {
            emit(Err(NESTING.into()), &mut result)?;
        }
        unit.push(t.clone());
        if braces < 0 || brackets < 0 || (braces == 0 && brackets == 0) {
            emit(parse_unit10(&unit), &mut result)?;
            unit.clear();
            braces = 0;
            brackets = 0;
        }
    }
    result.ok_or_else(|| "JSON parse error, premature EOI".into())
}

fn parse_unit10(unit: &[Token]) -> Result<Json, String> {
    let mut p = Parser10 {
        toks: unit,
        pos: 0,
        depth: 0,
    };
    p.value().map_err(|e| {
        if e.msg == "nesting" {
            NESTING.into()
        } else {
            format!("JSON parse error, {}", e.msg)
        }
    })
}

/// One open container of the QEMU 11.1 push parser.
enum Frame {
    Dict(Vec<(String, Json)>, St),
    List(Vec<Json>, St),
    Key(String),
}

#[derive(Clone, Copy, PartialEq)]
enum St {
    AfterOpen,
    BeforeKey,
    EndOfKey,
    BeforeValue,
    EndOfValue,
}

/// QEMU 11.1: token by token.
fn parse11(toks: &[Token]) -> Result<Json, String> {
    let fmt = |e: PErr| format!("{}:{}: JSON parse error, {}", e.line, e.col, e.msg);
    let mut stack: Vec<Frame> = Vec::new();
    let mut result: Option<Json> = None;
    for t in toks {
        if t.kind == Kind::End {
            if !stack.is_empty() {
                return Err(fmt(perr(t, "premature end of input")));
            }
            break;
        }
        if result.is_some() {
            return Err(AT_MOST_ONE.into());
        }
        if t.kind == Kind::Error {
            return Err(fmt(perr(t, format!("stray '{}'", t.text))));
        }
        if let Some(v) = push11(&mut stack, t).map_err(fmt)? {
            result = Some(v);
        }
        if stack.len() > 2 * MAX_NESTING {
            return Err(NESTING.into());
        }
    }
    result.ok_or_else(|| "JSON parse error, premature end of input".into())
}

/// Feeds one token; returns the top-level value when it is complete.
fn push11(stack: &mut Vec<Frame>, t: &Token) -> Result<Option<Json>, PErr> {
    let state = match stack.last() {
        Some(Frame::Dict(_, s) | Frame::List(_, s)) => *s,
        Some(Frame::Key(_)) => St::EndOfKey,
        None => St::BeforeValue,
    };
    let mut value: Option<Json> = None;
    match state {
        St::AfterOpen | St::BeforeKey if matches!(stack.last(), Some(Frame::Dict(..))) => {
            if state == St::AfterOpen && t.kind == Kind::RCurly {
                if let Some(Frame::Dict(d, _)) = stack.pop() {
                    value = Some(Json::Dict(d));
                }
            } else if t.kind == Kind::Str {
                let k = string_value(t)?;
                set_state(stack, St::BeforeKey);
                stack.push(Frame::Key(k));
                return Ok(None);
            } else {
                return Err(perr(t, "expecting key"));
            }
        }
        St::EndOfKey => {
            if t.kind != Kind::Colon {
                return Err(perr(t, "expecting ':'"));
            }
            // The key frame stays; mark the dict as expecting the value.
            stack.push(Frame::List(Vec::new(), St::BeforeValue));
            // Use a sentinel: a value slot (popped when the value completes).
            return Ok(None);
        }
        St::EndOfValue => {
            let is_list = matches!(stack.last(), Some(Frame::List(..)));
            let (close, sep_err) = if is_list {
                (Kind::RSquare, "expected ',' or ']'")
            } else {
                (Kind::RCurly, "expected ',' or '}'")
            };
            if t.kind == Kind::Comma {
                set_state(
                    stack,
                    if is_list {
                        St::BeforeValue
                    } else {
                        St::BeforeKey
                    },
                );
                return Ok(None);
            }
            if t.kind != close {
                return Err(perr(t, sep_err));
            }
            value = match stack.pop() {
                Some(Frame::Dict(d, _)) => Some(Json::Dict(d)),
                Some(Frame::List(l, _)) => Some(Json::List(l)),
                _ => None,
            };
        }
        _ => {
            // AfterOpen of a list, or BeforeValue.
            if state == St::AfterOpen && t.kind == Kind::RSquare {
                if let Some(Frame::List(l, _)) = stack.pop() {
                    value = Some(Json::List(l));
                }
            } else {
                value = match t.kind {
                    Kind::LCurly => {
                        set_state(stack, St::BeforeValue);
                        stack.push(Frame::Dict(Vec::new(), St::AfterOpen));
                        return Ok(None);
                    }
                    Kind::LSquare => {
                        set_state(stack, St::BeforeValue);
                        stack.push(Frame::List(Vec::new(), St::AfterOpen));
                        return Ok(None);
                    }
                    Kind::Int | Kind::Float => Some(number_value(t)),
                    Kind::Str => Some(Json::Str(string_value(t)?)),
                    Kind::Keyword => Some(keyword_value(t)?),
                    _ => return Err(perr(t, "expecting value")),
                };
                if state == St::AfterOpen {
                    set_state(stack, St::BeforeValue);
                }
            }
        }
    }
    let Some(v) = value else { return Ok(None) };
    insert11(stack, v, t)
}

/// Sets the state of the innermost container.
fn set_state(stack: &mut [Frame], s: St) {
    if let Some(Frame::Dict(_, st) | Frame::List(_, st)) = stack.last_mut() {
        *st = s;
    }
}

/// Puts a completed value into its container (or returns it at top level).
fn insert11(stack: &mut Vec<Frame>, v: Json, t: &Token) -> Result<Option<Json>, PErr> {
    // A value slot after a key: a `List` frame in state BeforeValue directly above a Key.
    let slot = stack.len() >= 2
        && matches!(stack.get(stack.len() - 2), Some(Frame::Key(_)))
        && matches!(stack.last(), Some(Frame::List(l, St::BeforeValue)) if l.is_empty());
    if slot {
        stack.pop();
        let Some(Frame::Key(k)) = stack.pop() else {
            return Ok(None);
        };
        if let Some(Frame::Dict(d, st)) = stack.last_mut() {
            if d.iter().any(|(x, _)| *x == k) {
                return Err(perr(t, "duplicate key"));
            }
            d.push((k, v));
            *st = St::EndOfValue;
        }
        return Ok(None);
    }
    match stack.last_mut() {
        None => Ok(Some(v)),
        Some(Frame::List(l, st)) => {
            l.push(v);
            *st = St::EndOfValue;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Parses `s` (an option value starting with `{`) as QEMU `dialect` does; the
/// error is QEMU's text (without the option location).
pub fn parse(s: &str, dialect: JsonDialect) -> Result<Json, String> {
    let toks = lex(s);
    match dialect {
        JsonDialect::Qemu10 => parse10(&toks),
        JsonDialect::Qemu11 => parse11(&toks),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations: the live QEMU 10.0.2 / 11.1.3 (`-object '<text>'`).
    #[test]
    fn errors_as_qemu_prints_them() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":1073741824"#,
                "JSON parse error, premature EOI",
                "1:62: JSON parse error, premature end of input",
            ),
            (
                r#"{"qom-type":"memory-backend-ram" "id":"m0"}"#,
                "JSON parse error, expected separator in dict",
                "1:34: JSON parse error, expected ',' or '}'",
            ),
            (
                "{qom-type:1}",
                "JSON parse error, stray '-t'",
                "1:2: JSON parse error, expecting key",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":"\x"}"#,
                "JSON parse error, invalid escape sequence in string",
                "1:51: JSON parse error, invalid escape sequence in string",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":1073741824,"size":5}"#,
                "JSON parse error, duplicate key",
                "1:69: JSON parse error, duplicate key",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":}"#,
                "JSON parse error, expecting value",
                "1:51: JSON parse error, expecting value",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size" 5}"#,
                "JSON parse error, missing : in object pair",
                "1:51: JSON parse error, expecting ':'",
            ),
            (
                r#"{"qom-type":"memory-backend-ram",1:2}"#,
                "JSON parse error, key is not a string in object",
                "1:34: JSON parse error, expecting key",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":tru}"#,
                "JSON parse error, invalid keyword 'tru'",
                "1:51: JSON parse error, invalid keyword 'tru'",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":01}"#,
                "JSON parse error, stray '01'",
                "1:51: JSON parse error, stray '01'",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":"\u00zz"}"#,
                r"JSON parse error, \u00zz is not a valid Unicode character",
                r"1:51: JSON parse error, \u00zz is not a valid Unicode character",
            ),
            (
                r#"{"qom-type":"memory-backend-ram","id":"m0","size":1,}"#,
                "JSON parse error, expecting value",
                "1:53: JSON parse error, expecting key",
            ),
            (r#"{"a":1}  x"#, AT_MOST_ONE, AT_MOST_ONE),
            (r#"{"a":1}}"#, AT_MOST_ONE, AT_MOST_ONE),
            (r#"{"a":1} 01"#, AT_MOST_ONE, AT_MOST_ONE),
            (r#"{"a":1}]"#, AT_MOST_ONE, AT_MOST_ONE),
            (
                r#"{"a":1  "#,
                "JSON parse error, premature EOI",
                "1:9: JSON parse error, premature end of input",
            ),
            (
                r#"{"a":1"#,
                "JSON parse error, premature EOI",
                "1:8: JSON parse error, premature end of input",
            ),
            (
                r#"{"a":"#,
                "JSON parse error, premature EOI",
                "1:6: JSON parse error, premature end of input",
            ),
            (
                r#"{"a":{"b":1},"a":{}}"#,
                "JSON parse error, duplicate key",
                "1:19: JSON parse error, duplicate key",
            ),
            (
                r#"{"a":[1 2]}"#,
                "JSON parse error, expected separator in list",
                "1:9: JSON parse error, expected ',' or ']'",
            ),
            (
                r#"{"a":[1,]}"#,
                "JSON parse error, expecting value",
                "1:9: JSON parse error, expecting value",
            ),
            (
                r#"{"a":-}"#,
                "JSON parse error, stray '-}'",
                "1:6: JSON parse error, stray '-}'",
            ),
            (
                r#"{"a":1.}"#,
                "JSON parse error, stray '1.}'",
                "1:6: JSON parse error, stray '1.}'",
            ),
            (
                r#"{"a":@}"#,
                "JSON parse error, stray '@'",
                "1:6: JSON parse error, stray '@'",
            ),
            (
                r#"{"a" 5 01}"#,
                "JSON parse error, stray '01'",
                "1:6: JSON parse error, expecting ':'",
            ),
            (
                r#"{"a":"\ud800"}"#,
                r"JSON parse error, \ud800 is not a valid Unicode character",
                r"1:6: JSON parse error, \ud800 is not a valid Unicode character",
            ),
            (
                r#"{"a"#,
                r#"JSON parse error, stray '"a'"#,
                r#"1:2: JSON parse error, stray '"a'"#,
            ),
            (
                "{\"a\":\"b\tc\"}",
                "JSON parse error, stray '\"b\t'",
                "1:6: JSON parse error, stray '\"b\t'",
            ),
            (
                "{\"a\":\n  1,\n \"b\" 2}",
                "JSON parse error, missing : in object pair",
                "3:6: JSON parse error, expecting ':'",
            ),
            (
                "{\"a\":\n  1,\n \"b\":2,",
                "JSON parse error, premature EOI",
                "3:8: JSON parse error, premature end of input",
            ),
        ];
        for (input, v10, v11) in cases {
            assert_eq!(
                parse(input, JsonDialect::Qemu10).unwrap_err(),
                *v10,
                "10: {input}"
            );
            assert_eq!(
                parse(input, JsonDialect::Qemu11).unwrap_err(),
                *v11,
                "11: {input}"
            );
        }
    }

    #[test]
    fn values() {
        for d in [JsonDialect::Qemu10, JsonDialect::Qemu11] {
            let v = parse(
                r#"{"a":1,"b":[true,null,-2,1.5e3],"c":{"d":'x\'y'},"e":18446744073709551615,"f":"\u00e9\/"}"#,
                d,
            )
            .unwrap();
            assert_eq!(
                v,
                Json::Dict(vec![
                    ("a".into(), Json::Int(1)),
                    (
                        "b".into(),
                        Json::List(vec![
                            Json::Bool(true),
                            Json::Null,
                            Json::Int(-2),
                            Json::Float(1500.0)
                        ])
                    ),
                    (
                        "c".into(),
                        Json::Dict(vec![("d".into(), Json::Str("x'y".into()))])
                    ),
                    ("e".into(), Json::UInt(u64::MAX)),
                    ("f".into(), Json::Str("é/".into())),
                ])
            );
            assert_eq!(parse("{}", d).unwrap(), Json::Dict(vec![]));
            let deep = format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
            assert!(parse(&deep, d).is_err());
        }
    }
}
