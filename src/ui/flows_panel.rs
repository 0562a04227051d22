//! The flows table (virtualised: only visible rows are built) with its filter box. Rows read the
//! summaries `flows_data` keeps (as of the replay cursor when replaying); a changed filter or sort
//! is rebuilt by the next `logic()`. The table holds still while the mouse is over it (new flows
//! are counted in a chip), Up/Down move a keyboard cursor and Enter selects its row, and a
//! right-click on a cell copies it or filters on its value.

use super::clock::TimeStyle;
use super::filter::Filter;
use super::flows_data::{COLUMNS, ExtraColumns, FlowSummary, SortColumn};
use super::{ViewState, plain, status_color};
use crate::analysis::{Engine, FlowId, REGISTRY};
use crate::model::format_duration;
use crate::ui::{Command, Prefs};
use egui_extras::{Column, TableBuilder, TableRow};

const ROW_H: f32 = 20.0;

/// What a right-click on a cell asked for.
enum CellAction {
    Copy(String),
    /// Add this term to the filter.
    Filter(String),
}

pub fn flows_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    filter_ui(ui, view);
    ui.horizontal(|ui| count_line_ui(ui, engine, view, prefs, out));
    let scroll_to = keys_ui(ui, view, out);
    let table_rect = ui.available_rect_before_wrap();
    let extra = prefs.flow_columns;
    let style = view.time_style;
    let mut clicked = None;
    let mut sort = None;
    let mut action = None;
    let mut table = TableBuilder::new(ui)
        .id_salt(("flows_table", extra.topic, extra.key, extra.kinds))
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
    for col in columns(extra, style, table_rect.width()) {
        table = table.column(col);
    }
    if let Some(r) = scroll_to {
        table = table.scroll_to_row(r, None);
    }
    if std::mem::take(&mut view.flows.scroll_top) {
        table = table.vertical_scroll_offset(0.0);
    }
    let cutoff = view.cutoff();
    let (selected, cursor) = (view.selected_flow, view.flows.cursor);
    table
        .min_scrolled_height(0.0)
        .header(ROW_H, |mut header| {
            for (col, name) in COLUMNS {
                header.col(|ui| {
                    if header_ui(ui, view, col, name) {
                        sort = Some(col);
                    }
                });
            }
            for name in extra_names(extra) {
                header.col(|ui| {
                    ui.strong(name);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_H, view.flows.ids.len(), |mut row| {
                let Some(&fid) = view.flows.ids.get(row.index()) else {
                    return;
                };
                row.set_selected(selected == Some(fid));
                row.set_hovered(cursor == Some(fid));
                let summary = view.flows.row(engine, fid, cutoff);
                let cells = RowCells {
                    engine,
                    fid,
                    summary,
                    style,
                    extra,
                };
                if let Some(a) = cells.row_ui(&mut row) {
                    action = Some(a);
                }
                if row.response().clicked() {
                    clicked = Some(fid);
                }
            });
        });
    view.flows.hold = ui.rect_contains_pointer(table_rect);
    if let Some(c) = sort {
        view.flows.set_sort(c);
        ui.ctx().request_repaint();
    }
    if let Some(f) = clicked {
        view.flows.cursor = Some(f);
        out.push(Command::SelectFlow(f));
    }
    cell_action_ui(ui, view, action);
}

/// Applies what a cell's right-click menu asked for.
fn cell_action_ui(ui: &egui::Ui, view: &mut ViewState, action: Option<CellAction>) {
    match action {
        Some(CellAction::Copy(text)) => ui.copy_text(text),
        Some(CellAction::Filter(term)) => {
            let text = format!("{} {term}", view.filter_text.trim());
            view.filter_text = text.trim().to_string();
            apply_filter(view);
            ui.ctx().request_repaint();
        }
        None => {}
    }
}

/// How many flows are listed, the "N new" chip and the column chooser.
fn count_line_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &mut ViewState,
    prefs: &Prefs,
    out: &mut Vec<Command>,
) {
    ui.label(format!(
        "{} of {} flows",
        view.flows.ids.len(),
        engine.flows.len()
    ));
    if view.replay.is_some() {
        ui.weak("(as of the replay cursor)");
    }
    let new = view.flows.unseen(engine);
    if new > 0
        && ui
            .button(format!("{new} new"))
            .on_hover_text("Flows that arrived while the mouse was over the table")
            .clicked()
    {
        view.flows.invalidate();
        view.flows.scroll_top = true;
    }
    columns_menu_ui(ui, prefs, out);
}

