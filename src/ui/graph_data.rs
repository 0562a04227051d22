//! A flow's causation graph, laid out top-down by causation depth (layered, not force-directed).
//! Each event has at most one cause, so the graph is a forest and depth is the exact layer. More
//! than [`GROUP_OVER`] siblings of one type under one parent collapse into a counted group node,
//! so flows of thousands of events stay readable. Plain data, tested without pixels.

use crate::analysis::{Engine, FlowId};
use crate::decode::trace_context::causation_unknown;
use crate::model::Sym;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// Siblings of one type beyond this many collapse into a group node (the first few stay).
pub const GROUP_OVER: usize = 20;
const GROUP_KEEP: usize = 3;
pub const COL_SPACING: f32 = 170.0;
pub const ROW_SPACING: f32 = 90.0;

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Event(EventIdx),
    /// A cause named by an event of the flow but never seen; or the trace (its id) that placed
    /// events whose causation is unknown (trace context only), one root per trace.
    Missing(Sym),
    /// Collapsed siblings: the first event and how many.
    Group(EventIdx, usize),
}

#[derive(Clone, Debug)]
pub struct GNode {
    pub kind: NodeKind,
    pub label: String,
    pub service: Option<Sym>,
    /// Active anomalies on the node's event(s).
    pub anomalies: usize,
    pub layer: usize,
    pub pos: (f32, f32),
}

#[derive(Clone, Debug, Default)]
pub struct GraphData {
    pub nodes: Vec<GNode>,
    /// (parent node, child node)
    pub edges: Vec<(usize, usize)>,
    /// Node of each event of the flow (grouped events map to their group).
    pub node_of: FxHashMap<EventIdx, usize>,
    /// Events placed by their trace id alone, whose cause is unknown rather than absent.
    pub causation_unknown: usize,
}

/// Siblings are grouped by (parent node, event type).
type BucketKey = (Option<usize>, Sym);

enum Parent {
    Root,
    Event(EventIdx),
    Missing(Sym),
    /// No cause named, placed by this trace id alone: causation unknown, not absent.
    Trace(Sym),
}

/// The flow being drawn, as of the replay cutoff.
struct Scope<'a> {
    engine: &'a Engine,
    flow: FlowId,
    cutoff: Option<i64>,
}

impl Scope<'_> {
    fn shown(&self, e: EventIdx) -> bool {
        let s = &self.engine.store;
        self.cutoff
            .is_none_or(|c| s.get(e).effective_time().is_none_or(|t| t <= c))
    }

    fn parent_of(&self, e: EventIdx) -> Parent {
        let s = &self.engine.store;
        let r = s.get(e);
        let Some(c) = r.causation else {
            let p = r.provenance;
            return match r.correlation {
                Some(t) if causation_unknown(p.correlation, p.causation) => Parent::Trace(t),
                _ => Parent::Root,
            };
        };
        match s.first_with_id(c) {
            Some(p) if p != e && self.engine.flows.flow_of(p) == self.flow && self.shown(p) => {
                Parent::Event(p)
            }
            Some(_) => Parent::Root,
            None => Parent::Missing(c),
        }
    }

    /// Causation depth of each event (a cycle counts as a root where it closes; an event under a
    /// missing cause is one below it).
    fn depths(&self, events: &[EventIdx]) -> FxHashMap<EventIdx, usize> {
        let mut depth: FxHashMap<EventIdx, usize> = FxHashMap::default();
        for &e in events {
            let mut chain = vec![e];
            let mut base = 0;
            loop {
                let last = *chain.last().expect("non-empty");
                if let Some(&d) = depth.get(&last) {
                    chain.pop();
                    base = d + 1;
                    break;
                }
                match self.parent_of(last) {
                    Parent::Event(p) if !chain.contains(&p) && chain.len() < 10_000 => {
                        chain.push(p)
                    }
                    Parent::Missing(_) | Parent::Trace(_) => {
                        base = 1;
                        break;
                    }
                    _ => break,
                }
            }
            for (i, x) in chain.iter().rev().enumerate() {
                depth.insert(*x, base + i);
            }
        }
        depth
    }
}

