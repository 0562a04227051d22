//! A flow's status (complete, open, stuck, failed), now or as of a replay time: for one flow from
//! its events, or for every flow at once in one pass over the store.

use super::anomaly::AnomalyKind;
use super::detectors::flags;
use super::{Engine, FlowId};
use crate::model::{Sym, Timestamp};
use crate::store::EventIdx;
use smallvec::SmallVec;

/// A flow's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowStatus {
    /// Nothing is waiting for a follow-up.
    Complete,
    /// Some event still awaits its follow-up, not yet past the timeout.
    Open,
    /// An event is `stuck`.
    Stuck,
    /// Something was dead-lettered or a failure event (…Failed, …Rejected, …Cancelled) occurred.
    Failed,
}

impl FlowStatus {
    pub fn name(self) -> &'static str {
        match self {
            FlowStatus::Complete => "complete",
            FlowStatus::Open => "open",
            FlowStatus::Stuck => "stuck",
            FlowStatus::Failed => "failed",
        }
    }
}

const FAILURE_WORDS: [&str; 6] = [
    "Failed",
    "Failure",
    "Rejected",
    "Cancelled",
    "Canceled",
    "Error",
];

/// What the status reads of an event's type: a failure type; expects a follow-up.
type TypeFacts = (bool, bool);

/// Facts per type, asked once per type: flows hold a handful of types, and the questions read
/// strings and a map.
struct TypeCache<'a> {
    engine: &'a Engine,
    at: Option<Timestamp>,
    seen: SmallVec<[(Sym, TypeFacts); 8]>,
}

impl TypeCache<'_> {
    fn facts(&mut self, ty: Sym) -> TypeFacts {
        if let Some(&(_, f)) = self.seen.iter().find(|t| t.0 == ty) {
            return f;
        }
        let e = self.engine;
        let name = e.store.str(ty);
        let failure = FAILURE_WORDS.iter().any(|w| name.ends_with(w));
        let expects =
            e.detectors
                .stuck
                .type_expects_follow_up(&e.store, &e.config.expect, ty, self.at);
        self.seen.push((ty, (failure, expects)));
        (failure, expects)
    }
}

// Bits of a flow's state while its events are read; the status is the highest bit set.
const OPEN: u8 = 1;
const STUCK: u8 = 2;
const FAILED: u8 = 4;

fn status_of(bits: u8) -> FlowStatus {
    if bits & FAILED != 0 {
        FlowStatus::Failed
    } else if bits & STUCK != 0 {
        FlowStatus::Stuck
    } else if bits & OPEN != 0 {
        FlowStatus::Open
    } else {
        FlowStatus::Complete
    }
}

impl Engine {
    pub fn status(&self, flow: FlowId) -> FlowStatus {
        self.status_at(flow, None)
    }

    /// A flow's state as of `at` (replay; `None`: now): its events up to then, the anomalies
    /// active then, follow-ups that had come by then (which types expect one is what the whole
    /// session taught).
    pub fn status_at(&self, flow: FlowId, at: Option<Timestamp>) -> FlowStatus {
        let mut types = self.type_cache(at);
        let mut bits = 0;
        for &e in &self.flows.get(flow).events {
            if !self.happened_by(e, at) {
                continue;
            }
            for a in self.anomalies.on_event_at(e, at) {
                match a.kind {
                    AnomalyKind::DeadLetter => return FlowStatus::Failed,
                    AnomalyKind::Stuck => bits |= STUCK,
                    _ => {}
                }
            }
            bits |= self.event_bits(&mut types, e, at, bits & OPEN != 0);
            if bits & FAILED != 0 {
                return FlowStatus::Failed;
            }
        }
        status_of(bits)
    }

    /// Every flow's status now, by flow id (ids of flows merged away included), the same as
    /// [`Engine::status`] of each. One pass over the events in store order: flows interleave in
    /// the store, so reading each flow's events in turn misses the cache on nearly every event,
    /// while this reads the store front to back.
    pub fn statuses(&self) -> Vec<FlowStatus> {
        let mut bits = vec![0u8; self.flows.id_bound()];
        for a in self.anomalies.all().iter().filter(|a| a.active) {
            let Some(e) = a.event else { continue };
            let f = self.flows.flow_of(e) as usize;
            match a.kind {
                AnomalyKind::DeadLetter => bits[f] |= FAILED,
                AnomalyKind::Stuck => bits[f] |= STUCK,
                _ => {}
            }
        }
        let mut types = self.type_cache(None);
        for e in 0..self.store.len() as EventIdx {
            let f = self.flows.flow_of(e) as usize;
            if bits[f] & FAILED == 0 {
                bits[f] |= self.event_bits(&mut types, e, None, bits[f] & OPEN != 0);
            }
        }
        bits.into_iter().map(status_of).collect()
    }

    fn type_cache(&self, at: Option<Timestamp>) -> TypeCache<'_> {
        TypeCache {
            engine: self,
            at,
            seen: SmallVec::new(),
        }
    }

    /// What event `e` adds to its flow's state at `at` (its anomalies aside): `FAILED` for a
    /// failure type, `OPEN` when it still waits for a follow-up (`open`: the flow is open
    /// already, so that need not be asked).
    fn event_bits(
        &self,
        types: &mut TypeCache,
        e: EventIdx,
        at: Option<Timestamp>,
        open: bool,
    ) -> u8 {
        let (failure, expects) = types.facts(self.store.get(e).event_type);
        if failure {
            return FAILED;
        }
        // Only the event a causation id resolves to can have follow-ups; a duplicate or a
        // dead-letter copy of it waits for nothing.
        let f = self.flags[e as usize];
        let canonical =
            f & flags::FIRST_OF_ID != 0 && f & (flags::EXACT_DUPLICATE | flags::DEAD_LETTER) == 0;
        if !open && canonical && expects && self.awaits_follow_up_at(e, at) {
            OPEN
        } else {
            0
        }
    }

    /// Whether `e` (of a type that expects follow-ups) still waits for one at `at`.
    fn awaits_follow_up_at(&self, e: EventIdx, at: Option<Timestamp>) -> bool {
        let (s, stuck) = (&self.store, &self.detectors.stuck);
        if stuck.excused(e) {
            return false;
        }
        let Some(t) = at else {
            return !stuck.has_child(e);
        };
        let repeat = |c: EventIdx| {
            self.flags[c as usize] & (flags::EXACT_DUPLICATE | flags::DEAD_LETTER) != 0
        };
        !s.children_of(s.get(e).id)
            .any(|c| c != e && !repeat(c) && self.happened_by(c, Some(t)))
    }
}
