//! The centre: the selected flow's causation graph, its waterfall, or the service map. The graph
//! and the map are painted on a [`graph_canvas`](super::graph_canvas) from layouts built in
//! `logic()` (`graph_cache`); nothing is built here. Node circles and text keep their size on
//! screen; a label is drawn only in the room to the right of its node (up to the next node of its
//! layer, within its row), so labels never cross nodes or edges (edges run between rows).

use super::graph_canvas::{self, Transform};
use super::graph_data::{COL_SPACING, GraphData, LAST_ROOM, NodeKind, ROW_SPACING};
use super::service_map_data::box_width;
use super::{CenterTab, ViewState, service_color};
use crate::analysis::Engine;
use crate::model::format_duration;
use crate::ui::Command;
use egui::{Color32, Pos2, Rect, Stroke, pos2, vec2};

/// Node radius on screen, whatever the zoom.
pub const NODE_R: f32 = 7.0;
/// The flow graph's fit stops shrinking here (below it rows are too close for labels) and shows
/// the top of the graph instead.
const READABLE_ZOOM: f32 = 0.45;
/// The service map's text scales with the zoom (its layout leaves room for labels at zoom 1); a
/// fit keeps it at least this large (10 px text at the default body size).
const MAP_READABLE_ZOOM: f32 = 0.7;
const ANOMALY_RED: Color32 = Color32::from_rgb(0xe0, 0x4b, 0x4b);

pub fn center_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    let fit = ui.horizontal(|ui| {
        ui.selectable_value(&mut view.center, CenterTab::FlowGraph, "Flow graph");
        ui.selectable_value(&mut view.center, CenterTab::Waterfall, "Waterfall");
        ui.selectable_value(&mut view.center, CenterTab::ServiceMap, "Service map");
        ui.selectable_value(&mut view.center, CenterTab::Variants, "Variants");
        ui.selectable_value(&mut view.center, CenterTab::FlowDiff, "Flow diff");
        ui.separator();
        ui.button("Fit")
            .on_hover_text("Fit the graph to the view (F); it then follows the graph as it grows until you zoom or pan")
            .clicked()
    });
    let fit = fit.inner
        || (!ui.ctx().egui_wants_keyboard_input()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F)));
    if fit {
        view.graph.canvas.auto_fit = true;
        view.service_map_graph.canvas.auto_fit = true;
    }
    ui.separator();
    match view.center {
        CenterTab::FlowGraph => flow_graph_ui(ui, engine, view, out),
        CenterTab::Waterfall => super::waterfall_panel::waterfall_ui(ui, engine, view, out),
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
    let data = &cache.data;
    ui.label(format!(
        "{}: {} events, {n} nodes, {e} edges{}{}{}",
        engine.store.str(f.key),
        data.events,
        f.duration()
            .map_or(String::new(), |d| format!(", {}", format_duration(d))),
        if data.summarised {
            " (summarised: click a counted node to open it)"
        } else {
            ""
        },
        match data.causation_unknown {
            0 => String::new(),
            u => format!(
                "; causation unknown for {u} (trace context only: give the spans with --spans)"
            ),
        }
    ));
    if n == 0 {
        // Replay before the flow's first event: nothing to draw.
        ui.centered_and_justified(|ui| ui.label("No event of this flow yet at the replay cursor."));
        return;
    }
    let world = graph_canvas::world_rect(
        data.bounds,
        vec2(COL_SPACING * 0.3, ROW_SPACING * 0.5),
        LAST_ROOM - COL_SPACING * 0.3,
    );
    let anchor = data
        .nodes
        .first()
        .map_or(Pos2::ZERO, |n| pos2(n.pos.0, n.pos.1));
    let (resp, t) = graph_canvas::canvas_ui(ui, &mut cache.canvas, world, anchor, READABLE_ZOOM);
    let painter = ui.painter_at(resp.rect);
    edges_ui(ui, &painter, data, &t);
    let clicked = nodes_ui(ui, &painter, engine, data, cache.selected, &t);
    if let Some(i) = clicked {
        let kind = &data.nodes[i].kind;
        if let Some(ev) = kind.first_event() {
            if kind.expands() {
                cache.toggle(ev);
                ui.ctx().request_repaint();
            }
            out.push(Command::SelectEvent(ev));
        }
    }
}

