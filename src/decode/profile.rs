//! Correlation profiles: where an event's id, correlation id, causation id, sequence and subject
//! come from when the input format does not carry them as explicit fields.
//!
//! For each field the first hit wins, in this order (README, "Correlation profiles"):
//! 1. a user override (`--correlation header:x-corr`, `--causation /meta/parent`);
//! 2. the format's explicit fields (native trace fields, CloudEvents structured attributes);
//! 3. `cloudevents-binary`: `ce_id`, `ce_correlationid`, `ce_causationid`, `ce_sequence`, `ce_subject` headers;
//! 4. `cloudevents`: a JSON payload that is itself a structured CloudEvent (has `specversion`);
//! 5. `common`: headers, then top-level JSON, then a `metadata` object, with the usual names
//!    (`eventId`/`event_id`/`messageId`, `correlationId`/`correlation_id`/`x-correlation-id`, ...);
//! 6. `nservicebus`: `NServiceBus.MessageId`, `NServiceBus.ConversationId`, `NServiceBus.RelatedTo`;
//! 7. `masstransit`: `MessageId`, `ConversationId`, `InitiatorId` (headers or envelope);
//! 8. `eventstoredb`: `$correlationId`, `$causationId` (headers, JSON or metadata);
//! 9. `tracecontext`: the trace id of a W3C `traceparent` as correlation, `<trace id>-<span id>`
//!    as the id; with `--spans`, causation and the originating trace (`decode::trace_context`);
//! 10. `transport`: the Kafka position `topic/partition@offset` as the id when nothing else gives one.
//!
//! Header names match ASCII case-insensitively; JSON names match exactly.

use crate::model::{DecodedEvent, Header, Profile, Sequence, parse_time};
use serde_json::{Map, Value};
use std::cell::OnceCell;

/// The identifying fields a profile can supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Id,
    Correlation,
    Causation,
    Sequence,
    Subject,
}

/// Where a user override reads a field from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldSpec {
    Header(String),
    /// A JSON pointer (RFC 6901) into the payload.
    Pointer(String),
}

impl std::str::FromStr for FieldSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(name) = s.strip_prefix("header:") {
            if name.is_empty() {
                return Err("header: needs a header name, e.g. header:x-correlation-id".into());
            }
            Ok(FieldSpec::Header(name.to_string()))
        } else if let Some(p) = s.strip_prefix("json:") {
            Ok(FieldSpec::Pointer(p.to_string()))
        } else if s.starts_with('/') {
            Ok(FieldSpec::Pointer(s.to_string()))
        } else {
            Err(format!(
                "'{s}' is neither header:NAME nor a JSON pointer like /meta/correlationId"
            ))
        }
    }
}

/// Profile settings shared by all decoder threads.
#[derive(Clone, Debug, Default)]
pub struct ProfileConfig {
    /// Use only this profile (plus explicit fields, overrides and transport); `None` = auto.
    pub only: Option<Profile>,
    pub id: Option<FieldSpec>,
    pub correlation: Option<FieldSpec>,
    pub causation: Option<FieldSpec>,
    pub sequence: Option<FieldSpec>,
    pub subject: Option<FieldSpec>,
    /// OpenTelemetry span exports (`--spans`), for events that carry only a trace context.
    pub spans: Option<std::sync::Arc<super::spans::SpanIndex>>,
}

/// Profiles that can be named with `--profile`.
pub const SELECTABLE: [Profile; 7] = [
    Profile::CloudEventsBinary,
    Profile::CloudEvents,
    Profile::Common,
    Profile::NServiceBus,
    Profile::MassTransit,
    Profile::EventStoreDb,
    Profile::TraceContext,
];

pub fn parse_profile(name: &str) -> Result<Option<Profile>, String> {
    if name == "auto" {
        return Ok(None);
    }
    SELECTABLE
        .iter()
        .find(|p| p.name() == name)
        .map(|p| Some(*p))
        .ok_or_else(|| {
            let names: Vec<_> = SELECTABLE.iter().map(|p| p.name()).collect();
            format!("unknown profile '{name}' (auto, {})", names.join(", "))
        })
}

impl ProfileConfig {
    fn spec(&self, f: Field) -> Option<&FieldSpec> {
        match f {
            Field::Id => self.id.as_ref(),
            Field::Correlation => self.correlation.as_ref(),
            Field::Causation => self.causation.as_ref(),
            Field::Sequence => self.sequence.as_ref(),
            Field::Subject => self.subject.as_ref(),
        }
    }
    fn allows(&self, p: Profile) -> bool {
        self.only.is_none_or(|o| o == p)
    }
}

