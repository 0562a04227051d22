//! The Variants tab (the variants table and the selected variant's aggregated graph; a click on a
//! row filters the flows table with `variant:N`) and the Flow diff tab (the selected flow beside
//! its root type's usual variant or a pinned flow, missing / extra / slow edges marked). Their
//! data is `variants_data`, rebuilt only while a tab is shown; the drawn graphs are rebuilt when
//! it changes.

use super::filter::Filter;
use super::graph_panel::{FixedLayout, FixedState};
use super::variants_data::{Mark, TypeGraph, VariantsData};
use super::{CenterTab, ViewState, plain, service_color};
use crate::analysis::variants::diff::Against;
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;
use egui_extras::{Column, TableBuilder};
use egui_graphs::{Graph, GraphView, SettingsInteraction, SettingsNavigation, SettingsStyle};

const ROW_H: f32 = 20.0;
/// Marked edges (missing, extra, slow) are drawn in this colour.
const MARKED: egui::Color32 = egui::Color32::from_rgb(0xe0, 0x4b, 0x4b);

/// The tabs' data and their drawn graphs.
#[derive(Default)]
pub struct VariantsView {
    pub data: VariantsData,
    /// A flow pinned as the other side of the diff (else: the usual variant).
    pub pinned: Option<FlowId>,
    drawn: u64,
    graphs: [Option<Graph<(), ()>>; 3],
    frames: u32,
    compared: Option<(FlowId, Option<FlowId>)>,
}

impl VariantsView {
    /// Called from `ViewState::update`: only the shown tab's data is kept current.
    pub fn update(&mut self, engine: &Engine, center: CenterTab, flow: Option<FlowId>, now: f64) {
        match center {
            CenterTab::Variants => self.data.update(engine, now),
            CenterTab::FlowDiff => {
                let want = flow.map(|f| (f, self.pinned.filter(|&p| p != f)));
                if want != self.compared {
                    self.compared = want;
                    self.data.compare(engine, want);
                } else {
                    self.data.update(engine, now);
                }
            }
            _ => {}
        }
        if self.drawn != self.data.generation {
            self.drawn = self.data.generation;
            self.frames = 0;
            self.graphs[0] = Some(drawn(&self.data.graph));
            let diff = self.data.diff.as_ref();
            self.graphs[1] = diff.map(|d| drawn(&d.2));
            self.graphs[2] = diff.map(|d| drawn(&d.3));
        }
    }
}

/// An egui_graphs graph of a type graph: layers top-down (as the flow graph), marked edges thick
/// and labelled.
fn drawn(t: &TypeGraph) -> Graph<(), ()> {
    let mut g: Graph<(), ()> = Graph::new();
    let idx: Vec<_> = t
        .nodes
        .iter()
        .map(|(name, layer, row)| {
            let pos = egui::pos2(*row as f32 * 240.0, *layer as f32 * 110.0);
            let id = g.add_node_with_label_and_location((), name.clone(), pos);
            let node = g.node_mut(id).expect("just added");
            node.set_color(service_color(name));
            node.display_mut().radius = 14.0;
            id
        })
        .collect();
    for e in &t.edges {
        let label = match e.mark {
            Mark::Plain => e.label.clone(),
            Mark::Missing => format!("MISSING in this flow · {}", e.label),
            Mark::Extra => format!("EXTRA · {}", e.label),
            Mark::Slow => format!("SLOW · {}", e.label),
        };
        let id = g.add_edge_with_label(idx[e.from], idx[e.to], (), label);
        if e.mark != Mark::Plain
            && let Some(edge) = g.edge_mut(id)
        {
            edge.set_selected(true);
        }
    }
    g
}

fn graph_ui(ui: &mut egui::Ui, g: &mut Graph<(), ()>, id: &str, fit: bool) {
    GraphView::<FixedState, FixedLayout>::new()
        .with_id(Some(id.to_string()))
        .with_interactions(&SettingsInteraction::new().with_dragging_enabled(true))
        .with_navigations(
            &SettingsNavigation::new()
                .with_fit_to_screen_enabled(fit)
                .with_fit_to_screen_padding(0.2)
                .with_zoom_and_pan_enabled(!fit),
        )
        .with_styles(
            &SettingsStyle::new()
                .with_labels_always(true)
                .with_edge_stroke_hook(|selected, _order, stroke, _style| {
                    if selected {
                        egui::Stroke::new(4.0, MARKED)
                    } else {
                        stroke
                    }
                }),
        )
        .show(ui, g);
}

