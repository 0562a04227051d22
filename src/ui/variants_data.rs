//! The Variants tab's data: the variants table (from `analysis::variants::report`), the selected
//! variant's aggregated graph (event types in layers by depth from the root type; an edge per
//! edge type with its hops and p50/p99 hop latency), and the flow diff (the selected flow beside
//! the flow or variant it is compared with, missing / extra / slow edges marked). Rebuilt only
//! while the tab is shown, at most every [`REFRESH`] seconds while data streams in, and at once
//! when the selection changes; never per frame. Tested as text.

use crate::analysis::variants::diff::{Against, FlowDiff, diff, diff_text, hop_p99, usual_variant};
use crate::analysis::variants::{EdgeStats, Pair, VariantId, hop_stats, report};
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;

/// Seconds (egui's input time) between rebuilds while the engine changes.
pub const REFRESH: f64 = 1.0;

#[derive(Clone, Debug, PartialEq)]
pub struct VariantRow {
    pub id: VariantId,
    pub number: u32,
    pub root: String,
    pub edges: usize,
    pub flows: usize,
    pub share: f64,
    pub p50: Option<i64>,
    pub p99: Option<i64>,
    pub anomalous: usize,
}

/// How an edge of a drawn graph is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Plain,
    /// The other side has it, this flow does not (drawn on the other side).
    Missing,
    /// Only this flow has it.
    Extra,
    /// A hop of this flow slower than its type's p99.
    Slow,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub mark: Mark,
}

/// An aggregated graph: event types as nodes at (layer, row), edges labelled.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeGraph {
    pub nodes: Vec<(String, usize, usize)>,
    pub edges: Vec<GraphEdge>,
}

impl TypeGraph {
    /// One line per edge: "A -> B: label [mark]".
    pub fn to_text(&self) -> String {
        self.edges
            .iter()
            .map(|e| {
                let mark = match e.mark {
                    Mark::Plain => String::new(),
                    m => format!(" [{m:?}]").to_lowercase(),
                };
                format!(
                    "{} -> {}: {}{mark}\n",
                    self.nodes[e.from].0, self.nodes[e.to].0, e.label
                )
            })
            .collect()
    }
}

fn dur(ns: Option<i64>) -> String {
    ns.map_or("-".into(), format_duration)
}

