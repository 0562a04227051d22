//! Flow diff: one flow against another, or against its root type's usual variant (the one with
//! the most flows): the steps (edge types) the other has and this one lacks, the ones only this
//! one has, and this flow's hops slower than the p99 of hops of their type over every flow.
//! The CLI's `diff` and the window's diff view both print this.

use super::{NONE, Pair, VariantId};
use crate::analysis::detectors::unusual_flow::{edge_words, thousands};
use crate::analysis::{Engine, FlowId};
use crate::model::format_duration;
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// What a flow is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    Flow(FlowId),
    Variant(VariantId),
}

/// A hop slower than its type's p99.
#[derive(Clone, Debug, PartialEq)]
pub struct SlowHop {
    pub pair: Pair,
    /// The effect event of the hop.
    pub event: EventIdx,
    pub latency_ns: i64,
    pub p99_ns: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlowDiff {
    pub flow: FlowId,
    pub against: Against,
    /// Edge types the other side has and this flow lacks.
    pub missing: Vec<Pair>,
    /// Edge types only this flow has.
    pub extra: Vec<Pair>,
    pub slow: Vec<SlowHop>,
}

impl FlowDiff {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.slow.is_empty()
    }
}

/// The usual variant of the flow's root type: the one with the most flows (the first ranked).
pub fn usual_variant(engine: &Engine, f: FlowId) -> Option<VariantId> {
    let vs = &engine.variants;
    let root = vs.get(vs.variant_of(f)?).root_type;
    vs.ranked()
        .iter()
        .copied()
        .find(|&v| vs.get(v).root_type == root)
}

/// The p99 hop latency per edge type over every flow (linear in the events).
pub fn hop_p99(engine: &Engine) -> FxHashMap<Pair, i64> {
    let vs = &engine.variants;
    let mut lat: FxHashMap<u32, Vec<i64>> = FxHashMap::default();
    for e in 0..engine.store.len() as EventIdx {
        let id = vs.in_edge.get(e as usize).copied().unwrap_or(NONE);
        if id == NONE {
            continue;
        }
        if let Some(l) = super::hop_latency(engine, e) {
            lat.entry(id).or_default().push(l);
        }
    }
    lat.into_iter()
        .filter_map(|(id, mut l)| {
            l.sort_unstable();
            Some((vs.pairs[id as usize], super::quantile(&l, 0.99)?))
        })
        .collect()
}

/// Compares flow `f` with `against`; `p99` from [`hop_p99`].
pub fn diff(engine: &Engine, f: FlowId, against: Against, p99: &FxHashMap<Pair, i64>) -> FlowDiff {
    let vs = &engine.variants;
    let s = &engine.store;
    let ours = vs.flow_edges(s, f);
    let theirs = match against {
        Against::Flow(g) => vs.flow_edges(s, g),
        Against::Variant(v) => vs.edges(s, v),
    };
    let mut slow = Vec::new();
    for &e in &engine.flows.get(f).events {
        let id = vs.in_edge.get(e as usize).copied().unwrap_or(NONE);
        if id == NONE {
            continue;
        }
        let pair = vs.pairs[id as usize];
        if let (Some(l), Some(&p)) = (super::hop_latency(engine, e), p99.get(&pair))
            && l > p
        {
            slow.push(SlowHop {
                pair,
                event: e,
                latency_ns: l,
                p99_ns: p,
            });
        }
    }
    slow.sort_by_key(|h| std::cmp::Reverse(h.latency_ns - h.p99_ns));
    FlowDiff {
        flow: f,
        against,
        missing: theirs
            .iter()
            .filter(|p| !ours.contains(p))
            .copied()
            .collect(),
        extra: ours
            .iter()
            .filter(|p| !theirs.contains(p))
            .copied()
            .collect(),
        slow,
    }
}

/// What the flow is compared with, in words.
pub fn against_words(engine: &Engine, against: Against) -> String {
    let s = &engine.store;
    match against {
        Against::Flow(g) => format!("flow {}", s.str(engine.flows.get(g).key)),
        Against::Variant(v) => {
            let var = engine.variants.get(v);
            format!(
                "variant {} (the usual {} variant, {} flows)",
                var.number,
                var.root_type.map_or("", |r| s.str(r)),
                thousands(var.flows() as u64)
            )
        }
    }
}

/// The diff as text (also the window's diff view's summary).
pub fn diff_text(engine: &Engine, d: &FlowDiff) -> String {
    let s = &engine.store;
    let number = engine
        .variants
        .variant_of(d.flow)
        .map_or(0, |v| engine.variants.get(v).number);
    let mut t = format!(
        "flow {} (variant {}, {} events) against {}\n",
        s.str(engine.flows.get(d.flow).key),
        number,
        engine.flows.get(d.flow).events.len(),
        against_words(engine, d.against)
    );
    for &p in &d.missing {
        t += &format!("missing  {}\n", edge_words(s, p));
    }
    for &p in &d.extra {
        t += &format!("extra    {}\n", edge_words(s, p));
    }
    for h in &d.slow {
        t += &format!(
            "slow     {}: {} (p99 {}) at {}\n",
            edge_words(s, h.pair),
            format_duration(h.latency_ns),
            format_duration(h.p99_ns),
            s.id_str(h.event)
        );
    }
    if d.is_empty() {
        t += "no differences\n";
    }
    t
}
