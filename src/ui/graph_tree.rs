//! A flow's causation forest (as of the replay cutoff), shared by the graph and the waterfall.
//! Each event has at most one cause, so the flow is a forest: events are items, causes never seen
//! and trace roots of unknown causation are placeholder items at the top. Built in time linear in
//! the flow's events (plus sorting siblings by time): parent lookups are hash lookups, a cycle is
//! cut where it closes with one colouring walk, and runs and subtree sizes come from one pass over
//! the breadth-first order (no walk from each event to its root).

use crate::analysis::{Engine, FlowId};
use crate::decode::trace_context::causation_unknown;
use crate::model::Sym;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

pub const NONE: u32 = u32::MAX;

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Event(EventIdx),
    /// A cause named but never seen (`external` when it may never be on Kafka, an Axon command),
    /// or a trace id whose events' causation is unknown (trace context only).
    Missing {
        id: Sym,
        trace: bool,
        external: bool,
    },
}

#[derive(Clone, Debug, Default)]
pub struct FlowTree {
    pub items: Vec<Item>,
    pub parent: Vec<u32>,
    child_start: Vec<u32>,
    child_list: Vec<u32>,
    /// Roots in time order.
    pub roots: Vec<u32>,
    /// Parents before children (breadth first from the roots).
    pub order: Vec<u32>,
    /// Steps down a path of only children from each item (0 when it has none or several).
    pub run: Vec<u32>,
    /// Items in each item's subtree, itself included.
    pub size: Vec<u32>,
    pub depth: Vec<u32>,
    /// Events placed by their trace id alone, whose cause is unknown rather than absent.
    pub causation_unknown: usize,
    /// The replay cutoff it was built for (anomalies are counted as of it).
    pub cutoff: Option<i64>,
}

impl FlowTree {
    pub fn children(&self, i: u32) -> &[u32] {
        let (a, b) = (
            self.child_start[i as usize],
            self.child_start[i as usize + 1],
        );
        &self.child_list[a as usize..b as usize]
    }

    pub fn event(&self, i: u32) -> Option<EventIdx> {
        match self.items[i as usize] {
            Item::Event(e) => Some(e),
            Item::Missing { .. } => None,
        }
    }

    /// Events in the tree.
    pub fn events(&self) -> usize {
        self.items.len()
            - self
                .items
                .iter()
                .filter(|i| matches!(i, Item::Missing { .. }))
                .count()
    }

    /// The forest of `flow`; with a `cutoff`, of its events up to that time (replay).
    pub fn build(engine: &Engine, flow: FlowId, cutoff: Option<i64>) -> FlowTree {
        let s = &engine.store;
        let shown =
            |e: EventIdx| cutoff.is_none_or(|c| s.get(e).effective_time().is_none_or(|t| t <= c));
        let mut items: Vec<Item> = (engine.flows.get(flow).events.iter().copied())
            .filter(|&e| shown(e))
            .map(Item::Event)
            .collect();
        let local: FxHashMap<EventIdx, u32> = (items.iter().enumerate())
            .filter_map(|(i, it)| match it {
                Item::Event(e) => Some((*e, i as u32)),
                Item::Missing { .. } => None,
            })
            .collect();
        let mut parent = vec![NONE; items.len()];
        let mut missing: FxHashMap<Sym, u32> = FxHashMap::default();
        let mut unknown = 0;
        for i in 0..parent.len() {
            let Item::Event(e) = items[i] else {
                unreachable!()
            };
            let r = s.get(e);
            let p = r.provenance();
            let unknown_here = causation_unknown(p.correlation, p.causation);
            unknown += usize::from(unknown_here);
            let placeholder = match r.causation {
                None => match r.correlation {
                    Some(t) if unknown_here => Some((t, true)),
                    _ => None,
                },
                Some(c) => match s.first_with_id(c) {
                    Some(pe) if pe != e => {
                        parent[i] = local.get(&pe).copied().unwrap_or(NONE);
                        None
                    }
                    Some(_) => None,
                    None => Some((c, false)),
                },
            };
            if let Some((id, trace)) = placeholder {
                let external = !trace && p.causation.cause_may_be_external();
                parent[i] = *missing.entry(id).or_insert_with(|| {
                    items.push(Item::Missing {
                        id,
                        trace,
                        external,
                    });
                    (items.len() - 1) as u32
                });
            }
        }
        parent.resize(items.len(), NONE);
        cut_cycles(&mut parent);
        let mut t = FlowTree {
            items,
            parent,
            causation_unknown: unknown,
            cutoff,
            ..FlowTree::default()
        };
        t.link(engine);
        t
    }

