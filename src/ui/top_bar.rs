//! The top bar: source and state, rates, totals, anomaly chips by severity, pause, open, theme;
//! below it, file loading progress and load problems.

use super::{ViewState, severity_color};
use crate::analysis::Severity;
use crate::session::{Session, SourceKind};
use crate::ui::{Command, Prefs};

pub fn top_bar_ui(
    ui: &mut egui::Ui,
    session: &Session,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("File", |ui| file_menu_ui(ui, session, view, prefs, out));
        ui.menu_button("View", |ui| view_menu_ui(ui, prefs, out));
        ui.separator();
        source_state_ui(ui, session, view, out);
        ui.separator();
        totals_ui(ui, session);
        ui.separator();
        severity_chips_ui(ui, session, view);
        ui.separator();
        if session.demo.is_some()
            && ui
                .selectable_label(prefs.show_demo_panel, "Demo controls")
                .clicked()
        {
            out.push(Command::ShowDemoPanel(!prefs.show_demo_panel));
        }
        let dark = prefs.dark;
        if ui
            .selectable_label(!dark, if dark { "☀ Light" } else { "🌙 Dark" })
            .clicked()
        {
            out.push(Command::SetDark(!dark));
        }
    });
    progress_ui(ui, session);
    problems_ui(ui, session);
}

fn file_menu_ui(
    ui: &mut egui::Ui,
    session: &Session,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    if ui.button("Open… (Ctrl+O)").clicked() {
        out.push(Command::OpenDialog);
        ui.close();
    }
    if ui
        .button("Open path…")
        .on_hover_text("Type a trace file's path (also offered when no file dialog answers)")
        .clicked()
    {
        view.open_path.show("");
        ui.close();
    }
    if ui
        .button("Open spans… (OpenTelemetry)")
        .on_hover_text(
            "An OTLP/JSON or Jaeger JSON span export: causation for events that carry only a \
             traceparent. The open files load again with it.",
        )
        .clicked()
    {
        out.push(Command::OpenSpansDialog);
        ui.close();
    }
    if ui.button("Export…").clicked() {
        view.export.open = true;
        ui.close();
    }
    #[cfg(feature = "kafka")]
    if ui.button("Connect to Kafka…").clicked() {
        view.connect.open = true;
        ui.close();
    }
    #[cfg(feature = "kafka")]
    if session.kafka.is_some() && ui.button("Disconnect").clicked() {
        out.push(Command::Disconnect);
        ui.close();
    }
    #[cfg(not(feature = "kafka"))]
    let _ = session;
    if ui.button("Start demo").clicked() {
        out.push(Command::StartDemo);
        ui.close();
    }
    if !prefs.recent.is_empty() {
        ui.separator();
        ui.label("Recent");
        for p in &prefs.recent {
            if ui.button(p.display().to_string()).clicked() {
                out.push(Command::Open(vec![p.clone()]));
                ui.close();
            }
        }
    }
}

/// Time zone and layout.
fn view_menu_ui(ui: &mut egui::Ui, prefs: &Prefs, out: &mut Vec<Command>) {
    let mut utc = prefs.utc;
    if ui
        .checkbox(&mut utc, "UTC times")
        .on_hover_text("Times in UTC instead of local time")
        .changed()
    {
        out.push(Command::SetUtc(utc));
    }
    if ui
        .button("Reset layout")
        .on_hover_text("Panel sizes and window positions back to their defaults")
        .clicked()
    {
        out.push(Command::ResetLayout);
        ui.close();
    }
}

/// What is open and whether it is live, loading or paused; the replay time; pause.
fn source_state_ui(ui: &mut egui::Ui, session: &Session, view: &ViewState, out: &mut Vec<Command>) {
    let state = if session.paused {
        "paused"
    } else if session.is_live() {
        "live"
    } else if session.loading() {
        "loading"
    } else if session.sources.iter().any(|s| s.kind == SourceKind::Kafka) {
        "disconnected"
    } else {
        "loaded"
    };
    let what = match session.sources.first() {
        Some(s) if s.kind == SourceKind::Demo => "demo".to_string(),
        Some(s) if s.kind == SourceKind::Kafka => s.origin.to_string(),
        Some(s) if session.sources.len() == 1 => format!("file {}", s.origin),
        Some(_) => format!("{} files", session.sources.len()),
        None => "nothing open".to_string(),
    };
    #[cfg(feature = "kafka")]
    if !session.paused
        && let Some(c) = session.kafka_connection()
    {
        connection_ui(ui, &what, &c);
    } else {
        ui.strong(format!("{what} · {state}"));
    }
    #[cfg(not(feature = "kafka"))]
    ui.strong(format!("{what} · {state}"));
    if let Some(r) = &view.replay {
        ui.colored_label(
            egui::Color32::from_rgb(0xe0, 0x4b, 0x4b),
            format!("replay at {}", view.time_style.full(r.at)),
        );
    }
    let pause = if session.paused {
        "▶ Resume (Space)"
    } else {
        "⏸ Pause (Space)"
    };
    if ui.button(pause).clicked() {
        out.push(Command::TogglePause);
    }
}

