//! `out_of_order` and `sequence_gap`, which share their state: per ordering key, the events in log
//! order and the highest sequence so far.
//!
//! The ordering key is the subject, else the Kafka key, scoped by source (CloudEvents compares
//! sequences within one source). Log order is offset order within a partition and arrival order
//! otherwise. A new event is normally appended (O(1)); one whose offset is lower than an offset
//! already seen in its partition is inserted in place and that key is re-judged.
//!
//! Key states live in one array in order of first sight, found through a dense per-string table
//! (a key's text is already an interned symbol, a small integer) rather than a hash map: a trace
//! has about as many ordering keys as flows times services, and a hash table of that size is
//! touched all over at once, while these arrays fill front to back.

use super::{Ctx, Detector};
use crate::analysis::anomaly::{AnomalyId, AnomalyKind};
use crate::model::Sym;
use crate::store::{EventIdx, EventStore, Seq};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::cmp::Ordering;

struct Gap {
    anomaly: AnomalyId,
    /// Missing sequence numbers as inclusive ranges.
    missing: Vec<(i64, i64)>,
}

/// Kept for every ordering key, so it is small (56 bytes): which key it is, the events in log
/// order (usually a handful, inline), the one holding the highest sequence, and the last Kafka
/// position seen.
struct KeyState {
    entries: SmallVec<[EventIdx; 2]>,
    max: Option<NonMaxIdx>,
    /// (topic, partition, highest offset) of the first partition seen for this key; the
    /// highest offsets of any further partitions are in [`SequenceDetector::more_partitions`].
    first_tp: Option<(Sym, i32, i64)>,
    source: Option<Sym>,
    /// The next key with the same text (another source, or subject versus Kafka key).
    next: KeyNo,
    is_subject: bool,
}

/// A key state's position in [`SequenceDetector::states`].
type KeyNo = u32;
const NO_KEY: KeyNo = KeyNo::MAX;

/// An event index stored in 4 bytes with `None` as `u32::MAX`.
#[derive(Clone, Copy)]
struct NonMaxIdx(std::num::NonZeroU32);

impl NonMaxIdx {
    fn new(e: EventIdx) -> Self {
        NonMaxIdx(std::num::NonZeroU32::new(!e).expect("event index below u32::MAX"))
    }
    fn get(self) -> EventIdx {
        !self.0.get()
    }
}

/// Anomalies and open gaps of a key; only keys that have any are here.
#[derive(Default)]
struct KeyFindings {
    gaps: Vec<Gap>,
    raised: Vec<AnomalyId>,
}

#[derive(Default)]
pub struct SequenceDetector {
    /// Per interned string (by `Sym::index`): the newest key state with that text, or `NO_KEY`.
    head: Vec<KeyNo>,
    states: Vec<KeyState>,
    findings: FxHashMap<KeyNo, KeyFindings>,
    /// Highest offset per (key, topic, partition) for keys seen in more than one partition, so
    /// a key spread over topics is judged in constant time per event (no scan of its events).
    more_partitions: FxHashMap<(KeyNo, Sym, i32), i64>,
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

/// An entry of the same partition with a later offset, if any (only looked for when the
/// partition's highest offset says there is one: an event late in its partition).
fn later_in_partition(
    s: &EventStore,
    entries: &[EventIdx],
    t: Sym,
    p: i32,
    o: i64,
) -> Option<usize> {
    entries.iter().position(|&e| {
        let x = s.get(e);
        x.topic == Some(t) && x.partition() == Some(p) && x.offset().is_some_and(|xo| xo > o)
    })
}

impl SequenceDetector {
    /// Makes room for about `keys` ordering keys.
    pub fn reserve(&mut self, keys: usize) {
        self.states.reserve(keys);
    }

