use super::*;
use crate::decode::{Format, LineOutcome, ProfileConfig, detect_format};
use crate::model::{Payload, Profile};

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Records with every awkward part a live client hands over.
fn records() -> Vec<(RawRecord<'static>, &'static str)> {
    let base = |offset, value: Option<&'static [u8]>| RawRecord {
        topic: Some("orders"),
        partition: Some(1),
        offset: Some(offset),
        key: Some(b"order-1"),
        broker_ts: Some(1_700_000_000_123_000_000),
        ts_type: TsType::Create,
        headers: Vec::new(),
        value,
        observed_at: Some(1_767_225_600_123_456_789),
    };
    // Spring's binary `kafka_dlt-original-timestamp`: 8 bytes big-endian, not UTF-8 (a small
    // number such as an offset of 42 is, and then stays text: its bytes are kept either way).
    let spring_ts = 1_700_000_000_123u64.to_be_bytes();
    vec![
        (
            RawRecord {
                key: Some(b"\xffkey\x00"),
                headers: vec![
                    Header::text("ce_id", "e1"),
                    Header::text("ce_type", "OrderPlaced"),
                    Header::from_bytes("kafka_dlt-original-timestamp", Some(&spring_ts)),
                    Header::from_bytes("x", None),
                    Header::text("x", "two\nlines \"quoted\""),
                ],
                ..base(5, Some(br#"{"total": 3, "items":["a"]}"#))
            },
            "binary header, non-UTF-8 key, JSON with inner white space",
        ),
        (
            base(6, Some(b"\x00\x00\x00\x01\x2c\x02\xc8hi")),
            "Confluent wire format",
        ),
        (base(7, Some(b"hello, not json")), "text"),
        (
            base(8, Some(b"{\"a\":1}\n")),
            "JSON with a trailing newline",
        ),
        (base(9, Some(b"{\n  \"a\": 1\n}")), "pretty-printed JSON"),
        (base(10, Some(b" 42")), "a number after a space"),
        (base(11, Some(b"\"text\"")), "a JSON string"),
        (base(12, Some(b"")), "empty"),
        (
            RawRecord {
                key: None,
                broker_ts: None,
                ts_type: TsType::None,
                observed_at: None,
                ..base(13, None)
            },
            "tombstone without key or timestamp",
        ),
    ]
}

fn line_of(rec: &RawRecord) -> String {
    let mut line = String::new();
    write_record(rec, &mut line);
    line
}

fn decoder() -> LineDecoder {
    LineDecoder::new(Format::KafkaRecords, ProfileConfig::default(), true)
}

#[test]
fn a_written_record_decodes_exactly_as_the_live_record() {
    for (rec, what) in records() {
        let line = line_of(&rec);
        assert!(!line.contains('\n'), "{what}: one line: {line}");
        let (live, live_problem) = record::decode(rec.clone(), &Default::default(), true).unwrap();
        let (back, problem) = match decoder().decode_line(line.as_bytes(), 3) {
            LineOutcome::Event(ev) => (ev, None),
            LineOutcome::EventWithProblem(ev, p) => (ev, Some(p)),
            _ => panic!("{what}: {line}"),
        };
        assert_eq!(back.line, 3);
        assert_eq!(problem, live_problem, "{what}");
        assert_eq!(back.id, live.id, "{what}");
        assert_eq!(back.event_type, live.event_type, "{what}");
        assert_eq!(back.provenance, live.provenance, "{what}");
        assert_eq!(back.headers, live.headers, "{what}: header bytes");
        assert_eq!(back.key, live.key, "{what}");
        assert_eq!(back.data_hash, live.data_hash, "{what}: value bytes");
        assert_eq!(
            (back.topic, back.partition, back.offset),
            (live.topic, live.partition, live.offset)
        );
        assert_eq!(
            (back.broker_ts, back.ts_type, back.observed_at),
            (live.broker_ts, live.ts_type, live.observed_at),
            "{what}"
        );
        match (&back.payload, &live.payload) {
            (Payload::Json(a), Payload::Json(b)) => assert_eq!(a.get(), b.get(), "{what}"),
            (Payload::Bytes(a), Payload::Bytes(b)) => assert_eq!(a, b, "{what}"),
            (Payload::None, Payload::None) => {}
            _ => panic!("{what}: payload kind differs"),
        }
    }
}

#[test]
fn bytes_are_text_when_utf8_marked_base64_otherwise_and_json_verbatim() {
    let recs = records();
    let line = line_of(&recs[0].0);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["key"], serde_json::json!({"base64": b64(b"\xffkey\x00")}));
    assert_eq!(v["headers"][0], serde_json::json!(["ce_id", "e1"]));
    assert_eq!(
        v["headers"][2],
        serde_json::json!(["kafka_dlt-original-timestamp", {"base64": b64(&1_700_000_000_123u64.to_be_bytes())}])
    );
    assert_eq!(v["headers"][3], serde_json::json!(["x", null]));
    assert!(
        line.contains(r#""value":{"json":{"total": 3, "items":["a"]}}"#),
        "verbatim: {line}"
    );
    assert_eq!(
        (v["ts"].as_i64(), v["tstype"].as_str()),
        (Some(1_700_000_000_123), Some("create"))
    );
    assert_eq!(v["observed_at"], "2026-01-01T00:00:00.123456789Z");
    let v: serde_json::Value = serde_json::from_str(&line_of(&recs[1].0)).unwrap();
    assert_eq!(v["value"]["base64"], b64(b"\x00\x00\x00\x01\x2c\x02\xc8hi"));
    let v: serde_json::Value = serde_json::from_str(&line_of(&recs[3].0)).unwrap();
    assert_eq!(
        v["value"], "{\"a\":1}\n",
        "not verbatim: kept as its exact text"
    );
    let v: serde_json::Value = serde_json::from_str(&line_of(&recs[8].0)).unwrap();
    assert_eq!(
        (&v["key"], &v["value"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
}

#[test]
fn a_recording_is_detected_and_decoded_with_the_given_profiles() {
    let header = header_line(&[("recorder", "test".into())]);
    assert_eq!(
        header,
        r#"{"eventscope_trace":2,"content":"kafka-records","recorder":"test"}"#
    );
    let rec = RawRecord {
        topic: Some("orders"),
        partition: Some(0),
        offset: Some(1),
        headers: vec![Header::text("x-corr", "c9")],
        value: Some(br#"{"eventId":"e1"}"#),
        ..Default::default()
    };
    let text = format!("{header}\n{}\n", line_of(&rec));
    assert_eq!(detect_format(text.as_bytes()), Format::KafkaRecords);
    let out = decoder().decode_chunk(text.as_bytes(), 1);
    assert!(out.problems.is_empty());
    assert_eq!(out.events[0].id.as_ref(), "e1");
    assert_eq!(out.events[0].provenance.id, Profile::Common);
    assert_eq!(out.events[0].correlation_id, None);
    // A recording is raw data: other options decode it differently.
    let profiles = ProfileConfig {
        correlation: Some("header:x-corr".parse().unwrap()),
        ..Default::default()
    };
    let d = LineDecoder::new(Format::KafkaRecords, profiles, false);
    let out = d.decode_chunk(text.as_bytes(), 1);
    assert_eq!(out.events[0].correlation_id.as_deref(), Some("c9"));
}

#[test]
fn version_1_still_loads_and_unknown_versions_or_contents_are_refused() {
    assert_eq!(detect_format(b"{\"eventscope_trace\":1}\n"), Format::Native);
    assert_eq!(
        detect_format(b"{\"eventscope_trace\":2,\"content\":\"events\"}\n"),
        Format::Native
    );
    let d = decoder();
    for ok in [
        r#"{"eventscope_trace":1,"source":"x"}"#,
        r#"{"eventscope_trace":2,"content":"kafka-records"}"#,
    ] {
        assert!(
            matches!(d.decode_line(ok.as_bytes(), 1), LineOutcome::Skip),
            "{ok}"
        );
    }
    for bad in [
        r#"{"eventscope_trace":3,"content":"kafka-records"}"#,
        r#"{"eventscope_trace":1,"content":"kafka-records"}"#,
        r#"{"eventscope_trace":2,"content":"pictures"}"#,
    ] {
        assert!(
            matches!(d.decode_line(bad.as_bytes(), 1), LineOutcome::Error(_)),
            "{bad}"
        );
    }
}

#[test]
fn a_damaged_line_is_an_error_naming_the_record() {
    let d = decoder();
    for (line, want) in [
        (
            r#"{"topic":"t","partition":0,"offset":4,"key":{"base64":"!!"},"value":null}"#,
            "t/0@4: key: bad base64",
        ),
        (
            r#"{"topic":"t","partition":0,"offset":5,"headers":[["h",{"json":1}]]}"#,
            "t/0@5: header h",
        ),
        (
            r#"{"topic":"t","partition":0,"offset":6,"value":7}"#,
            "t/0@6: value",
        ),
        (
            r#"{"topic":"t","partition":0,"offset":7,"observed_at":"yesterday"}"#,
            "t/0@7: observed_at",
        ),
    ] {
        match d.decode_line(line.as_bytes(), 1) {
            LineOutcome::Error(e) => assert!(e.contains(want), "{e}"),
            _ => panic!("{line}"),
        }
    }
}
