//! Events that carry only a W3C trace context (`traceparent`, as OpenTelemetry's Kafka
//! instrumentations inject it: <https://www.w3.org/TR/trace-context/#traceparent-header>,
//! <https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/#context-propagation>).
//!
//! - Id: `<trace id>-<span id>` of the `traceparent` (profile `tracecontext`), stable and known
//!   to whoever holds the span, so a cause can be named before or after it arrives. The span id
//!   is the producer's send span: `opentelemetry-instrumentation-confluent-kafka` injects the
//!   context inside the PRODUCER span it starts for `produce` (checked against 0.66b1).
//! - With `--spans`: the cause is the event whose send span is the nearest producer ancestor of
//!   this event's send span, and the correlation is the trace the chain started in (profile
//!   `spans`), so a consumer span in a new trace with a link does not split a flow.
//! - An event without an id of its own (`tracecontext` or `transport`) gets a content hash over
//!   topic, key, value and headers other than `traceparent`/`tracestate`/`baggage` (W3C Trace
//!   Context and Baggage, <https://www.w3.org/TR/baggage/>), so an exact re-send, which gets a new
//!   send span and therefore a new id, is still recognised as a duplicate.

use super::spans::SpanIndex;
use crate::model::{DecodedEvent, Profile};
use std::hash::Hasher;

/// The headers that carry trace context rather than content.
pub const TRACE_CONTEXT_HEADERS: [&str; 3] = ["traceparent", "tracestate", "baggage"];

/// The trace id and parent (span) id of a `traceparent` value, `None` unless valid: version
/// 2 hex digits other than `ff`, 32 hex trace id and 16 hex span id, neither all zeros.
pub fn parse_traceparent(tp: &str) -> Option<(u128, u64)> {
    let mut parts = tp.trim().split('-');
    let version = parts.next()?;
    let trace = parts.next()?;
    let span = parts.next()?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex(version, 2) || version.eq_ignore_ascii_case("ff") || !hex(trace, 32) || !hex(span, 16) {
        return None;
    }
    let t = u128::from_str_radix(trace, 16).ok().filter(|t| *t != 0)?;
    let s = u64::from_str_radix(span, 16).ok().filter(|s| *s != 0)?;
    Some((t, s))
}

pub fn trace_hex(t: u128) -> String {
    format!("{t:032x}")
}

/// The id an event with this trace context and no id of its own gets.
pub fn derived_id((trace, span): (u128, u64)) -> String {
    format!("{trace:032x}-{span:016x}")
}

/// Whether a text has the form of a derived id (`<32 hex>-<16 hex>`), cheaply.
pub fn looks_derived(id: &str) -> bool {
    id.len() == 49
        && id.as_bytes()[32] == b'-'
        && id
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 32 || b.is_ascii_hexdigit())
}

/// The content hash of an event without an id of its own: the payload's hash, topic, key and the
/// headers in order, trace-context headers left out.
fn content_hash(ev: &DecodedEvent) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write_u64(ev.data_hash);
    for part in [ev.topic.as_deref(), ev.key.as_deref()] {
        match part {
            Some(s) => {
                h.write_u8(1);
                h.write(s.as_bytes());
                h.write_usize(s.len());
            }
            None => h.write_u8(0),
        }
    }
    for header in &ev.headers {
        if TRACE_CONTEXT_HEADERS
            .iter()
            .any(|n| header.name.eq_ignore_ascii_case(n))
        {
            continue;
        }
        h.write(header.name.as_bytes());
        h.write_usize(header.name.len());
        match header.raw() {
            Some(v) => {
                h.write_u8(1);
                h.write(v);
                h.write_usize(v.len());
            }
            None => h.write_u8(0),
        }
    }
    h.finish()
}

