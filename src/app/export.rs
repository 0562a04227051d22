//! File > Export, applied: the request's flows taken from what the window shows, written through
//! `crate::export` (the CLI's `export` writes the same), the outcome shown in the export window.
//! Writing runs on the UI thread: the engine is not shared with other threads, and an export is
//! one pass over the chosen flows' events.

use super::EventscopeApp;
use crate::export::{Selection, format_name, write_file};
use crate::ui::export_dialog::{ExportRequest, selection};

impl EventscopeApp {
    pub(super) fn export(&mut self, req: &ExportRequest) {
        let engine = &self.session.engine;
        let outcome = selection(engine, &self.view, req.scope).and_then(|sel: Selection| {
            if req.path.as_os_str().is_empty() {
                return Err("type the path of the file to write".into());
            }
            write_file(engine, &sel, req.format, &req.path)?;
            let shown = std::path::absolute(&req.path).unwrap_or_else(|_| req.path.clone());
            Ok(format!(
                "Wrote {} {} as {} to {}",
                sel.len(),
                if sel.len() == 1 { "flow" } else { "flows" },
                format_name(req.format),
                shown.display()
            ))
        });
        self.view.export.outcome = Some(outcome);
    }
}
