//! Flow variants (process mining's "variants", for causation ids): a flow's variant is its root
//! type plus the *set* of its (cause type -> effect type) edges. Sibling order never matters, and
//! an edge of the same two types seen again in the flow (identical siblings, a retried step with
//! its own follow-ups, a redelivery) is folded into the one already there, so a retry or a
//! duplicate never makes a new variant.
//!
//! - **Root type**: the type of the flow's earliest event (time, then arrival) that names no
//!   cause; a flow in which every event names one takes its earliest event's type.
//! - **Edges**: every event that is not a repeat (exact duplicate, dead-letter copy) and names a
//!   cause owns one edge, its *in-edge*: (the cause's type -> its type) when the cause is in the
//!   flow, else (unknown -> its type): a cause never seen, or one in another flow.
//!
//! Maintained per event, never by rescanning a flow: an event adds its own in-edge and, when it is
//! the first carrying its id, re-owns the in-edges of the children that arrived before it (each
//! child once). A flow keeps a count per edge type and the sum of the set's hashes; when an edge
//! type appears or disappears, or the root type changes, the flow moves to the variant with the
//! new (root type, set hash). Flows that merge (uncorrelated chains meeting) add their counts, the
//! smaller into the larger, as `Flows` merges their events; members moved out of a flow re-own
//! their edges (`Flows` pays the same). So the work is linear in the events for any arrival order
//! ([`Variants::work`], the operation-count test in `tests.rs`).
//!
//! Variants are numbered by [`Variants::rank`] (1 = the most flows): the number the CLI, the
//! window's table, the `variant:N` filter and `unusual_flow`'s evidence use.

mod counts;
pub mod diff;
mod rank;
mod report;
#[cfg(test)]
mod tests;

use super::flows::{FlowId, Flows, Moved};
use crate::model::Sym;
use crate::store::{EventIdx, EventRecord, EventStore};
use counts::PairCounts;
pub use report::{
    EdgeStats, VariantReport, hop_latency, hop_stats, quantile, report, variant_report,
};
use rustc_hash::FxHashMap;

pub type VariantId = u32;
const NONE: u32 = u32::MAX;
/// "No time" for events without one: after every real time.
const NO_TIME: i64 = i64::MAX;

/// Flows are judged complete or not only once their root type has this many flows (fewer cannot
/// hold the complete flows `unusual_flow` needs): judging costs a pass over the flow's events.
pub const JUDGED_FROM: u32 = crate::analysis::detectors::unusual_flow::MIN_COMPLETE;

/// An edge type: the cause's type (`None`: unknown) and the effect's type.
pub type Pair = (Option<Sym>, Sym);

/// One variant: its flows (members in no order) and how many of them were complete when last
/// judged (see [`Variants::set_complete`]).
#[derive(Clone, Debug, Default)]
pub struct Variant {
    pub root_type: Option<Sym>,
    members: Vec<FlowId>,
    pub complete: u32,
    /// Its number (1 = most flows) as of the last [`Variants::rank`]; 0 before.
    pub number: u32,
}

impl Variant {
    pub fn flows(&self) -> usize {
        self.members.len()
    }
    pub fn members(&self) -> &[FlowId] {
        &self.members
    }
}

/// Flows and complete flows per root type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RootStats {
    pub flows: u32,
    pub complete: u32,
}

/// The earliest (time, event, its type) of a kind, for the root type.
type Earliest = (i64, EventIdx, Option<Sym>);
const NO_EVENT: Earliest = (i64::MAX, EventIdx::MAX, None);

#[derive(Clone, Debug)]
struct FlowState {
    variant: VariantId,
    /// Where the flow is in its variant's `members`.
    pos: u32,
    complete: bool,
    pairs: PairCounts,
    /// Sum of the hashes of the edge types with a count.
    set_hash: u64,
    /// The earliest event naming no cause, and the earliest event of all.
    root: Earliest,
    first: Earliest,
}

