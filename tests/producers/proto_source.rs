//! Protobuf from `.proto` sources (issue 13): a shop's events written by PyPI confluent-kafka's
//! own `ProtobufSerializer` (message classes compiled from the sources by protoc, from PyPI
//! grpcio-tools) against the stand-in registry (`registry_standin.py` says why it is a stand-in),
//! ids in the payload only. Eventscope gets nothing but the `.proto` sources in `--schemas DIR`
//! (no registry, no descriptor set): it compiles them itself (imports relative to DIR, a
//! well-known type), matches them by `<id>.proto`, `ids.json` and `<topic>-value.proto`, and the
//! message indexes in each record pick the message ([0], [1], the nested [1, 0]). `record`
//! decodes live and keeps the compiled schemas in its sidecar, so the recording checks the same
//! with DIR gone.

use super::registry::record_with;
use super::*;

/// `proto_source.py` with `orders` orders into a broker of its own: the broker, a temporary
/// directory, its `schemas` directory of `.proto` sources, and what was sent.
fn produce(orders: u32) -> (Broker, tempfile::TempDir, std::path::PathBuf, Value) {
    let b = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    let s = schemas.to_str().unwrap();
    let args = [b.bootstrap(), s.to_string(), orders.to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let sent = serde_json::from_str(py("proto_source.py", &args).trim()).unwrap();
    (b, dir, schemas, sent)
}

#[test]
fn proto_sources_decode_serializer_records_with_ids_from_the_payload() {
    let (b, dir, schemas, sent) = produce(6);
    let s = schemas.to_str().unwrap();
    let records = sent["records"].as_u64().unwrap();
    assert_eq!(records, 6 + 6 + 3);
    let out = dir.path().join("rec.jsonl");
    let topics = ["orders", "invoices", "refunds"];
    let (live, said) = record_with(&b, &topics, &out, records, &["--schemas", s]);
    assert_eq!(live["summary"]["undecodable"].as_u64(), Some(0), "{said}");
    assert_eq!(live["summary"]["flows"], sent["flows"], "{live}");

    // check/events with the sources: every record decoded, ids and links from the payload,
    // types from the message names.
    let (anomalies, summary) = check(&out, &["--schemas", s]);
    assert_eq!(summary["summary"]["flows"], sent["flows"], "{summary}");
    assert_eq!(summary["summary"]["undecodable"].as_u64(), Some(0));
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let evs = events(&out, &["--schemas", s]);
    assert_eq!(assert_schema_events(&evs, &sent) as u64, records);
    for e in &evs {
        assert_eq!(e["decoder"], "protobuf", "{e}");
    }
    // The decoded values, each message found by its indexes, in the proto3 JSON mapping.
    let ids = &sent["ids"];
    let by_id = exported(&out, &["--schemas", s]);
    let (order, invoice, refund) = (&by_id["o-3"], &by_id["i-3"], &by_id["r-2"]);
    assert_eq!(
        order["datacontenttype"],
        format!(
            "protobuf; schema-id={0}; file={0}.proto; name=shop.OrderPlaced",
            ids["orders"]
        )
    );
    assert_eq!(
        order["data"],
        serde_json::json!({"eventId": "o-3", "correlationId": "order-3",
            "total": {"currency": "EUR", "cents": "1053"}, "placedAt": "2025-11-28T10:00:03Z",
            "items": ["sku-1", "sku-3"]})
    );
    assert_eq!(
        invoice["datacontenttype"],
        format!(
            "protobuf; schema-id={}; file=invoices-value.proto; name=shop.InvoiceSent",
            ids["invoices"]
        )
    );
    assert_eq!(
        invoice["data"],
        serde_json::json!({"eventId": "i-3", "correlationId": "order-3", "causationId": "o-3",
            "amount": {"cents": "1053"}, "to": {"city": "Ghent"}, "status": "PAID"})
    );
    assert_eq!(
        refund["datacontenttype"],
        format!(
            "protobuf; schema-id={}; file=returns.proto; name=shop.Returns.RefundIssued",
            ids["refunds"]
        )
    );
    assert_eq!(refund["data"]["code"], 7, "{refund}");

    // DIR gone: the recording's sidecar holds the compiled schemas.
    std::fs::rename(&schemas, dir.path().join("elsewhere")).unwrap();
    let (anomalies, replayed) = check(&out, &[]);
    assert_replays_as_live(&live, &replayed);
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let evs = events(&out, &[]);
    assert_eq!(assert_schema_events(&evs, &sent) as u64, records);
    let again = exported(&out, &[]);
    assert_eq!(again["r-2"]["data"], refund["data"]);
    assert!(
        (again["i-3"]["datacontenttype"].as_str().unwrap())
            .ends_with("file=rec.jsonl.schemas.json; name=shop.InvoiceSent"),
        "{}",
        again["i-3"]
    );
}

/// `export --to jsonl`: every event with its decoded value (`data`) and how it was decoded
/// (`datacontenttype`), by event id.
fn exported(file: &Path, extra: &[&str]) -> std::collections::HashMap<String, Value> {
    let mut args = vec!["export", "--to", "jsonl", "-o", "-"];
    args.extend(extra);
    args.push(file.to_str().unwrap());
    let run = eventscope(&args).output().unwrap();
    succeeded(&run);
    (String::from_utf8(run.stdout).unwrap().lines().skip(1))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|e| (e["id"].as_str().unwrap().to_string(), e))
        .collect()
}

/// A `.proto` file in DIR that does not compile is named with its line; the other schemas still
/// decode (and `events` exits 2, as for any input it could not read in full).
#[test]
fn a_broken_proto_beside_good_ones_is_named_and_the_rest_decode() {
    let (b, dir, schemas, sent) = produce(2);
    let s = schemas.to_str().unwrap();
    let records = sent["records"].as_u64().unwrap();
    let out = dir.path().join("rec.jsonl");
    record(&b, &["orders", "invoices", "refunds"], &out, records);
    std::fs::write(
        schemas.join("payments-value.proto"),
        "syntax = \"proto3\";\npackage shop;\n\nmessage PaymentTaken {\n  string id = 1\n}\n",
    )
    .unwrap();
    let run = eventscope(&["events", "--schemas", s, out.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!("{s}/payments-value.proto:6:1: ")),
        "{said}"
    );
    let evs: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(assert_schema_events(&evs, &sent) as u64, records);
}
