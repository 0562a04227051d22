//! The centre: the selected flow's causation graph, or the service map, drawn with `egui_graphs`
//! at positions computed in `graph_data` / `service_map_data` (a no-op layout keeps them).

use super::graph_data::{self, GraphData, NodeKind};
use super::service_map_data::ServiceMapData;
use super::{CenterTab, ViewState, service_color};
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;
use crate::ui::Command;
use egui_graphs::{
    DisplayEdge, DisplayNode, Graph, GraphChange, GraphView, Layout, LayoutState,
    SettingsInteraction, SettingsNavigation, SettingsStyle,
};
use petgraph::EdgeType;
use petgraph::stable_graph::{IndexType, NodeIndex};

/// Keeps the positions the graph was built with.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct FixedState;
impl LayoutState for FixedState {}

#[derive(Debug, Default)]
pub struct FixedLayout;
impl Layout<FixedState> for FixedLayout {
    fn from_state(_s: FixedState) -> impl Layout<FixedState> {
        FixedLayout
    }
    fn next<N, E, Ty, Ix, Dn, De>(&mut self, _g: &mut Graph<N, E, Ty, Ix, Dn, De>, _ui: &egui::Ui)
    where
        N: Clone,
        E: Clone,
        Ty: EdgeType,
        Ix: IndexType,
        Dn: DisplayNode<N, E, Ty, Ix>,
        De: DisplayEdge<N, E, Ty, Ix, Dn>,
    {
    }
    fn state(&self) -> FixedState {
        FixedState
    }
}

type FlowGraph = Graph<usize, ()>;

/// The drawn graph of the selected flow, rebuilt when the flow grows or its anomalies change.
#[derive(Default)]
pub struct GraphCache {
    key: Option<(FlowId, usize, u64, Option<i64>)>,
    pub data: GraphData,
    graph: Option<FlowGraph>,
    /// Node index of each `data` node.
    index: Vec<NodeIndex>,
    selected: Option<usize>,
    /// Frames drawn since another flow was selected: the first few fit the graph to the view,
    /// after that zoom and pan are the user's.
    frames: u32,
}

impl GraphCache {
    fn refresh(&mut self, engine: &Engine, flow: FlowId, cutoff: Option<i64>) {
        let key = (
            flow,
            engine.flows.get(flow).events.len(),
            engine.anomalies.generation,
            cutoff,
        );
        if self.key == Some(key) {
            return;
        }
        if self.key.is_none_or(|k| k.0 != flow) {
            self.frames = 0;
        }
        self.key = Some(key);
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
                node.set_color(if n.anomalies > 0 {
                    egui::Color32::from_rgb(0xe0, 0x4b, 0x4b)
                } else {
                    color
                });
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

    /// Node and edge counts of the drawn graph.
    pub fn counts(&self) -> (usize, usize) {
        self.graph
            .as_ref()
            .map_or((0, 0), |g| (g.node_count(), g.edge_count()))
    }
}

pub fn center_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.selectable_value(&mut view.center, CenterTab::FlowGraph, "Flow graph");
        ui.selectable_value(&mut view.center, CenterTab::ServiceMap, "Service map");
    });
    ui.separator();
    match view.center {
        CenterTab::FlowGraph => flow_graph_ui(ui, engine, view, out),
        CenterTab::ServiceMap => service_map_ui(ui, engine, view),
    }
}