impl Default for FlowState {
    fn default() -> Self {
        FlowState {
            variant: NONE,
            pos: 0,
            complete: false,
            pairs: PairCounts::default(),
            set_hash: 0,
            root: NO_EVENT,
            first: NO_EVENT,
        }
    }
}

impl FlowState {
    fn root(&self) -> Earliest {
        if self.root != NO_EVENT {
            self.root
        } else {
            self.first
        }
    }

    fn root_event(&self) -> Option<EventIdx> {
        let (_, e, _) = self.root();
        (e != EventIdx::MAX).then_some(e)
    }
}

#[derive(Default)]
pub struct Variants {
    variants: Vec<Variant>,
    /// Variant per (root type, edge set) hash. 64 bits: two sets of the same hash are not told
    /// apart (about one chance in 2^40 with a million variants).
    by_hash: FxHashMap<u64, VariantId>,
    flows: Vec<FlowState>,
    pairs: Vec<Pair>,
    pair_ids: FxHashMap<Pair, u32>,
    /// Per event: the edge type it owns (counted in its flow), or `NONE`.
    in_edge: Vec<u32>,
    roots: FxHashMap<Sym, RootStats>,
    /// Flows whose events or variant changed since [`Variants::take_dirty`].
    dirty: Vec<FlowId>,
    is_dirty: fixedbitset::FixedBitSet,
    /// Flows to re-place after the event being handled.
    touched: Vec<FlowId>,
    /// Root types that reached [`JUDGED_FROM`] flows since [`Variants::to_judge`].
    newly_judged: Vec<Sym>,
    /// Variant numbers: `ranked[n - 1]` is variant number n.
    ranked: Vec<VariantId>,
    /// Bumped by every [`Variants::rank`] (views rebuild when it changes).
    pub rankings: u64,
    work: u64,
}

/// A 64-bit mix (splitmix64's finaliser): spreads ids over the hash space.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn pair_hash(id: u32) -> u64 {
    mix(u64::from(id) | 1 << 40)
}

impl Variants {
    pub fn reserve(&mut self, events: usize) {
        self.in_edge.reserve(events);
    }

    /// Work done (edges re-owned, children visited, events moved, flows re-placed), for the
    /// operation-count test: linear in the events for any shape and arrival order.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// Every variant ever made, by id (those with no flows left included).
    pub fn all(&self) -> &[Variant] {
        &self.variants
    }

    pub fn get(&self, v: VariantId) -> &Variant {
        &self.variants[v as usize]
    }

    /// The flow's variant (`None` for a flow without events).
    pub fn variant_of(&self, f: FlowId) -> Option<VariantId> {
        self.flows
            .get(f as usize)
            .map(|s| s.variant)
            .filter(|&v| v != NONE)
    }

    /// The event that gives the flow its root type.
    pub fn root_event(&self, f: FlowId) -> Option<EventIdx> {
        self.flows.get(f as usize).and_then(FlowState::root_event)
    }

    pub fn is_complete(&self, f: FlowId) -> bool {
        self.flows.get(f as usize).is_some_and(|s| s.complete)
    }

    pub fn root_stats(&self, root: Option<Sym>) -> RootStats {
        root.and_then(|r| self.roots.get(&r).copied())
            .unwrap_or_default()
    }

    /// The variant's edge types, sorted by (cause, effect) text (from any of its flows: all
    /// share them). Empty for a variant without flows.
    pub fn edges(&self, store: &EventStore, v: VariantId) -> Vec<Pair> {
        let Some(&f) = self.variants[v as usize].members.first() else {
            return Vec::new();
        };
        self.flow_edges(store, f)
    }

