use super::*;
use crate::model::PayloadDecoder as D;

fn msgpack(v: &rmpv::Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, v).unwrap();
    out
}

fn cbor(v: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn parsed(g: &Guess) -> serde_json::Value {
    serde_json::from_str(g.json.as_deref().unwrap()).unwrap()
}

#[test]
fn text_stays_text() {
    let g = guess("order 42 shipped\n\tto Zürich".as_bytes());
    assert_eq!((g.decoder, g.json), (D::Text, None));
    // A control character makes it binary.
    assert_eq!(guess(b"ab\x01cd").decoder, D::Hex);
}

#[test]
fn messagepack_becomes_json() {
    use rmpv::Value as V;
    let v = V::Map(vec![
        ("eventId".into(), "e-1".into()),
        ("correlationId".into(), "c-9".into()),
        ("n".into(), V::from(-3)),
        ("big".into(), V::from(u64::MAX)),
        ("ratio".into(), V::F64(0.5)),
        ("raw".into(), V::Binary(vec![0, 255])),
        ("tags".into(), V::Array(vec![V::Nil, true.into()])),
        ("nested".into(), V::Map(vec![(V::from(7), "seven".into())])),
    ]);
    let g = guess(&msgpack(&v));
    assert_eq!(g.decoder, D::MessagePack, "{g:?}");
    assert_eq!(
        parsed(&g),
        serde_json::json!({"eventId": "e-1", "correlationId": "c-9", "n": -3,
            "big": u64::MAX, "ratio": 0.5, "raw": "00ff", "tags": [null, true],
            "nested": {"7": "seven"}})
    );
}

#[test]
fn cbor_becomes_json() {
    use ciborium::Value as V;
    let v = V::Map(vec![
        (V::Text("eventId".into()), V::Text("e-2".into())),
        (
            V::Text("at".into()),
            V::Tag(1, Box::new(V::Integer(1_700_000_000.into()))),
        ),
        (V::Text("raw".into()), V::Bytes(vec![1, 2])),
        (
            V::Text("list".into()),
            V::Array(vec![V::Float(1.5), V::Null]),
        ),
    ]);
    let g = guess(&cbor(&v));
    assert_eq!(g.decoder, D::Cbor, "{g:?}");
    assert_eq!(
        parsed(&g),
        serde_json::json!({"eventId": "e-2", "at": 1_700_000_000, "raw": "0102",
            "list": [1.5, null]})
    );
}

#[test]
fn protobuf_without_a_descriptor_is_a_field_tree() {
    // 1: "e-3", 2: {1: 5}
    let g = guess(&[0x0a, 0x03, b'e', b'-', b'3', 0x12, 0x02, 0x08, 0x05]);
    assert_eq!(g.decoder, D::ProtobufRaw, "{g:?}");
    assert_eq!(parsed(&g), serde_json::json!({"1": "e-3", "2": {"1": 5}}));
}

#[test]
fn wire_format_bodies_without_schema() {
    // Protobuf after the message indexes (a single 0: the first message).
    let g = guess_wire_body(7, &[0x00, 0x08, 0x96, 0x01]);
    assert_eq!(g.decoder, D::ProtobufRaw, "{g:?}");
    assert_eq!(parsed(&g), serde_json::json!({"1": 150}));
    assert!(g.note.contains("schema id 7"), "{}", g.note);
    // JSON Schema: JSON after the header.
    let g = guess_wire_body(3, br#"{"eventId":"e-4"}"#);
    assert_eq!(g.decoder, D::JsonSchema);
    assert_eq!(parsed(&g), serde_json::json!({"eventId": "e-4"}));
    // Avro cannot be read without its schema: a string "e-5" then a long, as hex.
    let g = guess_wire_body(9, &[0x06, b'e', b'-', b'5', 0x54]);
    assert_eq!((g.decoder, g.json), (D::Hex, None));
}

#[test]
fn detection_is_conservative() {
    // Random bytes (a fixed seed) are hex, not Protobuf, MessagePack or CBOR, at any length.
    let mut rng = fastrand::Rng::with_seed(13);
    let mut not_hex = 0;
    for len in 8..200 {
        for _ in 0..50 {
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            if guess(&bytes).decoder != D::Hex {
                not_hex += 1;
            }
        }
    }
    // 9,600 random values: at most a handful may parse by chance.
    assert!(
        not_hex <= 10,
        "{not_hex} random values were taken for a format"
    );
    // A lone scalar or an empty container is not taken for MessagePack or CBOR.
    assert_eq!(guess(&[0xc3]).decoder, D::Hex);
    assert_eq!(guess(&[0x80]).decoder, D::Hex);
    assert_eq!(guess(&[0xa0]).decoder, D::Hex);
    // Trailing bytes after a whole MessagePack map.
    let mut m = msgpack(&rmpv::Value::Map(vec![("a".into(), 1.into())]));
    m.push(0xc1);
    assert_ne!(guess(&m).decoder, D::MessagePack);
}

#[test]
fn hostile_length_prefixes_fail_without_allocating_them() {
    // MessagePack: an array of 2^32-1 items, a string of 2^32-1 bytes, in a few bytes.
    assert_eq!(guess(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]).decoder, D::Hex);
    assert_eq!(
        guess(&[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]).decoder,
        D::Hex
    );
    // CBOR: an array of 2^64-1 items, a byte string of 2^64-1 bytes.
    let mut huge = vec![0x9b];
    huge.extend([0xff; 8]);
    assert_eq!(guess(&huge).decoder, D::Hex);
    let mut huge = vec![0xa1, 0x61, b'k', 0x5b];
    huge.extend([0xff; 8]);
    assert_eq!(guess(&huge).decoder, D::Hex);
}
