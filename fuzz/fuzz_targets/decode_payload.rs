//! Fuzzes the payload decoders of Kafka record values: the Confluent wire format with Avro,
//! Protobuf and JSON Schema schemas (`--schemas`), the Avro decode plan against `apache-avro`'s
//! own `Value` reading, and the decoders used without a schema (text, MessagePack, CBOR,
//! Protobuf field trees, hex). No input may panic, and whatever becomes JSON must be JSON.
#![no_main]

use eventscope::decode::ProfileConfig;
use eventscope::decode::record::{RawRecord, decode};
use eventscope::decode::schema::avro::AvroSchema;
use eventscope::decode::schema::{SchemaSet, schemaless};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};

/// Unions, maps, arrays, enums, fixed, bytes, decimals, timestamps, dates, durations, uuids and
/// nested named types (the differential test's schema, plus the logical types it lacks).
const EVERYTHING: &str = r#"{"type":"record","name":"Everything","namespace":"test","fields":[
  {"name":"id","type":"string"},{"name":"n","type":"int"},{"name":"big","type":"long"},
  {"name":"ok","type":"boolean"},{"name":"ratio","type":"float"},{"name":"score","type":"double"},
  {"name":"raw","type":"bytes"},{"name":"tag","type":{"type":"fixed","name":"Tag","size":4}},
  {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","GREEN","BLUE"]}},
  {"name":"maybe","type":["null","string","long",{"type":"record","name":"Inner","fields":[
    {"name":"x","type":"int"},{"name":"label","type":["null","string"]}]}]},
  {"name":"attrs","type":{"type":"map","values":["null","double","string"]}},
  {"name":"list","type":{"type":"array","items":"Inner"}},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":18,"scale":4}},
  {"name":"small","type":{"type":"fixed","name":"Dec","size":8,"logicalType":"decimal",
    "precision":12,"scale":0}},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"atMicros","type":{"type":"long","logicalType":"timestamp-micros"}},
  {"name":"atNanos","type":{"type":"long","logicalType":"local-timestamp-nanos"}},
  {"name":"day","type":{"type":"int","logicalType":"date"}},
  {"name":"tod","type":{"type":"int","logicalType":"time-millis"}},
  {"name":"todMicros","type":{"type":"long","logicalType":"time-micros"}},
  {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
  {"name":"span","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
  {"name":"nested","type":{"type":"map","values":{"type":"array","items":"Color"}}}]}"#;

/// A recursive type (a linked list) and arrays of items that take no bytes.
const RECURSIVE: &str = r#"{"type":"record","name":"Node","fields":[
  {"name":"value","type":"long"},{"name":"nulls","type":{"type":"array","items":"null"}},
  {"name":"next","type":["null","Node"]}]}"#;

/// `message Ev { string id = 1; int64 n = 2; repeated Ev children = 3; bytes raw = 4; }`.
fn protobuf_desc() -> Vec<u8> {
    use prost_reflect::prost::Message as _;
    use prost_reflect::prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        field_descriptor_proto::{Label, Type},
    };
    let field = |name: &str, number, label: Label, ty: Type, type_name: Option<&str>| {
        FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            label: Some(label.into()),
            r#type: Some(ty.into()),
            type_name: type_name.map(Into::into),
            ..Default::default()
        }
    };
    let file = FileDescriptorProto {
        name: Some("ev.proto".into()),
        package: Some("fz".into()),
        syntax: Some("proto3".into()),
        message_type: vec![DescriptorProto {
            name: Some("Ev".into()),
            field: vec![
                field("id", 1, Label::Optional, Type::String, None),
                field("n", 2, Label::Optional, Type::Int64, None),
                field("children", 3, Label::Repeated, Type::Message, Some(".fz.Ev")),
                field("raw", 4, Label::Optional, Type::Bytes, None),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    FileDescriptorSet { file: vec![file] }.encode_to_vec()
}

struct Fixture {
    profiles: ProfileConfig,
    avro: Vec<AvroSchema>,
}

/// Schema ids: 1 = EVERYTHING, 2 = RECURSIVE, 3 = JSON Schema, 4 = Protobuf.
static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("eventscope-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1.avsc"), EVERYTHING).unwrap();
    std::fs::write(dir.join("2.avsc"), RECURSIVE).unwrap();
    std::fs::write(dir.join("3.json"), r#"{"title":"fz.Doc","type":"object"}"#).unwrap();
    std::fs::write(dir.join("4.desc"), protobuf_desc()).unwrap();
    let set = SchemaSet::load_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Fixture {
        profiles: ProfileConfig {
            schemas: Some(Arc::new(set)),
            ..Default::default()
        },
        avro: [EVERYTHING, RECURSIVE]
            .iter()
            .map(|s| AvroSchema::parse(s).unwrap())
            .collect(),
    }
});

/// `text` parsed as a value (the plan and the Value path write no number beyond `f64`).
fn assert_json(text: &str, what: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} wrote invalid JSON ({e}): {text}"))
}

/// `text` is JSON (syntax only: a payload's `1e999` is JSON, though no `f64` holds it).
fn assert_json_syntax(text: &str, what: &str) {
    if let Err(e) = serde_json::from_str::<&serde_json::value::RawValue>(text) {
        panic!("{what} wrote invalid JSON ({e}): {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    let fx = &*FIXTURE;
    // The Avro plan reads exactly what apache-avro reads, and writes the same JSON.
    for avro in &fx.avro {
        if let Ok(fast) = avro.decode(data) {
            let fast = assert_json(&fast, "the Avro plan");
            let reference = avro
                .decode_via_value(data)
                .unwrap_or_else(|e| panic!("the plan read what apache-avro refuses: {e}"));
            assert_eq!(fast, assert_json(&reference, "the Value path"), "plan != Value");
        }
    }
    // Without a schema.
    let guess = schemaless::guess(data);
    if let Some(json) = &guess.json {
        assert_json_syntax(json, guess.decoder.name());
    }
    let id = data.first().map_or(0, |b| u32::from(*b % 6));
    let guess = schemaless::guess_wire_body(id, data);
    if let Some(json) = &guess.json {
        assert_json_syntax(json, guess.decoder.name());
    }
    // The whole record path: as it is, and in the wire format under each schema id (0 and 5
    // have no schema).
    let mut wire = vec![0, 0, 0, 0, id as u8];
    wire.extend_from_slice(data);
    for value in [data, &wire[..]] {
        let rec = RawRecord {
            topic: Some("fz"),
            partition: Some(0),
            offset: Some(1),
            value: Some(value),
            ..Default::default()
        };
        if let Ok((ev, _)) = decode(rec, &fx.profiles, true)
            && let eventscope::model::Payload::Json(raw) = &ev.payload
        {
            assert_json_syntax(raw.get(), "the record decoder");
        }
    }
});