fn flow_graph_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    let Some(flow) = view.selected_flow else {
        ui.centered_and_justified(|ui| {
            ui.label("Select a flow in the table to see its causation graph.")
        });
        return;
    };
    let cutoff = view.cutoff();
    let cache = &mut view.graph;
    cache.refresh(engine, flow, cutoff);
    let (n, e) = cache.counts();
    let f = engine.flows.get(flow);
    ui.label(format!(
        "{}: {} events, {n} nodes, {e} edges{}",
        engine.store.str(f.key),
        cache.data.node_of.len(),
        f.duration()
            .map_or(String::new(), |d| format!(", {}", format_duration(d)))
    ));
    let want = view
        .selected_event
        .and_then(|ev| cache.data.node_of.get(&ev).copied());
    let Some(g) = cache.graph.as_mut() else {
        return;
    };
    if want != cache.selected {
        for (i, idx) in cache.index.iter().enumerate() {
            if let Some(node) = g.node_mut(*idx) {
                node.set_selected(Some(i) == want);
            }
        }
        cache.selected = want;
    }
    let fit = cache.frames < 3;
    cache.frames = cache.frames.saturating_add(1);
    let resp = GraphView::<FixedState, FixedLayout>::new()
        .with_id(Some(format!("flow_graph_{flow}")))
        .with_interactions(
            &SettingsInteraction::new()
                .with_dragging_enabled(false)
                .with_node_clicking_enabled(true)
                .with_node_selection_enabled(true),
        )
        .with_navigations(
            &SettingsNavigation::new()
                .with_fit_to_screen_enabled(fit)
                .with_fit_to_screen_padding(0.15)
                .with_zoom_and_pan_enabled(!fit),
        )
        .with_styles(
            &SettingsStyle::new()
                .with_labels_always(true)
                .with_node_stroke_hook(|selected, _dragged, _color, stroke, _style| {
                    if selected {
                        egui::Stroke::new(3.0, egui::Color32::WHITE)
                    } else {
                        stroke
                    }
                }),
        )
        .show(ui, g);
    for c in &resp.changes {
        if let GraphChange::NodeClicked { node } | GraphChange::NodeSelected { node } = c
            && let Some(i) = g.node(*node).map(|n| *n.payload())
        {
            match cache.data.nodes[i].kind {
                NodeKind::Event(ev) | NodeKind::Group(ev, _) => out.push(Command::SelectEvent(ev)),
                NodeKind::Missing(_) => {}
            }
        }
    }
}

/// The drawn service map, rebuilt at most once a second while data streams in.
#[derive(Default)]
pub struct ServiceMapCache {
    generation: u64,
    built: Option<std::time::Instant>,
    graph: Option<Graph<(), ()>>,
    frames: u32,
}

fn service_map_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState) {
    let data = &view.service_map;
    let cache = &mut view.service_map_graph;
    let stale = cache.generation != data.generation
        && cache.built.is_none_or(|t| t.elapsed().as_secs_f32() > 1.0);
    if stale || cache.graph.is_none() {
        cache.generation = data.generation;
        cache.built = Some(std::time::Instant::now());
        cache.graph = Some(build_service_map(engine, data));
    }
    ui.label(format!(
        "{} services, {} hop kinds over all flows (label: event type, count, p50/p99 hop latency)",
        data.services.len(),
        data.edges.len()
    ));
    if let Some(g) = cache.graph.as_mut() {
        GraphView::<FixedState, FixedLayout>::new()
            .with_id(Some("service_map".into()))
            .with_interactions(&SettingsInteraction::new().with_dragging_enabled(true))
            .with_navigations(
                &SettingsNavigation::new()
                    .with_fit_to_screen_enabled(cache.frames < 3)
                    .with_fit_to_screen_padding(0.2)
                    .with_zoom_and_pan_enabled(cache.frames >= 3),
            )
            .with_styles(&SettingsStyle::new().with_labels_always(true))
            .show(ui, g);
        cache.frames = cache.frames.saturating_add(1);
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
    let pos = |s: &Option<crate::model::Sym>| data.services.iter().position(|x| x == s);
    let mut edges: Vec<_> = data.edges.iter().collect();
    edges.sort_by_key(|(k, _)| (pos(&k.0), pos(&k.1), engine.store.str(k.2)));
    // One edge per service pair and direction, one label line per event type.
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
    for ((a, b), lines) in pairs {
        g.add_edge_with_label(idx[a], idx[b], (), lines.join("\n"));
    }
    g
}
