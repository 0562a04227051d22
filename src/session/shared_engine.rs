//! The session's engine, shared with a background thread while the memory budget's eviction
//! rebuilds it: the rebuild only reads the old engine, so the window keeps showing it (and stays
//! responsive) while a new one is built, and swaps in the new one when it is ready. While files
//! load, the engine is the loader's (`loader`): the window's thread takes it when it first reads
//! it in a frame and lends it back after the frame ([`SharedEngine::lend`]).

use super::loader::Slot;
use crate::analysis::Engine;
use crate::analysis::budget::{Evicted, Eviction, release_freed_memory};
use crossbeam_channel::{Receiver, TryRecvError, bounded};
use std::cell::OnceCell;
use std::sync::Arc;

/// Dereferences to the [`Engine`]. Changing it while a rebuild runs first waits for the rebuild
/// (the session does not: it stops ingesting until the new engine is in).
pub struct SharedEngine {
    engine: Arc<Engine>,
    rebuild: Option<Receiver<(Engine, Evicted)>>,
    /// A finished rebuild's counts, until the session takes them.
    finished: Option<Evicted>,
    /// While files load: the loader's slot, and the engine taken from it for this frame.
    loading: Option<Arc<Slot>>,
    held: OnceCell<Box<Engine>>,
    /// Threads reading the engine in the background (exports); changing it waits for them.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl SharedEngine {
    pub fn new(engine: Engine) -> SharedEngine {
        SharedEngine {
            engine: Arc::new(engine),
            rebuild: None,
            finished: None,
            loading: None,
            held: OnceCell::new(),
            readers: Vec::new(),
        }
    }

    /// Hands the engine to a file loader (see `loader`); returns the slot it ingests from.
    pub fn start_load(&mut self) -> Arc<Slot> {
        self.end_load();
        self.swap_in(true);
        self.wait_readers();
        // A placeholder: reads go to the loader's engine until the load ends.
        let placeholder = Arc::new(Engine::new(self.engine.config.clone()));
        let engine = std::mem::replace(&mut self.engine, placeholder);
        let engine = Arc::try_unwrap(engine).unwrap_or_else(|_| panic!("no rebuild holds it"));
        let slot = Slot::new(engine);
        self.loading = Some(slot.clone());
        slot
    }

    /// Takes the engine back from the loader for good (the loader is done with it).
    pub fn end_load(&mut self) {
        let Some(slot) = self.loading.take() else {
            return;
        };
        let engine = self.held.take().unwrap_or_else(|| slot.take());
        self.engine = Arc::new(*engine);
    }

    /// Lends the engine back to the loader after a frame (nothing when no load runs).
    pub fn lend(&mut self) {
        if let (Some(slot), Some(engine)) = (&self.loading, self.held.take()) {
            slot.put(engine);
        }
    }

    /// Runs `f` with the engine on a thread of its own (an export of many events), so the window
    /// keeps painting meanwhile; until it is done the engine does not change (the session
    /// ingests nothing: [`SharedEngine::reading`]; anything else that changes it waits). Gives
    /// `f` back while files load, as the loader has the engine then.
    pub fn read_in_background<F>(&mut self, f: F) -> Result<(), F>
    where
        F: FnOnce(&Engine) + Send + 'static,
    {
        if self.loading.is_some() {
            return Err(f);
        }
        let engine = self.engine.clone();
        let reader = std::thread::Builder::new()
            .name("eventscope-read".into())
            .spawn(move || f(&engine))
            .expect("spawn reader thread");
        self.readers.push(reader);
        Ok(())
    }

    /// True while a background reader runs.
    pub fn reading(&mut self) -> bool {
        self.readers.retain(|r| !r.is_finished());
        !self.readers.is_empty()
    }

    fn wait_readers(&mut self) {
        for r in self.readers.drain(..) {
            // A reader that panicked has let its engine go all the same.
            let _ = r.join();
        }
    }

    /// True while a rebuild runs.
    pub fn rebuilding(&self) -> bool {
        self.rebuild.is_some()
    }

    /// Starts `eviction` on its own thread, which calls `waker` when it is done.
    pub fn start_rebuild(&mut self, eviction: Eviction, waker: Option<crate::ingest::Waker>) {
        self.swap_in(true);
        let (tx, rx) = bounded(1);
        let old = self.engine.clone();
        std::thread::Builder::new()
            .name("eventscope-evict".into())
            .spawn(move || {
                let result = eviction.run(&old);
                drop(old);
                let _ = tx.send(result);
                if let Some(w) = waker {
                    w();
                }
            })
            .expect("spawn eviction thread");
        self.rebuild = Some(rx);
    }

    /// The counts of a rebuild that finished (its engine is then in), once.
    pub fn take_finished(&mut self) -> Option<Evicted> {
        self.swap_in(false);
        self.finished.take()
    }

    /// Puts the rebuilt engine in when it is ready (waiting for it when `wait`); the old one is
    /// dropped on another thread.
    fn swap_in(&mut self, wait: bool) {
        let Some(rx) = self.rebuild.as_ref() else {
            return;
        };
        let received = if wait {
            rx.recv().map_err(|_| TryRecvError::Disconnected)
        } else {
            rx.try_recv()
        };
        let (new, evicted) = match received {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => panic!("the eviction thread failed"),
        };
        self.rebuild = None;
        self.finished = Some(evicted);
        let old = std::mem::replace(&mut self.engine, Arc::new(new));
        // Freeing a large engine takes a while: not on the window's thread.
        std::thread::spawn(move || {
            drop(old);
            release_freed_memory();
        });
    }
}

impl std::ops::Deref for SharedEngine {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        match &self.loading {
            Some(slot) => self.held.get_or_init(|| slot.take()),
            None => &self.engine,
        }
    }
}

impl std::ops::DerefMut for SharedEngine {
    fn deref_mut(&mut self) -> &mut Engine {
        if let Some(slot) = &self.loading {
            self.held.get_or_init(|| slot.take());
            return self.held.get_mut().expect("taken above");
        }
        self.swap_in(true);
        self.wait_readers();
        Arc::get_mut(&mut self.engine).expect("no rebuild or reader holds the engine")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;
    use std::time::Duration;

    #[test]
    fn changing_the_engine_waits_for_a_background_reader() {
        let mut shared = SharedEngine::new(Engine::new(Config::default()));
        let (seen_tx, seen) = bounded(1);
        let (go, go_rx) = bounded::<()>(1);
        let reader = move |e: &Engine| {
            seen_tx.send(e.store.len()).unwrap();
            go_rx.recv().unwrap();
            // Still the engine it started with: nothing was added meanwhile.
            seen_tx.send(e.store.len()).unwrap();
        };
        assert!(shared.read_in_background(reader).is_ok());
        assert_eq!(seen.recv().unwrap(), 0);
        assert!(shared.reading());
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            go.send(()).unwrap();
        });
        let ev = DecodedEvent {
            id: "a".into(),
            event_type: "T".into(),
            ..Default::default()
        };
        shared.push(ev, 0);
        assert_eq!(seen.recv().unwrap(), 0, "the reader saw no change");
        assert!(!shared.reading());
        assert_eq!(shared.store.len(), 1);
        release.join().unwrap();
    }
}
