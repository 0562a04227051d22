//! Builders for detector unit tests: terse events, an engine fed with them, and the anomalies as
//! (kind, event id) pairs.

use super::{AnomalyKind, Config, Engine};
use crate::model::{DecodedEvent, Header, Sequence};

/// An event `id` of `ty` from `source` at `t` seconds (2026-01-01T00:00:00Z + t).
pub fn ev(id: &str, ty: &str, source: &str, t: i64) -> DecodedEvent {
    DecodedEvent {
        id: id.into(),
        event_type: ty.into(),
        source: Some(source.into()),
        time: Some((1_767_225_600 + t) * 1_000_000_000),
        ..Default::default()
    }
}

pub trait EvExt {
    fn corr(self, c: &str) -> Self;
    fn cause(self, c: &str) -> Self;
    fn seq(self, subject: &str, n: i64) -> Self;
    fn at(self, topic: &str, partition: i32, offset: i64) -> Self;
    fn data(self, hash: u64) -> Self;
    fn header(self, name: &str, value: &str) -> Self;
    fn millis(self, ms: i64) -> Self;
}

impl EvExt for DecodedEvent {
    fn corr(mut self, c: &str) -> Self {
        self.correlation_id = Some(c.into());
        self
    }
    fn cause(mut self, c: &str) -> Self {
        self.causation_id = Some(c.into());
        self
    }
    fn seq(mut self, subject: &str, n: i64) -> Self {
        self.subject = Some(subject.into());
        self.sequence = Some(Sequence::Int(n));
        self
    }
    fn at(mut self, topic: &str, partition: i32, offset: i64) -> Self {
        self.topic = Some(topic.into());
        self.partition = Some(partition);
        self.offset = Some(offset);
        self
    }
    fn data(mut self, hash: u64) -> Self {
        self.data_hash = hash;
        self
    }
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(Header::text(name, value));
        self
    }
    fn millis(mut self, ms: i64) -> Self {
        self.time = self.time.map(|t| t + ms * 1_000_000);
        self
    }
}

/// A chain e0 <- e1 <- ... (each caused by the one before), listed children first, each event
/// at its own second; with a correlation id when `corr` is given.
pub fn reverse_chain(n: usize, corr: Option<&str>) -> Vec<DecodedEvent> {
    (0..n)
        .rev()
        .map(|i| {
            let e = ev(&format!("e{i}"), "T", "x", i as i64);
            let e = match corr {
                Some(c) => e.corr(c),
                None => e,
            };
            if i == 0 {
                e
            } else {
                e.cause(&format!("e{}", i - 1))
            }
        })
        .collect()
}

/// Feeds the events in order, finishes, and returns the engine.
pub fn run(events: Vec<DecodedEvent>) -> Engine {
    run_with(Config::default(), events)
}

pub fn run_with(config: Config, events: Vec<DecodedEvent>) -> Engine {
    let mut e = Engine::new(config);
    for ev in events {
        e.push(ev, 0);
    }
    e.finish(None);
    e
}

/// Active anomalies as sorted (kind, event id) pairs.
pub fn found(e: &Engine) -> Vec<(AnomalyKind, String)> {
    let mut v: Vec<_> = e
        .anomalies
        .active()
        .map(|(_, a)| {
            (
                a.kind,
                a.event
                    .map(|i| e.store.id_str(i).to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Expected pairs, sorted.
pub fn want(pairs: &[(AnomalyKind, &str)]) -> Vec<(AnomalyKind, String)> {
    let mut v: Vec<_> = pairs.iter().map(|(k, id)| (*k, id.to_string())).collect();
    v.sort();
    v
}
