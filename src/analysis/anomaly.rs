//! The anomaly registry (like Wireshark's expert info): every kind is declared once with its name,
//! group, default severity and summary. Detectors attach instances with evidence; the CLI and the
//! GUI only read them.

use crate::model::{Sym, Timestamp};
use crate::store::EventIdx;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];
}

/// What an anomaly is about (Wireshark's "group").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Delivery,
    Ordering,
    Causality,
    Progress,
    Input,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Delivery => "delivery",
            Group::Ordering => "ordering",
            Group::Causality => "causality",
            Group::Progress => "progress",
            Group::Input => "input",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyKind {
    Duplicate,
    ConflictingDuplicate,
    OutOfOrder,
    SequenceGap,
    CauseAfterEffect,
    OrphanCause,
    Stuck,
    DeadLetter,
    CausationCycle,
    Undecodable,
    UnusualFlow,
}

/// The static description of a kind.
pub struct KindInfo {
    pub kind: AnomalyKind,
    pub name: &'static str,
    pub group: Group,
    pub severity: Severity,
    pub summary: &'static str,
}

pub const KIND_COUNT: usize = 11;

pub static REGISTRY: [KindInfo; KIND_COUNT] = [
    KindInfo {
        kind: AnomalyKind::Duplicate,
        name: "duplicate",
        group: Group::Delivery,
        severity: Severity::Warning,
        summary: "An event whose (source, id) was already seen with the same type and data",
    },
    KindInfo {
        kind: AnomalyKind::ConflictingDuplicate,
        name: "conflicting_duplicate",
        group: Group::Delivery,
        severity: Severity::Error,
        summary: "An event reusing a (source, id) already seen with a different type or data",
    },
    KindInfo {
        kind: AnomalyKind::OutOfOrder,
        name: "out_of_order",
        group: Group::Ordering,
        severity: Severity::Error,
        summary: "A sequence lower than one already seen for the same ordering key, in log order",
    },
    KindInfo {
        kind: AnomalyKind::SequenceGap,
        name: "sequence_gap",
        group: Group::Ordering,
        severity: Severity::Warning,
        summary: "An integer sequence that jumps by more than one within an ordering key",
    },
    KindInfo {
        kind: AnomalyKind::CauseAfterEffect,
        name: "cause_after_effect",
        group: Group::Causality,
        severity: Severity::Warning,
        summary: "An event whose time is earlier than its cause's time (clock skew or a bug)",
    },
    KindInfo {
        kind: AnomalyKind::OrphanCause,
        name: "orphan_cause",
        group: Group::Causality,
        severity: Severity::Warning,
        summary: "A causation id naming an event that was never seen",
    },
    KindInfo {
        kind: AnomalyKind::Stuck,
        name: "stuck",
        group: Group::Progress,
        severity: Severity::Error,
        summary: "An event of a type that normally has follow-ups, with none after the timeout",
    },
    KindInfo {
        kind: AnomalyKind::DeadLetter,
        name: "dead_letter",
        group: Group::Delivery,
        severity: Severity::Error,
        summary: "An event on a dead-letter topic or carrying dead-letter headers",
    },
    KindInfo {
        kind: AnomalyKind::CausationCycle,
        name: "causation_cycle",
        group: Group::Causality,
        severity: Severity::Error,
        summary: "Causation links that form a cycle (including an event caused by itself)",
    },
    KindInfo {
        kind: AnomalyKind::Undecodable,
        name: "undecodable",
        group: Group::Input,
        severity: Severity::Warning,
        summary: "Input that could not be decoded",
    },
    KindInfo {
        kind: AnomalyKind::UnusualFlow,
        name: "unusual_flow",
        group: Group::Causality,
        severity: Severity::Note,
        summary: "A complete flow whose variant (causation shape) holds under 1% of the complete \
                  flows of its root type (once it has at least 200)",
    },
];

impl AnomalyKind {
    pub fn info(self) -> &'static KindInfo {
        &REGISTRY[self as usize]
    }
    pub fn name(self) -> &'static str {
        self.info().name
    }
    pub fn from_name(name: &str) -> Option<AnomalyKind> {
        REGISTRY.iter().find(|k| k.name == name).map(|k| k.kind)
    }
}

pub type AnomalyId = u32;

#[derive(Clone, Debug)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub severity: Severity,
    /// The event flagged (none for undecodable input that produced no event).
    pub event: Option<EventIdx>,
    /// Other events involved, by id (they may never have been seen, e.g. an orphan's cause).
    pub related: Vec<Sym>,
    /// Evidence in words.
    pub message: String,
    /// Where to look ("file:line" or "topic/partition@offset").
    pub location: Option<String>,
    /// False once withdrawn (e.g. a gap filled later, a stuck event that got its follow-up).
    pub active: bool,
    /// When it was raised, in event time: the latest event time seen by then (for `stuck`, the
    /// moment its timeout ran out). `Timestamp::MIN` before any timed event. Replay shows an
    /// anomaly from then on.
    pub raised_at: Timestamp,
    /// When it was withdrawn, in event time (the latest event time seen by then).
    pub withdrawn_at: Option<Timestamp>,
}