/// Edges as elbows: down from the parent to the middle of the gap, across, down into the child;
/// the hop time right of the child's incoming stroke when the gap has room for a line.
fn edges_ui(ui: &egui::Ui, painter: &egui::Painter, data: &GraphData, t: &Transform) {
    let stroke = Stroke::new(1.2, ui.visuals().weak_text_color());
    let clip = painter.clip_rect();
    let line = graph_canvas::line_height(ui);
    let gap = ROW_SPACING * t.zoom;
    let hop_labels = gap / 2.0 - NODE_R - 4.0 >= line;
    for (p, c, hop) in &data.edges {
        let (a, b) = (t.at(data.nodes[*p].pos), t.at(data.nodes[*c].pos));
        let mid = (a.y + b.y) / 2.0;
        if !clip.intersects(Rect::from_two_pos(a, b).expand(2.0)) {
            continue;
        }
        let pts = vec![
            pos2(a.x, a.y + NODE_R),
            pos2(a.x, mid),
            pos2(b.x, mid),
            pos2(b.x, b.y - NODE_R),
        ];
        painter.add(egui::Shape::line(pts, stroke));
        if hop_labels && !hop.is_empty() {
            let room = data.nodes[*c].room * t.zoom - NODE_R - 10.0;
            if let Some(g) =
                graph_canvas::fitted_text(ui, hop, room, ui.visuals().weak_text_color())
            {
                painter.galley(pos2(b.x + 4.0, mid + 3.0), g, Color32::PLACEHOLDER);
            }
        }
    }
}

/// Nodes with their labels; returns the node clicked.
fn nodes_ui(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    engine: &Engine,
    data: &GraphData,
    selected: Option<usize>,
    t: &Transform,
) -> Option<usize> {
    let clip = painter.clip_rect();
    let line = graph_canvas::line_height(ui);
    let labels = ROW_SPACING * t.zoom >= 2.0 * line + 4.0;
    let text = ui.visuals().strong_text_color();
    let mut clicked = None;
    for (i, n) in data.nodes.iter().enumerate() {
        let p = t.at(n.pos);
        let room = n.room * t.zoom - 2.0 * NODE_R - 10.0;
        let galley = labels
            .then(|| graph_canvas::fitted_text(ui, &n.label, room, text))
            .flatten();
        let mut hit = Rect::from_center_size(p, vec2(2.0 * NODE_R + 4.0, 2.0 * NODE_R + 4.0));
        if let Some(g) = &galley {
            hit = hit.union(Rect::from_min_size(
                pos2(p.x + NODE_R + 4.0, p.y - g.size().y / 2.0),
                g.size(),
            ));
        }
        if !clip.intersects(hit) {
            continue;
        }
        let color = match n.kind {
            NodeKind::Missing(_) => Color32::DARK_GRAY,
            _ => n
                .service
                .map_or(Color32::GRAY, |s| service_color(engine.store.str(s))),
        };
        let ring = if selected == Some(i) {
            Stroke::new(3.0, ui.visuals().strong_text_color())
        } else if n.anomalies > 0 {
            Stroke::new(2.5, ANOMALY_RED)
        } else {
            Stroke::NONE
        };
        if n.kind.expands() {
            let r = Rect::from_center_size(p, vec2(2.0 * NODE_R, 2.0 * NODE_R));
            painter.rect(r.expand(1.5), 3.0, color, ring, egui::StrokeKind::Outside);
            painter.rect_stroke(
                r.expand(4.0),
                4.0,
                Stroke::new(1.0, color),
                egui::StrokeKind::Outside,
            );
        } else {
            painter.circle(p, NODE_R, color, ring);
        }
        if let Some(g) = galley {
            let at = pos2(p.x + NODE_R + 4.0 + 2.0, p.y - g.size().y / 2.0);
            painter.galley(at, g, text);
        }
        let resp = ui
            .interact(hit, ui.id().with(("graph_node", i)), egui::Sense::click())
            .on_hover_text(node_tip(n));
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, &n.label));
        if resp.clicked() {
            clicked = Some(i);
        }
    }
    clicked
}

fn node_tip(n: &super::graph_data::GNode) -> String {
    let what = match n.kind {
        NodeKind::Group(_, k) => format!(
            "{k} siblings of one type: click to show {} more",
            super::graph_data::EXPAND_STEP.min(k)
        ),
        NodeKind::Segment(_, k) => format!(
            "{k} events in a row, each the only child of the one before: click to show {} more",
            super::graph_data::EXPAND_STEP.min(k)
        ),
        NodeKind::Below(_, k) => format!("{k} events below (not drawn): click to open one level"),
        NodeKind::Missing(_) => "not in the trace".into(),
        NodeKind::Event(_) => String::new(),
    };
    if what.is_empty() {
        n.label.clone()
    } else {
        format!("{}\n{what}", n.label)
    }
}

/// Height of a service's box at zoom 1.
const SERVICE_BOX_H: f32 = 26.0;

