//! Framework profiles: where each messaging framework's wire format puts an event's id,
//! correlation, causation, sequence, subject and type. One table per framework, each checked
//! against the framework's own documentation (cited above it). `profile.rs` decides the order in
//! which the profiles are tried (README, "Correlation profiles").

use super::profile::{Field, Lookup, Slot};
use crate::model::{header_number, parse_time};

/// The simple name of a qualified type name: `com.shop.OrderPlaced` -> `OrderPlaced`,
/// `Shop.Events+OrderPlaced` (a .NET nested type) -> `OrderPlaced`, `Outer$Inner` (Java) ->
/// `Inner`, `urn:message:Shop:OrderPlaced` -> `OrderPlaced`.
pub(super) fn simple_name(qualified: &str) -> String {
    let t = qualified.trim();
    t.rsplit(['.', '+', '$', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(t)
        .to_string()
}

/// NServiceBus message headers
/// (<https://docs.particular.net/nservicebus/messaging/headers>): `NServiceBus.MessageId`,
/// `NServiceBus.ConversationId` (the conversation: the flow), `NServiceBus.RelatedTo` (the
/// message whose handling sent this one: the cause) and `NServiceBus.EnclosedMessageTypes`, the
/// message's .NET type names (`Ns.OrderPlaced, Assembly, Version=...`; several separated by `;`,
/// the most specific first).
pub(super) fn nservicebus(l: &Lookup, f: Field) -> Option<String> {
    if !l.marks().nservicebus {
        return None;
    }
    match f {
        Field::Id => l.header("NServiceBus.MessageId"),
        Field::Correlation => l.header("NServiceBus.ConversationId"),
        Field::Causation => l.header("NServiceBus.RelatedTo"),
        Field::Type => l.header("NServiceBus.EnclosedMessageTypes").map(|t| {
            let first = t.split([';', ',']).next().unwrap_or(&t);
            simple_name(first)
        }),
        Field::Sequence | Field::Subject => None,
    }
}

/// Which frameworks' names an event carries, found in one pass over its header names (and a
/// look at the payload only for the two that put their names there), so that events of other
/// conventions pay one scan, not one per field and framework.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Marks {
    nservicebus: bool,
    masstransit: bool,
    axon: bool,
    spring: bool,
    eventstoredb: bool,
}

fn starts_with_ci(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// MassTransit is recognised by a JSON envelope (top-level `messageType` array of `urn:message:`
/// names), an `MT-` transport header (`MT-MessageType`, `MT-InitiatorId`, `MT-Host-*`, ...), or
/// both `MessageId` and `ConversationId` transport headers.
pub(super) fn marks(l: &Lookup) -> Marks {
    let mut m = Marks::default();
    let (mut message_id, mut conversation_id) = (false, false);
    for n in l.header_names() {
        m.nservicebus |= starts_with_ci(n, "NServiceBus.");
        m.masstransit |= starts_with_ci(n, "MT-");
        m.axon |= starts_with_ci(n, "axon-");
        m.spring |= n.eq_ignore_ascii_case("__TypeId__");
        m.eventstoredb |= n.starts_with('$');
        message_id |= n.eq_ignore_ascii_case("MessageId");
        conversation_id |= n.eq_ignore_ascii_case("ConversationId");
    }
    m.masstransit |= message_id && conversation_id;
    m.masstransit = m.masstransit || envelope(l);
    // EventStoreDB's names in the payload are looked up by `eventstoredb` itself (before
    // `profile/fields.rs`, a search of the text for them set the mark: the reference does).
    #[cfg(test)]
    if l.reference {
        m.eventstoredb = m.eventstoredb || l.reference_eventstoredb();
    }
    m
}

/// Whether the payload is a MassTransit envelope: a top-level `messageType` array.
fn envelope(l: &Lookup) -> bool {
    #[cfg(test)]
    if l.reference {
        return l.reference_masstransit();
    }
    l.json_field("messageType")
        .is_some_and(|e| matches!(e.slot, Slot::Array(_)))
}

/// MassTransit's message envelope and headers
/// (<https://masstransit.io/documentation/concepts/messages#message-headers>; the envelope is
/// the default `application/vnd.masstransit+json` serializer,
/// <https://masstransit.io/architecture/interoperability>): `messageId` is the id and
/// `conversationId`, which MassTransit copies from message to message, the flow. `correlationId`
/// is an application value (a saga's id, `CorrelatedBy<Guid>`), not the flow. There is no
/// causation: `initiatorId` holds "the CorrelationId of the message" being consumed (or the
/// saga's), not its MessageId (MassTransit's `MessageContext.InitiatorId`), so it never reliably
/// names the parent message and is not used. The type is the first of `messageType`
/// (`urn:message:Ns:OrderPlaced`) or of the `MT-MessageType` header (`;`-separated).
pub(super) fn masstransit(l: &Lookup, f: Field) -> Option<String> {
    if !l.marks().masstransit {
        return None;
    }
    let (header, json) = match f {
        Field::Id => ("MessageId", "messageId"),
        Field::Correlation => ("ConversationId", "conversationId"),
        Field::Type => {
            let urn = l
                .header("MT-MessageType")
                .and_then(|t| t.split(';').next().map(str::to_string))
                .or_else(|| {
                    #[cfg(test)]
                    if l.reference {
                        return l.reference_message_type();
                    }
                    match &l.fields()?.get("messageType")?.slot {
                        Slot::Array(first) => first.as_deref().map(str::to_string),
                        _ => None,
                    }
                })?;
            return Some(simple_name(&urn));
        }
        Field::Causation | Field::Sequence | Field::Subject => return None,
    };
    l.header(header).or_else(|| l.json_any(&[json]))
}

/// MassTransit's source: the endpoint name, the last path segment of the envelope's
/// `sourceAddress` or of the `MT-Source-Address` header (`rabbitmq://host/vhost/order-service?x=y`
/// -> `order-service`).
pub(super) fn masstransit_source(l: &Lookup) -> Option<String> {
    if !l.marks().masstransit {
        return None;
    }
    let address = l
        .header("MT-Source-Address")
        .or_else(|| l.json_any(&["sourceAddress"]))?;
    let path = address.split(['?', '#']).next().unwrap_or(&address);
    let name = path.trim_end_matches('/').rsplit('/').next()?;
    (!name.is_empty() && !name.ends_with(':')).then(|| name.to_string())
}

/// Axon Framework's Kafka extension
/// (<https://docs.axoniq.io/kafka-extension-reference/development/message-format>; the headers are
/// written by `HeaderUtils.toHeaders`,
/// <https://github.com/AxonFramework/extension-kafka/blob/main/kafka/src/main/java/org/axonframework/extensions/kafka/eventhandling/HeaderUtils.java>):
/// `axon-message-id`, `axon-message-type` (the
/// serialized type name, e.g. `com.shop.OrderPlaced`), `axon-message-aggregate-id` and
/// `axon-message-aggregate-seq` (an 8-byte big-endian long), and each metadata entry as
/// `axon-metadata-<key>`. Axon 4's `MessageOriginProvider`
/// (<https://docs.axoniq.io/reference-guide/axon-framework/messaging-concepts/message-correlation>)
/// sets `traceId` to the root message's id (the flow) and `correlationId` to the parent message's
/// id (the cause). Axon 5 renamed them
/// (<https://docs.axoniq.io/axon-framework-reference/development/messaging-concepts/message-correlation/>):
/// `correlationId` is the root and `causationId` the parent; a `causationId` entry selects that
/// reading. The parent is often a command, which the extension never publishes: see
/// [`crate::model::Profile::cause_may_be_external`].
pub(super) fn axon(l: &Lookup, f: Field) -> Option<String> {
    if !l.marks().axon {
        return None;
    }
    let axon5 = || l.header("axon-metadata-causationId").is_some();
    match f {
        Field::Id => l.header("axon-message-id"),
        Field::Correlation if axon5() => l.header("axon-metadata-correlationId"),
        Field::Correlation => l.header("axon-metadata-traceId"),
        Field::Causation if axon5() => l.header("axon-metadata-causationId"),
        Field::Causation => l.header("axon-metadata-correlationId"),
        Field::Subject => l.header("axon-message-aggregate-id"),
        Field::Sequence => l
            .header_raw("axon-message-aggregate-seq")
            .and_then(header_number)
            .map(|n| n.to_string()),
        // Axon 5 writes `Name#version` (a `MessageType`): the version is not part of the name.
        Field::Type => l
            .header("axon-message-type")
            .map(|t| simple_name(t.split('#').next().unwrap_or(&t))),
    }
}

/// Axon's `axon-message-timestamp`: epoch milliseconds as an 8-byte big-endian long
/// (`HeaderUtils.addHeader` of an `Instant`), or ISO-8601 text from older converters.
pub(super) fn axon_time(l: &Lookup) -> Option<i64> {
    if !l.marks().axon {
        return None;
    }
    let raw = l.header_raw("axon-message-timestamp")?;
    match header_number(raw) {
        Some(ms) => ms.checked_mul(1_000_000),
        None => parse_time(std::str::from_utf8(raw).ok()?),
    }
}

/// Spring Kafka's `JsonSerializer` (<https://docs.spring.io/spring-kafka/reference/kafka/serdes.html#json-serde>)
/// adds the value's Java type in the `__TypeId__` header (a class name, or the token of a
/// configured type mapping). It supplies only the type; Spring's dead-letter headers
/// (`kafka_dlt-*`) are read by `model::dead_letter_evidence`.
pub(super) fn spring(l: &Lookup, f: Field) -> Option<String> {
    match f {
        Field::Type if l.marks().spring => l.header("__TypeId__").map(|t| simple_name(&t)),
        _ => None,
    }
}

/// EventStoreDB's reserved metadata (<https://developers.eventstore.com/server/v24.10/features/projections/system#by-correlation-id>,
/// <https://developers.eventstore.com/clients/grpc/appending-events#working-with-metadata>):
/// `$correlationId` and `$causationId`, in headers, the JSON or its metadata object.
pub(super) fn eventstoredb(l: &Lookup, f: Field) -> Option<String> {
    let name = match f {
        Field::Correlation => "$correlationId",
        Field::Causation => "$causationId",
        _ => return None,
    };
    #[cfg(test)]
    if l.reference {
        return l
            .marks()
            .eventstoredb
            .then(|| l.header(name).or_else(|| l.json_any(&[name])))?;
    }
    // The mark (a header name starting with `$`) spares the header search.
    let header = || l.marks().eventstoredb.then(|| l.header(name)).flatten();
    header().or_else(|| l.json_any(&[name]))
}

#[cfg(test)]
mod tests {
    use super::simple_name;
    use crate::decode::profile::{ProfileConfig, complete};
    use crate::model::{DecodedEvent, Header, Profile, Sequence};

    fn event(headers: &[(&str, &[u8])], json: Option<&str>, cfg: &ProfileConfig) -> DecodedEvent {
        let mut ev = DecodedEvent {
            headers: headers
                .iter()
                .map(|(n, v)| Header::from_bytes(n, Some(v)))
                .collect(),
            ..Default::default()
        };
        complete(&mut ev, json, cfg);
        ev
    }

    #[test]
    fn axon_4_headers() {
        let ev = event(
            &[
                ("axon-message-id", b"e-2"),
                ("axon-message-type", b"com.shop.events.PaymentProcessed"),
                ("axon-message-aggregate-id", b"ord-1"),
                ("axon-message-aggregate-seq", &3i64.to_be_bytes()),
                ("axon-metadata-traceId", b"cmd-1"),
                ("axon-metadata-correlationId", b"e-1"),
                ("correlationId", b"not-the-flow"),
            ],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.id.as_ref(), "e-2");
        assert_eq!(ev.event_type.as_ref(), "PaymentProcessed");
        assert_eq!(ev.provenance.event_type, Profile::Axon);
        assert_eq!(ev.correlation_id.as_deref(), Some("cmd-1"));
        assert_eq!(ev.provenance.correlation, Profile::Axon);
        assert_eq!(ev.causation_id.as_deref(), Some("e-1"));
        assert_eq!(ev.provenance.causation, Profile::Axon);
        assert!(ev.provenance.causation.cause_may_be_external());
        assert_eq!(ev.subject.as_deref(), Some("ord-1"));
        assert_eq!(ev.sequence, Some(Sequence::Int(3)));
        let ev = event(
            &[(
                "axon-message-timestamp",
                &1_767_225_600_123i64.to_be_bytes(),
            )],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.time, Some(1_767_225_600_123_000_000));
        let ev = event(
            &[("axon-message-timestamp", b"2026-01-01T00:00:00.123Z")],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.time, Some(1_767_225_600_123_000_000));
    }

    #[test]
    fn axon_5_names_correlation_the_root_and_causation_the_parent() {
        let ev = event(
            &[
                ("axon-message-id", b"e-2"),
                ("axon-message-type", b"shop.OrderPlaced#1.0.0"),
                ("axon-metadata-correlationId", b"root"),
                ("axon-metadata-causationId", b"parent"),
            ],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.correlation_id.as_deref(), Some("root"));
        assert_eq!(ev.causation_id.as_deref(), Some("parent"));
    }

    #[test]
    fn masstransit_headers_and_types() {
        let ev = event(
            &[
                ("MessageId", b"m-1"),
                ("CorrelationId", b"saga"),
                ("ConversationId", b"conv"),
                ("InitiatorId", b"saga"),
                (
                    "MT-MessageType",
                    b"urn:message:Shop:OrderPlaced;urn:message:Shop:IEvent",
                ),
            ],
            Some(r#"{"orderId":"o-1"}"#),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.id.as_ref(), "m-1");
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.correlation_id.as_deref(), Some("conv"));
        assert_eq!(ev.causation_id, None);
        let ev = event(
            &[],
            Some(
                r#"{"messageId":"m","messageType":[],"sourceAddress":"rabbitmq://mq/shop/order-service?temporary=true"}"#,
            ),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.source.as_deref(), Some("order-service"));
        // Without a MassTransit marker, `ConversationId` is not MassTransit's.
        let ev = event(
            &[("ConversationId", b"conv"), ("CorrelationId", b"c")],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.correlation_id.as_deref(), Some("c"));
        assert_eq!(ev.provenance.correlation, Profile::Common);
        // MassTransit's transport headers without an `MT-` one.
        let ev = event(
            &[
                ("MessageId", b"m"),
                ("ConversationId", b"conv"),
                ("CorrelationId", b"c"),
            ],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.correlation_id.as_deref(), Some("conv"));
        assert_eq!(ev.provenance.correlation, Profile::MassTransit);
    }

    #[test]
    fn spring_and_nservicebus_types_and_the_type_override() {
        let ev = event(
            &[
                ("__TypeId__", b"com.shop.OrderPlaced"),
                ("type", b"generic"),
            ],
            Some(r#"{"eventId":"e-1","kind":"Placed"}"#),
            &ProfileConfig::default(),
        );
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.provenance.event_type, Profile::Spring);
        let ev = event(
            &[(
                "NServiceBus.EnclosedMessageTypes",
                b"Shop.Messages.OrderPlaced, Shop.Messages, Version=1.0.0.0;Shop.IEvent, Shop",
            )],
            None,
            &ProfileConfig::default(),
        );
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
        assert_eq!(ev.provenance.event_type, Profile::NServiceBus);
        let cfg = ProfileConfig {
            event_type: Some("/kind".parse().unwrap()),
            only: Some(Profile::Common),
            ..Default::default()
        };
        let ev = event(
            &[("__TypeId__", b"com.shop.OrderPlaced")],
            Some(r#"{"kind":"Placed"}"#),
            &cfg,
        );
        assert_eq!(ev.event_type.as_ref(), "Placed");
        assert_eq!(ev.provenance.event_type, Profile::Override);
        // `--profile` restricts the ids, not the type.
        let only = ProfileConfig {
            only: Some(Profile::Common),
            ..Default::default()
        };
        let ev = event(&[("__TypeId__", b"com.shop.OrderPlaced")], None, &only);
        assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
    }

    #[test]
    fn simple_names() {
        assert_eq!(simple_name("com.shop.OrderPlaced"), "OrderPlaced");
        assert_eq!(
            simple_name("urn:message:Shop.Events:OrderPlaced"),
            "OrderPlaced"
        );
        assert_eq!(simple_name("Shop.Events+OrderPlaced "), "OrderPlaced");
        assert_eq!(simple_name("com.shop.Events$OrderPlaced"), "OrderPlaced");
        assert_eq!(simple_name("orderPlaced"), "orderPlaced");
    }
}