fn extra_names(e: ExtraColumns) -> Vec<&'static str> {
    [
        (e.topic, "Topic"),
        (e.key, "Key"),
        (e.kinds, "Anomaly kinds"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// Column widths (in [`COLUMNS`] order): Status and ⚠ come right after the id, so they are in
/// view at any panel width, and Status fits its longest word; Start fits a date when shown. The
/// first widths are scaled down (not below each column's least) so the table fits `width`, the
/// panel's: a table wider than its panel would widen the panel over the graph.
fn columns(extra: ExtraColumns, style: TimeStyle, width: f32) -> Vec<Column> {
    let start = if style.dates { 185.0 } else { 95.0 };
    // (first width, least width, clipped)
    let mut spec: Vec<(f32, f32, bool)> = vec![
        (140.0, 60.0, true),
        (92.0, 92.0, false),
        (36.0, 36.0, false),
        (52.0, 40.0, false),
        (120.0, 50.0, true),
        (110.0, 40.0, true),
        (start, 60.0, true),
        (75.0, 40.0, true),
    ];
    for on in [extra.topic, extra.key, extra.kinds] {
        if on {
            spec.push((120.0, 40.0, true));
        }
    }
    // Room for the spacing between columns and the scroll bar.
    let room = width - 8.0 * spec.len() as f32 - 16.0;
    let total: f32 = spec.iter().map(|c| c.0).sum();
    let scale = (room / total).clamp(0.0, 1.0);
    let n = spec.len();
    spec.into_iter()
        .enumerate()
        .map(|(i, (w, least, clip))| {
            // The last column takes what is left.
            let c = if i + 1 == n {
                Column::remainder()
            } else {
                Column::initial((w * scale).max(least))
            };
            c.at_least(least).clip(clip)
        })
        .collect()
}

/// "Columns": which optional columns the table shows.
fn columns_menu_ui(ui: &mut egui::Ui, prefs: &Prefs, out: &mut Vec<Command>) {
    ui.menu_button("Columns", |ui| {
        let mut c = prefs.flow_columns;
        let mut changed = ui.checkbox(&mut c.topic, "Topic").changed();
        changed |= ui.checkbox(&mut c.key, "Key").changed();
        changed |= ui.checkbox(&mut c.kinds, "Anomaly kinds").changed();
        if changed {
            out.push(Command::SetFlowColumns(c));
        }
    });
}

/// Up/Down move the keyboard cursor through the rows, Enter selects its flow (when no text field
/// has the keyboard). Returns the row to scroll to.
fn keys_ui(ui: &egui::Ui, view: &mut ViewState, out: &mut Vec<Command>) -> Option<usize> {
    use egui::{Key, Modifiers};
    if ui.egui_wants_keyboard_input() {
        return None;
    }
    let (up, down, enter) = ui.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::ArrowUp),
            i.consume_key(Modifiers::NONE, Key::ArrowDown),
            i.consume_key(Modifiers::NONE, Key::Enter),
        )
    });
    let ids = &view.flows.ids;
    if enter && let Some(f) = view.flows.cursor.or(view.selected_flow) {
        out.push(Command::SelectFlow(f));
    }
    if !(up || down) || ids.is_empty() {
        return None;
    }
    let at = view.flows.cursor.or(view.selected_flow);
    let pos = at.and_then(|f| ids.iter().position(|&x| x == f));
    let next = match (pos, down) {
        (None, _) => 0,
        (Some(p), true) => (p + 1).min(ids.len() - 1),
        (Some(p), false) => p.saturating_sub(1),
    };
    view.flows.cursor = Some(ids[next]);
    Some(next)
}

/// The filter box and, when the text does not parse, why (the table keeps the last filter that
/// parsed, and keeps being brought up to date with it).
fn filter_ui(ui: &mut egui::Ui, view: &mut ViewState) {
    ui.horizontal(|ui| {
        ui.label("Filter");
        let edit = ui.add(
            egui::TextEdit::singleline(&mut view.filter_text)
                .hint_text(
                    "text, \"quoted text\", type:, service:, topic:, kind:, status:, has:anomaly  (Ctrl+F)",
                )
                .desired_width(f32::INFINITY),
        );
        if view.focus_filter {
            edit.request_focus();
            view.focus_filter = false;
        }
        if edit.changed() {
            apply_filter(view);
            ui.ctx().request_repaint();
        }
    });
    if let Some(e) = &view.filter_error {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("{e} (the table shows the last filter that worked)"),
        );
    }
}

