//! What the GUI test binaries share (each includes this file: `#[path = "support/gui.rs"] mod
//! gui_support;`): sessions loaded on the test's thread, the real app over one, and bounded
//! waits. Views depend only on the app's state and egui's input time, which each step advances,
//! so waiting on the app's own work is a bounded number of frames; only real sources (a file
//! reader, the demo, Kafka) are waited for on the clock, with a deadline.
#![allow(dead_code)] // each binary uses some of these

use egui_kittest::Harness;
use eventscope::analysis::Config;
use eventscope::app::EventscopeApp;
use eventscope::ingest::SourceMessage;
use eventscope::ingest::file::{FileOptions, load_files};
use eventscope::session::Session;
use std::path::Path;
use std::time::{Duration, Instant};

pub type App = Harness<'static, EventscopeApp>;

/// A session with `path` loaded on this thread (the file reader's own threads are joined), so
/// the window starts with everything in and no test waits on a thread.
pub fn session_of(path: &Path) -> Session {
    let mut s = Session::new(Config::default());
    load_files(&[path.to_path_buf()], &FileOptions::default(), |m| {
        if let SourceMessage::Batch(b) = m {
            s.engine.ingest(&b.origin, b.events, &b.problems);
        }
    });
    s.engine.finish(None);
    s
}

/// The real app over `session`, 1500 x 950 points, after its first frames.
pub fn window_of(session: Session) -> App {
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_eframe(move |cc| EventscopeApp::with_session(cc, session));
    h.run_steps(3);
    h
}

/// The real app over `path`, loaded on this thread.
pub fn window(path: &Path) -> App {
    window_of(session_of(path))
}

/// Steps until `cond` holds: at most 30 frames.
pub fn until(h: &mut App, what: &str, cond: impl Fn(&App) -> bool) {
    for _ in 0..30 {
        h.step();
        if cond(h) {
            return;
        }
    }
    panic!("not reached in 30 frames: {what}");
}

/// Steps until `cond` holds where a real source thread must deliver first: bounded by a 30 s
/// deadline, yielding the core to that thread between frames.
pub fn until_delivered(h: &mut App, what: &str, cond: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        h.step();
        if cond(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("not within 30 s: {what}");
}
