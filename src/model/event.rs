//! The event as a decoder produces it (owned strings), before the store interns it.

use super::Timestamp;
use serde_json::value::RawValue;

/// A sequence number: integer when it parses as one, else text (compared lexicographically).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sequence {
    Int(i64),
    Text(Box<str>),
}

impl Sequence {
    pub fn from_text(text: &str) -> Sequence {
        match text.trim().parse::<i64>() {
            Ok(n) => Sequence::Int(n),
            Err(_) => Sequence::Text(text.into()),
        }
    }
}

impl std::fmt::Display for Sequence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sequence::Int(n) => write!(f, "{n}"),
            Sequence::Text(t) => write!(f, "{t}"),
        }
    }
}

/// Kafka's timestamp type for the broker timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TsType {
    #[default]
    None,
    Create,
    LogAppend,
}

impl TsType {
    pub fn parse(text: &str) -> TsType {
        match text.to_ascii_lowercase().as_str() {
            "create" | "createtime" | "create_time" => TsType::Create,
            "logappend" | "logappendtime" | "log_append_time" | "append" => TsType::LogAppend,
            _ => TsType::None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TsType::None => "none",
            TsType::Create => "create",
            TsType::LogAppend => "logappend",
        }
    }
}

/// One header. Order is kept and duplicate names are kept. A value that is not UTF-8 is kept as
/// its bytes, never replaced by lossy text (Spring's binary `kafka_dlt-original-offset`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: Box<str>,
    /// The value when it is UTF-8 text; `None` for a null value or a binary one.
    pub value: Option<Box<str>>,
    /// The value's bytes when they are not UTF-8 (then `value` is `None`).
    pub bytes: Option<Box<[u8]>>,
}

impl Header {
    /// A header with a text value.
    pub fn text(name: &str, value: &str) -> Header {
        Header {
            name: name.into(),
            value: Some(value.into()),
            bytes: None,
        }
    }

    /// A header as a client hands it over: text when the bytes are UTF-8, else the bytes.
    pub fn from_bytes(name: &str, value: Option<&[u8]>) -> Header {
        let (value, bytes) = match value.map(std::str::from_utf8) {
            None => (None, None),
            Some(Ok(t)) => (Some(t.into()), None),
            Some(Err(_)) => (None, value.map(Into::into)),
        };
        Header {
            name: name.into(),
            value,
            bytes,
        }
    }

    /// The value's bytes, text or binary; `None` for a null value.
    pub fn raw(&self) -> Option<&[u8]> {
        self.value
            .as_deref()
            .map(str::as_bytes)
            .or(self.bytes.as_deref())
    }
}

#[derive(Clone, Debug, Default)]
pub enum Payload {
    #[default]
    None,
    /// JSON kept as its raw text (validated); pretty-printed or parsed on demand.
    Json(Box<RawValue>),
    /// Anything that is not JSON.
    Bytes(Box<[u8]>),
}

/// Which profile supplied a field (see `decode::profile` for the order they are tried in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
#[repr(u8)]
pub enum Profile {
    #[default]
    None,
    /// An explicit field of the native trace format.
    Native,
    /// CloudEvents structured-mode attribute.
    CloudEvents,
    /// CloudEvents Kafka binary mode (`ce_` headers).
    CloudEventsBinary,
    /// Common header or JSON names (`correlationId`, `x-correlation-id`, `metadata.eventId`, ...).
    Common,
    /// NServiceBus headers (`NServiceBus.MessageId`, `NServiceBus.EnclosedMessageTypes`, ...).
    NServiceBus,
    /// MassTransit's JSON envelope or `MT-` transport headers.
    MassTransit,
    /// Axon Framework's Kafka extension headers (`axon-message-id`, `axon-metadata-traceId`, ...).
    Axon,
    /// Spring Kafka's JSON type header (`__TypeId__`): supplies only the type.
    Spring,
    EventStoreDb,
    /// W3C `traceparent`: the trace id as correlation, `<trace id>-<span id>` as the id (last
    /// resort before the transport).
    TraceContext,
    /// An OpenTelemetry span export (`--spans`): causation from the nearest producer span above
    /// the event's send span, correlation from the trace the chain started in.
    Spans,
    /// Kafka transport data (`topic/partition@offset` as the id).
    Transport,
    /// A user override (`--correlation header:x-corr`, `--causation /meta/parent`).
    Override,
    /// The record's topic name, the type of last resort.
    Topic,
    /// The Avro record name or JSON Schema title of a schema-decoded payload (`decode::schema`).
    Schema,
}

