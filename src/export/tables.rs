//! `flows-csv`, `flows-json`, `anomalies-csv`, `anomalies-json`: one row per flow or per active
//! anomaly of the selection, with the columns of [`FlowRow`] and [`AnomalyRow`] (README,
//! "Export"); the CSV and the JSON of a table hold the same fields. Lists inside a cell
//! (services, anomaly kinds) are space-separated.

use super::{Selection, time_text};
use crate::analysis::{Anomaly, Engine, FlowId};
use serde::Serialize;
use std::io::{self, Write};

/// A row of the flows table.
#[derive(Serialize)]
pub struct FlowRow {
    /// The correlation id (for flows without one: the key the window shows).
    pub correlation_id: String,
    pub root_type: String,
    pub events: usize,
    /// complete, open, stuck or failed.
    pub status: &'static str,
    pub start: String,
    pub end: String,
    pub duration_ms: Option<f64>,
    pub services: String,
    pub anomalies: usize,
    pub anomaly_kinds: String,
}

/// A row of the anomalies table.
#[derive(Serialize)]
pub struct AnomalyRow {
    pub kind: &'static str,
    pub severity: &'static str,
    pub group: &'static str,
    pub correlation_id: Option<String>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub source: Option<String>,
    pub time: String,
    /// "file:line" or "topic/partition@offset".
    pub location: Option<String>,
    pub message: String,
}

pub fn flow_row(engine: &Engine, f: FlowId) -> FlowRow {
    let s = &engine.store;
    let flow = engine.flows.get(f);
    let mut kinds: Vec<&str> = Vec::new();
    let mut anomalies = 0;
    for a in engine.flow_anomalies(f) {
        anomalies += 1;
        if !kinds.contains(&a.kind.name()) {
            kinds.push(a.kind.name());
        }
    }
    let services: Vec<&str> = flow.services.iter().map(|x| s.str(*x)).collect();
    FlowRow {
        correlation_id: s.str(flow.key).to_string(),
        root_type: (engine.flows.root_event(s, f))
            .map_or_else(String::new, |e| s.str(s.get(e).event_type).to_string()),
        events: flow.events.len(),
        status: engine.status(f).name(),
        start: time_text(flow.first()),
        end: time_text(flow.last()),
        duration_ms: flow.duration().map(|d| d as f64 / 1e6),
        services: services.join(" "),
        anomalies,
        anomaly_kinds: kinds.join(" "),
    }
}

pub fn anomaly_row(engine: &Engine, a: &Anomaly) -> AnomalyRow {
    let s = &engine.store;
    let r = a.event.map(|e| s.get(e));
    AnomalyRow {
        kind: a.kind.name(),
        severity: a.severity.name(),
        group: a.kind.info().group.name(),
        correlation_id: a
            .event
            .and_then(|e| engine.correlation_of(e))
            .map(str::to_string),
        event_id: r.map(|r| s.str(r.id).to_string()),
        event_type: r.map(|r| s.str(r.event_type).to_string()),
        source: r.and_then(|r| s.opt_str(r.source)).map(str::to_string),
        time: time_text(r.and_then(|r| r.effective_time())),
        location: a
            .location
            .clone()
            .or_else(|| a.event.map(|e| s.location_label(e))),
        message: a.message.clone(),
    }
}

/// The selection's active anomalies: by event in arrival order, then those without an event
/// (input that produced none) when everything is selected.
fn anomalies<'a>(engine: &'a Engine, sel: &Selection) -> Vec<&'a Anomaly> {
    let mut list: Vec<&Anomaly> = sel
        .events_in_arrival_order(engine)
        .into_iter()
        .flat_map(|e| engine.anomalies.on_event(e))
        .collect();
    if sel.everything {
        list.extend(
            engine
                .anomalies
                .active()
                .map(|(_, a)| a)
                .filter(|a| a.event.is_none()),
        );
    }
    list
}

/// The columns of the flows table (the fields of [`FlowRow`]).
pub const FLOW_COLUMNS: [&str; 10] = [
    "correlation_id",
    "root_type",
    "events",
    "status",
    "start",
    "end",
    "duration_ms",
    "services",
    "anomalies",
    "anomaly_kinds",
];

/// The columns of the anomalies table (the fields of [`AnomalyRow`]).
pub const ANOMALY_COLUMNS: [&str; 10] = [
    "kind",
    "severity",
    "group",
    "correlation_id",
    "event_id",
    "event_type",
    "source",
    "time",
    "location",
    "message",
];

/// CSV with a header line (also when there are no rows).
fn csv_rows<T: Serialize>(
    columns: &[&str],
    rows: impl Iterator<Item = T>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    w.write_record(columns)?;
    for row in rows {
        w.serialize(row)?;
    }
    w.flush()
}

/// A JSON array, one element a line.
fn json_rows<T: Serialize>(rows: impl Iterator<Item = T>, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, row) in rows.enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, &row)?;
    }
    out.write_all(b"\n]\n")
}

pub fn flows_csv(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    csv_rows(
        &FLOW_COLUMNS,
        sel.flows().iter().map(|&f| flow_row(engine, f)),
        out,
    )
}

pub fn flows_json(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    json_rows(sel.flows().iter().map(|&f| flow_row(engine, f)), out)
}

pub fn anomalies_csv(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    csv_rows(
        &ANOMALY_COLUMNS,
        anomalies(engine, sel)
            .into_iter()
            .map(|a| anomaly_row(engine, a)),
        out,
    )
}

pub fn anomalies_json(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    json_rows(
        anomalies(engine, sel)
            .into_iter()
            .map(|a| anomaly_row(engine, a)),
        out,
    )
}
