//! The inspector: everything about the selected event, with which profile found each id. The
//! payload is shown from `inspector_data`, parsed when the selection changed.

use super::inspector_data::PayloadView;
use super::{ViewState, severity_color};
use crate::analysis::Engine;
use crate::decode::native_write;
use crate::decode::trace_context::causation_unknown;
use crate::model::{EventDetail, format_duration, format_time, header_display};
use crate::store::{EventIdx, Seq};

pub fn inspector_ui(ui: &mut egui::Ui, engine: &Engine, view: &ViewState) {
    ui.strong("Inspector");
    let Some(e) = view.selected_event else {
        ui.label("Click an event in the graph, the timeline or the anomalies list.");
        return;
    };
    let at = view.cutoff();
    if !engine.happened_by(e, at) {
        // Replay: this event comes after the cursor.
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "This event comes after the replay cursor: move the cursor on to see it.",
        );
    }
    // Scrolls both ways: long values never widen the panel over the graph.
    egui::ScrollArea::both()
        .id_salt("inspector_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ids_ui(ui, engine, e);
            ui.separator();
            times_ui(ui, engine, e);
            ui.separator();
            let detail = view.inspector.detail.as_ref();
            transport_ui(ui, engine, e, detail);
            anomalies_ui(ui, engine, e, at);
            ui.separator();
            headers_ui(ui, detail);
            egui::CollapsingHeader::new("Payload")
                .default_open(true)
                .show(ui, |ui| payload_ui(ui, &view.inspector.payload));
            ui.separator();
            if ui.button("Copy as JSON").clicked() {
                let mut line = String::new();
                native_write::write_event(&engine.store.decoded(e), &mut line);
                ui.copy_text(line);
            }
        });
}

/// The ids, each with the profile that found it.
fn ids_ui(ui: &mut egui::Ui, engine: &Engine, e: EventIdx) {
    let s = &engine.store;
    let r = s.get(e);
    let p = r.provenance();
    egui::Grid::new("ids")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |name: &str, value: Option<String>, profile: Option<&str>| {
                ui.label(name);
                ui.label(value.unwrap_or_else(|| "—".into()));
                ui.weak(profile.unwrap_or(""));
                ui.end_row();
            };
            row("id", Some(s.str(r.id).into()), Some(p.id.name()));
            row(
                "type",
                Some(s.str(r.event_type).into()),
                Some(p.event_type.name()),
            );
            row("source", s.opt_str(r.source).map(Into::into), None);
            row(
                "correlation",
                s.opt_str(r.correlation).map(Into::into),
                Some(p.correlation.name()),
            );
            // Placed in its flow by the trace id alone: no cause named, but none missing either.
            let causation = if causation_unknown(p.correlation, p.causation) {
                Some("unknown (trace context only; give the spans with --spans)".into())
            } else {
                r.causation.map(|c| {
                    let id = s.str(c);
                    if p.causation.cause_may_be_external() && s.first_with_id(c).is_none() {
                        format!("{id} (external trigger: never on Kafka)")
                    } else {
                        id.to_string()
                    }
                })
            };
            row("causation", causation, Some(p.causation.name()));
            let seq = match r.sequence() {
                Seq::None => None,
                Seq::Int(n) => Some(n.to_string()),
                Seq::Text(t) => Some(s.str(t).to_string()),
            };
            row("sequence", seq, Some(p.sequence.name()));
            row(
                "subject",
                s.opt_str(r.subject).map(Into::into),
                Some(p.subject.name()),
            );
        });
}

/// Event, broker and observation times, the latter two relative to the event time.
fn times_ui(ui: &mut egui::Ui, engine: &Engine, e: EventIdx) {
    let r = engine.store.get(e);
    egui::Grid::new("times").num_columns(3).show(ui, |ui| {
        let base = r.time();
        let mut row = |name: &str, t: Option<i64>| {
            ui.label(name);
            ui.label(t.map(format_time).unwrap_or_else(|| "—".into()));
            ui.weak(match (t, base) {
                (Some(t), Some(b)) if name != "event time" => format!("{:+}", DeltaText(t - b)),
                _ => String::new(),
            });
            ui.end_row();
        };
        row("event time", r.time());
        row("broker time", r.broker_ts());
        row("observed", r.observed_at());
    });
}