impl Profile {
    /// Every profile, in the order of their discriminants.
    pub const ALL: [Profile; 16] = [
        Profile::None,
        Profile::Native,
        Profile::CloudEvents,
        Profile::CloudEventsBinary,
        Profile::Common,
        Profile::NServiceBus,
        Profile::MassTransit,
        Profile::Axon,
        Profile::Spring,
        Profile::EventStoreDb,
        Profile::TraceContext,
        Profile::Spans,
        Profile::Transport,
        Profile::Override,
        Profile::Topic,
        Profile::Schema,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::None => "none",
            Profile::Native => "native",
            Profile::CloudEvents => "cloudevents",
            Profile::CloudEventsBinary => "cloudevents-binary",
            Profile::Common => "common",
            Profile::NServiceBus => "nservicebus",
            Profile::MassTransit => "masstransit",
            Profile::Axon => "axon",
            Profile::Spring => "spring",
            Profile::EventStoreDb => "eventstoredb",
            Profile::TraceContext => "tracecontext",
            Profile::Spans => "spans",
            Profile::Transport => "transport",
            Profile::Override => "override",
            Profile::Topic => "topic",
            Profile::Schema => "schema",
        }
    }

    /// Whether a causation id from this profile may name a message that never goes to Kafka, so
    /// that a cause never seen is an external trigger rather than a lost event. Axon's Kafka
    /// extension publishes only events, while its causation metadata (`correlationId`, the parent
    /// message) usually names the command the event was applied for
    /// (<https://docs.axoniq.io/reference-guide/axon-framework/messaging-concepts/message-correlation>).
    pub fn cause_may_be_external(self) -> bool {
        self == Profile::Axon
    }
}

/// What read an event's payload (`decode::record`, `decode::schema`): named by `events` and
/// `check --format json`; the inspector shows the longer content type note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
#[repr(u8)]
pub enum PayloadDecoder {
    /// JSON (or a line format whose payload is JSON).
    #[default]
    Json,
    /// No payload (a Kafka tombstone).
    None,
    Avro,
    Protobuf,
    /// JSON Schema wire format: JSON after the 5-byte header.
    JsonSchema,
    /// Protobuf without a descriptor: a field-number tree.
    ProtobufRaw,
    MessagePack,
    Cbor,
    /// UTF-8 text that is not JSON.
    Text,
    /// Anything else: kept as bytes, shown as hex.
    Hex,
}

impl PayloadDecoder {
    pub const ALL: [PayloadDecoder; 10] = [
        PayloadDecoder::Json,
        PayloadDecoder::None,
        PayloadDecoder::Avro,
        PayloadDecoder::Protobuf,
        PayloadDecoder::JsonSchema,
        PayloadDecoder::ProtobufRaw,
        PayloadDecoder::MessagePack,
        PayloadDecoder::Cbor,
        PayloadDecoder::Text,
        PayloadDecoder::Hex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PayloadDecoder::Json => "json",
            PayloadDecoder::None => "none",
            PayloadDecoder::Avro => "avro",
            PayloadDecoder::Protobuf => "protobuf",
            PayloadDecoder::JsonSchema => "json-schema",
            PayloadDecoder::ProtobufRaw => "protobuf-raw",
            PayloadDecoder::MessagePack => "msgpack",
            PayloadDecoder::Cbor => "cbor",
            PayloadDecoder::Text => "text",
            PayloadDecoder::Hex => "hex",
        }
    }
}

/// Which profile found each of the identifying fields, and the type; and what read the payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    pub id: Profile,
    pub event_type: Profile,
    pub correlation: Profile,
    pub causation: Profile,
    pub sequence: Profile,
    pub subject: Profile,
    pub payload: PayloadDecoder,
}

/// Bits of one field in [`Provenance::pack`]: every profile and every payload decoder fits.
const PROVENANCE_FIELD_BITS: u32 = 4;
const _: () = assert!(Profile::ALL.len() <= 1 << PROVENANCE_FIELD_BITS);
const _: () = assert!(PayloadDecoder::ALL.len() <= 1 << PROVENANCE_FIELD_BITS);

impl Provenance {
    /// Bits [`Provenance::pack`] uses (the store keeps other small fields above them).
    pub const PACKED_BITS: u32 = 7 * PROVENANCE_FIELD_BITS;