    /// The edge types of a flow, sorted by (cause, effect) text.
    pub fn flow_edges(&self, store: &EventStore, f: FlowId) -> Vec<Pair> {
        let Some(st) = self.flows.get(f as usize) else {
            return Vec::new();
        };
        let mut out: Vec<Pair> = st
            .pairs
            .iter()
            .map(|(id, _)| self.pairs[id as usize])
            .collect();
        let name = |s: Option<Sym>| s.map_or("", |s| store.str(s));
        out.sort_by(|a, b| (name(a.0), name(Some(a.1))).cmp(&(name(b.0), name(Some(b.1)))));
        out
    }

    /// The flows to judge complete or not: of the flows whose events or variant changed since
    /// the last call (`all`: every flow of `flows`), those whose root type has [`JUDGED_FROM`]
    /// flows, plus every flow of a root type that reached it since.
    pub fn to_judge(&mut self, flows: &Flows, all: bool) -> Vec<FlowId> {
        for &f in &self.dirty {
            self.is_dirty.set(f as usize, false);
        }
        let dirty = std::mem::take(&mut self.dirty);
        let mut out: Vec<FlowId> = if all {
            flows.iter().map(|(f, _)| f).collect()
        } else {
            dirty
        };
        out.retain(|&f| {
            self.root_type_of(f)
                .is_some_and(|r| self.roots.get(&r).is_some_and(|s| s.flows >= JUDGED_FROM))
        });
        let grown = std::mem::take(&mut self.newly_judged);
        if !all && !grown.is_empty() {
            for v in &self.variants {
                if v.root_type.is_some_and(|r| grown.contains(&r)) {
                    self.work += v.members.len() as u64;
                    out.extend_from_slice(&v.members);
                }
            }
        }
        out
    }

    /// Judges flow `f` again at the next [`Variants::to_judge`].
    pub fn requeue(&mut self, f: FlowId) {
        self.mark_dirty(f);
    }

    fn mark_dirty(&mut self, f: FlowId) {
        self.is_dirty.grow(f as usize + 1);
        if !self.is_dirty.put(f as usize) {
            self.dirty.push(f);
        }
    }

    /// Records whether each flow is complete now (its status judged by the engine).
    pub fn set_complete(&mut self, judged: &[(FlowId, bool)]) {
        for &(f, complete) in judged {
            let Some(st) = self.flows.get_mut(f as usize) else {
                continue;
            };
            if st.complete == complete || st.variant == NONE {
                st.complete = complete;
                continue;
            }
            st.complete = complete;
            let v = st.variant;
            self.count_complete(v, complete);
        }
    }

    fn count_complete(&mut self, v: VariantId, add: bool) {
        let var = &mut self.variants[v as usize];
        let root = var.root_type.and_then(|r| self.roots.get_mut(&r));
        if add {
            var.complete += 1;
            if let Some(r) = root {
                r.complete += 1;
            }
        } else {
            var.complete -= 1;
            if let Some(r) = root {
                r.complete -= 1;
            }
        }
    }

    /// Takes in event `idx`, just placed in its flow by `flows` (whose moves are taken here);
    /// `canonical`: it is the event causation links to its id resolve to.
    pub fn on_event(
        &mut self,
        store: &EventStore,
        flows: &mut Flows,
        idx: EventIdx,
        canonical: bool,
    ) {
        debug_assert_eq!(self.in_edge.len(), idx as usize);
        self.in_edge.push(NONE);
        if flows.has_moves() {
            for m in flows.take_moves() {
                self.apply_move(store, flows, m);
            }
        }
        let f = flows.flow_of(idx);
        self.ensure(f);
        let r = store.get(idx);
        let at = (
            r.effective_time().unwrap_or(NO_TIME),
            idx,
            Some(r.event_type),
        );
        let st = &mut self.flows[f as usize];
        st.first = st.first.min(at);
        if r.causation.is_none() {
            st.root = st.root.min(at);
        }
        self.touch(f);
        self.work += 1;
        let own = self.in_edge_of(store, flows, (idx, r), None);
        self.set_edge(flows, idx, own);
        // As a cause: children that arrived first now have it (only the event their ids
        // resolve to: the first carrying the id).
        if canonical && store.has_children(r.id) {
            let kids: smallvec::SmallVec<[EventIdx; 8]> =
                store.children_of(r.id).filter(|&k| k != idx).collect();
            for k in kids {
                self.reown(store, flows, k, Some((idx, r.event_type)));
            }
        }
        let touched = std::mem::take(&mut self.touched);
        for &t in &touched {
            self.place(t);
        }
        self.touched = touched;
        self.touched.clear();
    }

