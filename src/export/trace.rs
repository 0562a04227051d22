//! `jsonl`: the selection's events as a native trace, in arrival order, each event as the store
//! holds it (resolved ids, transport position, headers, payload when the session kept it), so
//! the file re-opens to the same flows and anomalies.

use super::Selection;
use crate::analysis::Engine;
use crate::decode::native_write::{header_line, write_event};
use std::io::{self, Write};

pub fn write(engine: &Engine, sel: &Selection, out: &mut impl Write) -> io::Result<()> {
    let header = header_line(&[
        (
            "exported_by",
            format!("eventscope {}", env!("CARGO_PKG_VERSION")).into(),
        ),
        ("flows", sel.len().into()),
    ]);
    writeln!(out, "{header}")?;
    let mut line = String::new();
    for e in sel.events_in_arrival_order(engine) {
        line.clear();
        write_event(&engine.store.decoded(e), &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}
