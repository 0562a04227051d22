//! Exports of a selection of flows into formats other tools read (README, "Export"): OpenTelemetry
//! traces (`otlp`, for Jaeger and Grafana Tempo), an OCEL 2.0 event log (`ocel2`, for PM4Py and
//! other process-mining tools), the native trace (`jsonl`, re-opens to the same flows), a flow as a
//! Mermaid sequence diagram or a drawing (`svg`, `png`), and tables of flows and anomalies
//! (`csv`, `json`). The CLI's `export` and the window's File > Export both write through
//! [`write`]; nothing here knows of egui.
//!
//! Every writer streams and is linear in the events of the selection (plus, for a selection
//! narrower than everything, one pass over the store's event flow index).

mod drawing;
mod mermaid;
mod ocel;
mod otlp;
mod tables;
mod trace;

use crate::analysis::{Engine, FlowId};
use crate::store::EventIdx;
use fixedbitset::FixedBitSet;
use std::io::{self, Write};

#[cfg(feature = "gui")]
pub use drawing::png;
pub use drawing::{Layout, service_rgb, severity_rgb, svg};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// OTLP/JSON traces: one trace per flow, one span per event.
    Otlp,
    /// OCEL 2.0 JSON: events, flow and aggregate objects, their relations.
    Ocel2,
    /// The native trace (JSON lines) of the selected flows' events.
    Jsonl,
    /// One flow as a Mermaid sequence diagram.
    Mermaid,
    /// One flow's causation graph as SVG.
    Svg,
    /// One flow's causation graph as PNG (the SVG, rasterised).
    #[cfg(feature = "gui")]
    Png,
    /// The flows as CSV (columns: README, "Export").
    FlowsCsv,
    /// The flows as a JSON array.
    FlowsJson,
    /// The anomalies as CSV.
    AnomaliesCsv,
    /// The anomalies as a JSON array.
    AnomaliesJson,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Otlp | Format::Ocel2 | Format::FlowsJson | Format::AnomaliesJson => "json",
            Format::Jsonl => "jsonl",
            Format::Mermaid => "mmd",
            Format::Svg => "svg",
            #[cfg(feature = "gui")]
            Format::Png => "png",
            Format::FlowsCsv | Format::AnomaliesCsv => "csv",
        }
    }

    /// Whether the format draws exactly one flow.
    pub fn one_flow(self) -> bool {
        match self {
            Format::Mermaid | Format::Svg => true,
            #[cfg(feature = "gui")]
            Format::Png => true,
            _ => false,
        }
    }
}

/// The flows to export, in creation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    flows: Vec<FlowId>,
    /// Every flow (then anomalies without an event, e.g. undecodable lines, are written too).
    everything: bool,
}

impl Selection {
    /// Every flow.
    pub fn all(engine: &Engine) -> Selection {
        Selection {
            flows: engine.flows.iter().map(|(f, _)| f).collect(),
            everything: true,
        }
    }

    /// These flows (duplicates dropped, kept in the order given).
    pub fn of(flows: impl IntoIterator<Item = FlowId>) -> Selection {
        let mut seen = rustc_hash::FxHashSet::default();
        Selection {
            flows: flows.into_iter().filter(|f| seen.insert(*f)).collect(),
            everything: false,
        }
    }

    /// The flows with these correlation ids (or, for flows without one, the key the window and
    /// `check --flows` show); an id that names no flow is an error.
    pub fn by_key(engine: &Engine, keys: &[String]) -> Result<Selection, String> {
        let mut flows = Vec::with_capacity(keys.len());
        for k in keys {
            let f = engine
                .store
                .strings
                .get(k)
                .and_then(|sym| engine.flows.by_key(sym))
                .filter(|f| !engine.flows.get(*f).events.is_empty())
                .ok_or_else(|| format!("no flow has the correlation id '{k}'"))?;
            flows.push(f);
        }
        Ok(Selection::of(flows))
    }

    pub fn flows(&self) -> &[FlowId] {
        &self.flows
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The selected flows' events in arrival order (the order a trace file re-opens in).
    pub fn events_in_arrival_order(&self, engine: &Engine) -> Vec<EventIdx> {
        let n = engine.store.len() as EventIdx;
        if self.everything {
            return (0..n).collect();
        }
        let mut chosen = FixedBitSet::new();
        for &f in &self.flows {
            chosen.grow_and_insert(f as usize);
        }
        (0..n)
            .filter(|&e| chosen.contains(engine.flows.flow_of(e) as usize))
            .collect()
    }
}

/// Writes the selection in `format`. Formats that draw one flow (`mermaid`, `svg`, `png`) need
/// a selection of exactly one flow (an `InvalidInput` error otherwise).
pub fn write(
    engine: &Engine,
    sel: &Selection,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format.one_flow() && sel.len() != 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} draws one flow, the selection has {} (choose one with --flow ID)",
                format_name(format),
                sel.len()
            ),
        ));
    }
    let mut out = io::BufWriter::new(out);
    match format {
        Format::Otlp => otlp::write(engine, sel, &mut out)?,
        Format::Ocel2 => ocel::write(engine, sel, &mut out)?,
        Format::Jsonl => trace::write(engine, sel, &mut out)?,
        Format::Mermaid => mermaid::write(engine, sel.flows[0], &mut out)?,
        Format::Svg => out.write_all(svg(&Layout::of(engine, sel.flows[0])).as_bytes())?,
        #[cfg(feature = "gui")]
        Format::Png => out.write_all(&png(&Layout::of(engine, sel.flows[0]))?)?,
        Format::FlowsCsv => tables::flows_csv(engine, sel, &mut out)?,
        Format::FlowsJson => tables::flows_json(engine, sel, &mut out)?,
        Format::AnomaliesCsv => tables::anomalies_csv(engine, sel, &mut out)?,
        Format::AnomaliesJson => tables::anomalies_json(engine, sel, &mut out)?,
    }
    out.flush()
}

/// The format's name as the CLI spells it.
pub fn format_name(format: Format) -> String {
    use clap::ValueEnum;
    format
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

/// Writes the selection to a file at `path` (created or replaced).
pub fn write_file(
    engine: &Engine,
    sel: &Selection,
    format: Format,
    path: &std::path::Path,
) -> Result<(), String> {
    if format.one_flow() && sel.len() != 1 {
        // Checked before the file is created, so a refused export leaves nothing behind.
        let mut sink = io::sink();
        write(engine, sel, format, &mut sink).map_err(|e| e.to_string())?;
    }
    let mut file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    write(engine, sel, format, &mut file).map_err(|e| format!("{}: {e}", path.display()))
}

/// RFC 3339 time of an optional timestamp (`""` when none).
fn time_text(t: Option<crate::model::Timestamp>) -> String {
    t.map(crate::model::format_time).unwrap_or_default()
}

#[cfg(test)]
mod tests;
