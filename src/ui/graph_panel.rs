//! The centre: the selected flow's causation graph, or the service map, drawn with `egui_graphs`
//! from the graphs `graph_cache` built in `logic()` at positions computed in `graph_data` /
//! `service_map_data` (a no-op layout keeps them). Nothing is built here.

use super::graph_data::NodeKind;
use super::{CenterTab, ViewState};
use crate::analysis::Engine;
use crate::model::format_duration;
use crate::ui::Command;
use egui_graphs::{
    DisplayEdge, DisplayNode, Graph, GraphChange, GraphView, Layout, LayoutState,
    SettingsInteraction, SettingsNavigation, SettingsStyle,
};
use petgraph::EdgeType;
use petgraph::stable_graph::IndexType;

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

pub fn center_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.selectable_value(&mut view.center, CenterTab::FlowGraph, "Flow graph");
        ui.selectable_value(&mut view.center, CenterTab::ServiceMap, "Service map");
        ui.selectable_value(&mut view.center, CenterTab::Variants, "Variants");
        ui.selectable_value(&mut view.center, CenterTab::FlowDiff, "Flow diff");
    });
    ui.separator();
    match view.center {
        CenterTab::FlowGraph => flow_graph_ui(ui, engine, view, out),
        CenterTab::ServiceMap => service_map_ui(ui, view),
        CenterTab::Variants => super::variants_panel::variants_ui(ui, engine, view),
        CenterTab::FlowDiff => super::variants_panel::diff_ui(ui, engine, view),
    }
}

fn flow_graph_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    let Some(flow) = view.selected_flow else {
        ui.centered_and_justified(|ui| {
            ui.label("Select a flow in the table to see its causation graph.")
        });
        return;
    };
    let cache = &mut view.graph;
    if cache.flow() != Some(flow) {
        return;
    }
    let (n, e) = cache.counts();
    let f = engine.flows.get(flow);
    ui.label(format!(
        "{}: {} events, {n} nodes, {e} edges{}{}",
        engine.store.str(f.key),
        cache.data.node_of.len(),
        f.duration()
            .map_or(String::new(), |d| format!(", {}", format_duration(d))),
        match cache.data.causation_unknown {
            0 => String::new(),
            u => format!(
                "; causation unknown for {u} (trace context only: give the spans with --spans)"
            ),
        }
    ));
    let Some(g) = cache.graph.as_mut() else {
        return;
    };
    if n == 0 {
        // Replay before the flow's first event: nothing to draw (fitting no nodes zooms without
        // bound).
        ui.centered_and_justified(|ui| ui.label("No event of this flow yet at the replay cursor."));
        return;
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

fn service_map_ui(ui: &mut egui::Ui, view: &mut ViewState) {
    let data = &view.service_map;
    let cache = &mut view.service_map_graph;
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
