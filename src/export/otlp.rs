//! `otlp`: OTLP/JSON (`{"resourceSpans":[...]}`, the OpenTelemetry protocol's JSON encoding:
//! <https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>), which Jaeger and Grafana
//! Tempo import.
//!
//! - One trace per flow: trace id = the first 16 bytes of SHA-256 of the correlation id (the
//!   flow's key), so the same flow gets the same trace id in every export.
//! - One span per event: span id = the first 8 bytes of SHA-256 of correlation id, NUL, event id
//!   (and, for a repeat of an id — a duplicate or a dead-letter copy — NUL and its arrival index);
//!   name = event type; resource `service.name` = the event's source (`unknown_service` without
//!   one); start = the event's time; end = its earliest child's time (never before the start),
//!   else the start; parent = the span of the event its causation id names when that is in the
//!   same flow, a span link when it is in another flow, the attribute `eventscope.causation_id`
//!   alone when no such event was seen.
//! - Kafka position as messaging semantic-convention attributes
//!   (<https://opentelemetry.io/docs/specs/semconv/messaging/kafka/>): `messaging.system`,
//!   `messaging.destination.name` (topic), `messaging.destination.partition.id`,
//!   `messaging.kafka.offset`, `messaging.kafka.message.key`, `messaging.message.id` (event id).
//! - Anomalies as span events (name = kind, attributes severity, group, message); a span with an
//!   `error` anomaly has status ERROR.
//!
//! Spans are grouped by flow, then by service (one `resourceSpans` entry each), and written flow
//! by flow, so memory holds one flow's spans at a time.

use super::Selection;
use crate::analysis::{Engine, FlowId, Severity};
use crate::model::Sym;
use crate::store::EventIdx;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// OTLP `SpanKind` PRODUCER: each event is a message sent.
const SPAN_KIND_PRODUCER: u8 = 4;
/// OTLP `StatusCode` ERROR.
const STATUS_ERROR: u8 = 2;

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The trace id of the flow keyed `key` (32 hex digits).
pub fn trace_id(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes())[..16])
}

/// The span id (16 hex digits) of event `e` of the flow keyed `key`.
pub fn span_id(engine: &Engine, key: &str, e: EventIdx) -> String {
    let s = &engine.store;
    let id = s.get(e).id;
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(s.str(id).as_bytes());
    if s.first_with_id(id) != Some(e) {
        h.update([0]);
        h.update(e.to_string().as_bytes());
    }
    hex(&h.finalize()[..8])
}

fn attr(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

fn text(key: &str, v: &str) -> Value {
    attr(key, json!({"stringValue": v}))
}

fn int(key: &str, v: i64) -> Value {
    // OTLP/JSON writes 64-bit integers as strings.
    attr(key, json!({"intValue": v.to_string()}))
}

pub fn write(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\"resourceSpans\":[")?;
    let mut first = true;
    for &f in sel.flows() {
        for entry in flow_resource_spans(engine, f) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &entry)?;
            out.write_all(b"\n")?;
        }
    }
    out.write_all(b"]}\n")
}

