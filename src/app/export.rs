//! File > Export, applied: the request's flows taken from what the window shows, written through
//! `crate::export` (the CLI's `export` writes the same), the outcome shown in the export window.
//! Writing runs on a thread of its own (a million events as OTLP take seconds), reading the
//! engine while the window keeps painting; the session ingests nothing until it is done. While
//! files load the loader has the engine, so an export then is written at once.

use super::EventscopeApp;
use crate::analysis::Engine;
use crate::export::{Selection, format_name, write_file};
use crate::ui::export_dialog::{ExportRequest, selection};

impl EventscopeApp {
    pub(super) fn export(&mut self, req: &ExportRequest) {
        if self.export_job.is_some() {
            return;
        }
        let sel = selection(&self.session.engine, &self.view, req.scope).and_then(|sel| {
            if req.path.as_os_str().is_empty() {
                return Err("type the path of the file to write".to_string());
            }
            Ok(sel)
        });
        let sel: Selection = match sel {
            Ok(sel) => sel,
            Err(e) => {
                self.view.export.outcome = Some(Err(e));
                return;
            }
        };
        let shown = std::path::absolute(&req.path).unwrap_or_else(|_| req.path.clone());
        let what = format!(
            "{} {} as {} to {}",
            sel.len(),
            if sel.len() == 1 { "flow" } else { "flows" },
            format_name(req.format),
            shown.display()
        );
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (format, path, waker) = (req.format, req.path.clone(), self.waker.clone());
        let done = what.clone();
        let job = move |engine: &Engine| {
            let outcome = write_file(engine, &sel, format, &path).map(|()| format!("Wrote {done}"));
            let _ = tx.send(outcome);
            waker();
        };
        self.view.export.outcome = None;
        match self.session.engine.read_in_background(job) {
            Ok(()) => {
                self.view.export.writing = Some(format!("Writing {what}…"));
                self.export_job = Some(rx);
            }
            Err(job) => {
                job(&self.session.engine);
                self.view.export.outcome = rx.try_recv().ok();
            }
        }
    }

    /// The outcome of an export writing in the background, once it is done.
    pub(super) fn poll_export(&mut self) {
        let Some(rx) = &self.export_job else {
            return;
        };
        let outcome = match rx.try_recv() {
            Ok(outcome) => outcome,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            // The writer ended without a word: it panicked.
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                Err("the export failed (see the terminal)".into())
            }
        };
        self.view.export.outcome = Some(outcome);
        self.view.export.writing = None;
        self.export_job = None;
    }
}
