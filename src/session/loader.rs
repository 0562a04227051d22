//! The analysis of trace files on a thread of its own, as `check`'s main thread does it: the
//! window's thread only paints, so the analysis goes on while a frame is drawn (software GL
//! draws on the same cores) instead of waiting for it. The engine is lent to the window's thread
//! for each frame (see [`super::SharedEngine`]), so the views grow with the load.

use crate::analysis::Engine;
use crate::ingest::{SourceMessage, Waker};
use crate::model::Problem;
use crossbeam_channel::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How often the loader asks the window for a frame while files load (and once at the end).
pub const FRAME_EVERY: Duration = Duration::from_millis(500);

/// Where the engine is while files load: in the slot (the loader ingests into it) or taken by the
/// window's thread for a frame (the loader waits for it).
pub struct Slot {
    engine: Mutex<Option<Box<Engine>>>,
    returned: Condvar,
}

impl Slot {
    pub fn new(engine: Engine) -> Arc<Slot> {
        Arc::new(Slot {
            engine: Mutex::new(Some(Box::new(engine))),
            returned: Condvar::new(),
        })
    }

    /// Takes the engine (waits for the batch the loader is ingesting, if any).
    pub fn take(&self) -> Box<Engine> {
        let mut e = self.engine.lock().expect("engine slot");
        e.take().expect("the engine is in its slot when not held")
    }

    /// Gives the engine back to the loader.
    pub fn put(&self, engine: Box<Engine>) {
        *self.engine.lock().expect("engine slot") = Some(engine);
        self.returned.notify_one();
    }

    /// Runs `f` on the engine once it is in the slot; `None` when the session went away.
    fn with<R>(self: &Arc<Self>, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        let mut e = self.engine.lock().expect("engine slot");
        loop {
            if Arc::strong_count(self) == 1 {
                return None;
            }
            if let Some(engine) = e.as_mut() {
                return Some(f(engine));
            }
            // The window holds it for a frame; time out now and then to notice a closed session.
            e = (self.returned)
                .wait_timeout(e, Duration::from_millis(100))
                .expect("engine slot")
                .0;
        }
    }
}

/// What the loader tells the session, in file order.
pub enum Progress {
    /// A batch was ingested.
    Batch {
        origin: Arc<str>,
        events: u64,
        problems: Vec<Problem>,
        bytes_read: u64,
    },
    /// The origin is done (everything it sent is in the engine).
    Finished {
        origin: Arc<str>,
        error: Option<String>,
    },
}

/// Starts the loader: ingests what the file sources send on `rx` into the engine in `slot` and
/// reports on `out`, asking for a frame at most every [`FRAME_EVERY`]. It ends when the sources
/// are done or the session is gone (then the sources stop too: their channel closes).
pub fn spawn(
    slot: Arc<Slot>,
    rx: Receiver<SourceMessage>,
    out: Sender<Progress>,
    waker: Option<Waker>,
) {
    let wake = move || {
        if let Some(w) = &waker {
            w();
        }
    };
    std::thread::Builder::new()
        .name("eventscope-load".into())
        .spawn(move || {
            let mut woke = Instant::now();
            for msg in rx {
                let report = match msg {
                    SourceMessage::Batch(b) => {
                        let events = b.events.len() as u64;
                        let ingested = slot.with(|e| e.ingest(&b.origin, b.events, &b.problems));
                        if ingested.is_none() {
                            return;
                        }
                        Progress::Batch {
                            origin: b.origin,
                            events,
                            problems: b.problems,
                            bytes_read: b.bytes_read,
                        }
                    }
                    SourceMessage::Finished { origin, error } => {
                        Progress::Finished { origin, error }
                    }
                };
                let finished = matches!(report, Progress::Finished { .. });
                if out.send(report).is_err() {
                    return;
                }
                if finished || woke.elapsed() >= FRAME_EVERY {
                    woke = Instant::now();
                    wake();
                }
            }
        })
        .expect("spawn loader thread");
}
