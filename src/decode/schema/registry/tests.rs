//! The registry cache against an in-process [`Fetch`] that answers as Confluent's API reference
//! says (the HTTP client itself is tested against the stand-in registry in tests/producers).

use super::*;
use crate::decode::schema::SchemaSet;
use apache_avro::types::Value as Avro;
use prost_reflect::prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorProto, field_descriptor_proto,
};
use std::sync::atomic::AtomicBool;

/// Answers from a map of paths; `down` makes every GET fail as a refused connection would.
struct Fake {
    answers: HashMap<String, String>,
    down: Arc<AtomicBool>,
}

impl Fetch for Fake {
    fn url(&self) -> &str {
        "http://registry.test:8081"
    }
    fn get(&self, path: &str) -> Result<String, FetchError> {
        if self.down.load(Ordering::Relaxed) {
            return Err(FetchError::Transport("Connection refused".into()));
        }
        self.answers.get(path).cloned().ok_or_else(|| {
            FetchError::Status(
                404,
                r#"{"error_code":40403,"message":"Schema not found"}"#.into(),
            )
        })
    }
}

const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"shop","fields":[
  {"name":"cents","type":"long"},{"name":"currency","type":"string"}]}"#;
const ORDER: &str = r#"{"type":"record","name":"OrderPlaced","namespace":"shop","fields":[
  {"name":"eventId","type":"string"},{"name":"total","type":"Money"},
  {"name":"refund","type":["null","shop.Money"],"default":null}]}"#;

fn set(answers: &[(&str, String)]) -> (Arc<Registry>, SchemaSet) {
    let fake = Fake {
        answers: answers
            .iter()
            .map(|(p, a)| (p.to_string(), a.clone()))
            .collect(),
        down: Arc::default(),
    };
    let r = Arc::new(Registry::new(Box::new(fake)));
    (r.clone(), SchemaSet::default().with_registry(r))
}

fn avro_answers() -> Vec<(&'static str, String)> {
    let order = serde_json::json!({"schema": ORDER,
        "references": [{"name": "shop.Money", "subject": "money", "version": 1}]});
    let money = serde_json::json!({"subject": "money", "id": 1, "version": 1, "schema": MONEY});
    vec![
        ("/schemas/ids/2", order.to_string()),
        ("/subjects/money/versions/1", money.to_string()),
    ]
}

fn order_body() -> Vec<u8> {
    let money = |c| {
        Avro::Record(vec![
            ("cents".into(), Avro::Long(c)),
            ("currency".into(), Avro::String("EUR".into())),
        ])
    };
    let v = Avro::Record(vec![
        ("eventId".into(), Avro::String("e-1".into())),
        ("total".into(), money(1250)),
        ("refund".into(), Avro::Union(1, Box::new(money(50)))),
    ]);
    let (schema, _) = apache_avro::Schema::parse_str_with_list(ORDER, [MONEY]).unwrap();
    let refs = apache_avro::Schema::parse_list([MONEY]).unwrap();
    apache_avro::to_avro_datum_schemata(&schema, refs.iter().collect(), v).unwrap()
}

fn registered_order() -> Registered {
    Registered {
        schema_type: "AVRO".into(),
        schema: ORDER.into(),
        references: vec![Reference {
            name: "shop.Money".into(),
            subject: "money".into(),
            version: 1,
            resolved: Some(Box::new(Registered {
                schema_type: "AVRO".into(),
                schema: MONEY.into(),
                references: vec![],
            })),
        }],
    }
}

#[test]
fn avro_references_are_read_from_their_subject_and_written_out_once() {
    let (r, set) = set(&avro_answers());
    let d = set.decode(2, Some("orders"), &order_body()).unwrap();
    assert_eq!(
        d.json,
        r#"{"eventId":"e-1","total":{"cents":1250,"currency":"EUR"},"refund":{"cents":50,"currency":"EUR"}}"#
    );
    assert_eq!(d.name.as_deref(), Some("shop.OrderPlaced"));
    assert!(
        d.note
            .contains("registry=http://registry.test:8081/schemas/ids/2"),
        "{}",
        d.note
    );
    assert_eq!(r.requests(), 2, "the id and its one reference");
}

#[test]
fn one_request_per_id_however_many_records_and_threads() {
    let (r, set) = set(&avro_answers());
    let body = order_body();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..2_500 {
                    set.decode(2, Some("orders"), &body).unwrap();
                }
            });
        }
    });
    assert_eq!(
        r.requests(),
        2,
        "10,000 records, one fetch of the id and its reference"
    );
    assert_eq!(r.fetched().len(), 1);
}

