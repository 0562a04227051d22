//! Preferences kept between runs (apart from runtime state, like egui's demo app).

use crate::ingest::demo::Faults;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Preferences kept between runs (panel sizes are kept by egui's own memory).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub dark: bool,
    pub recent: Vec<PathBuf>,
    /// Timeline swimlanes per topic instead of per service.
    pub lanes_by_topic: bool,
    pub demo_rate: f64,
    pub demo_faults: Vec<f64>,
    pub show_demo_panel: bool,
    /// Recent Kafka connections (never with passwords).
    pub connections: Vec<crate::ui::connect_dialog::SavedConnection>,
    /// Times in UTC rather than local time.
    pub utc: bool,
    /// The flows table's optional columns.
    pub flow_columns: crate::ui::flows_data::ExtraColumns,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            dark: true,
            recent: Vec::new(),
            lanes_by_topic: false,
            demo_rate: 20.0,
            demo_faults: Faults::modest().0.to_vec(),
            show_demo_panel: true,
            connections: Vec::new(),
            utc: false,
            flow_columns: Default::default(),
        }
    }
}

impl Prefs {
    pub fn faults(&self) -> Faults {
        let mut f = Faults::default();
        for (slot, v) in f.0.iter_mut().zip(&self.demo_faults) {
            *slot = v.clamp(0.0, 1.0);
        }
        f
    }
    /// Recent files, newest first.
    pub fn remember(&mut self, paths: &[PathBuf]) {
        for p in paths {
            crate::ui::recent::remember(&mut self.recent, p.clone());
        }
    }

    /// Recent Kafka connections, newest first (saved without secrets).
    pub fn remember_connection(&mut self, c: crate::ui::connect_dialog::SavedConnection) {
        crate::ui::recent::remember(&mut self.connections, c);
    }
}
