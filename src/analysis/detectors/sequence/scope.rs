//! One sequence scope (an ordering key, or a whole source): its lanes, each a defined log order,
//! and the union of its integer numbers with the holes in it.
//!
//! A lane is one Kafka partition (offset order) or, for events without a Kafka position, arrival
//! order. `out_of_order` compares an event only with the earlier events of its own lane: arrival
//! order across partitions means nothing. `sequence_gap` is judged on the union of every lane's
//! numbers: a jump opens a hole (raised at once), a number from any lane fills it, and a gap whose
//! holes are all filled is withdrawn. The holes are kept in one ordered map, so filling one costs
//! a logarithmic look-up however many are open.

use crate::analysis::anomaly::{AnomalyId, AnomalyKind};
use crate::analysis::detectors::Ctx;
use crate::model::Sym;
use crate::store::{EventIdx, EventRecord, EventStore, Seq};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Key numbers are below `SOURCE_SCOPE`; a whole source's scope is `SOURCE_SCOPE | n`.
pub(super) type ScopeId = u32;
pub(super) const SOURCE_SCOPE: ScopeId = 1 << 31;
/// "No event" in the compact event fields.
pub(super) const NONE: EventIdx = EventIdx::MAX;
const NO_PARTITION: i32 = i32::MIN;

/// One log order: a (topic, partition), or arrival order for events without one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Lane {
    topic: Option<Sym>,
    partition: i32,
}

impl Lane {
    pub(super) fn of(r: &EventRecord) -> Lane {
        Lane {
            topic: r.topic,
            partition: r.partition().unwrap_or(NO_PARTITION),
        }
    }
}

/// What a scope is, for messages.
#[derive(Clone, Copy)]
pub(super) enum Name {
    Subject(Sym),
    Key(Sym),
    Source(Option<Sym>),
}

impl Name {
    fn describe(self, s: &EventStore) -> String {
        match self {
            Name::Subject(k) => format!("subject {}", s.str(k)),
            Name::Key(k) => format!("key {}", s.str(k)),
            Name::Source(Some(k)) => format!("source {}", s.str(k)),
            Name::Source(None) => "events without a source".to_string(),
        }
    }
}

/// A scope's own state (16 bytes): the event with the highest offset in its first lane (its
/// record says which lane that is; further lanes are in [`Shared::more_lanes`]), the event with
/// the highest sequence in that lane, and the events holding the lowest and highest integer
/// numbers.
pub(super) struct Scope {
    lane_last: EventIdx,
    lane_max: EventIdx,
    lo: EventIdx,
    hi: EventIdx,
}

/// One open hole: the numbers `lo..=hi` (its key in [`Shared::holes`]) and the gap it belongs to.
struct Hole {
    hi: i64,
    anomaly: AnomalyId,
}

/// State shared by all scopes, in maps keyed by scope: only scopes that need it have any.
#[derive(Default)]
pub(super) struct Shared {
    /// (highest offset, event with the highest sequence) of each lane after a scope's first.
    more_lanes: FxHashMap<(ScopeId, Lane), (i64, EventIdx)>,
    /// Open holes by (scope, lowest missing number).
    holes: BTreeMap<(ScopeId, i64), Hole>,
    /// Open holes per gap anomaly (a hole splits when a number inside it arrives).
    pieces: FxHashMap<AnomalyId, u32>,
    /// Anomalies raised per scope, withdrawn when the scope is judged again or replaced.
    pub(super) raised: FxHashMap<ScopeId, Vec<AnomalyId>>,
}

fn int(s: &EventStore, e: EventIdx) -> Option<i64> {
    s.get(e).sequence().int()
}

fn compare(s: &EventStore, a: Seq, b: Seq) -> Option<Ordering> {
    match (a, b) {
        (Seq::Int(x), Seq::Int(y)) => Some(x.cmp(&y)),
        (Seq::Text(x), Seq::Text(y)) => Some(s.str(x).cmp(s.str(y))),
        _ => None,
    }
}

fn seq_text(s: &EventStore, q: Seq) -> String {
    match q {
        Seq::Int(n) => n.to_string(),
        Seq::Text(t) => s.str(t).to_string(),
        Seq::None => String::new(),
    }
}

