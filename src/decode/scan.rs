//! A fast path for native and CloudEvents lines: a strict scanner for the common shape (a flat
//! object whose string values have no escapes), about three times cheaper than a generic serde
//! pass. Anything else (escapes, floats as ids, duplicate keys, odd header shapes, invalid input)
//! returns `None` and the caller falls back to serde_json, which also words the errors.
//!
//! Hand-written because no JSON crate offers "borrow these known fields, validate and skip the
//! rest" faster than serde_json's derive, and this loop is where `check` spends its time. Values
//! it does not read (the payload) are skipped by a strict validator of the JSON grammar that
//! leaves escapes and deep nesting to serde_json.

use super::line::{EventLine, HeaderPairs, RawJson, Text};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The position of the first byte at or after `i` that ends a plain string: `"`, `\\` or a
/// control character (below 0x20); `b.len()` if none. Eight bytes at a time: no crate finds a
/// class of bytes like this (memchr finds up to three given bytes).
#[inline]
fn string_end(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = w ^ (LO * u64::from(b'"'));
        let backslash = w ^ (LO * u64::from(b'\\'));
        // A byte is flagged when it is zero (after the xor) or below 0x20; the lowest flagged
        // byte is exact (a borrow only flags bytes above a real hit).
        let hits = (quote.wrapping_sub(LO) & !quote
            | backslash.wrapping_sub(LO) & !backslash
            | w.wrapping_sub(LO * 0x20) & !w)
            & HI;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

/// Containers deeper than this are left to serde_json (which has its own limit).
const MAX_FAST_DEPTH: u32 = 64;

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn ws(&mut self) {
        // Compact lines have no white space at all: one comparison on the common path.
        while let Some(&c) = self.b.get(self.i) {
            if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                return;
            }
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes or control characters.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = string_end(self.b, start);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(&self.s[start..end])
    }

    /// `word` (a literal: true, false, null), consumed.
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// At least one digit.
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// A number by the JSON grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            self.digits()?;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    /// An object member's name and colon.
    fn member_name(&mut self) -> Option<()> {
        self.string()?;
        self.eat(b':')
    }

    /// Skips one JSON value, checking it against the grammar; `None` for anything this does not
    /// handle (escapes, nesting deeper than [`MAX_FAST_DEPTH`]) or that is not JSON.
    fn skip_value(&mut self) -> Option<()> {
        // One bit per open container, innermost lowest: 1 = object, 0 = array.
        let mut stack: u64 = 0;
        let mut depth: u32 = 0;
        'value: loop {
            self.ws();
            match *self.b.get(self.i)? {
                open @ (b'{' | b'[') => {
                    self.i += 1;
                    if depth == MAX_FAST_DEPTH {
                        return None;
                    }
                    let object = open == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        stack = stack << 1 | u64::from(object);
                        depth += 1;
                        if object {
                            self.member_name()?;
                        }
                        continue 'value;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // A value is complete: close the containers that end here.
            while depth > 0 {
                let object = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if object {
                            self.member_name()?;
                        }
                        continue 'value;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.i += 1;
                stack >>= 1;
                depth -= 1;
            }
            return Some(());
        }
    }

    /// `null`, consumed.
    fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            return true;
        }
        false
    }

    /// An integer (optional minus, digits, no leading zeros), as text.
    fn integer_text(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let n = self.i - digits;
        let negative = digits > start;
        // Leave to serde what it would print differently: -0, numbers beyond 64 bits, floats.
        if n == 0
            || n > 18
            || (n > 1 && self.b[digits] == b'0')
            || (negative && self.b[digits] == b'0')
            || matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        Some(&self.s[start..self.i])
    }

    fn int<T: std::str::FromStr>(&mut self) -> Option<Option<T>> {
        if self.null() {
            return Some(None);
        }
        self.integer_text()?.parse().ok().map(Some)
    }

    /// A string or an integer (ids and sequences may be either), or null.
    fn text(&mut self) -> Option<Option<Text<'a>>> {
        match self.peek()? {
            b'"' => self.string().map(|s| Some(Text(Cow::Borrowed(s)))),
            b'n' => self.null().then_some(None),
            _ => self.integer_text().map(|s| Some(Text(Cow::Borrowed(s)))),
        }
    }

    /// Any JSON value, checked by [`Cursor::skip_value`] or else by serde_json, returned raw.
    fn raw(&mut self) -> Option<RawJson<'a>> {
        self.ws();
        let start = self.i;
        if self.skip_value().is_some() {
            return Some(RawJson(&self.s[start..self.i]));
        }
        self.i = start;
        let rest = &self.s[start..];
        let mut de = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut de).ok()?;
        // The raw value starts where we are (white space was skipped).
        self.i += raw.get().len();
        Some(RawJson(raw.get()))
    }

    fn headers(&mut self) -> Option<Option<HeaderPairs<'a>>> {
        if self.null() {
            return Some(None);
        }
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Some(out));
        }
        loop {
            self.eat(b'[')?;
            let name = self.string()?;
            self.eat(b',')?;
            let value = if self.null() {
                None
            } else {
                Some(Text(Cow::Borrowed(self.string()?)))
            };
            self.eat(b']')?;
            out.push((Text(Cow::Borrowed(name)), value));
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(Some(out));
                }
                _ => return None,
            }
        }
    }
}

