//! The eframe app. `logic()` applies the commands the panels emitted in the last frame, drains the
//! sources within a time budget (~10 ms) into the engine (files are analysed on a loader thread,
//! which lends the engine to each frame: `ui()` lends it back when done) and brings the derived
//! views up to date ([`ViewState::update`]); `ui()` only paints: the panels read state and push
//! commands (they never
//! touch sources and change no preference: `Prefs` reaches them read-only). Nothing
//! blocks a frame: the file dialog runs on its own thread (`dialog`) and its answer is picked up
//! by `logic()`.

mod dialog;
mod export;
pub mod load_report;

use crate::decode::ProfileConfig;
use crate::decode::spans::SpanIndex;
use crate::ingest::Waker;
use crate::ingest::demo::{DemoControl, DemoOptions};
use crate::session::Session;
use crate::ui::{self, Command, Prefs, ViewState};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long `logic()` may spend feeding the engine per frame.
pub const INGEST_BUDGET: Duration = Duration::from_millis(10);
/// While files load, frames come at most this often (each costs software GL more CPU than the
/// views; the loader analyses meanwhile).
pub const LOAD_FRAME_GAP: Duration = Duration::from_millis(400);

/// What the window starts with.
#[derive(Clone, Debug)]
pub enum Launch {
    Demo(DemoOptions),
    /// Trace files, with profile settings (`--spans`, overrides) from the command line.
    Files(Vec<PathBuf>, ProfileConfig),
    /// Live Kafka with a memory budget in bytes.
    #[cfg(feature = "kafka")]
    Kafka(Box<crate::ingest::kafka::KafkaOptions>, u64),
}

pub struct EventscopeApp {
    pub session: Session,
    pub view: ViewState,
    pub prefs: Prefs,
    pub commands: Vec<Command>,
    waker: Waker,
    demo_seed: u64,
    file_dialog: dialog::FileDialog,
    /// The connect dialog's certificate picker, and the field it fills.
    cert_dialog: dialog::FileDialog<PathBuf>,
    cert_field: Option<crate::ui::connect_dialog::CertFile>,
    spans_dialog: dialog::FileDialog<SpanIndex>,
    /// File > Export's save dialog.
    export_dialog: dialog::FileDialog<PathBuf>,
    /// An export writing in the background: its outcome when it is done.
    export_job: Option<crossbeam_channel::Receiver<Result<String, String>>>,
    /// Profile settings the files open with (File > Open spans sets the spans).
    profiles: ProfileConfig,
    /// The files last opened, opened again when spans are given.
    files: Vec<PathBuf>,
    /// View > Reset layout was chosen: egui forgets panel sizes and window positions in the next
    /// `logic()`.
    reset_layout: bool,
    /// `EVENTSCOPE_EXIT_WHEN_LOADED`: report the load time and close when loaded.
    load_report: Option<load_report::LoadReport>,
    /// When the last frame's `logic()` started.
    last_frame: Option<std::time::Instant>,
}

