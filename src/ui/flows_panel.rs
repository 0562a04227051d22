//! The flows table (virtualised: only visible rows are built) with its filter box. Rows read the
//! summaries `flows_data` keeps; a changed filter or sort is rebuilt by the next `logic()`.

use super::filter::Filter;
use super::flows_data::{COLUMNS, SortColumn};
use super::{ViewState, plain, status_color};
use crate::analysis::{Engine, FlowId};
use crate::model::{format_duration, format_time};
use crate::ui::Command;
use egui_extras::{Column, TableBuilder, TableRow};

const ROW_H: f32 = 20.0;

pub fn flows_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
    filter_ui(ui, view);
    ui.label(format!(
        "{} of {} flows",
        view.flows.ids.len(),
        engine.flows.len()
    ));
    let mut clicked = None;
    let mut sort = None;
    TableBuilder::new(ui)
        .id_salt("flows_table")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(150.0).at_least(60.0).clip(true))
        .column(Column::initial(120.0).at_least(50.0).clip(true))
        .column(Column::initial(50.0).at_least(30.0))
        .column(Column::initial(110.0).at_least(40.0).clip(true))
        .column(Column::initial(95.0).at_least(40.0).clip(true))
        .column(Column::initial(70.0).at_least(40.0))
        .column(Column::initial(80.0).at_least(50.0).clip(true))
        .column(Column::remainder().at_least(30.0))
        .min_scrolled_height(0.0)
        .header(ROW_H, |mut header| {
            for (col, name) in COLUMNS {
                header.col(|ui| {
                    if header_ui(ui, view, col, name) {
                        sort = Some(col);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(ROW_H, view.flows.ids.len(), |mut row| {
                let Some(&fid) = view.flows.ids.get(row.index()) else {
                    return;
                };
                row.set_selected(view.selected_flow == Some(fid));
                row_ui(&mut row, engine, view, fid);
                if row.response().clicked() {
                    clicked = Some(fid);
                }
            });
        });
    if let Some(c) = sort {
        view.flows.set_sort(c);
        ui.ctx().request_repaint();
    }
    if let Some(f) = clicked {
        out.push(Command::SelectFlow(f));
    }
}

/// The filter box and, when the text does not parse, why.
fn filter_ui(ui: &mut egui::Ui, view: &mut ViewState) {
    ui.horizontal(|ui| {
        ui.label("Filter");
        let edit = ui.add(
            egui::TextEdit::singleline(&mut view.filter_text)
                .hint_text("text, type:, service:, topic:, kind:, status:, has:anomaly  (Ctrl+F)")
                .desired_width(f32::INFINITY),
        );
        if view.focus_filter {
            edit.request_focus();
            view.focus_filter = false;
        }
        if edit.changed() {
            match Filter::parse(&view.filter_text) {
                Ok(f) => {
                    view.filter_error = None;
                    view.flows.set_filter(f);
                    ui.ctx().request_repaint();
                }
                Err(e) => view.filter_error = Some(e),
            }
        }
    });
    if let Some(e) = &view.filter_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// A column header: its name with the sort arrow; true when clicked.
fn header_ui(ui: &mut egui::Ui, view: &ViewState, col: SortColumn, name: &str) -> bool {
    let arrow = match (view.flows.sort == col, view.flows.ascending) {
        (true, true) => " ⏶",
        (true, false) => " ⏷",
        _ => "",
    };
    let r = ui.add(
        egui::Button::new(egui::RichText::new(format!("{name}{arrow}")).strong()).frame(false),
    );
    if col == SortColumn::Anomalies {
        r.clone()
            .on_hover_text("active anomalies on the flow's events");
    }
    r.clicked()
}

fn row_ui(row: &mut TableRow<'_, '_>, engine: &Engine, view: &ViewState, fid: FlowId) {
    let s = &engine.store;
    let f = engine.flows.get(fid);
    let summary = view.flows.summary(fid);
    row.col(|ui| {
        plain(ui, s.str(f.key));
    });
    row.col(|ui| {
        plain(ui, summary.and_then(|x| x.root).map_or("", |t| s.str(t)));
    });
    row.col(|ui| {
        plain(ui, f.events.len().to_string());
    });
    row.col(|ui| {
        let names: Vec<&str> = f.services.iter().map(|x| s.str(*x)).collect();
        plain(ui, names.join(", "));
    });
    row.col(|ui| {
        plain(
            ui,
            f.first()
                .map_or(String::new(), |t| format_time(t)[11..23].to_string()),
        );
    });
    row.col(|ui| {
        plain(ui, f.duration().map_or(String::new(), format_duration));
    });
    row.col(|ui| {
        let Some(sum) = summary else { return };
        plain(
            ui,
            egui::RichText::new(format!("⏺ {}", sum.status.name())).color(status_color(sum.status)),
        );
    });
    row.col(|ui| {
        if let Some(sum) = summary
            && sum.anomalies > 0
        {
            plain(
                ui,
                egui::RichText::new(format!("⚠ {}", sum.anomalies))
                    .color(ui.visuals().warn_fg_color),
            )
            .on_hover_text("active anomalies on this flow's events");
        }
    });
}