/// Scans one line; `None` means "use the generic decoder".
pub(super) fn scan(line: &[u8]) -> Option<EventLine<'_>> {
    let s = std::str::from_utf8(line).ok()?;
    let mut c = Cursor { s, b: line, i: 0 };
    let mut l = EventLine::default();
    let mut seen: u32 = 0;
    c.eat(b'{')?;
    if c.peek()? == b'}' {
        return None;
    }
    loop {
        let key = c.string()?;
        c.eat(b':')?;
        let bit = match key {
            "id" => (l.id = c.text()?, 0).1,
            "type" => (l.event_type = c.text()?, 1).1,
            "source" => (l.source = c.text()?, 2).1,
            "specversion" => (l.specversion = c.text()?, 3).1,
            "time" => (l.time = c.text()?, 4).1,
            "correlationid" => (l.correlationid = c.text()?, 5).1,
            "causationid" => (l.causationid = c.text()?, 6).1,
            "sequence" => (l.sequence = c.text()?, 7).1,
            "subject" => (l.subject = c.text()?, 8).1,
            "topic" => (l.topic = c.text()?, 9).1,
            "partition" => (l.partition = c.int()?, 10).1,
            "offset" => (l.offset = c.int()?, 11).1,
            "key" => (l.key = c.text()?, 12).1,
            "ts" => (l.ts = c.int()?, 13).1,
            "tstype" => (l.tstype = c.text()?, 14).1,
            "observed_at" => (l.observed_at = c.text()?, 15).1,
            "headers" => (l.headers = c.headers()?, 16).1,
            "datacontenttype" => (l.datacontenttype = c.text()?, 17).1,
            "data" => {
                let raw = c.raw()?;
                l.data = (raw.0 != "null").then_some(raw);
                18
            }
            "data_base64" => (l.data_base64 = c.text()?, 19).1,
            _ => {
                c.raw()?;
                continue_after_value(&mut c)?;
                if c.b[c.i - 1] == b'}' {
                    break;
                }
                continue;
            }
        };
        if seen & (1 << bit) != 0 {
            return None; // duplicate field: let serde word the error
        }
        seen |= 1 << bit;
        continue_after_value(&mut c)?;
        if c.b[c.i - 1] == b'}' {
            break;
        }
    }
    c.ws();
    (c.i == line.len()).then_some(l)
}

/// After a value: `,` (more to come) or `}` (end); consumes it.
fn continue_after_value(c: &mut Cursor) -> Option<()> {
    match c.peek()? {
        b',' | b'}' => {
            c.i += 1;
            Some(())
        }
        _ => None,
    }
}

/// Reads one event line: through the fast scanner when it takes the line, else through serde.
pub(super) fn parse(line: &[u8]) -> Result<EventLine<'_>, String> {
    match scan(line) {
        Some(l) => Ok(l),
        None => serde_json::from_slice(line).map_err(|e| e.to_string()),
    }
}