const COMMON_ID: &[&str] = &["eventId", "event_id", "messageId", "message_id"];
const COMMON_CORR: &[&str] = &[
    "correlationId",
    "correlation_id",
    "x-correlation-id",
    "correlation-id",
];
const COMMON_CAUSE: &[&str] = &[
    "causationId",
    "causation_id",
    "x-causation-id",
    "causation-id",
];
const COMMON_SEQ: &[&str] = &["sequence", "seq", "sequenceNumber", "sequence_number"];
const COMMON_SUBJECT: &[&str] = &["subject", "aggregateId", "aggregate_id"];

/// Reads values from an event's headers and (lazily parsed) JSON payload.
pub struct Lookup<'a> {
    headers: &'a [Header],
    json_text: Option<&'a str>,
    json: OnceCell<Option<Value>>,
    /// Whether the payload text mentions `specversion` (a structured CloudEvent), looked up once.
    cloudevent: OnceCell<bool>,
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl<'a> Lookup<'a> {
    pub fn new(headers: &'a [Header], json_text: Option<&'a str>) -> Self {
        Lookup {
            headers,
            json_text,
            json: OnceCell::new(),
            cloudevent: OnceCell::new(),
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    fn headers_any(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.header(n))
    }

    /// The payload as a JSON value, parsed at most once.
    pub fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| {
                let text = self.json_text?.trim_start();
                if !text.starts_with('{') {
                    return None;
                }
                serde_json::from_str(text).ok()
            })
            .as_ref()
    }

    /// Whether the payload text mentions any of `names` at all: a cheap test that spares parsing
    /// the payload when it cannot hold the field.
    fn mentions(&self, names: &[&str]) -> bool {
        self.json_text
            .is_some_and(|t| names.iter().any(|n| t.contains(n)))
    }

    fn object(&self) -> Option<&Map<String, Value>> {
        self.json()?.as_object()
    }

    fn metadata(&self) -> Option<&Map<String, Value>> {
        let o = self.object()?;
        ["metadata", "Metadata", "meta"]
            .iter()
            .find_map(|k| o.get(*k)?.as_object())
    }

    fn json_any(&self, names: &[&str]) -> Option<String> {
        if !self.mentions(names) {
            return None;
        }
        let top = self
            .object()
            .and_then(|o| names.iter().find_map(|n| o.get(*n).and_then(value_text)));
        top.or_else(|| {
            let m = self.metadata()?;
            names.iter().find_map(|n| m.get(*n).and_then(value_text))
        })
    }

    fn pointer(&self, p: &str) -> Option<String> {
        self.json()?.pointer(p).and_then(value_text)
    }

    fn cloudevent_attr(&self, name: &str) -> Option<String> {
        if !*self
            .cloudevent
            .get_or_init(|| self.mentions(&["specversion"]))
        {
            return None;
        }
        let o = self.object()?;
        o.get("specversion")?;
        o.get(name).and_then(value_text)
    }

    fn by_profile(&self, p: Profile, f: Field) -> Option<String> {
        match p {
            Profile::CloudEventsBinary => self.header(match f {
                Field::Id => "ce_id",
                Field::Correlation => "ce_correlationid",
                Field::Causation => "ce_causationid",
                Field::Sequence => "ce_sequence",
                Field::Subject => "ce_subject",
            }),
            Profile::CloudEvents => self.cloudevent_attr(match f {
                Field::Id => "id",
                Field::Correlation => "correlationid",
                Field::Causation => "causationid",
                Field::Sequence => "sequence",
                Field::Subject => "subject",
            }),
            Profile::Common => {
                let names = match f {
                    Field::Id => COMMON_ID,
                    Field::Correlation => COMMON_CORR,
                    Field::Causation => COMMON_CAUSE,
                    Field::Sequence => COMMON_SEQ,
                    Field::Subject => COMMON_SUBJECT,
                };
                self.headers_any(names).or_else(|| self.json_any(names))
            }
            Profile::NServiceBus => match f {
                Field::Id => self.header("NServiceBus.MessageId"),
                Field::Correlation => self.header("NServiceBus.ConversationId"),
                Field::Causation => self.header("NServiceBus.RelatedTo"),
                _ => None,
            },
            Profile::MassTransit => {
                let (h, j) = match f {
                    Field::Id => ("MessageId", "messageId"),
                    Field::Correlation => ("ConversationId", "conversationId"),
                    Field::Causation => ("InitiatorId", "initiatorId"),
                    _ => return None,
                };
                self.header(h).or_else(|| self.json_any(&[j]))
            }
            Profile::EventStoreDb => {
                let name = match f {
                    Field::Correlation => "$correlationId",
                    Field::Causation => "$causationId",
                    _ => return None,
                };
                self.header(name).or_else(|| self.json_any(&[name]))
            }
            Profile::TraceContext => match f {
                Field::Correlation => trace_id(&self.traceparent()?),
                Field::Id => super::trace_context::parse_traceparent(&self.traceparent()?)
                    .map(super::trace_context::derived_id),
                _ => None,
            },
            _ => None,
        }
    }

    /// The W3C `traceparent`, from a header or a top-level JSON field.
    pub fn traceparent(&self) -> Option<String> {
        self.header("traceparent")
            .or_else(|| self.json_any(&["traceparent"]))
    }

    fn override_value(&self, spec: &FieldSpec) -> Option<String> {
        match spec {
            FieldSpec::Header(h) => self.header(h),
            FieldSpec::Pointer(p) => self.pointer(p),
        }
    }

    /// The value of `field` from the first profile (in order) that has one; overrides are applied
    /// by [`complete`] before this.
    pub fn find(&self, cfg: &ProfileConfig, field: Field) -> Option<(String, Profile)> {
        SELECTABLE
            .iter()
            .filter(|p| cfg.allows(**p))
            .find_map(|p| self.by_profile(*p, field).map(|v| (v, *p)))
    }

    /// The event type from headers or payload, for formats without an explicit type.
    pub fn event_type(&self) -> Option<String> {
        if let Some(t) = self
            .header("ce_type")
            .or_else(|| self.cloudevent_attr("type"))
        {
            return Some(t);
        }
        if let Some(t) = self.headers_any(&[
            "type",
            "eventType",
            "event_type",
            "event-type",
            "messageType",
        ]) {
            return Some(t);
        }
        if let Some(t) = self.header("NServiceBus.EnclosedMessageTypes") {
            // "Ns.OrderPlaced, Assembly, Version=..." -> "OrderPlaced"
            let first = t.split([',', ';']).next().unwrap_or(&t).trim();
            return Some(first.rsplit(['.', '+']).next().unwrap_or(first).to_string());
        }
        if let Some(o) = self.object()
            && let Some(mt) = o
                .get("messageType")
                .and_then(|v| v.as_array())
                .and_then(|a| a.first())
        {
            // MassTransit: "urn:message:Ns:OrderPlaced"
            if let Some(s) = mt.as_str() {
                return Some(s.rsplit(':').next().unwrap_or(s).to_string());
            }
        }
        self.json_any(&["type", "eventType", "event_type"])
    }

    pub fn source(&self) -> Option<String> {
        self.header("ce_source")
            .or_else(|| self.cloudevent_attr("source"))
            .or_else(|| self.headers_any(&["source", "service", "x-source"]))
            .or_else(|| self.header("NServiceBus.OriginatingEndpoint"))
            .or_else(|| self.json_any(&["source", "service"]))
    }

    pub fn time(&self) -> Option<i64> {
        if let Some(t) = self
            .header("ce_time")
            .or_else(|| self.cloudevent_attr("time"))
        {
            return parse_time(&t);
        }
        if let Some(t) = self.header("NServiceBus.TimeSent") {
            // "2026-11-22 03:21:16:123456 Z"
            return chrono::NaiveDateTime::parse_from_str(
                t.trim_end_matches(" Z"),
                "%Y-%m-%d %H:%M:%S:%6f",
            )
            .ok()
            .and_then(|d| d.and_utc().timestamp_nanos_opt());
        }
        self.json_any(&["time", "timestamp", "occurredAt", "sentTime"])
            .and_then(|t| parse_time(&t))
    }
}

