//! Kafka as a session source: consumed on its own thread, decoded records sent as batches over
//! the session's channel.

use super::{Decoded, Delivered, KafkaOptions, KafkaStatus, consume};
use crate::ingest::{Batch, SourceMessage, Waker};
use crate::model::{PackedEvents, Problem};
use crossbeam_channel::{SendTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running live source.
pub struct KafkaHandle {
    pub status: Arc<Mutex<KafkaStatus>>,
    pub description: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for KafkaHandle {
    /// Stops the thread without waiting for it (it may be inside a blocking metadata call; the
    /// window must not freeze): it ends on its own within seconds.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.thread.take());
    }
}

/// Starts consuming on its own thread; batches go to `tx`.
pub fn spawn(opts: KafkaOptions, tx: Sender<SourceMessage>, waker: Option<Waker>) -> KafkaHandle {
    let status = Arc::new(Mutex::new(KafkaStatus::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let description = opts.description();
    let (st, sp) = (status.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("kafka".into())
        .spawn(move || {
            let origin = opts.origin();
            let mut shown = None;
            let result = consume(&opts, &sp, &st, |records| {
                // A changed connection state is news for the window even without records.
                let now = st.lock().unwrap_or_else(|e| e.into_inner()).connection();
                if shown.as_ref() != Some(&now) {
                    shown = Some(now);
                    if let Some(w) = &waker {
                        w();
                    }
                }
                if records.is_empty() {
                    return true;
                }
                let sent = batches(&origin, records, opts.keep_payload)
                    .into_iter()
                    .all(|b| send(&tx, SourceMessage::Batch(b), &sp));
                if let Some(w) = &waker {
                    w();
                }
                sent
            });
            let _ = tx.send(SourceMessage::Finished {
                origin,
                error: result.err(),
            });
        })
        .expect("spawn kafka thread");
    KafkaHandle {
        status,
        description,
        stop,
        thread: Some(thread),
    }
}

/// The records as batches: the fully decoded ones together first, then one batch per record
/// with a problem, so the problem attaches to its event.
fn batches(origin: &Arc<str>, records: Decoded, keep_payload: bool) -> Vec<Batch> {
    let batch = |events, problems| Batch {
        origin: origin.clone(),
        events,
        problems,
        bytes_read: 0,
    };
    let mut events = PackedEvents::with_capacity(records.len());
    let mut single = Vec::new();
    for Delivered {
        event: ev, problem, ..
    } in records
    {
        match problem {
            None => events.push(ev, keep_payload),
            Some(reason) => {
                let mut one = PackedEvents::with_capacity(1);
                one.push(ev, keep_payload);
                let p = Problem {
                    line: 0,
                    reason,
                    event_kept: true,
                };
                single.push(batch(one, vec![p]));
            }
        }
    }
    std::iter::once(batch(events, Vec::new()))
        .chain(single)
        .collect()
}

/// Waits for room in the channel, but notices a stop (a paused window drains nothing). False
/// when stopped or nobody listens any more.
fn send(tx: &Sender<SourceMessage>, mut msg: SourceMessage, stop: &AtomicBool) -> bool {
    loop {
        match tx.send_timeout(msg, Duration::from_millis(100)) {
            Ok(()) => return true,
            Err(SendTimeoutError::Timeout(m)) => {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                msg = m;
            }
            Err(SendTimeoutError::Disconnected(_)) => return false,
        }
    }
}
