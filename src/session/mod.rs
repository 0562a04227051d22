//! One debugging session: the engine, the sources feeding it, and their progress. Live sources
//! send batches through one bounded channel; [`Session::drain`] takes them within a time budget.
//! Files are analysed on a loader thread (`loader`) and `drain` only takes its progress.

#[cfg(feature = "kafka")]
mod kafka;
pub mod loader;
mod shared_engine;
#[cfg(feature = "kafka")]
pub use kafka::Tap;
pub use shared_engine::SharedEngine;

use crate::analysis::budget::Budget;
use crate::analysis::{Config, Engine};
use crate::ingest::demo::{self, DemoHandle, DemoOptions};
use crate::ingest::file::{self, FileOptions};
use crate::ingest::{CHANNEL_CAPACITY, SourceMessage, Waker};
use crate::model::Problem;
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded, unbounded};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default memory budget of live sessions (`--max-memory`).
pub const DEFAULT_BUDGET: u64 = 2 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    File,
    Demo,
    Kafka,
}

/// Progress of one source, for the top bar.
#[derive(Clone, Debug)]
pub struct SourceState {
    pub origin: Arc<str>,
    pub kind: SourceKind,
    /// File size (0 when unknown, e.g. live).
    pub bytes_total: u64,
    pub bytes_read: u64,
    pub events: u64,
    pub undecodable: u64,
    pub finished: bool,
    pub error: Option<String>,
}

impl SourceState {
    fn new(origin: Arc<str>, kind: SourceKind, bytes_total: u64) -> SourceState {
        SourceState {
            origin,
            kind,
            bytes_total,
            bytes_read: 0,
            events: 0,
            undecodable: 0,
            finished: false,
            error: None,
        }
    }
}

/// True (and `last` set to `now`) when `every` has passed since `last`.
fn due(last: &mut Option<Instant>, now: Instant, every: Duration) -> bool {
    if last.is_some_and(|t| now.duration_since(t) < every) {
        return false;
    }
    *last = Some(now);
    true
}

/// Events per second over the last second or so.
#[derive(Default)]
pub struct RateMeter {
    window_start: Option<Instant>,
    count: u64,
    pub per_second: f64,
}

impl RateMeter {
    pub fn add(&mut self, n: u64, now: Instant) {
        let start = *self.window_start.get_or_insert(now);
        self.count += n;
        let dt = now.duration_since(start).as_secs_f64();
        if dt >= 1.0 {
            self.per_second = self.count as f64 / dt;
            self.count = 0;
            self.window_start = Some(now);
        }
    }
}

pub struct Session {
    /// The engine (shared with the eviction's thread while it rebuilds it).
    pub engine: SharedEngine,
    tx: Sender<SourceMessage>,
    rx: Receiver<SourceMessage>,
    pub sources: Vec<SourceState>,
    pub demo: Option<DemoHandle>,
    #[cfg(feature = "kafka")]
    pub kafka: Option<crate::ingest::kafka::KafkaHandle>,
    /// Memory budget of the analysis (live sessions evict old healthy flows).
    pub budget: Budget,
    /// Bumped when eviction rebuilt the engine (event and flow indexes changed).
    pub generation: u64,
    /// Called when a rebuild on another thread is done (asks the window for a frame).
    waker: Option<Waker>,
    freed_since_check: bool,
    last_budget_check: Option<Instant>,
    /// While paused nothing is drained: the views stay a still snapshot, sources wait.
    pub paused: bool,
    pub rate: RateMeter,
    /// Problems to show in the window (load errors with file and line).
    pub messages: Vec<String>,
    last_tick: Option<Instant>,
    /// While files load: what the loader thread reports.
    load: Option<Receiver<loader::Progress>>,
}

impl Session {
    pub fn new(config: Config) -> Session {
        let (tx, rx) = bounded(CHANNEL_CAPACITY);
        Session {
            engine: SharedEngine::new(Engine::new(config)),
            tx,
            rx,
            sources: Vec::new(),
            demo: None,
            #[cfg(feature = "kafka")]
            kafka: None,
            budget: Budget::of_process(DEFAULT_BUDGET),
            generation: 0,
            waker: None,
            freed_since_check: false,
            last_budget_check: None,
            paused: false,
            rate: RateMeter::default(),
            messages: Vec::new(),
            last_tick: None,
            load: None,
        }
    }

    /// A session loading `paths` on background threads (decoders and the analysis).
    pub fn with_files(paths: &[PathBuf], waker: Waker) -> Session {
        Self::with_files_profiled(paths, crate::decode::ProfileConfig::default(), waker)
    }

    /// Like [`Session::with_files`], with profile settings (`--spans`, overrides).
    pub fn with_files_profiled(
        paths: &[PathBuf],
        profiles: crate::decode::ProfileConfig,
        waker: Waker,
    ) -> Session {
        let mut s = Session::new(Config::default());
        // As `check` does: tables that grow by doubling copy themselves and leave the freed copy
        // resident a while.
        s.engine.reserve(file::reserve_for(paths));
        let (tx, rx) = bounded(CHANNEL_CAPACITY);
        for p in paths {
            s.sources.push(SourceState::new(
                p.display().to_string().into(),
                SourceKind::File,
                std::fs::metadata(p).map_or(0, |m| m.len()),
            ));
            // The file thread ends on its own; its handle is not needed.
            let opts = FileOptions {
                profiles: profiles.clone(),
                ..FileOptions::default()
            };
            // The loader asks for frames, paced; the file threads would at each batch.
            let _ = file::spawn(p, opts, tx.clone(), None);
        }
        if !paths.is_empty() {
            let (out, progress) = unbounded();
            loader::spawn(s.engine.start_load(), rx, out, Some(waker));
            s.load = Some(progress);
        }
        s
    }

