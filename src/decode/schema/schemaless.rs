//! Payloads read without any schema, for values that are not JSON and have no schema to decode
//! them (no `--schemas`, or no schema for their id), in this order:
//! - UTF-8 text (no control characters but tab and line breaks) stays text;
//! - MessagePack (crate `rmpv`) and CBOR (crate `ciborium`) become JSON when the whole value is one
//!   item, a non-empty map with string keys or a non-empty array;
//! - Protobuf becomes a field-number tree like `protoc --decode_raw` (`protobuf_raw.rs`) when the
//!   whole value parses as fields;
//! - anything else is kept as bytes and shown as hex.
//!
//! A Confluent wire-format body (magic byte 0 and a schema id, but no schema for it) is JSON
//! (JSON Schema), or Protobuf after its message indexes, or hex: Avro cannot be read without its
//! schema.

use super::protobuf_raw;
use crate::model::PayloadDecoder;
use std::io::Write;

/// What was made of a payload without a schema.
#[derive(Debug, PartialEq)]
pub struct Guess {
    pub decoder: PayloadDecoder,
    /// The payload as JSON text, when it became JSON (text and hex stay bytes).
    pub json: Option<String>,
    /// What was used, shown as the event's content type (`msgpack (no schema)`).
    pub note: String,
}

impl Guess {
    fn json(decoder: PayloadDecoder, json: String, note: impl Into<String>) -> Guess {
        Guess {
            decoder,
            json: Some(json),
            note: note.into(),
        }
    }

    fn bytes(decoder: PayloadDecoder, note: impl Into<String>) -> Guess {
        Guess {
            decoder,
            json: None,
            note: note.into(),
        }
    }
}

/// UTF-8 with no control characters other than tab, line feed and carriage return.
pub fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    })
}

/// A value that is not JSON and not in the Confluent wire format.
pub fn guess(bytes: &[u8]) -> Guess {
    if is_text(bytes) {
        return Guess::bytes(PayloadDecoder::Text, "text/plain (UTF-8, not JSON)");
    }
    if let Some(json) = msgpack_json(bytes) {
        return Guess::json(PayloadDecoder::MessagePack, json, "msgpack (no schema)");
    }
    if let Some(json) = cbor_json(bytes) {
        return Guess::json(PayloadDecoder::Cbor, json, "cbor (no schema)");
    }
    if let Some(json) = protobuf_raw::decode(bytes, false) {
        return Guess::json(
            PayloadDecoder::ProtobufRaw,
            json,
            "protobuf (no schema): field numbers",
        );
    }
    hex()
}

fn hex() -> Guess {
    Guess::bytes(PayloadDecoder::Hex, "binary (shown as hex)")
}

/// The body of a wire-format value with schema id `id` that has no schema.
pub fn guess_wire_body(id: u32, body: &[u8]) -> Guess {
    if let Ok(text) = std::str::from_utf8(body)
        && let Ok(raw) = serde_json::from_str::<&serde_json::value::RawValue>(text)
    {
        let note = format!("json after the wire-format header (schema id {id}; no schema)");
        return Guess::json(PayloadDecoder::JsonSchema, raw.get().into(), note);
    }
    if let Some((path, rest)) = super::protobuf::message_indexes(body)
        && let Some(json) = protobuf_raw::decode(rest, true)
    {
        let note = format!(
            "protobuf (no schema): field numbers (schema id {id}; message indexes {path:?})"
        );
        return Guess::json(PayloadDecoder::ProtobufRaw, json, note);
    }
    hex()
}

/// Lowercase hex of `bytes` as a JSON string.
pub(super) fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for b in bytes {
        _ = write!(out, "{b:02x}");
    }
    out.push(b'"');
}

pub(super) fn json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires; writing to a Vec cannot fail.
    _ = serde_json::to_writer(&mut *out, s);
}

/// A finite number as serde_json writes it; NaN and infinities as strings.
fn float(out: &mut Vec<u8>, f: f64) {
    match serde_json::Number::from_f64(f) {
        Some(n) => _ = write!(out, "{n}"),
        None => json_str(out, &f.to_string()),
    }
}

