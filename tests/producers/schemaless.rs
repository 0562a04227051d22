//! Payloads without any schema (issue 13): MessagePack (PyPI msgpack), CBOR (PyPI cbor2), Protobuf
//! with no registry (PyPI protobuf), text and random bytes, produced to tansu by
//! `schemaless.py`, recorded, then read by `events` and `check`: each value is read by the right
//! decoder, ids come from the MessagePack and CBOR payloads, Protobuf fields by number through
//! overrides, and only the random bytes are undecodable.

use super::*;
use serde_json::Value;

#[test]
fn messagepack_cbor_and_protobuf_are_read_without_a_schema() {
    let b = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let sent: Value =
        serde_json::from_str(py("schemaless.py", &[&b.bootstrap(), "3"]).trim()).unwrap();
    let records = sent["records"].as_u64().unwrap();
    let out = dir.path().join("rec.jsonl");
    let topics = ["orders", "payments", "shipments", "notes", "blobs"];
    let live = record(&b, &topics, &out, records);

    let (anomalies, summary) = check(&out, &[]);
    assert_replays_as_live(&live, &summary);
    assert_eq!(
        summary["summary"]["decoders"],
        serde_json::json!({"msgpack": 3, "cbor": 3, "protobuf-raw": 3, "text": 1, "hex": 1}),
        "{summary}"
    );
    assert_eq!(summary["summary"]["undecodable"], 1, "{summary}");
    let undecodable: Vec<&Value> = anomalies
        .iter()
        .filter(|a| a["kind"] == "undecodable")
        .collect();
    assert!(
        undecodable[0]["message"]
            .as_str()
            .unwrap()
            .contains("blobs/0@0: payload is binary (64 bytes)"),
        "{undecodable:?}"
    );

    // Ids from the MessagePack and CBOR payloads, through the common profile.
    let evs = events(&out, &[]);
    let by_id = |id: &str| {
        evs.iter()
            .find(|e| e["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {evs:?}"))
    };
    for k in 0..3 {
        let o = by_id(&format!("o-{k}"));
        assert_eq!(
            (&o["decoder"], &o["type"]),
            (&"msgpack".into(), &"OrderPlaced".into()),
            "{o}"
        );
        assert_eq!(o["correlationid"], format!("order-{k}"));
        let p = by_id(&format!("p-{k}"));
        assert_eq!(p["decoder"], "cbor", "{p}");
        assert_eq!(p["causationid"], format!("o-{k}"), "{p}");
    }
    // Protobuf without its descriptor: a field-number tree, read by number.
    let shipments: Vec<&Value> = evs.iter().filter(|e| e["topic"] == "shipments").collect();
    assert!(
        shipments.iter().all(|e| e["decoder"] == "protobuf-raw"),
        "{shipments:?}"
    );
    let by_number = ["--id", "/1", "--correlation", "/2", "--causation", "/3"];
    let evs = events(&out, &by_number);
    let shipped: Vec<&Value> = evs.iter().filter(|e| e["topic"] == "shipments").collect();
    for (k, e) in shipped.iter().enumerate() {
        assert_eq!(
            (&e["id"], &e["correlationid"], &e["causationid"]),
            (
                &format!("s-{k}").into(),
                &format!("order-{k}").into(),
                &format!("p-{k}").into()
            ),
            "{e}"
        );
    }
    for topic in ["notes", "blobs"] {
        let e = evs.iter().find(|e| e["topic"] == topic).unwrap();
        assert_eq!(
            e["decoder"],
            if topic == "notes" { "text" } else { "hex" },
            "{e}"
        );
    }
}
