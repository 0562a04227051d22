//! A flow's causation graph as drawn: nodes laid out top-down by causation depth (a tidy tree:
//! leaves side by side, a parent centred over its children, so nodes of one layer never share a
//! column and edges only join adjacent layers). Plain data, tested without pixels.
//!
//! Level of detail: more than [`GROUP_OVER`] siblings of one type under one node collapse into a
//! counted group (the first few stay, but in a summary). A flow of more than [`DETAIL_MAX`] events is summarised as
//! well: a path of only children longer than [`CHAIN_OVER`] becomes its two first and two last
//! events around a counted segment, more than [`MAX_BUCKETS`] sibling types fold into one group,
//! and once [`SUMMARY_NODES`] nodes are placed (or a layer holds [`LAYER_MAX`]) what lies below a
//! node is one "N below" node. Clicking a summary node expands it ([`GraphData::build`]'s
//! `expanded`). Everything is one pass over the flow's tree: linear in its events.

use super::graph_tree::{FlowTree, Item, NONE};
use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, format_duration};
use crate::store::EventIdx;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

/// Siblings of one type beyond this many collapse into a group node (the first few stay).
pub const GROUP_OVER: usize = 20;
const GROUP_KEEP: usize = 3;
/// Flows with more events than this are summarised.
pub const DETAIL_MAX: usize = 300;
pub const CHAIN_OVER: u32 = 6;
pub const MAX_BUCKETS: usize = 8;
pub const SUMMARY_NODES: usize = 120;
pub const LAYER_MAX: usize = 14;
/// Members an expanded group or segment shows per click.
pub const EXPAND_STEP: usize = 50;
/// World units between leaf columns and between layers.
pub const COL_SPACING: f32 = 180.0;
pub const ROW_SPACING: f32 = 90.0;
/// Room for the label of the last node of a layer (nothing to its right).
pub const LAST_ROOM: f32 = 1.5 * COL_SPACING;

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Event(EventIdx),
    /// A cause named by an event of the flow but never seen; or the trace (its id) that placed
    /// events whose causation is unknown (trace context only), one root per trace.
    Missing(Sym),
    /// Collapsed siblings: the first event and how many.
    Group(EventIdx, usize),
    /// A collapsed path of only children: its first event and how many.
    Segment(EventIdx, usize),
    /// Everything below a node, not drawn: the first event and how many.
    Below(EventIdx, usize),
}

impl NodeKind {
    /// The event a click selects and the key it expands with.
    pub fn first_event(&self) -> Option<EventIdx> {
        match *self {
            NodeKind::Event(e)
            | NodeKind::Group(e, _)
            | NodeKind::Segment(e, _)
            | NodeKind::Below(e, _) => Some(e),
            NodeKind::Missing(_) => None,
        }
    }

    /// True for nodes that stand for several events and expand on click.
    pub fn expands(&self) -> bool {
        matches!(
            self,
            NodeKind::Group(..) | NodeKind::Segment(..) | NodeKind::Below(..)
        )
    }
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
    /// World distance to the next node of the layer on the right (room for the label).
    pub room: f32,
}

#[derive(Clone, Debug, Default)]
pub struct GraphData {
    pub nodes: Vec<GNode>,
    /// (parent node, child node, hop label)
    pub edges: Vec<(usize, usize, String)>,
    /// Node of each event of the flow (collapsed events map to their summary node).
    pub node_of: FxHashMap<EventIdx, usize>,
    /// Events placed by their trace id alone, whose cause is unknown rather than absent.
    pub causation_unknown: usize,
    /// Events shown (as of the cutoff).
    pub events: usize,
    /// True when the flow is summarised (more than [`DETAIL_MAX`] events).
    pub summarised: bool,
    /// World bounds of the node positions: (min x, min y, max x, max y).
    pub bounds: (f32, f32, f32, f32),
}

/// Builds the graph of `flow`; with a `cutoff`, only of its events up to that time (replay).
pub fn build(engine: &Engine, flow: FlowId, cutoff: Option<i64>) -> GraphData {
    let tree = FlowTree::build(engine, flow, cutoff);
    from_tree(engine, &tree, &FxHashSet::default())
}

