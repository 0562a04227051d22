//! Lossless recordings (issue 10, part 1): records a real client produced with bytes that are
//! easy to lose (binary Spring headers, a key that is not UTF-8, Confluent-wire-format Avro, text
//! that is not JSON, pretty-printed JSON, CloudEvents binary mode from the CloudEvents SDK) are
//! recorded, and the recording must hold every byte as it came and replay exactly as the live
//! session saw it (`tests/producers/lossless.py` says what it produces, and how).

use crate::{Broker, assert_replays_as_live, check, events, py, record};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// One recorded record's bytes: key, headers (name, value) in order, value.
type RecordBytes = (
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
    Option<Vec<u8>>,
);

#[derive(Deserialize)]
struct Marked<'a> {
    #[serde(borrow)]
    base64: Option<&'a str>,
    #[serde(borrow)]
    json: Option<&'a RawValue>,
}

/// The bytes a recording's byte string stands for (README, "Recordings"): text, `{"base64":..}`
/// or, for a value, `{"json":..}` verbatim (read as raw text: re-serialising could change it).
fn bytes(raw: Option<&RawValue>) -> Option<Vec<u8>> {
    let raw = raw?;
    let text = raw.get();
    if text == "null" {
        return None;
    }
    if text.starts_with('"') {
        return Some(serde_json::from_str::<String>(text).unwrap().into_bytes());
    }
    let m: Marked = serde_json::from_str(text).unwrap();
    match (m.base64, m.json) {
        (Some(b), None) => Some(base64::engine::general_purpose::STANDARD.decode(b).unwrap()),
        (None, Some(j)) => Some(j.get().as_bytes().to_vec()),
        _ => panic!("not a recorded byte string: {text}"),
    }
}

/// Every record line of a recording, as bytes.
fn recorded(text: &str) -> Vec<RecordBytes> {
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: HashMap<&str, &RawValue> = serde_json::from_str(line).unwrap();
            let headers: Vec<(String, Option<&RawValue>)> =
                serde_json::from_str(fields["headers"].get()).unwrap();
            (
                bytes(fields.get("key").copied()),
                headers.into_iter().map(|(n, v)| (n, bytes(v))).collect(),
                bytes(fields.get("value").copied()),
            )
        })
        .collect()
}

fn hex(h: &Value) -> Option<Vec<u8>> {
    let h = h.as_str()?;
    Some(
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect(),
    )
}

/// What the producer says it sent, as bytes.
fn sent(stdout: &str) -> Vec<RecordBytes> {
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    v["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let headers = r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h[0].as_str().unwrap().to_string(), hex(&h[1])))
                .collect();
            (hex(&r["key_hex"]), headers, hex(&r["value_hex"]))
        })
        .collect()
}

#[test]
fn a_recording_keeps_every_byte_and_replays_as_live() {
    let b = Broker::start();
    let bs = b.bootstrap();
    let produced = sent(&py("lossless.py", &[&bs, "shop"]));
    assert_eq!(produced.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let live = record(&b, &["shop"], &out, 6);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with(r#"{"eventscope_trace":2,"content":"kafka-records""#),
        "{text}"
    );
    // Byte-identical: keys, every header in order (Spring's binary longs, an empty and a null
    // value), values (Avro, text, JSON with its line breaks).
    assert_eq!(recorded(&text), produced);
    let spring = &produced[1].1;
    assert!(
        spring
            .iter()
            .any(|(n, v)| n == "kafka_dlt-original-timestamp"
                && v.as_deref() == Some(&1_700_000_000_123i64.to_be_bytes()[..])
                && std::str::from_utf8(v.as_deref().unwrap()).is_err()),
        "the producer really sent a value that is not UTF-8: {spring:?}"
    );

    // check on the recording is the live session's own summary.
    let (anomalies, replayed) = check(&out, &[]);
    assert_replays_as_live(&live, &replayed);
    // The Avro record (no schema) is undecodable; the text value is read as text.
    assert_eq!(replayed["summary"]["undecodable"], 1, "{replayed}");
    let undecodable: Vec<&str> = anomalies
        .iter()
        .filter(|a| a["kind"] == "undecodable")
        .map(|a| a["message"].as_str().unwrap())
        .collect();
    assert!(
        undecodable
            .iter()
            .any(|m| m.contains("shop/0@3: Confluent wire format, schema id 42")),
        "{undecodable:?}"
    );

    // events: the same ids and profiles as live.
    let evs = events(&out, &[]);
    let ids: Vec<&str> = evs.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ce-1", "ce-2", "e-3", "shop/0@3", "shop/0@4", "e-5"]);
    assert_eq!(evs[1]["profiles"]["id"], "cloudevents-binary");
    assert_eq!(evs[1]["causationid"], "ce-1");
    assert_eq!(evs[1]["correlationid"], "ord-1");
    assert_eq!(evs[1]["type"], "OrderPaid");
    assert_eq!(evs[2]["profiles"]["id"], "common");
    assert_eq!(evs[3]["profiles"]["id"], "transport");
    assert_eq!(evs[3]["decoder"], "hex");
    assert_eq!(evs[4]["decoder"], "text");
    assert_eq!(evs[5]["decoder"], "json");
    assert_eq!(
        evs[5]["correlationid"], "ord-5",
        "pretty-printed JSON decoded"
    );

    // A recording is raw data: other options decode it differently.
    let evs = events(&out, &["--id", "header:x-msg-id"]);
    assert_eq!(evs[2]["id"], "m-3");
}
