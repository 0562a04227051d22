//! `out_of_order` and `sequence_gap`, which share their state: per sequence scope, the highest
//! sequence of each lane (log order) and the union of its numbers (see [`scope`]).
//!
//! A scope is an ordering key (the subject, else the Kafka key, within one source) or, when the
//! source's numbers show one counter for the whole source, the source itself ([`infer`] decides
//! from each source's first events). Log order is offset order within a partition and arrival
//! order for events without a Kafka position; `out_of_order` is judged within one lane only, and
//! `sequence_gap` on the union of a scope's lanes.
//!
//! An ordering key seen once costs 8 bytes ([`KeySlot`]: its first event says its source and
//! kind); its second event promotes it to a [`KeyFull`] with its events in log order. A new event
//! is normally appended and judged (O(1)); one whose offset is lower than an offset already seen
//! in its partition is inserted in place and that key is judged again, as long as the key has at
//! most [`REJUDGE_LIMIT`] events. Bigger keys and source-wide scopes keep no event list: a late
//! event there is judged against what its lane knows (out of order only if the lane's highest
//! sequence is earlier in the log), so the work per event stays constant.
//!
//! Key slots live in one array in order of first sight, found through a dense per-string table
//! (a key's text is already an interned symbol, a small integer) rather than a hash map: a trace
//! has about as many ordering keys as flows times services, and a hash table of that size is
//! touched all over at once, while these arrays fill front to back.

mod infer;
mod scope;
#[cfg(test)]
mod tests;

use super::{Ctx, Detector};
use crate::analysis::anomaly::AnomalyKind;
use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventRecord, EventStore, Seq};
use infer::{Evidence, Mode, Sampled};
use rustc_hash::FxHashMap;
use scope::{Lane, NONE, Name, SOURCE_SCOPE, Scope, Shared};
use smallvec::SmallVec;

/// A key with more events than this keeps no event list: a late event is then judged like one in
/// a source-wide scope, so that a key whose partition arrives backwards costs constant work per
/// event rather than a re-judgement of all its events each time.
const REJUDGE_LIMIT: usize = 64;

/// A key slot's position in [`SequenceDetector::keys`].
type KeyNo = u32;
const NO_KEY: KeyNo = KeyNo::MAX;

/// Kept for every ordering key, so it is small (8 bytes).
struct KeySlot {
    /// The key's first event: its source and whether the key is its subject say which key it is.
    first: EventIdx,
    /// Its [`KeyFull`] once it has a second event, else `NO_KEY`.
    full: u32,
}

/// A key with two or more events: the events in log order (none once there are more than
/// [`REJUDGE_LIMIT`]) and the scope's state.
struct KeyFull {
    entries: SmallVec<[EventIdx; 4]>,
    scope: Scope,
}

/// A source's scope decision and, when it is per source, that scope (32 bytes: a trace may have
/// a source per device or entity, each with a few events; the evidence is only allocated from a
/// source's second sequenced event on).
struct SourceState {
    source: Option<Sym>,
    mode: Mode,
    /// The source's first sequenced event and its key, until the evidence holds it.
    first: (EventIdx, KeyNo),
    evidence: Option<Box<Evidence>>,
    scope: Option<Box<Scope>>,
}

#[derive(Default)]
pub struct SequenceDetector {
    /// Per interned string (by `Sym::index`): the first key slot with that text, or `NO_KEY`.
    head: Vec<KeyNo>,
    /// Further keys with a text already in `head` (another source, or subject versus Kafka key)
    /// that are not their source's first key either, by (text, source, is subject): a source per
    /// device all with subject "reading" must not make each event walk every other device's key.
    more: FxHashMap<(Sym, Option<Sym>, bool), KeyNo>,
    keys: Vec<KeySlot>,
    full: Vec<KeyFull>,
    sources: Vec<SourceState>,
    /// Per interned string (by `Sym::index`): its [`SourceState`] number + 1 when it names a
    /// source, else 0 (a dense table like `head`: a trace may have a source per device);
    /// `no_source` is the same for events without a source.
    source_no: Vec<u32>,
    no_source: u32,
    sh: Shared,
}

/// The ordering key of an event: (text, is it the subject).
fn key_of(r: &EventRecord) -> Option<(Sym, bool)> {
    match (r.subject, r.key) {
        (Some(k), _) => Some((k, true)),
        (None, Some(k)) => Some((k, false)),
        _ => None,
    }
}

