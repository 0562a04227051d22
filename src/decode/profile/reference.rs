//! Differential test of the profiles' payload reads: the way they were read before `fields.rs`
//! (the whole payload parsed into a `serde_json::Value`, every name searched in the text first)
//! kept here as the reference, and [`complete`] run both ways on generated events (headers of
//! every profile, payloads with plain, escaped, duplicate and nested names, numbers, odd and
//! broken JSON): every field, provenance, source and time must agree.

use super::{Lookup, ProfileConfig, complete};
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

fn check(ev: &DecodedEvent, json: Option<&str>, cfg: &ProfileConfig) {
    let (new, old) = both(ev, json, cfg);
    assert_eq!(
        format!("{new:?}"),
        format!("{old:?}"),
        "payload {json:?}, headers {:?}",
        ev.headers
    );
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
