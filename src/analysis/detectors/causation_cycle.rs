//! `causation_cycle`: causation links that form a cycle, including an event caused by itself.
//!
//! Ids joined by causation links (an event's id to its cause's id) are kept in a union-find whose
//! sets remember the id at the end of their chain: one whose event has not arrived, has no cause,
//! or closes a cycle. An arriving event closes a cycle exactly when its cause's chain ends at its
//! own id; that is a near-constant-time question, so events arriving after their children (or in
//! any order) never walk a chain. Only a found cycle is walked once, for its evidence.

use super::{Ctx, Detector, flags};
use crate::analysis::anomaly::AnomalyKind;
use crate::analysis::union_find::UnionFind;
use crate::model::Sym;
use crate::store::{EventIdx, EventStore};
use rustc_hash::FxHashMap;

/// Ids joined by causation links, each set labelled with the id its chain ends at.
#[derive(Default)]
pub struct CausationCycleDetector {
    /// Sets of linked ids (by `Sym::index`).
    pub(crate) sets: UnionFind,
    /// Per root index whose chain does not end at the root itself: the index of the id it ends
    /// at. Sparse: a new event's set is linked under its cause's set, whose root keeps its end,
    /// unless union by rank makes the new set the root (events that arrived before their cause).
    end: FxHashMap<u32, u32>,
}

impl CausationCycleDetector {
    fn end_of(&self, root: usize) -> usize {
        self.end.get(&(root as u32)).map_or(root, |&e| e as usize)
    }

    /// Links the set `own` (just arrived, its chain ending at it) under its cause's set
    /// `theirs`, whose chain ends at `end`.
    fn link(&mut self, own: usize, theirs: usize, end: usize) {
        self.end.remove(&(own as u32));
        let root = self.sets.union(own, theirs);
        if root == own {
            self.end.remove(&(theirs as u32));
            if end != own {
                self.end.insert(own as u32, end as u32);
            }
        }
    }
}

fn raise_self_cause(cx: &mut Ctx, idx: EventIdx) {
    let s = cx.store;
    let r = s.get(idx);
    cx.anomalies.raise(
        AnomalyKind::CausationCycle,
        Some(idx),
        vec![],
        format!(
            "{} {} names itself as its cause",
            s.str(r.event_type),
            s.str(r.id)
        ),
        Some(s.location_label(idx)),
    );
}

/// The ids from `cause` along the causes back to `id` (exclusive), for a cycle known to close.
fn cycle_path(s: &EventStore, id: Sym, cause: Sym) -> Vec<Sym> {
    let mut path = vec![cause];
    let mut cur = cause;
    while let Some(next) = s.first_with_id(cur).and_then(|p| s.get(p).causation) {
        if next == id || path.contains(&next) {
            break;
        }
        path.push(next);
        cur = next;
    }
    path
}

impl Detector for CausationCycleDetector {
    fn kinds(&self) -> &'static [AnomalyKind] {
        &[AnomalyKind::CausationCycle]
    }

    fn on_event(&mut self, cx: &mut Ctx, idx: EventIdx) {
        if !cx.has(idx, flags::FIRST_OF_ID) || cx.is_repeat(idx) {
            return;
        }
        let s = cx.store;
        let r = s.get(idx);
        let Some(cause) = r.causation else { return };
        let id = r.id;
        if cause == id {
            raise_self_cause(cx, idx);
            return;
        }
        let own = self.sets.find(id.index());
        if self.end_of(own) != id.index() {
            // This id's link is already known (its canonical event changed): nothing new.
            return;
        }
        let theirs = self.sets.find(cause.index());
        let end = self.end_of(theirs);
        if end != id.index() {
            self.link(own, theirs, end);
            return;
        }
        let path = cycle_path(s, id, cause);
        let chain: Vec<&str> = std::iter::once(id)
            .chain(path.iter().copied())
            .chain([id])
            .map(|x| s.str(x))
            .collect();
        cx.anomalies.raise(
            AnomalyKind::CausationCycle,
            Some(idx),
            path,
            format!("causation cycle: {}", chain.join(" <- ")),
            Some(s.location_label(idx)),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::AnomalyKind::*;
    use crate::analysis::testkit::*;

    #[test]
    fn self_and_longer_cycles_terminate() {
        let e = run(vec![
            ev("self", "T", "x", 0).corr("c0").cause("self"),
            ev("a", "T", "x", 1).corr("c1").cause("c"),
            ev("b", "T", "x", 1).corr("c1").cause("a"),
            ev("c", "T", "x", 1).corr("c1").cause("b"),
        ]);
        assert_eq!(
            found(&e),
            want(&[(CausationCycle, "c"), (CausationCycle, "self")])
        );
        let c = e
            .anomalies
            .active()
            .find(|(_, a)| e.store.id_str(a.event.unwrap()) == "c")
            .unwrap()
            .1;
        assert_eq!(c.message, "causation cycle: c <- b <- a <- c");
        let f = e.flows.by_key(e.store.strings.get("c1").unwrap()).unwrap();
        assert_eq!(e.flows.critical_path(&e.store, f).len(), 3);
    }

    #[test]
    fn a_cycle_is_found_once_in_every_arrival_order() {
        let events = [
            ev("a", "T", "x", 1).corr("c1").cause("c"),
            ev("b", "T", "x", 1).corr("c1").cause("a"),
            ev("c", "T", "x", 1).corr("c1").cause("b"),
            ev("d", "T", "x", 1).corr("c1").cause("b"),
        ];
        for order in [
            [0, 1, 2, 3],
            [2, 1, 0, 3],
            [1, 3, 0, 2],
            [3, 2, 1, 0],
            [0, 2, 3, 1],
        ] {
            let e = run(order.iter().map(|&i| events[i].clone()).collect());
            let cycles: Vec<_> = found(&e)
                .into_iter()
                .filter(|f| f.0 == CausationCycle)
                .collect();
            assert_eq!(cycles.len(), 1, "order {order:?}: {cycles:?}");
        }
    }

    /// A chain arriving children first (each cause after all its effects) costs a bounded number
    /// of union-find steps per event, and closes no cycle.
    #[test]
    fn reverse_chains_take_linear_steps() {
        let steps = |n: usize| {
            let e = run(reverse_chain(n, Some("C")));
            assert_eq!(e.anomalies.count(CausationCycle), 0);
            e.detectors.cycle.sets.steps
        };
        // Per event: no growth with the chain's length (a walk to the root would grow 8x).
        let (small, big) = (steps(2_000), steps(16_000));
        eprintln!("union-find steps: {small} for 2,000 events, {big} for 16,000");
        assert!(big <= 8 * small.max(2_000) * 2, "{small} -> {big} steps");
        assert!(big <= 2 * 16_000, "{big} steps for 16,000 events");
    }
}