fn service_map_ui(ui: &mut egui::Ui, view: &mut ViewState) {
    let data = &view.service_map;
    let cache = &mut view.service_map_graph;
    ui.label(format!(
        "{} services, {} hop kinds over all flows (edge label: event type, count, p50/p99 hop latency)",
        data.services.len(),
        data.edges.len()
    ));
    let Some(layout) = &cache.layout else {
        return;
    };
    let pad = vec2(box_width("(no source)"), SERVICE_BOX_H * 2.0);
    let world = graph_canvas::world_rect(layout.bounds, pad, 0.0);
    let first = layout
        .nodes
        .first()
        .map_or(Pos2::ZERO, |n| pos2(n.pos.0, n.pos.1));
    let (resp, t) = graph_canvas::canvas_ui(ui, &mut cache.canvas, world, first, MAP_READABLE_ZOOM);
    let painter = ui.painter_at(resp.rect);
    let body = egui::TextStyle::Body.resolve(ui.style());
    let font = egui::FontId::new((body.size * t.zoom).max(4.0), body.family);
    let text = ui.visuals().strong_text_color();
    // Service boxes first (their rectangles are where no edge label may go).
    let boxes: Vec<Rect> = (layout.nodes.iter())
        .map(|n| {
            let g = painter.layout_no_wrap(n.name.clone(), font.clone(), Color32::WHITE);
            let size = vec2(g.size().x + 20.0 * t.zoom, SERVICE_BOX_H * t.zoom);
            Rect::from_center_size(t.at(n.pos), size)
        })
        .collect();
    let mut taken: Vec<Rect> = boxes.clone();
    let stroke = Stroke::new(1.5, ui.visuals().weak_text_color());
    for e in &layout.edges {
        let (pts, mid) = edge_curve(boxes[e.from], boxes[e.to], e.from > e.to, t.zoom);
        let curve = egui::epaint::QuadraticBezierShape::from_points_stroke(
            pts,
            false,
            Color32::TRANSPARENT,
            stroke,
        );
        painter.add(curve);
        arrow_head(&painter, pts[1], pts[2], stroke, t.zoom);
        let g = painter.layout_no_wrap(e.lines.join("\n"), font.clone(), text);
        let size = g.size() + vec2(8.0, 4.0) * t.zoom;
        // The first spot along the curve that is free of boxes and other labels: above the
        // curve for a hop to a later column, below it for one back (a pair's two directions
        // never share a spot).
        let side = if e.from > e.to { 0.5 } else { -0.5 };
        // Further off the curve when every spot beside it is taken.
        let spots = [1.0f32, 3.0, -1.0, -3.0]
            .iter()
            .flat_map(|&k| graph_canvas::LABEL_SPOTS.map(|s| (k, s)))
            .map(|(k, s)| {
                Rect::from_center_size(bezier(pts, s) + vec2(0.0, k * side * size.y), size)
            });
        let spot = graph_canvas::claim_spot(&mut taken, spots, Rect::from_center_size(mid, size));
        painter.rect_filled(spot, 3.0, ui.visuals().extreme_bg_color);
        painter.galley(spot.min + vec2(4.0, 2.0) * t.zoom, g, text);
    }
    for (n, r) in layout.nodes.iter().zip(&boxes) {
        painter.rect_filled(*r, 5.0 * t.zoom, service_color(&n.name));
        painter.text(
            r.center(),
            egui::Align2::CENTER_CENTER,
            &n.name,
            font.clone(),
            Color32::BLACK,
        );
        let resp = ui.interact(*r, ui.id().with(("service", &n.name)), egui::Sense::hover());
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Label, true, &n.name));
    }
}

/// A curve from box `a` to box `b` (bent to one side so the two directions of a pair do not
/// overlap; bent more for a service calling itself) and its midpoint.
fn edge_curve(a: Rect, b: Rect, back: bool, zoom: f32) -> ([Pos2; 3], Pos2) {
    if a == b {
        let s = pos2(a.right(), a.center().y);
        let c = s + vec2(60.0, -60.0) * zoom;
        let e = pos2(a.center().x, a.top());
        return ([s, c, e], bezier([s, c, e], 0.5));
    }
    let (ca, cb) = (a.center(), b.center());
    let s = border_point(a, cb);
    let e = border_point(b, ca);
    let d = e - s;
    let normal = vec2(-d.y, d.x).normalized() * if back { -1.0 } else { 1.0 };
    let c = s + d / 2.0 + normal * (d.length() * 0.12).clamp(18.0 * zoom, 90.0 * zoom);
    ([s, c, e], bezier([s, c, e], 0.5))
}

/// Where the line from `r`'s centre to `to` leaves `r`.
fn border_point(r: Rect, to: Pos2) -> Pos2 {
    let c = r.center();
    let d = to - c;
    let sx = if d.x == 0.0 {
        f32::INFINITY
    } else {
        r.width() / 2.0 / d.x.abs()
    };
    let sy = if d.y == 0.0 {
        f32::INFINITY
    } else {
        r.height() / 2.0 / d.y.abs()
    };
    c + d * sx.min(sy).min(1.0)
}

fn bezier(p: [Pos2; 3], s: f32) -> Pos2 {
    let u = 1.0 - s;
    (p[0].to_vec2() * u * u + p[1].to_vec2() * 2.0 * u * s + p[2].to_vec2() * s * s).to_pos2()
}

fn arrow_head(painter: &egui::Painter, from: Pos2, tip: Pos2, stroke: Stroke, zoom: f32) {
    let dir = (tip - from).normalized() * 9.0 * zoom.clamp(0.5, 1.5);
    let side = vec2(-dir.y, dir.x) * 0.5;
    painter.add(egui::Shape::convex_polygon(
        vec![tip, tip - dir + side, tip - dir - side],
        stroke.color,
        Stroke::NONE,
    ));
}
