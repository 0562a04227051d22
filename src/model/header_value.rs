//! Header values that are numbers, and how a header value is shown. Java clients write `int`s and
//! `long`s into Kafka headers as big-endian bytes (`ByteBuffer.putInt`/`putLong`), which are not
//! text: Spring Kafka's dead-letter headers
//! (<https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html#dlpr-headers>:
//! `kafka_dlt-original-partition` a 4-byte int, `kafka_dlt-original-offset` and
//! `kafka_dlt-original-timestamp` 8-byte longs) and Axon's Kafka extension
//! (`axon-message-timestamp`, `axon-message-aggregate-seq`, written by `HeaderUtils.addHeader`).

use super::{Timestamp, format_time};
use std::fmt::Write as _;

/// A header value that holds a number: decimal text, or (when it is not printable text) a
/// big-endian binary integer of 4 or 8 bytes. Binary wins only when the bytes are not printable
/// text, so a decimal value of 4 or 8 digits is read as text.
pub fn header_number(raw: &[u8]) -> Option<i64> {
    if !raw.is_empty() && raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return std::str::from_utf8(raw).ok()?.trim().parse().ok();
    }
    match raw.len() {
        4 => Some(i64::from(i32::from_be_bytes(raw.try_into().ok()?))),
        8 => Some(i64::from_be_bytes(raw.try_into().ok()?)),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Int,
    /// Epoch milliseconds.
    Millis,
}

/// Headers known to hold numbers, binary or text.
const NUMBER_HEADERS: &[(&str, NumberKind)] = &[
    ("kafka_dlt-original-partition", NumberKind::Int),
    ("kafka_dlt-original-offset", NumberKind::Int),
    ("kafka_dlt-original-timestamp", NumberKind::Millis),
    ("__connect.errors.partition", NumberKind::Int),
    ("__connect.errors.offset", NumberKind::Int),
    ("axon-message-timestamp", NumberKind::Millis),
    ("axon-message-aggregate-seq", NumberKind::Int),
];

fn number_kind(name: &str) -> Option<NumberKind> {
    NUMBER_HEADERS
        .iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, k)| *k)
}

fn millis_text(ms: i64) -> String {
    let t: Option<Timestamp> = ms.checked_mul(1_000_000);
    t.map_or_else(|| ms.to_string(), |t| format!("{ms} ({})", format_time(t)))
}

/// A header value as the inspector shows it: a known number header decoded (binary ones say so,
/// epoch milliseconds also as a time), text as it is, other bytes as hex; `null` for no value.
pub fn header_display(name: &str, raw: Option<&[u8]>) -> String {
    let Some(raw) = raw else {
        return "null".into();
    };
    let text = std::str::from_utf8(raw).ok();
    let binary = text.is_none_or(|t| t.chars().any(char::is_control));
    if let Some(kind) = number_kind(name)
        && let Some(n) = header_number(raw)
    {
        let shown = match kind {
            NumberKind::Int => n.to_string(),
            NumberKind::Millis => millis_text(n),
        };
        return if binary {
            format!("{shown} [{}-byte big-endian]", raw.len())
        } else {
            shown
        };
    }
    match text {
        Some(t) if !binary => t.to_string(),
        _ => {
            let mut hex = String::with_capacity(raw.len() * 2 + 24);
            let _ = write!(hex, "[{} bytes] 0x", raw.len());
            for b in raw.iter().take(256) {
                let _ = write!(hex, "{b:02x}");
            }
            if raw.len() > 256 {
                hex.push('…');
            }
            hex
        }
    }
}

/// The original partition, offset and timestamp a dead letter names (Spring's and Kafka
/// Connect's headers), as "; original partition P, offset O, timestamp T", or "" without them.
pub(super) fn original_position<'a>(raw_of: &dyn Fn(&str) -> Option<&'a [u8]>) -> String {
    let num = |names: [&str; 2]| names.iter().find_map(|n| raw_of(n).and_then(header_number));
    let mut parts = Vec::new();
    if let Some(p) = num(["kafka_dlt-original-partition", "__connect.errors.partition"]) {
        parts.push(format!("partition {p}"));
    }
    if let Some(o) = num(["kafka_dlt-original-offset", "__connect.errors.offset"]) {
        parts.push(format!("offset {o}"));
    }
    if let Some(ms) = raw_of("kafka_dlt-original-timestamp").and_then(header_number) {
        parts.push(format!("timestamp {}", millis_text(ms)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; original {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dead_letter_evidence;

    #[test]
    fn header_numbers_text_or_big_endian() {
        assert_eq!(header_number(b"42"), Some(42));
        assert_eq!(header_number(b"12345678"), Some(12_345_678));
        assert_eq!(header_number(&7i32.to_be_bytes()), Some(7));
        assert_eq!(header_number(&(-2i32).to_be_bytes()), Some(-2));
        assert_eq!(
            header_number(&1_767_225_600_123i64.to_be_bytes()),
            Some(1_767_225_600_123)
        );
        assert_eq!(header_number(b"abc"), None);
        assert_eq!(header_number(&[1, 2, 3]), None);
        assert_eq!(header_number(b""), None);
    }

    #[test]
    fn spring_dead_letter_headers_decoded() {
        let partition = 2i32.to_be_bytes();
        let offset = 17i64.to_be_bytes();
        let ts = 1_767_225_600_123i64.to_be_bytes();
        let headers: Vec<(&str, Option<&[u8]>)> = vec![
            ("kafka_dlt-original-topic", Some(b"orders")),
            ("kafka_dlt-original-partition", Some(&partition)),
            ("kafka_dlt-original-offset", Some(&offset)),
            ("kafka_dlt-original-timestamp", Some(&ts)),
            ("kafka_dlt-exception-message", Some(b"boom")),
        ];
        let text = dead_letter_evidence(headers.iter().copied()).unwrap();
        assert_eq!(
            text,
            "dead-letter header kafka_dlt-original-topic; original topic orders; original \
             partition 2, offset 17, timestamp 1767225600123 (2026-01-01T00:00:00.123Z); reason: boom"
        );
        assert_eq!(
            header_display("kafka_dlt-original-partition", Some(&partition)),
            "2 [4-byte big-endian]"
        );
        assert_eq!(
            header_display("kafka_dlt-original-timestamp", Some(&ts)),
            "1767225600123 (2026-01-01T00:00:00.123Z) [8-byte big-endian]"
        );
        assert_eq!(
            header_display("x", Some(&[0, 159, 3])),
            "[3 bytes] 0x009f03"
        );
        assert_eq!(header_display("x", Some(b"plain")), "plain");
        assert_eq!(header_display("x", None), "null");
    }
}