    /// The state of the key (`source`, `key`, `is_subject`), made on first sight.
    fn key_no(&mut self, source: Option<Sym>, key: Sym, is_subject: bool) -> KeyNo {
        let i = key.index();
        if i >= self.head.len() {
            self.head.resize(i + 1, NO_KEY);
        }
        let mut at = self.head[i];
        while at != NO_KEY {
            let st = &self.states[at as usize];
            if st.source == source && st.is_subject == is_subject {
                return at;
            }
            at = st.next;
        }
        let no = KeyNo::try_from(self.states.len()).expect("fewer than 4 billion ordering keys");
        self.states.push(KeyState {
            entries: SmallVec::new(),
            max: None,
            first_tp: None,
            source,
            next: self.head[i],
            is_subject,
        });
        self.head[i] = no;
        no
    }
}

/// Which key a state is for, for messages.
#[derive(Clone, Copy)]
struct KeyName {
    key: Sym,
    is_subject: bool,
}

impl Detector for SequenceDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::OutOfOrder, AnomalyKind::SequenceGap]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        if r.sequence == Seq::None {
            return;
        }
        let (key, is_subject) = match (r.subject, r.key) {
            (Some(k), _) => (k, true),
            (None, Some(k)) => (k, false),
            _ => return,
        };
        let kid = self.key_no(r.source, key, is_subject);
        let name = KeyName { key, is_subject };
        let state = &mut self.states[kid as usize];
        let mut insert_at = None;
        if let (Some(t), Some(p), Some(o)) = (r.topic, r.partition(), r.offset()) {
            let highest = match &mut state.first_tp {
                Some((ft, fp, fo)) if *ft == t && *fp == p => Some(fo),
                None => {
                    state.first_tp = Some((t, p, o));
                    None
                }
                Some(_) => match self.more_partitions.entry((kid, t, p)) {
                    std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(o);
                        None
                    }
                },
            };
            match highest {
                Some(h) if *h > o => insert_at = later_in_partition(s, &state.entries, t, p, o),
                Some(h) => *h = o,
                None => {}
            }
        }
        match insert_at {
            Some(pos) => {
                state.entries.insert(pos, idx);
                rejudge(state, &mut self.findings, kid, name, cx);
            }
            None => {
                state.entries.push(idx);
                judge(state, &mut self.findings, kid, name, cx, idx);
            }
        }
    }
}

fn rejudge(
    state: &mut KeyState,
    findings: &mut FxHashMap<KeyNo, KeyFindings>,
    kid: KeyNo,
    name: KeyName,
    cx: &mut Ctx,
) {
    if let Some(f) = findings.remove(&kid) {
        for id in f.raised {
            cx.anomalies.withdraw(id);
        }
    }
    state.max = None;
    for i in 0..state.entries.len() {
        let e = state.entries[i];
        judge(state, findings, kid, name, cx, e);
    }
}

/// Judges `e`, the latest event of the key in log order.
fn judge(
    state: &mut KeyState,
    findings: &mut FxHashMap<KeyNo, KeyFindings>,
    kid: KeyNo,
    name: KeyName,
    cx: &mut Ctx,
    e: EventIdx,
) {
    let s = cx.store;
    let Some(m) = state.max.map(NonMaxIdx::get) else {
        state.max = Some(NonMaxIdx::new(e));
        return;
    };
    let (re, rm) = (s.get(e), s.get(m));
    let what = if name.is_subject { "subject" } else { "key" };
    let key_text = s.str(name.key);
    match compare(s, re.sequence, rm.sequence) {
        Some(Ordering::Greater) => {
            if let (Seq::Int(a), Seq::Int(b)) = (re.sequence, rm.sequence)
                && a > b.saturating_add(1)
            {
                let range = if a.checked_sub(b) == Some(2) {
                    format!("{} missing", b + 1)
                } else {
                    format!("{}..{} missing", b + 1, a - 1)
                };
                let id = cx.anomalies.raise(
                    AnomalyKind::SequenceGap,
                    Some(e),
                    vec![rm.id],
                    format!("sequence {a} after {b} for {what} {key_text}: {range}"),
                    Some(s.location_label(e)),
                );
                let f = findings.entry(kid).or_default();
                f.raised.push(id);
                f.gaps.push(Gap {
                    anomaly: id,
                    missing: vec![(b + 1, a - 1)],
                });
            }
            state.max = Some(NonMaxIdx::new(e));
        }
        Some(Ordering::Less) => {
            let (se, sm) = (seq_text(s, re.sequence), seq_text(s, rm.sequence));
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
            let id = cx.anomalies.raise(
                AnomalyKind::OutOfOrder,
                Some(e),
                vec![rm.id],
                format!("sequence {se} after {sm} for {what} {key_text} ({evidence})"),
                Some(s.location_label(e)),
            );
            let f = findings.entry(kid).or_default();
            f.raised.push(id);
            if let Seq::Int(v) = re.sequence {
                fill_gaps(f, cx, v);
            }
        }
        _ => {}
    }
}