/// Runs after the profiles: credits a written-out derived id (a recording's) to the profile that
/// derives it, hashes the content of events without an id of their own, and applies the spans.
/// `context` is the event's valid trace context, if any.
pub fn finish(ev: &mut DecodedEvent, context: Option<(u128, u64)>, spans: Option<&SpanIndex>) {
    if let Some(ctx) = context {
        // A recording writes the id and correlation it derived; reading it back credits them to
        // the same profile the live session did.
        if ev.provenance.id == Profile::Native && looks_derived(&ev.id) && *ev.id == derived_id(ctx)
        {
            ev.provenance.id = Profile::TraceContext;
        }
        if ev.provenance.correlation == Profile::Native
            && ev.correlation_id.as_deref() == Some(&trace_hex(ctx.0))
        {
            ev.provenance.correlation = Profile::TraceContext;
        }
    }
    if ev.provenance.id == Profile::Native
        && let (Some(t), Some(p), Some(o)) = (&ev.topic, ev.partition, ev.offset)
        && ev.id.contains('@')
        && *ev.id == format!("{t}/{p}@{o}")
    {
        ev.provenance.id = Profile::Transport;
    }
    if matches!(ev.provenance.id, Profile::TraceContext | Profile::Transport) {
        ev.data_hash = content_hash(ev);
    }
    let (Some(ctx), Some(spans)) = (context, spans) else {
        return;
    };
    if ev.provenance.id != Profile::TraceContext || ev.causation_id.is_some() {
        return;
    }
    let Some(found) = spans.resolve(ctx.0, ctx.1) else {
        return;
    };
    if matches!(
        ev.provenance.correlation,
        Profile::TraceContext | Profile::None
    ) {
        ev.correlation_id = Some(trace_hex(found.origin).into());
        ev.provenance.correlation = Profile::Spans;
    }
    if let Some(cause) = found.cause {
        ev.causation_id = Some(derived_id(cause).into());
        ev.provenance.causation = Profile::Spans;
    }
}

