//! The `egui_graphs` graphs the centre draws, built in `logic()` from `graph_data` /
//! `service_map_data`: the selected flow's graph when that flow (or the replay cursor, or the
//! selection) changed, the service map at most once a second while data streams in.

use super::graph_data::{self, GraphData, NodeKind};
use super::service_color;
use super::service_map_data::ServiceMapData;
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;
use crate::store::EventIdx;
use egui_graphs::Graph;
use petgraph::stable_graph::NodeIndex;

pub type FlowGraph = Graph<usize, ()>;

const ANOMALY_RED: egui::Color32 = egui::Color32::from_rgb(0xe0, 0x4b, 0x4b);

/// What the flow graph was built from: flow, its revision, its event count, replay cutoff.
type GraphKey = (FlowId, u64, usize, Option<i64>);

/// The drawn graph of the selected flow.
#[derive(Default)]
pub struct GraphCache {
    key: Option<GraphKey>,
    pub data: GraphData,
    pub graph: Option<FlowGraph>,
    /// Node index of each `data` node.
    index: Vec<NodeIndex>,
    selected: Option<usize>,
    /// Frames drawn since another flow was selected: the first few fit the graph to the view,
    /// after that zoom and pan are the user's.
    pub frames: u32,
    /// How many times a graph was built (tests check what does and does not rebuild).
    pub builds: u64,
}

impl GraphCache {
    /// Rebuilds when the selected flow changed (`revision` comes from [`super::changes`]), and
    /// marks the selected event's node.
    pub fn update(
        &mut self,
        engine: &Engine,
        flow: Option<(FlowId, u64)>,
        selected_event: Option<EventIdx>,
        cutoff: Option<i64>,
    ) {
        let Some((flow, revision)) = flow else {
            return;
        };
        let key = (flow, revision, engine.flows.get(flow).events.len(), cutoff);
        if self.key != Some(key) {
            if self.key.is_none_or(|k| k.0 != flow) {
                self.frames = 0;
            }
            self.key = Some(key);
            self.build(engine, flow, cutoff);
        }
        self.select(selected_event.and_then(|e| self.data.node_of.get(&e).copied()));
    }

    fn build(&mut self, engine: &Engine, flow: FlowId, cutoff: Option<i64>) {
        self.builds += 1;
        self.data = graph_data::build(engine, flow, cutoff);
        let mut g = FlowGraph::new();
        self.index = self
            .data
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let idx = g.add_node_with_label_and_location(
                    i,
                    n.label.clone(),
                    egui::pos2(n.pos.0, n.pos.1),
                );
                let node = g.node_mut(idx).expect("just added");
                let color = match &n.kind {
                    NodeKind::Missing(_) => egui::Color32::DARK_GRAY,
                    _ => n
                        .service
                        .map_or(egui::Color32::GRAY, |s| service_color(engine.store.str(s))),
                };
                node.set_color(if n.anomalies > 0 { ANOMALY_RED } else { color });
                node.display_mut().radius = 9.0;
                idx
            })
            .collect();
        let time_of = |n: usize| match self.data.nodes[n].kind {
            NodeKind::Event(e) | NodeKind::Group(e, _) => engine.store.get(e).time(),
            NodeKind::Missing(_) => None,
        };
        for &(p, c) in &self.data.edges {
            let label = match (time_of(p), time_of(c)) {
                (Some(a), Some(b)) => format!(
                    "{}{}",
                    if b >= a { "+" } else { "" },
                    format_duration(b - a)
                ),
                _ => String::new(),
            };
            g.add_edge_with_label(self.index[p], self.index[c], (), label);
        }
        self.graph = Some(g);
        self.selected = None;
    }

    fn select(&mut self, want: Option<usize>) {
        let Some(g) = self.graph.as_mut() else {
            return;
        };
        if want == self.selected {
            return;
        }
        for (i, idx) in self.index.iter().enumerate() {
            if let Some(node) = g.node_mut(*idx) {
                node.set_selected(Some(i) == want);
            }
        }
        self.selected = want;
    }

    /// The flow the graph shows.
    pub fn flow(&self) -> Option<FlowId> {
        self.key.map(|k| k.0)
    }

    /// Node and edge counts of the drawn graph.
    pub fn counts(&self) -> (usize, usize) {
        self.graph
            .as_ref()
            .map_or((0, 0), |g| (g.node_count(), g.edge_count()))
    }
}

/// Seconds between service map rebuilds while data streams in.
const SERVICE_MAP_EVERY: f64 = 1.0;

/// The drawn service map.
#[derive(Default)]
pub struct ServiceMapCache {
    generation: u64,
    built: Option<f64>,
    pub graph: Option<Graph<(), ()>>,
    pub frames: u32,
}

impl ServiceMapCache {
    /// Rebuilds when the map changed, at most every [`SERVICE_MAP_EVERY`] seconds of `now`
    /// (egui's input time).
    pub fn update(&mut self, engine: &Engine, data: &ServiceMapData, now: f64) {
        let stale = self.generation != data.generation
            && self.built.is_none_or(|t| now - t > SERVICE_MAP_EVERY);
        if stale || self.graph.is_none() {
            self.generation = data.generation;
            self.built = Some(now);
            self.graph = Some(build_service_map(engine, data));
        }
    }
}

fn build_service_map(engine: &Engine, data: &ServiceMapData) -> Graph<(), ()> {
    let mut g: Graph<(), ()> = Graph::new();
    let n = data.services.len().max(1) as f32;
    let radius = 200.0 * n;
    let idx: Vec<NodeIndex> = data
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let a = i as f32 / n * std::f32::consts::TAU;
            let name = engine
                .store
                .opt_str(*s)
                .unwrap_or("(no source)")
                .to_string();
            let id = g.add_node_with_label_and_location(
                (),
                name.clone(),
                egui::pos2(radius * a.cos(), radius * a.sin()),
            );
            let node = g.node_mut(id).expect("just added");
            node.set_color(service_color(&name));
            node.display_mut().radius = 30.0;
            id
        })
        .collect();
    for ((a, b), lines) in service_map_edges(engine, data) {
        g.add_edge_with_label(idx[a], idx[b], (), lines.join("\n"));
    }
    g
}

/// One edge per service pair and direction (indexes into `data.services`), one label line per
/// event type.
fn service_map_edges(engine: &Engine, data: &ServiceMapData) -> Vec<((usize, usize), Vec<String>)> {
    let pos = |s: &Option<crate::model::Sym>| data.services.iter().position(|x| x == s);
    let mut edges: Vec<_> = data.edges.iter().collect();
    edges.sort_by_key(|(k, _)| (pos(&k.0), pos(&k.1), engine.store.str(k.2)));
    let mut pairs: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for ((from, to, ty), st) in edges {
        let (Some(a), Some(b)) = (pos(from), pos(to)) else {
            continue;
        };
        let (p50, p99) = ServiceMapData::percentiles(st);
        let line = format!(
            "{} ×{} · p50 {} · p99 {}",
            engine.store.str(*ty),
            st.count,
            format_duration(p50),
            format_duration(p99)
        );
        match pairs.iter_mut().find(|(k, _)| *k == (a, b)) {
            Some((_, lines)) => lines.push(line),
            None => pairs.push(((a, b), vec![line])),
        }
    }
    pairs
}
