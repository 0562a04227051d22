//! Panels and widgets. Derived view data (table rows and their statuses, graphs, the parsed
//! payload, the replay cursor) is built in [`ViewState::update`], which the app calls from
//! `logic()`; each is keyed on what changed for it (the selected flow's own changes, not any change
//! anywhere: see `changes`). Panels only paint: they read the session, the view state and the
//! [`Prefs`], keep their own navigation state (scroll, zoom, which tab), and push [`Command`]s for
//! anything else, so they never touch a source or change a preference (but for the connect
//! dialog's list of saved connections). Derived data that is worth
//! testing without pixels lives in `*_data.rs` beside its panel. Functions that take `&mut Ui` end
//! in `_ui`; views read time only from egui's input or from the app, never from the clock.

pub mod anomalies_panel;
pub mod changes;
pub mod clock;
mod command;
pub mod connect_dialog;
pub mod demo_panel;
pub mod export_dialog;
pub mod filter;
pub mod flows_data;
pub mod flows_panel;
pub mod graph_cache;
pub mod graph_canvas;
pub mod graph_data;
pub mod graph_panel;
pub mod graph_tree;
pub mod inspector_data;
pub mod inspector_panel;
pub mod path_box;
mod prefs;
mod recent;
pub mod replay_data;
pub mod service_map_data;
pub mod timeline_data;
pub mod timeline_panel;
pub mod top_bar;
pub mod variants_data;
pub mod variants_panel;
pub mod waterfall_data;
pub mod waterfall_panel;

use crate::analysis::{Engine, FlowId, FlowStatus, Severity};
use crate::model::Sym;
use crate::session::Session;
use crate::store::EventIdx;
pub use command::Command;
use egui::Color32;
pub use prefs::Prefs;

/// Which view the centre shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CenterTab {
    #[default]
    FlowGraph,
    Waterfall,
    ServiceMap,
    Variants,
    FlowDiff,
}

/// Everything the panels show that is derived from the engine, updated incrementally in `logic()`.
#[derive(Default)]
pub struct ViewState {
    pub filter_text: String,
    pub filter_error: Option<String>,
    pub flows: flows_data::FlowsData,
    pub selected_flow: Option<FlowId>,
    pub selected_event: Option<EventIdx>,
    pub center: CenterTab,
    pub graph: graph_cache::GraphCache,
    pub service_map: service_map_data::ServiceMapData,
    pub service_map_graph: graph_cache::ServiceMapCache,
    pub inspector: inspector_data::InspectorData,
    /// Which flows changed in the last update.
    pub changes: changes::FlowChanges,
    pub timeline: timeline_data::TimelineData,
    pub timeline_view: timeline_panel::TimelineView,
    pub anomalies: anomalies_panel::AnomalyIndex,
    pub anomaly_view: anomalies_panel::AnomaliesView,
    /// Only anomalies of this severity in the anomalies panel.
    pub severity: Option<Severity>,
    pub focus_filter: bool,
    pub replay: Option<timeline_panel::Replay>,
    /// The anomalies active at the replay cursor (empty when not replaying).
    pub replay_anomalies: replay_data::ReplayAnomalies,
    /// How times are written (zone, dates when the session spans days).
    pub time_style: clock::TimeStyle,
    /// The session generation these views were derived for.
    pub generation: u64,
    pub connect: connect_dialog::ConnectForm,
    /// File > Export's window.
    pub export: export_dialog::ExportForm,
    /// File > Open's in-window path box (when no file dialog answers, or File > Open path…).
    pub open_path: path_box::PathBox,
    /// The Variants and Flow diff tabs.
    pub variants: variants_panel::VariantsView,
    /// The selected event the waterfall last scrolled to.
    pub waterfall_scrolled: Option<EventIdx>,
}

impl ViewState {
    /// Empty views with the user's settings of `old` (filter, sort, tab, timeline window).
    pub fn fresh_like(old: &ViewState, generation: u64) -> ViewState {
        let mut v = ViewState {
            filter_text: old.filter_text.clone(),
            filter_error: old.filter_error.clone(),
            center: old.center,
            severity: old.severity,
            generation,
            export: old.export.clone(),
            ..Default::default()
        };
        v.flows.sort = old.flows.sort;
        v.flows.ascending = old.flows.ascending;
        v.flows.set_filter(old.flows.filter.clone());
        v.timeline_view.span = old.timeline_view.span;
        v.anomaly_view.open = old.anomaly_view.open;
        v
    }

    /// Selects a flow and, in the inspector, its first event.
    pub fn select_flow(&mut self, engine: &Engine, f: FlowId) {
        if self.selected_flow != Some(f) {
            self.selected_flow = Some(f);
            self.selected_event = engine.flows.get(f).events.first().copied();
        }
    }

    /// The replay cursor's time, when replaying: views show the state as of then.
    pub fn cutoff(&self) -> Option<crate::model::Timestamp> {
        self.replay.as_ref().map(|r| r.at)
    }

