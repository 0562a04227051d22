//! The anomaly detectors, one file each, registered once in [`Detectors`] (the `detectors!` list
//! below). Each is fed one event at a time (never a rescan) and raises or withdraws anomalies
//! through the shared [`Ctx`]; the engine runs the whole list for every event, every live tick,
//! every input problem and the end of input, so a registered detector is never forgotten.
//!
//! # Adding an anomaly kind
//! 1. Declare it in [`super::anomaly`]: a variant of `AnomalyKind` and its `KindInfo` in
//!    `REGISTRY` (name, group, severity, summary).
//! 2. Write `detectors/<name>.rs`: a `Default` struct implementing [`Detector`] whose `kinds()`
//!    names the kinds it raises, with its unit tests (`analysis::testkit` builds engines from a
//!    few events).
//! 3. Add one line to the `detectors!` list below. Order matters only for `classify`: facts
//!    established there ([`flags`]) are visible to the detectors after it and to every `on_event`.
//!
//! `tests::every_kind_has_exactly_one_detector` fails if a kind is registered without a detector
//! raising it, or a detector names a kind twice.

pub mod causation_cycle;
pub mod cause_after_effect;
pub mod dead_letter;
pub mod duplicate;
pub mod orphan_cause;
pub mod sequence;
pub mod stuck;
pub mod undecodable;
pub mod unusual_flow;

use super::Config;
use super::anomaly::{Anomalies, AnomalyKind};
use crate::model::{Problem, Timestamp};
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

/// What every detector may read and write.
pub struct Ctx<'a> {
    pub store: &'a EventStore,
    pub anomalies: &'a mut Anomalies,
    pub config: &'a Config,
    pub flags: &'a [u8],
    /// The dead-letter header evidence of the event being classified (from the store's append).
    pub dead_letter_header: Option<&'a str>,
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

/// Input that could not be decoded, as the engine hands it to the detectors.
pub struct InputProblem<'a> {
    pub problem: &'a Problem,
    /// "file:line" or, for a live record, its topic/partition@offset.
    pub location: String,
    /// The event kept from that input, if any.
    pub event: Option<EventIdx>,
}

pub trait Detector {
    /// The anomaly kinds this detector raises (each kind is raised by exactly one detector).
    fn kinds(&self) -> &'static [AnomalyKind];
    /// Before the event is placed in its flow: returns the [`flags`] to add to it. `so_far` holds
    /// the flags set by the detectors before this one in the list.
    fn classify(&mut self, _cx: &mut Ctx, _idx: EventIdx, _so_far: u8) -> u8 {
        0
    }
    /// Called once per event, after it was classified and placed in its flow.
    fn on_event(&mut self, _cx: &mut Ctx, _idx: EventIdx) {}
    /// Input that could not be decoded (in full or in part).
    fn on_problem(&mut self, _cx: &mut Ctx, _input: &InputProblem) {}
    /// Live sources: judge what depends on time passing (`now` is the wall clock).
    fn on_tick(&mut self, _cx: &mut Ctx, _now: Timestamp) {}
    /// End of input: judge everything still open (`now` is `--now` or the latest event time).
    fn on_finish(&mut self, cx: &mut Ctx, now: Timestamp) {
        self.on_tick(cx, now)
    }
}

/// Declares the registered detectors once: the struct holding them and the loop over them (the
/// concrete types stay visible, so calls through the list are static and the engine can ask one
/// of them directly, as flow status asks `stuck`).
macro_rules! detectors {
    ($($field:ident: $ty:ty,)*) => {
        /// Every registered detector, in the order they run.
        #[derive(Default)]
        pub struct Detectors {
            $(pub $field: $ty,)*
        }

        impl Detectors {
            /// Calls `f` on each detector in list order.
            pub fn for_each(&mut self, mut f: impl FnMut(&mut dyn Detector)) {
                $(f(&mut self.$field);)*
            }
        }
    };
}

detectors! {
    dead_letter: dead_letter::DeadLetterDetector,
    duplicate: duplicate::DuplicateDetector,
    sequence: sequence::SequenceDetector,
    cause_after_effect: cause_after_effect::CauseAfterEffectDetector,
    cycle: causation_cycle::CausationCycleDetector,
    orphan: orphan_cause::OrphanCauseDetector,
    stuck: stuck::StuckDetector,
    undecodable: undecodable::UndecodableDetector,
    unusual: unusual_flow::UnusualFlowDetector,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::anomaly::REGISTRY;

    #[test]
    fn every_kind_has_exactly_one_detector() {
        let mut raised_by = vec![0; REGISTRY.len()];
        Detectors::default().for_each(|d| {
            for k in d.kinds() {
                raised_by[*k as usize] += 1;
            }
        });
        let wrong: Vec<_> = REGISTRY
            .iter()
            .zip(&raised_by)
            .filter(|(_, n)| **n != 1)
            .map(|(k, n)| format!("{} is raised by {n} detectors", k.name))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("; "));
    }
}