/// A late event with sequence `v` fills a hole; a gap with no holes left is withdrawn.
fn fill_gaps(f: &mut KeyFindings, cx: &mut Ctx, v: i64) {
    f.gaps.retain_mut(|g| {
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

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn out_of_order_in_offset_order_and_gap_withdrawn() {
        let e = run(vec![
            ev("s1", "T", "orders", 0).seq("o-1", 1).at("orders", 2, 10),
            ev("s3", "T", "orders", 1).seq("o-1", 3).at("orders", 2, 12),
            ev("s2", "T", "orders", 2).seq("o-1", 2).at("orders", 2, 13),
        ]);
        // 3 after 1 was a gap until 2 arrived; 2 after 3 in offset order is out of order.
        assert_eq!(found(&e), want(&[(OutOfOrder, "s2")]));
        let msg = &e.anomalies.active().next().unwrap().1.message;
        assert!(
            msg.contains("sequence 2 after 3 for subject o-1 (orders/2 offsets 13 > 12)"),
            "{msg}"
        );
    }

    #[test]
    fn gap_stays_when_never_filled_and_keys_are_scoped_by_source() {
        let e = run(vec![
            ev("a", "T", "orders", 0).seq("o-1", 1),
            ev("b", "T", "orders", 1).seq("o-1", 4),
            ev("c", "T", "payments", 2).seq("o-1", 1),
            ev("d", "T", "orders", 3).seq("o-2", 9),
        ]);
        assert_eq!(found(&e), want(&[(SequenceGap, "b")]));
    }

    #[test]
    fn late_arrival_in_file_is_placed_by_offset() {
        // Offsets say 1, 2, 3 but the file lists offset 3 before offset 2: log order is by offset,
        // so nothing is out of order.
        let e = run(vec![
            ev("a", "T", "orders", 0).seq("o-1", 1).at("orders", 0, 1),
            ev("c", "T", "orders", 2).seq("o-1", 3).at("orders", 0, 3),
            ev("b", "T", "orders", 1).seq("o-1", 2).at("orders", 0, 2),
        ]);
        assert_eq!(found(&e), want(&[]));
    }

    #[test]
    fn kafka_key_when_no_subject_and_duplicates_skipped() {
        let mut a = ev("a", "T", "orders", 0);
        a.key = Some("k".into());
        a.sequence = Some(crate::model::Sequence::Int(5));
        let mut b = a.clone();
        b.id = "b".into();
        b.sequence = Some(crate::model::Sequence::Int(4));
        let e = run(vec![a.clone(), a, b]);
        assert_eq!(found(&e), want(&[(Duplicate, "a"), (OutOfOrder, "b")]));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let e = run(vec![
            ev("a", "T", "x", 0).seq("k", -2),
            ev("b", "T", "x", 1).seq("k", i64::MAX),
            ev("c", "T", "x", 2).seq("k", i64::MIN),
        ]);
        assert_eq!(found(&e), want(&[(OutOfOrder, "c"), (SequenceGap, "b")]));
        // Times at the ends of the representable range (1678 and 2262).
        let mut early = ev("p", "T", "x", 0).corr("c");
        early.time = Some(i64::MIN + 1);
        let mut late = ev("q", "T", "x", 0).corr("c").cause("p");
        late.time = Some(i64::MAX);
        let mut skewed = ev("r", "U", "x", 0).corr("c").cause("q");
        skewed.time = Some(i64::MIN + 1);
        let cfg = crate::analysis::Config {
            expect: vec!["U".into()],
            ..Default::default()
        };
        let e = run_with(cfg, vec![early, late, skewed]);
        assert_eq!(found(&e), want(&[(CauseAfterEffect, "r"), (Stuck, "r")]));
    }

    #[test]
    fn key_state_stays_small() {
        assert!(std::mem::size_of::<super::KeyState>() <= 56);
    }
}
