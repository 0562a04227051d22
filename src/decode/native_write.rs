//! Writes events in the native trace format (the inverse of `native.rs`), for `demo --out` and
//! recordings. Reading a written line back gives the same event.

use crate::model::{DecodedEvent, Payload, Sequence, TsType, format_time};
use base64::Engine as _;
use std::fmt::Write as _;

/// The metadata line that starts a trace (`{"eventscope_trace":1,...}`), with extra fields.
pub fn header_line(extra: &[(&str, serde_json::Value)]) -> String {
    metadata_line("{\"eventscope_trace\":1", extra)
}

/// A metadata line: `opening` (an unclosed object starting with `{"eventscope_trace":N`, which
/// must come first: readers recognise the metadata line by it), then `extra`.
pub(super) fn metadata_line(opening: &str, extra: &[(&str, serde_json::Value)]) -> String {
    let mut line = String::from(opening);
    for (k, v) in extra {
        line.push(',');
        string(&mut line, k);
        line.push(':');
        line.push_str(&v.to_string());
    }
    line.push('}');
    line
}

pub(super) fn string(out: &mut String, s: &str) {
    // serde_json escapes exactly as JSON requires; writing into a String cannot fail.
    out.push_str(&serde_json::to_string(s).expect("a string serialises"));
}

pub(super) fn field(out: &mut String, name: &str) {
    out.push_str(if out.len() > 1 { ",\"" } else { "\"" });
    out.push_str(name);
    out.push_str("\":");
}

fn opt_str(out: &mut String, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        field(out, name);
        string(out, v);
    }
}

/// Appends one event as a native trace line (no newline).
pub fn write_event(ev: &DecodedEvent, out: &mut String) {
    out.push('{');
    opt_str(out, "id", Some(&ev.id));
    opt_str(out, "type", Some(&ev.event_type));
    opt_str(out, "source", ev.source.as_deref());
    if let Some(t) = ev.time {
        opt_str(out, "time", Some(&format_time(t)));
    }
    opt_str(out, "correlationid", ev.correlation_id.as_deref());
    opt_str(out, "causationid", ev.causation_id.as_deref());
    match &ev.sequence {
        Some(Sequence::Int(n)) => {
            field(out, "sequence");
            let _ = write!(out, "{n}");
        }
        Some(Sequence::Text(t)) => opt_str(out, "sequence", Some(t)),
        None => {}
    }
    opt_str(out, "subject", ev.subject.as_deref());
    opt_str(out, "topic", ev.topic.as_deref());
    if let Some(p) = ev.partition {
        field(out, "partition");
        let _ = write!(out, "{p}");
    }
    if let Some(o) = ev.offset {
        field(out, "offset");
        let _ = write!(out, "{o}");
    }
    opt_str(out, "key", ev.key.as_deref());
    if let Some(ts) = ev.broker_ts {
        field(out, "ts");
        let _ = write!(out, "{}", ts.div_euclid(1_000_000));
    }
    if ev.ts_type != TsType::None {
        opt_str(out, "tstype", Some(ev.ts_type.name()));
    }
    if let Some(t) = ev.observed_at {
        opt_str(out, "observed_at", Some(&format_time(t)));
    }
    if !ev.headers.is_empty() {
        field(out, "headers");
        out.push('[');
        for (i, h) in ev.headers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            string(out, &h.name);
            out.push(',');
            match &h.value {
                Some(v) => string(out, v),
                None => out.push_str("null"),
            }
            out.push(']');
        }
        out.push(']');
    }
    opt_str(out, "datacontenttype", ev.content_type.as_deref());
    match &ev.payload {
        Payload::None => {}
        Payload::Json(raw) => {
            field(out, "data");
            out.push_str(raw.get());
        }
        Payload::Bytes(b) => {
            field(out, "data_base64");
            string(out, &base64::engine::general_purpose::STANDARD.encode(b));
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Format, LineDecoder, LineOutcome, ProfileConfig};
    use crate::model::Header;

    #[test]
    fn the_header_line_is_recognised_as_trace_metadata() {
        let h = header_line(&[("brokers", "b:1".into()), ("seed", 7.into())]);
        assert_eq!(h, r#"{"eventscope_trace":1,"brokers":"b:1","seed":7}"#);
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), true);
        assert!(matches!(d.decode_line(h.as_bytes(), 1), LineOutcome::Skip));
    }

    #[test]
    fn written_lines_read_back_as_the_same_event() {
        let ev = DecodedEvent {
            id: "e\"1".into(),
            event_type: "OrderPlaced".into(),
            source: Some("orders".into()),
            time: Some(1_767_225_600_123_000_000),
            correlation_id: Some("c1".into()),
            causation_id: Some("p\n0".into()),
            sequence: Some(Sequence::Int(3)),
            subject: Some("order-1".into()),
            topic: Some("orders".into()),
            partition: Some(2),
            offset: Some(40),
            key: Some("order-1".into()),
            broker_ts: Some(1_767_225_600_125_000_000),
            ts_type: TsType::Create,
            observed_at: Some(1_767_225_600_126_000_000),
            headers: vec![Header::text("x", "1"), Header::from_bytes("x", None)],
            payload: Payload::Bytes(vec![0, 159, 3].into()),
            ..Default::default()
        };
        let mut line = String::new();
        write_event(&ev, &mut line);
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), true);
        let LineOutcome::Event(back) = d.decode_line(line.as_bytes(), 1) else {
            panic!("{line}")
        };
        assert_eq!(back.id, ev.id);
        assert_eq!(back.causation_id, ev.causation_id);
        assert_eq!(back.sequence, ev.sequence);
        assert_eq!(back.time, ev.time);
        assert_eq!(back.broker_ts, ev.broker_ts);
        assert_eq!(back.observed_at, ev.observed_at);
        assert_eq!(back.ts_type, ev.ts_type);
        assert_eq!(back.headers, ev.headers);
        assert!(matches!(&back.payload, Payload::Bytes(b) if b[..] == [0, 159, 3]));
        assert_eq!((back.partition, back.offset), (Some(2), Some(40)));
    }
}
