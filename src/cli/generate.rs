//! `eventscope gen`: a synthetic trace with known injected faults (the generator is
//! [`crate::ingest::generate`]).

use crate::analysis::truth::Expected;
use crate::ingest::generate::{Faults, generate};
use crate::ingest::shapes::{self, Shape};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct GenArgs {
    /// Number of events to write.
    #[arg(long, default_value_t = 10_000)]
    pub events: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (.gz compresses).
    #[arg(long)]
    pub out: PathBuf,
    /// Fault rates, e.g. dup=0.01,reorder=0.01,drop=0.005,poison=0.002
    #[arg(long, default_value = "")]
    pub faults: Faults,
    /// Also write the expected anomalies (JSON Lines: kind, event_id).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Instead of the e-commerce trace, an input shape for the linear-time benchmark:
    /// reverse-chain, hot-key, shuffled-chains, deep-chains, spine-with-leaves, pairs, own-keys, devices.
    #[arg(long, conflicts_with_all = ["faults", "truth"])]
    pub shape: Option<Shape>,
}

/// The e-commerce trace (returning its expected anomalies) or the asked shape (none expected).
fn write_trace(args: &GenArgs, out: &mut dyn Write) -> std::io::Result<Vec<Expected>> {
    match args.shape {
        Some(shape) => shapes::write(shape, args.events, out).map(|()| Vec::new()),
        None => generate(args.events, args.seed, &args.faults, out),
    }
}

pub fn run(args: &GenArgs) -> i32 {
    let result = (|| -> std::io::Result<Vec<Expected>> {
        let file = std::fs::File::create(&args.out)?;
        let gz = args.out.extension().is_some_and(|e| e == "gz");
        let truth = if gz {
            let mut w = flate2::write::GzEncoder::new(
                std::io::BufWriter::new(file),
                flate2::Compression::fast(),
            );
            let t = write_trace(args, &mut w)?;
            w.finish()?.flush()?;
            t
        } else {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            let t = write_trace(args, &mut w)?;
            w.flush()?;
            t
        };
        if let Some(p) = &args.truth {
            let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
            crate::analysis::truth::write_jsonl(&truth, &mut w)?;
            w.flush()?;
        }
        Ok(truth)
    })();
    match result {
        Ok(truth) => {
            eprintln!(
                "wrote {} events to {} ({} injected anomalies)",
                args.events,
                args.out.display(),
                truth.len()
            );
            0
        }
        Err(e) => {
            eprintln!("eventscope gen: {}: {e}", args.out.display());
            2
        }
    }
}