/// The 32-hex-digit trace id of a W3C `traceparent` ("00-<trace id>-<parent id>-<flags>").
pub fn trace_id(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let _version = parts.next()?;
    let id = parts.next()?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id.bytes().any(|b| b != b'0'))
        .then(|| id.to_ascii_lowercase())
}

/// Fills the identifying fields an event lacks, records which profile supplied each, and applies
/// overrides. `json_text` is the payload when it may be JSON.
pub fn complete(ev: &mut DecodedEvent, json_text: Option<&str>, cfg: &ProfileConfig) {
    let headers = std::mem::take(&mut ev.headers);
    let look = Lookup::new(&headers, json_text);
    for field in [
        Field::Id,
        Field::Correlation,
        Field::Causation,
        Field::Sequence,
        Field::Subject,
    ] {
        let found = match cfg.spec(field) {
            Some(spec) => look.override_value(spec).map(|v| (v, Profile::Override)),
            None if has(ev, field) => None,
            None => look.find(cfg, field),
        };
        if let Some((value, profile)) = found {
            set(ev, field, value, profile);
        }
    }
    if ev.event_type.is_empty()
        && let Some(t) = look.event_type()
    {
        ev.event_type = t.into();
    }
    if ev.source.is_none() {
        ev.source = look.source().map(Into::into);
    }
    if ev.time.is_none() {
        ev.time = look.time();
    }
    // Only an id derived from the trace context (now or in a recording) needs it again.
    let traceparent = (ev.provenance.id == Profile::TraceContext
        || super::trace_context::looks_derived(&ev.id))
    .then(|| look.traceparent())
    .flatten();
    drop(look);
    ev.headers = headers;
    if ev.id.is_empty()
        && let (Some(t), Some(p), Some(o)) = (&ev.topic, ev.partition, ev.offset)
    {
        ev.id = format!("{t}/{p}@{o}").into();
        ev.provenance.id = Profile::Transport;
    }
    super::trace_context::finish(ev, traceparent.as_deref(), cfg.spans.as_deref());
}

