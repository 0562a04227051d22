//! The anomalies panel, like Wireshark's Expert Info: grouped by kind with counts and severities;
//! clicking a row selects its event and flow.

use super::{ViewState, severity_color};
use crate::analysis::anomaly::KIND_COUNT;
use crate::analysis::{AnomalyId, Engine, REGISTRY};
use crate::ui::Command;

/// Anomaly ids per kind, extended from new anomalies only.
#[derive(Default)]
pub struct AnomalyIndex {
    seen: usize,
    pub by_kind: Vec<Vec<AnomalyId>>,
}

impl AnomalyIndex {
    pub fn update(&mut self, engine: &Engine) {
        if self.by_kind.is_empty() {
            self.by_kind = vec![Vec::new(); KIND_COUNT];
        }
        let all = engine.anomalies.all();
        for (i, a) in all.iter().enumerate().skip(self.seen) {
            self.by_kind[a.kind as usize].push(i as AnomalyId);
        }
        self.seen = all.len();
    }
}

pub fn anomalies_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.strong("Anomalies");
        ui.label(format!("{} active", engine.anomalies.total()));
        if let Some(sev) = view.severity
            && ui.button(format!("{} only ✕", sev.name())).clicked()
        {
            view.severity = None;
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("anomalies_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for info in REGISTRY.iter() {
                if view.severity.is_some_and(|s| s != info.severity) {
                    continue;
                }
                let n = engine.anomalies.count(info.kind);
                if n == 0 {
                    continue;
                }
                let header = egui::RichText::new(format!(
                    "{} {} ({n}) — {}",
                    info.severity.name(),
                    info.name,
                    info.summary
                ))
                .color(severity_color(info.severity));
                egui::CollapsingHeader::new(header)
                    .id_salt(info.name)
                    .show(ui, |ui| {
                        let ids = view
                            .anomalies
                            .by_kind
                            .get(info.kind as usize)
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        let active: Vec<AnomalyId> = ids
                            .iter()
                            .rev()
                            .copied()
                            .filter(|id| engine.anomalies.get(*id).active)
                            .collect();
                        let row_h = 18.0;
                        egui::ScrollArea::vertical()
                            .id_salt(info.name)
                            .max_height(240.0)
                            .show_rows(ui, row_h, active.len(), |ui, range| {
                                for id in &active[range] {
                                    let a = engine.anomalies.get(*id);
                                    let r = ui.add(
                                        egui::Button::selectable(
                                            a.event.is_some() && a.event == view.selected_event,
                                            egui::RichText::new(&a.message).small(),
                                        )
                                        .truncate(),
                                    );
                                    if r.clicked()
                                        && let Some(e) = a.event
                                    {
                                        out.push(Command::SelectEvent(e));
                                    }
                                }
                            });
                    });
            }
        });
}
