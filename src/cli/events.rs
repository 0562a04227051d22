//! `eventscope events FILE...`: one JSON line per event as Eventscope resolved it (ids, type,
//! transport position and which profile supplied each field), in input order, for scripts and
//! tests (`jq`). Takes the same options as `check`, so it shows exactly what `check` analyses.
//! Lines that could not be decoded go to stderr naming file and line; exit 2 on an I/O error.

use super::check::CheckArgs;
use crate::ingest::SourceMessage;
use crate::ingest::file::load_files;
use crate::model::{PackedEvent, PackedEvents, PackedSeq, Provenance};
use serde_json::{Value, json};
use std::io::Write;

/// The profiles behind each identifying field, as `events` and `check --format json` name them.
pub fn profiles_json(p: &Provenance) -> Value {
    json!({
        "id": p.id.name(), "type": p.event_type.name(), "correlation": p.correlation.name(),
        "causation": p.causation.name(), "sequence": p.sequence.name(), "subject": p.subject.name(),
    })
}

/// One event of a batch as a JSON object.
pub fn event_json(batch: &PackedEvents, e: &PackedEvent) -> Value {
    let s = |v: Option<crate::model::Str>| v.map(|v| batch.str(v));
    let sequence = match e.sequence {
        PackedSeq::None => Value::Null,
        PackedSeq::Int(n) => json!(n),
        PackedSeq::Text(t) => json!(batch.str(t)),
    };
    json!({
        "id": batch.str(e.id),
        "type": batch.str(e.event_type),
        "source": s(e.source),
        "correlationid": s(e.correlation),
        "causationid": s(e.causation),
        "sequence": sequence,
        "subject": s(e.subject),
        "topic": s(e.topic),
        "partition": e.facts.partition,
        "offset": e.facts.offset,
        "key": s(e.key),
        "line": e.facts.line,
        "decoder": e.facts.provenance.payload.name(),
        "profiles": profiles_json(&e.facts.provenance),
    })
}

/// Runs `events`; returns the exit code (0, or 2 on bad options or an I/O error).
pub fn run(args: &CheckArgs) -> i32 {
    let opts = match args.file_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("eventscope events: {e}");
            return 2;
        }
    };
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let load_problems = opts.profiles.load_problems();
    for p in &load_problems {
        eprintln!("eventscope events: {p}");
    }
    let mut failed = !load_problems.is_empty();
    load_files(&args.files, &opts, |msg| match msg {
        SourceMessage::Batch(b) => {
            for p in &b.problems {
                eprintln!("eventscope events: {}:{}: {}", b.origin, p.line, p.reason);
            }
            for e in &b.events.events {
                // A closed stdout (`| head`) ends the output; nothing else to do about it.
                let _ = writeln!(out, "{}", event_json(&b.events, e));
            }
        }
        SourceMessage::Finished { error: Some(e), .. } => {
            eprintln!("eventscope events: {e}");
            failed = true;
        }
        SourceMessage::Finished { .. } => {}
    });
    let _ = out.flush();
    if failed { 2 } else { 0 }
}