fn key_name(s: &EventStore, first: EventIdx) -> Name {
    match key_of(s.get(first)) {
        Some((k, true)) => Name::Subject(k),
        Some((k, false)) => Name::Key(k),
        None => Name::Source(None),
    }
}

impl SequenceDetector {
    /// Makes room for about `keys` ordering keys, and for half as many keys with two or more
    /// events (at most one per two events): address space that is touched only as keys come, and
    /// no copy of the tables at a doubling.
    pub fn reserve(&mut self, keys: usize) {
        self.keys.reserve(keys);
        self.full.reserve(keys / 2);
    }

    /// Heap bytes held (capacities, maps at their bucket counts), for tests and estimates.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let inline = |f: &KeyFull| {
            if f.entries.spilled() {
                f.entries.capacity() * 4
            } else {
                0
            }
        };
        self.head.capacity() * size_of::<KeyNo>()
            + self.keys.capacity() * size_of::<KeySlot>()
            + self.full.capacity() * size_of::<KeyFull>()
            + self.full.iter().map(inline).sum::<usize>()
            + self.sources.capacity() * size_of::<SourceState>()
            + (self.sources.iter())
                .filter_map(|st| st.evidence.as_ref())
                .map(|ev| size_of::<Evidence>() + ev.sample.capacity() * size_of::<Sampled>())
                .sum::<usize>()
            + self.source_no.capacity() * 4
            + self.more.capacity() * 16
            + self.sh.approx_bytes()
    }

    /// The key slot of `e`'s ordering key, made on first sight (then `None`: nothing to judge).
    /// A key is found in constant time: it is the first key with its text (`head`), or its
    /// source's first key (`source_first`, which the caller records for a source's first key),
    /// or in `more`.
    fn key_no(
        &mut self,
        s: &EventStore,
        e: EventIdx,
        (key, is_subject): (Sym, bool),
        source_first: KeyNo,
    ) -> Option<KeyNo> {
        let source = s.get(e).source;
        let i = key.index();
        if i >= self.head.len() {
            self.head.resize(i + 1, NO_KEY);
        }
        let head = self.head[i];
        if head != NO_KEY {
            let r = s.get(self.keys[head as usize].first);
            if r.source == source && r.subject.is_some() == is_subject {
                return Some(head);
            }
            if source_first != NO_KEY
                && key_of(s.get(self.keys[source_first as usize].first)) == Some((key, is_subject))
            {
                return Some(source_first);
            }
            if let Some(&at) = self.more.get(&(key, source, is_subject)) {
                return Some(at);
            }
        }
        let no = KeyNo::try_from(self.keys.len())
            .ok()
            .filter(|&n| n < SOURCE_SCOPE)
            .expect("fewer than 2 billion ordering keys");
        self.keys.push(KeySlot {
            first: e,
            full: NO_KEY,
        });
        if head == NO_KEY {
            self.head[i] = no;
        } else if source_first != NO_KEY {
            self.more.insert((key, source, is_subject), no);
        }
        None
    }

    fn source_state(&mut self, source: Option<Sym>) -> u32 {
        let n = self.sources.len() as u32;
        let slot = match source {
            Some(sym) => {
                let i = sym.index();
                if i >= self.source_no.len() {
                    self.source_no.resize(i + 1, 0);
                }
                &mut self.source_no[i]
            }
            None => &mut self.no_source,
        };
        if *slot == 0 {
            *slot = n + 1;
        }
        let no = *slot - 1;
        if no == n {
            self.sources.push(SourceState {
                source,
                mode: Mode::Undecided,
                first: (NONE, NO_KEY),
                evidence: None,
                scope: None,
            });
        }
        no
    }

    /// Places and judges `e` within its ordering key; returns the key.
    fn on_key_event(
        &mut self,
        cx: &mut Ctx,
        e: EventIdx,
        key: (Sym, bool),
        source_first: KeyNo,
    ) -> KeyNo {
        let s = cx.store;
        let Some(kid) = self.key_no(s, e, key, source_first) else {
            return self.keys.len() as KeyNo - 1;
        };
        let slot = &mut self.keys[kid as usize];
        if slot.full == NO_KEY {
            slot.full = self.full.len() as u32;
            self.full.push(KeyFull {
                entries: SmallVec::from_slice(&[slot.first]),
                scope: Scope::from_first(s, slot.first),
            });
        }
        let name = key_name(s, slot.first);
        let kf = &mut self.full[slot.full as usize];
        let r = s.get(e);
        let late = kf.scope.place(&mut self.sh, kid, s, e);
        let insert_at = if late {
            later_in_partition(s, &kf.entries, r)
        } else {
            None
        };
        if kf.entries.is_empty() {
            kf.scope.judge(&mut self.sh, kid, name, cx, e, late);
            return kid;
        }
        match insert_at {
            Some(pos) => {
                kf.entries.insert(pos, e);
                let lanes = kf.entries.iter().map(|&x| Lane::of(s.get(x)));
                kf.scope.reset(&mut self.sh, kid, cx, lanes);
                for i in 0..kf.entries.len() {
                    kf.scope
                        .judge(&mut self.sh, kid, name, cx, kf.entries[i], false);
                }
            }
            None => {
                kf.entries.push(e);
                kf.scope.judge(&mut self.sh, kid, name, cx, e, false);
            }
        }
        if kf.entries.len() > REJUDGE_LIMIT {
            kf.entries = SmallVec::new();
        }
        kid
    }

    /// Judges `e` in its source's scope (the source is judged per source).
    fn on_source_event(&mut self, cx: &mut Ctx, src: u32, e: EventIdx) {
        let st = &mut self.sources[src as usize];
        let sid = SOURCE_SCOPE | src;
        let name = Name::Source(st.source);
        let s = cx.store;
        match &mut st.scope {
            None => st.scope = Some(Box::new(Scope::from_first(s, e))),
            Some(scope) => {
                let late = scope.place(&mut self.sh, sid, s, e);
                scope.judge(&mut self.sh, sid, name, cx, e, late);
            }
        }
    }

    /// The source turned out to count per source: withdraws what its keys raised and judges
    /// its events so far (all in the sample) in the source's scope.
    fn switch_to_source_scope(&mut self, cx: &mut Ctx, src: u32) {
        let st = &mut self.sources[src as usize];
        st.mode = Mode::PerSource;
        let Some(ev) = st.evidence.take() else {
            return;
        };
        for x in &ev.sample {
            self.sh.forget(x.key, cx);
        }
        for x in &ev.sample {
            self.on_source_event(cx, src, x.event);
        }
    }

    fn decide(&mut self, cx: &mut Ctx, src: u32, mode: Mode) {
        match mode {
            Mode::Undecided => {}
            Mode::PerKey => {
                let st = &mut self.sources[src as usize];
                st.mode = Mode::PerKey;
                st.evidence = None;
            }
            Mode::PerSource => self.switch_to_source_scope(cx, src),
        }
    }
}

