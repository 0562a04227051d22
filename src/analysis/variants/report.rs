//! What a variant shows (the CLI's `variants`, the window's Variants tab): flows, share of its
//! root type, duration percentiles, anomalous flows, an example, and per edge type the hops and
//! hop latency percentiles of its flows. Computed on demand from the variant's flows (linear in
//! their events), never kept per event.

use super::{NONE, Pair, VariantId};
use crate::analysis::{AnomalyKind, Engine, FlowId};
use crate::store::EventIdx;
use rustc_hash::FxHashMap;

/// One edge type of a variant, over all its flows.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeStats {
    pub pair: Pair,
    /// Hops of this type in the variant's flows (repeated ones included).
    pub hops: usize,
    /// Hop latency percentiles (child time minus cause time), when hops have times.
    pub p50_ns: Option<i64>,
    pub p99_ns: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantReport {
    pub id: VariantId,
    pub number: u32,
    pub root_type: String,
    pub edges: Vec<Pair>,
    pub flows: usize,
    /// `flows` over the flows of its root type.
    pub share: f64,
    pub p50_ns: Option<i64>,
    pub p99_ns: Option<i64>,
    /// Flows with an active anomaly (`unusual_flow` aside: it follows from the variant).
    pub anomalous_flows: usize,
    pub example: FlowId,
}

/// The `q` quantile of sorted values (nearest rank).
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn anomalous(engine: &Engine, f: FlowId) -> bool {
    engine
        .flow_anomalies(f)
        .any(|a| a.kind != AnomalyKind::UnusualFlow)
}

/// The report of variant `v` (numbers as of the engine's last ranking).
pub fn variant_report(engine: &Engine, v: VariantId) -> VariantReport {
    let vs = &engine.variants;
    let var = vs.get(v);
    let s = &engine.store;
    let flows = &engine.flows;
    let mut durations: Vec<i64> = var
        .members()
        .iter()
        .filter_map(|&f| flows.get(f).duration())
        .collect();
    durations.sort_unstable();
    let example = var
        .members()
        .iter()
        .copied()
        .min_by_key(|&f| (flows.get(f).first(), s.str(flows.get(f).key)))
        .unwrap_or(0);
    let root_flows = vs.root_stats(var.root_type).flows.max(1);
    VariantReport {
        id: v,
        number: var.number,
        root_type: var
            .root_type
            .map_or(String::new(), |r| s.str(r).to_string()),
        edges: vs.edges(s, v),
        flows: var.flows(),
        share: var.flows() as f64 / f64::from(root_flows),
        p50_ns: quantile(&durations, 0.5),
        p99_ns: quantile(&durations, 0.99),
        anomalous_flows: var
            .members()
            .iter()
            .filter(|&&f| anomalous(engine, f))
            .count(),
        example,
    }
}

/// Every variant with flows, by number (the engine's last ranking).
pub fn report(engine: &Engine) -> Vec<VariantReport> {
    engine
        .variants
        .ranked()
        .iter()
        .map(|&v| variant_report(engine, v))
        .collect()
}

/// Hops and hop latency per edge type over `flows` (e.g. a variant's members), in the order of
/// `order` (edge types not in it last).
pub fn hop_stats(engine: &Engine, flows: &[FlowId], order: &[Pair]) -> Vec<EdgeStats> {
    let vs = &engine.variants;
    let s = &engine.store;
    let mut by_pair: FxHashMap<u32, (usize, Vec<i64>)> = FxHashMap::default();
    for &f in flows {
        for &e in &engine.flows.get(f).events {
            let id = vs.in_edge.get(e as usize).copied().unwrap_or(NONE);
            if id == NONE {
                continue;
            }
            let slot = by_pair.entry(id).or_default();
            slot.0 += 1;
            if let Some(l) = hop_latency(engine, e) {
                slot.1.push(l);
            }
        }
    }
    let mut out: Vec<EdgeStats> = by_pair
        .into_iter()
        .map(|(id, (hops, mut lat))| {
            lat.sort_unstable();
            EdgeStats {
                pair: vs.pairs[id as usize],
                hops,
                p50_ns: quantile(&lat, 0.5),
                p99_ns: quantile(&lat, 0.99),
            }
        })
        .collect();
    let name = |p: &Pair| (p.0.map_or("", |c| s.str(c)), s.str(p.1));
    out.sort_by(|a, b| {
        let pos = |p: &Pair| order.iter().position(|o| o == p).unwrap_or(usize::MAX);
        (pos(&a.pair), name(&a.pair)).cmp(&(pos(&b.pair), name(&b.pair)))
    });
    out
}

/// The event's time minus its cause's, when both are known.
pub fn hop_latency(engine: &Engine, e: EventIdx) -> Option<i64> {
    let s = &engine.store;
    let r = s.get(e);
    let p = s.first_with_id(r.causation?)?;
    Some(
        r.effective_time()?
            .saturating_sub(s.get(p).effective_time()?),
    )
}
