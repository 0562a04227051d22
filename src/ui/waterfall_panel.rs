//! The Waterfall tab: the selected flow's events in time, one row each (built in
//! `waterfall_data`), only the visible rows drawn (`ScrollArea::show_rows`), so a flow of 100,000
//! events scrolls like one of ten. Left: the event type indented by causation depth; right: a
//! time axis over the flow's span with a mark at the event's time and a bar to its last effect.

use super::ViewState;
use super::waterfall_data::{RowKind, WaterfallData, WaterfallRow};
use crate::analysis::Engine;
use crate::model::format_duration;
use crate::ui::{Command, sym_color};
use egui::{Color32, Rect, Stroke, pos2, vec2};

const ROW_H: f32 = 20.0;
/// Indent per causation level, and the deepest level indented (deeper rows say their depth).
const INDENT: f32 = 12.0;
const MAX_INDENT: u32 = 24;

pub fn waterfall_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    let Some(flow) = view.selected_flow else {
        ui.centered_and_justified(|ui| {
            ui.label("Select a flow in the table to see its events in time.")
        });
        return;
    };
    if view.graph.flow() != Some(flow) {
        return;
    }
    let w = &view.graph.waterfall;
    ui.label(format!(
        "{} events over {}, causation depth up to {}",
        w.row_of.len(),
        format_duration(w.span),
        w.max_depth
    ));
    let label_w = (ui.available_width() * 0.38).clamp(160.0, 420.0);
    axis_ui(ui, w, label_w);
    // Scroll to the selected event when the selection changed elsewhere (graph, inspector).
    let sel_row = view.selected_event.and_then(|e| w.row_of.get(&e).copied());
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if view.selected_event != view.waterfall_scrolled {
        view.waterfall_scrolled = view.selected_event;
        if let Some(r) = sel_row {
            area = area.vertical_scroll_offset((r as f32 * ROW_H - 3.0 * ROW_H).max(0.0));
        }
    }
    area.show_rows(ui, ROW_H, w.rows.len(), |ui, range| {
        for r in range {
            if let Some(ev) = row_ui(ui, engine, w, r, label_w, sel_row == Some(r)) {
                out.push(Command::SelectEvent(ev));
            }
        }
    });
}

/// Tick labels over the time column.
fn axis_ui(ui: &mut egui::Ui, w: &WaterfallData, label_w: f32) {
    let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), ROW_H), egui::Sense::hover());
    let bars = Rect::from_min_max(pos2(rect.left() + label_w, rect.top()), rect.max);
    let painter = ui.painter_at(rect);
    let color = ui.visuals().weak_text_color();
    for k in 0..=4 {
        let x = bars.left() + bars.width() * k as f32 / 4.0 - if k == 4 { 40.0 } else { 0.0 };
        let t = w.span / 4 * k;
        painter.text(
            pos2(x, rect.center().y),
            egui::Align2::LEFT_CENTER,
            format!("+{}", format_duration(t)),
            egui::TextStyle::Small.resolve(ui.style()),
            color,
        );
    }
}

/// One row; returns its event when clicked.
fn row_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    w: &WaterfallData,
    r: usize,
    label_w: f32,
    selected: bool,
) -> Option<crate::store::EventIdx> {
    let row = w.rows[r];
    let s = &engine.store;
    let (rect, resp) =
        ui.allocate_exact_size(vec2(ui.available_width(), ROW_H), egui::Sense::click());
    let painter = ui.painter_at(rect);
    if selected {
        painter.rect_filled(rect, 0.0, ui.visuals().selection.bg_fill);
    } else if resp.hovered() {
        painter.rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
    }
    let (name, service, anomalous) = match row.kind {
        RowKind::Event(e) => {
            let rec = s.get(e);
            let src = s.opt_str(rec.source).unwrap_or("");
            (
                format!("{} · {src}", s.str(rec.event_type)),
                rec.source,
                engine.anomalies.on_event(e).next().is_some(),
            )
        }
        RowKind::Missing(id) => (format!("not in the trace: {}", s.str(id)), None, false),
    };
    // At most half the label column, so deep rows keep room for their name.
    let indent = (row.depth.min(MAX_INDENT) as f32 * INDENT).min(label_w / 2.0);
    let text = if row.depth > MAX_INDENT {
        format!("»{} {name}", row.depth)
    } else {
        name
    };
    let text = if anomalous {
        format!("⚠ {text}")
    } else {
        text
    };
    let color = if anomalous {
        Color32::from_rgb(0xe0, 0x4b, 0x4b)
    } else {
        ui.visuals().text_color()
    };
    if let Some(g) = super::graph_canvas::fitted_text(ui, &text, label_w - indent - 8.0, color) {
        painter.galley(
            pos2(
                rect.left() + indent + 4.0,
                rect.center().y - g.size().y / 2.0,
            ),
            g,
            color,
        );
    }
    let bars = Rect::from_min_max(
        pos2(rect.left() + label_w, rect.top() + 4.0),
        pos2(rect.right() - 8.0, rect.bottom() - 4.0),
    );
    bars_ui(&painter, bars, &row, w, sym_color(engine, service));
    let resp = resp.on_hover_text(match (row.at, row.last_child) {
        (Some(a), Some(b)) => format!(
            "{text}\nat +{}; {} effects, the last at +{}",
            format_duration(a),
            row.children,
            format_duration(b)
        ),
        (Some(a), None) => format!("{text}\nat +{}", format_duration(a)),
        _ => text.clone(),
    });
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, &text));
    match row.kind {
        RowKind::Event(e) if resp.clicked() => Some(e),
        _ => None,
    }
}

/// The mark at the event's time and the bar to its last direct effect.
fn bars_ui(
    painter: &egui::Painter,
    bars: Rect,
    row: &WaterfallRow,
    w: &WaterfallData,
    fill: Color32,
) {
    let x = |t: i64| {
        bars.left()
            + bars.width()
                * if w.span == 0 {
                    0.0
                } else {
                    t as f32 / w.span as f32
                }
    };
    if let (Some(a), Some(b)) = (row.at, row.last_child) {
        let y = bars.center().y;
        painter.line_segment(
            [pos2(x(a), y), pos2(x(b).max(x(a)), y)],
            Stroke::new(2.0, fill.gamma_multiply(0.7)),
        );
        painter.line_segment(
            [pos2(x(b), bars.top()), pos2(x(b), bars.bottom())],
            Stroke::new(1.0, fill),
        );
    }
    if let Some(a) = row.at {
        painter.rect_filled(
            Rect::from_min_size(pos2(x(a) - 2.0, bars.top()), vec2(5.0, bars.height())),
            1.0,
            fill,
        );
    }
}
