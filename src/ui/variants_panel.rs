//! The Variants tab (the variants table and the selected variant's aggregated graph; a click on a
//! row filters the flows table with `variant:N`) and the Flow diff tab (the selected flow beside
//! its root type's usual variant or a pinned flow, missing / extra / slow edges marked). Their
//! data is `variants_data`, rebuilt only while a tab is shown; the drawn graphs are rebuilt when
//! it changes.

use super::filter::Filter;
use super::graph_canvas::{self, CanvasView};
use super::variants_data::{Mark, TypeGraph, VariantsData};
use super::{CenterTab, ViewState, plain, service_color};
use crate::analysis::variants::diff::Against;
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;
use egui_extras::{Column, TableBuilder};

const ROW_H: f32 = 20.0;
/// Marked edges (missing, extra, slow) are drawn in this colour.
const MARKED: egui::Color32 = egui::Color32::from_rgb(0xe0, 0x4b, 0x4b);

/// The tabs' data and the views of their three graphs (variant, diff left, diff right).
#[derive(Default)]
pub struct VariantsView {
    pub data: VariantsData,
    /// A flow pinned as the other side of the diff (else: the usual variant).
    pub pinned: Option<FlowId>,
    drawn: u64,
    canvases: [CanvasView; 3],
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
            // New data: fit the graphs again.
            self.drawn = self.data.generation;
            self.canvases = Default::default();
        }
    }
}

/// Below this zoom names and edge labels would overlap: a bigger graph is shown from its top
/// (drag to pan).
const READABLE_ZOOM: f32 = 0.6;

/// Where a type graph's node sits in the world: layers top-down (as the flow graph).
fn node_pos((_, layer, row): &(String, usize, usize)) -> (f32, f32) {
    (*row as f32 * 240.0, *layer as f32 * 120.0)
}

/// Draws a type graph on the painter canvas (`graph_canvas`, which never asks for a frame by
/// itself): nodes of fixed size in screen space with their names beside them, edges with their
/// labels at the middle, marked edges (missing, extra, slow) thick, red and named.
fn graph_ui(ui: &mut egui::Ui, t: &TypeGraph, canvas: &mut CanvasView) {
    const R: f32 = 9.0;
    let pts: Vec<(f32, f32)> = t.nodes.iter().map(node_pos).collect();
    let bounds = pts
        .iter()
        .fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |b, p| {
            (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1))
        });
    let world = graph_canvas::world_rect(bounds, egui::vec2(40.0, 40.0), 160.0);
    let anchor = pts
        .first()
        .map_or(egui::Pos2::ZERO, |p| egui::pos2(p.0, p.1));
    let (resp, tf) = graph_canvas::canvas_ui(ui, canvas, world, anchor, READABLE_ZOOM);
    let painter = ui.painter_at(resp.rect);
    let text = ui.visuals().text_color();
    // Node names sit above-right of their nodes; edge labels take the first spot along their edge
    // that is clear of every node, name and label placed before (as the service map's).
    let names: Vec<_> = (t.nodes.iter().zip(&pts))
        .map(|(n, p)| {
            let c = tf.at(*p);
            let g = graph_canvas::fitted_text(ui, &n.0, 200.0, text);
            let at = g.as_ref().map(|g| c + egui::vec2(R + 4.0, -R - g.size().y));
            (c, g, at)
        })
        .collect();
    let mut taken: Vec<egui::Rect> = Vec::new();
    for (c, g, at) in &names {
        taken.push(egui::Rect::from_center_size(
            *c,
            egui::Vec2::splat(2.0 * R + 4.0),
        ));
        if let (Some(g), Some(at)) = (g, at) {
            taken.push(egui::Rect::from_min_size(*at, g.size()));
        }
    }
    for e in &t.edges {
        let (a, b) = (tf.at(pts[e.from]), tf.at(pts[e.to]));
        let (stroke, label) = match e.mark {
            Mark::Plain => (
                egui::Stroke::new(1.5, ui.visuals().weak_text_color()),
                e.label.clone(),
            ),
            Mark::Missing => (
                egui::Stroke::new(4.0, MARKED),
                format!("MISSING in this flow · {}", e.label),
            ),
            Mark::Extra => (
                egui::Stroke::new(4.0, MARKED),
                format!("EXTRA · {}", e.label),
            ),
            Mark::Slow => (
                egui::Stroke::new(4.0, MARKED),
                format!("SLOW · {}", e.label),
            ),
        };
        painter.line_segment([a, b], stroke);
        let colour = if e.mark == Mark::Plain { text } else { MARKED };
        if let Some(g) = graph_canvas::fitted_text(ui, &label, 220.0, colour) {
            let size = g.size();
            // Right of the edge, else left of it.
            let at = |f: f32, dx: f32| {
                let p = a + (b - a) * f;
                egui::Rect::from_min_size(p + egui::vec2(dx, -size.y / 2.0), size)
            };
            let spots = (graph_canvas::LABEL_SPOTS.iter())
                .flat_map(|&f| [6.0f32, -6.0 - size.x].map(|dx| at(f, dx)));
            let spot = graph_canvas::claim_spot(&mut taken, spots, at(0.5, 6.0));
            painter.galley(spot.min, g, colour);
        }
    }
    for (n, (c, g, at)) in t.nodes.iter().zip(names) {
        painter.circle_filled(c, R, service_color(&n.0));
        if let (Some(g), Some(at)) = (g, at) {
            painter.galley(at, g, text);
        }
    }
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
    let vv = &mut view.variants;
    match &vv.data.graph {
        g if !g.nodes.is_empty() => graph_ui(ui, g, &mut vv.canvases[0]),
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
    let Some((_, _, left, right)) = &vv.data.diff else {
        return;
    };
    let [_, c1, c2] = &mut vv.canvases;
    ui.columns(2, |cols| {
        cols[0].strong("this flow");
        graph_ui(&mut cols[0], left, c1);
        cols[1].strong(right_title);
        graph_ui(&mut cols[1], right, c2);
    });
}
