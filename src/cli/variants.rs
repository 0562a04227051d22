//! `eventscope variants FILE...`: the flow variants of trace files (`analysis::variants`), most
//! flows first. Text: one block per variant with its edges' hops and hop latency; JSON: one
//! object per line per variant. Exit code: 0, or 2 on usage or I/O failure.

use super::check::{CheckArgs, OutputFormat, analyse_with, config};
use crate::analysis::Engine;
use crate::analysis::detectors::unusual_flow::thousands;
use crate::analysis::variants::{Pair, VariantReport, hop_stats, report};
use crate::model::format_duration;
use crate::store::EventStore;
use serde_json::{Value, json};
use std::io::Write;

/// Loads the files with variants kept (even with `--no-unusual`).
pub fn analyse_variants(args: &CheckArgs, cmd: &str) -> Result<Engine, i32> {
    let mut cfg = config(args).map_err(|e| {
        eprintln!("eventscope {cmd}: {e}");
        2
    })?;
    cfg.variants = true;
    let (engine, io_errors) = analyse_with(args, cfg).map_err(|e| {
        eprintln!("eventscope {cmd}: {e}");
        2
    })?;
    for e in &io_errors {
        eprintln!("eventscope {cmd}: {e}");
    }
    if io_errors.is_empty() {
        Ok(engine)
    } else {
        Err(2)
    }
}

pub fn run(args: &CheckArgs) -> i32 {
    let engine = match analyse_variants(args, "variants") {
        Ok(e) => e,
        Err(code) => return code,
    };
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let list = report(&engine);
    let written = match args.format {
        OutputFormat::Json => list
            .iter()
            .try_for_each(|r| writeln!(out, "{}", variant_json(&engine, r))),
        OutputFormat::Text => write_text(&mut out, &engine, &list),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("eventscope variants: {e}");
            2
        }
    }
}

/// A cause type as printed: its name, or `?` when unknown.
pub fn cause_name(store: &EventStore, p: &Pair) -> String {
    p.0.map_or("?".into(), |c| store.str(c).to_string())
}

fn ms(ns: Option<i64>) -> Value {
    ns.map_or(Value::Null, |n| json!(n as f64 / 1e6))
}

/// One variant as the JSON object of `variants --format json`.
pub fn variant_json(engine: &Engine, r: &VariantReport) -> Value {
    let s = &engine.store;
    let edges: Vec<Value> = r
        .edges
        .iter()
        .map(|p| json!([p.0.map(|c| s.str(c)), s.str(p.1), 1]))
        .collect();
    json!({
        "variant": r.number,
        "root_type": r.root_type,
        "edges": edges,
        "flows": r.flows,
        "share": r.share,
        "p50_ms": ms(r.p50_ns),
        "p99_ms": ms(r.p99_ns),
        "anomalous_flows": r.anomalous_flows,
        "example_correlation_id": s.str(engine.flows.get(r.example).key),
    })
}

fn dur(ns: Option<i64>) -> String {
    ns.map_or("-".into(), format_duration)
}

fn write_text(
    out: &mut impl Write,
    engine: &Engine,
    list: &[VariantReport],
) -> std::io::Result<()> {
    let s = &engine.store;
    for r in list {
        writeln!(
            out,
            "variant {}: {} flows, {:.1}% of {}, duration p50 {} p99 {}, {} anomalous, e.g. {}",
            r.number,
            thousands(r.flows as u64),
            100.0 * r.share,
            r.root_type,
            dur(r.p50_ns),
            dur(r.p99_ns),
            thousands(r.anomalous_flows as u64),
            s.str(engine.flows.get(r.example).key),
        )?;
        let members = engine.variants.get(r.id).members();
        for e in hop_stats(engine, members, &r.edges) {
            writeln!(
                out,
                "  {:<24} -> {:<24} {:>9} hops  p50 {:>8}  p99 {:>8}",
                cause_name(s, &e.pair),
                s.str(e.pair.1),
                thousands(e.hops as u64),
                dur(e.p50_ns),
                dur(e.p99_ns)
            )?;
        }
    }
    writeln!(
        out,
        "\n{} variants of {} flows",
        thousands(list.len() as u64),
        thousands(engine.flows.len() as u64)
    )
}
