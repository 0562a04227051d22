//! Stitching: flows are events grouped by correlation id; edges are causation links (child -> the
//! event whose id it names).
//!
//! An event without a correlation id joins its cause's flow when the cause is known. While the
//! cause is unknown it waits in a flow keyed by the missing cause's id, and moves when that event
//! arrives; an event with neither correlation nor cause starts a flow keyed by its own id. So the
//! flows depend only on the set of events, never on their arrival order.
//!
//! Time is near-constant per event for any arrival order (`chains`: a union-find over linked
//! ids). A waiting chain that is alone in its flow moves by renaming the flow, and flows that meet
//! merge the smaller into the larger, so events arriving before their causes cost no re-walks.

mod chains;

use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};
use fixedbitset::FixedBitSet;
use rustc_hash::FxHashSet;
use smallvec::SmallVec;

pub type FlowId = u32;

const NO_FLOW: FlowId = FlowId::MAX;

/// "No time" in a flow's time fields. No event has this time: the store keeps a real
/// `i64::MIN` one unit later.
const NO_TIME: i64 = i64::MIN;

/// A flow's summary, kept small (72 bytes): most flows hold a handful of events, many only one or
/// two (a request and its reply), so up to four members are kept inline without an allocation of
/// their own, and times use a sentinel instead of `Option`.
///
/// Repeats (exact duplicates and dead-letter copies of an event, see [`Flows::is_repeat`]) are
/// members but never set the flow's times: a redelivery or a dead-lettered copy minutes later
/// is not the business transaction taking longer. A flow holding nothing but repeats (e.g. a
/// recording of a dead-letter topic alone) is timed by them.
#[derive(Clone, Debug)]
pub struct Flow {
    /// The correlation id, or (for events without one) the id of the flow's root or missing cause.
    pub key: Sym,
    /// True when `key` is a correlation id carried by at least one event.
    pub correlated: bool,
    /// `first` and `last` come from repeats only (no other member has a time).
    timed_by_repeats: bool,
    /// Members, in the order they joined (arrival order, except events moved in later).
    pub events: SmallVec<[EventIdx; 4]>,
    first: i64,
    last: i64,
    pub services: SmallVec<[Sym; 4]>,
}

impl Flow {
    fn new(key: Sym) -> Self {
        Flow {
            key,
            correlated: false,
            timed_by_repeats: false,
            events: SmallVec::new(),
            first: NO_TIME,
            last: NO_TIME,
            services: SmallVec::new(),
        }
    }

    /// The earliest time of the flow's events (repeats aside).
    pub fn first(&self) -> Option<Timestamp> {
        (self.first != NO_TIME).then_some(self.first)
    }

    /// The latest time of the flow's events (repeats aside).
    pub fn last(&self) -> Option<Timestamp> {
        (self.last != NO_TIME).then_some(self.last)
    }

    pub fn duration(&self) -> Option<i64> {
        Some(self.last()?.saturating_sub(self.first()?))
    }

    /// Takes in the times `lo..=hi` of members that are repeats (`repeat`) or not.
    fn take_times(&mut self, lo: i64, hi: i64, repeat: bool) {
        let empty = self.first == NO_TIME;
        if repeat && !empty && !self.timed_by_repeats {
            return;
        }
        if empty || (!repeat && self.timed_by_repeats) {
            (self.first, self.last, self.timed_by_repeats) = (lo, hi, repeat);
        } else {
            self.first = self.first.min(lo);
            self.last = self.last.max(hi);
        }
    }

    fn add(&mut self, store: &EventStore, idx: EventIdx, repeat: bool) {
        let r = store.get(idx);
        self.events.push(idx);
        if r.correlation == Some(self.key) {
            self.correlated = true;
        }
        if let Some(t) = r.effective_time() {
            self.take_times(t, t, repeat);
        }
        if let Some(s) = r.source
            && !self.services.contains(&s)
        {
            self.services.push(s);
        }
    }