#[test]
fn an_unknown_id_names_the_registry_and_is_not_asked_again_at_once() {
    let (r, set) = set(&avro_answers());
    let e = set.decode(99, Some("orders"), &[]).err().unwrap();
    assert!(
        e.starts_with("schema registry http://registry.test:8081: not found (HTTP 404, error_code 40403: Schema not found)"),
        "{e}"
    );
    for _ in 0..1000 {
        let again = set.decode(99, Some("orders"), &[]).err().unwrap();
        assert!(again.contains("asked again in"), "{again}");
    }
    assert_eq!(
        r.requests(),
        1,
        "failures are remembered until the backoff ends"
    );
}

#[test]
fn a_registry_that_comes_back_serves_later_records() {
    let down = Arc::new(AtomicBool::new(true));
    let fake = Fake {
        answers: avro_answers()
            .into_iter()
            .map(|(p, a)| (p.to_string(), a))
            .collect(),
        down: down.clone(),
    };
    let r = Arc::new(Registry::new(Box::new(fake)));
    let set = SchemaSet::default().with_registry(r.clone());
    let e = set.decode(2, None, &order_body()).err().unwrap();
    assert!(e.contains("cannot reach it: Connection refused"), "{e}");
    down.store(false, Ordering::Relaxed);
    assert!(
        set.decode(2, None, &order_body()).is_err(),
        "still within the backoff"
    );
    std::thread::sleep(backoff(1) + Duration::from_millis(50));
    assert!(set.decode(2, None, &order_body()).is_ok());
    assert_eq!(
        r.requests(),
        3,
        "the failed GET, then the id and its reference"
    );
}

fn proto_file(name: &str, deps: &[&str], message: &str, fields: &[(&str, i32, &str)]) -> String {
    use field_descriptor_proto::{Label, Type};
    let file = FileDescriptorProto {
        name: Some(name.into()),
        package: Some("shop".into()),
        syntax: Some("proto3".into()),
        dependency: deps.iter().map(|d| d.to_string()).collect(),
        message_type: vec![DescriptorProto {
            name: Some(message.into()),
            field: fields
                .iter()
                .map(|(n, num, ty)| FieldDescriptorProto {
                    name: Some(n.to_string()),
                    json_name: Some(n.to_string()),
                    number: Some(*num),
                    label: Some(Label::Optional as i32),
                    r#type: Some(if ty.is_empty() {
                        Type::String
                    } else {
                        Type::Message
                    } as i32),
                    type_name: (!ty.is_empty()).then(|| ty.to_string()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    };
    base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
}

use base64::Engine;
use prost_reflect::prost::Message;

#[test]
fn protobuf_imports_are_read_as_serialized_descriptors() {
    let address = proto_file("shop/address.proto", &[], "Address", &[("city", 1, "")]);
    let invoice = proto_file(
        "shop/invoice.proto",
        &["shop/address.proto", "google/protobuf/timestamp.proto"],
        "InvoiceSent",
        &[
            ("eventId", 1, ""),
            ("to", 2, ".shop.Address"),
            ("at", 3, ".google.protobuf.Timestamp"),
        ],
    );
    // The registry's plain answer is .proto text; ?format=serialized gives the descriptor.
    let plain = serde_json::json!({"schemaType": "PROTOBUF",
        "schema": "syntax = \"proto3\";\npackage shop;\nimport \"shop/address.proto\";\n...",
        "references": [{"name": "shop/address.proto", "subject": "shop/address.proto", "version": 1}]});
    let serialized = serde_json::json!({"schemaType": "PROTOBUF", "schema": invoice,
        "references": [{"name": "shop/address.proto", "subject": "shop/address.proto", "version": 1}]});
    let addr = serde_json::json!({"subject": "shop/address.proto", "id": 1, "version": 1,
        "schemaType": "PROTOBUF", "schema": address});
    let (r, set) = set(&[
        ("/schemas/ids/5", plain.to_string()),
        ("/schemas/ids/5?format=serialized", serialized.to_string()),
        (
            "/subjects/shop%2Faddress.proto/versions/1?format=serialized",
            addr.to_string(),
        ),
    ]);
    // Message indexes [] (the first message), event_id "i-1", to {city "Ghent"}, at {seconds 60}.
    let mut body = vec![0u8, 0x0A, 3, b'i', b'-', b'1', 0x12, 7, 0x0A, 5];
    body.extend_from_slice(b"Ghent");
    body.extend_from_slice(&[0x1A, 2, 0x08, 60]);
    let d = set.decode(5, Some("invoices"), &body).unwrap();
    assert_eq!(
        d.json,
        r#"{"eventId":"i-1","to":{"city":"Ghent"},"at":"1970-01-01T00:01:00Z"}"#
    );
    assert_eq!(d.name.as_deref(), Some("shop.InvoiceSent"));
    assert_eq!(r.requests(), 3);
}

#[test]
fn avro_names_resolve_in_the_enclosing_namespace() {
    let reg = registered_order();
    let text = avro_inlined(&reg).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fields"][1]["type"]["name"], "Money", "{text}");
    assert_eq!(v["fields"][2]["type"][1], "shop.Money", "{text}");
}
