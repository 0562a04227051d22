//! The command line: `check` (headless analysis of trace files) and `gen` (synthetic traces with
//! known injected faults).

pub mod check;
pub mod demo;
pub mod diff;
pub mod events;
pub mod export;
pub mod generate;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod variants;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "eventscope",
    version,
    about = "A debugger for event-driven systems",
    long_about = "A debugger for event-driven systems. With no arguments the window opens in demo \
                  mode; `eventscope FILE...` opens trace files.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Trace files to open in the window (same as `eventscope open FILE...`).
    pub files: Vec<std::path::PathBuf>,
    /// Profile settings for the files (`--spans FILE`, `--profile`, `--id SPEC`, ...).
    #[command(flatten)]
    pub ids: check::ProfileArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse trace files and print anomalies and a summary (exit 1 on any error anomaly).
    Check(check::CheckArgs),
    /// Print every event as resolved (ids, type, position, profiles), one JSON line each.
    Events(check::CheckArgs),
    /// Write the flows of trace files for other tools: OTLP/JSON, OCEL 2.0, the native trace,
    /// Mermaid, SVG/PNG, CSV/JSON tables (README, "Export").
    Export(export::ExportArgs),
    /// List the flow variants (causation shapes) of trace files, most flows first.
    Variants(check::CheckArgs),
    /// Compare a flow with another, or with its root type's usual variant (exit 1 on differences).
    Diff(diff::DiffArgs),
    /// Write a synthetic e-commerce trace with known injected anomalies.
    Gen(generate::GenArgs),
    /// Run the simulated e-commerce system (in the window, or --headless to a trace file).
    Demo(demo::DemoArgs),
    /// Watch Kafka topics live in the window (read-only: no consumer group, no commits).
    #[cfg(feature = "kafka")]
    Kafka(kafka::KafkaArgs),
    /// Record Kafka topics to a trace file, headless.
    #[cfg(feature = "kafka")]
    Record(kafka::RecordArgs),
    /// Open trace files in the window.
    Open {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        ids: check::ProfileArgs,
    },
}

/// Parses "30s", "500ms", "2m", "1h 5m" to nanoseconds.
pub fn parse_duration_ns(text: &str) -> Result<i64, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}': {e} (try 30s, 500ms, 2m)"))?;
    i64::try_from(d.as_nanos()).map_err(|_| format!("'{text}' is too long"))
}

/// Runs the command line; returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Some(Command::Check(a)) => check::run(&a),
        Some(Command::Events(a)) => events::run(&a),
        Some(Command::Export(a)) => export::run(&a),
        Some(Command::Variants(a)) => variants::run(&a),
        Some(Command::Diff(a)) => diff::run(&a),
        Some(Command::Gen(a)) => generate::run(&a),
        Some(Command::Demo(a)) if a.headless => demo::run_headless_cli(&a),
        #[cfg(feature = "kafka")]
        Some(Command::Demo(a)) if a.to_kafka => demo::run_to_kafka(&a),
        Some(Command::Demo(a)) => window(
            Some(a.options(crate::ingest::demo::Faults::modest())),
            vec![],
            &cli.ids,
        ),
        Some(Command::Open { files, ids }) => window(None, files, &ids),
        #[cfg(feature = "kafka")]
        Some(Command::Record(a)) => kafka::record(&a),
        #[cfg(feature = "kafka")]
        Some(Command::Kafka(a)) => match a.options(true) {
            Ok(o) => kafka_window(o, a.max_memory),
            Err(e) => {
                eprintln!("eventscope kafka: {e}");
                2
            }
        },
        None if !cli.files.is_empty() => window(None, cli.files, &cli.ids),
        None => window(
            Some(crate::ingest::demo::DemoOptions {
                faults: crate::ingest::demo::Faults::modest(),
                ..Default::default()
            }),
            vec![],
            &cli.ids,
        ),
    }
}

#[cfg(all(feature = "kafka", feature = "gui"))]
fn kafka_window(opts: crate::ingest::kafka::KafkaOptions, max_memory: u64) -> i32 {
    crate::app::run(crate::app::Launch::Kafka(Box::new(opts), max_memory))
}

#[cfg(all(feature = "kafka", not(feature = "gui")))]
fn kafka_window(_opts: crate::ingest::kafka::KafkaOptions, _max_memory: u64) -> i32 {
    eprintln!("eventscope kafka: this build has no window; use `eventscope record`");
    2
}

/// Opens the window on the demo or on files (with their profile settings, e.g. `--spans`).
#[cfg(feature = "gui")]
fn window(
    demo: Option<crate::ingest::demo::DemoOptions>,
    files: Vec<std::path::PathBuf>,
    ids: &check::ProfileArgs,
) -> i32 {
    let profiles = match ids.to_config_with_registry(&[]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("eventscope: {e}");
            return 2;
        }
    };
    crate::app::run(match demo {
        Some(d) => crate::app::Launch::Demo(d),
        None => crate::app::Launch::Files(files, profiles),
    })
}

#[cfg(not(feature = "gui"))]
fn window(
    _demo: Option<crate::ingest::demo::DemoOptions>,
    _files: Vec<std::path::PathBuf>,
    _ids: &check::ProfileArgs,
) -> i32 {
    eprintln!(
        "eventscope {}: this build has no window (feature `gui`). Headless commands: `check`, \
         `gen`, `demo --headless`; see `eventscope --help`.",
        env!("CARGO_PKG_VERSION")
    );
    2
}
