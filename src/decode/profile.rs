//! Correlation profiles: where an event's id, type, correlation id, causation id, sequence and
//! subject come from when the input format does not carry them as explicit fields.
//!
//! For each field the first hit wins, in this order (README, "Correlation profiles"):
//! 1. a user override (`--correlation header:x-corr`, `--causation /meta/parent`, `--type /kind`);
//! 2. the format's explicit fields (native trace fields, CloudEvents structured attributes);
//! 3. `cloudevents-binary`: `ce_id`, `ce_type`, `ce_correlationid`, `ce_causationid`, `ce_sequence`, `ce_subject` headers;
//! 4. `cloudevents`: a JSON payload that is itself a structured CloudEvent (has `specversion`);
//! 5. the frameworks, each recognised by its own names (`frameworks.rs`, one table each):
//!    `nservicebus` (`NServiceBus.*` headers), `masstransit` (its JSON envelope or transport headers),
//!    `axon` (`axon-message-*`, `axon-metadata-*` headers), `spring` (`__TypeId__`, type only),
//!    `eventstoredb` (`$correlationId`, `$causationId`);
//! 6. `common`: headers, then top-level JSON, then a `metadata` object, with the usual names
//!    (`eventId`/`event_id`/`messageId`, `correlationId`/`correlation_id`/`x-correlation-id`, `type`, ...);
//! 7. `tracecontext`: the trace id of a W3C `traceparent` as correlation, `<trace id>-<span id>`
//!    as the id; with `--spans`, causation and the originating trace (`decode::trace_context`);
//! 8. `transport`: the Kafka position `topic/partition@offset` as the id, and `topic`: the topic
//!    name as the type, when nothing else gives one.
//!
//! Frameworks come before `common` because their names are their own: a MassTransit envelope's
//! `correlationId` is an application value, not the flow (its `conversationId` is).
//! Header names match ASCII case-insensitively; JSON names match exactly.

mod fields;
#[cfg(test)]
mod reference;

use super::frameworks;
use super::schema::TopField;
use crate::model::{DecodedEvent, Header, Profile, Sequence, parse_time};
use fields::Entry;
pub(crate) use fields::Fields;
pub(super) use fields::Slot;
use serde_json::Value;
use std::cell::OnceCell;

/// The identifying fields a profile can supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Id,
    Type,
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
    /// `--type`: where the event type comes from.
    pub event_type: Option<FieldSpec>,
    pub correlation: Option<FieldSpec>,
    pub causation: Option<FieldSpec>,
    pub sequence: Option<FieldSpec>,
    pub subject: Option<FieldSpec>,
    /// `--schemas DIR`: schemas for Confluent wire-format payloads (`decode::schema`).
    pub schemas: Option<std::sync::Arc<super::schema::SchemaSet>>,
    /// OpenTelemetry span exports (`--spans`), for events that carry only a trace context.
    pub spans: Option<std::sync::Arc<super::spans::SpanIndex>>,
}

/// The profiles in the order they are tried (after overrides and explicit fields).
pub const ORDER: [Profile; 9] = [
    Profile::CloudEventsBinary,
    Profile::CloudEvents,
    Profile::NServiceBus,
    Profile::MassTransit,
    Profile::Axon,
    Profile::Spring,
    Profile::EventStoreDb,
    Profile::Common,
    Profile::TraceContext,
];

/// Profiles that can be named with `--profile` (those that supply ids: not `spring`).
pub const SELECTABLE: [Profile; 8] = [
    Profile::CloudEventsBinary,
    Profile::CloudEvents,
    Profile::NServiceBus,
    Profile::MassTransit,
    Profile::Axon,
    Profile::EventStoreDb,
    Profile::Common,
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
            Field::Type => self.event_type.as_ref(),
            Field::Correlation => self.correlation.as_ref(),
            Field::Causation => self.causation.as_ref(),
            Field::Sequence => self.sequence.as_ref(),
            Field::Subject => self.subject.as_ref(),
        }
    }
    /// Whether any field is overridden (`--id`, `--type`, `--correlation`, ...).
    pub fn has_overrides(&self) -> bool {
        self.id.is_some()
            || self.event_type.is_some()
            || self.correlation.is_some()
            || self.causation.is_some()
            || self.sequence.is_some()
            || self.subject.is_some()
    }

    /// Whether `p` may supply `f`: `--profile` restricts the ids, never the type.
    fn allows(&self, p: Profile, f: Field) -> bool {
        f == Field::Type || self.only.is_none_or(|o| o == p)
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
const COMMON_TYPE_HEADERS: &[&str] = &[
    "type",
    "eventType",
    "event_type",
    "event-type",
    "messageType",
];
const COMMON_TYPE: &[&str] = &["type", "eventType", "event_type"];

/// Reads values from an event's headers and (lazily parsed) JSON payload.
pub struct Lookup<'a> {
    headers: &'a [Header],
    json_text: Option<&'a str>,
    /// Where the payload's top-level fields are, when its decoder said (`Fields::from_top`).
    top: Option<&'a [TopField]>,
    /// The payload's top-level fields, parsed at most once (`fields.rs`).
    fields: OnceCell<Option<Fields<'a>>>,
    /// The payload as a JSON value, parsed at most once: only JSON pointer overrides need it.
    json: OnceCell<Option<Value>>,
    /// Whether the payload has a `specversion` field (a structured CloudEvent), looked up once.
    cloudevent: OnceCell<bool>,
    /// Which frameworks' names the event carries, looked up once.
    frameworks: OnceCell<frameworks::Marks>,
    /// The event's W3C trace context (trace id, parent span id), parsed once.
    trace: OnceCell<Option<(u128, u64)>>,
    /// Read the payload as before `fields.rs` (the differential test, `reference.rs`).
    #[cfg(test)]
    pub(super) reference: bool,
}