/// Parses the filter text: the table takes it when it parses, else says why.
pub fn apply_filter(view: &mut ViewState) {
    match Filter::parse(&view.filter_text) {
        Ok(f) => {
            view.filter_error = None;
            view.flows.set_filter(f);
        }
        Err(e) => view.filter_error = Some(e),
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

/// One row's cells.
struct RowCells<'a> {
    engine: &'a Engine,
    fid: FlowId,
    summary: Option<FlowSummary>,
    style: TimeStyle,
    extra: ExtraColumns,
}

impl RowCells<'_> {
    /// Paints the row; returns what a right-click menu asked for.
    fn row_ui(&self, row: &mut TableRow<'_, '_>) -> Option<CellAction> {
        let s = &self.engine.store;
        let f = self.engine.flows.get(self.fid);
        let sum = self.summary;
        let mut action = None;
        let mut cell =
            |row: &mut TableRow<'_, '_>, text, terms| cell_ui(row, text, terms, &mut action);
        let key = s.str(f.key);
        cell(row, key.into(), vec![quoted(key)]);
        let status = sum.map_or(egui::RichText::new(""), |x| {
            egui::RichText::new(format!("⏺ {}", x.status.name())).color(status_color(x.status))
        });
        let st = sum.map(|x| format!("status:{}", x.status.name()));
        cell(row, status, st.into_iter().collect());
        let n = sum.map_or(0, |x| x.anomalies);
        let warn = if n > 0 {
            egui::RichText::new(format!("⚠ {n}")).color(egui::Color32::from_rgb(0xe8, 0xa3, 0x2c))
        } else {
            egui::RichText::new("")
        };
        cell(
            row,
            warn,
            if n > 0 {
                vec!["has:anomaly".into()]
            } else {
                vec![]
            },
        );
        let events = sum.map_or(f.events.len() as u32, |x| x.events);
        cell(row, events.to_string().into(), vec![]);
        let root = sum.and_then(|x| x.root).map_or("", |t| s.str(t));
        cell(row, root.into(), term("type", root));
        let services: Vec<&str> = f.services.iter().map(|x| s.str(*x)).collect();
        let terms = services.iter().flat_map(|x| term("service", x)).collect();
        cell(row, services.join(", ").into(), terms);
        let start = f.first().map_or(String::new(), |t| self.style.time(t));
        cell(row, start.into(), vec![]);
        let last = sum.and_then(|x| x.last);
        let duration = last.and_then(|l| Some(l.saturating_sub(f.first()?)));
        cell(
            row,
            duration.map_or(String::new(), format_duration).into(),
            vec![],
        );
        self.extra_ui(row, &mut action);
        action
    }

    fn extra_ui(&self, row: &mut TableRow<'_, '_>, action: &mut Option<CellAction>) {
        let mut cell = |row: &mut TableRow<'_, '_>, text, terms| cell_ui(row, text, terms, action);
        let s = &self.engine.store;
        let f = self.engine.flows.get(self.fid);
        // At most this many events are looked at per row for topics and keys (giant flows).
        const SCAN: usize = 10_000;
        if self.extra.topic {
            let mut topics: Vec<&str> = Vec::new();
            for &e in f.events.iter().take(SCAN) {
                if let Some(t) = s.opt_str(s.get(e).topic)
                    && !topics.contains(&t)
                {
                    topics.push(t);
                }
            }
            let terms = topics.iter().flat_map(|t| term("topic", t)).collect();
            cell(row, topics.join(", ").into(), terms);
        }
        if self.extra.key {
            let k = (f.events.iter().take(SCAN)).find_map(|&e| s.opt_str(s.get(e).key));
            cell(
                row,
                k.unwrap_or("").into(),
                k.map(quoted).into_iter().collect(),
            );
        }
        if self.extra.kinds {
            let bits = self.summary.map_or(0, |x| x.kinds);
            let names: Vec<&str> = (REGISTRY.iter())
                .filter(|k| bits & (1 << k.kind as u16) != 0)
                .map(|k| k.name)
                .collect();
            let terms = names.iter().map(|n| format!("kind:{n}")).collect();
            cell(row, names.join(", ").into(), terms);
        }
    }
}

/// One cell: its text, and a right-click menu to copy it or filter on one of `terms`.
fn cell_ui(
    row: &mut TableRow<'_, '_>,
    text: egui::RichText,
    terms: Vec<String>,
    action: &mut Option<CellAction>,
) {
    let copy = text.text().to_string();
    let (_, resp) = row.col(|ui| {
        plain(ui, text);
    });
    resp.context_menu(|ui| {
        if ui.button("Copy").clicked() {
            *action = Some(CellAction::Copy(copy));
            ui.close();
        }
        for t in terms {
            if ui.button(format!("Filter on {t}")).clicked() {
                *action = Some(CellAction::Filter(t));
                ui.close();
            }
        }
    });
}

/// A filter term for text searched as it is.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', ""))
}

/// A `key:value` filter term, when the value is one word.
fn term(key: &str, value: &str) -> Vec<String> {
    if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
        Vec::new()
    } else {
        vec![format!("{key}:{value}")]
    }
}
