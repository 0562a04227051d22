use super::*;
use crate::decode::ProfileConfig;
use crate::decode::record::{RawRecord, decode};
use crate::model::{Payload, Profile};
use apache_avro::types::Value;

const ORDER: &str = r#"{"type":"record","name":"OrderPlaced","namespace":"shop","fields":[
  {"name":"eventId","type":"string"},
  {"name":"correlationId","type":["null","string"],"default":null},
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
     {"name":"sku","type":"string"}]}}},
  {"name":"first","type":["null","Line"]}
]}"#;

fn wire(id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn order_body() -> Vec<u8> {
    let schema = apache_avro::Schema::parse_str(ORDER).unwrap();
    let line = Value::Record(vec![("sku".into(), Value::String("A-1".into()))]);
    let v = Value::Record(vec![
        ("eventId".into(), Value::String("e-1".into())),
        (
            "correlationId".into(),
            Value::Union(1, Box::new(Value::String("c-9".into()))),
        ),
        ("amount".into(), Value::Decimal(vec![0x04u8, 0xD2].into())),
        ("at".into(), Value::TimestampMillis(1_764_324_000_120)),
        ("lines".into(), Value::Array(vec![line.clone()])),
        ("first".into(), Value::Union(1, Box::new(line))),
    ]);
    apache_avro::to_avro_datum(&schema, v).unwrap()
}

fn dir_with_schemas() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders-value.avsc"), ORDER).unwrap();
    std::fs::write(dir.path().join("ids.json"), r#"{"7":"orders-value.avsc"}"#).unwrap();
    std::fs::write(
        dir.path().join("3.json"),
        r#"{"title":"shop.Shipped","type":"object"}"#,
    )
    .unwrap();
    dir
}

fn config(dir: &Path) -> ProfileConfig {
    ProfileConfig {
        schemas: Some(Arc::new(SchemaSet::load_dir(dir).unwrap())),
        ..Default::default()
    }
}

fn record<'a>(topic: &'a str, value: &'a [u8]) -> RawRecord<'a> {
    RawRecord {
        topic: Some(topic),
        partition: Some(0),
        offset: Some(4),
        value: Some(value),
        ..Default::default()
    }
}

#[test]
fn avro_payload_gives_ids_and_type() {
    let dir = dir_with_schemas();
    let value = wire(7, &order_body());
    let (ev, problem) = decode(record("orders", &value), &config(dir.path()), true).unwrap();
    assert_eq!(problem, None);
    assert_eq!(ev.id.as_ref(), "e-1");
    assert_eq!(ev.correlation_id.as_deref(), Some("c-9"));
    assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
    assert_eq!(ev.provenance.event_type, Profile::Schema);
    assert_eq!(ev.provenance.id, Profile::Common);
    let Payload::Json(json) = &ev.payload else {
        panic!("{:?}", ev.payload)
    };
    assert_eq!(
        json.get(),
        r#"{"eventId":"e-1","correlationId":"c-9","amount":"12.34","at":"2025-11-28T10:00:00.120Z","lines":[{"sku":"A-1"}],"first":{"sku":"A-1"}}"#
    );
    let note = ev.content_type.as_deref().unwrap();
    assert!(
        note.contains("schema-id=7") && note.contains("name=shop.OrderPlaced"),
        "{note}"
    );
}

#[test]
fn subject_matches_when_the_id_is_unknown() {
    let dir = dir_with_schemas();
    let value = wire(1234, &order_body());
    let (ev, problem) = decode(record("orders", &value), &config(dir.path()), false).unwrap();
    assert_eq!(problem, None);
    assert_eq!(ev.id.as_ref(), "e-1");
}

#[test]
fn json_schema_payload_is_the_json_after_the_header() {
    let dir = dir_with_schemas();
    let value = wire(3, br#"{"eventId":"s-1","correlationId":"c-9"}"#);
    let (ev, problem) = decode(record("shipments", &value), &config(dir.path()), true).unwrap();
    assert_eq!(problem, None);
    assert_eq!(ev.id.as_ref(), "s-1");
    assert_eq!(ev.event_type.as_ref(), "Shipped");
}

#[test]
fn missing_or_wrong_schema_keeps_the_bytes_and_names_the_id() {
    let dir = dir_with_schemas();
    let cfg = config(dir.path());
    let value = wire(99, &order_body());
    let (ev, problem) = decode(record("payments", &value), &cfg, true).unwrap();
    let problem = problem.unwrap();
    assert!(problem.contains("schema id 99"), "{problem}");
    assert!(problem.contains("subject payments-value"), "{problem}");
    assert!(problem.contains("kept as bytes"), "{problem}");
    assert_eq!(ev.id.as_ref(), "payments/0@4");
    assert!(matches!(ev.payload, Payload::Bytes(_)));
    // A body the schema cannot read (truncated) is kept too, with the decoder's reason.
    let value = wire(7, &order_body()[..5]);
    let (ev, problem) = decode(record("orders", &value), &cfg, true).unwrap();
    let problem = problem.unwrap();
    assert!(problem.contains("orders-value.avsc (id 7)"), "{problem}");
    assert!(matches!(ev.payload, Payload::Bytes(_)));
    // Without --schemas: the record is named by its schema id, as before.
    let value = wire(7, &order_body());
    let (_, problem) = decode(record("orders", &value), &Default::default(), true).unwrap();
    assert!(problem.unwrap().contains("schema id 7 ("));
}

#[test]
fn a_bad_schema_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.avsc"), "{not avro").unwrap();
    let e = SchemaSet::load_dir(dir.path()).unwrap_err();
    assert!(e.contains("x.avsc"), "{e}");
    let dir = dir_with_schemas();
    std::fs::write(dir.path().join("ids.json"), r#"{"8":"nope.avsc"}"#).unwrap();
    let e = SchemaSet::load_dir(dir.path()).unwrap_err();
    assert!(e.contains("nope.avsc") && e.contains("ids.json"), "{e}");
}