impl Anomaly {
    /// Whether it was active at `at` (`None`: now).
    pub fn active_at(&self, at: Option<Timestamp>) -> bool {
        match at {
            None => self.active,
            Some(t) => self.raised_at <= t && self.withdrawn_at.is_none_or(|w| w > t),
        }
    }
}

/// All anomalies ever raised, with counts of the active ones.
#[derive(Default)]
pub struct Anomalies {
    list: Vec<Anomaly>,
    by_event: FxHashMap<EventIdx, SmallVec<[AnomalyId; 1]>>,
    active_by_kind: [usize; KIND_COUNT],
    /// Bumped on every change, so views can tell when to refresh.
    pub generation: u64,
    /// The event time anomalies raised or withdrawn now are stamped with (the engine sets it to
    /// the latest event time seen).
    pub clock: Option<Timestamp>,
}

impl Anomalies {
    pub fn raise(
        &mut self,
        kind: AnomalyKind,
        event: Option<EventIdx>,
        related: Vec<Sym>,
        message: String,
        location: Option<String>,
    ) -> AnomalyId {
        let id = self.list.len() as AnomalyId;
        self.list.push(Anomaly {
            kind,
            severity: kind.info().severity,
            event,
            related,
            message,
            location,
            active: true,
            raised_at: self.clock.unwrap_or(Timestamp::MIN),
            withdrawn_at: None,
        });
        if let Some(e) = event {
            self.by_event.entry(e).or_default().push(id);
        }
        self.active_by_kind[kind as usize] += 1;
        self.generation += 1;
        id
    }

    pub fn withdraw(&mut self, id: AnomalyId) {
        let a = &mut self.list[id as usize];
        if a.active {
            a.active = false;
            a.withdrawn_at = Some(self.clock.unwrap_or(Timestamp::MIN).max(a.raised_at));
            self.active_by_kind[a.kind as usize] -= 1;
            self.generation += 1;
        }
    }

    /// Dates an anomaly back to `at` when that is earlier than the clock it was raised at (a
    /// `stuck` judged late was stuck since its timeout ran out).
    pub fn backdate(&mut self, id: AnomalyId, at: Timestamp) {
        let a = &mut self.list[id as usize];
        a.raised_at = a.raised_at.min(at);
    }

    pub fn get(&self, id: AnomalyId) -> &Anomaly {
        &self.list[id as usize]
    }

    /// Every anomaly ever raised, withdrawn ones included, in the order they were raised.
    pub fn all(&self) -> &[Anomaly] {
        &self.list
    }

    /// Active anomalies in the order they were raised.
    pub fn active(&self) -> impl Iterator<Item = (AnomalyId, &Anomaly)> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, a)| a.active)
            .map(|(i, a)| (i as AnomalyId, a))
    }

    /// Active anomalies on one event.
    pub fn on_event(&self, e: EventIdx) -> impl Iterator<Item = &Anomaly> {
        self.on_event_at(e, None)
    }

    /// Anomalies on one event that were active at `at` (`None`: now).
    pub fn on_event_at(
        &self,
        e: EventIdx,
        at: Option<Timestamp>,
    ) -> impl Iterator<Item = &Anomaly> {
        self.by_event
            .get(&e)
            .into_iter()
            .flatten()
            .map(|id| &self.list[*id as usize])
            .filter(move |a| a.active_at(at))
    }

    pub fn count(&self, kind: AnomalyKind) -> usize {
        self.active_by_kind[kind as usize]
    }

    pub fn count_severity(&self, sev: Severity) -> usize {
        REGISTRY
            .iter()
            .filter(|k| k.severity == sev)
            .map(|k| self.count(k.kind))
            .sum()
    }

    pub fn total(&self) -> usize {
        self.active_by_kind.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_indexed_by_kind() {
        for (i, k) in REGISTRY.iter().enumerate() {
            assert_eq!(k.kind as usize, i);
            assert_eq!(AnomalyKind::from_name(k.name), Some(k.kind));
        }
    }

    #[test]
    fn raise_and_withdraw() {
        let mut a = Anomalies::default();
        let id = a.raise(
            AnomalyKind::SequenceGap,
            Some(3),
            vec![],
            "gap".into(),
            None,
        );
        a.raise(AnomalyKind::Stuck, Some(3), vec![], "stuck".into(), None);
        assert_eq!(a.total(), 2);
        assert_eq!(a.count_severity(Severity::Error), 1);
        a.withdraw(id);
        a.withdraw(id);
        assert_eq!(a.total(), 1);
        assert_eq!(a.on_event(3).count(), 1);
    }
}