    /// Children lists (by time), roots, breadth-first order, depths, runs and sizes.
    fn link(&mut self, engine: &Engine) {
        let n = self.items.len();
        // Siblings and roots by time; a placeholder at its first child's time.
        let mut key: Vec<(Option<i64>, EventIdx)> = (self.items.iter())
            .map(|it| match it {
                Item::Event(e) => (engine.store.get(*e).effective_time(), *e),
                Item::Missing { .. } => (None, EventIdx::MAX),
            })
            .collect();
        for i in 0..n {
            let p = self.parent[i];
            if p != NONE && matches!(self.items[p as usize], Item::Missing { .. }) {
                let k = key[i];
                let pk = &mut key[p as usize];
                if pk.1 == EventIdx::MAX || k < *pk {
                    *pk = k;
                }
            }
        }
        let mut by_time: Vec<u32> = (0..n as u32).collect();
        by_time.sort_by_key(|&i| key[i as usize]);
        let mut count = vec![0u32; n + 1];
        for &p in &self.parent {
            if p != NONE {
                count[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        self.child_start = count.clone();
        self.child_list = vec![0; count[n] as usize];
        for &i in &by_time {
            let p = self.parent[i as usize];
            if p == NONE {
                self.roots.push(i);
            } else {
                self.child_list[count[p as usize] as usize] = i;
                count[p as usize] += 1;
            }
        }
        self.depth = vec![0; n];
        self.order = self.roots.clone();
        let mut k = 0;
        while k < self.order.len() {
            let i = self.order[k];
            for j in 0..self.children(i).len() {
                let c = self.children(i)[j];
                self.depth[c as usize] = self.depth[i as usize] + 1;
                self.order.push(c);
            }
            k += 1;
        }
        self.run = vec![0; n];
        self.size = vec![1; n];
        for &i in self.order.iter().rev() {
            let kids = self.children(i);
            if let [only] = kids {
                self.run[i as usize] = 1 + self.run[*only as usize];
            }
            let p = self.parent[i as usize];
            if p != NONE {
                self.size[p as usize] += self.size[i as usize];
            }
        }
    }
}

/// Makes the parent links a forest: where following parents comes back to an item of the same
/// walk, the item whose parent closes the cycle becomes a root. Each item is walked once.
fn cut_cycles(parent: &mut [u32]) {
    const NEW: u8 = 0;
    const ON_WALK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; parent.len()];
    let mut walk = Vec::new();
    for start in 0..parent.len() {
        let mut i = start as u32;
        while i != NONE && state[i as usize] == NEW {
            state[i as usize] = ON_WALK;
            walk.push(i);
            let p = parent[i as usize];
            if p != NONE && state[p as usize] == ON_WALK {
                parent[i as usize] = NONE;
                break;
            }
            i = p;
        }
        for w in walk.drain(..) {
            state[w as usize] = DONE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_cut_where_they_close() {
        // 0 <- 1 <- 2 <- 0 (a cycle), 3 <- 2.
        let mut p = vec![2, 0, 1, 2];
        cut_cycles(&mut p);
        assert_eq!(p.iter().filter(|&&x| x == NONE).count(), 1);
        assert_eq!(p[3], 2);
    }
}
