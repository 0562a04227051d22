//! The generated events in log order, written in the native format.

use super::MS;
use super::flow::GenEvent;
use crate::model::format_time;
use std::fmt::Write as _;
use std::io::Write;

const PARTITIONS: u64 = 3;

/// Sorts the events by true time (ties in creation order), applies the reorder faults and keeps
/// the first `n`.
pub(super) fn log_order(mut ev: Vec<GenEvent>, n: usize) -> Vec<GenEvent> {
    ev.sort_unstable_by_key(|e| (e.t, e.ord));
    // Reorder faults: the marked pair swap places in the log.
    let mut firsts: rustc_hash::FxHashMap<u32, usize> = Default::default();
    for i in 0..ev.len() {
        match ev[i].mark {
            1 => {
                firsts.insert(ev[i].flow, i);
            }
            2 => {
                if let Some(j) = firsts.remove(&ev[i].flow) {
                    ev.swap(i, j);
                }
            }
            _ => {}
        }
    }
    ev.truncate(n);
    ev
}

/// Writes the header line and one line per event; partitions by order key, offsets dense per
/// (topic, partition).
pub(super) fn write(
    events: &[GenEvent],
    n: usize,
    seed: u64,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut offsets: rustc_hash::FxHashMap<(&str, u64), i64> = Default::default();
    let mut line = String::with_capacity(1024);
    writeln!(
        out,
        "{{\"eventscope_trace\":1,\"generator\":\"eventscope gen\",\"seed\":{seed},\"events\":{n}}}"
    )?;
    for e in events {
        let partition = crate::model::Interner::hash(&e.order) % PARTITIONS;
        let off = offsets.entry((e.topic, partition)).or_insert(0);
        let offset = *off;
        *off += 1;
        line.clear();
        event_line(e, partition, offset, &mut line);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// One event as a native-format line (newline included).
fn event_line(e: &GenEvent, partition: u64, offset: i64, line: &mut String) {
    let _ = write!(
        line,
        "{{\"id\":\"{}\",\"type\":\"{}\",\"source\":\"{}\",\"time\":\"{}\",\"correlationid\":\"{}\"",
        e.id,
        e.ty,
        e.source,
        format_time(e.shown),
        e.corr
    );
    if let Some(c) = &e.cause {
        let _ = write!(line, ",\"causationid\":\"{c}\"");
    }
    if let Some(s) = e.seq {
        let _ = write!(line, ",\"sequence\":{s},\"subject\":\"{}\"", e.order);
    }
    let _ = write!(
        line,
        ",\"topic\":\"{}\",\"partition\":{partition},\"offset\":{offset},\"key\":\"{}\",\"ts\":{},\"tstype\":\"create\",\"headers\":[[\"ce_specversion\",\"1.0\"]",
        e.topic,
        e.order,
        e.t / MS,
    );
    if let Some(r) = e.dlt_reason {
        let _ = write!(
            line,
            ",[\"kafka_dlt-exception-message\",\"{r}\"],[\"kafka_dlt-original-topic\",\"orders\"]"
        );
    }
    let _ = write!(line, "],\"data\":{}}}", e.data);
    line.push('\n');
}
