//! Stitching: flows are events grouped by correlation id; edges are causation links (child -> the
//! event whose id it names).
//!
//! An event without a correlation id joins its cause's flow when the cause is known. While the
//! cause is unknown it waits in a flow keyed by the missing cause's id, and moves when that event
//! arrives; an event with neither correlation nor cause starts a flow keyed by its own id. So the
//! flows depend only on the set of events, never on their arrival order.

use crate::model::{Sym, Timestamp};
use crate::store::{EventIdx, EventStore};
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

pub type FlowId = u32;

const NO_FLOW: FlowId = FlowId::MAX;

/// Longest chain of uncorrelated causes followed to place an event.
const MAX_WALK: usize = 256;

#[derive(Clone, Debug)]
pub struct Flow {
    /// The correlation id, or (for events without one) the id of the flow's root or missing cause.
    pub key: Sym,
    /// True when `key` is a correlation id carried by at least one event.
    pub correlated: bool,
    /// Members, in the order they joined (arrival order, except events moved in later).
    pub events: Vec<EventIdx>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub services: SmallVec<[Sym; 4]>,
}

impl Flow {
    fn new(key: Sym) -> Self {
        Flow {
            key,
            correlated: false,
            events: Vec::new(),
            first: None,
            last: None,
            services: SmallVec::new(),
        }
    }

    pub fn duration(&self) -> Option<i64> {
        Some(self.last?.saturating_sub(self.first?))
    }

    fn add(&mut self, store: &EventStore, idx: EventIdx) {
        let r = store.get(idx);
        self.events.push(idx);
        if r.correlation == Some(self.key) {
            self.correlated = true;
        }
        if let Some(t) = r.effective_time() {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if let Some(s) = r.source
            && !self.services.contains(&s)
        {
            self.services.push(s);
        }
    }

    fn rebuild(&mut self, store: &EventStore) {
        let events = std::mem::take(&mut self.events);
        *self = Flow::new(self.key);
        for e in events {
            self.add(store, e);
        }
    }
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
}

impl Flows {
    /// Number of flows with at least one event.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn reserve(&mut self, events: usize) {
        self.flow_of.reserve(events);
        self.flows.reserve(events / 4);
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
        if key.index() >= self.by_key.len() {
            self.by_key.resize(key.index() + 1, NO_FLOW);
        }
        self.by_key[key.index()] = f;
        self.live += 1;
        f
    }

    /// The key of the flow an event belongs to: its correlation id; else, following causes through
    /// events without one, the first correlation id met, the id of a missing cause, or the id of
    /// the root. A cycle of uncorrelated events is keyed by its smallest id, so the key never
    /// depends on arrival order. Past [`MAX_WALK`] steps the parent's current flow is taken.
    fn resolve_key(&self, store: &EventStore, idx: EventIdx) -> Sym {
        let mut r = store.get(idx);
        let mut path: SmallVec<[Sym; 8]> = SmallVec::new();
        path.push(r.id);
        loop {
            if let Some(c) = r.correlation {
                return c;
            }
            let Some(cause) = r.causation else {
                return r.id;
            };
            if let Some(pos) = path.iter().position(|x| *x == cause) {
                return *path[pos..]
                    .iter()
                    .min_by_key(|x| store.str(**x))
                    .expect("non-empty cycle");
            }
            let Some(p) = store.first_with_id(cause) else {
                return cause;
            };
            if path.len() >= MAX_WALK {
                return self.flows[self.flow_of[p as usize] as usize].key;
            }
            path.push(cause);
            r = store.get(p);
        }
    }

    /// Places a newly appended event. Returns its flow.
    pub fn on_event(&mut self, store: &EventStore, idx: EventIdx) -> FlowId {
        debug_assert_eq!(self.flow_of.len(), idx as usize);
        let key = self.resolve_key(store, idx);
        let fid = self.flow_for_key(key);
        self.flow_of.push(fid);
        self.flows[fid as usize].add(store, idx);
        // Events without a correlation id that waited for this one sit in the flow keyed by its
        // id: place them again now that their cause is known.
        let r = store.get(idx);
        if store.first_with_id(r.id) == Some(idx)
            && let Some(waiting) = self.by_key(r.id)
            && waiting != fid
        {
            self.replace_uncorrelated(store, waiting);
        }
        fid
    }

