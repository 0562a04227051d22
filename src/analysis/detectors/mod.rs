//! One file per detector. Each is fed one event at a time (never a rescan) and raises or withdraws
//! anomalies through the shared [`Ctx`].

pub mod causation_cycle;
pub mod cause_after_effect;
pub mod dead_letter;
pub mod duplicate;
pub mod orphan_cause;
pub mod sequence;
pub mod stuck;

use super::Config;
use super::anomaly::Anomalies;
use crate::model::Timestamp;
use crate::store::{EventIdx, EventStore};

/// Per-event facts the first detectors establish for the others.
pub mod flags {
    /// Same (source, id), type and data as an earlier event.
    pub const EXACT_DUPLICATE: u8 = 1;
    /// Same (source, id) as an earlier event but a different type or data.
    pub const CONFLICTING: u8 = 2;
    /// On a dead-letter topic or carrying dead-letter headers.
    pub const DEAD_LETTER: u8 = 4;
    /// The first event carrying its id (the one causation links resolve to).
    pub const FIRST_OF_ID: u8 = 8;
}

pub struct Ctx<'a> {
    pub store: &'a EventStore,
    pub anomalies: &'a mut Anomalies,
    pub config: &'a Config,
    pub flags: &'a [u8],
}

impl Ctx<'_> {
    pub fn has(&self, e: EventIdx, flag: u8) -> bool {
        self.flags.get(e as usize).is_some_and(|f| f & flag != 0)
    }
    /// Exact duplicates and dead-letter copies are the same logical event seen again: the
    /// ordering, causality and progress detectors skip them.
    pub fn is_repeat(&self, e: EventIdx) -> bool {
        self.has(e, flags::EXACT_DUPLICATE | flags::DEAD_LETTER)
    }
}

pub trait Detector {
    /// Called once per event, right after it was appended and placed in its flow.
    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx);
    /// Live sources: judge what depends on time passing (`now` is the wall clock).
    fn on_tick(&mut self, _cx: &mut Ctx, _now: Timestamp) {}
    /// End of input: judge everything still open (`now` is `--now` or the latest event time).
    fn on_finish(&mut self, cx: &mut Ctx, now: Timestamp) {
        self.on_tick(cx, now)
    }
}
