//! The inspector: everything about the selected event, with which profile found each id.

use super::{ViewState, severity_color};
use crate::analysis::Engine;
use crate::decode::native_write;
use crate::model::{Payload, format_duration, format_time};
use crate::store::Seq;

pub fn inspector_ui(ui: &mut egui::Ui, engine: &Engine, view: &ViewState) {
    ui.strong("Inspector");
    let Some(e) = view.selected_event else {
        ui.label("Click an event in the graph, the timeline or the anomalies list.");
        return;
    };
    let s = &engine.store;
    let r = s.get(e);
    egui::ScrollArea::vertical()
        .id_salt("inspector_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let p = r.provenance;
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
                    row("type", Some(s.str(r.event_type).into()), None);
                    row("source", s.opt_str(r.source).map(Into::into), None);
                    row(
                        "correlation",
                        s.opt_str(r.correlation).map(Into::into),
                        Some(p.correlation.name()),
                    );
                    row(
                        "causation",
                        s.opt_str(r.causation).map(Into::into),
                        Some(p.causation.name()),
                    );
                    let seq = match r.sequence {
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
            ui.separator();
            egui::Grid::new("times").num_columns(3).show(ui, |ui| {
                let base = r.time();
                let mut row = |name: &str, t: Option<i64>| {
                    ui.label(name);
                    ui.label(t.map(format_time).unwrap_or_else(|| "—".into()));
                    ui.weak(match (t, base) {
                        (Some(t), Some(b)) if name != "event time" => {
                            format!("{:+}", DeltaText(t - b))
                        }
                        _ => String::new(),
                    });
                    ui.end_row();
                };
                row("event time", r.time());
                row("broker time", r.broker_ts());
                row("observed", r.observed_at());
            });
            ui.separator();
            egui::Grid::new("transport").num_columns(2).show(ui, |ui| {
                ui.label("topic/partition@offset");
                ui.label(s.transport_label(e).unwrap_or_else(|| "—".into()));
                ui.end_row();
                ui.label("key");
                ui.label(s.opt_str(r.key).unwrap_or("—"));
                ui.end_row();
                ui.label("from");
                ui.label(s.location_label(e));
                ui.end_row();
            });
            let anomalies: Vec<_> = engine.anomalies.on_event(e).collect();
            if !anomalies.is_empty() {
                ui.separator();
                ui.strong(format!("Anomalies ({})", anomalies.len()));
                for a in anomalies {
                    ui.horizontal_wrapped(|ui| {
                        ui.colored_label(
                            severity_color(a.severity),
                            format!("{} {}", a.severity.name(), a.kind.name()),
                        );
                        ui.label(&a.message);
                    });
                }
            }
            let detail = s.detail(e);
            ui.separator();
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
                            ui.monospace(h.value.as_deref().unwrap_or("null"));
                            ui.end_row();
                        }
                    });
            });
            egui::CollapsingHeader::new("Payload")
                .default_open(true)
                .show(ui, |ui| match detail.map(|d| &d.payload) {
                    Some(Payload::Json(raw)) => {
                        match serde_json::from_str::<serde_json::Value>(raw.get()) {
                            Ok(v) => json_ui(ui, "data", &v),
                            Err(_) => {
                                ui.monospace(raw.get());
                            }
                        }
                    }
                    Some(Payload::Bytes(b)) => {
                        ui.monospace(hex_dump(b, 4096));
                    }
                    _ => {
                        ui.weak("no payload kept");
                    }
                });
            ui.separator();
            if ui.button("Copy as JSON").clicked() {
                let mut line = String::new();
                native_write::write_event(&s.decoded(e), &mut line);
                ui.copy_text(line);
            }
        });
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

fn hex_dump(b: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, chunk) in b[..b.len().min(max)].chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|x| format!("{x:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() || c == b' ' {
                    c as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{:08x}  {:<48} {text}\n", i * 16, hex.join(" ")));
    }
    if b.len() > max {
        out.push_str(&format!("… {} more bytes", b.len() - max));
    }
    out
}
