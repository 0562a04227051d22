//! The demo's control window: rate, start/stop, reset with a seed, each fault on/off live, and
//! what the bus and the fault injector did.

use crate::ingest::demo::{DemoControl, DemoHandle, FAULTS};
use crate::ui::{Command, Prefs};

/// The window, kept inside `area` (the graph's).
pub fn demo_window_ui(
    ui: &mut egui::Ui,
    demo: &DemoHandle,
    prefs: &Prefs,
    area: egui::Rect,
    out: &mut Vec<Command>,
) {
    let status = demo.status.lock().map(|s| s.clone()).unwrap_or_default();
    let mut open = prefs.show_demo_panel;
    egui::Window::new("Demo controls")
        .open(&mut open)
        // At the graph's top right, below its tab row and the flow's summary line.
        .pivot(egui::Align2::RIGHT_TOP)
        .default_pos(area.right_top() + egui::vec2(-8.0, 56.0))
        .constrain_to(area)
        .default_open(false)
        .default_width(330.0)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if status.running {
                    if ui.button("⏹ Stop").clicked() {
                        out.push(Command::Demo(DemoControl::Stop));
                    }
                } else if ui.button("▶ Start").clicked() {
                    out.push(Command::Demo(DemoControl::Start));
                }
                let seed_id = ui.make_persistent_id("demo_seed");
                let mut seed: u64 = ui.data_mut(|d| *d.get_persisted_mut_or(seed_id, 1u64));
                ui.label("seed");
                ui.add(egui::DragValue::new(&mut seed).range(0..=u64::MAX));
                ui.data_mut(|d| d.insert_persisted(seed_id, seed));
                if ui.button("⟲ Reset").on_hover_text("Start over with this seed").clicked() {
                    out.push(Command::ResetDemo(seed));
                }
            });
            let mut rate = prefs.demo_rate;
            if ui
                .add(egui::Slider::new(&mut rate, 0.1..=10_000.0).logarithmic(true).text("orders/s"))
                .changed()
            {
                out.push(Command::Demo(DemoControl::SetRate(rate)));
            }
            ui.separator();
            ui.strong("Faults (rate; switch live)");
            let mut faults = prefs.faults();
            let mut changed = false;
            egui::Grid::new("faults").num_columns(3).show(ui, |ui| {
                for f in FAULTS {
                    let mut on = faults.rate(f) > 0.0;
                    if ui.checkbox(&mut on, f.name()).on_hover_text(f.describe()).changed() {
                        faults.set(f, if on { 0.01 } else { 0.0 });
                        changed = true;
                    }
                    let mut r = faults.rate(f);
                    if ui.add(egui::Slider::new(&mut r, 0.0..=0.2).logarithmic(true)).changed() {
                        faults.set(f, r);
                        changed = true;
                    }
                    ui.label(format!("{} injected", status.injected_by_fault[f as usize]));
                    ui.end_row();
                }
            });
            if changed {
                out.push(Command::Demo(DemoControl::SetFaults(faults)));
            }
            ui.separator();
            ui.label(format!(
                "{} orders · {} records appended · {} redelivered · {} dead-lettered · {} duplicates skipped by consumers",
                status.flows_started,
                status.bus.appended,
                status.bus.redelivered,
                status.bus.dead_lettered,
                status.bus.skipped_duplicates
            ));
            if !status.stalled.is_empty() {
                ui.colored_label(ui.visuals().warn_fg_color, format!("stalled: {}", status.stalled.join(", ")));
            }
            egui::CollapsingHeader::new("Latest injected faults").show(ui, |ui| {
                for i in status.recent.iter().rev() {
                    ui.small(format!("{}: {}", i.fault.name(), i.what));
                }
            });
        });
    if open != prefs.show_demo_panel {
        out.push(Command::ShowDemoPanel(open));
    }
}