/// The drawn graph of `tree`, with the summary nodes whose first event is in `expanded` opened.
pub fn from_tree(engine: &Engine, tree: &FlowTree, expanded: &FxHashSet<EventIdx>) -> GraphData {
    let events = tree.events();
    let mut b = Builder {
        engine,
        tree,
        expanded,
        summary: events > DETAIL_MAX,
        g: GraphData {
            causation_unknown: tree.causation_unknown,
            events,
            summarised: events > DETAIL_MAX,
            ..GraphData::default()
        },
        item_node: vec![NONE; tree.items.len()],
        per_layer: Vec::new(),
        last_event: Vec::new(),
        queue: VecDeque::new(),
    };
    b.kids(None, 0, tree.roots.clone());
    while let Some((node, layer, kids)) = b.queue.pop_front() {
        b.kids(Some(node), layer, kids);
    }
    b.finish();
    let mut g = b.g;
    layout(&mut g);
    g
}

struct Builder<'a> {
    engine: &'a Engine,
    tree: &'a FlowTree,
    expanded: &'a FxHashSet<EventIdx>,
    summary: bool,
    g: GraphData,
    /// Node of each tree item placed explicitly (others inherit their parent's).
    item_node: Vec<u32>,
    per_layer: Vec<usize>,
    /// The event a hop out of each node starts at (a segment's last).
    last_event: Vec<Option<EventIdx>>,
    /// (node, its layer, the items below it) still to place, breadth first.
    queue: VecDeque<(usize, usize, Vec<u32>)>,
}