    /// Takes in another flow's summary (its events are appended by the caller).
    fn absorb_summary(&mut self, other: &Flow) {
        self.correlated |= other.correlated;
        if other.first != NO_TIME {
            self.take_times(other.first, other.last, other.timed_by_repeats);
        }
        for s in &other.services {
            if !self.services.contains(s) {
                self.services.push(*s);
            }
        }
    }

    fn rebuild(&mut self, store: &EventStore, repeats: &FixedBitSet) {
        let events = std::mem::take(&mut self.events);
        *self = Flow::new(self.key);
        for e in events {
            self.add(store, e, repeats.contains(e as usize));
        }
    }
}

/// Events that changed flows while an event was placed (for views kept per flow, such as
/// variants, to follow without rescanning): see [`Flows::take_moves`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Every event of `gone` joined `into` (`gone` is empty now).
    Merged { gone: FlowId, into: FlowId },
    /// `members` left `from` (which keeps others) for `to`.
    Members {
        from: FlowId,
        to: FlowId,
        members: Vec<EventIdx>,
    },
}

/// One causation edge inside a flow, with its hop latency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub parent: EventIdx,
    pub child: EventIdx,
    /// Child time minus parent time (negative under clock skew), when both have times.
    pub latency: Option<i64>,
}

#[derive(Default)]
pub struct Flows {
    flows: Vec<Flow>,
    /// Flow per key symbol (indexed by `Sym::index`, `NO_FLOW` when none): symbols are dense.
    by_key: Vec<FlowId>,
    flow_of: Vec<FlowId>,
    live: usize,
    chains: chains::Chains,
    /// Events that are repeats (exact duplicates, dead-letter copies): one bit per event.
    repeats: FixedBitSet,
    /// Events moved between flows (for the operation-count tests).
    moved: u64,
    /// Moves not yet taken by [`Flows::take_moves`].
    journal: Vec<Moved>,
}

impl Flows {
    /// Number of flows with at least one event.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The flow's root: its first event whose cause is not in the flow (none names one, or the
    /// cause is unknown or elsewhere), else its first event.
    pub fn root_event(&self, store: &EventStore, f: FlowId) -> Option<EventIdx> {
        let flow = self.get(f);
        let outside = |e: EventIdx| {
            store
                .get(e)
                .causation
                .and_then(|c| store.first_with_id(c))
                .is_none_or(|p| self.flow_of(p) != f)
        };
        flow.events
            .iter()
            .copied()
            .find(|&e| outside(e))
            .or(flow.events.first().copied())
    }

    /// One past the highest flow id (flows merged away included).
    pub fn id_bound(&self) -> usize {
        self.flows.len()
    }

    pub fn reserve(&mut self, events: usize) {
        // Room for the most each can need (a flow per event, as when every event is its own
        // root; two symbols per event): room never used is address space the process never
        // touches, while a doubling copies every entry and the freed copy stays resident a while.
        self.flow_of.reserve(events);
        self.flows.reserve(events);
        self.by_key.reserve(2 * events);
    }

    pub fn get(&self, id: FlowId) -> &Flow {
        &self.flows[id as usize]
    }

    pub fn by_key(&self, key: Sym) -> Option<FlowId> {
        self.by_key
            .get(key.index())
            .copied()
            .filter(|f| *f != NO_FLOW)
    }

    pub fn flow_of(&self, e: EventIdx) -> FlowId {
        self.flow_of[e as usize]
    }