impl EventscopeApp {
    pub fn new(cc: &eframe::CreationContext<'_>, launch: Launch) -> Self {
        let prefs: Prefs = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        cc.egui_ctx.set_theme(if prefs.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        // A steady text cursor: a blinking one repaints the window twice a second for as long as
        // the filter box has the focus, which on software GL is a fifth of a core doing nothing.
        cc.egui_ctx
            .all_styles_mut(|s| s.visuals.text_cursor.blink = false);
        let ctx = cc.egui_ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        let mut app = EventscopeApp {
            session: Session::new(Default::default()),
            view: ViewState::default(),
            prefs,
            commands: Vec::new(),
            waker,
            demo_seed: 1,
            file_dialog: dialog::FileDialog::default(),
            cert_dialog: dialog::FileDialog::default(),
            cert_field: None,
            spans_dialog: dialog::FileDialog::default(),
            export_dialog: dialog::FileDialog::default(),
            export_job: None,
            profiles: ProfileConfig::default(),
            files: Vec::new(),
            reset_layout: false,
            load_report: None,
            last_frame: None,
        };
        match launch {
            Launch::Demo(opts) => {
                app.demo_seed = opts.seed;
                app.prefs.demo_rate = opts.rate;
                app.prefs.demo_faults = opts.faults.0.to_vec();
                app.start_demo();
            }
            Launch::Files(paths, profiles) => {
                app.profiles = profiles;
                app.open(paths);
            }
            #[cfg(feature = "kafka")]
            Launch::Kafka(opts, max_memory) => app.connect(*opts, max_memory),
        }
        app
    }

    /// An app showing an already loaded session (benchmarks, tests).
    pub fn with_session(cc: &eframe::CreationContext<'_>, session: Session) -> Self {
        let mut app = Self::new(cc, Launch::Files(Vec::new(), ProfileConfig::default()));
        app.session = session;
        app
    }

    fn demo_options(&self) -> DemoOptions {
        DemoOptions {
            seed: self.demo_seed,
            rate: self.prefs.demo_rate,
            faults: self.prefs.faults(),
            ..DemoOptions::default()
        }
    }

    fn start_demo(&mut self) {
        self.session = Session::with_demo(self.demo_options(), self.waker.clone());
        self.view = ViewState::default();
        self.files.clear();
    }

    #[cfg(feature = "kafka")]
    fn connect(&mut self, opts: crate::ingest::kafka::KafkaOptions, max_memory: u64) {
        self.session = Session::with_kafka(opts, max_memory, self.waker.clone());
        self.view = ViewState::default();
        self.files.clear();
    }

    fn open(&mut self, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let report = load_report::LoadReport::from_env();
        let session =
            Session::with_files_profiled(&paths, self.profiles.clone(), self.waker.clone());
        self.adopt(paths, session, report);
    }

    /// Shows `session`, loading `paths`.
    fn adopt(
        &mut self,
        paths: Vec<PathBuf>,
        session: Session,
        report: Option<load_report::LoadReport>,
    ) {
        self.prefs.remember(&paths);
        self.load_report = report;
        self.session = session;
        self.view = ViewState::default();
        self.files = paths;
        (self.session.messages).extend(self.profiles.load_problems());
    }

    /// Opens the files again with span exports (read on the dialog's thread); what could not
    /// be read is reported in the window with the files' problems.
    fn open_spans(&mut self, spans: SpanIndex) {
        self.profiles.spans = Some(Arc::new(spans));
        if self.files.is_empty() {
            // A live session (demo, Kafka) keeps running as it is; the spans are for files.
            self.session
                .messages
                .push("span export read: it applies to the trace files opened from now on".into());
            if let Some(spans) = &self.profiles.spans {
                self.session.messages.extend_from_slice(spans.problems());
            }
            return;
        }
        self.open(self.files.clone());
    }

    /// Applies queued commands (none blocks: the file dialog only starts here).
    pub fn apply_commands(&mut self) {
        for c in std::mem::take(&mut self.commands) {
            match c {
                Command::Open(paths) => self.open(paths),
                Command::OpenDialog => self.file_dialog.open(self.waker.clone()),
                Command::PickCertFile(field) => {
                    self.cert_field = Some(field);
                    self.cert_dialog.pick_certificate(self.waker.clone());
                }
                Command::OpenSpansDialog => self.spans_dialog.open_spans(self.waker.clone()),
                Command::Export(req) => self.export(&req),
                Command::ExportBrowse(path) => {
                    self.export_dialog.save(self.waker.clone(), path);
                }
                Command::StartDemo => self.start_demo(),
                Command::ResetDemo(seed) => {
                    self.demo_seed = seed;
                    self.start_demo();
                }
                Command::Demo(ctl) => {
                    match &ctl {
                        DemoControl::SetRate(r) => self.prefs.demo_rate = *r,
                        DemoControl::SetFaults(f) => self.prefs.demo_faults = f.0.to_vec(),
                        _ => {}
                    }
                    if let Some(d) = &self.session.demo {
                        let _ = d.control.send(ctl);
                    }
                }
                Command::SelectFlow(f) => {
                    self.view.select_flow(&self.session.engine, f);
                }
                Command::SelectEvent(e) => {
                    let f = self.session.engine.flows.flow_of(e);
                    self.view.select_flow(&self.session.engine, f);
                    self.view.selected_event = Some(e);
                }
                Command::TogglePause => self.session.paused = !self.session.paused,
                Command::SetDark(d) => self.prefs.dark = d,
                Command::SetLanesByTopic(b) => self.prefs.lanes_by_topic = b,
                Command::ShowDemoPanel(b) => self.prefs.show_demo_panel = b,
                Command::SetUtc(b) => self.prefs.utc = b,
                Command::SetFlowColumns(c) => self.prefs.flow_columns = c,
                Command::ResetLayout => self.reset_layout = true,
                Command::RememberConnection(c) => self.prefs.remember_connection(*c),
                #[cfg(feature = "kafka")]
                Command::Connect(opts) => self.connect(*opts, crate::session::DEFAULT_BUDGET),
                #[cfg(feature = "kafka")]
                Command::Disconnect => self.session.disconnect(),
            }
        }
    }
}

impl eframe::App for EventscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // The last frame's clicks first, so this frame's views show their effect.
        if let Some(paths) = self.file_dialog.poll() {
            self.commands.push(Command::Open(paths));
        }
        if self.file_dialog.take_unanswered() {
            self.view.open_path.show(
                "No file dialog answered (no desktop portal or zenity here): type the trace file's path.",
            );
        }
        if let Some(path) = self.cert_dialog.poll()
            && let Some(field) = self.cert_field
        {
            self.view.connect.set_file(field, &path);
        }
        if let Some(spans) = self.spans_dialog.poll() {
            self.open_spans(spans);
        }
        if let Some(path) = self.export_dialog.poll() {
            self.view.export.path = path.display().to_string();
        }
        self.poll_export();
        self.apply_commands();
        if std::mem::take(&mut self.reset_layout) {
            ctx.memory_mut(|m| {
                m.data = Default::default();
                m.reset_areas();
            });
        }
        let loading = self.session.loading();
        if let Some(last) = self.last_frame
            && loading
        {
            self.session.wait_loading(last + LOAD_FRAME_GAP);
        }
        self.last_frame = Some(std::time::Instant::now());
        let more = self.session.drain(INGEST_BUDGET);
        let loaded = loading && !self.session.loading();
        if loaded {
            // Show the whole file now (table, service map), not at their next timed refresh; the next frame
            // brings every row's status up to date.
            self.view.flows.invalidate();
            self.view.service_map_graph.invalidate();
            ctx.request_repaint();
        }
        if self.session.generation != self.view.generation {
            // Eviction rebuilt the engine: indexes changed, derived views start over.
            self.view = ViewState::fresh_like(&self.view, self.session.generation);
        }
        let now = ctx.input(|i| i.time);
        let pending = self.view.update(&self.session.engine, &self.prefs, now);
        if pending && !self.session.loading() {
            // (While files load, the loader asks for the frames: see `session::loader`.)
            ctx.request_repaint_after(Duration::from_secs_f64(crate::ui::flows_data::REFRESH));
        }
        if self.view.playing() {
            ctx.request_repaint();
        }
        ctx.set_theme(if self.prefs.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        if let Some(r) = &mut self.load_report
            && r.poll(
                &self.session,
                !more && !pending && !loaded && self.view.changes.touched.is_empty(),
            )
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if more {
            ctx.request_repaint();
        } else if self.session.is_live() && !self.session.paused {
            // Live time moves on even without events (stuck judgement, following timeline).
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        if ctx.input(|i| i.viewport().minimized == Some(true)) {
            // No `ui()` follows: the file loader gets the engine back now.
            self.session.end_frame();
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.commands.push(Command::Open(dropped));
        }
        ui::root_ui(
            ui,
            &self.session,
            &mut self.view,
            &self.prefs,
            &mut self.commands,
        );
        self.session.end_frame();
        if !self.commands.is_empty() {
            // Applied by the next `logic()`.
            ui.ctx().request_repaint();
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // The process ends: the OS takes the session's memory back at once, where freeing a
        // large analysis piece by piece first (a million events: ~0.2 s) only delays the exit.
        std::mem::forget(std::mem::replace(
            &mut self.session,
            Session::new(Default::default()),
        ));
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
}

/// Opens the window; returns the process exit code.
pub fn run(launch: Launch) -> i32 {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Eventscope")
            .with_inner_size([1500.0, 950.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    // Files named on the command line start loading now: creating the window takes a while
    // (software GL loads its compiler); the window takes the session over and wakes it.
    let ctx = Arc::new(std::sync::OnceLock::<egui::Context>::new());
    let (launch, early) = match launch {
        Launch::Files(paths, profiles) if !paths.is_empty() => {
            let c = ctx.clone();
            let waker: Waker = Arc::new(move || {
                if let Some(c) = c.get() {
                    c.request_repaint();
                }
            });
            let report = load_report::LoadReport::from_env();
            let session = Session::with_files_profiled(&paths, profiles.clone(), waker);
            (
                Launch::Files(Vec::new(), profiles),
                Some((paths, session, report)),
            )
        }
        launch => (launch, None),
    };
    match eframe::run_native(
        "eventscope",
        options,
        Box::new(move |cc| {
            let mut app = EventscopeApp::new(cc, launch);
            if let Some((paths, session, report)) = early {
                let _ = ctx.set(cc.egui_ctx.clone());
                app.adopt(paths, session, report);
            }
            Ok(Box::new(app))
        }),
    ) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("eventscope: cannot open the window: {e}");
            2
        }
    }
}