/// Checks the scanner against serde_json on `line`: whatever the scanner accepts, serde_json must
/// accept and read the same way. Returns whether the scanner accepted the line (false: it left
/// the line to the general decoder). For the tests and the fuzz target.
#[doc(hidden)]
pub fn agrees_with_serde(line: &[u8]) -> Result<bool, String> {
    let Some(f) = scan(line) else {
        return Ok(false);
    };
    let shown = String::from_utf8_lossy(line);
    let s: EventLine = serde_json::from_slice(line)
        .map_err(|e| format!("fast path accepted what serde rejects ({e}): {shown}"))?;
    let t = |x: &Option<Text>| x.as_ref().map(|t| t.0.to_string());
    let h = |x: &Option<HeaderPairs>| {
        x.as_ref().map(|v| {
            v.iter()
                .map(|(a, b)| (a.0.to_string(), b.as_ref().map(|b| b.0.to_string())))
                .collect::<Vec<_>>()
        })
    };
    let texts = |l: &EventLine| {
        [
            &l.id,
            &l.event_type,
            &l.source,
            &l.specversion,
            &l.time,
            &l.correlationid,
            &l.causationid,
            &l.sequence,
            &l.subject,
            &l.topic,
            &l.key,
            &l.tstype,
            &l.observed_at,
            &l.datacontenttype,
            &l.data_base64,
        ]
        .map(t)
    };
    let same = texts(&f) == texts(&s)
        && (f.partition, f.offset, f.ts) == (s.partition, s.offset, s.ts)
        && f.data.map(|d| d.0) == s.data.map(|d| d.0)
        && h(&f.headers) == h(&s.headers);
    if same {
        Ok(true)
    } else {
        Err(format!("fast path and serde read differently: {shown}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the fast path took the line (and then read it as serde does).
    fn same_as_serde(line: &str) -> bool {
        agrees_with_serde(line.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn string_end_finds_the_first_stop() {
        let text = b"abcdefghijklmnop\"qrstuvwxyz";
        for start in 0..text.len() {
            let want = if start <= 16 { 16 } else { text.len() };
            assert_eq!(string_end(text, start), want);
        }
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..20 {
                let mut v = vec![b'x'; 20];
                v[at] = stop;
                v.extend_from_slice("é€😀".as_bytes());
                assert_eq!(string_end(&v, 0), at, "stop {stop:#x} at {at}");
            }
        }
        assert_eq!(
            string_end("é€😀\u{7f} ~".as_bytes(), 0),
            "é€😀\u{7f} ~".len()
        );
    }

    /// Random damage to valid lines: whatever the fast path accepts, serde_json accepts and reads
    /// the same way.
    #[test]
    fn mutated_lines_agree_with_serde() {
        let base = br#"{"id":"e-1","type":"OrderPlaced","sequence":3,"partition":1,"offset":9,"headers":[["h","v"]],"data":{"items":[{"sku":"S-1","qty":2,"price":1.5e2}],"ok":true,"note":null,"neg":-0.25},"extra":{"x":[]}}"#;
        let mut rng = fastrand::Rng::with_seed(7);
        // The comparison only means something for lines the fast path takes: count them, and
        // the lines serde_json reads as an event line at all.
        let (mut fast, mut valid) = (0, 0);
        let alphabet = b"{}[]:,\"\\ -+.0123456789eEtruefalsn\t\n\x01";
        for _ in 0..20_000 {
            let mut line = base.to_vec();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(..line.len());
                match rng.u8(..3) {
                    0 => line[at] = alphabet[rng.usize(..alphabet.len())],
                    1 => {
                        line.remove(at);
                    }
                    _ => line.insert(at, alphabet[rng.usize(..alphabet.len())]),
                }
            }
            if let Ok(text) = std::str::from_utf8(&line) {
                fast += usize::from(same_as_serde(text));
                valid += usize::from(serde_json::from_str::<EventLine>(text).is_ok());
            }
        }
        assert!(
            fast * 10 >= valid * 9 && fast > 1000,
            "the fast path took {fast} of {valid} lines serde_json reads"
        );
    }

    #[test]
    fn scanner_agrees_with_serde() {
        for line in [
            r#"{"id":"a","type":"T","sequence":7,"partition":2,"offset":1044,"ts":17,"key":null,"headers":[["a","1"],["a",null]],"data":{"x":[1,{"y":"}"}]},"extra":[1,2]}"#,
            r#" { "id" : 12 , "type":"T" , "data" : null } "#,
            r#"{"id":"a","type":"T","headers":[]}"#,
            r#"{"id":"a","type":"T","data":"text"}"#,
            r#"{"id":"a","id":"b","type":"T"}"#,
            r#"{"id":"a\"b","type":"T"}"#,
            r#"{"id":1.5,"type":"T"}"#,
            r#"{"id":-0,"type":"T"}"#,
            r#"{"id":123456789012345678901234,"type":"T"}"#,
            r#"{"id":"a","type":"T","partition":01}"#,
            r#"{"id":"a","type":"T","data":{"x":tru}}"#,
            r#"{"id":"a","type":"T"} trailing"#,
            r#"{"id":"a","type":"T",}"#,
            r#"{"id":"a","type":"T""#,
            r#"{}"#,
            r#"[1]"#,
            "{\"id\":\"a\u{1}\",\"type\":\"T\"}",
        ] {
            same_as_serde(line);
        }
        for data in [
            r#"{"a":[1,-0,0.5,1e9,-2.5E-3,1E+2,true,false,null,"x",{},[],[[]],{"b":{}}]}"#,
            r#"[ 1 , { "a" : [ ] } ]"#,
            r#""plain""#,
            r#""esc\"aped""#,
            r#""\u00e9""#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"[1 2]"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            r#"{"a":1"#,
            r#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
            "\"tab\there\"",
            "\"caf\u{e9} \u{1F600}\"",
            "\"del\u{7f}\"",
        ] {
            same_as_serde(&format!(r#"{{"id":"a","type":"T","data":{data},"z":1}}"#));
            same_as_serde(&format!(r#"{{"id":"a","type":"T","data":{data}}}"#));
        }
        assert!(scan(br#"{"id":"a","type":"T","data":{"k":1}}"#).is_some());
        assert!(scan(br#"{"id":"a\"b","type":"T"}"#).is_none());
        assert!(scan(br#"{"id":"a","id":"b","type":"T"}"#).is_none());
    }
}
