//! Recordings: trace format version 2 with `"content":"kafka-records"` in its header line. Each
//! line is one Kafka record exactly as the client handed it over, so loading a recording runs the
//! same record decoder and correlation profiles (`record::decode`) as the live session did, and
//! gives the same events, ids, per-field profiles, problems and anomalies (README, "Recordings").
//!
//! ```text
//! {"eventscope_trace":2,"content":"kafka-records","recorder":"eventscope record",...}
//! {"topic":"orders","partition":0,"offset":5,"tstype":"create","ts":1700000000000,
//!  "observed_at":"2026-11-28T11:00:00.123456789Z","key":"order-1",
//!  "headers":[["ce_id","e1"],["kafka_dlt-original-offset",{"base64":"AAAAAAAAACo="}],["x",null]],
//!  "value":{"json":{"total":3}}}
//! ```
//!
//! Transport names are kcat's `-J` names (<https://github.com/edenhill/kcat#json-output>). A byte
//! string (key, header value, value) is a JSON string when it is UTF-8 (exactly that text),
//! `{"base64":"..."}` otherwise (RFC 4648 base64 with padding,
//! <https://www.rfc-editor.org/rfc/rfc4648#section-4>), `null` when the record has none. A value
//! that is itself JSON (on one line, no white space around it) is kept verbatim as
//! `{"json":...}`, readable and `jq`-able. Bytes are never replaced: reading a line back gives
//! the record's bytes exactly.

use super::line::Text;
use super::native::ms_to_ns;
use super::native_write::{self, field, string};
use super::record::{self, RawRecord};
use super::{LineDecoder, TRACE_VERSION};
use crate::model::{DecodedEvent, Header, TsType, format_time, parse_time};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The header line's `content` of a recording.
pub const CONTENT: &str = "kafka-records";

/// The metadata line that starts a recording, with extra fields.
pub fn header_line(extra: &[(&str, serde_json::Value)]) -> String {
    native_write::metadata_line(
        &format!("{{\"eventscope_trace\":{TRACE_VERSION},\"content\":\"{CONTENT}\""),
        extra,
    )
}

/// A byte string: its text when UTF-8, else `{"base64":...}`; `null` for none.
fn bytes(out: &mut String, b: Option<&[u8]>) {
    match b.map(|b| (b, std::str::from_utf8(b))) {
        None => out.push_str("null"),
        Some((_, Ok(text))) => string(out, text),
        Some((b, Err(_))) => {
            out.push_str("{\"base64\":\"");
            base64::engine::general_purpose::STANDARD.encode_string(b, out);
            out.push_str("\"}");
        }
    }
}

/// The value's text when it can stand verbatim in the line as `{"json":...}` and read back as
/// exactly these bytes: valid JSON, on one line, without white space around it.
fn verbatim_json(b: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(b).ok()?;
    let fits = !text.is_empty()
        && text.trim_ascii() == text
        && memchr::memchr2(b'\n', b'\r', b).is_none()
        && serde_json::from_str::<&RawValue>(text).is_ok();
    fits.then_some(text)
}

/// Appends one record as a recording line (no newline).
pub fn write_record(rec: &RawRecord, out: &mut String) {
    out.push('{');
    if let Some(t) = rec.topic {
        field(out, "topic");
        string(out, t);
    }
    if let Some(p) = rec.partition {
        field(out, "partition");
        let _ = write!(out, "{p}");
    }
    if let Some(o) = rec.offset {
        field(out, "offset");
        let _ = write!(out, "{o}");
    }
    if rec.ts_type != TsType::None {
        field(out, "tstype");
        string(out, rec.ts_type.name());
    }
    if let Some(ts) = rec.broker_ts {
        // Kafka timestamps are epoch milliseconds; the nanoseconds came from them.
        field(out, "ts");
        let _ = write!(out, "{}", ts.div_euclid(1_000_000));
    }
    if let Some(t) = rec.observed_at {
        field(out, "observed_at");
        string(out, &format_time(t));
    }
    field(out, "key");
    bytes(out, rec.key);
    field(out, "headers");
    out.push('[');
    for (i, h) in rec.headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        string(out, &h.name);
        out.push(',');
        bytes(out, h.raw());
        out.push(']');
    }
    out.push(']');
    field(out, "value");
    match rec.value.and_then(verbatim_json) {
        Some(json) => {
            out.push_str("{\"json\":");
            out.push_str(json);
            out.push('}');
        }
        None => bytes(out, rec.value),
    }
    out.push('}');
}

