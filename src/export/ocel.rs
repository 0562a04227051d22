//! `ocel2`: an OCEL 2.0 JSON event log (<https://www.ocel-standard.org/>), which PM4Py
//! (`pm4py.read_ocel2_json`) and other process-mining tools read.
//!
//! - Events: every event of the selection, in arrival order; id = the event id (a repeat of an
//!   id — duplicate, dead-letter copy — gets `#<arrival index>` appended, as OCEL ids are
//!   unique); type = event type; time = the event's time (the epoch when it has none);
//!   attributes `source`, `topic`, `partition`, `offset`, `key`, `anomalies` (kinds, space
//!   separated) where present.
//! - Objects: one `flow` per flow (id `flow:<correlation id>`, attributes `status`,
//!   `correlation_id`) and one `aggregate` per subject (or, without one, Kafka key) the events
//!   name (id `aggregate:<value>`); the prefixes keep the two kinds of id apart.
//! - Relations: each event to its flow (qualifier `flow`) and aggregate (`aggregate`); each flow
//!   to the aggregates its events touch (`touches`).

use super::{Selection, time_text};
use crate::analysis::{Engine, FlowId};
use crate::model::Sym;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Value, json};
use std::io::{self, Write};

const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The attributes every event type declares (name, OCEL type).
const EVENT_ATTRIBUTES: [(&str, &str); 6] = [
    ("source", "string"),
    ("topic", "string"),
    ("partition", "integer"),
    ("offset", "integer"),
    ("key", "string"),
    ("anomalies", "string"),
];

pub fn flow_object_id(engine: &Engine, f: FlowId) -> String {
    format!("flow:{}", engine.store.str(engine.flows.get(f).key))
}

fn aggregate_object_id(engine: &Engine, a: Sym) -> String {
    format!("aggregate:{}", engine.store.str(a))
}

fn attr(name: &str, value: Value) -> Value {
    json!({"name": name, "value": value})
}

pub fn write(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    let s = &engine.store;
    let events = sel.events_in_arrival_order(engine);
    // Event types in order of first appearance.
    let mut types: Vec<Sym> = Vec::new();
    let mut seen_types = FxHashSet::default();
    for &e in &events {
        let t = s.get(e).event_type;
        if seen_types.insert(t) {
            types.push(t);
        }
    }
    let declared: Vec<Value> = EVENT_ATTRIBUTES
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    let event_types: Vec<Value> = types
        .iter()
        .map(|t| json!({"name": s.str(*t), "attributes": declared}))
        .collect();
    let object_types = json!([
        {"name": "flow", "attributes": [
            {"name": "status", "type": "string"},
            {"name": "correlation_id", "type": "string"},
        ]},
        {"name": "aggregate", "attributes": []},
    ]);
    write!(out, "{{\"objectTypes\":{object_types},\"eventTypes\":")?;
    serde_json::to_writer(&mut *out, &event_types)?;
    out.write_all(b",\"events\":[")?;
    // Aggregates in order of first appearance, and which flow touched which.
    let mut aggregates: Vec<Sym> = Vec::new();
    let mut seen_aggregates = FxHashSet::default();
    let mut touches: FxHashMap<FlowId, Vec<Sym>> = FxHashMap::default();
    let mut seen_touch = FxHashSet::default();
    for (i, &e) in events.iter().enumerate() {
        let r = s.get(e);
        let f = engine.flows.flow_of(e);
        let mut relationships =
            vec![json!({"objectId": flow_object_id(engine, f), "qualifier": "flow"})];
        if let Some(a) = r.subject.or(r.key) {
            relationships.push(
                json!({"objectId": aggregate_object_id(engine, a), "qualifier": "aggregate"}),
            );
            if seen_aggregates.insert(a) {
                aggregates.push(a);
            }
            if seen_touch.insert((f, a)) {
                touches.entry(f).or_default().push(a);
            }
        }
        let id = if s.first_with_id(r.id) == Some(e) {
            s.str(r.id).to_string()
        } else {
            format!("{}#{e}", s.str(r.id))
        };
        let time = r
            .effective_time()
            .map_or(EPOCH.to_string(), |t| time_text(Some(t)));
        let event = json!({
            "id": id,
            "type": s.str(r.event_type),
            "time": time,
            "attributes": event_attributes(engine, e),
            "relationships": relationships,
        });
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &event)?;
        out.write_all(b"\n")?;
    }
    out.write_all(b"],\"objects\":[")?;
    write_objects(engine, sel, &aggregates, &touches, out)?;
    out.write_all(b"]}\n")
}

fn event_attributes(engine: &Engine, e: crate::store::EventIdx) -> Vec<Value> {
    let s = &engine.store;
    let r = s.get(e);
    let mut v = Vec::new();
    for (name, sym) in [("source", r.source), ("topic", r.topic), ("key", r.key)] {
        if let Some(x) = s.opt_str(sym) {
            v.push(attr(name, json!(x)));
        }
    }
    if let Some(p) = r.partition() {
        v.push(attr("partition", json!(p)));
    }
    if let Some(o) = r.offset() {
        v.push(attr("offset", json!(o)));
    }
    let kinds: Vec<&str> = engine
        .anomalies
        .on_event(e)
        .map(|a| a.kind.name())
        .collect();
    if !kinds.is_empty() {
        v.push(attr("anomalies", json!(kinds.join(" "))));
    }
    v
}

fn write_objects(
    engine: &Engine,
    sel: &Selection,
    aggregates: &[Sym],
    touches: &FxHashMap<FlowId, Vec<Sym>>,
    out: &mut impl Write,
) -> io::Result<()> {
    let s = &engine.store;
    let mut first = true;
    for &f in sel.flows() {
        let flow = engine.flows.get(f);
        let time = flow
            .first()
            .map_or(EPOCH.to_string(), |t| time_text(Some(t)));
        let mut attributes =
            vec![json!({"name": "status", "time": time, "value": engine.status(f).name()})];
        if flow.correlated {
            attributes
                .push(json!({"name": "correlation_id", "time": time, "value": s.str(flow.key)}));
        }
        let relationships: Vec<Value> = touches
            .get(&f)
            .into_iter()
            .flatten()
            .map(|a| json!({"objectId": aggregate_object_id(engine, *a), "qualifier": "touches"}))
            .collect();
        let obj = json!({
            "id": flow_object_id(engine, f),
            "type": "flow",
            "attributes": attributes,
            "relationships": relationships,
        });
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &obj)?;
        out.write_all(b"\n")?;
    }
    for &a in aggregates {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        let obj =
            json!({"id": aggregate_object_id(engine, a), "type": "aggregate", "attributes": []});
        serde_json::to_writer(&mut *out, &obj)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
