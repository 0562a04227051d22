//! `EVENTSCOPE_EXIT_WHEN_LOADED=1`: when the files the window opened with are loaded and every
//! view is up to date, print one line with the counts and the load time, then close the window.
//! Benchmarks (`benches/load_vs_check.sh`) time the real window this way.

use crate::session::Session;
use std::time::Instant;

/// The environment variable that turns the report on.
pub const ENV: &str = "EVENTSCOPE_EXIT_WHEN_LOADED";

pub struct LoadReport {
    /// When the files were opened.
    pub started: Instant,
    done: bool,
}

impl LoadReport {
    /// A report when [`ENV`] is set (to anything but `0`).
    pub fn from_env() -> Option<LoadReport> {
        std::env::var_os(ENV)
            .filter(|v| v != "0")
            .map(|_| LoadReport {
                started: Instant::now(),
                done: false,
            })
    }

    /// Called at the end of each `logic()`: `settled` is true when the views wait for nothing.
    /// Returns true once, when the load is complete (the window should close then).
    pub fn poll(&mut self, session: &Session, settled: bool) -> bool {
        if self.done || session.loading() || !settled || session.sources.is_empty() {
            return false;
        }
        self.done = true;
        let e = &session.engine;
        println!(
            "loaded {} events, {} flows, {} anomalies ({} undecodable lines) in {:.3} s",
            e.stats.events,
            e.flows.len(),
            e.anomalies.total(),
            e.stats.undecodable,
            self.started.elapsed().as_secs_f64()
        );
        true
    }
}