#[derive(Deserialize)]
struct RecordLine<'a> {
    #[serde(borrow)]
    topic: Option<Text<'a>>,
    partition: Option<i32>,
    offset: Option<i64>,
    #[serde(borrow)]
    tstype: Option<Text<'a>>,
    ts: Option<i64>,
    #[serde(borrow)]
    observed_at: Option<Text<'a>>,
    #[serde(borrow)]
    key: Option<&'a RawValue>,
    #[serde(borrow)]
    headers: Option<Vec<(Text<'a>, Option<&'a RawValue>)>>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

/// The marked forms of a byte string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Marked<'a> {
    #[serde(borrow)]
    base64: Option<Text<'a>>,
    #[serde(borrow)]
    json: Option<&'a RawValue>,
}

/// The bytes a written byte string stands for; `{"json":...}` only where `json_ok`.
fn read_bytes<'a>(raw: &'a RawValue, json_ok: bool) -> Result<Cow<'a, [u8]>, String> {
    let text = raw.get();
    if text.starts_with('"') {
        let t: Text = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return Ok(match t.0 {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        });
    }
    let bad =
        || format!("expected a string, {{\"base64\":...}} or {{\"json\":...}}, got {text:.40}");
    if !text.starts_with('{') {
        return Err(bad());
    }
    let m: Marked = serde_json::from_str(text).map_err(|e| format!("{}: {e}", bad()))?;
    match (m.base64, m.json) {
        (Some(b), None) => base64::engine::general_purpose::STANDARD
            .decode(b.0.as_bytes())
            .map(Cow::Owned)
            .map_err(|e| format!("bad base64: {e}")),
        (None, Some(j)) if json_ok => Ok(Cow::Borrowed(j.get().as_bytes())),
        _ => Err(bad()),
    }
}

/// Decodes one record line with the same decoder and profiles as a live record.
pub(super) fn decode(
    line: &[u8],
    dec: &LineDecoder,
) -> Result<(DecodedEvent, Option<String>), String> {
    let l: RecordLine = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let place = || {
        format!(
            "{}/{}@{}",
            l.topic.as_ref().map_or("?", |t| &t.0),
            l.partition.map_or("?".into(), |p| p.to_string()),
            l.offset.map_or("?".into(), |o| o.to_string())
        )
    };
    let key = l
        .key
        .map(|k| read_bytes(k, false))
        .transpose()
        .map_err(|e| format!("{}: key: {e}", place()))?;
    let value = l
        .value
        .map(|v| read_bytes(v, true))
        .transpose()
        .map_err(|e| format!("{}: value: {e}", place()))?;
    let mut headers = Vec::new();
    for (name, v) in l.headers.iter().flatten() {
        let v = v
            .map(|v| read_bytes(v, false))
            .transpose()
            .map_err(|e| format!("{}: header {}: {e}", place(), name.0))?;
        headers.push(Header::from_bytes(&name.0, v.as_deref()));
    }
    let observed_at = match &l.observed_at {
        None => None,
        Some(t) => Some(
            parse_time(&t.0)
                .ok_or_else(|| format!("{}: observed_at: not RFC 3339: {}", place(), t.0))?,
        ),
    };
    let rec = RawRecord {
        topic: l.topic.as_ref().map(|t| &*t.0),
        partition: l.partition,
        offset: l.offset,
        key: key.as_deref(),
        broker_ts: l.ts.and_then(ms_to_ns),
        ts_type: l
            .tstype
            .as_ref()
            .map_or(TsType::None, |t| TsType::parse(&t.0)),
        headers,
        value: value.as_deref(),
        observed_at,
    };
    record::decode(rec, &dec.profiles, dec.keep_payload)
}

#[cfg(test)]
mod tests;