    /// The seven fields in the low 28 bits, four bits each (the store's records are smaller so).
    pub fn pack(self) -> u32 {
        [
            self.id as u8,
            self.event_type as u8,
            self.correlation as u8,
            self.causation as u8,
            self.sequence as u8,
            self.subject as u8,
            self.payload as u8,
        ]
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &v)| {
            acc | u32::from(v) << (i as u32 * PROVENANCE_FIELD_BITS)
        })
    }

    /// The inverse of [`Provenance::pack`] (bits above [`Provenance::PACKED_BITS`] are ignored).
    pub fn unpack(bits: u32) -> Provenance {
        let field = |i: u32| ((bits >> (i * PROVENANCE_FIELD_BITS)) & 0xf) as usize;
        Provenance {
            id: Profile::ALL[field(0)],
            event_type: Profile::ALL[field(1)],
            correlation: Profile::ALL[field(2)],
            causation: Profile::ALL[field(3)],
            sequence: Profile::ALL[field(4)],
            subject: Profile::ALL[field(5)],
            payload: PayloadDecoder::ALL[field(6).min(PayloadDecoder::ALL.len() - 1)],
        }
    }
}

/// An event as decoded, with owned strings. The store interns it into a compact record.
#[derive(Clone, Debug, Default)]
pub struct DecodedEvent {
    pub id: Box<str>,
    pub event_type: Box<str>,
    pub source: Option<Box<str>>,
    pub time: Option<Timestamp>,
    pub correlation_id: Option<Box<str>>,
    pub causation_id: Option<Box<str>>,
    pub sequence: Option<Sequence>,
    pub subject: Option<Box<str>>,
    pub topic: Option<Box<str>>,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    pub key: Option<Box<str>>,
    pub broker_ts: Option<Timestamp>,
    pub ts_type: TsType,
    pub observed_at: Option<Timestamp>,
    pub headers: Vec<Header>,
    pub content_type: Option<Box<str>>,
    pub payload: Payload,
    /// Hash of the payload bytes, used to tell a duplicate from a conflicting one.
    pub data_hash: u64,
    pub provenance: Provenance,
    /// 1-based line in the input (0 for live sources).
    pub line: u64,
}

impl DecodedEvent {
    /// What the headers say about this event being a dead letter, if anything.
    pub fn dead_letter_evidence(&self) -> Option<String> {
        dead_letter_evidence(self.headers.iter().map(|h| (&*h.name, h.raw())))
    }

    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
    }
}

/// Header names that mark a dead letter (Spring Kafka, Kafka Connect, RabbitMQ-style, MassTransit,
/// NServiceBus).
pub const DEAD_LETTER_HEADERS: &[&str] = &[
    "kafka_dlt-exception-message",
    "kafka_dlt-original-topic",
    "kafka_dlt-exception-fqcn",
    "__connect.errors.topic",
    "__connect.errors.exception.message",
    "x-dead-letter-reason",
    "x-death",
    "dlq-reason",
    "x-dlq-reason",
    "dead-letter-reason",
    "MT-Fault-Message",
    "NServiceBus.ExceptionInfo.Message",
    "NServiceBus.FailedQ",
];

/// What a list of `(name, value bytes)` headers says about an event being a dead letter, if
/// anything: the header that says so, the original topic and position (Spring's binary
/// `kafka_dlt-original-partition`/`-offset`/`-timestamp` decoded as numbers) and the reason.
pub fn dead_letter_evidence<'a, I>(headers: I) -> Option<String>
where
    I: Iterator<Item = (&'a str, Option<&'a [u8]>)> + Clone,
{
    let (name, _) = headers.clone().find(|(name, _)| {
        // Every dead-letter header name is at least 6 bytes long and starts with one of these.
        name.len() >= 6
            && matches!(
                name.as_bytes()[0].to_ascii_lowercase(),
                b'k' | b'_' | b'x' | b'd' | b'm' | b'n'
            )
            && DEAD_LETTER_HEADERS
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
    })?;
    let raw_of = |wanted: &str| {
        headers
            .clone()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .and_then(|(_, v)| v)
            .filter(|v| !v.is_empty())
    };
    let value_of = |wanted: &str| raw_of(wanted).and_then(|v| std::str::from_utf8(v).ok());
    let reason = [
        "kafka_dlt-exception-message",
        "__connect.errors.exception.message",
        "MT-Fault-Message",
        "NServiceBus.ExceptionInfo.Message",
        "x-dead-letter-reason",
        "dlq-reason",
        "x-dlq-reason",
        "dead-letter-reason",
    ]
    .iter()
    .find_map(|n| value_of(n));
    let original = ["kafka_dlt-original-topic", "__connect.errors.topic"]
        .iter()
        .find_map(|n| value_of(n));
    let mut text = format!("dead-letter header {name}");
    if let Some(o) = original {
        text.push_str(&format!("; original topic {o}"));
    }
    text.push_str(&super::header_value::original_position(&raw_of));
    if let Some(r) = reason {
        let r: String = r.chars().take(120).collect();
        text.push_str(&format!("; reason: {r}"));
    }
    Some(text)
}