    /// All flows with events, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (FlowId, &Flow)> {
        self.flows
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.events.is_empty())
            .map(|(i, f)| (i as FlowId, f))
    }

    fn flow_for_key(&mut self, key: Sym) -> FlowId {
        if let Some(f) = self.by_key(key) {
            if self.flows[f as usize].events.is_empty() {
                self.live += 1;
            }
            return f;
        }
        let f = self.flows.len() as FlowId;
        self.flows.push(Flow::new(key));
        self.set_key(f, key);
        self.live += 1;
        f
    }

    /// Work done placing events (union-find steps plus events moved), for the operation-count
    /// tests: it grows linearly with the number of events for any shape and arrival order.
    pub fn work(&self) -> u64 {
        self.chains.steps() + self.moved
    }

    /// The moves since the last call (the engine takes them after every event).
    pub fn take_moves(&mut self) -> Vec<Moved> {
        std::mem::take(&mut self.journal)
    }

    /// Whether any move waits for [`Flows::take_moves`] (cheap: most events move nothing).
    pub fn has_moves(&self) -> bool {
        !self.journal.is_empty()
    }

    /// Whether the event is a repeat (an exact duplicate or a dead-letter copy of another).
    pub fn is_repeat(&self, e: EventIdx) -> bool {
        self.repeats.contains(e as usize)
    }

    /// Places a newly appended event; `repeat`: it is an exact duplicate or a dead-letter copy
    /// (a member that never sets the flow's times nor lies on its critical path). Returns its
    /// flow.
    pub fn on_event(&mut self, store: &EventStore, idx: EventIdx, repeat: bool) -> FlowId {
        debug_assert_eq!(self.flow_of.len(), idx as usize);
        if repeat {
            self.repeats.grow_and_insert(idx as usize);
        }
        let r = store.get(idx);
        let id = r.id;
        let canonical = store.first_with_id(id) == Some(idx);
        let (key, set) = match (r.correlation, r.causation) {
            (Some(k), _) => {
                if canonical {
                    self.chain_end_keyed(store, id, k);
                }
                (k, None)
            }
            (None, None) => (id, None),
            (None, Some(c)) if c == id => (id, None),
            (None, Some(c)) => {
                let set = if canonical {
                    self.link(store, id, c)
                } else {
                    self.chains.find(c)
                };
                (self.chains.key(store, set), Some(set))
            }
        };
        let fid = self.flow_for_key(key);
        self.flow_of.push(fid);
        self.flows[fid as usize].add(store, idx, repeat);
        if let Some(set) = set {
            self.chains.set_mut(set).members.push(idx);
        }
        fid
    }

    /// An arrived event with id `id` and correlation `k`: the chain that waited for `id` (keyed
    /// by it, as every chain ending at a missing cause is) now ends at a correlation id.
    fn chain_end_keyed(&mut self, store: &EventStore, id: Sym, k: Sym) {
        if !self.chains.arrive(id) {
            return;
        }
        let root = self.chains.find(id);
        if self.chains.members(root).is_empty() {
            return; // Nothing waited; the lone id's key now follows from its event.
        }
        self.chains.set_mut(root).key = Some(k);
        if k != id {
            self.move_members(store, root, id, k);
        }
    }

    /// Links the arrived event's id `id` to its cause `cause` (neither correlated); returns the
    /// root of the joined set. The chain that waited for `id` takes the cause's key.
    fn link(&mut self, store: &EventStore, id: Sym, cause: Sym) -> u32 {
        if !self.chains.arrive(id) {
            return self.chains.find(cause);
        }
        let own = self.chains.find(id);
        let theirs = self.chains.find(cause);
        if theirs == own {
            let k = chains::Chains::cycle_key(store, id, cause);
            self.chains.set_mut(own).key = Some(k);
            if k != id {
                self.move_members(store, own, id, k);
            }
            return own;
        }
        let k = self.chains.key(store, theirs);
        if k != id {
            self.move_members(store, own, id, k);
        }
        self.chains.union(own, theirs, k)
    }

    /// Moves every member of the set at `root` from the flow of `from` to the flow of `to`. A
    /// flow that holds only them is renamed instead, or merged (smaller into larger) with an
    /// existing flow of `to`, so a chain growing backwards (causes arriving after their
    /// effects) is never moved event by event.
    fn move_members(&mut self, store: &EventStore, root: u32, from: Sym, to: Sym) {
        let Some(a) = self.by_key(from) else { return };
        let n = self.chains.members(root).len();
        if n == 0 {
            return;
        }
        if self.flows[a as usize].events.len() == n {
            self.rename_or_merge(a, from, to);
            return;
        }
        // The flow keeps others (e.g. events correlated by `from`): take the members out. Each
        // of those others is keyed `from` for good, and `from` arrives once, so this happens
        // at most once per flow key; but it costs the whole flow. A chain arriving children
        // first in which every id is also some other event's correlation id would pay it at
        // each step (quadratic): contrived, and not yet handled (linear-time issue).
        let members = self.chains.members(root).to_vec();
        let b = self.flow_for_key(to);
        for &e in &members {
            self.flow_of[e as usize] = b;
            self.flows[b as usize].add(store, e, self.repeats.contains(e as usize));
        }
        let flow_of = &self.flow_of;
        let flow = &mut self.flows[a as usize];
        flow.events.retain(|e| flow_of[*e as usize] == a);
        flow.rebuild(store, &self.repeats);
        self.moved += (members.len() + flow.events.len()) as u64;
        self.journal.push(Moved::Members {
            from: a,
            to: b,
            members,
        });
    }

    /// The flow `a` (keyed `from`) takes the key `to`: renamed when no flow has that key,
    /// otherwise the smaller of the two is merged into the larger, which keeps the key `to`.
    fn rename_or_merge(&mut self, a: FlowId, from: Sym, to: Sym) {
        self.by_key[from.index()] = NO_FLOW;
        let b = self
            .by_key(to)
            .filter(|&b| !self.flows[b as usize].events.is_empty());
        let Some(b) = b else {
            self.set_key(a, to);
            self.flows[a as usize].correlated = false;
            return;
        };
        let (into, gone) =
            if self.flows[a as usize].events.len() > self.flows[b as usize].events.len() {
                (a, b)
            } else {
                (b, a)
            };
        let correlated = self.flows[b as usize].correlated;
        let taken = std::mem::replace(&mut self.flows[gone as usize], Flow::new(from));
        for &e in &taken.events {
            self.flow_of[e as usize] = into;
        }
        self.moved += taken.events.len() as u64;
        let flow = &mut self.flows[into as usize];
        flow.absorb_summary(&taken);
        flow.events.extend_from_slice(&taken.events);
        flow.correlated = correlated;
        self.set_key(into, to);
        self.live -= 1;
        self.journal.push(Moved::Merged { gone, into });
    }

    fn set_key(&mut self, f: FlowId, key: Sym) {
        self.flows[f as usize].key = key;
        if key.index() >= self.by_key.len() {
            self.by_key.resize(key.index() + 1, NO_FLOW);
        }
        self.by_key[key.index()] = f;
    }

    /// Whether an event of flow `id` takes part in its hops and critical path: any but a repeat,
    /// unless the flow holds nothing but repeats (then it is timed by them, too).
    fn takes_part(&self, id: FlowId) -> impl Fn(EventIdx) -> bool + '_ {
        let only_repeats = self.get(id).events.iter().all(|&e| self.is_repeat(e));
        move |e| only_repeats || !self.is_repeat(e)
    }

    /// The causation edges inside a flow, parents resolved to the first event with the named id.
    /// Repeats are left out at either end (see [`Flow`]): a redelivered or dead-lettered copy is
    /// not a hop.
    pub fn edges(&self, store: &EventStore, id: FlowId) -> Vec<Edge> {
        let flow = self.get(id);
        let part = self.takes_part(id);
        flow.events
            .iter()
            .filter(|&&child| part(child))
            .filter_map(|&child| {
                let c = store.get(child);
                let parent = store.first_with_id(c.causation?)?;
                if parent == child || self.flow_of(parent) != id || !part(parent) {
                    return None;
                }
                let p = store.get(parent);
                let latency = match (c.effective_time(), p.effective_time()) {
                    (Some(ct), Some(pt)) => Some(ct.saturating_sub(pt)),
                    _ => None,
                };
                Some(Edge {
                    parent,
                    child,
                    latency,
                })
            })
            .collect()
    }

    /// Causation ids named inside a flow that no event carries: the placeholder nodes.
    pub fn missing_causes(&self, store: &EventStore, id: FlowId) -> Vec<Sym> {
        let mut seen = FxHashSet::default();
        self.get(id)
            .events
            .iter()
            .filter_map(|&e| store.get(e).causation)
            .filter(|c| store.first_with_id(*c).is_none() && seen.insert(*c))
            .collect()
    }

    /// The longest causal chain in time: the root-to-descendant path whose end-to-end time span is
    /// largest (ties go to the path with more events). Cycles are cut, never followed. Repeats are
    /// never on it (an event under a dead-letter copy that stands in for its missing original
    /// starts a path of its own).
    ///
    /// Linear in the flow's size, with little memory per event: causation links form a forest
    /// (one cause per event), walked depth first through the store's lists of children; the path
    /// is rebuilt from its end through the causes. Of equal paths, the first reached wins.
    pub fn critical_path(&self, store: &EventStore, id: FlowId) -> Vec<EventIdx> {
        let flow = self.get(id);
        let part = self.takes_part(id);
        // The parent on a path: the event the cause resolves to, if in the flow and taking part.
        let parent_of = |e: EventIdx| -> Option<EventIdx> {
            let p = store.first_with_id(store.get(e).causation?)?;
            (p != e && part(p) && self.flow_of(p) == id).then_some(p)
        };
        let mut roots: Vec<EventIdx> = flow
            .events
            .iter()
            .copied()
            .filter(|&e| part(e) && parent_of(e).is_none())
            .collect();
        if roots.is_empty() {
            // A cycle: cut where the first member closes it.
            roots.extend(flow.events.iter().copied().find(|&e| part(e)));
        }
        let mut best: Option<((i64, usize), EventIdx, EventIdx)> = None;
        // Events still to visit: (event, its parent on the path or `None` for a root, depth).
        // Only the next sibling of each event on the current path waits here, so a chain needs
        // one entry, not one per event.
        let mut stack: Vec<(EventIdx, Option<EventIdx>, usize)> = Vec::new();
        for root in roots {
            // The first of `kids` (events naming an id that resolves to `node`) that is on a path
            // under `node` (`root` only where a cycle closes).
            let child = |mut kids: crate::store::Children, node: EventIdx| {
                kids.find(|&k| k != root && k != node && part(k) && self.flow_of(k) == id)
            };
            let start = store.get(root).effective_time().unwrap_or(0);
            stack.push((root, None, 1));
            while let Some((node, parent, depth)) = stack.pop() {
                if let Some(p) = parent
                    && let Some(next) = child(store.siblings_after(node), p)
                {
                    stack.push((next, parent, depth));
                }
                // Scored when reached (pre-order: of equal scores, the first reached wins).
                let r = store.get(node);
                let score = (r.effective_time().unwrap_or(0).saturating_sub(start), depth);
                if best.is_none_or(|(s, _, _)| score > s) {
                    best = Some((score, node, root));
                }
                if store.first_with_id(r.id) == Some(node)
                    && let Some(k) = child(store.children_of(r.id), node)
                {
                    stack.push((k, Some(node), depth + 1));
                }
            }
        }
        let Some((_, mut node, root)) = best else {
            return Vec::new();
        };
        let mut path = vec![node];
        while node != root {
            node = parent_of(node).expect("on the path");
            path.push(node);
        }
        path.reverse();
        path
    }
}

#[cfg(test)]
mod tests;