/// Builds the graph of `flow`; with a `cutoff`, only of its events up to that time (replay).
pub fn build(engine: &Engine, flow: FlowId, cutoff: Option<i64>) -> GraphData {
    let scope = Scope {
        engine,
        flow,
        cutoff,
    };
    let s = &engine.store;
    let events: Vec<EventIdx> = (engine.flows.get(flow).events.iter().copied())
        .filter(|&e| scope.shown(e))
        .collect();
    let depth = scope.depths(&events);
    let unknown = events
        .iter()
        .filter(|&&e| {
            let p = s.get(e).provenance;
            causation_unknown(p.correlation, p.causation)
        })
        .count();
    let mut order: Vec<EventIdx> = events;
    order.sort_by_key(|&e| (depth[&e], s.get(e).effective_time(), e));
    let mut g = GraphData {
        causation_unknown: unknown,
        ..GraphData::default()
    };
    let mut missing: FxHashMap<Sym, usize> = FxHashMap::default();
    for level in order.chunk_by(|a, b| depth[a] == depth[b]) {
        let d = depth[&level[0]];
        for ((parent, ty), events) in buckets(&scope, &mut g, &mut missing, level) {
            add_bucket(&mut g, engine, parent, ty, d, &events);
        }
    }
    if cutoff.is_some() {
        // Replay: the anomalies active at the cursor, not now.
        g.nodes.iter_mut().for_each(|n| n.anomalies = 0);
        for (&e, &n) in &g.node_of {
            g.nodes[n].anomalies += engine.anomalies.on_event_at(e, cutoff).count();
        }
    }
    for n in &mut g.nodes {
        if n.anomalies > 0 {
            n.label = format!("⚠ {}", n.label);
        }
    }
    layout(&mut g);
    g
}

/// A node standing for an event that is not in the trace (a missing cause, an external trigger,
/// a trace root whose causation is unknown); returns its index.
fn placeholder(g: &mut GraphData, id: Sym, label: String) -> usize {
    g.nodes.push(GNode {
        kind: NodeKind::Missing(id),
        label,
        service: None,
        anomalies: 0,
        layer: 0,
        pos: (0.0, 0.0),
    });
    g.nodes.len() - 1
}

/// The events of one level by (parent node, type), in order; missing causes get their node.
fn buckets(
    scope: &Scope,
    g: &mut GraphData,
    missing: &mut FxHashMap<Sym, usize>,
    level: &[EventIdx],
) -> Vec<(BucketKey, Vec<EventIdx>)> {
    let s = &scope.engine.store;
    let mut buckets: Vec<(BucketKey, Vec<EventIdx>)> = Vec::new();
    let mut bucket_of: FxHashMap<BucketKey, usize> = FxHashMap::default();
    for &e in level {
        let parent_node = match scope.parent_of(e) {
            Parent::Root => None,
            Parent::Event(p) => g.node_of.get(&p).copied(),
            Parent::Missing(c) => Some(*missing.entry(c).or_insert_with(|| {
                // A cause that may never be on Kafka (an Axon command) started the flow from
                // outside; any other cause never seen is missing.
                let what = if s.get(e).provenance.causation.cause_may_be_external() {
                    "external trigger"
                } else {
                    "missing"
                };
                placeholder(g, c, format!("{what} {}", short(s.str(c))))
            })),
            Parent::Trace(t) => Some(*missing.entry(t).or_insert_with(|| {
                placeholder(
                    g,
                    t,
                    format!("trace {} (causation unknown)", short(s.str(t))),
                )
            })),
        };
        let key = (parent_node, s.get(e).event_type);
        let b = *bucket_of.entry(key).or_insert_with(|| {
            buckets.push((key, Vec::new()));
            buckets.len() - 1
        });
        buckets[b].1.push(e);
    }
    buckets
}

