//! The anomalies panel, like Wireshark's Expert Info: grouped by kind with counts, severities and
//! each kind's group (delivery, ordering, ...); clicking a row selects its event and flow.

use super::{ViewState, severity_color};
use crate::analysis::anomaly::{KIND_COUNT, KindInfo};
use crate::analysis::{AnomalyId, Engine, REGISTRY};
use crate::store::EventIdx;
use crate::ui::Command;

/// Active anomaly ids per kind, kept up to date from the anomalies raised or withdrawn since the
/// last update (so the panel never filters the whole list per frame).
#[derive(Default)]
pub struct AnomalyIndex {
    seen: usize,
    generation: u64,
    /// Active ids per kind, oldest first.
    pub by_kind: Vec<Vec<AnomalyId>>,
    /// Events whose anomalies were raised or withdrawn in the last update.
    pub changed_events: Vec<EventIdx>,
}

impl AnomalyIndex {
    pub fn update(&mut self, engine: &Engine) {
        self.changed_events.clear();
        if self.by_kind.is_empty() {
            self.by_kind = vec![Vec::new(); KIND_COUNT];
        }
        let store = &engine.anomalies;
        let all = store.all();
        if store.generation == self.generation && all.len() == self.seen {
            return;
        }
        // Each raise and each withdrawal bumps the generation once: more bumps than new
        // anomalies means some known ones were withdrawn.
        let bumps = store.generation.saturating_sub(self.generation);
        let raised = (all.len() - self.seen) as u64;
        if bumps > raised {
            for ids in &mut self.by_kind {
                ids.retain(|&id| {
                    let a = store.get(id);
                    if !a.active {
                        self.changed_events.extend(a.event);
                    }
                    a.active
                });
            }
        }
        for (i, a) in all.iter().enumerate().skip(self.seen) {
            if a.active {
                self.by_kind[a.kind as usize].push(i as AnomalyId);
            }
            self.changed_events.extend(a.event);
        }
        self.seen = all.len();
        self.generation = store.generation;
    }

    /// Active ids of one kind, oldest first.
    pub fn active(&self, info: &KindInfo) -> &[AnomalyId] {
        self.by_kind
            .get(info.kind as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
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
                if view.severity.is_none_or(|s| s == info.severity) {
                    kind_ui(ui, engine, view, info, out);
                }
            }
        });
}

/// One kind: a header with its count and group, opening to its anomalies, newest first.
fn kind_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &ViewState,
    info: &KindInfo,
    out: &mut Vec<Command>,
) {
    let active = view.anomalies.active(info);
    if active.is_empty() {
        return;
    }
    let header = egui::RichText::new(format!(
        "{} {} ({}) [{}] — {}",
        info.severity.name(),
        info.name,
        active.len(),
        info.group.name(),
        info.summary
    ))
    .color(severity_color(info.severity));
    egui::CollapsingHeader::new(header)
        .id_salt(info.name)
        .show(ui, |ui| {
            let row_h = 18.0;
            egui::ScrollArea::vertical()
                .id_salt(info.name)
                .max_height(240.0)
                .show_rows(ui, row_h, active.len(), |ui, range| {
                    for i in range {
                        let a = engine.anomalies.get(active[active.len() - 1 - i]);
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
        })
        .header_response
        .on_hover_text(format!("group: {}", info.group.name()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AnomalyKind, Config};

    #[test]
    fn withdrawn_anomalies_leave_the_index_and_name_their_event() {
        let mut e = Engine::new(Config::default());
        let a = e
            .anomalies
            .raise(AnomalyKind::Stuck, Some(3), Vec::new(), "a".into(), None);
        e.anomalies
            .raise(AnomalyKind::Stuck, Some(5), Vec::new(), "b".into(), None);
        let mut idx = AnomalyIndex::default();
        idx.update(&e);
        let stuck = AnomalyKind::Stuck.info();
        assert_eq!(idx.active(stuck).len(), 2);
        assert_eq!(idx.changed_events, [3, 5]);
        idx.update(&e);
        assert!(idx.changed_events.is_empty());
        e.anomalies.withdraw(a);
        idx.update(&e);
        assert_eq!(idx.active(stuck), [1]);
        assert_eq!(idx.changed_events, [3]);
    }
}
