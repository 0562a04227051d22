//! Differential test of the profiles' payload reads: the way they were read before `fields.rs`
//! (the whole payload parsed into a `serde_json::Value`, every name searched in the text first)
//! kept here as the reference, and [`complete`] run both ways on generated events (headers of
//! every profile, payloads with plain, escaped, duplicate and nested names, numbers, odd and
//! broken JSON): every field, provenance, source and time must agree.

use super::{Fields, Known, Lookup, ProfileConfig, complete, complete_known};
use crate::model::{DecodedEvent, Header};
use serde_json::{Map, Value};
use std::cell::Cell;

thread_local! {
    /// Whether the `Lookup`s made on this thread read the payload the reference way.
    pub(super) static REFERENCE: Cell<bool> = const { Cell::new(false) };
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Lookup<'_> {
    fn object(&self) -> Option<&Map<String, Value>> {
        self.json()?.as_object()
    }

    pub(super) fn reference_json_any(&self, names: &[&str]) -> Option<String> {
        if !self.mentions(names) {
            return None;
        }
        let top = self
            .object()
            .and_then(|o| names.iter().find_map(|n| o.get(*n).and_then(value_text)));
        top.or_else(|| {
            let o = self.object()?;
            let m = ["metadata", "Metadata", "meta"]
                .iter()
                .find_map(|k| o.get(*k)?.as_object())?;
            names.iter().find_map(|n| m.get(*n).and_then(value_text))
        })
    }

    pub(super) fn reference_cloudevent(&self) -> bool {
        self.mentions(&["specversion"])
            && self.object().is_some_and(|o| o.contains_key("specversion"))
    }

    pub(super) fn reference_cloudevent_attr(&self, name: &str) -> Option<String> {
        self.object()?.get(name).and_then(value_text)
    }

    /// MassTransit's envelope mark: a mentioned top-level `messageType` array.
    pub(in crate::decode) fn reference_masstransit(&self) -> bool {
        self.mentions(&["messageType"])
            && self
                .object()
                .and_then(|o| o.get("messageType"))
                .is_some_and(Value::is_array)
    }

    pub(in crate::decode) fn reference_message_type(&self) -> Option<String> {
        let a = self.object()?.get("messageType")?.as_array()?;
        a.first()?.as_str().map(str::to_string)
    }

    /// EventStoreDB's mark from the payload: its names mentioned anywhere in the text.
    pub(in crate::decode) fn reference_eventstoredb(&self) -> bool {
        self.mentions(&["$correlationId", "$causationId"])
    }
}

/// `complete` on a copy of `ev`, the new way and the reference way.
fn both(
    ev: &DecodedEvent,
    json: Option<&str>,
    cfg: &ProfileConfig,
) -> (DecodedEvent, DecodedEvent) {
    let (mut new, mut old) = (ev.clone(), ev.clone());
    complete(&mut new, json, cfg);
    REFERENCE.set(true);
    complete(&mut old, json, cfg);
    REFERENCE.set(false);
    (new, old)
}

/// Names the profiles read, written plainly and with escapes (`\u0049` is `I`, `\u0024` `$`).
const KEYS: &[&str] = &[
    "eventId",
    "event\\u0049d",
    "id",
    "messageId",
    "correlationId",
    "correlation\\u0049d",
    "correlation_id",
    "causationId",
    "causation_id",
    "conversationId",
    "$correlationId",
    "\\u0024causationId",
    "$causationId",
    "type",
    "eventType",
    "messageType",
    "message\\u0054ype",
    "specversion",
    "spec\\u0076ersion",
    "subject",
    "sequence",
    "source",
    "service",
    "sourceAddress",
    "time",
    "timestamp",
    "occurredAt",
    "traceparent",
    "other",
];

/// Values: strings (empty, escaped, non-ASCII), numbers of every shape `Value` renders its own
/// way, and values no profile reads.
const VALUES: &[&str] = &[
    "\"v-1\"",
    "\"\"",
    "\"a\\\"b\\u00e9\"",
    "\"é-ü\"",
    "42",
    "-7",
    "0",
    "-0",
    "1.0",
    "1e3",
    "2.5E-3",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "null",
    "true",
    "[]",
    "[\"urn:message:Shop:OrderPlaced\",\"x\"]",
    "[1,\"x\"]",
    "[\"\"]",
    "{}",
    "{\"inner\":\"x\"}",
    "\"2026-11-22T10:00:00Z\"",
    "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"",
    "\"urn:message:Shop:Paid\"",
];

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next(from.len())]
    }
}

fn object(rng: &mut Rng, depth: usize) -> String {
    let n = rng.next(6);
    let fields: Vec<String> = (0..n)
        .map(|_| {
            let key = rng.pick(KEYS);
            let value = match rng.next(8) {
                0 if depth < 2 => object(rng, depth + 1),
                // A value that mentions a name (the text search before parsing finds it).
                1 => format!(
                    "\"{}\"",
                    rng.pick(&[
                        "eventId",
                        "specversion",
                        "messageType",
                        "$causationId",
                        "correlationId"
                    ])
                ),
                _ => rng.pick(VALUES).to_string(),
            };
            format!("\"{key}\":{value}")
        })
        .collect();
    let mut text = format!("{{{}}}", fields.join(","));
    if depth == 0 && rng.next(3) == 0 {
        // A metadata object, next to the top-level fields.
        let meta = rng.pick(&["metadata", "Metadata", "meta"]);
        text.insert_str(1, &format!("\"{meta}\":{},", object(rng, 1)));
    }
    text
}