/// Siblings of one type under one parent: one node each, or the first few and a group.
fn add_bucket(
    g: &mut GraphData,
    engine: &Engine,
    parent: Option<usize>,
    ty: Sym,
    layer: usize,
    events: &[EventIdx],
) {
    let s = &engine.store;
    let keep = if events.len() > GROUP_OVER {
        GROUP_KEEP
    } else {
        events.len()
    };
    let mut add = |kind: NodeKind, e: EventIdx, label: String, members: &[EventIdx]| {
        let anomalies = members
            .iter()
            .map(|&m| engine.anomalies.on_event(m).count())
            .sum();
        g.nodes.push(GNode {
            kind,
            label,
            service: s.get(e).source,
            anomalies,
            layer,
            pos: (0.0, 0.0),
        });
        let n = g.nodes.len() - 1;
        for &m in members {
            g.node_of.insert(m, n);
        }
        if let Some(p) = parent {
            g.edges.push((p, n));
        }
    };
    for &e in &events[..keep] {
        add(NodeKind::Event(e), e, s.str(ty).to_string(), &[e]);
    }
    if keep < events.len() {
        let rest = &events[keep..];
        let label = format!("{} ×{}", s.str(ty), rest.len());
        add(NodeKind::Group(rest[0], rest.len()), rest[0], label, rest);
    }
}

fn short(id: &str) -> &str {
    let mut end = id.len().min(8);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

/// Orders each layer by its parents' order (children stay under their parents) and centres it.
fn layout(g: &mut GraphData) {
    let layers = g.nodes.iter().map(|n| n.layer + 1).max().unwrap_or(0);
    let mut parent = vec![usize::MAX; g.nodes.len()];
    for &(p, c) in &g.edges {
        parent[c] = p;
    }
    let mut rank = vec![0usize; g.nodes.len()];
    for layer in 0..layers {
        let mut members: Vec<usize> = (0..g.nodes.len())
            .filter(|&n| g.nodes[n].layer == layer)
            .collect();
        members.sort_by_key(|&n| {
            (
                parent
                    .get(n)
                    .filter(|p| **p != usize::MAX)
                    .map(|&p| rank[p]),
                n,
            )
        });
        let width = members.len() as f32 * COL_SPACING;
        for (i, &n) in members.iter().enumerate() {
            rank[n] = i;
            g.nodes[n].pos = (
                i as f32 * COL_SPACING - width / 2.0,
                layer as f32 * ROW_SPACING,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    fn push(e: &mut Engine, id: &str, ty: &str, cause: Option<&str>, t: i64) {
        e.push(
            DecodedEvent {
                id: id.into(),
                event_type: ty.into(),
                correlation_id: Some("c".into()),
                causation_id: cause.map(Into::into),
                time: Some(t),
                ..Default::default()
            },
            0,
        );
    }

    #[test]
    fn layers_by_depth_with_placeholders_and_groups() {
        let mut e = Engine::new(Config::default());
        push(&mut e, "root", "Placed", None, 0);
        push(&mut e, "a", "Paid", Some("root"), 1);
        push(&mut e, "b", "Shipped", Some("a"), 2);
        push(&mut e, "o", "Orphan", Some("ghost"), 3);
        for i in 0..30 {
            push(&mut e, &format!("n{i}"), "Notified", Some("root"), 10 + i);
        }
        let g = build(&e, e.flows.flow_of(0), None);
        assert_eq!(
            build(&e, e.flows.flow_of(0), Some(1)).nodes.len(),
            2,
            "replay: events up to t=1"
        );
        // root, a, b, missing ghost, orphan, 3 kept Notified + 1 group of 27.
        assert_eq!(
            g.nodes.len(),
            9,
            "{:#?}",
            g.nodes.iter().map(|n| &n.label).collect::<Vec<_>>()
        );
        assert_eq!(g.edges.len(), 7);
        let by_label = |l: &str| g.nodes.iter().find(|n| n.label == l).unwrap();
        assert_eq!(by_label("Placed").layer, 0);
        assert_eq!(by_label("Paid").layer, 1);
        assert_eq!(by_label("Shipped").layer, 2);
        assert_eq!(by_label("missing ghost").layer, 0);
        assert_eq!(by_label("Orphan").layer, 1);
        assert!(matches!(
            by_label("Notified ×27").kind,
            NodeKind::Group(_, 27)
        ));
        assert!(by_label("Shipped").pos.1 > by_label("Paid").pos.1);
        assert_eq!(g.node_of.len(), 34);
    }
}
