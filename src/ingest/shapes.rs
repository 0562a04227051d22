//! Input shapes that used to make the analysis superlinear (the linear-time issue's table), as
//! native traces of any size: the operation-count test below runs each at two sizes, and
//! `benches/shapes.rs` times `check` on them next to the `gen` baseline.

use crate::model::format_time;
use std::io::Write;

/// 2026-01-01T00:00:00Z in nanoseconds.
const T0: i64 = 1_767_225_600_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One chain of events without correlation ids, arriving children first.
    ReverseChain,
    /// One source and subject, every event with sequence 0, spread over two topics.
    HotKey,
    /// 100 chains without correlation ids, arrival shuffled within windows of 64.
    ShuffledChains,
    /// Chains of depth 1,000 without correlation ids, in order.
    DeepChains,
    /// One flow whose spine has a leaf per node (for `check --flows`: critical path).
    SpineWithLeaves,
    /// Flows of two events each.
    Pairs,
    /// Every event its own ordering key, without correlation ids.
    OwnKeys,
    /// A source per device, every one with the same subject ("reading"), one event each.
    Devices,
}

impl Shape {
    pub const ALL: [Shape; 8] = [
        Shape::ReverseChain,
        Shape::HotKey,
        Shape::ShuffledChains,
        Shape::DeepChains,
        Shape::SpineWithLeaves,
        Shape::Pairs,
        Shape::OwnKeys,
        Shape::Devices,
    ];

    /// The name `gen --shape` takes.
    pub fn arg(self) -> &'static str {
        match self {
            Shape::ReverseChain => "reverse-chain",
            Shape::HotKey => "hot-key",
            Shape::ShuffledChains => "shuffled-chains",
            Shape::DeepChains => "deep-chains",
            Shape::SpineWithLeaves => "spine-with-leaves",
            Shape::Pairs => "pairs",
            Shape::OwnKeys => "own-keys",
            Shape::Devices => "devices",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::ReverseChain => "reverse chain, no correlation",
            Shape::HotKey => "one hot key, same sequence, two topics",
            Shape::ShuffledChains => "100 chains, no correlation, shuffled by 64",
            Shape::DeepChains => "chains of depth 1,000, no correlation",
            Shape::SpineWithLeaves => "one flow, a leaf per spine node",
            Shape::Pairs => "flows of 2 events",
            Shape::OwnKeys => "own ordering key each, no correlation",
            Shape::Devices => "a source per device, one subject",
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Shape, String> {
        Shape::ALL
            .into_iter()
            .find(|x| x.arg() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Shape::ALL.iter().map(|x| x.arg()).collect();
                format!("unknown shape '{s}' (known: {})", names.join(", "))
            })
    }
}

/// One event line of the native format.
struct Line {
    id: String,
    corr: Option<String>,
    cause: Option<String>,
    /// (subject, sequence)
    seq: Option<(String, i64)>,
    topic: &'static str,
    offset: i64,
    i: usize,
    source: String,
}

