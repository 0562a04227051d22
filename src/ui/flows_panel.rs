//! The flows table (virtualised: only visible rows are built) with its filter box.

use super::filter::{Filter, flow_status};
use super::flows_data::{COLUMNS, root_type};
use super::{ViewState, plain, status_color};
use crate::analysis::Engine;
use crate::model::{format_duration, format_time};
use crate::ui::Command;
use egui_extras::{Column, TableBuilder};

pub fn flows_ui(ui: &mut egui::Ui, engine: &Engine, view: &mut ViewState, out: &mut Vec<Command>) {
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
                    view.flows.refresh(engine, view.cutoff());
                }
                Err(e) => view.filter_error = Some(e),
            }
        }
    });
    if let Some(e) = &view.filter_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.label(format!(
        "{} of {} flows",
        view.flows.ids.len(),
        engine.flows.len()
    ));
    let s = &engine.store;
    let row_h = 20.0;
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
        .column(Column::remainder().at_least(50.0))
        .min_scrolled_height(0.0)
        .header(row_h, |mut header| {
            for (col, name) in COLUMNS {
                header.col(|ui| {
                    let arrow = match (view.flows.sort == col, view.flows.ascending) {
                        (true, true) => " ⏶",
                        (true, false) => " ⏷",
                        _ => "",
                    };
                    if ui
                        .add(
                            egui::Button::new(
                                egui::RichText::new(format!("{name}{arrow}")).strong(),
                            )
                            .frame(false),
                        )
                        .clicked()
                    {
                        sort = Some(col);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_h, view.flows.ids.len(), |mut row| {
                let Some(&fid) = view.flows.ids.get(row.index()) else {
                    return;
                };
                let f = engine.flows.get(fid);
                row.set_selected(view.selected_flow == Some(fid));
                row.col(|ui| {
                    plain(ui, s.str(f.key));
                });
                row.col(|ui| {
                    plain(ui, root_type(engine, fid).map_or("", |t| s.str(t)));
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
                        f.first
                            .map_or(String::new(), |t| format_time(t)[11..23].to_string()),
                    );
                });
                row.col(|ui| {
                    plain(ui, f.duration().map_or(String::new(), format_duration));
                });
                row.col(|ui| {
                    let st = flow_status(engine, fid);
                    plain(
                        ui,
                        egui::RichText::new(format!("⏺ {st}")).color(status_color(st)),
                    );
                });
                if row.response().clicked() {
                    clicked = Some(fid);
                }
            });
        });
    if let Some(c) = sort {
        view.flows.set_sort(c);
        view.flows.refresh(engine, view.cutoff());
    }
    if let Some(f) = clicked {
        out.push(Command::SelectFlow(f));
    }
}