/// Payloads nobody would send, each of them once.
fn odd_payloads() -> Vec<String> {
    let deep = |n: usize| {
        format!(
            "{{\"eventId\":\"e\",\"x\":{}{}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    vec![
        r#"{"eventId":"e","big":1e400}"#.into(),
        r#"{"eventId":"e","n":-1e400}"#.into(),
        r#"{"eventId":"e","x":"\ud800"}"#.into(),
        r#"{"eventId":"e","eventId":"f"}"#.into(),
        r#"{"eventId":"e","eventId":null}"#.into(),
        r#"{"metadata":{"eventId":"m"},"metadata":[1]}"#.into(),
        r#"{"meta":{"correlationId":"m"},"metadata":{"correlationId":"n"}}"#.into(),
        r#"{"metadata":{"eventId":{"x":1},"correlationId":["c"]}}"#.into(),
        r#"  {"eventId":"e"}  "#.into(),
        r#"{"eventId":"e"} x"#.into(),
        r#"{"eventId":"e",}"#.into(),
        r#"{"eventId":"e""#.into(),
        r#"["eventId"]"#.into(),
        r#""eventId""#.into(),
        r#"{"specversion":null,"id":"ce-1","type":"T","correlationid":"c"}"#.into(),
        r#"{"spec\u0076ersion":"1.0","id":"ce-1","x":"specversion"}"#.into(),
        r#"{"event\u0049d":"escaped","note":"eventId"}"#.into(),
        r#"{"messageType":"urn:message:A","x":["urn:message:B"]}"#.into(),
        r#"{"message\u0054ype":["urn:message:A"],"messageType2":1}"#.into(),
        r#"{"note":"$correlationId","\u0024correlationId":"esc"}"#.into(),
        deep(127),
        deep(128),
        deep(200),
        format!("{{\"eventId\":\"{}\"}}", "x".repeat(100_000)),
    ]
}

fn headers(rng: &mut Rng) -> Vec<Header> {
    const NAMES: &[&str] = &[
        "ce_id",
        "ce_correlationid",
        "MessageId",
        "ConversationId",
        "MT-MessageType",
        "NServiceBus.MessageId",
        "NServiceBus.ConversationId",
        "axon-message-id",
        "axon-metadata-traceId",
        "__TypeId__",
        "$correlationId",
        "X-Correlation-ID",
        "correlationId",
        "eventId",
        "type",
        "traceparent",
        "ce_time",
        "source",
    ];
    (0..rng.next(4))
        .map(|_| {
            let value = match rng.next(3) {
                0 => "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                1 => "",
                _ => "h-1",
            };
            Header::text(rng.pick(NAMES), value)
        })
        .collect()
}

fn configs() -> Vec<ProfileConfig> {
    let mut only_common = ProfileConfig {
        only: Some(crate::model::Profile::Common),
        ..Default::default()
    };
    let overrides = ProfileConfig {
        correlation: Some("/metadata/correlationId".parse().unwrap()),
        causation: Some("header:x-cause".parse().unwrap()),
        event_type: Some("/messageType/0".parse().unwrap()),
        ..Default::default()
    };
    only_common.id = None;
    vec![ProfileConfig::default(), only_common, overrides]
}

/// The new way (lazily parsed, and parsed beforehand as `record::decode` does) against the
/// reference.
fn check(ev: &DecodedEvent, json: Option<&str>, cfg: &ProfileConfig) {
    let (new, old) = both(ev, json, cfg);
    let what = || format!("payload {json:?}, headers {:?}", ev.headers);
    assert_eq!(format!("{new:?}"), format!("{old:?}"), "{}", what());
    if let Some(fields) = json.and_then(|t| Fields::parse(t.trim_start())) {
        let mut parsed = ev.clone();
        complete_known(&mut parsed, json, Known::Fields(fields), cfg);
        assert_eq!(format!("{parsed:?}"), format!("{old:?}"), "{}", what());
    }
}

#[test]
fn the_fields_read_agree_with_the_value_they_replace() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let cfgs = configs();
    for payload in odd_payloads() {
        for cfg in &cfgs {
            check(&DecodedEvent::default(), Some(&payload), cfg);
        }
    }
    for _ in 0..20_000 {
        let payload = object(&mut rng, 0);
        let ev = DecodedEvent {
            headers: headers(&mut rng),
            ..Default::default()
        };
        let cfg = &cfgs[rng.next(cfgs.len())];
        check(&ev, Some(&payload), cfg);
        // Explicit fields stay, whatever the payload says.
        let explicit = DecodedEvent {
            id: "explicit".into(),
            correlation_id: Some("c".into()),
            ..ev.clone()
        };
        check(&explicit, Some(&payload), cfg);
    }
    check(&DecodedEvent::default(), None, &cfgs[0]);
}

