//! The anomalies panel, like Wireshark's Expert Info: grouped by kind with counts, severities and
//! each kind's group (delivery, ordering, ...); clicking a row selects its event and flow. One
//! virtualised list of kind headers and their rows (normal height), as of the replay cursor when
//! replaying; it holds still while the mouse is over it (new anomalies counted in a chip).

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

/// The anomalies panel's own state: which kinds are open, and the list held still under the
/// mouse.
#[derive(Default)]
pub struct AnomaliesView {
    pub open: [bool; KIND_COUNT],
    /// While the mouse is over the list: only anomalies raised before this many were raised are
    /// listed (new ones are counted in a chip instead of pushing rows down).
    held: Option<usize>,
}

/// What one kind lists: its anomalies (active now, or at the replay cursor), newest first.
struct KindRows<'a> {
    info: &'static KindInfo,
    /// Live: active ids, oldest first (a prefix of them when held).
    live: &'a [AnomalyId],
    replay: bool,
    count: usize,
}

impl KindRows<'_> {
    fn nth_newest(&self, view: &ViewState, i: usize) -> Option<AnomalyId> {
        if self.replay {
            view.replay_anomalies.nth_newest(self.info.kind, i)
        } else {
            self.live.get(self.live.len().checked_sub(i + 1)?).copied()
        }
    }
}

fn kind_rows(view: &ViewState) -> (Vec<KindRows<'_>>, usize) {
    let replay = view.replay.is_some();
    let mut new = 0;
    let rows = (REGISTRY.iter())
        .filter(|info| view.severity.is_none_or(|s| s == info.severity))
        .filter_map(|info| {
            let all = view.anomalies.active(info);
            let live = match view.anomaly_view.held {
                Some(n) if !replay => &all[..all.partition_point(|&id| (id as usize) < n)],
                _ => all,
            };
            new += all.len() - live.len();
            let count = if replay {
                view.replay_anomalies.count(info.kind)
            } else {
                live.len()
            };
            (count > 0).then_some(KindRows {
                info,
                live,
                replay,
                count,
            })
        })
        .collect();
    (rows, new)
}

pub fn anomalies_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &mut ViewState,
    out: &mut Vec<Command>,
) {
    let (kinds, new) = kind_rows(view);
    let mut release = false;
    ui.horizontal(|ui| {
        ui.strong("Anomalies");
        let total = match view.replay {
            Some(_) => format!(
                "{} active at the replay cursor",
                view.replay_anomalies.total()
            ),
            None => format!("{} active", engine.anomalies.total()),
        };
        ui.label(total);
        if new > 0 {
            release = ui
                .button(format!("{new} new"))
                .on_hover_text("Raised while the mouse was over the list")
                .clicked();
        }
        ui.weak("n / p: next / previous");
    });
    let mut severity_off = false;
    if let Some(sev) = view.severity {
        severity_off = ui.button(format!("{} only ✕", sev.name())).clicked();
    }
    let row_h = ui
        .spacing()
        .interact_size
        .y
        .max(ui.text_style_height(&egui::TextStyle::Body) + 6.0);
    let total: usize = (kinds.iter())
        .map(|k| {
            1 + if view.anomaly_view.open[k.info.kind as usize] {
                k.count
            } else {
                0
            }
        })
        .sum();
    let mut toggle = None;
    let list = egui::ScrollArea::vertical()
        .id_salt("anomalies_scroll")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, total, |ui, range| {
            for r in range {
                let open = &view.anomaly_view.open;
                match locate(&kinds, open, r) {
                    Some((k, None)) if kind_header_ui(ui, k, open[k.info.kind as usize]) => {
                        toggle = Some(k.info.kind as usize);
                    }
                    Some((k, Some(i))) => {
                        if let Some(id) = k.nth_newest(view, i) {
                            anomaly_row_ui(ui, engine, view, id, out);
                        }
                    }
                    _ => {}
                }
            }
        });
    let hovered = ui.rect_contains_pointer(list.inner_rect);
    let av = &mut view.anomaly_view;
    av.held = match (hovered && !release, av.held) {
        (true, Some(n)) => Some(n),
        (true, None) => Some(engine.anomalies.all().len()),
        (false, _) => None,
    };
    if let Some(k) = toggle {
        av.open[k] = !av.open[k];
    }
    if severity_off {
        view.severity = None;
    }
}

/// Row `r` of the list: a kind's header (`None`) or its `i`-th newest anomaly.
fn locate<'a, 'b>(
    kinds: &'b [KindRows<'a>],
    open: &[bool; KIND_COUNT],
    mut r: usize,
) -> Option<(&'b KindRows<'a>, Option<usize>)> {
    for k in kinds {
        if r == 0 {
            return Some((k, None));
        }
        r -= 1;
        let n = if open[k.info.kind as usize] {
            k.count
        } else {
            0
        };
        if r < n {
            return Some((k, Some(r)));
        }
        r -= n;
    }
    None
}

/// A kind's header: severity, name, count, group and summary; true when clicked (opens/closes).
fn kind_header_ui(ui: &mut egui::Ui, k: &KindRows, open: bool) -> bool {
    let info = k.info;
    let text = egui::RichText::new(format!(
        "{} {} {} ({}) [{}] — {}",
        if open { "⏷" } else { "⏵" },
        info.severity.name(),
        info.name,
        k.count,
        info.group.name(),
        info.summary
    ))
    .color(severity_color(info.severity))
    .strong();
    ui.add(egui::Button::new(text).frame(false).truncate())
        .on_hover_text(format!(
            "{}: {}\ngroup: {}",
            info.name,
            info.summary,
            info.group.name()
        ))
        .clicked()
}

fn anomaly_row_ui(
    ui: &mut egui::Ui,
    engine: &Engine,
    view: &ViewState,
    id: AnomalyId,
    out: &mut Vec<Command>,
) {
    let a = engine.anomalies.get(id);
    ui.horizontal(|ui| {
        ui.add_space(16.0);
        let r = ui.add(
            egui::Button::selectable(
                a.event.is_some() && a.event == view.selected_event,
                &a.message,
            )
            .truncate(),
        );
        let r = match &a.location {
            Some(l) => r.on_hover_text(format!("{}\n{l}", a.message)),
            None => r.on_hover_text(&a.message),
        };
        if r.clicked()
            && let Some(e) = a.event
        {
            out.push(Command::SelectEvent(e));
        }
    });
}

/// The event of the next (or previous) anomaly after the selected event, in event order (as
/// `check` lists them), among those active now or at the replay cursor; wraps around.
pub fn step_anomaly(engine: &Engine, view: &ViewState, forward: bool) -> Option<EventIdx> {
    let at = view.cutoff();
    let mut events: Vec<EventIdx> = (engine.anomalies.all().iter())
        .filter(|a| a.active_at(at) && view.severity.is_none_or(|s| s == a.severity))
        .filter_map(|a| a.event)
        .collect();
    events.sort_unstable();
    events.dedup();
    let sel = view.selected_event;
    if forward {
        let i = sel.map_or(0, |s| events.partition_point(|&e| e <= s));
        events.get(i).or(events.first()).copied()
    } else {
        let i = sel.map_or(events.len(), |s| events.partition_point(|&e| e < s));
        i.checked_sub(1)
            .and_then(|i| events.get(i))
            .or(events.last())
            .copied()
    }
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
