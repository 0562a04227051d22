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
    // MassTransit: conversationId is the flow, correlationId an application value, and
    // initiatorId (a CorrelationId, not a MessageId) is no cause.
    let mut ev = DecodedEvent::default();
    complete(
        &mut ev,
        Some(
            r#"{"messageId":"m-1","messageType":["urn:message:Shop:OrderPlaced"],"correlationId":"saga-1","conversationId":"conv","initiatorId":"init"}"#,
        ),
        &ProfileConfig::default(),
    );
    assert_eq!(ev.event_type.as_ref(), "OrderPlaced");
    assert_eq!(ev.provenance.event_type, Profile::MassTransit);
    assert_eq!(ev.id.as_ref(), "m-1");
    assert_eq!(ev.provenance.id, Profile::MassTransit);
    assert_eq!(ev.correlation_id.as_deref(), Some("conv"));
    assert_eq!(ev.provenance.correlation, Profile::MassTransit);
    assert_eq!(ev.causation_id, None);
    let mut ev = DecodedEvent::default();
    complete(
        &mut ev,
        Some(r#"{"metadata":{"$correlationId":"c","$causationId":"p"}}"#),
        &ProfileConfig::default(),
    );
    assert_eq!(ev.provenance.causation, Profile::EventStoreDb);
    assert_eq!(ev.causation_id.as_deref(), Some("p"));
}
