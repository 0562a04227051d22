//! A fast path for native and CloudEvents lines: a strict scanner for the common shape (a flat
//! object whose string values have no escapes), about three times cheaper than a generic serde
//! pass. Anything else (escapes, floats as ids, duplicate keys, odd header shapes, invalid input)
//! returns `None` and the caller falls back to serde_json, which also words the errors.
//!
//! Hand-written because no JSON crate offers "borrow these known fields, validate and skip the
//! rest" faster than serde_json's derive, and this loop is where `check` spends its time.

use super::native::{EventLine, HeaderPairs, Text};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
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
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(&self.s[start..self.i - 1]);
                }
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        None
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

    /// Any JSON value, validated by serde_json, returned raw.
    fn raw(&mut self) -> Option<&'a RawValue> {
        self.ws();
        let rest = &self.s[self.i..];
        let mut de = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut de).ok()?;
        // The raw value starts where we are (white space was skipped).
        self.i += raw.get().len();
        Some(raw)
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
                l.data = (raw.get() != "null").then_some(raw);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde(line: &str) {
        let fast = scan(line.as_bytes());
        let slow: Result<EventLine, _> = serde_json::from_str(line);
        match (fast, slow) {
            (Some(f), Ok(s)) => {
                let t = |x: &Option<Text>| x.as_ref().map(|t| t.0.to_string());
                assert_eq!(t(&f.id), t(&s.id), "{line}");
                assert_eq!(t(&f.event_type), t(&s.event_type));
                assert_eq!(t(&f.sequence), t(&s.sequence));
                assert_eq!(t(&f.correlationid), t(&s.correlationid));
                assert_eq!(t(&f.key), t(&s.key));
                assert_eq!((f.partition, f.offset, f.ts), (s.partition, s.offset, s.ts));
                assert_eq!(f.data.map(|d| d.get()), s.data.map(|d| d.get()));
                let h = |x: &Option<HeaderPairs>| {
                    x.as_ref().map(|v| {
                        v.iter()
                            .map(|(a, b)| (a.0.to_string(), b.as_ref().map(|b| b.0.to_string())))
                            .collect::<Vec<_>>()
                    })
                };
                assert_eq!(h(&f.headers), h(&s.headers));
            }
            (Some(_), Err(e)) => panic!("fast path accepted what serde rejects ({e}): {line}"),
            (None, _) => {}
        }
    }

    #[test]
    fn agrees_with_serde() {
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
        assert!(scan(br#"{"id":"a","type":"T","data":{"k":1}}"#).is_some());
        assert!(scan(br#"{"id":"a\"b","type":"T"}"#).is_none());
        assert!(scan(br#"{"id":"a","id":"b","type":"T"}"#).is_none());
    }
}
