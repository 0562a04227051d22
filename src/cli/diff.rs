//! `eventscope diff FILE CORRELATION_ID [OTHER_ID]`: a flow against another flow, or against its
//! root type's usual variant (`analysis::variants::diff`). Exit code like diff(1): 0 without
//! differences, 1 with some, 2 on usage or I/O failure (e.g. no flow with that id).

use super::check::{AnalysisArgs, CheckArgs, OutputFormat};
use super::variants::analyse_variants;
use crate::analysis::variants::diff::{Against, FlowDiff, diff, diff_text, hop_p99, usual_variant};
use crate::analysis::{Engine, FlowId};
use clap::Args;
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Trace file (any format `check` reads).
    pub file: PathBuf,
    /// The flow to look at (its correlation id, or the key `check --flows` prints).
    pub correlation_id: String,
    /// The flow to compare with; default: the usual variant of the flow's root type.
    pub other_id: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

impl DiffArgs {
    fn check_args(&self) -> CheckArgs {
        CheckArgs {
            files: vec![self.file.clone()],
            format: self.format,
            flows: false,
            analysis: self.analysis.clone(),
        }
    }
}

fn flow_by_key(engine: &Engine, key: &str) -> Result<FlowId, String> {
    engine
        .store
        .strings
        .get(key)
        .and_then(|k| engine.flows.by_key(k))
        .filter(|&f| !engine.flows.get(f).events.is_empty())
        .ok_or_else(|| format!("no flow has the correlation id '{key}'"))
}

pub fn run(args: &DiffArgs) -> i32 {
    let engine = match analyse_variants(&args.check_args(), "diff") {
        Ok(e) => e,
        Err(code) => return code,
    };
    let resolved = (|| -> Result<(FlowId, Against), String> {
        let f = flow_by_key(&engine, &args.correlation_id)?;
        let against = match &args.other_id {
            Some(o) => Against::Flow(flow_by_key(&engine, o)?),
            None => Against::Variant(
                usual_variant(&engine, f).ok_or("the flow has no variant (no events)")?,
            ),
        };
        Ok((f, against))
    })();
    let (f, against) = match resolved {
        Ok(x) => x,
        Err(e) => {
            eprintln!("eventscope diff: {e}");
            return 2;
        }
    };
    let d = diff(&engine, f, against, &hop_p99(&engine));
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let written = match args.format {
        OutputFormat::Json => writeln!(out, "{}", diff_json(&engine, &d)),
        OutputFormat::Text => out.write_all(diff_text(&engine, &d).as_bytes()),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("eventscope diff: {e}");
        return 2;
    }
    i32::from(!d.is_empty())
}

/// The diff as one JSON object.
pub fn diff_json(engine: &Engine, d: &FlowDiff) -> Value {
    let s = &engine.store;
    let pairs = |ps: &[crate::analysis::variants::Pair]| -> Vec<Value> {
        ps.iter()
            .map(|p| json!([p.0.map(|c| s.str(c)), s.str(p.1)]))
            .collect()
    };
    let against = match d.against {
        Against::Flow(g) => json!({"correlation_id": s.str(engine.flows.get(g).key)}),
        Against::Variant(v) => json!({"variant": engine.variants.get(v).number}),
    };
    let slow: Vec<Value> = d
        .slow
        .iter()
        .map(|h| {
            json!({
                "cause_type": h.pair.0.map(|c| s.str(c)),
                "effect_type": s.str(h.pair.1),
                "event_id": s.id_str(h.event),
                "latency_ms": h.latency_ns as f64 / 1e6,
                "p99_ms": h.p99_ns as f64 / 1e6,
            })
        })
        .collect();
    json!({
        "correlation_id": s.str(engine.flows.get(d.flow).key),
        "against": against,
        "missing": pairs(&d.missing),
        "extra": pairs(&d.extra),
        "slow": slow,
    })
}
