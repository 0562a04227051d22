//! `eventscope export FILE... --to FORMAT --out PATH`: loads trace files as `check` does (same
//! profile and analysis options) and writes a selection of the flows in a format other tools
//! read (`crate::export`). Exit code: 0 when written, 2 on usage or I/O failure (what could be
//! read is still written, as `check` still reports it).

use super::check::{self, AnalysisArgs, CheckArgs, OutputFormat, analyse_with};
use crate::analysis::Config;
use crate::analysis::Engine;
use crate::export::{Format, Selection, format_name};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// Trace files: native JSONL, recordings, kcat -J output or CloudEvents JSON, optionally .gz.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What to write (README, "Export").
    #[arg(long = "to", value_enum, value_name = "FORMAT")]
    pub to: Format,
    /// Where to write it (`-`: standard output).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: PathBuf,
    /// Only the flow with this correlation id (repeatable; the key `check --flows` shows for
    /// flows without one).
    #[arg(long = "flow", value_name = "CORRELATION_ID")]
    pub flows: Vec<String>,
    /// Only flows matching the window's filter language (`type:`, `service:`, `topic:`, `kind:`,
    /// `status:`, `has:anomaly`, free text; all terms must match).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

impl ExportArgs {
    /// The same analysis `check` runs with these options.
    fn check_args(&self) -> CheckArgs {
        CheckArgs {
            files: self.files.clone(),
            format: OutputFormat::Text,
            flows: false,
            analysis: self.analysis.clone(),
        }
    }
}

/// The flows `--flow` and `--filter` choose (every flow without either).
fn select(engine: &Engine, args: &ExportArgs) -> Result<Selection, String> {
    let chosen = if args.flows.is_empty() {
        Selection::all(engine)
    } else {
        Selection::by_key(engine, &args.flows)?
    };
    match &args.filter {
        None => Ok(chosen),
        Some(expr) => filtered(engine, chosen, expr),
    }
}

#[cfg(feature = "gui")]
fn filtered(engine: &Engine, chosen: Selection, expr: &str) -> Result<Selection, String> {
    let filter = crate::ui::filter::Filter::parse(expr).map_err(|e| format!("--filter: {e}"))?;
    Ok(Selection::of(
        chosen
            .flows()
            .iter()
            .copied()
            .filter(|f| filter.matches(engine, *f)),
    ))
}

#[cfg(not(feature = "gui"))]
fn filtered(_engine: &Engine, _chosen: Selection, _expr: &str) -> Result<Selection, String> {
    Err("--filter needs a build with the window (feature `gui`); use --flow".into())
}

pub fn run(args: &ExportArgs) -> i32 {
    let check_args = args.check_args();
    let config = check::config(&check_args).map(|c| Config {
        keep_details: true,
        ..c
    });
    let (engine, io_errors) = match config.and_then(|c| analyse_with(&check_args, c)) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("eventscope export: {e}");
            return 2;
        }
    };
    for e in &io_errors {
        eprintln!("eventscope export: {e}");
    }
    let sel = match select(&engine, args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eventscope export: {e}");
            return 2;
        }
    };
    let written = if args.out.as_os_str() == "-" {
        let stdout = std::io::stdout();
        crate::export::write(&engine, &sel, args.to, &mut stdout.lock()).map_err(|e| e.to_string())
    } else {
        crate::export::write_file(&engine, &sel, args.to, &args.out)
    };
    if let Err(e) = written {
        eprintln!("eventscope export: {e}");
        return 2;
    }
    if engine.stats.undecodable > 0 {
        eprintln!(
            "eventscope export: {} undecodable input lines are not in the export (`eventscope \
             check` lists them)",
            engine.stats.undecodable
        );
    }
    eprintln!(
        "eventscope export: {} of {} flows as {} to {}",
        sel.len(),
        engine.flows.len(),
        format_name(args.to),
        args.out.display()
    );
    if io_errors.is_empty() { 0 } else { 2 }
}