fn dur(ns: Option<i64>) -> String {
    ns.map_or("-".into(), format_duration)
}

/// The Variants tab.
pub fn variants_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState) {
    let data = &view.variants.data;
    ui.label(format!(
        "{} variants of {} flows (root type + cause -> effect types; a click filters the flows)",
        data.rows.len(),
        engine.flows.len()
    ));
    let mut clicked = None;
    let height = (ui.available_height() * 0.4).max(120.0);
    ui.allocate_ui(egui::vec2(ui.available_width(), height), |ui| {
        TableBuilder::new(ui)
            .id_salt("variants_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .columns(Column::auto().at_least(40.0).clip(true), 7)
            .column(Column::remainder().at_least(40.0))
            .max_scroll_height(height)
            .header(ROW_H, |mut header| {
                for name in ["#", "Root type", "Edges", "Flows", "Share", "p50", "p99"] {
                    header.col(|ui| {
                        ui.strong(name);
                    });
                }
                header.col(|ui| {
                    ui.strong("Anomalous");
                });
            })
            .body(|body| {
                body.rows(ROW_H, data.rows.len(), |mut row| {
                    let r = &data.rows[row.index()];
                    row.set_selected(data.selected == Some(r.id));
                    let cells = [
                        format!("{}", r.number),
                        r.root.clone(),
                        r.edges.to_string(),
                        r.flows.to_string(),
                        format!("{:.1}%", 100.0 * r.share),
                        dur(r.p50),
                        dur(r.p99),
                        r.anomalous.to_string(),
                    ];
                    for c in cells {
                        row.col(|ui| {
                            plain(ui, c);
                        });
                    }
                    if row.response().clicked() {
                        clicked = Some((r.id, r.number));
                    }
                });
            });
    });
    if let Some((v, number)) = clicked {
        view.variants.data.select(engine, v);
        view.filter_text = format!("variant:{number}");
        view.filter_error = None;
        view.flows
            .set_filter(Filter::parse(&view.filter_text).expect("a variant term parses"));
    }
    ui.separator();
    let fit = view.variants.frames < 3;
    view.variants.frames = view.variants.frames.saturating_add(1);
    match view.variants.graphs[0].as_mut() {
        Some(g) if g.node_count() > 0 => graph_ui(ui, g, "variant_graph", fit),
        _ => {
            ui.label("No variants yet (they are numbered at the end of loading or live ticks).");
        }
    }
}

/// The Flow diff tab.
pub fn diff_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState) {
    let Some(flow) = view.selected_flow else {
        ui.label("Select a flow in the table to compare it with its usual variant.");
        return;
    };
    let vv = &mut view.variants;
    ui.horizontal(|ui| match vv.pinned {
        Some(p) if p != flow => {
            ui.label(format!(
                "against the pinned flow {}",
                engine.store.str(engine.flows.get(p).key)
            ));
            if ui.button("Compare with the usual variant").clicked() {
                vv.pinned = None;
            }
        }
        _ => {
            ui.label("against its root type's usual variant");
            if ui.button("Pin this flow as the other side").clicked() {
                vv.pinned = Some(flow);
            }
        }
    });
    let Some(((_, against), text, _, _)) = &vv.data.diff else {
        ui.label("This flow has no variant yet.");
        return;
    };
    for line in text.lines() {
        ui.monospace(line);
    }
    let right_title = match *against {
        Against::Flow(g) => format!("flow {}", engine.store.str(engine.flows.get(g).key)),
        Against::Variant(v) => format!("variant {}", engine.variants.get(v).number),
    };
    let fit = vv.frames < 3;
    vv.frames = vv.frames.saturating_add(1);
    ui.columns(2, |cols| {
        cols[0].strong("this flow");
        if let Some(g) = vv.graphs[1].as_mut() {
            graph_ui(&mut cols[0], g, "diff_left", fit);
        }
        cols[1].strong(right_title);
        if let Some(g) = vv.graphs[2].as_mut() {
            graph_ui(&mut cols[1], g, "diff_right", fit);
        }
    });
}