/// A JSON array of `items`, each written by `write`.
fn array<T>(out: &mut Vec<u8>, items: &[T], write: fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

/// A JSON object of `entries`: a key that is not a string (`text` gives `None`) becomes its JSON
/// text as the key.
fn object<T>(
    out: &mut Vec<u8>,
    entries: &[(T, T)],
    text: impl Fn(&T) -> Option<&str>,
    write: fn(&mut Vec<u8>, &T),
) {
    out.push(b'{');
    for (k, (key, item)) in entries.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        match text(key) {
            Some(t) => json_str(out, t),
            None => {
                let mut json = Vec::new();
                write(&mut json, key);
                json_str(out, &String::from_utf8_lossy(&json));
            }
        }
        out.push(b':');
        write(out, item);
    }
    out.push(b'}');
}

/// A whole MessagePack value that is a non-empty map with string keys or a non-empty array.
fn msgpack_json(bytes: &[u8]) -> Option<String> {
    let mut rest = bytes;
    let value = rmpv::decode::read_value(&mut rest).ok()?;
    let plausible = match &value {
        rmpv::Value::Map(m) => !m.is_empty() && m.iter().all(|(k, _)| k.is_str()),
        rmpv::Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if !rest.is_empty() || !plausible {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 2);
    msgpack_value(&mut out, &value);
    String::from_utf8(out).ok()
}

fn msgpack_value(out: &mut Vec<u8>, v: &rmpv::Value) {
    use rmpv::Value as V;
    match v {
        V::Nil => out.extend_from_slice(b"null"),
        V::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        V::Integer(i) => _ = write!(out, "{i}"),
        V::F32(f) => float(out, f64::from(*f)),
        V::F64(f) => float(out, *f),
        V::String(s) => match s.as_str() {
            Some(t) => json_str(out, t),
            None => hex_string(out, s.as_bytes()),
        },
        V::Binary(b) => hex_string(out, b),
        V::Array(items) => array(out, items, msgpack_value),
        V::Map(entries) => object(out, entries, |v| v.as_str(), msgpack_value),
        V::Ext(kind, data) => {
            _ = write!(out, r#"{{"ext":{kind},"data":"#);
            hex_string(out, data);
            out.push(b'}');
        }
    }
}

/// A whole CBOR item that is a non-empty map with text keys or a non-empty array (tags skipped).
fn cbor_json(bytes: &[u8]) -> Option<String> {
    let mut rest = bytes;
    let value: ciborium::Value = ciborium::de::from_reader(&mut rest).ok()?;
    let mut top = &value;
    while let ciborium::Value::Tag(_, inner) = top {
        top = inner;
    }
    let plausible = match top {
        ciborium::Value::Map(m) => !m.is_empty() && m.iter().all(|(k, _)| k.is_text()),
        ciborium::Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if !rest.is_empty() || !plausible {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 2);
    cbor_value(&mut out, top);
    String::from_utf8(out).ok()
}

fn cbor_value(out: &mut Vec<u8>, v: &ciborium::Value) {
    use ciborium::Value as V;
    match v {
        V::Null => out.extend_from_slice(b"null"),
        V::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        V::Integer(i) => {
            let n = i128::from(*i);
            if i64::try_from(n).is_ok() || u64::try_from(n).is_ok() {
                _ = write!(out, "{n}");
            } else {
                // Beyond 64 bits: a JSON reader could not hold it as a number.
                json_str(out, &n.to_string());
            }
        }
        V::Float(f) => float(out, *f),
        V::Text(t) => json_str(out, t),
        V::Bytes(b) => hex_string(out, b),
        V::Tag(_, inner) => cbor_value(out, inner),
        V::Array(items) => array(out, items, cbor_value),
        V::Map(entries) => object(out, entries, |v| v.as_text(), cbor_value),
        // `ciborium::Value` is non-exhaustive.
        _ => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests;
