//! `mermaid`: one flow as a Mermaid sequence diagram (<https://mermaid.js.org/syntax/sequenceDiagram.html>),
//! to paste into a ticket: a participant per service in order of appearance; per event, in time
//! order, an arrow from its cause's service to its own labelled with its type (and the hop's
//! latency), or a self-arrow for an event without a cause in the flow; each anomaly a note over
//! the event's service.

use crate::analysis::{Engine, FlowId};
use crate::model::{Sym, format_duration};
use rustc_hash::FxHashMap;
use std::io::{self, Write};

/// Text safe inside a Mermaid message or note: `;` and `#` (statement and entity syntax) as
/// entity codes, line breaks as spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ';' => out.push_str("#59;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn write(engine: &Engine, f: FlowId, out: &mut impl Write) -> io::Result<()> {
    let s = &engine.store;
    let flow = engine.flows.get(f);
    let mut events: Vec<_> = flow.events.to_vec();
    // Time order (events without a time last), arrival order among equals.
    events.sort_by_key(|&e| (s.get(e).effective_time().unwrap_or(i64::MAX), e));
    let mut participants: FxHashMap<Option<Sym>, usize> = FxHashMap::default();
    let mut names: Vec<&str> = Vec::new();
    for &e in &events {
        let src = s.get(e).source;
        participants.entry(src).or_insert_with(|| {
            names.push(s.opt_str(src).unwrap_or("(no source)"));
            names.len() - 1
        });
    }
    writeln!(out, "sequenceDiagram")?;
    writeln!(out, "    title Flow {}", escape(s.str(flow.key)))?;
    for (i, n) in names.iter().enumerate() {
        writeln!(out, "    participant S{i} as {}", escape(n))?;
    }
    for &e in &events {
        let r = s.get(e);
        let to = participants[&r.source];
        let cause = r
            .causation
            .and_then(|c| s.first_with_id(c))
            .filter(|&p| p != e && engine.flows.flow_of(p) == f);
        let from = cause.map_or(to, |p| participants[&s.get(p).source]);
        let latency = cause
            .and_then(|p| Some(r.effective_time()? - s.get(p).effective_time()?))
            .map(|d| format!(" ({}{})", if d >= 0 { "+" } else { "" }, format_duration(d)))
            .unwrap_or_default();
        let repeat = if engine.flows.is_repeat(e) {
            " (repeat)"
        } else {
            ""
        };
        writeln!(
            out,
            "    S{from}->>S{to}: {}{latency}{repeat}",
            escape(s.str(r.event_type))
        )?;
        for a in engine.anomalies.on_event(e) {
            writeln!(
                out,
                "    Note over S{to}: {} {}: {}",
                a.severity.name(),
                a.kind.name(),
                escape(&a.message)
            )?;
        }
    }
    Ok(())
}