/// The graph of `stats` (edge types over some flows) rooted at `root`, marked by `mark`.
pub fn type_graph(
    engine: &Engine,
    root: &str,
    stats: &[EdgeStats],
    mark: impl Fn(&Pair) -> Mark,
) -> TypeGraph {
    let s = &engine.store;
    let name = |p: Option<crate::model::Sym>| p.map_or("?".to_string(), |c| s.str(c).to_string());
    let mut g = TypeGraph::default();
    let node = |g: &mut TypeGraph, n: String| match g.nodes.iter().position(|x| x.0 == n) {
        Some(i) => i,
        None => {
            g.nodes.push((n, usize::MAX, 0));
            g.nodes.len() - 1
        }
    };
    let r = node(&mut g, root.to_string());
    g.nodes[r].1 = 0;
    for st in stats {
        let (a, b) = (
            node(&mut g, name(st.pair.0)),
            node(&mut g, name(Some(st.pair.1))),
        );
        let label = match st.hops {
            0 => "missing here".to_string(),
            n => format!("×{n} · p50 {} · p99 {}", dur(st.p50_ns), dur(st.p99_ns)),
        };
        g.edges.push(GraphEdge {
            from: a,
            to: b,
            label,
            mark: mark(&st.pair),
        });
    }
    // Layers: depth from the root (unknown causes and anything unreachable start at 0); each
    // pass settles at least one more node, so at most one pass per node.
    for _ in 0..g.nodes.len() {
        let mut changed = false;
        for e in &g.edges {
            let d = g.nodes[e.from].1;
            if d != usize::MAX && g.nodes[e.to].1 > d + 1 && e.from != e.to {
                g.nodes[e.to].1 = d + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut rows = Vec::<usize>::new();
    for n in &mut g.nodes {
        if n.1 == usize::MAX {
            n.1 = 0;
        }
        if rows.len() <= n.1 {
            rows.resize(n.1 + 1, 0);
        }
        n.2 = rows[n.1];
        rows[n.1] += 1;
    }
    g
}

/// The aggregated graph of variant `v`.
pub fn variant_graph(engine: &Engine, v: VariantId) -> TypeGraph {
    let vs = &engine.variants;
    let var = vs.get(v);
    let edges = vs.edges(&engine.store, v);
    let stats = hop_stats(engine, var.members(), &edges);
    let root = var.root_type.map_or("", |r| engine.store.str(r));
    type_graph(engine, root, &stats, |_| Mark::Plain)
}

/// The diff of `flow` against `against`, and both sides' graphs (this flow, the other side).
pub fn diff_graphs(
    engine: &Engine,
    flow: FlowId,
    against: Against,
) -> (FlowDiff, TypeGraph, TypeGraph) {
    let d = diff(engine, flow, against, &hop_p99(engine));
    let vs = &engine.variants;
    let s = &engine.store;
    let root = |f: FlowId| vs.root_type_of(f).map_or("", |r| s.str(r)).to_string();
    let ours = hop_stats(engine, &[flow], &vs.flow_edges(s, flow));
    let slow: Vec<Pair> = d.slow.iter().map(|h| h.pair).collect();
    let left = type_graph(engine, &root(flow), &ours, |p| {
        if d.extra.contains(p) {
            Mark::Extra
        } else if slow.contains(p) {
            Mark::Slow
        } else {
            Mark::Plain
        }
    });
    let (other_root, members): (String, Vec<FlowId>) = match against {
        Against::Flow(g) => (root(g), vec![g]),
        Against::Variant(v) => (
            vs.get(v).root_type.map_or("", |r| s.str(r)).to_string(),
            vs.get(v).members().to_vec(),
        ),
    };
    let order = match against {
        Against::Flow(g) => vs.flow_edges(s, g),
        Against::Variant(v) => vs.edges(s, v),
    };
    let theirs = hop_stats(engine, &members, &order);
    let right = type_graph(engine, &other_root, &theirs, |p| {
        if d.missing.contains(p) {
            Mark::Missing
        } else {
            Mark::Plain
        }
    });
    (d, left, right)
}

#[derive(Default)]
pub struct VariantsData {
    pub rows: Vec<VariantRow>,
    pub selected: Option<VariantId>,
    pub graph: TypeGraph,
    /// The flow diff: (flow, against) -> (diff text, this flow's graph, the other side's).
    pub diff: Option<((FlowId, Against), String, TypeGraph, TypeGraph)>,
    /// Bumped whenever `graph` or `diff` change (the panel redraws its graphs then).
    pub generation: u64,
    seen: (u64, u64, u64),
    built: Option<f64>,
    want_diff: Option<(FlowId, Option<FlowId>)>,
}

impl VariantsData {
    /// Brings the table, the graph and the diff up to date (see the module docs).
    pub fn update(&mut self, engine: &Engine, now: f64) {
        let state = (
            engine.stats.events,
            engine.anomalies.generation,
            engine.variants.rankings,
        );
        let due = self.built.is_none_or(|t| now - t >= REFRESH);
        if state != self.seen && due {
            self.seen = state;
            self.built = Some(now);
            self.rebuild(engine);
        }
    }

    fn rebuild(&mut self, engine: &Engine) {
        self.rows = report(engine)
            .into_iter()
            .map(|r| VariantRow {
                id: r.id,
                number: r.number,
                root: r.root_type,
                edges: r.edges.len(),
                flows: r.flows,
                share: r.share,
                p50: r.p50_ns,
                p99: r.p99_ns,
                anomalous: r.anomalous_flows,
            })
            .collect();
        if self
            .selected
            .is_none_or(|v| engine.variants.get(v).flows() == 0)
        {
            self.selected = self.rows.first().map(|r| r.id);
        }
        self.graph = self
            .selected
            .map_or_else(TypeGraph::default, |v| variant_graph(engine, v));
        self.diff = self.want_diff.and_then(|(f, other)| {
            let against = match other {
                Some(g) => Against::Flow(g),
                None => Against::Variant(usual_variant(engine, f)?),
            };
            let (d, left, right) = diff_graphs(engine, f, against);
            let text = diff_text(engine, &d);
            Some(((f, against), text, left, right))
        });
        self.generation += 1;
    }

    /// Shows variant `v` (rebuilt at once).
    pub fn select(&mut self, engine: &Engine, v: VariantId) {
        self.selected = Some(v);
        self.rebuild(engine);
    }

    /// Compares `flow` with `other` (or its usual variant), rebuilt at once; `None` hides it.
    pub fn compare(&mut self, engine: &Engine, pair: Option<(FlowId, Option<FlowId>)>) {
        self.want_diff = pair;
        self.rebuild(engine);
    }
}