impl Line {
    fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut l = format!(
            r#"{{"id":"{}","type":"T{}","source":"{}","time":"{}""#,
            self.id,
            self.i % 7,
            self.source,
            format_time(T0 + self.i as i64 * 1_000_000)
        );
        if let Some(c) = &self.corr {
            l.push_str(&format!(r#","correlationid":"{c}""#));
        }
        if let Some(c) = &self.cause {
            l.push_str(&format!(r#","causationid":"{c}""#));
        }
        if let Some((subject, n)) = &self.seq {
            l.push_str(&format!(r#","sequence":{n},"subject":"{subject}""#));
        }
        l.push_str(&format!(
            r#","topic":"{}","partition":0,"offset":{},"data":{{"n":{}}}}}"#,
            self.topic, self.offset, self.i
        ));
        writeln!(out, "{l}")
    }
}

fn line(i: usize, id: String) -> Line {
    Line {
        id,
        corr: None,
        cause: None,
        seq: None,
        topic: "t",
        offset: i as i64,
        i,
        source: "svc".into(),
    }
}

/// Writes `n` events of `shape` (plus the trace header) to `out`.
pub fn write(shape: Shape, n: usize, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, r#"{{"eventscope_trace":1,"shape":"{shape:?}"}}"#)?;
    let lines: Vec<Line> = match shape {
        Shape::ReverseChain => (0..n).rev().map(|i| chained(i, i, 0)).collect(),
        Shape::DeepChains => (0..n).map(|i| chained(i, i % 1_000, i / 1_000)).collect(),
        Shape::ShuffledChains => shuffled_chains(n),
        Shape::HotKey => (0..n)
            .map(|i| Line {
                corr: Some(format!("c{}", i / 2)),
                seq: Some(("hot".into(), 0)),
                topic: if i % 2 == 0 { "a" } else { "b" },
                offset: (i / 2) as i64,
                ..line(i, format!("e{i}"))
            })
            .collect(),
        Shape::SpineWithLeaves => (0..n)
            .map(|i| {
                // Even events form the spine, each odd one is a leaf of the spine node before it.
                let cause = match i {
                    0 => None,
                    _ if i % 2 == 1 => Some(format!("e{}", i - 1)),
                    _ => Some(format!("e{}", i - 2)),
                };
                Line {
                    corr: Some("spine".into()),
                    cause,
                    ..line(i, format!("e{i}"))
                }
            })
            .collect(),
        Shape::Pairs => (0..n)
            .map(|i| Line {
                corr: Some(format!("c{}", i / 2)),
                cause: (i % 2 == 1).then(|| format!("e{}", i - 1)),
                seq: Some((format!("c{}", i / 2), (i % 2) as i64)),
                ..line(i, format!("e{i}"))
            })
            .collect(),
        Shape::OwnKeys => (0..n)
            .map(|i| Line {
                seq: Some((format!("k{i}"), 1)),
                ..line(i, format!("e{i}"))
            })
            .collect(),
        Shape::Devices => (0..n)
            .map(|i| Line {
                seq: Some(("reading".into(), 1)),
                source: format!("dev-{i}"),
                ..line(i, format!("e{i}"))
            })
            .collect(),
    };
    for l in &lines {
        l.write(out)?;
    }
    Ok(())
}

/// Event `i`, step `depth` of chain `chain` (caused by the step before it).
fn chained(i: usize, depth: usize, chain: usize) -> Line {
    Line {
        cause: (depth > 0).then(|| format!("c{chain}-{}", depth - 1)),
        ..line(i, format!("c{chain}-{depth}"))
    }
}

fn shuffled_chains(n: usize) -> Vec<Line> {
    let chains = 100;
    let mut lines: Vec<Line> = (0..n).map(|i| chained(i, i / chains, i % chains)).collect();
    let mut rng = fastrand::Rng::with_seed(64);
    for w in lines.chunks_mut(64) {
        rng.shuffle(w);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Config, Engine};
    use crate::decode::{Format, LineDecoder, ProfileConfig};
    use crate::store::lookups;

    /// Store look-ups per event for the whole analysis of `n` events of `shape`, as `check
    /// --flows` does it (critical path of every flow included).
    fn lookups_per_event(shape: Shape, n: usize) -> f64 {
        let mut text = Vec::new();
        write(shape, n, &mut text).unwrap();
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), false);
        let (events, problems) = d.decode_chunk_packed(&text, 1);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), n);
        let mut e = Engine::new(Config::default());
        lookups::take();
        e.ingest(&"shape".into(), events, &[]);
        e.finish(None);
        let ids: Vec<_> = e.flows.iter().map(|(f, _)| f).collect();
        for f in ids {
            e.flows.critical_path(&e.store, f);
        }
        lookups::take() as f64 / n as f64
    }

    /// Work per event does not grow with the input: 8x the events, at most 1.5x the look-ups per
    /// event (a quadratic path would show 8x, the old cubic one 64x).
    #[test]
    fn every_shape_takes_linear_work() {
        let mut report = Vec::new();
        for shape in Shape::ALL {
            let (small, big) = (
                lookups_per_event(shape, 400),
                lookups_per_event(shape, 3_200),
            );
            report.push(format!("{}: {small:.1} -> {big:.1}", shape.name()));
            assert!(big <= small * 1.5 + 2.0, "{}", report.join("; "));
            assert!(big < 40.0, "{}", report.join("; "));
        }
        eprintln!(
            "look-ups per event at 400 -> 3,200 events: {}",
            report.join("; ")
        );
    }

    /// Variant work per event for `n` events of every linear-time shape.
    fn work_per_event(shape: Shape, n: usize) -> f64 {
        let mut text = Vec::new();
        write(shape, n, &mut text).unwrap();
        let d = LineDecoder::new(Format::Native, ProfileConfig::default(), false);
        let (events, _) = d.decode_chunk_packed(&text, 1);
        let mut e = Engine::new(Config::default());
        e.ingest(&"shape".into(), events, &[]);
        e.finish(None);
        e.variants.work() as f64 / n as f64
    }

    /// 8x the events, at most 1.5x the work per event, for every shape that once was superlinear.
    #[test]
    fn variants_take_linear_work_on_every_shape() {
        let mut report = Vec::new();
        for shape in Shape::ALL {
            let (small, big) = (work_per_event(shape, 400), work_per_event(shape, 3_200));
            report.push(format!("{}: {small:.1} -> {big:.1}", shape.name()));
            assert!(
                big <= small * 1.5 + 1.0 && big < 20.0,
                "{}",
                report.join("; ")
            );
        }
        eprintln!(
            "variant work per event at 400 -> 3,200: {}",
            report.join("; ")
        );
    }
}