    fn touch(&mut self, f: FlowId) {
        if self.touched.last() != Some(&f) {
            self.touched.push(f);
        }
    }

    fn ensure(&mut self, f: FlowId) {
        if self.flows.len() <= f as usize {
            self.flows.resize(f as usize + 1, FlowState::default());
        }
    }

    /// The edge type event `e` (record `r`) owns now; `cause`: its cause's event and type when
    /// the caller knows them (the cause that just arrived), else looked up.
    fn in_edge_of(
        &mut self,
        store: &EventStore,
        flows: &Flows,
        (e, r): (EventIdx, &EventRecord),
        cause: Option<(EventIdx, Sym)>,
    ) -> u32 {
        if flows.is_repeat(e) {
            return NONE;
        }
        let Some(c) = r.causation else {
            return NONE;
        };
        let f = flows.flow_of(e);
        let cause = cause
            .or_else(|| store.first_with_id(c).map(|p| (p, store.get(p).event_type)))
            .filter(|&(p, _)| p != e && !flows.is_repeat(p) && flows.flow_of(p) == f)
            .map(|(_, ty)| ty);
        let pair = (cause, r.event_type);
        let next = self.pairs.len() as u32;
        let id = *self.pair_ids.entry(pair).or_insert(next);
        if id == next {
            self.pairs.push(pair);
        }
        id
    }

    /// Re-decides the edge event `e` owns (counted in its current flow); `cause` as for
    /// [`Variants::in_edge_of`].
    fn reown(
        &mut self,
        store: &EventStore,
        flows: &Flows,
        e: EventIdx,
        cause: Option<(EventIdx, Sym)>,
    ) {
        self.work += 1;
        let new = self.in_edge_of(store, flows, (e, store.get(e)), cause);
        self.set_edge(flows, e, new);
    }

    fn set_edge(&mut self, flows: &Flows, e: EventIdx, new: u32) {
        let old = self.in_edge[e as usize];
        if new == old {
            return;
        }
        let f = flows.flow_of(e);
        self.ensure(f);
        if old != NONE {
            self.count(f, old, -1);
        }
        if new != NONE {
            self.count(f, new, 1);
        }
        self.in_edge[e as usize] = new;
        self.touch(f);
    }

    /// Adds `by` (+1 / -1 or a merged count) to edge type `pair` in flow `f`.
    fn count(&mut self, f: FlowId, pair: u32, by: i64) {
        let st = &mut self.flows[f as usize];
        match st.pairs.add(pair, by) {
            counts::Change::Appeared => st.set_hash = st.set_hash.wrapping_add(pair_hash(pair)),
            counts::Change::Gone => st.set_hash = st.set_hash.wrapping_sub(pair_hash(pair)),
            counts::Change::Same => {}
        }
    }