/// An entry of the same partition with a later offset, if any (only looked for when the
/// partition's highest offset says there is one: an event late in its partition).
fn later_in_partition(s: &EventStore, entries: &[EventIdx], r: &EventRecord) -> Option<usize> {
    let (t, p, o) = (r.topic?, r.partition()?, r.offset()?);
    entries.iter().position(|&e| {
        let x = s.get(e);
        x.topic == Some(t) && x.partition() == Some(p) && x.offset().is_some_and(|xo| xo > o)
    })
}

impl Detector for SequenceDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::OutOfOrder, AnomalyKind::SequenceGap]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if cx.is_repeat(idx) {
            return;
        }
        let r = cx.store.get(idx);
        if r.sequence() == Seq::None {
            return;
        }
        let value = r.sequence().int();
        let key = key_of(r);
        let src = self.source_state(r.source);
        if self.sources[src as usize].mode == Mode::PerSource {
            return self.on_source_event(cx, src, idx);
        }
        let Some(key) = key else {
            return;
        };
        // A source's first key is recorded in its state below (`first`), and found there.
        let source_first = self.sources[src as usize].first.1;
        let kid = self.on_key_event(cx, idx, key, source_first);
        let st = &mut self.sources[src as usize];
        if st.mode != Mode::Undecided {
            return;
        }
        let ev = match &mut st.evidence {
            Some(ev) => ev,
            None if st.first.0 == NONE => {
                st.first = (idx, kid);
                return;
            }
            None => {
                let (event, key) = st.first;
                let value = cx.store.get(event).sequence().int();
                let mut ev = Box::<Evidence>::default();
                ev.observe(Sampled { value, key, event });
                st.evidence.insert(ev)
            }
        };
        let mode = ev.observe(Sampled {
            value,
            key: kid,
            event: idx,
        });
        self.decide(cx, src, mode);
    }

    fn on_finish(&mut self, cx: &mut Ctx, _now: Timestamp) {
        for src in 0..self.sources.len() as u32 {
            if let Some(ev) = &self.sources[src as usize].evidence {
                let mode = ev.verdict();
                self.decide(cx, src, mode);
            }
        }
    }
}
