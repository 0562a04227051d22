//! The native file dialog, on its own thread: rfd's dialog blocks until the user is done, and the
//! window must keep painting meanwhile. The chosen paths (or what was read from them, for span
//! exports) come back through a channel that `logic()` polls.

use crate::decode::spans::SpanIndex;
use crate::ingest::Waker;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

/// A dialog that gives nothing back sooner than this never showed (no desktop portal or zenity,
/// as under a bare X server): no one can cancel that fast.
const NO_ANSWER: Duration = Duration::from_millis(1500);

/// A dialog on its own thread and what it gives: the chosen paths, or (`FileDialog<SpanIndex>`)
/// the span exports read from them on that same thread.
pub struct FileDialog<T = Vec<PathBuf>> {
    pending: Option<Receiver<(Option<T>, Duration)>>,
    /// The last dialog gave nothing at once: it never showed.
    unanswered: bool,
}

impl<T> Default for FileDialog<T> {
    fn default() -> Self {
        FileDialog {
            pending: None,
            unanswered: false,
        }
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

impl FileDialog<PathBuf> {
    /// Shows a dialog choosing one certificate or key file (PEM).
    pub fn pick_certificate(&mut self, waker: Waker) {
        self.open_with(waker, || {
            rfd::FileDialog::new()
                .add_filter("PEM", &["pem", "crt", "cer", "key"])
                .add_filter("all files", &["*"])
                .pick_file()
        });
    }
}

impl FileDialog<PathBuf> {
    /// Shows a save dialog starting at `path` (File > Export).
    pub fn save(&mut self, waker: Waker, path: PathBuf) {
        self.open_with(waker, move || {
            let mut d = rfd::FileDialog::new().set_title("Export to");
            if let Some(name) = path.file_name() {
                d = d.set_file_name(name.to_string_lossy());
            }
            if let Some(dir) = path.parent().filter(|d| d.is_dir()) {
                d = d.set_directory(dir);
            }
            d.save_file()
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
                let t0 = Instant::now();
                let got = pick();
                let _ = tx.send((got, t0.elapsed()));
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
            Ok((got, took)) => {
                self.pending = None;
                self.unanswered = got.is_none() && took < NO_ANSWER;
                got
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.pending = None;
                None
            }
        }
    }
}

impl<T> FileDialog<T> {
    /// True once after a dialog that never showed (the app offers its own path box then).
    pub fn take_unanswered(&mut self) -> bool {
        std::mem::take(&mut self.unanswered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A waker that reports each call on the returned channel.
    fn woken() -> (Waker, Receiver<()>) {
        let (tx, rx) = channel::<()>();
        let tx = std::sync::Mutex::new(tx);
        let waker: Waker = Arc::new(move || {
            let _ = tx.lock().map(|t| t.send(()));
        });
        (waker, rx)
    }

    #[test]
    fn the_frame_goes_on_while_the_dialog_is_open() {
        let (release, wait) = channel::<()>();
        let (waker, woken) = woken();
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
        assert!(!d.take_unanswered());
    }

    #[test]
    fn a_dialog_that_gives_nothing_at_once_never_showed() {
        let (waker, woken) = woken();
        let mut d: FileDialog = FileDialog::default();
        d.open_with(waker, || None);
        woken.recv().unwrap();
        assert_eq!(d.poll(), None);
        assert!(d.take_unanswered(), "the app offers its path box");
        assert!(!d.take_unanswered(), "once");
    }

    #[test]
    fn span_exports_are_read_on_the_dialog_thread() {
        let (waker, woken) = woken();
        let mut d: FileDialog<SpanIndex> = FileDialog::default();
        d.open_with(waker, || {
            let export = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000b1","kind":4}]}]}]}"#;
            Some(SpanIndex::parse(&[("s.json", export)]))
        });
        woken.recv().unwrap();
        assert_eq!(d.poll().map(|s| s.len()), Some(1));
    }
}