    fn apply_move(&mut self, store: &EventStore, flows: &Flows, m: Moved) {
        match m {
            Moved::Merged { gone, into } => {
                self.ensure(gone.max(into));
                let taken = std::mem::take(&mut self.flows[gone as usize]);
                self.flows[gone as usize].variant = taken.variant;
                self.flows[gone as usize].pos = taken.pos;
                self.flows[gone as usize].complete = taken.complete;
                for (pair, n) in taken.pairs.iter() {
                    self.work += 1;
                    self.count(into, pair, i64::from(n));
                }
                let st = &mut self.flows[into as usize];
                st.root = st.root.min(taken.root);
                st.first = st.first.min(taken.first);
                self.touched.extend([gone, into]);
            }
            Moved::Members { from, to, members } => {
                self.ensure(from.max(to));
                for &e in &members {
                    let own = self.in_edge[e as usize];
                    if own != NONE {
                        self.count(from, own, -1);
                        self.count(to, own, 1);
                    }
                }
                // Edges across the cut (cause on one side, effect on the other) change.
                for &e in &members {
                    self.reown(store, flows, e, None);
                    let kids: Vec<EventIdx> = store.children_of(store.get(e).id).collect();
                    for k in kids {
                        self.reown(store, flows, k, None);
                    }
                }
                self.recompute_root(store, flows, from);
                self.recompute_root(store, flows, to);
                self.touched.extend([from, to]);
            }
        }
    }

    fn recompute_root(&mut self, store: &EventStore, flows: &Flows, f: FlowId) {
        let (mut root, mut first) = (NO_EVENT, NO_EVENT);
        for &e in &flows.get(f).events {
            self.work += 1;
            let r = store.get(e);
            let at = (r.effective_time().unwrap_or(NO_TIME), e, Some(r.event_type));
            first = first.min(at);
            if r.causation.is_none() {
                root = root.min(at);
            }
        }
        let st = &mut self.flows[f as usize];
        (st.root, st.first) = (root, first);
    }

    /// Moves flow `f` to the variant its root type and edge set name now.
    fn place(&mut self, f: FlowId) {
        self.work += 1;
        self.mark_dirty(f);
        // Changed: complete again only once judged so.
        let st = &mut self.flows[f as usize];
        if st.complete {
            st.complete = false;
            if st.variant != NONE {
                let v = st.variant;
                self.count_complete(v, false);
            }
        }
        let st = &self.flows[f as usize];
        let old = st.variant;
        let (root_sym, key) = match st.root().2 {
            Some(r) => (Some(r), st.set_hash ^ mix(r.index() as u64)),
            None => (None, 0),
        };
        let new = if root_sym.is_none() {
            NONE
        } else {
            match self.by_hash.get(&key) {
                Some(&v) => v,
                None => {
                    let v = self.variants.len() as VariantId;
                    self.variants.push(Variant {
                        root_type: root_sym,
                        ..Variant::default()
                    });
                    self.by_hash.insert(key, v);
                    v
                }
            }
        };
        if new == old {
            return;
        }
        let complete = self.flows[f as usize].complete;
        if old != NONE {
            if complete {
                self.count_complete(old, false);
            }
            self.leave(f, old);
        }
        if new != NONE {
            let var = &mut self.variants[new as usize];
            self.flows[f as usize].pos = var.members.len() as u32;
            var.members.push(f);
            if let Some(r) = var.root_type {
                let stats = self.roots.entry(r).or_default();
                stats.flows += 1;
                if stats.flows == JUDGED_FROM {
                    self.newly_judged.push(r);
                }
            }
            if complete {
                self.count_complete(new, true);
            }
        } else {
            self.flows[f as usize].complete = false;
        }
        self.flows[f as usize].variant = new;
    }

    fn leave(&mut self, f: FlowId, v: VariantId) {
        let pos = self.flows[f as usize].pos as usize;
        let var = &mut self.variants[v as usize];
        var.members.swap_remove(pos);
        if let Some(&moved) = var.members.get(pos) {
            self.flows[moved as usize].pos = pos as u32;
        }
        if let Some(r) = var.root_type.and_then(|r| self.roots.get_mut(&r)) {
            r.flows -= 1;
        }
    }

    /// The flow's root type: see the module docs.
    pub fn root_type_of(&self, f: FlowId) -> Option<Sym> {
        self.flows.get(f as usize).and_then(|s| s.root().2)
    }
}
