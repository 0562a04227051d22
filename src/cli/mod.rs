//! The command line: `check` (headless analysis of trace files) and `gen` (synthetic traces with
//! known injected faults).

pub mod check;
pub mod demo;
pub mod generate;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "eventscope",
    version,
    about = "A debugger for event-driven systems"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse trace files and print anomalies and a summary (exit 1 on any error anomaly).
    Check(check::CheckArgs),
    /// Write a synthetic e-commerce trace with known injected anomalies.
    Gen(generate::GenArgs),
    /// Run the simulated e-commerce system (in the window, or --headless to a trace file).
    Demo(demo::DemoArgs),
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
        Some(Command::Gen(a)) => generate::run(&a),
        Some(Command::Demo(a)) if a.headless => demo::run_headless_cli(&a),
        Some(Command::Demo(_)) => {
            eprintln!("eventscope demo: the window is not part of this build yet; use --headless");
            2
        }
        None => {
            eprintln!(
                "eventscope {}: the desktop window is not part of this build yet.\n\
                 Headless commands: `eventscope check FILE...`, `eventscope gen --events N --out FILE`.\n\
                 Run `eventscope --help` for details.",
                env!("CARGO_PKG_VERSION")
            );
            0
        }
    }
}