    /// Brings derived data up to date with the engine (only new events and changed flows are
    /// looked at); `now` is the app's time in seconds (egui's input time). Returns true when the
    /// flows table waits for a later rebuild (ask for a frame then).
    pub fn update(&mut self, engine: &Engine, prefs: &Prefs, now: f64) -> bool {
        self.anomalies.update(engine);
        self.changes.update(engine, &self.anomalies.changed_events);
        self.flows.summarize(engine, &self.changes.touched);
        self.timeline.update(engine, prefs.lanes_by_topic);
        self.time_style =
            clock::TimeStyle::for_span(prefs.utc, self.timeline.min, self.timeline.max);
        if let (Some(r), Some(max)) = (&mut self.replay, self.timeline.max) {
            r.advance(max, now);
        }
        if let Some(max) = self.timeline.max
            && self.timeline_view.follow
        {
            self.timeline_view.start = max - self.timeline_view.span * 95 / 100;
        }
        let cutoff = self.cutoff();
        // A filter being edited into shape keeps the last one that parsed, applied as data comes.
        let mut pending = self.flows.refresh(engine, cutoff, now);
        pending |= self.replay_anomalies.update(engine, cutoff, now);
        let flow = self.selected_flow.map(|f| (f, self.changes.revision(f)));
        self.timeline.select(engine, flow);
        let graph_pending =
            (self.graph).update(engine, flow, self.selected_event, cutoff, self.center, now);
        self.inspector.update(engine, self.selected_event);
        self.service_map.update(engine);
        let map_pending = (self.service_map_graph).update(engine, &self.service_map, now);
        self.variants
            .update(engine, self.center, self.selected_flow, now);
        pending || graph_pending || map_pending
    }

    /// Active anomalies of a severity, as of the replay cursor when replaying.
    pub fn severity_count(&self, engine: &Engine, sev: Severity) -> usize {
        match self.replay {
            Some(_) => self.replay_anomalies.count_severity(sev),
            None => engine.anomalies.count_severity(sev),
        }
    }

    /// True while the replay cursor plays (the app keeps asking for frames then).
    pub fn playing(&self) -> bool {
        self.replay.as_ref().is_some_and(|r| r.playing)
    }
}

/// The whole window.
pub fn root_ui(
    ui: &mut egui::Ui,
    session: &Session,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    shortcuts_ui(ui, &session.engine, view, out);
    egui::Panel::top("top_bar").show(ui, |ui| top_bar::top_bar_ui(ui, session, view, prefs, out));
    // Side panels never take more than their share (a width saved by an earlier run included),
    // so the graph keeps at least a third of the window.
    let width = ui.available_width();
    egui::Panel::bottom("timeline")
        .resizable(true)
        .default_size(240.0)
        .min_size(140.0)
        .max_size((ui.available_height() * 0.5).max(140.0))
        .show(ui, |ui| {
            timeline_panel::timeline_ui(ui, session, view, prefs, out)
        });
    egui::Panel::left("flows")
        .resizable(true)
        .default_size((width * 0.34).clamp(320.0, 600.0))
        .max_size((width * 0.45).max(300.0))
        .show(ui, |ui| {
            flows_panel::flows_ui(ui, &session.engine, view, prefs, out)
        });
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size((width * 0.2).clamp(250.0, 380.0))
        .max_size((width * 0.3).max(250.0))
        .show(ui, |ui| {
            egui::Panel::bottom("anomalies")
                .resizable(true)
                .default_size(300.0)
                .max_size((ui.available_height() * 0.7).max(120.0))
                .show(ui, |ui| {
                    anomalies_panel::anomalies_ui(ui, &session.engine, view, out)
                });
            egui::CentralPanel::default().show(ui, |ui| {
                inspector_panel::inspector_ui(ui, &session.engine, view)
            });
        });
    let center = egui::CentralPanel::default()
        .show(ui, |ui| {
            graph_panel::center_ui(ui, &session.engine, view, out)
        })
        .response
        .rect;
    if let Some(demo) = &session.demo
        && prefs.show_demo_panel
    {
        // Kept over the graph, never over the inspector or the lists.
        demo_panel::demo_window_ui(ui, demo, prefs, center, out);
    }
    if let Some(p) = view.open_path.window_ui(ui, "Open a trace file") {
        out.push(Command::Open(vec![p]));
    }
    connect_dialog::connect_window_ui(ui, session, view, prefs, out);
    export_dialog::export_window_ui(ui, view, out);
}

fn shortcuts_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    use egui::{Key, Modifiers};
    if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::O)) {
        out.push(Command::OpenDialog);
    }
    if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::F)) {
        view.focus_filter = true;
    }
    if ui.egui_wants_keyboard_input() {
        return;
    }
    if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Space)) {
        out.push(Command::TogglePause);
    }
    // n / p: the next / previous anomaly's event (and its flow).
    for (key, forward) in [(Key::N, true), (Key::P, false)] {
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, key))
            && let Some(e) = anomalies_panel::step_anomaly(engine, view, forward)
        {
            out.push(Command::SelectEvent(e));
        }
    }
}

/// A stable colour per service (or topic) name (the exports' drawings use the same).
pub fn service_color(name: &str) -> Color32 {
    let [r, g, b] = crate::export::service_rgb(name);
    Color32::from_rgb(r, g, b)
}

pub fn sym_color(engine: &Engine, sym: Option<Sym>) -> Color32 {
    sym.map_or(Color32::GRAY, |s| service_color(engine.store.str(s)))
}

pub fn severity_color(s: Severity) -> Color32 {
    let [r, g, b] = crate::export::severity_rgb(s);
    Color32::from_rgb(r, g, b)
}

pub fn status_color(status: FlowStatus) -> Color32 {
    match status {
        FlowStatus::Complete => Color32::from_rgb(0x59, 0xa1, 0x4f),
        FlowStatus::Open => Color32::from_rgb(0x5b, 0x9b, 0xd5),
        FlowStatus::Stuck => Color32::from_rgb(0xe8, 0xa3, 0x2c),
        FlowStatus::Failed => Color32::from_rgb(0xe0, 0x4b, 0x4b),
    }
}

/// A label that does not take clicks (so table rows get them).
pub fn plain(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(egui::Label::new(text).selectable(false).truncate())
}