/// Whether the analysis should say that causation is unknown rather than absent: nothing named a
/// cause and the event was placed in its flow by its trace id alone.
pub fn causation_unknown(correlation: Profile, causation: Profile) -> bool {
    causation == Profile::None && correlation == Profile::TraceContext
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AnomalyKind, Config, Engine};
    use crate::decode::profile::ProfileConfig;
    use crate::decode::record::{RawRecord, decode};
    use crate::decode::{Format, LineDecoder, LineOutcome, native_write};
    use crate::model::Header;
    use std::sync::Arc;

    const T1: &str = "0af7651916cd43dd8448eb211c80319c";
    const T2: &str = "1bf7651916cd43dd8448eb211c80319c";

    fn tp(trace: &str, span: &str) -> String {
        format!("00-{trace}-{span}-01")
    }

    fn record(
        offset: i64,
        traceparent: &str,
        value: &str,
        extra: &[(&str, &str)],
    ) -> RawRecord<'static> {
        let mut headers = vec![Header::text("traceparent", traceparent)];
        for (n, v) in extra {
            headers.push(Header::text(n, v));
        }
        RawRecord {
            topic: Some("orders"),
            partition: Some(0),
            offset: Some(offset),
            key: Some(b"ord-1"),
            headers,
            value: Some(Box::leak(value.to_string().into_boxed_str()).as_bytes()),
            ..Default::default()
        }
    }

    /// Two sends: the second's span is a child of a consumer span (new trace) linked to the
    /// first's send span, as the confluent-kafka instrumentation's default consumer span does.
    fn spans() -> Arc<SpanIndex> {
        let text = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[
            {{"traceId":"{T1}","spanId":"00000000000000b1","kind":4}},
            {{"traceId":"{T2}","spanId":"00000000000000d2","kind":5,"links":[{{"traceId":"{T1}","spanId":"00000000000000b1"}}]}},
            {{"traceId":"{T2}","spanId":"00000000000000e2","parentSpanId":"00000000000000d2","kind":4}}]}}]}}]}}"#
        );
        Arc::new(SpanIndex::parse(&[("s.json", text.as_bytes())]))
    }

    #[test]
    fn traceparent_parsing_follows_the_spec() {
        let ok = tp(T1, "00f067aa0ba902b7");
        assert!(parse_traceparent(&ok).is_some());
        assert!(parse_traceparent(&ok.replace("00-", "ff-")).is_none());
        assert!(parse_traceparent(&tp(&"0".repeat(32), "00f067aa0ba902b7")).is_none());
        assert!(parse_traceparent(&tp(T1, "0000000000000000")).is_none());
        assert!(parse_traceparent(&tp(T1, "00f067aa0ba902")).is_none());
        assert!(parse_traceparent("garbage").is_none());
        let id = derived_id(parse_traceparent(&ok).unwrap());
        assert_eq!(id, format!("{T1}-00f067aa0ba902b7"));
        assert!(looks_derived(&id));
        assert!(!looks_derived("orders/0@1"));
    }

    #[test]
    fn ids_from_the_trace_context_and_causation_from_spans() {
        let plain = ProfileConfig::default();
        let (a, _) = decode(
            record(1, &tp(T1, "00000000000000b1"), "{}", &[]),
            &plain,
            true,
        )
        .unwrap();
        assert_eq!(&*a.id, format!("{T1}-00000000000000b1"));
        assert_eq!(a.provenance.id, Profile::TraceContext);
        assert_eq!(a.correlation_id.as_deref(), Some(T1));
        assert_eq!(a.provenance.correlation, Profile::TraceContext);
        assert!(causation_unknown(
            a.provenance.correlation,
            a.provenance.causation
        ));

        let cfg = ProfileConfig {
            spans: Some(spans()),
            ..Default::default()
        };
        let (b, _) = decode(
            record(2, &tp(T2, "00000000000000e2"), "{}", &[]),
            &cfg,
            true,
        )
        .unwrap();
        assert_eq!(
            b.correlation_id.as_deref(),
            Some(T1),
            "the originating trace"
        );
        assert_eq!(b.provenance.correlation, Profile::Spans);
        assert_eq!(b.causation_id.as_deref(), Some(&*a.id));
        assert_eq!(b.provenance.causation, Profile::Spans);
        assert!(!causation_unknown(
            b.provenance.correlation,
            b.provenance.causation
        ));
        // An event with an id of its own keeps its fields.
        let rec = record(3, &tp(T2, "00000000000000e2"), "{}", &[("ce_id", "own")]);
        let (c, _) = decode(rec, &cfg, true).unwrap();
        assert_eq!(&*c.id, "own");
        assert!(c.causation_id.is_none());
    }

    #[test]
    fn a_recording_reads_back_with_the_same_profiles_and_spans() {
        let cfg = ProfileConfig {
            spans: Some(spans()),
            ..Default::default()
        };
        let (live, _) = decode(
            record(2, &tp(T2, "00000000000000e2"), "{\"n\":1}", &[]),
            &ProfileConfig::default(),
            true,
        )
        .unwrap();
        let mut line = String::new();
        native_write::write_event(&live, &mut line);
        for (profiles, correlation) in [(ProfileConfig::default(), T2), (cfg, T1)] {
            let d = LineDecoder::new(Format::Native, profiles, false);
            let LineOutcome::Event(back) = d.decode_line(line.as_bytes(), 1) else {
                panic!("{line}")
            };
            assert_eq!(back.provenance.id, Profile::TraceContext);
            assert_eq!(back.correlation_id.as_deref(), Some(correlation));
            assert_eq!(back.data_hash, live.data_hash);
        }
    }

    fn run(records: Vec<RawRecord>) -> Engine {
        let mut e = Engine::new(Config::default());
        for r in records {
            let (ev, _) = decode(r, &ProfileConfig::default(), false).unwrap();
            e.push(ev, 0);
        }
        e.finish(None);
        e
    }

    fn kinds(e: &Engine) -> Vec<(AnomalyKind, String)> {
        e.anomalies
            .active()
            .map(|(_, a)| (a.kind, a.message.clone()))
            .collect()
    }

    #[test]
    fn an_exact_resend_without_an_id_of_its_own_is_a_duplicate() {
        let e = run(vec![
            record(1, &tp(T1, "00000000000000b1"), "{\"n\":1}", &[("h", "x")]),
            // Re-sent: new send span, same everything else.
            record(
                2,
                &tp(T1, "00000000000000b2"),
                "{\"n\":1}",
                &[("h", "x"), ("tracestate", "a=b")],
            ),
            // Other value, other header value, other key: not duplicates.
            record(3, &tp(T1, "00000000000000b3"), "{\"n\":2}", &[("h", "x")]),
            record(4, &tp(T1, "00000000000000b4"), "{\"n\":1}", &[("h", "y")]),
        ]);
        let found = kinds(&e);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, AnomalyKind::Duplicate);
        assert!(
            found[0].1.contains(&format!(
                "same topic, key, value and headers as {T1}-00000000000000b1"
            )) && found[0].1.contains("except trace context"),
            "{}",
            found[0].1
        );
        // No trace context at all: ids are Kafka positions, the same rule holds.
        let mut plain = record(1, "", "{}", &[]);
        plain.headers.clear();
        let mut again = plain.clone();
        again.offset = Some(9);
        let e = run(vec![plain, again]);
        assert_eq!(kinds(&e).len(), 1);
    }

    #[test]
    fn trace_context_only_events_are_never_orphans() {
        let e = run(vec![
            record(1, &tp(T1, "00000000000000b1"), "{\"n\":1}", &[]),
            record(2, &tp(T1, "00000000000000b2"), "{\"n\":2}", &[]),
            record(3, &tp(T2, "00000000000000b3"), "{\"n\":3}", &[]),
        ]);
        assert!(kinds(&e).is_empty(), "{:?}", kinds(&e));
        assert_eq!(e.flows.len(), 2, "one flow per trace");
    }
}
