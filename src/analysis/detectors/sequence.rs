//! `out_of_order` and `sequence_gap`, which share their state: per ordering key, the events in log
//! order and the highest sequence so far.
//!
//! The ordering key is the subject, else the Kafka key, scoped by source (CloudEvents compares
//! sequences within one source). Log order is offset order within a partition and arrival order
//! otherwise. A new event is normally appended (O(1)); one whose offset is lower than an offset
//! already seen in its partition is inserted in place and that key is re-judged.

use super::{Ctx, Detector};
use crate::analysis::anomaly::{AnomalyId, AnomalyKind};
use crate::model::Sym;
use crate::store::{EventIdx, EventStore, Seq};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::cmp::Ordering;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct KeyId {
    source: Option<Sym>,
    key: Sym,
    is_subject: bool,
}

struct Gap {
    anomaly: AnomalyId,
    /// Missing sequence numbers as inclusive ranges.
    missing: Vec<(i64, i64)>,
}

#[derive(Default)]
struct KeyState {
    entries: Vec<EventIdx>,
    tp_max: SmallVec<[(Sym, i32, i64); 1]>,
    max: Option<EventIdx>,
    gaps: Vec<Gap>,
    raised: Vec<AnomalyId>,
}

#[derive(Default)]
pub struct SequenceDetector {
    keys: FxHashMap<KeyId, KeyState>,
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

impl Detector for SequenceDetector {
    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let r = cx.store.get(idx);
        if r.sequence == Seq::None {
            return;
        }
        let (key, is_subject) = match (r.subject, r.key) {
            (Some(s), _) => (s, true),
            (None, Some(k)) => (k, false),
            _ => return,
        };
        let state = self
            .keys
            .entry(KeyId {
                source: r.source,
                key,
                is_subject,
            })
            .or_default();
        let tp = match (r.topic, r.partition, r.offset) {
            (Some(t), Some(p), Some(o)) => Some((t, p, o)),
            _ => None,
        };
        let mut in_place = false;
        if let Some((t, p, o)) = tp {
            match state
                .tp_max
                .iter_mut()
                .find(|(tt, pp, _)| *tt == t && *pp == p)
            {
                Some(m) if m.2 > o => in_place = true,
                Some(m) => m.2 = o,
                None => state.tp_max.push((t, p, o)),
            }
        }
        if in_place {
            let (t, p, o) = tp.expect("in_place implies a position");
            let s = cx.store;
            let pos = state
                .entries
                .iter()
                .position(|&e| {
                    let x = s.get(e);
                    x.topic == Some(t)
                        && x.partition == Some(p)
                        && x.offset.is_some_and(|xo| xo > o)
                })
                .unwrap_or(state.entries.len());
            state.entries.insert(pos, idx);
            rejudge(state, cx, key, is_subject);
        } else {
            state.entries.push(idx);
            judge(state, cx, idx, key, is_subject);
        }
    }
}

fn rejudge(state: &mut KeyState, cx: &mut Ctx, key: Sym, is_subject: bool) {
    for id in state.raised.drain(..) {
        cx.anomalies.withdraw(id);
    }
    state.gaps.clear();
    state.max = None;
    for i in 0..state.entries.len() {
        let e = state.entries[i];
        judge(state, cx, e, key, is_subject);
    }
}

/// Judges `e`, the latest event of the key in log order.
fn judge(state: &mut KeyState, cx: &mut Ctx, e: EventIdx, key: Sym, is_subject: bool) {
    let s = cx.store;
    let Some(m) = state.max else {
        state.max = Some(e);
        return;
    };
    let (re, rm) = (s.get(e), s.get(m));
    let what = if is_subject { "subject" } else { "key" };
    let key_text = s.str(key);
    let (se, sm) = (seq_text(s, re.sequence), seq_text(s, rm.sequence));
    match compare(s, re.sequence, rm.sequence) {
        Some(Ordering::Greater) => {
            if let (Seq::Int(a), Seq::Int(b)) = (re.sequence, rm.sequence) {
                if a > b.saturating_add(1) {
                    let range = if a - b == 2 {
                        format!("{} missing", b + 1)
                    } else {
                        format!("{}..{} missing", b + 1, a - 1)
                    };
                    let id = cx.anomalies.raise(
                        AnomalyKind::SequenceGap,
                        Some(e),
                        vec![rm.id],
                        format!("sequence {se} after {sm} for {what} {key_text}: {range}"),
                        Some(s.location_label(e)),
                    );
                    state.raised.push(id);
                    state.gaps.push(Gap {
                        anomaly: id,
                        missing: vec![(b + 1, a - 1)],
                    });
                }
            }
            state.max = Some(e);
        }
        Some(Ordering::Less) => {
            let evidence = match (re.topic, re.partition, re.offset, rm.offset) {
                (Some(t), Some(p), Some(oe), Some(om))
                    if rm.topic == re.topic && rm.partition == re.partition =>
                {
                    format!("{}/{p} offsets {oe} > {om}", s.str(t))
                }
                _ => format!(
                    "{} arrived after {}",
                    s.location_label(e),
                    s.location_label(m)
                ),
            };
            let id = cx.anomalies.raise(
                AnomalyKind::OutOfOrder,
                Some(e),
                vec![rm.id],
                format!("sequence {se} after {sm} for {what} {key_text} ({evidence})"),
                Some(s.location_label(e)),
            );
            state.raised.push(id);
            if let Seq::Int(v) = re.sequence {
                fill_gaps(state, cx, v);
            }
        }
        _ => {}
    }
}

/// A late event with sequence `v` fills a hole; a gap with no holes left is withdrawn.
fn fill_gaps(state: &mut KeyState, cx: &mut Ctx, v: i64) {
    state.gaps.retain_mut(|g| {
        if let Some(i) = g.missing.iter().position(|&(lo, hi)| lo <= v && v <= hi) {
            let (lo, hi) = g.missing.remove(i);
            if v < hi {
                g.missing.insert(i, (v + 1, hi));
            }
            if lo < v {
                g.missing.insert(i, (lo, v - 1));
            }
        }
        if g.missing.is_empty() {
            cx.anomalies.withdraw(g.anomaly);
            false
        } else {
            true
        }
    });
}
