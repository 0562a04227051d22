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
        self.open_with(waker, || {
            rfd::FileDialog::new()
                .add_filter("traces", &["jsonl", "json", "gz", "ndjson", "txt"])
                .add_filter("all files", &["*"])
                .pick_files()
        });
    }

    /// Shows a dialog choosing one certificate or key file (PEM).
    pub fn pick_certificate(&mut self, waker: Waker) {
        self.open_with(waker, || {
            rfd::FileDialog::new()
                .add_filter("PEM", &["pem", "crt", "cer", "key"])
                .add_filter("all files", &["*"])
                .pick_file()
                .map(|p| vec![p])
        });
    }

    /// Runs `pick` (the dialog) on its own thread.
    fn open_with(
        &mut self,
        waker: Waker,
        pick: impl FnOnce() -> Option<Vec<PathBuf>> + Send + 'static,
    ) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_frame_goes_on_while_the_dialog_is_open() {
        let (release, wait) = channel::<()>();
        let (woken_tx, woken) = channel::<()>();
        let woken_tx = std::sync::Mutex::new(woken_tx);
        let waker: Waker = Arc::new(move || {
            let _ = woken_tx.lock().map(|t| t.send(()));
        });
        let mut d = FileDialog::default();
        d.open_with(waker.clone(), move || {
            let _ = wait.recv();
            Some(vec![PathBuf::from("a.jsonl")])
        });
        assert_eq!(d.poll(), None, "the user has not chosen yet");
        d.open_with(waker, || panic!("a second dialog while one is open"));
        release.send(()).unwrap();
        woken.recv().unwrap();
        assert_eq!(d.poll(), Some(vec![PathBuf::from("a.jsonl")]));
        assert_eq!(d.poll(), None);
    }
}