fn has(ev: &DecodedEvent, f: Field) -> bool {
    match f {
        Field::Id => !ev.id.is_empty(),
        Field::Correlation => ev.correlation_id.is_some(),
        Field::Causation => ev.causation_id.is_some(),
        Field::Sequence => ev.sequence.is_some(),
        Field::Subject => ev.subject.is_some(),
    }
}

fn set(ev: &mut DecodedEvent, f: Field, v: String, p: Profile) {
    match f {
        Field::Id => {
            ev.id = v.into();
            ev.provenance.id = p;
        }
        Field::Correlation => {
            ev.correlation_id = Some(v.into());
            ev.provenance.correlation = p;
        }
        Field::Causation => {
            ev.causation_id = Some(v.into());
            ev.provenance.causation = p;
        }
        Field::Sequence => {
            ev.sequence = Some(Sequence::from_text(&v));
            ev.provenance.sequence = p;
        }
        Field::Subject => {
            ev.subject = Some(v.into());
            ev.provenance.subject = p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: &str, v: &str) -> Header {
        Header::text(n, v)
    }

    #[test]
    fn order_and_case() {
        let mut ev = DecodedEvent {
            headers: vec![
                h("X-Correlation-ID", "c-1"),
                h("ce_correlationid", "c-ce"),
                h("NServiceBus.RelatedTo", "p-1"),
            ],
            ..Default::default()
        };
        complete(
            &mut ev,
            Some(r#"{"metadata":{"eventId":"e-9"}}"#),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.correlation_id.as_deref(), Some("c-ce"));
        assert_eq!(ev.provenance.correlation, Profile::CloudEventsBinary);
        assert_eq!(ev.id.as_ref(), "e-9");
        assert_eq!(ev.provenance.id, Profile::Common);
        assert_eq!(ev.causation_id.as_deref(), Some("p-1"));
        assert_eq!(ev.provenance.causation, Profile::NServiceBus);
    }

    #[test]
    fn overrides_and_only() {
        let mut ev = DecodedEvent {
            id: "x".into(),
            correlation_id: Some("explicit".into()),
            ..Default::default()
        };
        ev.headers = vec![
            h("x-corr", "from-header"),
            h(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ];
        let cfg = ProfileConfig {
            correlation: Some("header:x-corr".parse().unwrap()),
            causation: Some("/meta/parent".parse().unwrap()),
            ..Default::default()
        };
        complete(&mut ev, Some(r#"{"meta":{"parent":"p-7"}}"#), &cfg);
        assert_eq!(ev.correlation_id.as_deref(), Some("from-header"));
        assert_eq!(ev.provenance.correlation, Profile::Override);
        assert_eq!(ev.causation_id.as_deref(), Some("p-7"));

        let mut ev2 = DecodedEvent {
            headers: ev.headers.clone(),
            ..Default::default()
        };
        let only = ProfileConfig {
            only: Some(Profile::TraceContext),
            ..Default::default()
        };
        complete(&mut ev2, None, &only);
        assert_eq!(
            ev2.correlation_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(ev2.provenance.correlation, Profile::TraceContext);
    }

    #[test]
    fn eventstore_and_masstransit() {
        let mut ev = DecodedEvent::default();
        complete(
            &mut ev,
            Some(
                r#"{"messageType":["urn:message:Shop:OrderPlaced"],"conversationId":"conv","initiatorId":"init","$causationId":"ignored"}"#,
            ),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.correlation_id.as_deref(), Some("conv"));
        assert_eq!(ev.provenance.correlation, Profile::MassTransit);
        assert_eq!(ev.causation_id.as_deref(), Some("init"));
        let mut ev = DecodedEvent::default();
        complete(
            &mut ev,
            Some(r#"{"metadata":{"$correlationId":"c","$causationId":"p"}}"#),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.provenance.causation, Profile::EventStoreDb);
        assert_eq!(ev.causation_id.as_deref(), Some("p"));
    }
}