    fn replace_uncorrelated(&mut self, store: &EventStore, from: FlowId) {
        let from_key = self.flows[from as usize].key;
        let candidates: Vec<EventIdx> = self.flows[from as usize]
            .events
            .iter()
            .copied()
            .filter(|&e| store.get(e).correlation.is_none())
            .collect();
        let mut moved = false;
        for e in candidates {
            let key = self.resolve_key(store, e);
            if key != from_key {
                let to = self.flow_for_key(key);
                self.flow_of[e as usize] = to;
                self.flows[to as usize].add(store, e);
                moved = true;
            }
        }
        if moved {
            let flow_of = &self.flow_of;
            let flow = &mut self.flows[from as usize];
            flow.events.retain(|&e| flow_of[e as usize] == from);
            flow.rebuild(store);
            if flow.events.is_empty() {
                self.live -= 1;
            }
        }
    }

    /// The causation edges inside a flow, parents resolved to the first event with the named id.
    pub fn edges(&self, store: &EventStore, id: FlowId) -> Vec<Edge> {
        let flow = self.get(id);
        flow.events
            .iter()
            .filter_map(|&child| {
                let c = store.get(child);
                let parent = store.first_with_id(c.causation?)?;
                if parent == child || self.flow_of(parent) != id {
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
    /// largest (ties go to the path with more events). Cycles are cut, never followed.
    pub fn critical_path(&self, store: &EventStore, id: FlowId) -> Vec<EventIdx> {
        let edges = self.edges(store, id);
        let mut children: FxHashMap<EventIdx, Vec<EventIdx>> = FxHashMap::default();
        let mut has_parent = FxHashSet::default();
        for e in &edges {
            children.entry(e.parent).or_default().push(e.child);
            has_parent.insert(e.child);
        }
        let time = |e: EventIdx| store.get(e).effective_time().unwrap_or(0);
        let mut best_score = (i64::MIN, 0usize);
        let flow = self.get(id);
        let mut roots: Vec<EventIdx> = flow
            .events
            .iter()
            .copied()
            .filter(|e| !has_parent.contains(e))
            .collect();
        if roots.is_empty() {
            roots.extend(flow.events.first());
        }
        // Iterative DFS from each root. Causation links form a forest (one cause per event), so
        // each node is entered once over all roots and its path is the chain of parents: the best
        // node is kept and its path rebuilt once at the end (linear in the flow's size). Scores are
        // compared in the same post-order as a walk over all paths would, so ties resolve alike.
        let mut visited = FxHashSet::default();
        let mut parent: FxHashMap<EventIdx, EventIdx> = FxHashMap::default();
        let mut best_node = None;
        for root in roots {
            if !visited.insert(root) {
                continue;
            }
            let mut stack = vec![(root, 0usize, 1usize)];
            while let Some(&mut (node, ref mut next, depth)) = stack.last_mut() {
                let kids = children.get(&node).map(|v| v.as_slice()).unwrap_or(&[]);
                if let Some(&k) = kids.get(*next) {
                    *next += 1;
                    if visited.insert(k) {
                        parent.insert(k, node);
                        stack.push((k, 0, depth + 1));
                    }
                    continue;
                }
                let score = (time(node).saturating_sub(time(root)), depth);
                if score > best_score {
                    best_score = score;
                    best_node = Some(node);
                }
                stack.pop();
            }
        }
        let mut best: Vec<EventIdx> =
            std::iter::successors(best_node, |n| parent.get(n).copied()).collect();
        best.reverse();
        best
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::testkit::*;
    use crate::analysis::{Engine, FlowStatus};

    fn flows_of(e: &Engine) -> Vec<(String, Vec<String>)> {
        let mut v: Vec<_> = e
            .flows
            .iter()
            .map(|(_, f)| {
                let mut ids: Vec<_> = f
                    .events
                    .iter()
                    .map(|&i| e.store.id_str(i).to_string())
                    .collect();
                ids.sort();
                (e.store.str(f.key).to_string(), ids)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn uncorrelated_events_join_their_cause_in_any_order() {
        let events = vec![
            ev("x", "A", "s", 0).corr("C"),
            ev("w1", "B", "s", 1).cause("x"),
            ev("w2", "B", "s", 2).cause("w1"),
            ev("lone", "D", "s", 3),
            ev("y", "A", "s", 4).corr("C2").cause("missing"),
        ];
        let expected = vec![
            (
                "C".to_string(),
                vec!["w1".to_string(), "w2".into(), "x".into()],
            ),
            ("C2".to_string(), vec!["y".to_string()]),
            ("lone".to_string(), vec!["lone".to_string()]),
        ];
        assert_eq!(flows_of(&run(events.clone())), expected);
        let mut rev = events.clone();
        rev.reverse();
        assert_eq!(flows_of(&run(rev)), expected);
        let mut mid = events;
        mid.swap(0, 2);
        assert_eq!(flows_of(&run(mid)), expected);
    }

    #[test]
    fn edges_latency_critical_path_placeholders_and_status() {
        let e = run(vec![
            ev("root", "OrderPlaced", "orders", 0).corr("C"),
            ev("a", "PaymentProcessed", "pay", 0)
                .millis(100)
                .corr("C")
                .cause("root"),
            ev("b", "InventoryReserved", "inv", 0)
                .millis(20)
                .corr("C")
                .cause("root"),
            ev("c", "OrderShipped", "ship", 1).corr("C").cause("a"),
            ev("d", "Note", "x", 1).corr("C").cause("ghost"),
        ]);
        let f = e.flows.by_key(e.store.strings.get("C").unwrap()).unwrap();
        let flow = e.flows.get(f);
        assert_eq!(flow.events.len(), 5);
        assert_eq!(flow.duration(), Some(1_000_000_000));
        assert_eq!(flow.services.len(), 5);
        let mut lat: Vec<_> = e
            .flows
            .edges(&e.store, f)
            .iter()
            .map(|x| x.latency.unwrap() / 1_000_000)
            .collect();
        lat.sort();
        assert_eq!(lat, [20, 100, 900]);
        let path: Vec<_> = e
            .flows
            .critical_path(&e.store, f)
            .iter()
            .map(|&i| e.store.id_str(i))
            .collect();
        assert_eq!(path, ["root", "a", "c"]);
        let missing: Vec<_> = e
            .flows
            .missing_causes(&e.store, f)
            .iter()
            .map(|s| e.store.str(*s))
            .collect();
        assert_eq!(missing, ["ghost"]);
        assert_eq!(e.status(f), FlowStatus::Complete);
        assert_eq!(e.correlation_of(flow.events[0]), Some("C"));
    }

    #[test]
    fn members_through_a_correlation_stay_when_a_namesake_arrives() {
        // r1 is both an event id and the correlation id of p1; q1 belongs with p1 (flow r1) in
        // every order, also when r1 (whose own flow is Z) arrives last.
        let events = vec![
            ev("z1", "Z", "s", 0).corr("Z"),
            ev("r1", "R", "s", 1).cause("z1"),
            ev("p1", "P", "s", 2).corr("r1").cause("r1"),
            ev("q1", "Q", "s", 3).cause("p1"),
        ];
        let expected = vec![
            ("Z".to_string(), vec!["r1".to_string(), "z1".into()]),
            ("r1".to_string(), vec!["p1".to_string(), "q1".into()]),
        ];
        assert_eq!(flows_of(&run(events.clone())), expected);
        let mut last = events.clone();
        let r1 = last.remove(1);
        last.push(r1);
        assert_eq!(flows_of(&run(last)), expected);
    }

    #[test]
    fn uncorrelated_cycle_is_keyed_the_same_in_any_order() {
        let a = ev("a", "T", "s", 0).cause("b");
        let b = ev("b", "T", "s", 0).cause("a");
        let want = vec![("a".to_string(), vec!["a".to_string(), "b".into()])];
        assert_eq!(flows_of(&run(vec![a.clone(), b.clone()])), want);
        assert_eq!(flows_of(&run(vec![b, a])), want);
    }

    #[test]
    fn a_duplicate_does_not_keep_a_flow_open() {
        // "Placed" is learned to have follow-ups; a redelivered copy of a Placed that got its
        // follow-up must not make the flow look like it is still waiting.
        let mut events: Vec<_> = (0..6)
            .flat_map(|i| {
                let c = format!("C{i}");
                [
                    ev(&format!("p{i}"), "Placed", "o", i * 60).corr(&c),
                    ev(&format!("k{i}"), "Paid", "p", i * 60 + 1)
                        .corr(&c)
                        .cause(&format!("p{i}")),
                ]
            })
            .collect();
        events.push(ev("p0", "Placed", "o", 0).corr("C0"));
        let e = run(events);
        let f = e.flows.by_key(e.store.strings.get("C0").unwrap()).unwrap();
        assert_eq!(e.flows.get(f).events.len(), 3);
        assert_eq!(e.status(f), FlowStatus::Complete);
    }
}
