//! The native file dialog, on its own thread: rfd's dialog blocks until the user is done, and the
//! window must keep painting meanwhile. The chosen paths (or what was read from them, for span
//! exports) come back through a channel that `logic()` polls.

use crate::decode::spans::SpanIndex;
use crate::ingest::Waker;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// A dialog on its own thread and what it gives: the chosen paths, or (`FileDialog<SpanIndex>`)
/// the span exports read from them on that same thread.
pub struct FileDialog<T = Vec<PathBuf>> {
    pending: Option<Receiver<Option<T>>>,
}

impl<T> Default for FileDialog<T> {
    fn default() -> Self {
        FileDialog { pending: None }
    }
}

impl FileDialog<SpanIndex> {
    /// Shows the open dialog for span exports and reads the chosen ones, off the UI thread.
    pub fn open_spans(&mut self, waker: Waker) {
        self.open_with(waker, || {
            let paths = rfd::FileDialog::new()
                .set_title("Open OpenTelemetry spans (OTLP/JSON or Jaeger JSON)")
                .add_filter("span exports", &["json", "jsonl", "ndjson"])
                .add_filter("all files", &["*"])
                .pick_files()?;
            Some(SpanIndex::load(&paths))
        });
    }
}

impl FileDialog {
    /// Shows the open dialog unless one is already showing; `waker` asks for a frame when the
    /// user is done.
    pub fn open(&mut self, waker: Waker) {
        self.open_with(waker, || {
            rfd::FileDialog::new()
                .add_filter("traces", &["jsonl", "json", "gz", "ndjson", "txt"])
                .add_filter("all files", &["*"])
                .pick_files()
        });
    }
}

impl<T: Send + 'static> FileDialog<T> {
    /// Runs `pick` (the dialog) on its own thread.
    fn open_with(&mut self, waker: Waker, pick: impl FnOnce() -> Option<T> + Send + 'static) {
        if self.pending.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let _ = tx.send(pick());
                waker();
            });
        if spawned.is_ok() {
            self.pending = Some(rx);
        }
    }

    /// What the dialog gave (the paths chosen, or what was read from them), once the user
    /// closed it with some.
    pub fn poll(&mut self) -> Option<T> {
        let rx = self.pending.as_ref()?;
        match rx.try_recv() {
            Ok(paths) => {
                self.pending = None;
                paths
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.pending = None;
                None
            }
        }
    }
}
