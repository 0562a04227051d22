//! File > Export: a window choosing what to write (the selected flow as PNG, SVG or Mermaid; the
//! flows or anomalies as CSV or JSON; the flows as a trace file that re-opens the same, as
//! OTLP/JSON or as OCEL 2.0), of which flows (the selected one, those the filter shows, all) and
//! where. The path is typed in the window (a file dialog is offered with "Browse…", but needs a
//! desktop portal, which many machines lack). The app writes through `crate::export`, as the
//! CLI's `export` does, and reports the outcome here.

use super::{Command, ViewState};
use crate::analysis::Engine;
use crate::export::{Format, Selection};
use std::path::PathBuf;

/// Which flows a table or trace export holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// The flows the flows table shows (the filter's).
    #[default]
    Shown,
    Selected,
    All,
}

/// What the user asked to write.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRequest {
    pub format: Format,
    pub scope: Scope,
    pub path: PathBuf,
}

/// The choices, in the order shown.
pub const CHOICES: [(&str, Format); 10] = [
    ("Flow as PNG", Format::Png),
    ("Flow as SVG", Format::Svg),
    ("Flow as Mermaid", Format::Mermaid),
    ("Flows as CSV", Format::FlowsCsv),
    ("Flows as JSON", Format::FlowsJson),
    ("Anomalies as CSV", Format::AnomaliesCsv),
    ("Anomalies as JSON", Format::AnomaliesJson),
    ("Trace file (JSONL)", Format::Jsonl),
    ("OpenTelemetry (OTLP/JSON)", Format::Otlp),
    ("OCEL 2.0 (process mining)", Format::Ocel2),
];

/// The export window's state.
#[derive(Clone, Debug)]
pub struct ExportForm {
    pub open: bool,
    pub format: Format,
    pub scope: Scope,
    pub path: String,
    /// What the last export did (Ok: what was written; Err: why not).
    pub outcome: Option<Result<String, String>>,
    /// What an export writing in the background writes (the Export button waits for it).
    pub writing: Option<String>,
}

impl Default for ExportForm {
    fn default() -> Self {
        ExportForm {
            open: false,
            format: Format::Png,
            scope: Scope::Shown,
            path: "eventscope-flow.png".into(),
            outcome: None,
            writing: None,
        }
    }
}

impl ExportForm {
    /// Chooses a format; the path keeps its name and takes the format's extension.
    pub fn set_format(&mut self, format: Format) {
        self.format = format;
        let p = PathBuf::from(&self.path).with_extension(format.extension());
        self.path = p.display().to_string();
    }
}

/// The flows a request covers, from what the window shows.
pub fn selection(engine: &Engine, view: &ViewState, scope: Scope) -> Result<Selection, String> {
    match scope {
        Scope::All => Ok(Selection::all(engine)),
        Scope::Shown => Ok(Selection::of(view.flows.ids.iter().copied())),
        Scope::Selected => view
            .selected_flow
            .map(|f| Selection::of([f]))
            .ok_or_else(|| "no flow is selected: click one in the flows table".into()),
    }
}

/// The export window (File > Export…).
pub fn export_window_ui(ui: &mut egui::Ui, view: &mut ViewState, out: &mut Vec<Command>) {
    let mut open = view.export.open;
    let selected = view.selected_flow.is_some();
    let shown = view.flows.ids.len();
    let form = &mut view.export;
    egui::Window::new("Export")
        .open(&mut open)
        .default_width(420.0)
        .default_pos([700.0, 90.0])
        .show(ui.ctx(), |ui| {
            ui.label("What");
            for (label, format) in CHOICES {
                if ui.radio(form.format == format, label).clicked() {
                    form.set_format(format);
                }
            }
            ui.separator();
            if form.format.one_flow() {
                ui.label(if selected {
                    "Of the selected flow"
                } else {
                    "Select a flow in the flows table first"
                });
            } else {
                ui.label("Of");
                for (label, scope) in [
                    (format!("Flows shown ({shown})"), Scope::Shown),
                    ("Selected flow".to_string(), Scope::Selected),
                    ("All flows".to_string(), Scope::All),
                ] {
                    if ui.radio(form.scope == scope, label).clicked() {
                        form.scope = scope;
                    }
                }
            }
            ui.separator();
            path_row_ui(ui, form, out);
            let scope = if form.format.one_flow() {
                Scope::Selected
            } else {
                form.scope
            };
            let idle = form.writing.is_none();
            if ui.add_enabled(idle, egui::Button::new("Export")).clicked() {
                out.push(Command::Export(Box::new(ExportRequest {
                    format: form.format,
                    scope,
                    path: PathBuf::from(form.path.trim()),
                })));
            }
            if let Some(what) = &form.writing {
                // No spinner: its frames would take the cores the writer uses (software GL).
                ui.label(what);
            }
            match &form.outcome {
                Some(Ok(m)) => {
                    ui.label(m);
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
        });
    view.export.open = open;
}

fn path_row_ui(ui: &mut egui::Ui, form: &mut ExportForm, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let label = ui.label("Path");
        ui.add(
            egui::TextEdit::singleline(&mut form.path)
                .desired_width(280.0)
                .hint_text("file to write"),
        )
        .labelled_by(label.id);
        if ui
            .button("Browse…")
            .on_hover_text("A save dialog (needs a desktop portal); or type the path")
            .clicked()
        {
            out.push(Command::ExportBrowse(PathBuf::from(form.path.trim())));
        }
    });
}