fn missing(lo: i64, hi: i64) -> String {
    if lo == hi {
        format!("{lo} missing")
    } else {
        format!("{lo}..{hi} missing")
    }
}

impl Scope {
    /// The scope of one event (`first`), as if it had been judged.
    pub(super) fn from_first(s: &EventStore, first: EventIdx) -> Scope {
        let r = s.get(first);
        let ends = if matches!(r.sequence(), Seq::Int(_)) {
            first
        } else {
            NONE
        };
        Scope {
            lane_last: first,
            lane_max: first,
            lo: ends,
            hi: ends,
        }
    }

    /// Records the event's offset in its lane; true if a later offset of that lane was seen
    /// before (the event arrived late and belongs before events already judged).
    pub(super) fn place(
        &mut self,
        sh: &mut Shared,
        sid: ScopeId,
        s: &EventStore,
        e: EventIdx,
    ) -> bool {
        let r = s.get(e);
        let Some(o) = r.offset().filter(|_| r.partition().is_some()) else {
            return false;
        };
        let lane = Lane::of(r);
        let first = s.get(self.lane_last);
        if lane == Lane::of(first) {
            if first.offset().is_some_and(|h| h > o) {
                return true;
            }
            self.lane_last = e;
            return false;
        }
        let h = &mut sh
            .more_lanes
            .entry((sid, lane))
            .or_insert((i64::MIN, NONE))
            .0;
        if *h > o {
            true
        } else {
            *h = o;
            false
        }
    }

    /// Forgets every judgement (the events are then judged again, in log order): withdraws what
    /// was raised, drops the holes and each lane's highest sequence (`lanes`: every lane of the
    /// scope's events).
    pub(super) fn reset(
        &mut self,
        sh: &mut Shared,
        sid: ScopeId,
        cx: &mut Ctx,
        lanes: impl Iterator<Item = Lane>,
    ) {
        sh.forget(sid, cx);
        self.lane_max = NONE;
        self.lo = NONE;
        self.hi = NONE;
        for lane in lanes {
            if let Some(v) = sh.more_lanes.get_mut(&(sid, lane)) {
                v.1 = NONE;
            }
        }
    }

    /// Judges `e`, the latest event of the scope in its lane's log order, or, when `late`, an
    /// event that belongs before events already judged (then it is only compared with the lane's
    /// highest sequence if that one is earlier in the log).
    pub(super) fn judge(
        &mut self,
        sh: &mut Shared,
        sid: ScopeId,
        name: Name,
        cx: &mut Ctx,
        e: EventIdx,
        late: bool,
    ) {
        let s = cx.store;
        let r = s.get(e);
        let lane = Lane::of(r);
        let slot = if lane == Lane::of(s.get(self.lane_last)) {
            &mut self.lane_max
        } else {
            &mut sh
                .more_lanes
                .entry((sid, lane))
                .or_insert((i64::MIN, NONE))
                .1
        };
        let mut lower = false;
        if *slot == NONE {
            *slot = e;
        } else {
            let m = *slot;
            let rm = s.get(m);
            match compare(s, r.sequence(), rm.sequence()) {
                Some(Ordering::Greater) => *slot = e,
                Some(Ordering::Less) if !late || rm.offset() < r.offset() => {
                    lower = true;
                    let id = out_of_order(cx, name, e, m);
                    sh.raised.entry(sid).or_default().push(id);
                }
                _ => {}
            }
        }
        if let Seq::Int(v) = r.sequence() {
            self.union(sh, sid, name, cx, e, v, lower);
        }
    }

    /// Adds `v` (of event `e`) to the union of the scope's numbers. A number below the lowest
    /// opens a hole only when it came from another lane (in its own lane it is out of order).
    #[allow(clippy::too_many_arguments)]
    fn union(
        &mut self,
        sh: &mut Shared,
        sid: ScopeId,
        name: Name,
        cx: &mut Ctx,
        e: EventIdx,
        v: i64,
        lower: bool,
    ) {
        let s = cx.store;
        let (Some(lo), Some(hi)) = (
            Some(self.lo).filter(|&x| x != NONE).and_then(|x| int(s, x)),
            Some(self.hi).filter(|&x| x != NONE).and_then(|x| int(s, x)),
        ) else {
            self.lo = e;
            self.hi = e;
            return;
        };
        if v > hi {
            if v > hi.saturating_add(1) {
                sh.open(cx, sid, name, (e, v), (self.hi, hi));
            }
            self.hi = e;
        } else if v < lo {
            if !lower {
                if v < lo - 1 {
                    sh.open(cx, sid, name, (self.lo, lo), (e, v));
                }
                self.lo = e;
            }
        } else {
            sh.fill(cx, sid, v);
        }
    }
}