/// The flow's spans, one `resourceSpans` entry per service.
fn flow_resource_spans(engine: &Engine, f: FlowId) -> Vec<Value> {
    let s = &engine.store;
    let flow = engine.flows.get(f);
    let key = s.str(flow.key);
    let trace = trace_id(key);
    let mut by_service: Vec<(Option<Sym>, Vec<Value>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<Option<Sym>, usize> = Default::default();
    let fallback = flow.first().unwrap_or(0);
    for &e in &flow.events {
        let source = s.get(e).source;
        let i = *index.entry(source).or_insert_with(|| {
            by_service.push((source, Vec::new()));
            by_service.len() - 1
        });
        by_service[i]
            .1
            .push(span(engine, f, key, &trace, e, fallback));
    }
    by_service
        .into_iter()
        .map(|(service, spans)| {
            json!({
                "resource": {"attributes": [text(
                    "service.name",
                    s.opt_str(service).unwrap_or("unknown_service"),
                )]},
                "scopeSpans": [{
                    "scope": {"name": "eventscope", "version": env!("CARGO_PKG_VERSION")},
                    "spans": spans,
                }],
            })
        })
        .collect()
}

/// The earliest time of the flow's events whose cause is `e` (only the event an id resolves to
/// has children).
fn first_child_time(engine: &Engine, f: FlowId, e: EventIdx) -> Option<i64> {
    let s = &engine.store;
    let id = s.get(e).id;
    if s.first_with_id(id) != Some(e) {
        return None;
    }
    s.children_of(id)
        .filter(|&c| c != e && engine.flows.flow_of(c) == f)
        .filter_map(|c| s.get(c).effective_time())
        .min()
}

fn span(engine: &Engine, f: FlowId, key: &str, trace: &str, e: EventIdx, fallback: i64) -> Value {
    let s = &engine.store;
    let r = s.get(e);
    let start = r.effective_time().unwrap_or(fallback);
    let end = first_child_time(engine, f, e).map_or(start, |t| t.max(start));
    let mut attributes = vec![text("messaging.message.id", s.str(r.id))];
    if r.topic.is_some() || r.partition().is_some() || r.offset().is_some() {
        attributes.push(text("messaging.system", "kafka"));
    }
    if let Some(t) = s.opt_str(r.topic) {
        attributes.push(text("messaging.destination.name", t));
    }
    if let Some(p) = r.partition() {
        attributes.push(text("messaging.destination.partition.id", &p.to_string()));
    }
    if let Some(o) = r.offset() {
        attributes.push(int("messaging.kafka.offset", o));
    }
    if let Some(k) = s.opt_str(r.key) {
        attributes.push(text("messaging.kafka.message.key", k));
    }
    if let Some(c) = engine.correlation_of(e) {
        attributes.push(text("eventscope.correlation_id", c));
    }
    if let Some(c) = s.opt_str(r.causation) {
        attributes.push(text("eventscope.causation_id", c));
    }
    if let Some(x) = s.opt_str(r.subject) {
        attributes.push(text("eventscope.subject", x));
    }
    let mut v = json!({
        "traceId": trace,
        "spanId": span_id(engine, key, e),
        "name": s.str(r.event_type),
        "kind": SPAN_KIND_PRODUCER,
        "startTimeUnixNano": start.max(0).to_string(),
        "endTimeUnixNano": end.max(0).to_string(),
        "attributes": attributes,
    });
    let cause = r
        .causation
        .and_then(|c| s.first_with_id(c))
        .filter(|&p| p != e);
    if let Some(p) = cause {
        let pf = engine.flows.flow_of(p);
        if pf == f {
            v["parentSpanId"] = json!(span_id(engine, key, p));
        } else {
            let pkey = s.str(engine.flows.get(pf).key);
            v["links"] = json!([{
                "traceId": trace_id(pkey),
                "spanId": span_id(engine, pkey, p),
                "attributes": [text("eventscope.link", "causation")],
            }]);
        }
    }
    anomalies(engine, e, start, &mut v);
    v
}

/// The event's anomalies as span events, and status ERROR when one is an error.
fn anomalies(engine: &Engine, e: EventIdx, start: i64, v: &mut Value) {
    let mut events = Vec::new();
    let mut error: Option<&str> = None;
    for a in engine.anomalies.on_event(e) {
        if a.severity == Severity::Error && error.is_none() {
            error = Some(&a.message);
        }
        events.push(json!({
            "timeUnixNano": start.max(0).to_string(),
            "name": a.kind.name(),
            "attributes": [
                text("eventscope.anomaly.severity", a.severity.name()),
                text("eventscope.anomaly.group", a.kind.info().group.name()),
                text("eventscope.anomaly.message", &a.message),
            ],
        }));
    }
    if !events.is_empty() {
        v["events"] = json!(events);
    }
    if let Some(m) = error {
        v["status"] = json!({"code": STATUS_ERROR, "message": m});
    }
}