/// A record type whose fields carry the profiles' names and every kind of value.
const PLACED: &str = r#"{"type":"record","name":"Placed","namespace":"shop","fields":[
      {"name":"eventId","type":"string"},
      {"name":"metadata","type":{"type":"record","name":"Meta","fields":[
        {"name":"correlationId","type":["null","string","long"]},
        {"name":"causationId","type":"double"},
        {"name":"tags","type":{"type":"array","items":"string"}}]}},
      {"name":"messageType","type":{"type":"array","items":"string"}},
      {"name":"meta","type":{"type":"map","values":"string"}},
      {"name":"type","type":{"type":"enum","name":"Kind","symbols":["Placed","Paid"]}},
      {"name":"time","type":{"type":"long","logicalType":"timestamp-millis"}},
      {"name":"sequence","type":"long"},
      {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
      {"name":"f","type":"float"},
      {"name":"subject","type":["null","string","double"]},
      {"name":"d","type":{"type":"fixed","name":"D","size":12,"logicalType":"duration"}},
      {"name":"source","type":"bytes"},
      {"name":"traceparent","type":{"type":"string","logicalType":"uuid"}}]}"#;

/// A record of [`PLACED`] with every kind of value.
fn placed() -> apache_avro::types::Value {
    use apache_avro::types::Value as Avro;
    let s = |t: &str| Avro::String(t.into());
    Avro::Record(vec![
        ("eventId".into(), s("e-\"1\"\\é")),
        (
            "metadata".into(),
            Avro::Record(vec![
                ("correlationId".into(), Avro::Union(1, Box::new(s("c-1")))),
                ("causationId".into(), Avro::Double(1e21)),
                ("tags".into(), Avro::Array(vec![s("a"), s("b")])),
            ]),
        ),
        (
            "messageType".into(),
            Avro::Array(vec![s("urn:message:Shop:Placed"), s("x")]),
        ),
        (
            "meta".into(),
            Avro::Map([("eventId".to_string(), s("m"))].into()),
        ),
        ("type".into(), Avro::Enum(1, "Paid".into())),
        ("time".into(), Avro::TimestampMillis(1_764_324_000_123)),
        ("sequence".into(), Avro::Long(-7)),
        (
            "amount".into(),
            Avro::Decimal(vec![0x01u8, 0x86, 0x9F].into()),
        ),
        ("f".into(), Avro::Float(0.1)),
        (
            "subject".into(),
            Avro::Union(2, Box::new(Avro::Double(f64::NAN))),
        ),
        ("d".into(), Avro::Duration([1u8; 12].into())),
        ("source".into(), Avro::Bytes(vec![0, 0x41, 0xff])),
        (
            "traceparent".into(),
            Avro::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".parse().unwrap()),
        ),
    ])
}

/// The Avro plan's top-level fields (`Fields::from_top`) against parsing its text again: the
/// fields and whole events agree, on a record whose fields carry the profiles' names and every
/// kind of value, and on thousands of damaged copies that still decode.
#[test]
fn avro_top_fields_agree_with_parsing_the_text() {
    use crate::decode::schema::avro::AvroSchema;
    let avro = AvroSchema::parse(PLACED).unwrap();
    let parsed = apache_avro::Schema::parse_str(PLACED).unwrap();
    let body = apache_avro::to_avro_datum(&parsed, placed()).unwrap();
    let cfgs = configs();
    let mut rng = fastrand::Rng::with_seed(11);
    let mut read = 0;
    for k in 0..20_000 {
        let mut b = body.clone();
        for _ in 0..usize::from(k > 0) * rng.usize(1..4) {
            let i = rng.usize(0..b.len());
            b[i] = rng.u8(..);
        }
        // The same text (or error) as the plain decode.
        let decoded = avro.decode_top(&b);
        assert_eq!(decoded.as_ref().map(|d| &d.0), avro.decode(&b).as_ref());
        let Ok((text, top)) = decoded else {
            continue;
        };
        let top = top.expect("a record that does not nest deep: its fields are known");
        read += 1;
        assert_eq!(
            Fields::from_top(&text, &top),
            Fields::parse(&text),
            "{text}"
        );
        let cfg = &cfgs[k % cfgs.len()];
        let (mut with_top, mut parsing) = (DecodedEvent::default(), DecodedEvent::default());
        complete_known(&mut with_top, Some(&text), Known::Top(&top), cfg);
        complete(&mut parsing, Some(&text), cfg);
        assert_eq!(format!("{with_top:?}"), format!("{parsing:?}"), "{text}");
    }
    assert!(read > 1000, "{read} bodies read");
    // A recursive schema may nest deeper than serde_json reads: its text is parsed.
    let list = AvroSchema::parse(
        r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        list.decode_top(&[0]).unwrap(),
        (r#"{"next":null}"#.into(), None)
    );
}