impl Builder<'_> {
    fn ty(&self, i: u32) -> Option<Sym> {
        self.tree
            .event(i)
            .map(|e| self.engine.store.get(e).event_type)
    }

    fn node(
        &mut self,
        parent: Option<usize>,
        kind: NodeKind,
        label: String,
        layer: usize,
    ) -> usize {
        let service = kind
            .first_event()
            .and_then(|e| self.engine.store.get(e).source);
        let hop = match (
            parent.and_then(|p| self.last_time(p)),
            self.first_time(&kind),
        ) {
            (Some(a), Some(b)) => format!(
                "{}{}",
                if b >= a { "+" } else { "" },
                format_duration(b - a)
            ),
            _ => String::new(),
        };
        self.g.nodes.push(GNode {
            kind,
            label,
            service,
            anomalies: 0,
            layer,
            pos: (0.0, 0.0),
            room: LAST_ROOM,
        });
        let n = self.g.nodes.len() - 1;
        self.last_event.push(self.g.nodes[n].kind.first_event());
        if let Some(p) = parent {
            self.g.edges.push((p, n, hop));
        }
        if self.per_layer.len() <= layer {
            self.per_layer.resize(layer + 1, 0);
        }
        self.per_layer[layer] += 1;
        n
    }

    fn first_time(&self, kind: &NodeKind) -> Option<i64> {
        kind.first_event()
            .and_then(|e| self.engine.store.get(e).time())
    }

    /// The time a hop out of node `n` starts at: its (last) event's.
    fn last_time(&self, n: usize) -> Option<i64> {
        self.last_event[n].and_then(|e| self.engine.store.get(e).time())
    }

    fn assign(&mut self, items: &[u32], node: usize) {
        for &i in items {
            self.item_node[i as usize] = node as u32;
        }
    }

    /// Places the items below `parent` (at `layer`): by type, grouped, or as one "below" node.
    fn kids(&mut self, parent: Option<usize>, layer: usize, kids: Vec<u32>) {
        if kids.is_empty() {
            return;
        }
        let full = self.g.nodes.len() >= SUMMARY_NODES
            || self.per_layer.get(layer).copied().unwrap_or(0) >= LAYER_MAX;
        let first = kids.iter().find_map(|&i| self.tree.event(i));
        if self.summary
            && full
            && let Some(e) = first
            && !self.expanded.contains(&e)
        {
            let count: u32 = kids.iter().map(|&i| self.tree.size[i as usize]).sum();
            let n = self.node(
                parent,
                NodeKind::Below(e, count as usize),
                format!("▸ {count} events below"),
                layer,
            );
            self.assign(&kids, n);
            return;
        }
        let mut buckets: Vec<(Option<Sym>, Vec<u32>)> = Vec::new();
        let mut bucket_of: FxHashMap<Sym, usize> = FxHashMap::default();
        for i in kids {
            match self.ty(i) {
                Some(t) => {
                    let b = *bucket_of.entry(t).or_insert_with(|| {
                        buckets.push((Some(t), Vec::new()));
                        buckets.len() - 1
                    });
                    buckets[b].1.push(i);
                }
                None => buckets.push((None, vec![i])),
            }
        }
        if self.summary && buckets.len() > MAX_BUCKETS {
            let rest: Vec<u32> = buckets.drain(MAX_BUCKETS - 1..).flat_map(|b| b.1).collect();
            buckets.push((None, rest));
        }
        for (ty, items) in buckets {
            self.bucket(parent, layer, ty, &items);
        }
    }

    /// Siblings of one type: one node each, or the first few and a group.
    fn bucket(&mut self, parent: Option<usize>, layer: usize, ty: Option<Sym>, items: &[u32]) {
        let s = &self.engine.store;
        let mixed = ty.is_none() && items.iter().any(|&i| self.tree.event(i).is_some());
        // A summary shows the whole group (no examples beside it: wide layers are unreadable).
        let few = if self.summary { 0 } else { GROUP_KEEP };
        let mut keep = if items.len() > GROUP_OVER || mixed {
            few.min(items.len())
        } else {
            items.len()
        };
        if mixed {
            keep = 0;
        }
        let rest_first = items.get(keep).and_then(|&i| self.tree.event(i));
        if rest_first.is_some_and(|e| self.expanded.contains(&e)) {
            keep = (keep + EXPAND_STEP).min(items.len());
        }
        for &i in &items[..keep] {
            self.single(parent, layer, i, true);
        }
        let rest = &items[keep..];
        let Some(e) = rest.iter().find_map(|&i| self.tree.event(i)) else {
            for &i in rest {
                self.single(parent, layer, i, true);
            }
            return;
        };
        let label = match ty {
            Some(t) => format!("{} ×{}", s.str(t), rest.len()),
            None => {
                let types: FxHashSet<Option<Sym>> = rest.iter().map(|&i| self.ty(i)).collect();
                format!("{} events, {} types", rest.len(), types.len())
            }
        };
        let n = self.node(parent, NodeKind::Group(e, rest.len()), label, layer);
        self.assign(rest, n);
        let below: Vec<u32> = rest
            .iter()
            .flat_map(|&i| self.tree.children(i).iter().copied())
            .collect();
        self.queue.push_back((n, layer + 1, below));
    }

    fn single_node(&mut self, parent: Option<usize>, layer: usize, i: u32) -> usize {
        let s = &self.engine.store;
        let (kind, label) = match self.tree.items[i as usize] {
            Item::Event(e) => (NodeKind::Event(e), s.str(s.get(e).event_type).to_string()),
            Item::Missing {
                id,
                trace,
                external,
            } => {
                let what = if trace {
                    format!("trace {} (causation unknown)", short(s.str(id)))
                } else if external {
                    format!("external trigger {}", short(s.str(id)))
                } else {
                    format!("missing {}", short(s.str(id)))
                };
                (NodeKind::Missing(id), what)
            }
        };
        let n = self.node(parent, kind, label, layer);
        self.assign(&[i], n);
        n
    }

    /// One item; in a summary, a long path of only children below it becomes a segment.
    fn single(&mut self, parent: Option<usize>, layer: usize, i: u32, compress: bool) {
        let n = self.single_node(parent, layer, i);
        let run = self.tree.run[i as usize];
        if !(compress && self.summary && run > CHAIN_OVER) {
            self.queue
                .push_back((n, layer + 1, self.tree.children(i).to_vec()));
            return;
        }
        let only = |x: u32| self.tree.children(x)[0];
        let x1 = only(i);
        let n1 = self.single_node(Some(n), layer + 1, x1);
        let mut it = only(x1);
        let count = (run - 3) as usize;
        let first = self.tree.event(it);
        if first.is_some_and(|e| self.expanded.contains(&e)) {
            let mut prev = n1;
            for k in 0..EXPAND_STEP.min(count) {
                prev = self.single_node(Some(prev), layer + 2 + k, it);
                it = only(it);
            }
            self.single(Some(prev), layer + 2 + EXPAND_STEP.min(count), it, true);
            return;
        }
        let mut members = Vec::with_capacity(count);
        let mut types: FxHashMap<Option<Sym>, usize> = FxHashMap::default();
        for _ in 0..count {
            members.push(it);
            *types.entry(self.ty(it)).or_default() += 1;
            it = only(it);
        }
        let label = match types.len() {
            1 => match self.ty(members[0]) {
                Some(t) => format!("… {} ×{count}", self.engine.store.str(t)),
                None => format!("… {count} events"),
            },
            k => format!("… {count} events, {k} types"),
        };
        let Some(e) = first else {
            return;
        };
        let seg = self.node(Some(n1), NodeKind::Segment(e, count), label, layer + 2);
        self.assign(&members, seg);
        self.last_event[seg] = members.last().and_then(|&m| self.tree.event(m));
        self.single(Some(seg), layer + 3, it, false);
    }

    /// Maps every event to its node (items below a "below" node inherit it) and counts
    /// anomalies per node; marks anomalous nodes.
    fn finish(&mut self) {
        for &i in &self.tree.order {
            let mut n = self.item_node[i as usize];
            if n == NONE {
                let p = self.tree.parent[i as usize];
                n = if p == NONE {
                    NONE
                } else {
                    self.item_node[p as usize]
                };
                self.item_node[i as usize] = n;
            }
            if let (Some(e), true) = (self.tree.event(i), n != NONE) {
                self.g.node_of.insert(e, n as usize);
                let at = self.tree.cutoff;
                self.g.nodes[n as usize].anomalies +=
                    self.engine.anomalies.on_event_at(e, at).count();
            }
        }
        for n in &mut self.g.nodes {
            if n.anomalies > 0 {
                n.label = format!("⚠ {}", n.label);
            }
        }
    }
}

