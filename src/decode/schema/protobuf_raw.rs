//! Protobuf without a descriptor, as a field-number tree in the manner of `protoc --decode_raw`
//! (<https://protobuf.dev/programming-guides/encoding/>): a JSON object whose keys are the field
//! numbers in the order they first appear (a number seen again becomes an array of its values);
//! varints are numbers, `fixed32`/`fixed64` are `"0x…"` hex strings as `protoc` prints them; a
//! length-delimited field is a nested object when its bytes parse as fields, else a string when
//! they are UTF-8, else a hex string.
//!
//! Hand-written: `prost` and `prost-reflect` decode only with a descriptor; with none, what
//! `--decode_raw` does is a short loop over tags. Conservative on purpose, so that random bytes
//! are not called Protobuf (a message is [`plausible`]): the whole input must parse with
//! minimally encoded varints (as every encoder writes them), groups (wire types 3 and 4,
//! deprecated) are refused, field numbers above [`MAX_FIELD`] are taken as noise, fields come in
//! field-number order (as the official encoders write them), and a value that is not in the
//! wire format must have a varint, text or nested-message field (a few random bytes easily read
//! as one `fixed64` or `bytes` field). A length prefix is checked against the bytes left before
//! anything is read, and nothing is reserved from it.

use super::schemaless::{hex_string, json_str};
use std::io::Write;

/// Field numbers above this are refused (the protocol allows up to 2^29 - 1, but messages use
/// small numbers; random bytes would often give huge ones).
const MAX_FIELD: u64 = 1 << 16;

/// Nested messages deeper than this are shown as bytes.
const MAX_DEPTH: u32 = 64;

enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(&'a [u8]),
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        // The tenth byte may only hold the 64th bit.
        if shift == 63 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            // A last byte of 0 after others would be a longer encoding than any encoder writes.
            return (shift == 0 || b != 0).then_some(v);
        }
    }
    None
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if n > buf.len() {
        return None;
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Some(head)
}

/// Every field of `bytes`, or `None` when they are not a whole message in field-number order.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, Value<'_>)>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let tag = varint(&mut buf)?;
        let number = tag >> 3;
        if number == 0 || number > MAX_FIELD {
            return None;
        }
        let value = match tag & 7 {
            0 => Value::Varint(varint(&mut buf)?),
            1 => Value::Fixed64(u64::from_le_bytes(take(&mut buf, 8)?.try_into().ok()?)),
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                Value::Len(take(&mut buf, len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(take(&mut buf, 4)?.try_into().ok()?)),
            _ => return None,
        };
        if out.last().is_some_and(|(last, _)| *last > number) {
            return None;
        }
        out.push((number, value));
    }
    Some(out)
}

/// Whether `fields` have a varint, a text or a nested-message field.
fn plausible(message: &[(u64, Value)]) -> bool {
    message.iter().any(|(_, v)| match v {
        Value::Varint(_) => true,
        Value::Len(b) => super::schemaless::is_text(b) || (!b.is_empty() && fields(b).is_some()),
        Value::Fixed32(_) | Value::Fixed64(_) => false,
    })
}

/// `bytes` as a field-number tree (JSON text), or `None` when they are not a non-empty message
/// (a [`plausible`] one unless `in_wire_format`: a Confluent header already says Protobuf or Avro).
pub fn decode(bytes: &[u8], in_wire_format: bool) -> Option<String> {
    let fields = fields(bytes)?;
    if fields.is_empty() || !(in_wire_format || plausible(&fields)) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3);
    message(&mut out, &fields, 0);
    String::from_utf8(out).ok()
}

fn message(out: &mut Vec<u8>, fields: &[(u64, Value)], depth: u32) {
    // Field numbers in order of first appearance, each with every value it has.
    let mut order: Vec<u64> = Vec::new();
    let mut by_number: rustc_hash::FxHashMap<u64, Vec<&Value>> = Default::default();
    for (n, v) in fields {
        by_number
            .entry(*n)
            .or_insert_with(|| {
                order.push(*n);
                Vec::new()
            })
            .push(v);
    }
    out.push(b'{');
    for (k, n) in order.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        _ = write!(out, "\"{n}\":");
        match &by_number[n][..] {
            [one] => value(out, one, depth),
            values => {
                out.push(b'[');
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    value(out, v, depth);
                }
                out.push(b']');
            }
        }
    }
    out.push(b'}');
}

fn value(out: &mut Vec<u8>, v: &Value, depth: u32) {
    match v {
        Value::Varint(n) => _ = write!(out, "{n}"),
        Value::Fixed64(n) => _ = write!(out, "\"0x{n:016x}\""),
        Value::Fixed32(n) => _ = write!(out, "\"0x{n:08x}\""),
        Value::Len(b) => {
            if depth < MAX_DEPTH
                && !b.is_empty()
                && let Some(inner) = fields(b)
            {
                message(out, &inner, depth + 1);
            } else if let Ok(t) = std::str::from_utf8(b) {
                json_str(out, t);
            } else {
                hex_string(out, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_plain(bytes: &[u8]) -> Option<String> {
        decode(bytes, false)
    }

    #[test]
    fn fields_become_a_tree() {
        // 1: 150, 2: "testing", 3: {1: 1}, 3: {1: 2}, 4: fixed32 1, 5: 0xff 0xfe (not UTF-8)
        let msg = [
            0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x1a, 0x02,
            0x08, 0x01, 0x1a, 0x02, 0x08, 0x02, 0x25, 1, 0, 0, 0, 0x2a, 0x02, 0xff, 0xfe,
        ];
        assert_eq!(
            decode_plain(&msg).unwrap(),
            r#"{"1":150,"2":"testing","3":[{"1":1},{"1":2}],"4":"0x00000001","5":"fffe"}"#
        );
    }

    #[test]
    fn not_a_whole_message_is_refused() {
        assert_eq!(decode_plain(b""), None);
        assert_eq!(decode_plain(&[0x08]), None, "value missing");
        assert_eq!(decode_plain(&[0x08, 0x01, 0x00]), None, "field number 0");
        assert_eq!(decode_plain(&[0x0b, 0x0c]), None, "groups");
        assert_eq!(
            decode_plain(&[0x0a, 0x05, 1, 2]),
            None,
            "length beyond the input"
        );
        // A length prefix of 2^63 on 11 bytes: refused without reserving anything.
        let hostile = [
            0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00,
        ];
        assert_eq!(decode_plain(&hostile), None);
        // Field 1 << 20.
        assert_eq!(decode_plain(&[0x80, 0x80, 0x80, 0x04, 0x01]), None);
    }
}