fn out_of_order(cx: &mut Ctx, name: Name, e: EventIdx, m: EventIdx) -> AnomalyId {
    let s = cx.store;
    let (re, rm) = (s.get(e), s.get(m));
    let (se, sm) = (seq_text(s, re.sequence()), seq_text(s, rm.sequence()));
    let evidence = match (re.topic, re.partition(), re.offset(), rm.offset()) {
        (Some(t), Some(p), Some(oe), Some(om))
            if rm.topic == re.topic && rm.partition() == re.partition() =>
        {
            format!("{}/{p} offsets {oe} > {om}", s.str(t))
        }
        _ => format!(
            "{} arrived after {}",
            s.location_label(e),
            s.location_label(m)
        ),
    };
    cx.anomalies.raise(
        AnomalyKind::OutOfOrder,
        Some(e),
        vec![rm.id],
        format!(
            "sequence {se} after {sm} for {} ({evidence})",
            name.describe(s)
        ),
        Some(s.location_label(e)),
    )
}

impl Shared {
    pub(super) fn approx_bytes(&self) -> usize {
        self.more_lanes.capacity() * 32
            + self.holes.len() * 48
            + self.pieces.capacity() * 8
            + self.raised.capacity() * 32
            + self
                .raised
                .values()
                .map(|v| v.capacity() * 4)
                .sum::<usize>()
    }

    /// Opens the hole between `below` and `above` (each an event and its number) and raises
    /// its gap on the event above it.
    fn open(
        &mut self,
        cx: &mut Ctx,
        sid: ScopeId,
        name: Name,
        above: (EventIdx, i64),
        below: (EventIdx, i64),
    ) {
        let s = cx.store;
        let (lo, hi) = (below.1 + 1, above.1 - 1);
        let id = cx.anomalies.raise(
            AnomalyKind::SequenceGap,
            Some(above.0),
            vec![s.get(below.0).id],
            format!(
                "sequence {} after {} for {}: {}",
                above.1,
                below.1,
                name.describe(s),
                missing(lo, hi)
            ),
            Some(s.location_label(above.0)),
        );
        self.raised.entry(sid).or_default().push(id);
        self.holes.insert((sid, lo), Hole { hi, anomaly: id });
        self.pieces.insert(id, 1);
    }

    /// A number inside a hole splits it; a gap with no hole left is withdrawn.
    fn fill(&mut self, cx: &mut Ctx, sid: ScopeId, v: i64) {
        let Some((&(_, lo), hole)) = self.holes.range((sid, i64::MIN)..=(sid, v)).next_back()
        else {
            return;
        };
        if hole.hi < v {
            return;
        }
        let (hi, id) = (hole.hi, hole.anomaly);
        self.holes.remove(&(sid, lo));
        let mut left = self.pieces[&id] - 1;
        if lo < v {
            self.holes.insert(
                (sid, lo),
                Hole {
                    hi: v - 1,
                    anomaly: id,
                },
            );
            left += 1;
        }
        if v < hi {
            self.holes.insert((sid, v + 1), Hole { hi, anomaly: id });
            left += 1;
        }
        if left == 0 {
            self.pieces.remove(&id);
            cx.anomalies.withdraw(id);
        } else {
            self.pieces.insert(id, left);
        }
    }

    /// Withdraws what was raised for the scope and drops its holes.
    pub(super) fn forget(&mut self, sid: ScopeId, cx: &mut Ctx) {
        for id in self.raised.remove(&sid).unwrap_or_default() {
            cx.anomalies.withdraw(id);
            self.pieces.remove(&id);
        }
        let holes: Vec<_> = self
            .holes
            .range((sid, i64::MIN)..=(sid, i64::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in holes {
            self.holes.remove(&k);
        }
    }
}