    /// A session running the demo system live.
    pub fn with_demo(opts: DemoOptions, waker: Waker) -> Session {
        let mut s = Session::new(demo::analysis_config(&opts));
        s.waker = Some(waker.clone());
        s.sources
            .push(SourceState::new("demo".into(), SourceKind::Demo, 0));
        s.demo = Some(demo::spawn(opts, true, s.tx.clone(), waker));
        s
    }

    /// A demo or Kafka source: time-dependent anomalies are judged against the wall clock and
    /// the memory budget is kept.
    pub fn is_live(&self) -> bool {
        self.sources
            .iter()
            .any(|s| s.kind != SourceKind::File && !s.finished)
    }

    pub fn loading(&self) -> bool {
        self.sources
            .iter()
            .any(|s| !s.finished && s.kind == SourceKind::File)
    }

    /// Feeds queued batches to the engine for at most `budget` (while files load: takes the
    /// loader's progress). Returns true if more may wait.
    pub fn drain(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        if self.load.is_some() {
            self.take_progress();
            return false;
        }
        if self.paused || self.rebuilding(start) || self.engine.reading() {
            return false;
        }
        while start.elapsed() < budget {
            let msg = match self.rx.try_recv() {
                Ok(m) => m,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                    self.tick_live(start);
                    return false;
                }
            };
            match msg {
                SourceMessage::Batch(b) => {
                    self.account(&b.origin, b.events.len() as u64, &b.problems, b.bytes_read);
                    self.engine.ingest(&b.origin, b.events, &b.problems);
                }
                SourceMessage::Finished { origin, error } => self.finished(origin, error),
            }
        }
        self.tick_live(start);
        true
    }

    /// While files load: lends the engine to the loader and waits for its progress until
    /// `deadline` (or the load's end), so frames, which cost software GL more than the views,
    /// come at most so often. The window answers input after the wait.
    pub fn wait_loading(&mut self, deadline: Instant) {
        let Some(rx) = self.load.clone() else {
            return;
        };
        self.engine.lend();
        while self.loading() {
            match rx.recv_deadline(deadline) {
                Ok(p) => self.progress(p),
                Err(_) => return,
            }
        }
    }

    /// Lends the engine back to the file loader after a frame (see [`SharedEngine::lend`]).
    pub fn end_frame(&mut self) {
        self.engine.lend();
    }

    /// The file loader's progress; when every file is in, the engine is the session's again.
    fn take_progress(&mut self) {
        let Some(rx) = self.load.clone() else {
            return;
        };
        for p in rx.try_iter() {
            self.progress(p);
        }
    }

    fn progress(&mut self, p: loader::Progress) {
        match p {
            loader::Progress::Batch {
                origin,
                events,
                problems,
                bytes_read,
            } => self.account(&origin, events, &problems, bytes_read),
            loader::Progress::Finished { origin, error } => self.finished(origin, error),
        }
    }

    fn finished(&mut self, origin: Arc<str>, error: Option<String>) {
        if let Some(e) = &error {
            self.messages.push(format!("{origin}: {e}"));
        }
        if let Some(s) = self.sources.iter_mut().find(|s| s.origin == origin) {
            s.finished = true;
            s.bytes_read = s.bytes_total.max(s.bytes_read);
            s.error = error;
        }
        if !self.loading() && !self.is_live() {
            self.load = None;
            self.engine.end_load();
            self.engine.finish(None);
        }
    }

    /// Counts `events` from `origin` into its source's progress, the rate and the messages.
    fn account(&mut self, origin: &str, events: u64, problems: &[Problem], bytes_read: u64) {
        for p in problems {
            if self.messages.len() < 1000 {
                self.messages
                    .push(format!("{origin}:{}: {}", p.line, p.reason));
            }
        }
        if let Some(s) = self.sources.iter_mut().find(|s| &*s.origin == origin) {
            s.events += events;
            s.undecodable += problems.len() as u64;
            s.bytes_read = s.bytes_read.max(bytes_read);
        }
        self.rate.add(events, Instant::now());
    }

    /// True while the eviction rebuilds the engine on its own thread (nothing is ingested
    /// then: sources wait); picks up its result when it is done.
    fn rebuilding(&mut self, now: Instant) -> bool {
        if let Some(evicted) = self.engine.take_finished() {
            self.budget.done(evicted);
            self.generation += 1;
            // Measure again from now: the old engine is still being freed.
            self.last_budget_check = Some(now);
            self.freed_since_check = true;
        }
        self.engine.rebuilding()
    }

    /// Live sources: keep within the memory budget (checked every two seconds). Over budget,
    /// the engine is rebuilt without the evicted flows on another thread.
    fn check_budget(&mut self, now: Instant) {
        if self.rebuilding(now)
            || !self.is_live()
            || !due(&mut self.last_budget_check, now, Duration::from_secs(2))
        {
            return;
        }
        if std::mem::take(&mut self.freed_since_check) {
            // What the old engine's thread freed into this thread's heap goes back to the OS
            // before the next measurement.
            crate::analysis::budget::release_freed_memory();
        }
        if let Some(eviction) = self.budget.check(&self.engine) {
            self.engine.start_rebuild(eviction, self.waker.clone());
        }
    }

    /// Live sources: judge time-dependent anomalies against the wall clock twice a second.
    fn tick_live(&mut self, now: Instant) {
        self.check_budget(now);
        if self.engine.rebuilding()
            || self.engine.reading()
            || !self.is_live()
            || !due(&mut self.last_tick, now, Duration::from_millis(500))
        {
            return;
        }
        self.engine.tick(crate::model::now_ns());
        self.rate.add(0, now);
    }
}
