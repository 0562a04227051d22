//! The native file dialog, on its own thread: rfd's dialog blocks until the user is done, and the
//! window must keep painting meanwhile. The chosen paths come back through a channel that
//! `logic()` polls.

use crate::ingest::Waker;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

#[derive(Default)]
pub struct FileDialog {
    pending: Option<Receiver<Option<Vec<PathBuf>>>>,
}

impl FileDialog {
    /// Shows the open dialog unless one is already showing; `waker` asks for a frame when the
    /// user is done.
    pub fn open(&mut self, waker: Waker) {
        if self.pending.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let paths = rfd::FileDialog::new()
                    .add_filter("traces", &["jsonl", "json", "gz", "ndjson", "txt"])
                    .add_filter("all files", &["*"])
                    .pick_files();
                let _ = tx.send(paths);
                waker();
            });
        if spawned.is_ok() {
            self.pending = Some(rx);
        }
    }

    /// The paths chosen, once the user closed the dialog with some.
    pub fn poll(&mut self) -> Option<Vec<PathBuf>> {
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