fn short(id: &str) -> &str {
    let mut end = id.len().min(8);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

/// Tidy tree: leaves take consecutive columns in depth-first order, a parent sits midway over
/// its first and last child; then each node's room to the next node of its layer.
fn layout(g: &mut GraphData) {
    let n = g.nodes.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut has_parent = vec![false; n];
    for &(p, c, _) in &g.edges {
        children[p].push(c);
        has_parent[c] = true;
    }
    let mut x = vec![0.0f32; n];
    let mut next_leaf = 0.0f32;
    // Iterative post-order: (node, children visited).
    let mut stack: Vec<(usize, bool)> = (0..n)
        .rev()
        .filter(|&i| !has_parent[i])
        .map(|i| (i, false))
        .collect();
    while let Some((v, done)) = stack.pop() {
        if children[v].is_empty() {
            x[v] = next_leaf;
            next_leaf += 1.0;
        } else if done {
            x[v] = (x[children[v][0]] + x[*children[v].last().expect("non-empty")]) / 2.0;
        } else {
            stack.push((v, true));
            stack.extend(children[v].iter().rev().map(|&c| (c, false)));
        }
    }
    let width = (next_leaf - 1.0).max(0.0) * COL_SPACING;
    let mut by_layer: Vec<Vec<usize>> = Vec::new();
    for (i, node) in g.nodes.iter_mut().enumerate() {
        node.pos = (
            x[i] * COL_SPACING - width / 2.0,
            node.layer as f32 * ROW_SPACING,
        );
        if by_layer.len() <= node.layer {
            by_layer.resize(node.layer + 1, Vec::new());
        }
        by_layer[node.layer].push(i);
    }
    for layer in &mut by_layer {
        layer.sort_by(|a, b| x[*a].total_cmp(&x[*b]));
        for w in layer.windows(2) {
            g.nodes[w[0]].room = (x[w[1]] - x[w[0]]) * COL_SPACING;
        }
    }
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for node in &g.nodes {
        lo = (lo.0.min(node.pos.0), lo.1.min(node.pos.1));
        hi = (hi.0.max(node.pos.0), hi.1.max(node.pos.1));
    }
    g.bounds = if n == 0 {
        (0.0, 0.0, 0.0, 0.0)
    } else {
        (lo.0, lo.1, hi.0, hi.1)
    };
}

#[cfg(test)]
mod tests;