fn value_text(v: &Value) -> Option<String> {
    // As `fields::Entry::text` (the profiles' fields): a non-empty string or a number's text.
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
            top: None,
            fields: OnceCell::new(),
            json: OnceCell::new(),
            cloudevent: OnceCell::new(),
            frameworks: OnceCell::new(),
            trace: OnceCell::new(),
            #[cfg(test)]
            reference: reference::REFERENCE.get(),
        }
    }

    /// Which frameworks' names the event carries (one pass over the headers).
    pub(super) fn marks(&self) -> frameworks::Marks {
        *self.frameworks.get_or_init(|| frameworks::marks(self))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The bytes of the first header with this name (which may not be UTF-8 text).
    pub(super) fn header_raw(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(Header::raw)
            .filter(|v| !v.is_empty())
    }

    pub(super) fn header_names(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().map(|h| &*h.name)
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
    pub(super) fn mentions(&self, names: &[&str]) -> bool {
        self.json_text
            .is_some_and(|t| names.iter().any(|n| t.contains(n)))
    }

    /// The payload's top-level fields when it is a JSON object, parsed at most once.
    pub(super) fn fields(&self) -> Option<&Fields<'a>> {
        self.fields
            .get_or_init(|| {
                if let Some(top) = self.top {
                    return Fields::from_top(self.json_text?, top);
                }
                let text = self.json_text?.trim_start();
                if !text.starts_with('{') {
                    return None;
                }
                Fields::parse(text)
            })
            .as_ref()
    }

    /// The fields, unless the payload is not parsed yet and does not mention any of `names` (so
    /// it cannot hold them written plainly; the lookups below treat an escaped name the same).
    fn fields_mentioning(&self, names: &[&str]) -> Option<&Fields<'a>> {
        if self.fields.get().is_none() && self.top.is_none() && !self.mentions(names) {
            return None;
        }
        self.fields()
    }

    /// A found field counts when the text mentions the names looked for. A key written plainly
    /// is such a mention; only a key written with escapes (`"event\u0049d"`) needs the text
    /// searched, and counts only if some name is written plainly elsewhere: what a search of the
    /// text before parsing it has always decided.
    fn counts(&self, entry: &Entry, names: &[&str]) -> bool {
        entry.literal() || self.mentions(names)
    }

    /// The top-level field `name`, if the payload mentions it.
    pub(super) fn json_field(&self, name: &str) -> Option<&Entry<'a>> {
        let names = [name];
        let e = self.fields_mentioning(&names)?.get(name)?;
        self.counts(e, &names).then_some(e)
    }

    /// The first of `names` in the payload's top level, else in its metadata object, if the
    /// payload mentions any of them.
    pub(super) fn json_any(&self, names: &[&str]) -> Option<String> {
        #[cfg(test)]
        if self.reference {
            return self.reference_json_any(names);
        }
        let f = self.fields_mentioning(names)?;
        let hit = |f: &Fields<'a>| {
            names
                .iter()
                .find_map(|n| f.get(n).and_then(|e| Some((e.literal(), e.text()?))))
        };
        let (literal, text) = hit(f).or_else(|| hit(f.metadata()?))?;
        (literal || self.mentions(names)).then_some(text)
    }

    fn pointer(&self, p: &str) -> Option<String> {
        self.json()?.pointer(p).and_then(value_text)
    }

    fn cloudevent_attr(&self, name: &str) -> Option<String> {
        #[cfg(test)]
        if self.reference {
            return self
                .reference_cloudevent()
                .then(|| self.reference_cloudevent_attr(name))?;
        }
        if !*self
            .cloudevent
            .get_or_init(|| self.json_field("specversion").is_some())
        {
            return None;
        }
        self.fields()?.get(name)?.text()
    }

    fn by_profile(&self, p: Profile, f: Field) -> Option<String> {
        match p {
            Profile::CloudEventsBinary => self.header(match f {
                Field::Id => "ce_id",
                Field::Type => "ce_type",
                Field::Correlation => "ce_correlationid",
                Field::Causation => "ce_causationid",
                Field::Sequence => "ce_sequence",
                Field::Subject => "ce_subject",
            }),
            Profile::CloudEvents => self.cloudevent_attr(match f {
                Field::Id => "id",
                Field::Type => "type",
                Field::Correlation => "correlationid",
                Field::Causation => "causationid",
                Field::Sequence => "sequence",
                Field::Subject => "subject",
            }),
            Profile::NServiceBus => frameworks::nservicebus(self, f),
            Profile::MassTransit => frameworks::masstransit(self, f),
            Profile::Axon => frameworks::axon(self, f),
            Profile::Spring => frameworks::spring(self, f),
            Profile::EventStoreDb => frameworks::eventstoredb(self, f),
            Profile::Common => self.common(f),
            Profile::TraceContext => match f {
                Field::Correlation => self
                    .trace_context()
                    .map(|(t, _)| super::trace_context::trace_hex(t)),
                Field::Id => self.trace_context().map(super::trace_context::derived_id),
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

    /// The valid trace context of the `traceparent`, if any, parsed once.
    pub fn trace_context(&self) -> Option<(u128, u64)> {
        *self
            .trace
            .get_or_init(|| super::trace_context::parse_traceparent(&self.traceparent()?))
    }

    /// The `common` profile: the usual names in headers, then top-level JSON, then `metadata`.
    fn common(&self, f: Field) -> Option<String> {
        let names = match f {
            Field::Id => COMMON_ID,
            Field::Type => {
                return self
                    .headers_any(COMMON_TYPE_HEADERS)
                    .or_else(|| self.json_any(COMMON_TYPE));
            }
            Field::Correlation => COMMON_CORR,
            Field::Causation => COMMON_CAUSE,
            Field::Sequence => COMMON_SEQ,
            Field::Subject => COMMON_SUBJECT,
        };
        self.headers_any(names).or_else(|| self.json_any(names))
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
        ORDER
            .iter()
            .filter(|p| cfg.allows(**p, field))
            .find_map(|p| self.by_profile(*p, field).map(|v| (v, *p)))
    }

    pub fn source(&self) -> Option<String> {
        self.header("ce_source")
            .or_else(|| self.cloudevent_attr("source"))
            .or_else(|| self.headers_any(&["source", "service", "x-source"]))
            .or_else(|| self.header("NServiceBus.OriginatingEndpoint"))
            .or_else(|| frameworks::masstransit_source(self))
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
        if let Some(t) = frameworks::axon_time(self) {
            return Some(t);
        }
        self.json_any(&["time", "timestamp", "occurredAt", "sentTime"])
            .and_then(|t| parse_time(&t))
    }
}

/// Fills the identifying fields an event lacks, records which profile supplied each, and applies
/// overrides. `json_text` is the payload when it may be JSON.
pub fn complete(ev: &mut DecodedEvent, json_text: Option<&str>, cfg: &ProfileConfig) {
    complete_known(ev, json_text, Known::Nothing, cfg);
}

/// What the payload's decoder already knows of its top-level fields.
pub(crate) enum Known<'a> {
    Nothing,
    /// Where they are in the text (Avro records, `schema::avro_plan::Plan::decode_top`).
    Top(&'a [TopField]),
    /// The fields, parsed from the text (a JSON record's value, read once).
    Fields(Fields<'a>),
}

/// [`complete`], with what the payload's decoder knows of its fields (which spares parsing the
/// payload again). The result is the same either way.
pub(crate) fn complete_known(
    ev: &mut DecodedEvent,
    json_text: Option<&str>,
    known: Known,
    cfg: &ProfileConfig,
) {
    let headers = std::mem::take(&mut ev.headers);
    let mut look = Lookup::new(&headers, json_text);
    match known {
        Known::Nothing => {}
        Known::Top(top) => look.top = Some(top),
        Known::Fields(f) => _ = look.fields.set(Some(f)),
    }
    for field in [
        Field::Id,
        Field::Type,
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
    if ev.source.is_none() {
        ev.source = look.source().map(Into::into);
    }
    if ev.time.is_none() {
        ev.time = look.time();
    }
    // Only an id derived from the trace context (now or in a recording) needs it again.
    let context = (ev.provenance.id == Profile::TraceContext
        || super::trace_context::looks_derived(&ev.id))
    .then(|| look.trace_context())
    .flatten();
    drop(look);
    ev.headers = headers;
    if ev.id.is_empty()
        && let (Some(t), Some(p), Some(o)) = (&ev.topic, ev.partition, ev.offset)
    {
        ev.id = format!("{t}/{p}@{o}").into();
        ev.provenance.id = Profile::Transport;
    }
    super::trace_context::finish(ev, context, cfg.spans.as_deref());
}

fn has(ev: &DecodedEvent, f: Field) -> bool {
    match f {
        Field::Id => !ev.id.is_empty(),
        Field::Type => !ev.event_type.is_empty(),
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
        Field::Type => {
            ev.event_type = v.into();
            ev.provenance.event_type = p;
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
mod tests;