fn transport_ui(ui: &mut egui::Ui, engine: &Engine, e: EventIdx, detail: Option<&EventDetail>) {
    let s = &engine.store;
    egui::Grid::new("transport").num_columns(2).show(ui, |ui| {
        ui.label("topic/partition@offset");
        ui.label(s.transport_label(e).unwrap_or_else(|| "—".into()));
        ui.end_row();
        ui.label("key");
        ui.label(s.opt_str(s.get(e).key).unwrap_or("—"));
        ui.end_row();
        ui.label("from");
        ui.label(s.location_label(e));
        ui.end_row();
        // What decoded the payload: a schema (`avro; schema-id=42; file=...; name=...`) or a
        // CloudEvent's datacontenttype.
        if let Some(ct) = detail.and_then(|d| d.content_type.as_deref()) {
            ui.label("content type");
            ui.label(ct);
            ui.end_row();
        }
    });
}

/// The event's anomalies (those active at the replay cursor `at`, when replaying).
fn anomalies_ui(ui: &mut egui::Ui, engine: &Engine, e: EventIdx, at: Option<i64>) {
    let anomalies: Vec<_> = engine.anomalies.on_event_at(e, at).collect();
    if anomalies.is_empty() {
        return;
    }
    ui.separator();
    let when = if at.is_some() {
        " at the replay cursor"
    } else {
        ""
    };
    ui.strong(format!("Anomalies ({}){when}", anomalies.len()));
    for a in anomalies {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                severity_color(a.severity),
                format!("{} {}", a.severity.name(), a.kind.name()),
            )
            .on_hover_text(format!("group: {}", a.kind.info().group.name()));
            ui.label(&a.message);
        });
    }
}

fn headers_ui(ui: &mut egui::Ui, detail: Option<&EventDetail>) {
    egui::CollapsingHeader::new(format!(
        "Headers ({})",
        detail.map_or(0, |d| d.headers.len())
    ))
    .default_open(true)
    .show(ui, |ui| {
        egui::Grid::new("headers")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for h in detail.map(|d| d.headers.as_slice()).unwrap_or_default() {
                    ui.monospace(&*h.name);
                    ui.monospace(header_display(&h.name, h.raw()));
                    ui.end_row();
                }
            });
    });
}

fn payload_ui(ui: &mut egui::Ui, payload: &PayloadView) {
    match payload {
        PayloadView::Json(v) => json_ui(ui, "data", v),
        PayloadView::Text(t) | PayloadView::Hex(t) => {
            ui.monospace(t);
        }
        PayloadView::None => {
            ui.weak("no payload kept");
        }
        PayloadView::Unreadable(why) => {
            ui.colored_label(egui::Color32::from_rgb(0xe0, 0x4b, 0x4b), why);
        }
    }
}

struct DeltaText(i64);
impl std::fmt::Display for DeltaText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 >= 0 { "+" } else { "" };
        write!(f, "{sign}{}", format_duration(self.0))
    }
}

/// Collapsible pretty JSON.
fn json_ui(ui: &mut egui::Ui, name: &str, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            egui::CollapsingHeader::new(format!("{name} {{{}}}", m.len()))
                .id_salt(ui.next_auto_id())
                .default_open(true)
                .show(ui, |ui| {
                    for (k, x) in m {
                        json_ui(ui, k, x);
                    }
                });
        }
        Value::Array(a) => {
            egui::CollapsingHeader::new(format!("{name} [{}]", a.len()))
                .id_salt(ui.next_auto_id())
                .default_open(a.len() <= 20)
                .show(ui, |ui| {
                    for (i, x) in a.iter().enumerate() {
                        json_ui(ui, &i.to_string(), x);
                    }
                });
        }
        leaf => {
            ui.monospace(format!("{name}: {leaf}"));
        }
    }
}
