//! Schema-aware payloads (issue 13): a shop's events as Avro, Protobuf and JSON Schema in the Confluent wire
//! format, written by PyPI confluent-kafka's own `AvroSerializer` / `ProtobufSerializer` / `JSONSerializer` against a
//! stand-in registry (`registry_standin.py` says why it is a stand-in), ids in the payload only.
//! Recorded with `record`, then read with `check --schemas DIR` / `events --schemas DIR`: the
//! right flows, ids from the payload, types from the record names; without `--schemas` the same
//! recording keeps every record as bytes with its schema-id problem. A differential test holds
//! Eventscope's Avro decoding to fastavro's on random records (`avro_differential.py`).

use super::*;
use eventscope::decode::schema::SchemaSet;
use serde_json::Value;

#[test]
fn avro_protobuf_and_json_schema_records_stitch_with_ids_from_the_payload() {
    let b = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    let sent: Value = serde_json::from_str(
        py(
            "schemas.py",
            &[&b.bootstrap(), schemas.to_str().unwrap(), "4"],
        )
        .trim(),
    )
    .unwrap();
    let records = sent["records"].as_u64().unwrap();
    let out = dir.path().join("rec.jsonl");
    let live = record(
        &b,
        &["orders", "payments", "shipments", "invoices"],
        &out,
        records,
    );
    let s = schemas.to_str().unwrap();

    // With the schemas: every payload decoded, ids and links from it, types from the schemas.
    let (anomalies, summary) = check(&out, &["--schemas", s]);
    assert_eq!(summary["summary"]["events"].as_u64(), Some(records));
    assert_eq!(summary["summary"]["flows"], sent["flows"], "{summary}");
    assert_eq!(
        summary["summary"]["undecodable"].as_u64(),
        Some(0),
        "{summary}"
    );
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let evs = events(&out, &["--schemas", s]);
    assert_eq!(evs.len() as u64, records);
    assert_eq!(assert_schema_events(&evs, &sent) as u64, records);
    for e in &evs {
        assert_eq!(
            e["decoder"],
            decoder(e, ["avro", "json-schema", "protobuf"]),
            "{e}"
        );
    }

    // Without them: the same recording keeps every record as bytes, named by its schema id, and
    // replays exactly as the live session (which had no schemas) saw it.
    let (_, plain) = check(&out, &[]);
    assert_eq!(
        plain["summary"]["undecodable"].as_u64(),
        Some(records),
        "{plain}"
    );
    assert_replays_as_live(&live, &plain);
    let run = eventscope(&["events", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let order_id = sent["ids"]["orders"].as_u64().unwrap();
    assert!(
        stderr.contains(&format!(
            "orders/0@0: Confluent wire format, schema id {order_id}: no schema ("
        )),
        "{stderr}"
    );
    let evs = events(&out, &[]);
    // The JSON Schema records' JSON is read without the schema: their ids too.
    for e in &evs {
        let by = decoder(e, ["transport", "common", "transport"]);
        assert_eq!(e["profiles"]["id"], by, "{e}");
    }
    // What is read without a schema: Protobuf as a field-number tree, JSON as JSON; Avro cannot
    // be, and is shown as hex.
    for e in &evs {
        assert_eq!(
            e["decoder"],
            decoder(e, ["hex", "json-schema", "protobuf-raw"]),
            "{e}"
        );
    }
}

/// The decoder expected for an event of `schemas.py`'s topics: Avro, JSON Schema or Protobuf.
fn decoder<'a>(e: &Value, [avro, json, proto]: [&'a str; 3]) -> &'a str {
    match e["topic"].as_str() {
        Some("orders" | "payments") => avro,
        Some("shipments") => json,
        _ => proto,
    }
}

#[test]
fn avro_decoding_agrees_with_fastavro() {
    let dir = tempfile::tempdir().unwrap();
    let n = 10_000;
    py(
        "avro_differential.py",
        &[dir.path().to_str().unwrap(), &n.to_string()],
    );
    let set = SchemaSet::load_dir(dir.path()).unwrap();
    let bodies = std::fs::read_to_string(dir.path().join("bodies.hex")).unwrap();
    let expected = std::fs::read_to_string(dir.path().join("fastavro.jsonl")).unwrap();
    let mut count = 0;
    for (k, (hex, want)) in bodies.lines().zip(expected.lines()).enumerate() {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let got = set.decode(1, None, &bytes).unwrap();
        let got: Value = serde_json::from_str(&got.json).unwrap();
        let want: Value = serde_json::from_str(want).unwrap();
        assert_eq!(got, want, "record {k}");
        count += 1;
    }
    assert_eq!(count, n);
}
