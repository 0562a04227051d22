//! The service map: all flows aggregated. Services are nodes; each causation hop between two
//! services is an edge labelled by the child's event type, with a count and p50/p99 hop latency.
//! Updated from new events only (a cause that arrives after its effects is matched when it comes).

use crate::analysis::Engine;
use crate::model::Sym;
use crate::store::EventIdx;
use hdrhistogram::Histogram;
use rustc_hash::FxHashMap;

pub struct EdgeStats {
    pub count: u64,
    /// Hop latency in microseconds (negative ones count as 0).
    pub latency: Histogram<u64>,
}

#[derive(Default)]
pub struct ServiceMapData {
    seen: usize,
    /// (parent service, child service, child type) -> stats.
    pub edges: FxHashMap<(Option<Sym>, Option<Sym>, Sym), EdgeStats>,
    pub services: Vec<Option<Sym>>,
    /// Bumped when something changed.
    pub generation: u64,
}

impl ServiceMapData {
    fn hop(&mut self, engine: &Engine, parent: EventIdx, child: EventIdx) {
        let s = &engine.store;
        let (p, c) = (s.get(parent), s.get(child));
        for svc in [p.source, c.source] {
            if !self.services.contains(&svc) {
                self.services.push(svc);
            }
        }
        let st = self
            .edges
            .entry((p.source, c.source, c.event_type))
            .or_insert_with(|| EdgeStats {
                count: 0,
                latency: Histogram::new(2).expect("histogram"),
            });
        st.count += 1;
        if let (Some(pt), Some(ct)) = (p.time(), c.time()) {
            let _ = st
                .latency
                .record((ct.saturating_sub(pt).max(0) / 1_000) as u64);
        }
        self.generation += 1;
    }

    pub fn update(&mut self, engine: &Engine) {
        let s = &engine.store;
        let n = s.len();
        // A repeat (a duplicate or dead-letter copy) is no hop of its own at either end.
        let repeat = |e: EventIdx| engine.flows.is_repeat(e);
        for idx in self.seen as EventIdx..n as EventIdx {
            if repeat(idx) {
                continue;
            }
            let r = s.get(idx);
            if let Some(p) = r.causation.and_then(|c| s.first_with_id(c))
                && p < idx
                && !repeat(p)
            {
                self.hop(engine, p, idx);
            }
            if s.first_with_id(r.id) == Some(idx) {
                let early: Vec<EventIdx> = s
                    .children_of(r.id)
                    .filter(|&c| c < idx && !repeat(c))
                    .collect();
                for c in early {
                    self.hop(engine, idx, c);
                }
            }
        }
        self.seen = n;
    }

    /// p50 and p99 hop latency in nanoseconds.
    pub fn percentiles(st: &EdgeStats) -> (i64, i64) {
        (
            st.latency.value_at_quantile(0.5) as i64 * 1_000,
            st.latency.value_at_quantile(0.99) as i64 * 1_000,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Config;
    use crate::model::DecodedEvent;

    #[test]
    fn hops_are_counted_in_either_arrival_order() {
        let mut e = Engine::new(Config::default());
        let ev = |id: &str, src: &str, cause: Option<&str>, t: i64| DecodedEvent {
            id: id.into(),
            event_type: format!("{src}Event").into(),
            source: Some(src.into()),
            causation_id: cause.map(Into::into),
            time: Some(t * 1_000_000),
            ..Default::default()
        };
        e.push(ev("c1", "pay", Some("p1"), 12), 0);
        e.push(ev("p1", "ord", None, 10), 0);
        e.push(ev("p2", "ord", None, 20), 0);
        e.push(ev("c2", "pay", Some("p2"), 24), 0);
        let mut m = ServiceMapData::default();
        m.update(&e);
        assert_eq!(m.edges.len(), 1);
        let st = m.edges.values().next().unwrap();
        assert_eq!(st.count, 2);
        let (p50, p99) = ServiceMapData::percentiles(st);
        assert!((1_980_000..=2_020_000).contains(&p50), "{p50}");
        assert!((3_960_000..=4_040_000).contains(&p99), "{p99}");
        assert_eq!(m.services.len(), 2);
    }

    #[test]
    fn repeats_are_no_hops() {
        let mut e = Engine::new(Config::default());
        let ev = |id: &str, src: &str, cause: Option<&str>, t: i64, topic: &str| DecodedEvent {
            id: id.into(),
            event_type: format!("{src}Event").into(),
            source: Some(src.into()),
            causation_id: cause.map(Into::into),
            time: Some(t * 1_000_000),
            topic: Some(topic.into()),
            ..Default::default()
        };
        // A dead-letter copy of the cause first, then the real hop, then a redelivery and a
        // dead-letter copy of the child seconds later.
        e.push(ev("p1", "ord", None, 10, "orders.DLT"), 0);
        e.push(ev("c1", "pay", Some("p1"), 12, "payments"), 0);
        e.push(ev("p1", "ord", None, 10, "orders"), 0);
        e.push(ev("c1", "pay", Some("p1"), 9_000, "payments"), 0);
        e.push(ev("c1", "pay", Some("p1"), 9_000, "payments-dlq"), 0);
        let mut m = ServiceMapData::default();
        m.update(&e);
        assert_eq!(m.edges.len(), 1);
        let st = m.edges.values().next().unwrap();
        assert_eq!(st.count, 1);
        let (_, p99) = ServiceMapData::percentiles(st);
        assert!((1_980_000..=2_020_000).contains(&p99), "{p99}");
    }
}
