//! Chains of events without a correlation id, joined through their causation ids.
//!
//! An event without a correlation id belongs with its cause, so its flow key is found at the end
//! of its chain of causes: the first correlation id met, the id of a cause never seen, the id of
//! a root without a cause, or (for a cycle) the smallest id on the cycle. Ids linked this way
//! (an arrived event's id to its cause's id) are kept in a union-find whose sets remember that
//! key and the events whose flow depends on it, so the key of any event is found in
//! near-constant time, and when a set's key changes (its missing cause arrives) its members are
//! known without a search.

use crate::analysis::union_find::UnionFind;
use crate::model::Sym;
use crate::store::{EventIdx, EventStore};
use rustc_hash::FxHashMap;

/// A set of linked ids with what depends on it.
#[derive(Default)]
pub(super) struct ChainSet {
    /// The flow key of every member; `None`: the default of a lone id (see [`Chains::key`]).
    pub key: Option<Sym>,
    /// Events without a correlation id whose flow key is this set's key.
    pub members: Vec<EventIdx>,
}

#[derive(Default)]
pub(super) struct Chains {
    /// Sets of linked ids (by `Sym::index`).
    sets_of: UnionFind,
    /// Ids whose event arrived and was placed (one bit per id symbol).
    arrived: Vec<u64>,
    /// Per root, for sets with members or a key of their own.
    sets: FxHashMap<u32, ChainSet>,
}

impl Chains {
    pub fn find(&mut self, id: Sym) -> u32 {
        self.sets_of.find(id.index()) as u32
    }

    /// Union-find steps taken (for the operation-count tests).
    pub fn steps(&self) -> u64 {
        self.sets_of.steps
    }

    /// Marks the id's event as placed; false if it already was (its canonical event changed).
    pub fn arrive(&mut self, id: Sym) -> bool {
        let (word, bit) = (id.index() / 64, 1u64 << (id.index() % 64));
        if word >= self.arrived.len() {
            self.arrived.resize(word + 1, 0);
        }
        let fresh = self.arrived[word] & bit == 0;
        self.arrived[word] |= bit;
        fresh
    }

    /// The flow key of the set whose root is `root`. A lone id's key is its event's correlation
    /// id, or the id itself (a cause not seen yet, a root, or an event caused by itself).
    pub fn key(&self, store: &EventStore, root: u32) -> Sym {
        if let Some(k) = self.sets.get(&root).and_then(|s| s.key) {
            return k;
        }
        let id = Sym::from_index(root as usize);
        store
            .first_with_id(id)
            .and_then(|e| store.get(e).correlation)
            .unwrap_or(id)
    }

    pub fn set_mut(&mut self, root: u32) -> &mut ChainSet {
        self.sets.entry(root).or_default()
    }

    /// Members of the set at `root`, if it has any.
    pub fn members(&self, root: u32) -> &[EventIdx] {
        self.sets.get(&root).map_or(&[], |s| s.members.as_slice())
    }

    /// Joins the sets at roots `a` and `b` under the key `key`; returns the new root. Members are
    /// moved from the smaller list into the larger one.
    pub fn union(&mut self, a: u32, b: u32, key: Sym) -> u32 {
        let root = self.sets_of.union(a as usize, b as usize) as u32;
        let child = if root == a { b } else { a };
        let mut gone = self
            .sets
            .remove(&child)
            .map(|s| s.members)
            .unwrap_or_default();
        let set = self.sets.entry(root).or_default();
        if gone.len() > set.members.len() {
            std::mem::swap(&mut gone, &mut set.members);
        }
        self.sets_of.steps += gone.len() as u64;
        set.members.extend(gone);
        set.key = Some(key);
        root
    }

    /// The smallest id (by text) on the cycle that `cause`'s chain closes back at `id`.
    pub fn cycle_key(store: &EventStore, id: Sym, cause: Sym) -> Sym {
        let mut best = id;
        let mut cur = cause;
        // Bounded by the number of events, in case the store's links ever disagree.
        for _ in 0..=store.len() {
            if cur == id {
                break;
            }
            if store.str(cur) < store.str(best) {
                best = cur;
            }
            match store
                .first_with_id(cur)
                .and_then(|e| store.get(e).causation)
            {
                Some(next) => cur = next,
                None => break,
            }
        }
        best
    }
}