/// A live Kafka session's state: "live" only while a broker answers; otherwise why not, in the
/// warning colour, with librdkafka's reason (naming the broker) beside it.
#[cfg(feature = "kafka")]
fn connection_ui(ui: &mut egui::Ui, what: &str, c: &crate::ingest::kafka::Connection) {
    use crate::ingest::kafka::Connection;
    let (state, reason) = match c {
        Connection::Connecting => ("connecting…", None),
        Connection::Connected => ("live", None),
        Connection::Unreachable(r) => ("not connected", Some(r)),
        Connection::Lost(r) => ("connection lost, retrying", Some(r)),
    };
    match reason {
        None => {
            ui.strong(format!("{what} · {state}"));
        }
        Some(r) => {
            let color = ui.visuals().error_fg_color;
            ui.colored_label(
                color,
                egui::RichText::new(format!("{what} · {state}")).strong(),
            );
            // librdkafka's words (long: cut, whole on hover), then what they point to, whole
            // (Eventscope's hints follow after "; ", see `KafkaStatus::reason`).
            let mut parts = r.split("; ");
            let short: String = parts.next().unwrap_or_default().chars().take(120).collect();
            ui.colored_label(color, short).on_hover_text(r.as_str());
            for hint in parts {
                ui.colored_label(color, hint);
            }
        }
    }
}

/// Rate, event and flow counts, evictions and undecodable lines.
fn totals_ui(ui: &mut egui::Ui, session: &Session) {
    let engine = &session.engine;
    ui.label(format!("{:.0} events/s", session.rate.per_second));
    ui.label(format!("{} events", engine.stats.events));
    ui.label(format!("{} flows", engine.flows.len()));
    if session.budget.evicted_flows > 0 {
        ui.label(format!(
            "({} flows, {} events evicted)",
            session.budget.evicted_flows, session.budget.evicted_events
        ))
        .on_hover_text(if session.budget.pinned_over {
            "Memory budget reached: flows without anomalies were dropped, and the budget is too small even for the flows with anomalies: the oldest of those went too"
        } else {
            "Memory budget reached: the oldest flows without anomalies were dropped from the analysis; flows with anomalies are kept"
        });
    }
    if engine.stats.undecodable > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{} undecodable", engine.stats.undecodable),
        );
    }
}

/// Anomaly counts per severity; a click shows only that severity in the anomalies panel.
fn severity_chips_ui(ui: &mut egui::Ui, session: &Session, view: &mut ViewState) {
    for sev in Severity::ALL {
        let n = view.severity_count(&session.engine, sev);
        let text = egui::RichText::new(format!("⏺ {n} {}", sev.name())).color(severity_color(sev));
        if ui
            .selectable_label(view.severity == Some(sev), text)
            .clicked()
        {
            view.severity = if view.severity == Some(sev) {
                None
            } else {
                Some(sev)
            };
        }
    }
}

fn progress_ui(ui: &mut egui::Ui, session: &Session) {
    for s in &session.sources {
        if s.kind == SourceKind::File && !s.finished {
            let frac = if s.bytes_total > 0 {
                s.bytes_read as f32 / s.bytes_total as f32
            } else {
                0.0
            };
            ui.add(egui::ProgressBar::new(frac).text(format!(
                "{}: {:.1} of {:.1} MB, {} events, {} undecodable",
                s.origin,
                s.bytes_read as f64 / 1e6,
                s.bytes_total as f64 / 1e6,
                s.events,
                s.undecodable
            )));
        }
    }
}

fn problems_ui(ui: &mut egui::Ui, session: &Session) {
    if session.messages.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(
        egui::RichText::new(format!(
            "⚠ {} load problem(s); first: {}",
            session.messages.len(),
            session.messages[0]
        ))
        .color(ui.visuals().warn_fg_color),
    )
    .id_salt("load_problems")
    .show(ui, |ui| {
        egui::ScrollArea::vertical()
            .max_height(150.0)
            .show(ui, |ui| {
                for m in &session.messages {
                    ui.monospace(m);
                }
            });
    });
}
