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
    assert!(problem.unwrap().contains("schema id 7: no schema ("));
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

/// `shop/invoice.proto`: `message Address { string city = 1; }` and `message InvoiceSent { string
/// event_id = 1; int64 amount_cents = 2; Address to = 3; }`, as protoc writes it.
fn invoice_desc() -> Vec<u8> {
    use prost_reflect::prost::Message as _;
    use prost_reflect::prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        field_descriptor_proto::{Label, Type},
    };
    let field =
        |name: &str, json: &str, number, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
            name: Some(name.into()),
            json_name: Some(json.into()),
            number: Some(number),
            label: Some(Label::Optional.into()),
            r#type: Some(ty.into()),
            type_name: type_name.map(Into::into),
            ..Default::default()
        };
    let file = FileDescriptorProto {
        name: Some("shop/invoice.proto".into()),
        package: Some("shop".into()),
        syntax: Some("proto3".into()),
        message_type: vec![
            DescriptorProto {
                name: Some("Address".into()),
                field: vec![field("city", "city", 1, Type::String, None)],
                ..Default::default()
            },
            DescriptorProto {
                name: Some("InvoiceSent".into()),
                field: vec![
                    field("event_id", "eventId", 1, Type::String, None),
                    field("amount_cents", "amountCents", 2, Type::Int64, None),
                    field("to", "to", 3, Type::Message, Some(".shop.Address")),
                ],
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    FileDescriptorSet { file: vec![file] }.encode_to_vec()
}

#[test]
fn protobuf_message_indexes_pick_the_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("5.desc"), invoice_desc()).unwrap();
    // Message indexes [1] (count 1, index 1: zig-zag 0x02 0x02), then event_id = "i-1",
    // amount_cents = 1050, to = {city: "Ghent"}.
    let mut body = vec![
        0x02, 0x02, 0x0A, 3, b'i', b'-', b'1', 0x10, 0x9A, 0x08, 0x1A, 7, 0x0A, 5,
    ];
    body.extend_from_slice(b"Ghent");
    let value = wire(5, &body);
    let (ev, problem) = decode(record("invoices", &value), &config(dir.path()), true).unwrap();
    assert_eq!(problem, None);
    assert_eq!(ev.id.as_ref(), "i-1");
    assert_eq!(ev.event_type.as_ref(), "InvoiceSent");
    let Payload::Json(json) = &ev.payload else {
        panic!("{:?}", ev.payload)
    };
    assert_eq!(
        json.get(),
        r#"{"eventId":"i-1","amountCents":"1050","to":{"city":"Ghent"}}"#
    );
    // Index 0 (the single byte 0) is Address, which reads the same bytes differently or fails;
    // an index past the file's messages is a clear problem.
    let value = wire(5, &[0x02, 0x08, 0x0A, 0x01, b'x']);
    let (_, problem) = decode(record("invoices", &value), &config(dir.path()), true).unwrap();
    assert!(problem.unwrap().contains("no message at index path [4]"));
}

/// Damaged and hostile bodies never panic: the record is kept with a problem, or decodes.
#[test]
fn damaged_bodies_are_problems_not_panics() {
    let dir = dir_with_schemas();
    std::fs::write(dir.path().join("5.desc"), invoice_desc()).unwrap();
    let set = SchemaSet::load_dir(dir.path()).unwrap();
    let avro = order_body();
    let json = br#"{"eventId":"s-1","n":[1,2,{"x":null}]}"#.to_vec();
    let proto = vec![0x02, 0x02, 0x0A, 3, b'i', b'-', b'1', 0x10, 0x9A, 0x08];
    let mut rng = fastrand::Rng::with_seed(13);
    for (id, good) in [(7, &avro), (3, &json), (5, &proto)] {
        for _ in 0..3000 {
            let mut b = good.clone();
            match rng.u8(0..3) {
                0 => b.truncate(rng.usize(0..=b.len())),
                1 => {
                    for _ in 0..rng.usize(1..4) {
                        let i = rng.usize(0..b.len());
                        b[i] = rng.u8(..);
                    }
                }
                _ => b.extend((0..rng.usize(1..8)).map(|_| rng.u8(..))),
            }
            let _ = set.decode(id, Some("orders"), &b);
        }
    }
    // A hostile length prefix: a string of 2^40 bytes is refused, not allocated.
    let hostile = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    assert!(set.decode(7, None, &hostile).is_err());
}
